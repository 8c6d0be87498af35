// The email provider misbehaving under real orders: the real worker, Temporal and PostgreSQL, the
// real Resend SDK against the stand-in, which answers with 429 storms, 5xx, timeouts and malformed
// bodies. Whatever it does, an order's setup email is delayed, never duplicated, never dropped.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries, orderEvents } from '../db/schema/index.js';
import type { OrderPayload } from '../domain/order.js';
import { createResendTransport } from '../emails/transport.js';
import { eventually, type Harness, isoDate, makeOrder, startHarness } from './support/harness.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';

/** Short, so a timed-out attempt costs a second, not the production 15 s. */
const REQUEST_TIMEOUT_MS = 1_000;

let h: Harness;
let standIn: ResendStandIn;
/** Every order this file created: each must end with exactly one setup email. */
const allOrders: OrderPayload[] = [];

beforeAll(async () => {
  standIn = await startResendStandIn({ ratePerSecond: null });
  h = await startHarness(
    // The worker paces far above the provider's limit, so a limit set on the stand-in is a 429 storm.
    { RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: '50' },
    { email: createResendTransport({ apiKey: standIn.apiKey, baseUrl: standIn.url, requestTimeoutMs: REQUEST_TIMEOUT_MS }) },
  );
});
afterAll(async () => {
  await h?.close();
  await standIn?.close();
});

const setupKey = (orderId: string) => `${orderId}/setup/link-1`;
const setupRequests = (orderId: string) => standIn.requests.filter((r) => r.idempotencyKey === setupKey(orderId));
const setupDeliveries = (orderId: string) => standIn.deliveries().filter((d) => d.idempotencyKey === setupKey(orderId));

/** Orders whose start date has passed: each sends its setup email at once. */
async function postDueOrders(count: number): Promise<OrderPayload[]> {
  const posted: OrderPayload[] = [];
  for (let i = 0; i < count; i += 1) {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    const response = await h.postOrder(order);
    expect(response.statusCode, response.body).toBe(201);
    posted.push(order);
    allOrders.push(order);
  }
  return posted;
}

async function deliveryRow(orderId: string) {
  const [row] = await h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, setupKey(orderId)));
  return row;
}

/**
 * Waits until the order's setup email is recorded as sent, then checks it went exactly once: one
 * delivery at the provider, the one the row names, and no rep was told the address was refused.
 */
async function expectSentOnce(order: OrderPayload) {
  const row = await eventually(async () => {
    const current = await deliveryRow(order.orderId);
    return current?.status === 'sent' ? current : undefined;
  }, { timeoutMs: 45_000 });
  const deliveries = setupDeliveries(order.orderId);
  expect(deliveries, `${order.orderId}: setup emails delivered`).toHaveLength(1);
  expect(deliveries[0]).toMatchObject({ to: [order.provisioningContactEmail] });
  expect(row.providerMessageId).toBe(deliveries[0]!.id);
  const rejected = await h.database.db
    .select()
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, order.orderId), eq(orderEvents.type, 'email.rejected')));
  expect(rejected).toEqual([]);
  return row;
}

describe('the email provider misbehaves', () => {
  it('a 429 storm: every order waits its turn and gets one setup email', async () => {
    standIn.setRateLimit(1);
    try {
      const orders = await postDueOrders(5);
      for (const order of orders) await expectSentOnce(order);
      expect(standIn.rateLimited()).toBeGreaterThan(0);
      // Someone was refused and tried again: the storm hit the orders, not just the counter.
      expect(orders.some((order) => setupRequests(order.orderId).some((r) => r.outcome === 'rate-limited'))).toBe(true);
    } finally {
      standIn.setRateLimit(null);
    }
  });

  it('500, 502 and 503: the email goes once the provider is back', async () => {
    const from = standIn.requests.length;
    standIn.failNext(500, 2);
    standIn.failNext(502, 2);
    standIn.failNext(503, 2);
    const orders = await postDueOrders(2);
    for (const order of orders) {
      const row = await expectSentOnce(order);
      expect(row.attempts).toBeGreaterThanOrEqual(1);
    }
    // The scripted answers go to whichever requests come next: count them over all of this test's requests.
    const failures = standIn.requests.slice(from).filter((r) => r.outcome === 'scripted-failure');
    expect(failures.map((r) => r.status).sort()).toEqual([500, 500, 502, 502, 503, 503]);
  });

  it('timeouts: the provider sends while the worker gives up; the retry finds that email instead of sending another', async () => {
    standIn.delayNext(REQUEST_TIMEOUT_MS * 2.5, 2);
    const orders = await postDueOrders(2);
    for (const order of orders) await expectSentOnce(order);
    const retried = orders.flatMap((order) => setupRequests(order.orderId));
    // The slow first attempts were sent; what came after them was answered from Resend's idempotency store.
    expect(retried.filter((r) => r.outcome === 'duplicate' || (r.status === 409 && r.outcome === 'refused')).length).toBeGreaterThan(0);
  });

  it('malformed answers: an HTML error page, JSON without Resend’s fields, a non-JSON or empty 200', async () => {
    const from = standIn.requests.length;
    standIn.malformNext('html-502');
    standIn.malformNext('json-503');
    standIn.malformNext('text-200');
    standIn.malformNext('empty-200');
    const orders = await postDueOrders(4);
    for (const order of orders) await expectSentOnce(order);
    const requests = standIn.requests.slice(from);
    const seen = JSON.stringify(requests.map((r) => [r.idempotencyKey, r.status, r.outcome]));
    // The two garbled 200s were deliveries: their retries got the first id back, nothing went twice.
    expect(requests.filter((r) => r.outcome === 'delivered-malformed'), seen).toHaveLength(2);
    expect(requests.filter((r) => r.outcome === 'duplicate').length, seen).toBeGreaterThanOrEqual(2);
    expect(requests.filter((r) => r.outcome === 'scripted-failure'), seen).toHaveLength(2);
  });

  it('afterwards: every order of this file has exactly one setup email, none is lost', async () => {
    expect(allOrders.length).toBe(13);
    for (const order of allOrders) {
      expect(setupDeliveries(order.orderId), order.orderId).toHaveLength(1);
      expect((await deliveryRow(order.orderId))?.status).toBe('sent');
    }
    const read = await h.repGet(`/api/orders/${allOrders[0]!.orderId}`);
    expect(read.json()).toMatchObject({ status: 'AWAITING_SETUP' });
  });
});
