// Email pace without a single lane (issue 23, item 9): up to EMAIL_MAX_IN_FLIGHT requests at the
// provider at once across all workers, starts spaced 1/EMAIL_RATE_PER_SECOND, and a lease that ends
// at the request's timeout. Counted, not timed: how many requests the provider held open at once,
// how many it refused for its rate, and whether a hung request was still hanging when the others went.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emailDeliveries } from '../db/schema/index.js';
import { eventually, isoDate, makeOrder } from './support/harness.js';
import { type MailWorld, startMailWorld } from './support/lifecycle.js';

const RATE = 10;
const MAX_IN_FLIGHT = 3;
let world: MailWorld;

beforeAll(async () => {
  // The provider allows the configured rate, no more.
  world = await startMailWorld({ EMAIL_RATE_PER_SECOND: String(RATE), EMAIL_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) }, { ratePerSecond: RATE });
});
afterAll(async () => {
  await world?.close();
});

const setupKey = (orderId: string) => `${orderId}/setup/link-1`;

async function postDue(count: number) {
  const orders = Array.from({ length: count }, () => makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' }));
  for (const intake of await Promise.all(orders.map((order) => world.h.postOrder(order)))) expect(intake.statusCode, intake.body).toBe(201);
  return orders;
}

const delivered = (orders: Array<{ orderId: string }>) => {
  const keys = new Set(orders.map((o) => setupKey(o.orderId)));
  return world.standIn.deliveries().filter((d) => d.idempotencyKey !== undefined && keys.has(d.idempotencyKey)).length;
};

it('many emails due at once: several in flight, never more than EMAIL_MAX_IN_FLIGHT, and no 429 from a provider limited to the rate', { timeout: 90_000 }, async () => {
  // Each answer takes half a second: at the rate, five would be in flight if nothing held them back.
  world.standIn.delayNext(500, 20);
  const orders = await postDue(20);
  await eventually(async () => (delivered(orders) === orders.length ? true : undefined), { timeoutMs: 60_000 });

  expect(world.standIn.peakInFlight()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  expect(world.standIn.peakInFlight()).toBeGreaterThan(1);
  expect(world.standIn.rateLimited()).toBe(0);
  expect(world.standIn.requests).toHaveLength(orders.length);
});

it('a request the provider never answers holds one slot: the other emails go meanwhile', { timeout: 90_000 }, async () => {
  world.standIn.delayNext(120_000, 1);
  const [hung] = await postDue(1);
  await eventually(async () => (world.standIn.requests.some((r) => r.idempotencyKey === setupKey(hung!.orderId)) ? true : undefined));
  const others = await postDue(5);
  await eventually(async () => (delivered(others) === others.length ? true : undefined), { timeoutMs: 60_000 });

  // Still hanging: the provider has not answered, and the worker has not given the request up yet.
  expect(world.standIn.requests.find((r) => r.idempotencyKey === setupKey(hung!.orderId))?.status).toBe(0);
  const [row] = await world.h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, setupKey(hung!.orderId)));
  expect(row).toMatchObject({ status: 'pending', lastError: null });
});
