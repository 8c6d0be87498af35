// Every email the service sends, as pure functions from plain JSON to { subject, html, text }.
// An EmailTemplate travels through workflow history, so it never holds a link token: the email
// activity mints the link and passes its URL to renderEmail.
import { createIntl, createIntlCache } from '@formatjs/intl';
import { FORMAT_TAGS, type Locale, orderLocale } from '../domain/locale.js';
import type { HoldReason, Service } from '../domain/order.js';
import { EMAIL_MESSAGES, type EmailMessageKey, REP_EMAIL_MESSAGES, type RepEmailMessageKey } from '../i18n/emails.js';
import type { OrderSummary } from './summary.js';

export { type OrderSummary, orderSummary } from './summary.js';

/** Who a handed-over link is for (SPEC §3 step 4). */
export type DelegationAudience = 'colleague' | 'customer';

export type EmailTemplate =
  /** The "Configure now" email to the provisioning contact. Needs a link. */
  | { kind: 'setup'; order: OrderSummary; expiresAt: string }
  /** To the contact at escalation time. Needs a link. */
  | { kind: 'reminder-escalation'; order: OrderSummary; expiresAt: string }
  /** To the contact 48 h before expiry. Needs a link. */
  | { kind: 'reminder-expiry'; order: OrderSummary; expiresAt: string }
  /** To the link holder whose wizard session stopped before step 8 (SESSION_IDLE_REMINDER_AFTER). Needs a link. */
  | { kind: 'reminder-idle'; order: OrderSummary; expiresAt: string }
  /** To the colleague or customer the contact handed the order to. Needs a link. */
  | { kind: 'delegated'; order: OrderSummary; audience: DelegationAudience; delegatedBy: string; expiresAt: string }
  /**
   * After the point of no return, to the link holder: a resent link, a new contact, or (`reminder`)
   * SETUP_REMINDER_AFTER without provisioning. Needs a link, which has no deadline.
   */
  | { kind: 'finish-setup'; order: OrderSummary; reminder: boolean; customerOrganization: string }
  /** To the link holder after a rep resumed an order on hold: what the rep decided. Needs a link. */
  | {
      kind: 'resumed';
      order: OrderSummary;
      reason: string;
      /** Why it was held (what the rep looked into); absent: an org was not recognised. */
      heldFor?: HoldReason;
      partnerOrganization?: string;
      customerOrganization?: string;
      expiresAt: string;
    }
  /** To the link holder when provisioning failed: the rep is on it, nothing was billed. */
  | { kind: 'provisioning-failed'; order: OrderSummary; repName: string }
  | { kind: 'rep-escalation'; order: OrderSummary; repName: string; contactEmail: string }
  /** SETUP_ESCALATION_AFTER after step 8 without provisioning. */
  | { kind: 'rep-setup-stalled'; order: OrderSummary; repName: string; holderEmail: string; configuredAt: string }
  | { kind: 'rep-on-hold'; order: OrderSummary; repName: string; organization: 'partner' | 'customer'; consentDeclined?: boolean }
  /**
   * To the full admin of an existing customer org (SPEC §7.2): may this order attach its partner or
   * add an admin? Needs a consent link. `reminder`: the follow-up after ESCALATION_AFTER.
   */
  | { kind: 'consent-request'; order: OrderSummary; newAdminEmail: string; attachPartner: boolean; expiresAt: string; reminder: boolean }
  /** To the link holder: the org's admin declined, the order is on hold with the rep. */
  | { kind: 'consent-declined'; order: OrderSummary; repName: string; repEmail: string }
  | { kind: 'rep-email-rejected'; order: OrderSummary; repName: string; rejectedRecipient: string; reason: string }
  | { kind: 'rep-expired'; order: OrderSummary; repName: string; expiredAt: string }
  | { kind: 'rep-provisioning-failed'; order: OrderSummary; repName: string; error: string }
  /** To the contact after step 8. A link is optional: with one, the email offers to continue with service setup. */
  | {
      kind: 'order-configured';
      order: OrderSummary;
      partnerOrganization?: string;
      customerOrganization?: string;
      customerAdminEmail?: string;
    }
  /** To the contact and, as a separate email, to the rep. */
  | { kind: 'provisioned'; order: OrderSummary; audience: 'contact' | 'rep' };

