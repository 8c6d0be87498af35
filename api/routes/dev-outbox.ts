// Development without an email provider: the emails that would have gone, with working links.
// Registered only when RESEND_API_KEY is unset and not in production: these bodies hold live tokens.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Database } from '../../db/client.js';
import { type EmailDeliveryStatus, emailDeliveries } from '../../db/schema/index.js';
import { LOCALES, type Locale } from '../../domain/locale.js';
import { escapeHtml } from '../../emails/templates.js';

const OUTBOX_PAGE_SIZE = 200;

const OutboxQuery = Type.Object(
  {
    orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only this order’s emails' })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Only emails to this address' })),
  },
  { additionalProperties: false },
);

const OutboxItem = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  purpose: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  status: Type.Literal('outbox', { description: 'Kept here instead of sent' }),
  locale: Type.Union([Type.Enum(LOCALES), Type.Null()], { description: 'The language it was written in' }),
  createdAt: Type.String({ format: 'date-time' }),
});

interface OutboxEntry {
  id: string;
  orderId: string;
  purpose: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  status: EmailDeliveryStatus;
  /** Why a rejected or skipped email did not go. */
  reason: string | null;
  locale: Locale | null;
  createdAt: string;
}

/** The page also lists the emails that never went, so a developer sees why; the JSON only those kept. */
const PAGE_STATUSES: EmailDeliveryStatus[] = ['outbox', 'rejected', 'skipped'];

const STATUS_TEXT: Partial<Record<EmailDeliveryStatus, string>> = {
  outbox: 'Kept here (not sent)',
  rejected: 'Rejected: never sent',
  skipped: 'Skipped: its link had ended',
};

const LANGUAGE_NAMES: Record<Locale, string> = { nb: 'Norwegian Bokmål (nb)', en: 'English (en)' };

const URL_IN_TEXT = /https?:\/\/[^\s<>"]+/g;

/** Links in the email open in a new tab: the sandboxed frame itself may not navigate. */
function framedEmail(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head([^>]*)>/i, `<head$1>${base}`) : base + html;
}

function outboxPage(entries: OutboxEntry[]): string {
  const items = entries
    .map((entry) => {
      const links = [...new Set(entry.text.match(URL_IN_TEXT) ?? [])];
      return (
        `<article class="email" data-email-id="${escapeHtml(entry.id)}">` +
        `<h2>${escapeHtml(entry.subject)}</h2>` +
        '<dl>' +
        `<dt>To</dt><dd>${escapeHtml(entry.to)}</dd>` +
        `<dt>Purpose</dt><dd>${escapeHtml(entry.purpose)}</dd>` +
        `<dt>Order</dt><dd>${escapeHtml(entry.orderId)}</dd>` +
        `<dt>Language</dt><dd>${entry.locale ? escapeHtml(LANGUAGE_NAMES[entry.locale]) : 'unknown'}</dd>` +
        `<dt>Status</dt><dd class="status status-${escapeHtml(entry.status)}">${escapeHtml(STATUS_TEXT[entry.status] ?? entry.status)}` +
        (entry.reason ? ` — ${escapeHtml(entry.reason)}` : '') +
        '</dd>' +
        `<dt>Created</dt><dd><time datetime="${escapeHtml(entry.createdAt)}">${escapeHtml(entry.createdAt)}</time></dd>` +
        '</dl>' +
        (links.length
          ? `<p>Links: ${links.map((url) => `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`).join(' ')}</p>`
          : '') +
        (entry.html
          ? `<iframe title="${escapeHtml(`Email: ${entry.subject}`)}" sandbox="allow-popups allow-popups-to-escape-sandbox" ` +
            `srcdoc="${escapeHtml(framedEmail(entry.html))}"></iframe>` +
            `<details><summary>Plain text</summary><pre>${escapeHtml(entry.text)}</pre></details>`
          : '') +
        '</article>'
      );
    })
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Dev outbox</title>' +
    // The look of the wizard and rep console (web/src/styles.css), in the few rules this page needs.
    '<style>' +
    'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f3f5f8;color:#18202c}' +
    'header{background:#0f1d2e;color:#fff}header div,main{max-width:960px;margin:0 auto;padding:12px 16px}' +
    'header h1{font-size:1.25rem;margin:0}header p{margin:0;color:#c9d6e6;font-size:.9375rem}main{padding-top:24px}' +
    '.email{background:#fff;border:1px solid #d5dbe3;border-radius:10px;box-shadow:0 1px 2px rgb(16 24 40/6%),0 2px 8px rgb(16 24 40/6%);padding:20px;margin:0 0 24px}' +
    '.email h2{font-size:1.125rem;margin:0 0 12px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 12px;font-size:.9375rem}' +
    'dt{font-weight:600;color:#4b5667}dd{margin:0;overflow-wrap:anywhere}a{color:#0a4fd6;word-break:break-all}' +
    '.email>p{background:#e8f0ff;border-radius:6px;padding:8px 12px;margin:0 0 12px}' +
    'iframe{display:block;width:100%;height:560px;border:1px solid #d5dbe3;border-radius:6px;background:#fff}' +
    '.status-outbox{color:#1d6b3a}.status-rejected,.status-skipped{color:#a4262c;font-weight:600}' +
    'details{margin-top:12px}summary{cursor:pointer;color:#0a4fd6;font-weight:600}pre{white-space:pre-wrap;font-size:.875rem;background:#f3f5f8;padding:12px;border-radius:6px}' +
    ':focus-visible{outline:3px solid #ffb300;outline-offset:2px}' +
    '</style></head><body>' +
    '<header><div><h1>Dev outbox</h1>' +
    '<p>No email provider is configured (RESEND_API_KEY is unset): these emails were not sent. Newest first.</p></div></header><main>' +
    (entries.length ? items : '<p>No emails yet.</p>') +
    '</main></body></html>'
  );
}

