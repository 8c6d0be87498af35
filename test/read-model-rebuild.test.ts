// Records that make effects happen once stand on their own (SPEC §8.1): rebuilding the read model
// — deleting an order's `orders` and `order_events` rows and projecting them again — forgets no
// email sent and no link issued, so nothing is sent twice and the link that went out still works.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmailActivities, type SendEmailRequest } from '../activities/email.js';
import { createProjectionActivities } from '../activities/projection.js';
import { resolveLinkToken } from '../api/link-lookup.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { emailDeliveries, linkTokens, orderEvents, orders } from '../db/schema/index.js';
import { orderSummary } from '../emails/templates.js';
import { insertOrderRow, makeOrder, openTestDatabase } from './support/harness.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';

let database: Database;
let standIn: ResendStandIn;
beforeAll(async () => {
  database = await openTestDatabase();
  standIn = await startResendStandIn({ ratePerSecond: null });
});
afterAll(async () => {
  await standIn?.close();
  await database?.close();
});

it('a rebuilt read model sends no email twice and keeps the order’s link', async () => {
  const config = loadConfig({
    NODE_ENV: 'test',
    INTAKE_HMAC_SECRET: 'test-intake-secret-0123456789',
    REP_API_TOKENS: 'test-rep-token-0123456789abcdef',
    LINK_TOKEN_SECRET: 'test-link-token-secret-0123456789abcdef',
    PUBLIC_BASE_URL: 'https://orders.example',
    EMAIL_FROM: 'Provisioning <provisioning@orders.example>',
    DATA_DIR: '/tmp/read-model-rebuild-unused',
    RESEND_API_KEY: standIn.apiKey,
    RESEND_BASE_URL: standIn.url,
  });
  const email = createEmailActivities({ database, config });
  const order = { ...makeOrder(), timezone: 'Europe/Oslo' };
  await insertOrderRow(database, order, 'AWAITING_SETUP');
  const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const request: SendEmailRequest = {
    orderId: order.orderId,
    key: 'setup/link-1',
    to: `contact-${randomBytes(4).toString('hex')}@partner.example`,
    template: { kind: 'setup', order: orderSummary(order), expiresAt },
    link: { issueKey: 'link-1', audience: 'contact', expiresAt },
  };
  const key = `${order.orderId}/setup/link-1`;
  const first = await email.sendEmail(request);
  expect(first.status).toBe('sent');
  const [sent] = standIn.deliveries().filter((d) => d.idempotencyKey === key);
  const token = /\/wizard\/([A-Za-z0-9_-]{43})\b/.exec(sent?.text ?? '')?.[1] ?? '';

  // The rebuild: the order's projection rows go, and the projection writes them again.
  await database.db.delete(orderEvents).where(eq(orderEvents.orderId, order.orderId));
  await database.db.delete(orders).where(eq(orders.orderId, order.orderId));
  await insertOrderRow(database, order, 'AWAITING_SETUP');

  // The job that sends the email runs again with its key, as a replayed or re-run job would.
  expect(await email.sendEmail(request)).toEqual({ deliveryId: first.deliveryId, status: 'already-sent' });
  expect(standIn.requests.filter((r) => r.idempotencyKey === key)).toHaveLength(1);
  expect(await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, order.orderId))).toHaveLength(1);
  expect(await database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId))).toHaveLength(1);
  expect(await resolveLinkToken(database.db, token, new Date())).toMatchObject({ state: 'valid', orderId: order.orderId, issueKey: 'link-1' });
});

it('takes the history’s event over one a workflow task that never completed wrote at the same seq', async () => {
  const projection = createProjectionActivities({ database, config: loadConfig({ NODE_ENV: 'test', INTAKE_HMAC_SECRET: 'test-intake-secret-0123456789', REP_API_TOKENS: 'test-rep-token-0123456789abcdef', DATA_DIR: '/tmp/read-model-rebuild-unused' }) });
  const order = { ...makeOrder(), timezone: 'UTC' };
  const now = new Date().toISOString();
  const snapshot = { orderId: order.orderId, order, startAt: now, escalated: false, payloadHash: 'hash', receivedAt: now };
  const event = (seq: number, type: string, status: 'AWAITING_SETUP' | 'IN_PROGRESS' | 'CANCELLED') => ({ seq, type, status, actor: 'system', data: {}, occurredAt: now });
  await projection.recordOrderEvent({ snapshot, event: event(1, 'order.received', 'AWAITING_SETUP') });
  // Written by a local activity whose workflow task died with its worker: history never had it.
  await projection.recordOrderEvent({ snapshot, event: event(2, 'rep.cancel', 'CANCELLED') });
  // The history's own seq 2, recorded by the task that ran instead.
  await projection.recordOrderEvent({ snapshot, event: event(2, 'wizard.session-started', 'IN_PROGRESS') });
  // And its retry changes nothing more.
  await projection.recordOrderEvent({ snapshot, event: event(2, 'wizard.session-started', 'IN_PROGRESS') });

  const timeline = await database.db.select().from(orderEvents).where(eq(orderEvents.orderId, order.orderId));
  expect(timeline.map((e) => [e.seq, e.type]).sort()).toEqual([[1, 'order.received'], [2, 'wizard.session-started']]);
  const [row] = await database.db.select().from(orders).where(eq(orders.orderId, order.orderId));
  expect(row?.status).toBe('IN_PROGRESS');
});
