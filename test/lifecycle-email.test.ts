// The order lifecycle's emails through HTTP, the real worker, the Temporal dev server and
// PostgreSQL, sent by the real Resend SDK to the Resend stand-in: the rate limit under a burst of
// orders, provider failures, rejected addresses, and reminders and expiry on short durations.
import { type ChildProcess, spawn } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { emailDeliveries } from '../db/schema/index.js';
import { eventually, isoDate, makeOrder, repAction, wizardClient } from './support/harness.js';
import { startWorkerProcess, stop } from './support/processes.js';
import {
  configureOrder,
  detailOf,
  eventsOf,
  linkToken,
  mailsOf,
  type MailWorld,
  orderWithLink,
  requestsFor,
  startMailWorld,
  waitForDetail,
  waitForMail,
  waitForMailKey,
  waitForStatus,
  workflowStatus,
} from './support/lifecycle.js';

describe('orders due at the same moment', () => {
  /**
   * Receives `count` orders due at once while no worker runs, then starts two worker processes
   * beside a process that keeps one core busy: all their setup emails want to go together, as when
   * a common start moment arrives on a loaded machine. Workers and stand-in both allow `rate`
   * emails per second. Checks that each order got exactly one setup email, to its contact, and
   * answers how many requests the stand-in refused for the rate.
   */
  async function sendTogether(count: number, rate: number): Promise<{ requests: number; rateLimited: number }> {
    const world = await startMailWorld({ EMAIL_RATE_PER_SECOND: String(rate) }, { ratePerSecond: rate }, { worker: false });
    const children: ChildProcess[] = [];
    try {
      const due = isoDate(-1);
      const orders = Array.from({ length: count }, () => makeOrder({ requestedStartDate: due, timezone: 'UTC' }));
      const intakes = await Promise.all(orders.map((order) => world.h.postOrder(order)));
      for (const intake of intakes) {
        expect(intake.statusCode, intake.body).toBe(201);
        expect(intake.json().startAt).toBe(`${due}T09:00:00.000Z`);
      }

      const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
      children.push(hog);
      const workers = await Promise.all([1, 2].map(() => startWorkerProcess({ ...world.h.env, LOG_LEVEL: 'warn' }, inject('workflowBundlePath'))));
      children.push(...workers.map((worker) => worker.child));
      const wanted = new Set(orders.map((o) => `${o.orderId}/setup/link-1`));
      const delivered = () => world.standIn.deliveries().filter((d) => d.idempotencyKey !== undefined && wanted.has(d.idempotencyKey)).length;
      await eventually(async () => (delivered() >= count ? true : undefined), { timeoutMs: 150_000, intervalMs: 250 });

      for (const order of orders) {
        expect(mailsOf(world.standIn, order.orderId).map((m) => m.to), order.orderId).toEqual([[order.provisioningContactEmail]]);
      }
      return { requests: world.standIn.requests.length, rateLimited: world.standIn.rateLimited() };
    } finally {
      await Promise.all(children.map((child) => stop(child)));
      await world.close();
    }
  }

  it('200 orders each get exactly one setup email, and the provider never sees more than its rate', { timeout: 200_000 }, async () => {
    // Production paces emails at 2/s, Resend's default account limit; 20/s on both sides checks
    // the same pacing in ~10 s instead of 100.
    const { requests, rateLimited } = await sendTogether(200, 20);
    expect(rateLimited).toBe(0);
    // Nothing was refused, so nothing was asked twice either.
    expect(requests).toBe(200);
  });

  it('at production’s 2 emails/s a burst is paced as well', { timeout: 90_000 }, async () => {
    // Unpaced, 16 emails at once overrun a 2/s limit even on a slow machine, where 200 at 20/s
    // might not reach the limit at all.
    const { requests, rateLimited } = await sendTogether(16, 2);
    expect(rateLimited).toBe(0);
    expect(requests).toBe(16);
  });
});

describe('when the provider fails', () => {
  let world: MailWorld;
  beforeAll(async () => {
    // No rate limit here: every refusal the stand-in gives is one a test scripted.
    world = await startMailWorld({ EMAIL_RATE_PER_SECOND: '10' }, { ratePerSecond: null });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('a 500 and a burst of 429s delay the setup email but never send it twice', async () => {
    world.standIn.failNext(500);
    world.standIn.failNext(429, 3);
    const { order } = await orderWithLink(world);

    const attempts = requestsFor(world.standIn, order.orderId, 'setup/link-1');
    expect(attempts.map((r) => r.status)).toEqual([500, 429, 429, 429, 200]);
    expect(mailsOf(world.standIn, order.orderId)).toHaveLength(1);
    // Each retry after a 429 waited for its Retry-After (1 s).
    for (let i = 2; i < attempts.length; i += 1) {
      expect(attempts[i]!.at.getTime() - attempts[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(950);
    }
    // The activity settles its row just after the provider answered: wait for that, not for the mail.
    const row = await eventually(async () => {
      const [found] = await world.h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, `${order.orderId}/setup/link-1`));
      return found?.status === 'pending' ? undefined : found;
    });
    expect(row).toMatchObject({ status: 'sent', attempts: 5, lastError: null, providerMessageId: mailsOf(world.standIn, order.orderId)[0]!.id });
    expect((await detailOf(world.h, order.orderId)).status).toBe('AWAITING_SETUP');
  });

  it('a rejected address (422) opens a rep task and emails the rep; the order stays open for a new contact', async () => {
    world.standIn.failNext(422);
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await world.h.postOrder(order)).statusCode).toBe(201);

    const repMail = await waitForMail(world.standIn, order.orderId, 'rep-email-rejected', order.rep.email);
    expect(repMail.text).toContain(order.provisioningContactEmail);
    const detail = await waitForDetail(world.h, order.orderId, (d) => d.tasks.length > 0);
    expect(detail.tasks).toEqual([expect.objectContaining({ kind: 'email-rejected', status: 'open' })]);
    expect(eventsOf(detail, 'email.rejected')).toEqual([
      expect.objectContaining({ actor: 'system', data: { purpose: 'setup', to: order.provisioningContactEmail } }),
    ]);
    expect(detail.status).toBe('AWAITING_SETUP');
    // Refused once, not retried: a 422 will not change its mind.
    expect(requestsFor(world.standIn, order.orderId, 'setup/link-1').map((r) => r.status)).toEqual([422]);
    expect(await workflowStatus(world.h, order.orderId)).toBe('RUNNING');

    const newContact = `fixed-${order.orderId.toLowerCase()}@partner.example`;
    expect((await repAction(world.h, order.orderId, 'change-contact', { email: newContact })).statusCode).toBe(200);
    const setup = await waitForMailKey(world.standIn, order.orderId, 'setup/link-2');
    expect(setup.to).toEqual([newContact]);
    expect((await world.h.app.inject({ method: 'GET', url: `/api/wizard/${linkToken(setup)}` })).json()).toMatchObject({ status: 'AWAITING_SETUP' });
    const fixed = await waitForDetail(world.h, order.orderId, (d) => d.tasks.every((t) => t.status === 'closed'));
    expect(fixed.tasks).toEqual([expect.objectContaining({ kind: 'email-rejected', closedReason: 'a rep changed the contact' })]);
  });
});

