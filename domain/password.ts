// Passwords of new partner-org admins (SPEC §3 step 9), at the API edge only: the policy check
// and the hash. The plaintext never goes further than the request that carries it.
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type FieldError, fieldError } from './field-error.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
const FIELD = '/body/password';

/** Names and addresses shorter than this are only refused as the whole password, not as a part of it. */
const MIN_CONTEXT_WORD_LENGTH = 4;

let commonPasswords: ReadonlySet<string> | undefined;
/** The list of common passwords (lower case), read once on first use. */
function loadCommonPasswords(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean),
  );
  return commonPasswords;
}

/** NIST 800-63B asks for Unicode normalisation before length counting and hashing. */
const normalize = (password: string): string => password.normalize('NFKC');

const codePointLength = (text: string): number => [...text].length;

const alphanumericOnly = (text: string): string => text.replace(/[^\p{L}\p{N}]/gu, '');

/** The shortest unit the password repeats, when it is a repetition (`abcabcabc` → `abc`). */
function repeatedUnit(text: string): string | undefined {
  const points = [...text];
  for (let size = 1; size <= points.length / 2; size++) {
    if (points.length % size !== 0) continue;
    const unit = points.slice(0, size).join('');
    if (unit.repeat(points.length / size) === text) return unit;
  }
  return undefined;
}

const cycle = (text: string, times: number): string => text.repeat(times);
/** Runs a password must not be a piece of: the alphabet, the digits and the keyboard, both ways. */
const SEQUENCES = (() => {
  const forward = [
    cycle('abcdefghijklmnopqrstuvwxyz', 6),
    cycle('0123456789', 14),
    'qwertyuiopasdfghjklzxcvbnm',
    'qwertzuiopasdfghjklyxcvbnm',
    'azertyuiopqsdfghjklmwxcvbn',
    '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
    'qazwsxedcrfvtgbyhnujmikolp',
  ];
  return [...forward, ...forward.map((s) => [...s].reverse().join(''))];
})();

/** Lower-cased forms of the password to look up in the common list: as typed, and without a decoration of digits and symbols at either end. */
function commonCandidates(lower: string): string[] {
  const undecorated = lower.replace(/^[^\p{L}]+/u, '').replace(/[^\p{L}]+$/u, '');
  const unit = repeatedUnit(lower);
  return [lower, undecorated, alphanumericOnly(lower), ...(unit ? [unit] : [])].filter(Boolean);
}

/**
 * NIST SP 800-63B: 12 to 128 characters (Unicode code points, after NFKC), any characters, no
 * composition rules; refuses common passwords, repetitions, sequences, and passwords made of the
 * org name or the admin's email address.
 */
export function checkPasswordPolicy(password: string, context: { orgName: string; email: string }): FieldError[] {
  const normalized = normalize(password);
  const length = codePointLength(normalized);
  if (length < PASSWORD_MIN_LENGTH) return [fieldError(FIELD, 'passwordShort', `must be at least ${PASSWORD_MIN_LENGTH} characters long`, { min: PASSWORD_MIN_LENGTH })];
  if (length > PASSWORD_MAX_LENGTH) return [fieldError(FIELD, 'passwordLong', `must be at most ${PASSWORD_MAX_LENGTH} characters long`, { max: PASSWORD_MAX_LENGTH })];

  const errors: FieldError[] = [];
  const refuse = ([code, message]: readonly [string, string]) => errors.push(fieldError(FIELD, code, message));
  const lower = normalized.toLowerCase();

  const unit = repeatedUnit(lower);
  if (unit && codePointLength(unit) < PASSWORD_MIN_LENGTH) refuse(['passwordRepeated', 'must not be a repeated character or pattern']);
  if (SEQUENCES.some((sequence) => sequence.includes(lower))) refuse(['passwordSequence', 'must not be a simple sequence of characters']);

  const common = loadCommonPasswords();
  if (commonCandidates(lower).some((candidate) => common.has(candidate))) refuse(['passwordCommon', 'is too common: choose a password that is not on lists of frequently used passwords']);

  const email = context.email.trim().toLowerCase();
  const localPart = email.split('@')[0] ?? '';
  const orgNameRule = ['passwordOrgName', 'must not contain the organization name'] as const;
  const emailRule = ['passwordEmail', 'must not contain the email address'] as const;
  const contextWords: Array<[string, readonly [string, string]]> = [
    [normalize(context.orgName).trim().toLowerCase(), orgNameRule],
    [email, emailRule],
    [localPart, emailRule],
  ];
  const compactPassword = alphanumericOnly(lower);
  for (const [word, message] of contextWords) {
    if (!word) continue;
    const compactWord = alphanumericOnly(word);
    const contains =
      lower === word ||
      compactPassword === compactWord ||
      (codePointLength(word) >= MIN_CONTEXT_WORD_LENGTH && lower.includes(word)) ||
      (codePointLength(compactWord) >= MIN_CONTEXT_WORD_LENGTH && compactPassword.includes(compactWord));
    if (contains && !errors.some((error) => error.message === message[1])) refuse(message);
  }
  return errors;
}

// scrypt cost: N = 2^17, r = 8, p = 1 (OWASP's recommendation), a 16-byte salt and a 32-byte key.
const SCRYPT_LOG_N = 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const HASH_PREFIX = '$scrypt$';
/** Bounds on parameters read back from a stored hash, so a corrupt row cannot exhaust memory. */
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;

function deriveKey(password: string, salt: Buffer, logN: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const N = 2 ** logN;
  // scrypt needs 128·N·r bytes; Node's default limit (32 MiB) is below that for N = 2^17.
  const options: ScryptOptions = { N, r, p, maxmem: 2 * 128 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(normalize(password), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

/** A PHC-like string: `$scrypt$ln=17,r=8,p=1$<salt base64>$<key base64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, KEY_BYTES);
  return `${HASH_PREFIX}ln=${SCRYPT_LOG_N},r=${SCRYPT_R},p=${SCRYPT_P}$${b64(salt)}$${b64(key)}`;
}

const HASH_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

/** True for a string in the format hashPassword produces: a guard against storing anything else. */
export const looksLikePasswordHash = (value: string): boolean => HASH_PATTERN.test(value);

/** Whether `password` matches a hash from hashPassword; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = HASH_PATTERN.exec(stored);
  if (!match) return false;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(match[4]!, 'base64');
  const expected = Buffer.from(match[5]!, 'base64');
  const key = await deriveKey(password, salt, logN, r, p, expected.length);
  return timingSafeEqual(key, expected);
}
