// The emails' message catalogs (ICU MessageFormat), one file per area and language. A language's catalog
// is typed by the English one, so a missing key fails the typecheck; test/i18n.test.ts checks the
// rest (extra keys, ICU syntax, untranslated texts). Rep-facing emails are English only, like the
// rep console: email-rep.en.json.
import type { Locale } from '../domain/locale.js';
import emailEn from './email.en.json' with { type: 'json' };
import emailNb from './email.nb.json' with { type: 'json' };
import emailRepEn from './email-rep.en.json' with { type: 'json' };

export type EmailMessageKey = keyof typeof emailEn;
export type RepEmailMessageKey = keyof typeof emailRepEn;

export const EMAIL_MESSAGES: Record<Locale, Record<EmailMessageKey, string>> = { en: emailEn, nb: emailNb };
export const REP_EMAIL_MESSAGES: Record<RepEmailMessageKey, string> = emailRepEn;
