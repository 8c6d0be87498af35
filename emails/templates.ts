// Every email the service sends, as pure functions from plain JSON to { subject, html, text }.
// An EmailTemplate travels through workflow history, so it never holds a link token: the email
// activity mints the link and passes its URL to renderEmail.
import type { OrderPayload, Product, Service } from '../domain/order.js';

/** What an email shows about an order. */
export interface OrderSummary {
  orderId: string;
  product: Product;
  services: Service[];
  customer: { name: string; country: string };
  partner: { name: string };
  /** `YYYY-MM-DD` in `timezone`. */
  requestedStartDate: string;
  /** IANA zone in which dates and times are shown. */
  timezone: string;
}

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
  | { kind: 'rep-escalation'; order: OrderSummary; repName: string; contactEmail: string }
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
export const LINK_REQUIRED_PURPOSES: readonly EmailPurpose[] = ['setup', 'reminder-escalation', 'reminder-expiry', 'reminder-idle', 'delegated'];

/** Purposes whose whole point is a consent link. */
export const CONSENT_REQUIRED_PURPOSES: readonly EmailPurpose[] = ['consent-request'];

export interface RenderedEmail {
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

/** The summary fields of an order as the workflow holds it. Pure: usable in workflow code. */
export function orderSummary(order: OrderPayload & { timezone: string }): OrderSummary {
  return {
    orderId: order.orderId,
    product: order.product,
    services: [...order.services],
    customer: { name: order.customer.name, country: order.customer.country },
    partner: { name: order.partner.name },
    requestedStartDate: order.requestedStartDate,
    timezone: order.timezone,
  };
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

function formatDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1)),
  );
}

