// The languages of emails and wizard pages (SPEC §7.4). Pure: imported by the workflow, the API,
// the email templates and, type-only, the pages.

export const LOCALES = ['nb', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const isLocale = (value: unknown): value is Locale => typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/** Norwegian Bokmål for customers in Norway, English for everyone else. */
export const defaultLocale = (country: string): Locale => (country === 'NO' ? 'nb' : 'en');

/** An order's language: the one intake named, else the default (also for orders received before locales existed). */
export const orderLocale = (order: { locale?: Locale | undefined; customer: { country: string } }): Locale =>
  order.locale ?? defaultLocale(order.customer.country);

/** The BCP 47 tag dates and numbers are formatted with: British English writes "15 January 2030". */
export const FORMAT_TAGS: Record<Locale, string> = { nb: 'nb-NO', en: 'en-GB' };
