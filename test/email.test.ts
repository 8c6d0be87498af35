// Emails and wizard links against the real database, with the real Resend SDK talking to a local
// Resend stand-in (simulator/stand-ins/resend.ts), and the dev outbox through the real API.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMAIL_DELIVERY_FAILED, EMAIL_NOT_CONFIGURED, EMAIL_REJECTED, INVALID_EMAIL_REQUEST, createEmailActivities, type SendEmailRequest } from '../activities/email.js';
import { LINK_ISSUE_CONFLICT, createLinkActivities, ensureLink } from '../activities/links.js';
import { buildApp } from '../api/app.js';
import { resolveLinkToken } from '../api/link-lookup.js';
import { type Config, loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { emailDeliveries, linkTokens } from '../db/schema/index.js';
import { deriveLinkToken, hashLinkToken, LINK_TOKEN_PATTERN, linkUrl } from '../domain/link-token.js';
import { type EmailTemplate, LINK_REQUIRED_PURPOSES, type OrderSummary, orderSummary, renderEmail } from '../emails/templates.js';
import { createEmailTransport, createResendTransport } from '../emails/transport.js';
import { eventually, type Harness, insertOrderRow, makeOrder, openTestDatabase, startHarness } from './support/harness.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';
import { activityEnvironment } from './support/test-logs.js';

const LINK_SECRET = 'test-link-token-secret-0123456789abcdef';
const PUBLIC_BASE_URL = 'https://orders.example';
const DAY_MS = 86_400_000;

function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    INTAKE_HMAC_SECRET: 'test-intake-secret-0123456789',
    REP_API_TOKENS: 'test-rep-token-0123456789abcdef',
    LINK_TOKEN_SECRET: LINK_SECRET,
    PUBLIC_BASE_URL,
    EMAIL_FROM: 'Provisioning <provisioning@orders.example>',
    DATA_DIR: '/tmp/email-test-unused',
    ...env,
  });
}

/** A projected order row (emails and links reference it), with a customer name that needs escaping. */
async function insertOrder(database: Database): Promise<OrderSummary> {
  const order = { ...makeOrder({ customer: { name: 'Acme <script>alert("x")</script> & Sons', country: 'NO' } }), timezone: 'Europe/Oslo' };
  await insertOrderRow(database, order, 'AWAITING_SETUP');
  return orderSummary(order);
}

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

function setupRequest(order: OrderSummary, overrides: Partial<SendEmailRequest> = {}): SendEmailRequest {
  const expiresAt = inDays(30);
  return {
    orderId: order.orderId,
    key: 'setup/link-1',
    to: `contact-${randomBytes(4).toString('hex')}@partner.example`,
    template: { kind: 'setup', order, expiresAt },
    link: { issueKey: 'link-1', audience: 'contact', expiresAt },
    ...overrides,
  };
}

async function deliveryRow(database: Database, orderId: string, key: string) {
  const [row] = await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, `${orderId}/${key}`));
  return row;
}

/** Attempt `attempt` of an activity, in the context a worker gives it (the email activity reads its attempt there). */
const asAttempt = <T>(attempt: number, run: () => Promise<T>): Promise<T> => activityEnvironment({ attempt }).run(run);

/** The failure a rejected promise carries, so assertions can name its type and retryability. */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

function tokenIn(text: string): string {
  const match = /\/wizard\/([A-Za-z0-9_-]{43})\b/.exec(text);
  if (!match?.[1]) throw new Error(`no wizard link in: ${text}`);
  return match[1];
}

