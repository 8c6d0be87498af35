// Calendar arithmetic in IANA time zones, done where a real tz database exists (API, activities),
// never inside workflow code.

/**
 * Making an Intl.DateTimeFormat costs far more than using one (a third of an intake's CPU went
 * here), so each zone's wall-clock format is made once. Bounded: zone names are matched without
 * regard to case, so the spellings a caller can send are not.
 */
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_ZONES = 1_000;

/** Throws a RangeError for a zone the tz database does not know. */
function wallClockFormat(zone: string): Intl.DateTimeFormat {
  let format = wallClockFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (wallClockFormats.size < MAX_CACHED_ZONES) wallClockFormats.set(zone, format);
  }
  return format;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    wallClockFormat(zone);
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD` that names a real calendar day. */
export function isValidCalendarDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

/** How far ahead a start date may be (SPEC §7.1): an order a year and a day out is a typo, not a plan. */
export const MAX_START_DAYS_AHEAD = 366;

/** The zone whose calendar is furthest ahead (UTC+14): its "today" is the latest date anywhere. */
const FURTHEST_AHEAD_ZONE = 'Etc/GMT-14';

/**
 * What is wrong with a requested start date, or undefined: it must be a calendar date at most
 * MAX_START_DAYS_AHEAD days after today in the order's zone. Where the zone is not at hand (a
 * reschedule), today is the latest date anywhere, so no zone is refused a date its calendar allows.
 */
export function startDateProblem(date: string, now: Date, zone = FURTHEST_AHEAD_ZONE): string | undefined {
  if (!isValidCalendarDate(date)) return 'must be a real calendar date YYYY-MM-DD';
  const parts = wallClockFormat(zone).formatToParts(now);
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const today = Date.UTC(field('year'), field('month') - 1, field('day'));
  const daysAhead = (Date.parse(`${date}T00:00:00Z`) - today) / 86_400_000;
  if (daysAhead > MAX_START_DAYS_AHEAD) return `must be at most ${MAX_START_DAYS_AHEAD} days ahead`;
  return undefined;
}

/** Offset of `zone` from UTC at `instant`, in milliseconds (positive east of Greenwich). */
function zoneOffsetMs(instant: number, zone: string): number {
  const parts = wallClockFormat(zone).formatToParts(new Date(instant));
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `zone` shows `date` `time`. An ambiguous wall time (clocks
 * turned back) resolves to its first occurrence; one skipped by a jump forward to the instant the
 * same distance past the gap (02:30 on a spring-forward night becomes 03:30).
 */
export function zonedWallTimeToInstant(date: string, time: string, zone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute);
  // No zone changes its offset twice within two days, so the offsets a day either side are the
  // only ones this wall time can carry.
  const offsetBefore = zoneOffsetMs(wallAsUtc - 86_400_000, zone);
  const offsetAfter = zoneOffsetMs(wallAsUtc + 86_400_000, zone);
  const consistent = [wallAsUtc - offsetBefore, wallAsUtc - offsetAfter]
    .filter((instant) => wallAsUtc - zoneOffsetMs(instant, zone) === instant)
    .sort((a, b) => a - b);
  return new Date(consistent[0] ?? wallAsUtc - offsetBefore);
}

/** When the "Configure now" email goes: the start date at the configured local time in the order's zone. */
export function setupEmailMoment(requestedStartDate: string, zone: string, localTime: string): Date {
  return zonedWallTimeToInstant(requestedStartDate, localTime, zone);
}
