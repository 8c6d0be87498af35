// The wizard pages' message catalogs (ICU MessageFormat, rendered by react-intl), typed by the
// English one so a missing key fails the typecheck; test/i18n.test.ts checks the rest.
import type { Locale } from '../domain/locale.js';
import wizardEn from './wizard.en.json' with { type: 'json' };
import wizardNb from './wizard.nb.json' with { type: 'json' };

export type WizardMessageKey = keyof typeof wizardEn;

export const WIZARD_MESSAGES: Record<Locale, Record<WizardMessageKey, string>> = { en: wizardEn, nb: wizardNb };
