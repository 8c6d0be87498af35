// Calling settings of step 10b (SPEC §3): the first location of the customer's calling service.
// Pure and deterministic, so the workflow's step validator can run `validateCallingSettings`.
// Whether a time zone exists is asked separately (`isKnownTimeZone`, in the API): the tz database
// can differ between worker versions, and a validator that answers differently on replay breaks it.
import type { FieldError } from './field-error.js';
import { isValidTimeZone } from './schedule.js';

export interface CallingSettings {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  locationName: string;
  /** IANA zone, e.g. `Europe/Oslo`. */
  timeZone: string;
  /** Digits in an internal extension. */
  extensionLength: number;
}


export const LOCATION_NAME_MAX_LENGTH = 80;
export const EXTENSION_LENGTH_MIN = 2;
export const EXTENSION_LENGTH_MAX = 6;
export const DEFAULT_EXTENSION_LENGTH = 4;
export const DEFAULT_LOCATION_NAME = 'Main office';

/** Every officially assigned ISO 3166-1 alpha-2 code (249). */
export const ISO_COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET ' +
    'FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ' +
    'ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY ' +
    'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM ' +
    'PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ ' +
    'UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** `Area/Location[/…]` or a single name such as `UTC`: the shape of IANA zone names, not their existence. */
const TIME_ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9][A-Za-z0-9_+-]*)*$/;
const TIME_ZONE_MAX_LENGTH = 64;

/**
 * What the calling form starts with: the customer's country, the order's time zone, four-digit
 * extensions and one location called "Main office".
 */
export function defaultCallingSettings(order: { customer: { country: string }; timezone?: string }): CallingSettings {
  return {
    country: order.customer.country,
    locationName: DEFAULT_LOCATION_NAME,
    timeZone: order.timezone ?? 'UTC',
    extensionLength: DEFAULT_EXTENSION_LENGTH,
  };
}

/**
 * Field errors for calling settings, empty when they are valid. The location name is judged
 * trimmed (store it trimmed). The time zone is checked for shape only: also ask `isKnownTimeZone`
 * outside workflow code. `pointerPrefix` is where the settings sit in the request.
 */
export function validateCallingSettings(input: unknown, pointerPrefix = '/body'): FieldError[] {
  const at = (name: keyof CallingSettings) => `${pointerPrefix}/${name}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [{ field: pointerPrefix, message: 'must be an object with country, locationName, timeZone and extensionLength', code: 'callingShape' }];
  }
  const { country, locationName, timeZone, extensionLength } = input as Record<string, unknown>;
  const errors: FieldError[] = [];

  if (typeof country !== 'string' || !ISO_COUNTRY_CODES.has(country)) {
    errors.push({
      field: at('country'),
      message:
        country === 'UK'
          ? 'must be GB for the United Kingdom (ISO 3166-1 alpha-2)'
          : 'must be a two-letter ISO 3166-1 country code in capitals, such as NO',
      code: 'countryCode',
    });
  }

  const name = typeof locationName === 'string' ? locationName.trim() : '';
  if (name.length === 0) {
    errors.push({ field: at('locationName'), message: 'is required', code: 'required' });
  } else if ([...name].length > LOCATION_NAME_MAX_LENGTH) {
    errors.push({ field: at('locationName'), message: `must be at most ${LOCATION_NAME_MAX_LENGTH} characters`, code: 'tooLong', values: { max: LOCATION_NAME_MAX_LENGTH } });
  } else if (/\p{Cc}/u.test(name)) {
    errors.push({ field: at('locationName'), message: 'must not contain control characters', code: 'controlCharacters' });
  }

  if (typeof timeZone !== 'string' || timeZone.length > TIME_ZONE_MAX_LENGTH || !TIME_ZONE_SHAPE.test(timeZone)) {
    errors.push({ field: at('timeZone'), message: 'Choose a time zone from the list.', code: 'timeZone' });
  }

  if (
    typeof extensionLength !== 'number' ||
    !Number.isInteger(extensionLength) ||
    extensionLength < EXTENSION_LENGTH_MIN ||
    extensionLength > EXTENSION_LENGTH_MAX
  ) {
    errors.push({
      field: at('extensionLength'),
      message: `must be a whole number from ${EXTENSION_LENGTH_MIN} to ${EXTENSION_LENGTH_MAX}`,
      code: 'extensionLength',
      values: { min: EXTENSION_LENGTH_MIN, max: EXTENSION_LENGTH_MAX },
    });
  }
  return errors;
}

/**
 * Whether this runtime's tz database knows `zone`. For the API, before the Update; not for
 * workflow code (its answer may change with the Node version, which replay must not see).
 */
export function isKnownTimeZone(zone: string): boolean {
  return zone.length <= TIME_ZONE_MAX_LENGTH && TIME_ZONE_SHAPE.test(zone) && isValidTimeZone(zone);
}