function formatInstant(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
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

function orderFacts(order: OrderSummary): Block {
  return {
    type: 'facts',
    rows: [
      ['Order', order.orderId],
      ['Product', order.product],
      ['Services', order.services.map((s) => SERVICE_NAMES[s]).join(', ')],
      ['Customer', `${order.customer.name} (${order.customer.country})`],
      ['Partner', order.partner.name],
      ['Requested start date', formatDate(order.requestedStartDate)],
    ],
  };
}

function requireLink(context: RenderContext, kind: EmailPurpose): string {
  if (!context.linkUrl) throw new Error(`The ${kind} email needs a wizard link`);
  return context.linkUrl;
}

function linkFallback(url: string): Block {
  return { type: 'note', text: `If the button does not work, copy this address into your browser: ${url}` };
}

function content(template: EmailTemplate, context: RenderContext): EmailContent {
  const { order } = template;
  const customer = order.customer.name;
  const repUrl = repOrderUrl(context.publicBaseUrl, order.orderId);
  switch (template.kind) {
    case 'setup': {
      const url = requireLink(context, template.kind);
      return {
        subject: `Configure your Webex order ${order.orderId} for ${customer}`,
        heading: `Your Webex order for ${customer} is ready to configure`,
        blocks: [
          { type: 'paragraph', text: 'The order below has reached its start date. Configuring it takes a few minutes: you confirm the organizations, name the customer administrator and set up the services.' },
          orderFacts(order),
          { type: 'button', label: 'Configure now', url },
          { type: 'paragraph', text: `This link works until ${formatInstant(template.expiresAt, order.timezone)}. You can forward it to a colleague, or hand the setup to the customer from inside the wizard.` },
          linkFallback(url),
        ],
      };
    }
    case 'reminder-escalation':
    case 'reminder-expiry': {
      const url = requireLink(context, template.kind);
      const expiry = formatInstant(template.expiresAt, order.timezone);
      const urgent = template.kind === 'reminder-expiry';
      return {
        subject: urgent
          ? `Reminder: Webex order ${order.orderId} for ${customer} expires soon`
          : `Reminder: Webex order ${order.orderId} for ${customer} is waiting to be configured`,
        heading: urgent ? `Order ${order.orderId} expires on ${expiry}` : `Order ${order.orderId} is still waiting for you`,
        blocks: [
          {
            type: 'paragraph',
            text: urgent
              ? `Nobody has configured this order yet. If it is not configured by ${expiry}, it expires and has to be ordered again.`
              : 'Nobody has started configuring this order yet, and the customer is waiting for their services.',
          },
          orderFacts(order),
          { type: 'button', label: 'Configure now', url },
          { type: 'paragraph', text: `This link works until ${expiry}.` },
          linkFallback(url),
        ],
      };
    }
    case 'reminder-idle': {
      const url = requireLink(context, template.kind);
      const expiry = formatInstant(template.expiresAt, order.timezone);
      return {
        subject: `Reminder: finish configuring Webex order ${order.orderId} for ${customer}`,
        heading: `You started configuring order ${order.orderId}`,
        blocks: [
          { type: 'paragraph', text: 'You began setting up this order but did not finish. Pick up where you left off; the customer is waiting for their services.' },
          orderFacts(order),
          { type: 'button', label: 'Continue', url },
          { type: 'paragraph', text: `This link works until ${expiry}.` },
          linkFallback(url),
        ],
      };
    }
    case 'delegated': {
      const url = requireLink(context, template.kind);
      const role = template.audience === 'customer' ? 'customer administrator' : 'colleague';
      return {
        subject: `${template.delegatedBy} asked you to configure Webex order ${order.orderId}`,
        heading: `You have been asked to configure a Webex order for ${customer}`,
        blocks: [
          { type: 'paragraph', text: `${template.delegatedBy} handed this order to you as the ${role} who will configure it.` },
          orderFacts(order),
          { type: 'button', label: 'Configure now', url },
          { type: 'paragraph', text: `This link works until ${formatInstant(template.expiresAt, order.timezone)}.` },
          linkFallback(url),
        ],
      };
    }
    case 'rep-escalation':
      return {
        subject: `Escalation: nobody has started configuring order ${order.orderId} (${customer})`,
        heading: `Order ${order.orderId} needs your attention`,
        blocks: [
          { type: 'paragraph', text: `Hello ${template.repName}, the provisioning contact ${template.contactEmail} has not started configuring this order since its setup email went out. The order is still waiting; you can resend the link or change the contact.` },
          orderFacts(order),
          { type: 'button', label: 'Open the order', url: repUrl },
        ],
      };
    case 'rep-on-hold':
      return {
        subject: template.consentDeclined
          ? `On hold: order ${order.orderId} (${customer}) — the customer organization declined`
          : `On hold: order ${order.orderId} (${customer}) — ${template.organization} organization not recognised`,
        heading: `Order ${order.orderId} is on hold`,
        blocks: [
          {
            type: 'paragraph',
            text: template.consentDeclined
              ? `Hello ${template.repName}, the administrator of the existing customer organization chosen for this order declined to let it be set up there. Please agree the organization with the customer and resume the order.`
              : `Hello ${template.repName}, the person configuring this order did not recognise the ${template.organization} organization we proposed. Please check the organization and resume the order.`,
          },
          orderFacts(order),
          { type: 'button', label: 'Open the order', url: repUrl },
        ],
      };
    case 'consent-request': {
      if (!context.consentUrl) throw new Error('The consent-request email needs a consent link');
      const url = context.consentUrl;
      const expiry = formatInstant(template.expiresAt, order.timezone);
      const asked = template.attachPartner
        ? `${order.partner.name}, a Cisco partner, asks to manage your Webex organization and to make ${template.newAdminEmail} one of its administrators`
        : `Someone setting up a Webex order asks to make ${template.newAdminEmail} an administrator of your Webex organization`;
      return {
        subject: `${template.reminder ? 'Reminder: ' : ''}Approve or decline: Webex order ${order.orderId} for your organization`,
        heading: 'Your approval is needed for a Webex order',
        blocks: [
          { type: 'paragraph', text: `You are an administrator of an existing Webex organization. ${asked}, for the order below. Nothing changes in your organization unless you approve.` },
          orderFacts(order),
          { type: 'button', label: 'Approve', url: `${url}?decision=approve` },
          { type: 'button', label: 'Decline', url: `${url}?decision=decline` },
          { type: 'paragraph', text: `Both buttons open a page where you confirm your answer. This link works until ${expiry}. If you do not know this order, decline.` },
          linkFallback(url),
        ],
      };
    }
    case 'consent-declined':
      return {
        subject: `Webex order ${order.orderId} for ${customer} is on hold`,
        heading: `Order ${order.orderId} is on hold`,
        blocks: [
          { type: 'paragraph', text: `The administrator of the existing customer organization you chose declined to let this order be set up there. ${template.repName}, your Cisco account representative (${template.repEmail}), will contact you to agree the organization.` },
          orderFacts(order),
        ],
      };
    case 'rep-email-rejected':
      return {
        subject: `Email rejected for order ${order.orderId} (${customer})`,
        heading: `An email for order ${order.orderId} could not be delivered`,
        blocks: [
          { type: 'paragraph', text: `Hello ${template.repName}, our email provider refused the address ${template.rejectedRecipient}: ${template.reason}. Please change the contact for this order.` },
          orderFacts(order),
          { type: 'button', label: 'Open the order', url: repUrl },
        ],
      };
    case 'rep-expired':
      return {
        subject: `Expired: order ${order.orderId} (${customer}) was never configured`,
        heading: `Order ${order.orderId} has expired`,
        blocks: [
          { type: 'paragraph', text: `Hello ${template.repName}, this order was not configured in time and expired on ${formatInstant(template.expiredAt, order.timezone)}. Its links no longer work; the commerce system has to order it again.` },
          orderFacts(order),
          { type: 'button', label: 'Open the order', url: repUrl },
        ],
      };
    case 'rep-provisioning-failed':
      return {
        subject: `Provisioning failed for order ${order.orderId} (${customer})`,
        heading: `Order ${order.orderId} could not be provisioned`,
        blocks: [
          { type: 'paragraph', text: `Hello ${template.repName}, activating the services of this order failed: ${template.error}` },
          orderFacts(order),
          { type: 'button', label: 'Open the order', url: repUrl },
        ],
      };
    case 'order-configured': {
      const configured: Array<[string, string]> = [];
      if (template.partnerOrganization) configured.push(['Partner organization', template.partnerOrganization]);
      if (template.customerOrganization) configured.push(['Customer organization', template.customerOrganization]);
      if (template.customerAdminEmail) configured.push(['Customer administrator', template.customerAdminEmail]);
      return {
        subject: `Order ${order.orderId} for ${customer} is configured`,
        heading: `Order ${order.orderId} is configured`,
        blocks: [
          { type: 'paragraph', text: 'The organizations are set up and the customer administrator is assigned. What remains is the service setup, after which the services are activated.' },
          orderFacts(order),
          ...(configured.length ? [{ type: 'facts' as const, rows: configured }] : []),
          ...(context.linkUrl
            ? [{ type: 'button' as const, label: 'Continue with service setup', url: context.linkUrl }, linkFallback(context.linkUrl)]
            : []),
        ],
      };
    }
    case 'provisioned':
      return {
        subject: `Webex services for ${customer} are active (order ${order.orderId})`,
        heading: `Order ${order.orderId} is provisioned`,
        blocks: [
          { type: 'paragraph', text: `The subscription is active and billing has started. Services: ${order.services.map((s) => SERVICE_NAMES[s]).join(', ')}.` },
          orderFacts(order),
          ...(template.audience === 'rep' ? [{ type: 'button' as const, label: 'Open the order', url: repUrl }] : []),
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
  const { subject, heading, blocks } = content(template, context);
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(subjectLine(subject))}</title></head>` +
    `<body style="margin:0;padding:0;background:#f4f5f7"><div style="${FONT};max-width:600px;margin:0 auto;padding:24px;background:#ffffff">` +
    `<h1 style="font-size:22px;line-height:1.3;margin:0 0 16px">${escapeHtml(heading)}</h1>` +
    blocks.map(blockHtml).join('') +
    '<p style="margin:24px 0 0;font-size:13px;color:#4a4a4a">Sent by the Webex order provisioning service.</p>' +
    '</div></body></html>';
  const text = [heading, ...blocks.map(blockText).filter(Boolean), 'Sent by the Webex order provisioning service.'].join('\n\n');
  return { subject: subjectLine(subject), html, text: `${text}\n` };
}
