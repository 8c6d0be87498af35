// The wizard's languages (SPEC §7.4): the texts come from the catalogs in i18n/, dates and names
// are formatted by react-intl in the chosen language. The order's language is the default; a
// choice made with the switch is kept in this browser and wins over it.
import { type ReactNode, createContext, useCallback, useContext, useEffect, useState } from 'react';
import { IntlProvider, useIntl } from 'react-intl';
import type { FieldError, Problem, ProblemWording } from '../api';
import { FORMAT_TAGS, isLocale, LOCALES, type Locale } from '../../../domain/locale';
import { WIZARD_MESSAGES, type WizardMessageKey } from '../../../i18n/wizard';
import { FormErrors as UiFormErrors, Shell } from '../ui';
import { useForm } from './useForm';

const STORAGE_KEY = 'wizard-locale';

/** Each language named in itself, as a switch shows it. */
const LANGUAGE_NAMES: Record<Locale, string> = { nb: 'Norsk', en: 'English' };

function storedLocale(): Locale | undefined {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isLocale(value) ? value : undefined;
  } catch {
    return undefined; // Storage blocked: the switch still works for this page.
  }
}

/** Before the order is known (loading, a dead link): the browser's language. */
function browserLocale(): Locale {
  return navigator.languages.some((tag) => /^(nb|no|nn)\b/i.test(tag)) ? 'nb' : 'en';
}

interface LocaleChoice {
  locale: Locale;
  choose: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleChoice>({ locale: 'en', choose: () => {} });

/** `orderLocale`: the order's language, once its view is loaded. */
export function WizardIntl({ orderLocale, children }: { orderLocale: Locale | undefined; children: ReactNode }) {
  const [chosen, setChosen] = useState<Locale | undefined>(storedLocale);
  const locale = chosen ?? orderLocale ?? browserLocale();
  const choose = useCallback((next: Locale) => {
    setChosen(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not kept across visits, but applied now.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return (
    <LocaleContext.Provider value={{ locale, choose }}>
      <IntlProvider locale={FORMAT_TAGS[locale]} messages={WIZARD_MESSAGES[locale]} defaultLocale="en-GB">
        {children}
      </IntlProvider>
    </LocaleContext.Provider>
  );
}

export type Translate = (key: WizardMessageKey, values?: Record<string, string | number>) => string;

const SERVICE_NAMES: Record<string, WizardMessageKey> = { messaging: 'ui.service.messaging', meetings: 'ui.service.meetings', calling: 'ui.service.calling' };

/** The wizard's texts and formats in the chosen language. */
export function useTexts() {
  const intl = useIntl();
  const t: Translate = (key, values) => intl.formatMessage({ id: key }, values);
  const service = (name: string) => (SERVICE_NAMES[name] ? t(SERVICE_NAMES[name]) : name);
  /** The catalog's wording of an API message when it has one (`wizard.error.<code>`, `wizard.problem.<type>`), else the API's English. */
  const known = (key: string) => (key in intl.messages ? (key as WizardMessageKey) : undefined);
  const fieldText = (error: Pick<FieldError, 'message' | 'code' | 'values'>) => {
    const key = error.code && known(`wizard.error.${error.code}`);
    return key ? t(key, error.values) : error.message;
  };
  /** The API words problems in English: other languages get the catalog's, by type, else by status. */
  const problemText = (problem: Problem) => {
    const key = known(`wizard.problem.${problem.type.split(':').pop() ?? ''}`) ?? (problem.status >= 500 ? 'wizard.problem.unavailable' : undefined);
    if (key) return t(key);
    return intl.locale.startsWith('en') ? (problem.detail ?? problem.title) : t('ui.somethingWentWrong');
  };
  const wording: ProblemWording = { field: fieldText, problem: problemText };
  return {
    t,
    wording,
    fieldText,
    problemText,
    /** "Messaging, Meetings and Calling". */
    services: (names: readonly string[]) => intl.formatList(names.map(service), { type: 'conjunction' }),
    service,
    country: (code: string) => intl.formatDisplayName(code, { type: 'region', fallback: 'code' }) ?? code,
    /** A calendar date `YYYY-MM-DD`. */
    date: (isoDate: string) => intl.formatDate(`${isoDate}T12:00:00Z`, { dateStyle: 'long', timeZone: 'UTC' }),
    /** A moment in the reader's own clock. */
    dateTime: (iso: string) => intl.formatDate(iso, { dateStyle: 'medium', timeStyle: 'short' }),
    /** A moment as the clock in `timeZone` shows it, the zone named. */
    inZone: (iso: string, timeZone: string) => {
      try {
        const moment = intl.formatDate(iso, { dateStyle: 'medium', timeStyle: 'short', timeZone });
        if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return `${moment} UTC`;
        return t('ui.inZone', { moment, city: (timeZone.split('/').pop() ?? timeZone).replaceAll('_', ' ') });
      } catch {
        return t('ui.yourTime', { moment: intl.formatDate(iso, { dateStyle: 'medium', timeStyle: 'short' }) });
      }
    },
    /** The label next to a field plus the API's message: "is required" reads "Email is required". */
    field: (label: string, message: string) => (/^[a-z]/.test(message) ? t('ui.fieldMessage', { label, message }).replace(/\.\.$/, '.') : message),
  };
}

export function LanguageSwitch() {
  const { locale, choose } = useContext(LocaleContext);
  const { t } = useTexts();
  return (
    <div className="language-switch" role="group" aria-label={t('ui.language')}>
      {LOCALES.map((option) => (
        <button
          key={option}
          type="button"
          lang={option}
          className={`language-option${option === locale ? ' current' : ''}`}
          aria-pressed={option === locale}
          onClick={() => choose(option)}
        >
          {LANGUAGE_NAMES[option]}
        </button>
      ))}
    </div>
  );
}

/** The wizard's page frame: the product name in the chosen language and the language switch. */
export function WizardShell({ children }: { children: ReactNode }) {
  const { t } = useTexts();
  return (
    <Shell product={t('ui.product')} skipLabel={t('ui.skipToContent')} aside={<LanguageSwitch />}>
      {children}
    </Shell>
  );
}

/** The form-level errors of a refused request, titled in the chosen language. */
export function FormErrors({ messages }: { messages: string[] }) {
  const { t } = useTexts();
  return <UiFormErrors messages={messages} title={t('ui.formErrors')} />;
}

/** A wizard form (./useForm.ts) whose refusals read in the chosen language. */
export function useWizardForm(inputNames: readonly string[]) {
  const { wording } = useTexts();
  return useForm(inputNames, wording);
}
