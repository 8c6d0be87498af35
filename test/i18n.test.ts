// The message catalogs (i18n/): every language has every message, each parses as ICU
// MessageFormat with the same arguments as its English original, and none is left in English.
import { readFile } from 'node:fs/promises';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../domain/locale.js';
import { EMAIL_MESSAGES, REP_EMAIL_MESSAGES } from '../i18n/emails.js';
import { WIZARD_MESSAGES } from '../i18n/wizard.js';

/** Messages that read the same in both languages: product names, and words Norwegian spells the same. */
const SAME_IN_EVERY_LANGUAGE = new Set(['ui.service.messaging', 'ui.service.meetings', 'ui.service.calling', 'wizard.done.admin', 'wizard.org.administrator']);

const AREAS: Record<string, Record<string, Record<string, string>>> = { email: EMAIL_MESSAGES, wizard: WIZARD_MESSAGES };

/** The names of a message's arguments, also those inside plural and select branches. */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
    into.add(element.value);
    if (element.type === TYPE.select || element.type === TYPE.plural) {
      for (const option of Object.values(element.options)) argumentsOf(option.value, into);
    }
    if (element.type === TYPE.tag) argumentsOf(element.children, into);
  }
  return into;
}

/** Whether a message has text of its own, not only arguments and punctuation ("{label} {message}."). */
function hasWords(message: string): boolean {
  const literals = parse(message).flatMap((element) => (element.type === TYPE.literal ? [element.value] : []));
  return /\p{L}/u.test(literals.join(''));
}

describe.each(Object.entries(AREAS))('the %s catalogs', (_area, catalogs) => {
  const english = catalogs.en ?? {};

  it('exist for every language and hold messages', () => {
    expect(Object.keys(catalogs).sort()).toEqual([...LOCALES].sort());
    expect(Object.keys(english).length).toBeGreaterThan(5);
  });

  it.each(LOCALES.filter((locale) => locale !== 'en'))('%s has exactly the English keys', (locale) => {
    expect(Object.keys(catalogs[locale] ?? {}).sort()).toEqual(Object.keys(english).sort());
  });

  it.each(LOCALES)('every %s message parses as ICU and takes the English arguments', (locale) => {
    for (const [key, message] of Object.entries(catalogs[locale] ?? {})) {
      const parsed = parse(message);
      expect([...argumentsOf(parsed)].sort(), `${locale} ${key}`).toEqual([...argumentsOf(parse(english[key] ?? ''))].sort());
    }
  });

  it.each(LOCALES.filter((locale) => locale !== 'en'))('no %s message is the English text, unless it is a name or code', (locale) => {
    const untranslated = Object.entries(catalogs[locale] ?? {})
      .filter(([key, message]) => message === english[key] && hasWords(message) && !SAME_IN_EVERY_LANGUAGE.has(key))
      .map(([key]) => key);
    expect(untranslated).toEqual([]);
  });
});

describe('the rep emails’ catalog (English, like the rep console)', () => {
  it('parses as ICU', () => {
    for (const [key, message] of Object.entries(REP_EMAIL_MESSAGES)) expect(() => parse(message), key).not.toThrow();
  });
  it('shares no key with the other email messages', () => {
    expect(Object.keys(REP_EMAIL_MESSAGES).filter((key) => key in EMAIL_MESSAGES.en)).toEqual([]);
  });
});

describe('the API’s messages in the wizard', () => {
  /** Every code the rules give a refused field, and every conflict a wizard step can answer. */
  async function codesInSources(): Promise<{ fields: Set<string>; problems: Set<string> }> {
    const files = ['workflows/wizard.ts', 'domain/calling.ts', 'domain/password.ts', 'domain/subdomain.ts', 'db/queries/sites.ts'];
    const text = (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join('\n');
    const fields = new Set<string>();
    for (const pattern of [/fieldError\([^,]+, '([A-Za-z]+)'/g, /\bcode: '([A-Za-z]+)'/g, /malformed\('([A-Za-z]+)'/g, /\['(password[A-Za-z]+)'/g]) {
      for (const match of text.matchAll(pattern)) fields.add(match[1]!);
    }
    const problems = new Set([...text.matchAll(/conflict\('([a-z-]+)'/g)].map((match) => match[1]!));
    return { fields, problems };
  }

  it('has a message in the catalogs for every field error code and step conflict', async () => {
    const { fields, problems } = await codesInSources();
    expect(fields.size).toBeGreaterThan(30);
    expect(problems.size).toBeGreaterThan(5);
    const keys = new Set(Object.keys(WIZARD_MESSAGES.en));
    expect([...fields].filter((code) => !keys.has(`wizard.error.${code}`))).toEqual([]);
    expect([...problems].filter((code) => !keys.has(`wizard.problem.${code}`))).toEqual([]);
  });
});