export type EmailPurpose = EmailTemplate['kind'];

/** Purposes whose whole point is a wizard link: rendering them without one is a programming error. */
/** ICU `select` keys cannot hold a hyphen: the catalogs' names for the hold reasons. */
const HELD_FOR_SELECTOR: Record<HoldReason, string> = { 'not-recognised': 'notRecognised', 'consent-declined': 'consentDeclined', 'commit-refused': 'commitRefused' };

export const LINK_REQUIRED_PURPOSES: readonly EmailPurpose[] = ['setup', 'reminder-escalation', 'reminder-expiry', 'reminder-idle', 'delegated', 'finish-setup', 'resumed'];

/** Purposes whose whole point is a consent link. */
export const CONSENT_REQUIRED_PURPOSES: readonly EmailPurpose[] = ['consent-request'];

export interface RenderedEmail {
  /** The language it was written in. */
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

export interface RenderContext {
  /** PUBLIC_BASE_URL, for links to the rep console. */
  publicBaseUrl: string;
  /** `<PUBLIC_BASE_URL>/wizard/<token>`, minted by the email activity. */
  linkUrl?: string | undefined;
  /** `<PUBLIC_BASE_URL>/consent/<token>`, minted by the email activity. */
  consentUrl?: string | undefined;
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Subjects are a header: no line breaks or control characters from customer-supplied names. */
function subjectLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

const SERVICE_NAMES: Record<Service, string> = {
  messaging: 'Webex Messaging',
  meetings: 'Webex Meetings',
  calling: 'Webex Calling',
};

const intlCache = createIntlCache();

/** The texts, dates and names of one email, in one language and the order's time zone. */
interface Texts {
  locale: Locale;
  t(key: EmailMessageKey | RepEmailMessageKey, values?: Record<string, string>): string;
  /** A calendar date `YYYY-MM-DD`, as a date without time zone. */
  date(date: string): string;
  /** An instant, in the order's time zone, naming the zone. */
  instant(iso: string): string;
  /** A country's name from its ISO code. */
  country(code: string): string;
}

// Rep-facing keys exist only in English; other languages would add their own rep catalog.
const CATALOGS: Record<Locale, Record<string, string>> = { ...EMAIL_MESSAGES, en: { ...EMAIL_MESSAGES.en, ...REP_EMAIL_MESSAGES } };

function textsFor(locale: Locale, timeZone: string): Texts {
  const messages = CATALOGS[locale];
  const intl = createIntl({ locale: FORMAT_TAGS[locale], messages, timeZone, onError: (error) => { throw error; } }, intlCache);
  return {
    locale,
    t: (key, values) => intl.formatMessage({ id: key }, values),
    date: (date) => intl.formatDate(`${date}T00:00:00Z`, { dateStyle: 'long', timeZone: 'UTC' }),
    instant: (iso) =>
      intl.formatDate(iso, { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }),
    country: (code) => intl.formatDisplayName(code, { type: 'region', fallback: 'code' }) ?? code,
  };
}

function repOrderUrl(publicBaseUrl: string, orderId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/rep/orders/${encodeURIComponent(orderId)}`;
}

/** A block of the email body; rendered once as HTML and once as plain text. */
type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'facts'; rows: Array<[label: string, value: string]> }
  | { type: 'button'; label: string; url: string }
  | { type: 'note'; text: string };

interface EmailContent {
  subject: string;
  /** First line of the body, also the preheader most clients show next to the subject. */
  heading: string;
  blocks: Block[];
}

function serviceNames(order: OrderSummary): string {
  return order.services.map((s) => SERVICE_NAMES[s]).join(', ');
}

function orderFacts(order: OrderSummary, { t, date, country }: Texts): Block {
  return {
    type: 'facts',
    rows: [
      [t('email.facts.order'), order.orderId],
      [t('email.facts.product'), order.product],
      [t('email.facts.services'), serviceNames(order)],
      [t('email.facts.customer'), `${order.customer.name} (${country(order.customer.country)})`],
      [t('email.facts.partner'), order.partner.name],
      [t('email.facts.requestedStartDate'), date(order.requestedStartDate)],
    ],
  };
}

function requireLink(context: RenderContext, kind: EmailPurpose): string {
  if (!context.linkUrl) throw new Error(`The ${kind} email needs a wizard link`);
  return context.linkUrl;
}

function linkFallback(url: string, { t }: Texts): Block {
  return { type: 'note', text: t('email.linkFallback', { url }) };
}

/** Rep-facing emails are English, like the rep console; the others speak the order's language. */
function templateLocale(template: EmailTemplate): Locale {
  const toRep = template.kind.startsWith('rep-') || (template.kind === 'provisioned' && template.audience === 'rep');
  return toRep ? 'en' : orderLocale(template.order);
}

function content(template: EmailTemplate, context: RenderContext, texts: Texts): EmailContent {
  const { t } = texts;
  const { order } = template;
  const names = { orderId: order.orderId, customer: order.customer.name };
  const repUrl = repOrderUrl(context.publicBaseUrl, order.orderId);
  const openOrder: Block = { type: 'button', label: t('email.button.openOrder'), url: repUrl };
  switch (template.kind) {
    case 'setup': {
      const url = requireLink(context, template.kind);
      return {
        subject: t('email.setup.subject', names),
        heading: t('email.setup.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.setup.intro') },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.configure'), url },
          { type: 'paragraph', text: t('email.setup.linkNote', { expiry: texts.instant(template.expiresAt) }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'reminder-escalation':
    case 'reminder-expiry': {
      const url = requireLink(context, template.kind);
      const expiry = texts.instant(template.expiresAt);
      const which = template.kind === 'reminder-expiry' ? 'reminderExpiry' : 'reminderEscalation';
      return {
        subject: t(`email.${which}.subject`, names),
        heading: t(`email.${which}.heading`, { ...names, expiry }),
        blocks: [
          { type: 'paragraph', text: t(`email.${which}.intro`, { expiry }) },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.configure'), url },
          { type: 'paragraph', text: t('email.linkValidUntil', { expiry }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'reminder-idle': {
      const url = requireLink(context, template.kind);
      return {
        subject: t('email.reminderIdle.subject', names),
        heading: t('email.reminderIdle.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.reminderIdle.intro') },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.continue'), url },
          { type: 'paragraph', text: t('email.linkValidUntil', { expiry: texts.instant(template.expiresAt) }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'delegated': {
      const url = requireLink(context, template.kind);
      const values = { ...names, delegatedBy: template.delegatedBy, audience: template.audience };
      return {
        subject: t('email.delegated.subject', values),
        heading: t('email.delegated.heading', values),
        blocks: [
          { type: 'paragraph', text: t('email.delegated.intro', values) },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.configure'), url },
          { type: 'paragraph', text: t('email.linkValidUntil', { expiry: texts.instant(template.expiresAt) }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'finish-setup': {
      const url = requireLink(context, template.kind);
      const intro = t('email.finishSetup.intro', { customerOrganization: template.customerOrganization });
      return {
        subject: t(template.reminder ? 'email.finishSetup.reminderSubject' : 'email.finishSetup.subject', names),
        heading: t('email.finishSetup.heading', names),
        blocks: [
          { type: 'paragraph', text: template.reminder ? `${intro} ${t('email.finishSetup.reminderNote')}` : intro },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.finishSetup'), url },
          { type: 'paragraph', text: t('email.finishSetup.linkNote') },
          linkFallback(url, texts),
        ],
      };
    }
    case 'resumed': {
      const url = requireLink(context, template.kind);
      const named: Array<[string, string]> = [];
      if (template.partnerOrganization) named.push([t('email.facts.partnerOrganization'), template.partnerOrganization]);
      if (template.customerOrganization) named.push([t('email.facts.customerOrganization'), template.customerOrganization]);
      return {
        subject: t('email.resumed.subject', names),
        heading: t('email.resumed.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.resumed.intro', { reason: template.reason, heldFor: HELD_FOR_SELECTOR[template.heldFor ?? 'not-recognised'] }) },
          ...(named.length ? [{ type: 'paragraph' as const, text: t('email.resumed.named') }, { type: 'facts' as const, rows: named }] : []),
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.configure'), url },
          { type: 'paragraph', text: t('email.resumed.linkNote', { expiry: texts.instant(template.expiresAt) }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'provisioning-failed':
      return {
        subject: t('email.provisioningFailed.subject', names),
        heading: t('email.provisioningFailed.heading', names),
        blocks: [{ type: 'paragraph', text: t('email.provisioningFailed.intro', { repName: template.repName }) }, orderFacts(order, texts)],
      };
    case 'rep-setup-stalled':
      return {
        subject: t('email.rep.setupStalled.subject', names),
        heading: t('email.rep.setupStalled.heading', names),
        blocks: [
          {
            type: 'paragraph',
            text: t('email.rep.setupStalled.intro', { repName: template.repName, configuredAt: texts.instant(template.configuredAt), holderEmail: template.holderEmail }),
          },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'rep-escalation':
      return {
        subject: t('email.rep.escalation.subject', names),
        heading: t('email.rep.escalation.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.rep.escalation.intro', { repName: template.repName, contactEmail: template.contactEmail }) },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'rep-on-hold':
      return {
        subject: template.consentDeclined
          ? t('email.rep.onHoldDeclined.subject', names)
          : t('email.rep.onHold.subject', { ...names, organization: template.organization }),
        heading: t('email.rep.onHold.heading', names),
        blocks: [
          {
            type: 'paragraph',
            text: template.consentDeclined
              ? t('email.rep.onHoldDeclined.intro', { repName: template.repName })
              : t('email.rep.onHold.intro', { repName: template.repName, organization: template.organization }),
          },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'consent-request': {
      if (!context.consentUrl) throw new Error('The consent-request email needs a consent link');
      const url = context.consentUrl;
      return {
        subject: t('email.consentRequest.subject', { ...names, reminder: template.reminder ? 'yes' : 'no' }),
        heading: t('email.consentRequest.heading', names),
        blocks: [
          {
            type: 'paragraph',
            text: template.attachPartner
              ? t('email.consentRequest.askedPartner', { partner: order.partner.name, newAdmin: template.newAdminEmail })
              : t('email.consentRequest.askedAdmin', { newAdmin: template.newAdminEmail }),
          },
          orderFacts(order, texts),
          { type: 'button', label: t('email.button.approve'), url: `${url}?decision=approve` },
          { type: 'button', label: t('email.button.decline'), url: `${url}?decision=decline` },
          { type: 'paragraph', text: t('email.consentRequest.note', { expiry: texts.instant(template.expiresAt) }) },
          linkFallback(url, texts),
        ],
      };
    }
    case 'consent-declined':
      return {
        subject: t('email.consentDeclined.subject', names),
        heading: t('email.consentDeclined.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.consentDeclined.intro', { repName: template.repName, repEmail: template.repEmail }) },
          orderFacts(order, texts),
        ],
      };
    case 'rep-email-rejected':
      return {
        subject: t('email.rep.emailRejected.subject', names),
        heading: t('email.rep.emailRejected.heading', names),
        blocks: [
          {
            type: 'paragraph',
            text: t('email.rep.emailRejected.intro', { repName: template.repName, rejectedRecipient: template.rejectedRecipient, reason: template.reason }),
          },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'rep-expired':
      return {
        subject: t('email.rep.expired.subject', names),
        heading: t('email.rep.expired.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.rep.expired.intro', { repName: template.repName, expiredAt: texts.instant(template.expiredAt) }) },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'rep-provisioning-failed':
      return {
        subject: t('email.rep.provisioningFailed.subject', names),
        heading: t('email.rep.provisioningFailed.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.rep.provisioningFailed.intro', { repName: template.repName, error: template.error }) },
          orderFacts(order, texts),
          openOrder,
        ],
      };
    case 'order-configured': {
      const configured: Array<[string, string]> = [];
      if (template.partnerOrganization) configured.push([t('email.facts.partnerOrganization'), template.partnerOrganization]);
      if (template.customerOrganization) configured.push([t('email.facts.customerOrganization'), template.customerOrganization]);
      if (template.customerAdminEmail) configured.push([t('email.facts.customerAdministrator'), template.customerAdminEmail]);
      return {
        subject: t('email.orderConfigured.subject', names),
        heading: t('email.orderConfigured.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.orderConfigured.intro') },
          orderFacts(order, texts),
          ...(configured.length ? [{ type: 'facts' as const, rows: configured }] : []),
          ...(context.linkUrl
            ? [{ type: 'button' as const, label: t('email.button.serviceSetup'), url: context.linkUrl }, linkFallback(context.linkUrl, texts)]
            : []),
        ],
      };
    }
    case 'provisioned':
      return {
        subject: t('email.provisioned.subject', names),
        heading: t('email.provisioned.heading', names),
        blocks: [
          { type: 'paragraph', text: t('email.provisioned.intro', { services: serviceNames(order) }) },
          orderFacts(order, texts),
          ...(template.audience === 'rep' ? [openOrder] : []),
        ],
      };
  }
}

const FONT = "font-family:Arial,Helvetica,sans-serif;color:#1b1b1b;font-size:16px;line-height:1.5";

function blockHtml(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return `<p style="margin:0 0 16px">${escapeHtml(block.text)}</p>`;
    case 'note':
      return `<p style="margin:0 0 16px;font-size:14px;color:#4a4a4a;word-break:break-all">${escapeHtml(block.text)}</p>`;
    case 'facts':
      return (
        '<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:0 0 20px;width:100%">' +
        block.rows
          .map(
            ([label, value]) =>
              `<tr><th scope="row" style="text-align:left;vertical-align:top;padding:6px 16px 6px 0;font-weight:bold;white-space:nowrap">${escapeHtml(label)}</th>` +
              `<td style="padding:6px 0">${escapeHtml(value)}</td></tr>`,
          )
          .join('') +
        '</table>'
      );
    case 'button':
      return (
        '<p style="margin:8px 0 24px">' +
        `<a href="${escapeHtml(block.url)}" style="display:inline-block;background:#0b5cff;color:#ffffff;font-size:18px;font-weight:bold;text-decoration:none;padding:14px 32px;border-radius:6px">${escapeHtml(block.label)}</a>` +
        '</p>'
      );
  }
}

function blockText(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return block.text;
    case 'note':
      // The plain text already spells out every address; the HTML-only hints add nothing here.
      return '';
    case 'facts':
      return block.rows.map(([label, value]) => `${label}: ${value}`).join('\n');
    case 'button':
      return `${block.label}: ${block.url}`;
  }
}

export function renderEmail(template: EmailTemplate, context: RenderContext): RenderedEmail {
  const texts = textsFor(templateLocale(template), template.order.timezone);
  const { subject, heading, blocks } = content(template, context, texts);
  const footer = texts.t('email.footer');
  const html =
    `<!doctype html><html lang="${texts.locale}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(subjectLine(subject))}</title></head>` +
    `<body style="margin:0;padding:0;background:#f4f5f7"><div style="${FONT};max-width:600px;margin:0 auto;padding:24px;background:#ffffff">` +
    `<h1 style="font-size:22px;line-height:1.3;margin:0 0 16px">${escapeHtml(heading)}</h1>` +
    blocks.map(blockHtml).join('') +
    `<p style="margin:24px 0 0;font-size:13px;color:#4a4a4a">${escapeHtml(footer)}</p>` +
    '</div></body></html>';
  const text = [heading, ...blocks.map(blockText).filter(Boolean), footer].join('\n\n');
  return { subject: subjectLine(subject), html, text: `${text}\n`, locale: texts.locale };
}