const devOutbox: FastifyPluginAsyncTypebox<{ database: Database }> = async (app, { database }) => {
  async function list(query: { orderId?: string | undefined; to?: string | undefined }, statuses: EmailDeliveryStatus[] = ['outbox']): Promise<OutboxEntry[]> {
    const filters: SQL[] = [inArray(emailDeliveries.status, statuses)];
    if (query.orderId) filters.push(eq(emailDeliveries.orderId, query.orderId));
    if (query.to) filters.push(eq(emailDeliveries.recipient, query.to));
    const rows = await database.db
      .select()
      .from(emailDeliveries)
      .where(and(...filters))
      .orderBy(desc(emailDeliveries.createdAt), desc(emailDeliveries.id))
      .limit(OUTBOX_PAGE_SIZE);
    return rows.map((row) => ({
      id: row.id,
      orderId: row.orderId,
      purpose: row.purpose,
      to: row.recipient,
      subject: row.subject,
      text: row.text ?? '',
      html: row.html ?? '',
      status: row.status,
      reason: row.status === 'outbox' ? null : row.lastError,
      locale: row.locale,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  app.get(
    '/dev/outbox.json',
    {
      schema: {
        tags: ['development'],
        summary: `The dev outbox as JSON: the newest ${OUTBOX_PAGE_SIZE} emails first`,
        querystring: OutboxQuery,
        response: { 200: Type.Object({ items: Type.Array(OutboxItem) }) },
      },
    },
    async (request, reply) => {
      // The bodies hold working links: never cached anywhere.
      reply.header('cache-control', 'no-store');
      const items = await list(request.query);
      return { items: items.map(({ reason: _reason, ...item }) => ({ ...item, status: 'outbox' as const })) };
    },
  );

  app.get(
    '/dev/outbox',
    {
      schema: {
        tags: ['development'],
        summary: 'The dev outbox: emails that would have been sent, with working links',
        querystring: OutboxQuery,
        produces: ['text/html'],
        response: { 200: { description: 'The outbox page', content: { 'text/html': { schema: Type.String() } } } },
      },
    },
    async (request, reply) => {
      const entries = await list(request.query, PAGE_STATUSES);
      return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(outboxPage(entries));
    },
  );
};

export default devOutbox;
