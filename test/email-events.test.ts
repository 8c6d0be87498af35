// Resend's email events (SPEC §7.4): POST /api/email-events as Resend sends them (Svix-signed, by
// the Resend stand-in), through the real Temporal dev server and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries, emailEvents } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { emailEventUpdate } from '../workflows/definitions.js';
import type { SignedEvent } from '../simulator/stand-ins/resend.js';
import { eventually } from './support/harness.js';
import { detailOf, eventsOf, type MailWorld, orderWithLink, startMailWorld, waitForDetail } from './support/lifecycle.js';

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

describe('POST /api/email-events', () => {
  let world: MailWorld;
  let url: string;

  beforeAll(async () => {
    world = await startMailWorld({ RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET }, { ratePerSecond: null, webhookSecret: WEBHOOK_SECRET });
    // Resend reaches the service over HTTP: the API listens, and the stand-in POSTs to it.
    url = `${await world.h.app.listen({ port: 0, host: '127.0.0.1' })}/api/email-events`;
  });
  afterAll(async () => {
    await world?.close();
  });

  const emailRow = async (providerMessageId: string) =>
    (await world.h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.providerMessageId, providerMessageId)))[0];
  const eventRows = async (providerMessageId: string) =>
    world.h.database.db.select().from(emailEvents).where(eq(emailEvents.providerMessageId, providerMessageId));
  /** An order whose setup email went through Resend, once the activity has stored Resend's id for it. */
  const orderWithSentEmail = async () => {
    const sent = await orderWithLink(world);
    await eventually(async () => ((await emailRow(sent.setup.id))?.status === 'sent' ? true : undefined));
    return sent;
  };
  const post = (event: Partial<SignedEvent> & { payload: string }) =>
    world.h.app.inject({ method: 'POST', url: '/api/email-events', headers: { 'content-type': 'application/json', ...event.headers }, payload: event.payload });

  it('refuses unsigned, forged and stale events with 401, changing nothing', async () => {
    const { order, setup } = await orderWithSentEmail();
    const before = await detailOf(world.h, order.orderId);
    const genuine = world.standIn.event('email.bounced', setup.id);

    expect((await post({ payload: genuine.payload })).statusCode).toBe(401);
    const forged = world.standIn.event('email.bounced', setup.id, { secret: `whsec_${randomBytes(24).toString('base64')}` });
    expect((await post(forged)).statusCode).toBe(401);
    const stale = world.standIn.event('email.bounced', setup.id, { signedAt: new Date(Date.now() - 10 * 60_000) });
    expect((await post(stale)).statusCode).toBe(401);
    // The genuine signature over other bytes.
    expect((await post({ headers: genuine.headers, payload: genuine.payload.replace('email.bounced', 'email.delivered') })).statusCode).toBe(401);

    expect((await emailRow(setup.id))?.status).toBe('sent');
    expect(await eventRows(setup.id)).toHaveLength(0);
    const after = await detailOf(world.h, order.orderId);
    expect(after.timeline).toEqual(before.timeline);
    expect(after.tasks).toEqual(before.tasks);
  });

  it('answers 202 for an email this service did not send, and for types it does not track, changing nothing', async () => {
    const unknown = world.standIn.event('email.bounced', 're_not_ours_0123');
    const response = await post(unknown);
    expect(response.statusCode).toBe(202);
    expect(await eventRows('re_not_ours_0123')).toHaveLength(0);

    const { setup } = await orderWithSentEmail();
    expect((await post(world.standIn.event('email.opened', setup.id))).statusCode).toBe(202);
    expect((await emailRow(setup.id))?.status).toBe('sent');
  });

  it('records a delivery once, however often Svix delivers it', async () => {
    const { order, setup } = await orderWithSentEmail();
    const delivered = world.standIn.event('email.delivered', setup.id);
    expect(await world.standIn.sendEvent(url, delivered)).toBe(200);
    expect(await world.standIn.sendEvent(url, delivered)).toBe(200);

    expect((await emailRow(setup.id))?.status).toBe('delivered');
    expect(await eventRows(setup.id)).toHaveLength(1);
    const detail = await detailOf(world.h, order.orderId);
    expect(eventsOf(detail, 'email.delivered')).toEqual([
      expect.objectContaining({ actor: 'resend', data: { purpose: 'setup', to: order.provisioningContactEmail } }),
    ]);
    // A late "delayed" does not hide that it was delivered.
    expect(await world.standIn.sendEvent(url, world.standIn.event('email.delivery_delayed', setup.id))).toBe(200);
    expect((await emailRow(setup.id))?.status).toBe('delivered');
  });

  it('opens rep task email-bounced at once for a bounced contact address', async () => {
    const { order, setup } = await orderWithSentEmail();
    expect(await world.standIn.sendEvent(url, world.standIn.event('email.bounced', setup.id))).toBe(200);

    expect((await emailRow(setup.id))?.status).toBe('bounced');
    const detail = await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'email-bounced'));
    expect(eventsOf(detail, 'email.bounced')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ purpose: 'setup', to: order.provisioningContactEmail, reason: expect.stringContaining('mailbox') }) }),
    ]);
    const task = detail.tasks.find((t) => t.kind === 'email-bounced');
    expect(task).toMatchObject({ status: 'open', detail: expect.stringContaining(order.provisioningContactEmail) });
  });

  it('opens rep task email-bounced for a complaint too', async () => {
    const { order, setup } = await orderWithSentEmail();
    expect(await world.standIn.sendEvent(url, world.standIn.event('email.complained', setup.id))).toBe(200);
    expect((await emailRow(setup.id))?.status).toBe('complained');
    const detail = await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'email-bounced'));
    expect(eventsOf(detail, 'email.complained')).toHaveLength(1);
  });

  it('a lost answer of the database never loses the bounce task: the task opens once, the timeline has the event once', async () => {
    const { order, setup } = await orderWithSentEmail();
    const bounced = world.standIn.event('email.bounced', setup.id);
    const svixId = bounced.headers['svix-id'];
    // A first attempt that took the event in and whose answer was lost leaves the Svix id behind;
    // the API, which checked before it was there, runs the Update (the workflow's retry of it).
    await world.h.database.db.insert(emailEvents).values({ svixId, type: 'email.bounced', providerMessageId: setup.id });
    const request = { svixId, status: 'bounced' as const, providerMessageId: setup.id, purpose: 'setup', to: order.provisioningContactEmail, reason: 'mailbox full' };
    const handle = world.h.client.workflow.getHandle(orderWorkflowId(order.orderId));
    expect(await handle.executeUpdate(emailEventUpdate, { args: [request], updateId: `email-event:${svixId}` })).toEqual({ recorded: true });
    // Svix delivers it again.
    expect(await world.standIn.sendEvent(url, bounced)).toBe(200);

    const detail = await waitForDetail(world.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'email-bounced'));
    expect(detail.tasks.filter((t) => t.kind === 'email-bounced')).toHaveLength(1);
    expect(eventsOf(detail, 'email.bounced')).toHaveLength(1);
    expect(await eventRows(setup.id)).toHaveLength(1);
  });
});
