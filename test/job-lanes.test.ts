// Separate lanes (issue 23, item 8): an order's database jobs (rep tasks, link and consent
// revocations) never wait behind an email the provider will not take, which retries for up to
// EMAIL_GIVE_UP_AFTER. During a Resend outage for the contact, the escalation task opens on time,
// and a cancelled order's tasks close and its links are revoked while the setup email still retries.
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emailDeliveries, linkTokens } from '../db/schema/index.js';
import { isoDate, makeOrder, repAction } from './support/harness.js';
import { type MailWorld, startMailWorld, waitForDetail } from './support/lifecycle.js';

let world: MailWorld;
beforeAll(async () => {
  // The outage outlasts the test: the setup email is still retrying when it ends.
  world = await startMailWorld({ EMAIL_RATE_PER_SECOND: '20', ESCALATION_AFTER: '1s', EMAIL_GIVE_UP_AFTER: '1h' }, { ratePerSecond: null });
});
afterAll(async () => {
  await world?.close();
});

it('a cancelled order’s tasks close and its links are revoked while its setup email retries', { timeout: 60_000 }, async () => {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  world.standIn.failFor(order.provisioningContactEmail, 503);
  expect((await world.h.postOrder(order)).statusCode).toBe(201);

  // The escalation's rep task opens though the setup email before it has not gone.
  await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'escalation' && t.status === 'open'), 20_000);
  const cancel = await repAction(world.h, order.orderId, 'cancel', { reason: 'customer changed their mind' });
  expect(cancel.statusCode, cancel.body).toBe(200);

  const detail = await waitForDetail(world.h, order.orderId, (d) => d.status === 'CANCELLED' && d.tasks.length > 0 && d.tasks.every((t) => t.status === 'closed'), 20_000);
  expect(detail.tasks.map((t) => t.kind)).toContain('escalation');
  const live = await world.h.database.db.select().from(linkTokens).where(and(eq(linkTokens.orderId, order.orderId), isNull(linkTokens.revokedAt)));
  expect(live).toEqual([]);
  // All of it while the setup email never went: nothing waited for it. It is still retrying, or its
  // next attempt (on a busy machine, after the revocation) found its link revoked and gave up.
  const [setup] = await world.h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, `${order.orderId}/setup/link-1`));
  expect(['pending', 'skipped']).toContain(setup?.status);
  expect(world.standIn.requests.filter((r) => r.idempotencyKey === `${order.orderId}/setup/link-1`).length).toBeGreaterThan(0);
});