describe('with Resend (the real SDK against the stand-in)', () => {
  let database: Database;
  let standIn: ResendStandIn;
  let config: Config;
  let email: ReturnType<typeof createEmailActivities>;
  let links: ReturnType<typeof createLinkActivities>;

  beforeAll(async () => {
    database = await openTestDatabase();
    // The rate limit has its own test; here requests follow each other as fast as the test runs.
    standIn = await startResendStandIn({ ratePerSecond: null });
    config = testConfig({ RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url });
    email = createEmailActivities({ database, config });
    links = createLinkActivities({ database, config });
  });
  afterAll(async () => {
    await standIn?.close();
    await database?.close();
  });

  const requestsWithKey = (key: string) => standIn.requests.filter((r) => r.idempotencyKey === key);
  const deliveriesWithKey = (key: string) => standIn.deliveries().filter((d) => d.idempotencyKey === key);

  it('sends once with the Idempotency-Key, stores no body, and a second call sends nothing', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    const key = `${order.orderId}/setup/link-1`;

    const first = await email.sendEmail(request);
    expect(first.status).toBe('sent');

    const [sent] = requestsWithKey(key);
    expect(sent).toMatchObject({ method: 'POST', path: '/emails', status: 200, outcome: 'delivered' });
    expect(sent?.headers.authorization).toBe(`Bearer ${standIn.apiKey}`);
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.body).toMatchObject({ from: config.emailFrom, to: request.to, subject: expect.stringContaining(order.orderId) });

    const [delivery] = deliveriesWithKey(key);
    const token = tokenIn(delivery?.text ?? '');
    expect(delivery?.html).toContain(`href="${linkUrl(PUBLIC_BASE_URL, token)}"`);
    expect(delivery?.html).toContain('Configure now');
    expect(await resolveLinkToken(database.db, token, new Date())).toMatchObject({
      state: 'valid',
      orderId: order.orderId,
      issueKey: 'link-1',
      audience: 'contact',
      recipientEmail: request.to,
    });

    const row = await deliveryRow(database, order.orderId, 'setup/link-1');
    expect(row).toMatchObject({ id: first.deliveryId, status: 'sent', providerMessageId: delivery?.id, attempts: 1, purpose: 'setup', recipient: request.to });
    // With a provider the bodies would be live links at rest.
    expect(row?.html).toBeNull();
    expect(row?.text).toBeNull();
    expect(row?.sentAt).toBeInstanceOf(Date);

    expect(await email.sendEmail(request)).toEqual({ deliveryId: first.deliveryId, status: 'already-sent' });
    expect(requestsWithKey(key)).toHaveLength(1);
    // A settled email mints nothing, even when asked for another link under the same key.
    const relinked = { ...request, link: { ...request.link!, issueKey: 'link-2' } };
    expect((await email.sendEmail(relinked)).status).toBe('already-sent');
    expect(await database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId))).toHaveLength(1);
  });

  it('goes to RESEND_BASE_URL from the config, not to what process.env says', async () => {
    vi.stubEnv('RESEND_BASE_URL', 'http://127.0.0.1:9');
    try {
      const transport = createEmailTransport(config);
      const order = await insertOrder(database);
      const result = await createEmailActivities({ database, config, email: transport }).sendEmail(setupRequest(order));
      expect(result.status).toBe('sent');
      expect(deliveriesWithKey(`${order.orderId}/setup/link-1`)).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('after a crash between Resend’s answer and the row update, the retry gets the first id and nothing is sent twice', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    const key = `${order.orderId}/setup/link-1`;
    await email.sendEmail(request);
    const [firstDelivery] = deliveriesWithKey(key);
    // The worker died before marking the row: it is still pending when the activity is retried.
    await database.db
      .update(emailDeliveries)
      .set({ status: 'pending', providerMessageId: null, sentAt: null })
      .where(eq(emailDeliveries.idempotencyKey, key));

    expect((await email.sendEmail(request)).status).toBe('sent');
    expect(deliveriesWithKey(key)).toHaveLength(1);
    expect(requestsWithKey(key).map((r) => r.outcome)).toEqual(['delivered', 'duplicate']);
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'sent', providerMessageId: firstDelivery?.id });
  });

  it('429 throws a retryable failure honouring Retry-After; the retry delivers exactly one email', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    const key = `${order.orderId}/setup/link-1`;
    standIn.failNext(429);

    const failure = await failureOf(email.sendEmail(request));
    expect(failure).toMatchObject({ type: EMAIL_DELIVERY_FAILED, nonRetryable: false, nextRetryDelay: 1000 });
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('429 rate_limit_exceeded') });

    expect((await email.sendEmail(request)).status).toBe('sent');
    expect(deliveriesWithKey(key)).toHaveLength(1);
    expect(requestsWithKey(key).map((r) => r.status)).toEqual([429, 200]);
    // The link minted on the first attempt is the one that went out.
    const [link] = await database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId));
    expect(hashLinkToken(tokenIn(deliveriesWithKey(key)[0]?.text ?? ''))).toBe(link?.tokenHash);
  });

  it('500 throws a retryable failure and leaves the row pending', async () => {
    const order = await insertOrder(database);
    standIn.failNext(500);
    const failure = await failureOf(asAttempt(1, () => email.sendEmail(setupRequest(order))));
    expect(failure).toMatchObject({ type: EMAIL_DELIVERY_FAILED, nonRetryable: false });
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'pending', attempts: 1, sentAt: null });
    expect(deliveriesWithKey(`${order.orderId}/setup/link-1`)).toHaveLength(0);
  });

  it('an outage is retried with jittered backoff: each delay in the later half of its step (1 s, 2 s, 4 s … 5 min)', async () => {
    const request = setupRequest(await insertOrder(database));
    const delays: number[] = [];
    for (const attempt of [1, 4, 20, 20, 20, 20]) {
      standIn.failNext(503);
      const failure = await failureOf(asAttempt(attempt, () => email.sendEmail(request)));
      delays.push(Number(failure.nextRetryDelay));
    }
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(delays[1]).toBeGreaterThanOrEqual(4_000);
    expect(delays[1]).toBeLessThanOrEqual(8_000);
    for (const capped of delays.slice(2)) {
      expect(capped).toBeGreaterThanOrEqual(150_000);
      expect(capped).toBeLessThanOrEqual(300_000);
    }
    // Emails that fail together come back apart.
    expect(new Set(delays.slice(2)).size).toBeGreaterThan(1);
  });

  it('422 marks the row rejected and throws a non-retryable EmailRejected, also on every later call', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    const key = `${order.orderId}/setup/link-1`;
    standIn.failNext(422);

    const failure = await failureOf(email.sendEmail(request));
    expect(failure).toMatchObject({ type: EMAIL_REJECTED, nonRetryable: true });
    expect(failure.details?.[0]).toMatchObject({ recipient: request.to, reason: expect.stringContaining('validation_error') });
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'rejected', attempts: 1 });

    const again = await failureOf(email.sendEmail(request));
    expect(again).toMatchObject({ type: EMAIL_REJECTED, nonRetryable: true });
    expect(requestsWithKey(key)).toHaveLength(1);
  });

  it('refuses a malformed address itself, as Resend would', async () => {
    const order = await insertOrder(database);
    const failure = await failureOf(email.sendEmail(setupRequest(order, { to: 'not-an-address' })));
    expect(failure).toMatchObject({ type: EMAIL_REJECTED, nonRetryable: true });
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'rejected' });
  });

  it('a timeout is retryable; the retry gets the id of the email the slow provider did send', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    const key = `${order.orderId}/setup/link-1`;
    const impatient = createEmailActivities({ database, config, email: createEmailTransport(config, { requestTimeoutMs: 200 }) });
    standIn.delayNext(1_500);

    const failure = await failureOf(asAttempt(1, () => impatient.sendEmail(request)));
    expect(failure).toMatchObject({ type: EMAIL_DELIVERY_FAILED, nonRetryable: false });
    const [slow] = await eventually(async () => (deliveriesWithKey(key).length ? deliveriesWithKey(key) : undefined));

    expect((await impatient.sendEmail(request)).status).toBe('sent');
    expect(deliveriesWithKey(key)).toHaveLength(1);
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'sent', providerMessageId: slow?.id });
  });

  it('a wrong API key is the operator’s problem: EmailNotConfigured at once, never "address rejected"', async () => {
    const order = await insertOrder(database);
    const misconfigured = createEmailActivities({
      database,
      config,
      email: createResendTransport({ apiKey: 're_wrong_key', baseUrl: standIn.url }),
    });
    const failure = await failureOf(misconfigured.sendEmail(setupRequest(order)));
    expect(failure).toMatchObject({ type: EMAIL_NOT_CONFIGURED, nonRetryable: true });
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'pending', lastError: expect.stringContaining('invalid_api_key') });
  });

  it('does not mail a link that was revoked before the email could go', async () => {
    const order = await insertOrder(database);
    const request = setupRequest(order);
    standIn.failNext(500);
    await failureOf(asAttempt(1, () => email.sendEmail(request)));
    // Before the retry, the contact was changed: every link of the order was revoked.
    expect(await links.revokeLinks({ orderId: order.orderId, reason: 'contact-changed' })).toBe(1);

    expect((await email.sendEmail(request)).status).toBe('skipped');
    expect(deliveriesWithKey(`${order.orderId}/setup/link-1`)).toHaveLength(0);
    expect(await deliveryRow(database, order.orderId, 'setup/link-1')).toMatchObject({ status: 'skipped' });
    expect((await email.sendEmail(request)).status).toBe('skipped');
  });

  it('sends emails without a link (rep emails) and refuses a request that lacks a required link', async () => {
    const order = await insertOrder(database);
    const result = await email.sendEmail({
      orderId: order.orderId,
      key: 'rep-escalation',
      to: 'rita.rep@cisco.example',
      template: { kind: 'rep-escalation', order, repName: 'Rita Rep', contactEmail: 'contact@partner.example' },
    });
    expect(result.status).toBe('sent');
    const [delivery] = deliveriesWithKey(`${order.orderId}/rep-escalation`);
    expect(delivery?.html).toContain(`href="${PUBLIC_BASE_URL}/rep/orders/${order.orderId}"`);

    const { link: _link, ...withoutLink } = setupRequest(order, { key: 'setup/link-9' });
    const failure = await failureOf(email.sendEmail(withoutLink));
    expect(failure).toMatchObject({ type: INVALID_EMAIL_REQUEST, nonRetryable: true });
    expect(await deliveryRow(database, order.orderId, 'setup/link-9')).toBeUndefined();
  });
});

