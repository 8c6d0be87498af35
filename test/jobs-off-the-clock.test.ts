// Side effects never block the clock (issue 14, item 1): an order's emails, link revocations and
// rep tasks run in a coroutine of their own, so an email the provider will not take delays neither
// escalation nor expiry; it gives up after EMAIL_GIVE_UP_AFTER and a rep task says so, blaming the
// address only when the provider refused the address.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries } from '../db/schema/index.js';
import { createResendTransport } from '../emails/transport.js';
import { type Harness, isoDate, makeOrder, startHarness } from './support/harness.js';
import { eventsOf, type MailWorld, mailsOf, startMailWorld, waitForDetail, waitForMail } from './support/lifecycle.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';

const GIVE_UP_MS = 15_000;

describe('a provider outage for one recipient', () => {
  let world: MailWorld;
  beforeAll(async () => {
    world = await startMailWorld({ EMAIL_RATE_PER_SECOND: '20', ESCALATION_AFTER: '2s', ORDER_EXPIRES_AFTER: '60s', EMAIL_GIVE_UP_AFTER: `${GIVE_UP_MS / 1000}s` }, { ratePerSecond: null });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('escalates on time while the setup email retries; after the give-up time a rep task email-failed opens', { timeout: 60_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    world.standIn.failFor(order.provisioningContactEmail, 503);
    expect((await world.h.postOrder(order)).statusCode).toBe(201);

    // Escalation (2 s) comes while the setup email is still being retried (give-up: 15 s).
    // The live status turns before the projection has the event: wait for the event.
    const escalated = await waitForDetail(world.h, order.orderId, (d) => eventsOf(d, 'order.escalated').length > 0, 12_000);
    expect(eventsOf(escalated, 'order.escalated')).toHaveLength(1);
    const [setupRow] = await world.h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, `${order.orderId}/setup/link-1`));
    expect(setupRow).toMatchObject({ status: 'pending' });
    expect(eventsOf(escalated, 'email.failed')).toEqual([]);

    const detail = await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'email-failed'), 30_000);
    expect(eventsOf(detail, 'email.failed')[0]).toEqual(
      expect.objectContaining({ actor: 'system', data: expect.objectContaining({ purpose: 'setup', to: order.provisioningContactEmail, cause: 'outage' }) }),
    );
    // An outage is not the address's fault: nothing says it was rejected.
    expect(eventsOf(detail, 'email.rejected')).toEqual([]);
    expect(detail.tasks.map((t) => t.kind)).not.toContain('email-rejected');
    // The rep's escalation email, queued behind it in the email lane, went after it.
    await waitForMail(world.standIn, order.orderId, 'rep-escalation');
    expect(detail.tasks.map((t) => t.kind)).toContain('escalation');
    expect(mailsOf(world.standIn, order.orderId).filter((m) => m.purpose === 'setup')).toEqual([]);
  });
});

describe('a wrong email API key', () => {
  let standIn: ResendStandIn;
  let h: Harness;
  beforeAll(async () => {
    standIn = await startResendStandIn({ ratePerSecond: null });
    // The worker's transport sends a key the provider refuses.
    h = await startHarness(
      { RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: '20' },
      { email: createResendTransport({ apiKey: 're_revoked_key', baseUrl: standIn.url }) },
    );
  });
  afterAll(async () => {
    await h?.close();
    await standIn?.close();
  });

  it('is this service’s problem: on the timeline as a configuration failure, a rep task email-failed, never "address rejected"', { timeout: 60_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const detail = await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'email-failed'), 30_000);
    expect(eventsOf(detail, 'email.failed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ purpose: 'setup', cause: 'configuration', reason: expect.stringContaining('invalid_api_key') }) }),
    ]);
    expect(eventsOf(detail, 'email.rejected')).toEqual([]);
    expect(detail.tasks.find((t) => t.kind === 'email-failed')?.detail).toContain('address is not at fault');
    expect(detail.status).toBe('AWAITING_SETUP');
    // Refused at once, not retried for a day.
    expect(standIn.requests.filter((r) => r.idempotencyKey === `${order.orderId}/setup/link-1`).map((r) => r.status)).toEqual([403]);
  });
});