describe('reminders and expiry on short durations', () => {
  // Long enough to walk one order to the point of no return on a busy machine. A window this
  // short has no expiry reminder: the workflow sends it 48 h before expiry only when the window is
  // longer than that (onTimers in workflows/order.ts); the 30-day reminder is tested on real
  // durations in workflow-time-skipping.test.ts.
  const EXPIRES_AFTER_MS = 12_000;
  let world: MailWorld;
  beforeAll(async () => {
    world = await startMailWorld(
      { EMAIL_RATE_PER_SECOND: '10', ESCALATION_AFTER: '2s', ORDER_EXPIRES_AFTER: `${EXPIRES_AFTER_MS / 1000}s` },
      { ratePerSecond: 10 },
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  it('reminds once, expires ORDER_EXPIRES_AFTER after the setup email, kills the links, tells the rep, and then does nothing', { timeout: 60_000 }, async () => {
    // Configured before its expiry: the point of no return stops the clock.
    const configured = await orderWithLink(world);
    await configureOrder(wizardClient(world.h, configured.token), configured.order.partner.name);
    // Received after it, so when these have expired, its own expiry moment has passed too.
    const [untouched, started] = await Promise.all([orderWithLink(world), orderWithLink(world)]);
    const session = wizardClient(world.h, started.token);
    expect((await session.start()).statusCode).toBe(201);
    expect((await session.step('role', { role: 'partner' })).statusCode).toBe(200);

    // The live status leads the timeline by a moment: wait for the expiry's own event.
    const expired = await waitForDetail(world.h, untouched.order.orderId, (d) => eventsOf(d, 'order.expired').length > 0, 30_000);
    expect(expired.status).toBe('EXPIRED');
    const [setupSent] = eventsOf(expired, 'order.setup-email');
    const [expiry] = eventsOf(expired, 'order.expired');
    expect(Date.parse(expiry!.occurredAt) - Date.parse(setupSent!.occurredAt)).toBeGreaterThanOrEqual(EXPIRES_AFTER_MS);
    expect(eventsOf(expired, 'order.escalated')).toHaveLength(1);
    expect(eventsOf(expired, 'order.expiry-reminder')).toEqual([]);

    await waitForMail(world.standIn, untouched.order.orderId, 'rep-expired', untouched.order.rep.email);
    const reminder = await waitForMail(world.standIn, untouched.order.orderId, 'reminder-escalation', untouched.order.provisioningContactEmail);
    expect(linkToken(reminder)).toBe(untouched.token);
    const told = await waitForDetail(world.h, untouched.order.orderId, (d) => d.tasks.some((t) => t.kind === 'expired'));
    expect(told.tasks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'expired', status: 'open' }),
        expect.objectContaining({ kind: 'escalation', status: 'closed', closedReason: 'the order expired' }),
      ]),
    );
    for (const token of [untouched.token, started.token]) {
      expect((await world.h.app.inject({ method: 'GET', url: `/api/wizard/${token}` })).statusCode).toBe(404);
    }

    // An order whose wizard was open expires all the same; its session's next step finds no link.
    await waitForStatus(world.h, started.order.orderId, 'EXPIRED', 30_000);
    expect((await session.step('configurer', { choice: 'self' })).statusCode).toBe(404);

    // Nothing after expiry: the workflow has finished, with every email it will ever send.
    await eventually(async () => ((await workflowStatus(world.h, untouched.order.orderId)) === 'COMPLETED' ? true : undefined));
    expect(mailsOf(world.standIn, untouched.order.orderId).map((m) => m.purpose).sort()).toEqual([
      'reminder-escalation',
      'rep-escalation',
      'rep-expired',
      'setup',
    ]);
    expect((await repAction(world.h, untouched.order.orderId, 'resend-link')).statusCode).toBe(409);

    const stillConfigured = await detailOf(world.h, configured.order.orderId);
    expect(stillConfigured.status).toBe('ORDER_CONFIGURED');
    expect(eventsOf(stillConfigured, 'order.expired')).toEqual([]);
    expect(mailsOf(world.standIn, configured.order.orderId).map((m) => m.purpose)).not.toContain('rep-expired');
    expect(await workflowStatus(world.h, configured.order.orderId)).toBe('RUNNING');
  });
});