describe('the stand-in’s rate limit', () => {
  it('answers 429 above its rate and counts those refusals', async () => {
    const standIn = await startResendStandIn({ ratePerSecond: 2 });
    try {
      const transport = createResendTransport({ apiKey: standIn.apiKey, baseUrl: standIn.url });
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          transport.send({ from: 'a@orders.example', to: 'b@partner.example', subject: `burst ${i}`, html: '<p>x</p>', text: 'x', idempotencyKey: `burst-${i}` }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(2);
      expect(outcomes.filter((o) => o.outcome === 'failed')).toEqual(
        Array.from({ length: 3 }, () => expect.objectContaining({ cause: 'transient', statusCode: 429, code: 'rate_limit_exceeded', retryAfterMs: 1000 })),
      );
      expect(standIn.rateLimited()).toBe(3);
      expect(standIn.deliveries()).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });
});

describe('links', () => {
  let database: Database;
  let links: ReturnType<typeof createLinkActivities>;
  beforeAll(async () => {
    database = await openTestDatabase();
    links = createLinkActivities({ database, config: testConfig() });
  });
  afterAll(async () => {
    await database?.close();
  });

  const linkInput = (orderId: string, issueKey: string, recipientEmail = 'contact@partner.example') => ({
    orderId,
    issueKey,
    audience: 'contact' as const,
    recipientEmail,
    expiresAt: inDays(30),
  });

  it('ensureLink derives the same 256-bit token on a retry and stores only its hash', async () => {
    const order = await insertOrder(database);
    const first = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1'));
    const retry = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1'));
    expect(retry).toEqual(first);
    expect(first.token).toMatch(LINK_TOKEN_PATTERN);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    expect(first.token).toBe(deriveLinkToken(LINK_SECRET, first.linkId));

    const rows = await database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(hashLinkToken(first.token));
    expect(JSON.stringify(rows)).not.toContain(first.token);

    const other = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-2'));
    expect(other.token).not.toBe(first.token);
  });

  it('ensureLink refuses to reuse an issue key for another recipient', async () => {
    const order = await insertOrder(database);
    await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1'));
    const failure = await failureOf(ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1', 'someone.else@partner.example')));
    expect(failure).toMatchObject({ type: LINK_ISSUE_CONFLICT, nonRetryable: true });
  });

  it('revokeLinks keeps the new link, revokes the rest once; without an exception it revokes everything', async () => {
    const order = await insertOrder(database);
    const old1 = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1'));
    const old2 = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-2'));
    const fresh = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-3'));
    const now = new Date();

    expect(await links.revokeLinks({ orderId: order.orderId, exceptIssueKey: 'link-3', reason: 'resend' })).toBe(2);
    expect(await links.revokeLinks({ orderId: order.orderId, exceptIssueKey: 'link-3', reason: 'resend' })).toBe(0);
    expect(await resolveLinkToken(database.db, old1.token, now)).toEqual({ state: 'gone' });
    expect(await resolveLinkToken(database.db, old2.token, now)).toEqual({ state: 'gone' });
    expect(await resolveLinkToken(database.db, fresh.token, now)).toMatchObject({ state: 'valid', issueKey: 'link-3' });
    const [revoked] = await database.db.select().from(linkTokens).where(eq(linkTokens.id, old1.linkId));
    expect(revoked).toMatchObject({ revokedReason: 'resend' });

    expect(await links.revokeLinks({ orderId: order.orderId, reason: 'the order ended' })).toBe(1);
    expect(await links.revokeLinks({ orderId: order.orderId, reason: 'the order ended' })).toBe(0);
    expect(await resolveLinkToken(database.db, fresh.token, now)).toEqual({ state: 'gone' });
  });

  it('unknown, revoked, expired and malformed tokens all answer the same "gone"', async () => {
    const order = await insertOrder(database);
    const revoked = await ensureLink(database.db, LINK_SECRET, linkInput(order.orderId, 'link-1'));
    await links.revokeLinks({ orderId: order.orderId, reason: 'delegated' });
    const expiring = await ensureLink(database.db, LINK_SECRET, { ...linkInput(order.orderId, 'link-2'), expiresAt: inDays(1) });
    const unknown = randomBytes(32).toString('base64url');
    const now = new Date();

    const answers = await Promise.all([
      resolveLinkToken(database.db, unknown, now),
      resolveLinkToken(database.db, revoked.token, now),
      resolveLinkToken(database.db, expiring.token, new Date(now.getTime() + 2 * DAY_MS)),
      resolveLinkToken(database.db, 'short', now),
      resolveLinkToken(database.db, `${unknown}A`, now),
      resolveLinkToken(database.db, `${unknown.slice(0, 42)}/`, now),
      resolveLinkToken(database.db, "' or 1=1 --", now),
    ]);
    for (const answer of answers) expect(answer).toEqual({ state: 'gone' });
    expect(await resolveLinkToken(database.db, expiring.token, now)).toMatchObject({ state: 'valid', issueKey: 'link-2' });
  });
});

describe('templates', () => {
  const order: OrderSummary = {
    orderId: 'CCW-1234',
    product: 'A-WX',
    services: ['messaging', 'calling'],
    customer: { name: 'Acme <script>alert("x")</script> & "Sons"\r\nBcc: evil@example.com', country: 'NO' },
    partner: { name: 'Fjord <b>Networks</b>' },
    requestedStartDate: '2030-01-15',
    timezone: 'Europe/Oslo',
    locale: 'en',
  };
  const context = { publicBaseUrl: PUBLIC_BASE_URL, linkUrl: `${PUBLIC_BASE_URL}/wizard/${'A'.repeat(43)}`, consentUrl: `${PUBLIC_BASE_URL}/consent/${'B'.repeat(43)}` };
  const expiresAt = '2030-02-14T08:00:00.000Z';
  const all: EmailTemplate[] = [
    { kind: 'setup', order, expiresAt },
    { kind: 'reminder-escalation', order, expiresAt },
    { kind: 'reminder-expiry', order, expiresAt },
    { kind: 'reminder-idle', order, expiresAt },
    { kind: 'delegated', order, audience: 'customer', delegatedBy: 'Pat <pat@partner.example>', expiresAt },
    { kind: 'rep-escalation', order, repName: 'Rita <i>Rep</i>', contactEmail: 'contact@partner.example' },
    { kind: 'rep-on-hold', order, repName: 'Rita', organization: 'customer' },
    { kind: 'rep-on-hold', order, repName: 'Rita', organization: 'customer', consentDeclined: true },
    { kind: 'consent-request', order, newAdminEmail: 'new<b>@acme.example', attachPartner: true, expiresAt, reminder: false },
    { kind: 'consent-request', order, newAdminEmail: 'new@acme.example', attachPartner: false, expiresAt, reminder: true },
    { kind: 'consent-declined', order, repName: 'Rita <i>Rep</i>', repEmail: 'rita@cisco.example' },
    { kind: 'rep-email-rejected', order, repName: 'Rita', rejectedRecipient: 'bad@partner.example', reason: '<invalid>' },
    { kind: 'rep-expired', order, repName: 'Rita', expiredAt: expiresAt },
    { kind: 'rep-provisioning-failed', order, repName: 'Rita', error: 'Webex said <no>' },
    { kind: 'order-configured', order, customerOrganization: 'Acme <Org>', customerAdminEmail: 'admin@acme.example' },
    { kind: 'provisioned', order, audience: 'rep' },
    { kind: 'finish-setup', order, reminder: false, customerOrganization: 'Acme <Org>' },
    { kind: 'resumed', order, reason: 'checked <invalid>', partnerOrganization: 'Fjord <b>Networks</b>', expiresAt },
    { kind: 'provisioning-failed', order, repName: 'Rita <i>Rep</i>' },
    { kind: 'rep-setup-stalled', order, repName: 'Rita', holderEmail: 'contact@partner.example', configuredAt: expiresAt },
  ];

  it.each(all.map((t) => [t.kind, t] as const))('%s escapes every value, keeps the subject on one line and has a plain-text twin', (_kind, template) => {
    const email = renderEmail(template, context);
    expect(email.html).not.toMatch(/<script|<b>|<i>|<no>|<invalid>|<Org>/);
    expect(email.html).toContain('Acme &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Sons&quot;');
    expect(email.html).toMatch(/^<!doctype html><html lang="en">/);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).toContain('Acme <script>');
    expect(email.text).toContain('CCW-1234');
    expect(email.text).not.toMatch(/<\/?(p|a|table|div)\b/);
  });

  it('puts the wizard link behind a "Configure now" button and in the text, with the order summary', () => {
    const email = renderEmail({ kind: 'setup', order, expiresAt }, context);
    expect(email.html).toContain(`<a href="${context.linkUrl}"`);
    expect(email.html).toMatch(/>Configure now<\/a>/);
    expect(email.text).toContain(`Configure now: ${context.linkUrl}`);
    for (const fact of ['A-WX', 'Webex Messaging, Webex Calling', 'Requested start date', '15 January 2030', '14 February 2030 at 09:00']) {
      expect(email.text).toContain(fact);
    }
  });

  it('links rep emails to the rep console and refuses to render a link email without a link', () => {
    const rep = renderEmail({ kind: 'rep-expired', order, repName: 'Rita', expiredAt: expiresAt }, { publicBaseUrl: PUBLIC_BASE_URL });
    expect(rep.html).toContain(`href="${PUBLIC_BASE_URL}/rep/orders/CCW-1234"`);
    for (const kind of LINK_REQUIRED_PURPOSES) {
      const template = all.find((t) => t.kind === kind);
      expect(() => renderEmail(template as EmailTemplate, { publicBaseUrl: PUBLIC_BASE_URL })).toThrow(/needs a wizard link/);
    }
  });
});

describe('templates in Norwegian', () => {
  const context = { publicBaseUrl: PUBLIC_BASE_URL, linkUrl: `${PUBLIC_BASE_URL}/wizard/${'A'.repeat(43)}`, consentUrl: `${PUBLIC_BASE_URL}/consent/${'B'.repeat(43)}` };
  const expiresAt = '2030-02-14T08:00:00.000Z';
  /** One template of every kind: a new kind fails the typecheck here until it is added. */
  function everyKind(order: OrderSummary): { [K in EmailTemplate['kind']]: Extract<EmailTemplate, { kind: K }> } {
    return {
      setup: { kind: 'setup', order, expiresAt },
      'reminder-escalation': { kind: 'reminder-escalation', order, expiresAt },
      'reminder-expiry': { kind: 'reminder-expiry', order, expiresAt },
      'reminder-idle': { kind: 'reminder-idle', order, expiresAt },
      delegated: { kind: 'delegated', order, audience: 'colleague', delegatedBy: 'Kari Nordmann', expiresAt },
      'rep-escalation': { kind: 'rep-escalation', order, repName: 'Rita', contactEmail: 'contact@partner.example' },
      'rep-on-hold': { kind: 'rep-on-hold', order, repName: 'Rita', organization: 'customer' },
      'consent-request': { kind: 'consent-request', order, newAdminEmail: 'ny.admin@acme.example', attachPartner: true, expiresAt, reminder: true },
      'consent-declined': { kind: 'consent-declined', order, repName: 'Rita', repEmail: 'rita@cisco.example' },
      'rep-email-rejected': { kind: 'rep-email-rejected', order, repName: 'Rita', rejectedRecipient: 'bad@partner.example', reason: 'no such mailbox' },
      'rep-expired': { kind: 'rep-expired', order, repName: 'Rita', expiredAt: expiresAt },
      'rep-provisioning-failed': { kind: 'rep-provisioning-failed', order, repName: 'Rita', error: 'Webex said no' },
      'order-configured': { kind: 'order-configured', order, customerOrganization: 'Acme AS', customerAdminEmail: 'admin@acme.example' },
      provisioned: { kind: 'provisioned', order, audience: 'contact' },
      'finish-setup': { kind: 'finish-setup', order, reminder: true, customerOrganization: 'Acme AS' },
      resumed: { kind: 'resumed', order, reason: 'Kunden bruker den andre organisasjonen.', customerOrganization: 'Acme AS', expiresAt },
      'provisioning-failed': { kind: 'provisioning-failed', order, repName: 'Rita' },
      'rep-setup-stalled': { kind: 'rep-setup-stalled', order, repName: 'Rita', holderEmail: 'contact@partner.example', configuredAt: expiresAt },
    };
  }
  // A customer in Norway gets Norwegian without asking; the English twin is the same order with `locale: 'en'`.
  const base = orderSummary({ ...makeOrder({ orderId: 'CCW-5678', services: ['messaging', 'calling'], requestedStartDate: '2030-01-15', locale: undefined }), timezone: 'Europe/Oslo' });
  const nb = everyKind(base);
  const en = everyKind({ ...base, locale: 'en' });
  const kinds = Object.keys(nb) as Array<keyof typeof nb>;

  it.each(kinds)('%s is written in the order’s language, or in English when it goes to the rep', (kind) => {
    expect(base.locale).toBe('nb');
    const norwegian = renderEmail(nb[kind], context);
    const english = renderEmail(en[kind], context);
    const toRep = kind.startsWith('rep-');
    expect(norwegian.locale).toBe(toRep ? 'en' : 'nb');
    expect(norwegian.html).toMatch(toRep ? /^<!doctype html><html lang="en">/ : /^<!doctype html><html lang="nb">/);
    if (toRep) {
      expect(norwegian).toEqual(english);
      return;
    }
    expect(norwegian.subject).not.toBe(english.subject);
    expect(norwegian.subject).toContain('CCW-5678');
    // Every line of the English body that has words reads differently in Norwegian.
    const englishLines = new Set(english.text.split('\n').filter((line) => /[a-z]{4}/.test(line)));
    for (const line of norwegian.text.split('\n')) expect(englishLines.has(line), line).toBe(false);
    for (const fact of ['Bestilling: CCW-5678', 'Tjenester: Webex Messaging, Webex Calling', 'Kunde: Acme Shipping (Norge)', 'Ønsket startdato: 15. januar 2030']) {
      expect(norwegian.text).toContain(fact);
    }
  });

  it('says what the rep looked into when resuming: a declined consent is not an org the holder did not recognise', () => {
    const intro = (order: typeof base, heldFor?: 'consent-declined' | 'commit-refused') =>
      renderEmail({ ...(everyKind(order).resumed as Extract<EmailTemplate, { kind: 'resumed' }>), ...(heldFor ? { heldFor } : {}) }, context).text;
    expect(intro(base)).toContain('Kundeansvarlig hos Cisco har sett på organisasjonen du ikke kjente igjen: Kunden bruker');
    expect(intro({ ...base, locale: 'en' })).toContain('looked into the organization you did not recognise');
    for (const heldFor of ['consent-declined', 'commit-refused'] as const) {
      expect(intro(base, heldFor)).not.toContain('ikke kjente igjen');
      expect(intro({ ...base, locale: 'en' }, heldFor)).not.toContain('did not recognise');
    }
    expect(intro({ ...base, locale: 'en' }, 'consent-declined')).toContain('the organization that declined to approve the order: Kunden bruker');
    expect(intro(base, 'consent-declined')).toContain('etter at organisasjonen ikke godkjente bestillingen');
  });

  it('gives deadlines in the order’s time zone and the Norwegian way of writing dates', () => {
    const setup = renderEmail(nb.setup, context);
    expect(setup.text).toContain('Lenken gjelder til 14. februar 2030 kl. 09:00 CET.');
    expect(setup.text).toContain(`Konfigurer nå: ${context.linkUrl}`);
    const inNewYork = renderEmail(everyKind({ ...base, timezone: 'America/New_York' })['reminder-expiry'], context);
    expect(inNewYork.subject).toBe('Påminnelse: Webex-bestilling CCW-5678 for Acme Shipping utløper snart');
    expect(inNewYork.text).toContain('Bestilling CCW-5678 utløper 14. februar 2030 kl. 03:00');
  });

  it('a customer outside Norway gets English unless the order names a language', () => {
    const abroad = orderSummary({ ...makeOrder({ customer: { name: 'Acme GmbH', country: 'DE' }, locale: undefined }), timezone: 'Europe/Berlin' });
    expect(renderEmail({ kind: 'setup', order: abroad, expiresAt }, context).locale).toBe('en');
    expect(renderEmail({ kind: 'setup', order: { ...abroad, locale: 'nb' }, expiresAt }, context).text).toContain('Kunde: Acme GmbH (Tyskland)');
  });
});

describe('dev outbox (no RESEND_API_KEY)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PUBLIC_BASE_URL });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps the email instead of sending it and lists it at /dev/outbox.json with a link that resolves', async () => {
    expect(h.config.resend.apiKey).toBeUndefined();
    const order = await insertOrder(h.database);
    const request = setupRequest(order);
    const email = createEmailActivities({ database: h.database, config: h.config });

    const result = await email.sendEmail(request);
    expect(result.status).toBe('outbox');
    expect(await email.sendEmail(request)).toEqual({ deliveryId: result.deliveryId, status: 'already-sent' });

    const response = await h.app.inject({ method: 'GET', url: `/dev/outbox.json?orderId=${order.orderId}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const { items } = response.json() as { items: Array<Record<string, string>> };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: result.deliveryId,
      orderId: order.orderId,
      purpose: 'setup',
      to: request.to,
      subject: expect.stringContaining(order.orderId),
      status: 'outbox',
      locale: 'en',
    });
    const token = tokenIn(items[0]?.text ?? '');
    expect(items[0]?.html).toContain(linkUrl(PUBLIC_BASE_URL, token));
    expect(await resolveLinkToken(h.database.db, token, new Date())).toMatchObject({ state: 'valid', orderId: order.orderId, recipientEmail: request.to });
  });

  it('/dev/outbox shows each email sandboxed, with its links clickable, under the app’s CSP', async () => {
    const order = await insertOrder(h.database);
    const email = createEmailActivities({ database: h.database, config: h.config });
    await email.sendEmail(setupRequest(order));

    const response = await h.app.inject({ method: 'GET', url: `/dev/outbox?orderId=${order.orderId}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    const page = response.body;
    expect(page).not.toContain('<script');
    expect(page).toContain('<iframe title="Email: ');
    expect(page).toContain('<dt>Language</dt><dd>English (en)</dd>');
    expect(page).toContain('Kept here (not sent)');
    expect(page).toContain('sandbox="allow-popups allow-popups-to-escape-sandbox"');
    // The email's own markup is inside the srcdoc attribute, escaped.
    expect(page).toContain('srcdoc="&lt;!doctype html&gt;');
    expect(page).not.toContain('Acme <script>');
    const token = /\/wizard\/([A-Za-z0-9_-]{43})/.exec(page)?.[1] ?? '';
    expect(page).toContain(`<a href="${linkUrl(PUBLIC_BASE_URL, token)}">`);
    expect(await resolveLinkToken(h.database.db, token, new Date())).toMatchObject({ state: 'valid', orderId: order.orderId });

    const openApi = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openApi.paths)).toEqual(expect.arrayContaining(['/dev/outbox', '/dev/outbox.json']));
  });

  it('/dev/outbox also shows an email that never went, with its status and why; the JSON lists only those kept', async () => {
    const order = await insertOrder(h.database);
    const email = createEmailActivities({ database: h.database, config: h.config });
    expect((await failureOf(email.sendEmail(setupRequest(order, { to: 'not-an-address' })))).type).toBe(EMAIL_REJECTED);

    const page = (await h.app.inject({ method: 'GET', url: `/dev/outbox?orderId=${order.orderId}` })).body;
    expect(page).toContain('<dt>To</dt><dd>not-an-address</dd>');
    expect(page).toContain('Rejected: never sent — not a valid email address');
    expect(page).not.toContain('<iframe');
    const { items } = (await h.app.inject({ method: 'GET', url: `/dev/outbox.json?orderId=${order.orderId}` })).json() as { items: unknown[] };
    expect(items).toEqual([]);
  });

  it('is not there when an email provider is configured', async () => {
    const app = await buildApp({
      config: testConfig({ RESEND_API_KEY: 're_configured_key' }),
      database: h.database,
      temporal: h.client,
      logger: false,
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/dev/outbox.json' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/dev/outbox' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
