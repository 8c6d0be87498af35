// Long lives stay healthy (issue 14, item 4): an order continues as new when its history grows
// (here past CONTINUE_AS_NEW_AFTER_EVENTS, lowered so a test sees several generations), carrying its
// state, deadlines, link, audit sequence and pending jobs; sessions per order are capped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../domain/order.js';
import { MAX_SESSIONS_PER_ORDER } from '../workflows/wizard.js';
import { eventually, type Harness, isoDate, makeOrder, outbox, REP_TOKEN, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { detailOf, eventsOf, waitForDetail } from './support/lifecycle.js';
import { orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

const EXPIRES_AFTER_S = 30;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ CONTINUE_AS_NEW_AFTER_EVENTS: '30', ORDER_EXPIRES_AFTER: `${EXPIRES_AFTER_S}s` });
});
afterAll(async () => {
  await h?.close();
});

/** The runs of an order's workflow, oldest first: one per generation. */
async function runsOf(orderId: string): Promise<string[]> {
  const runs: Array<{ runId: string; startTime: Date }> = [];
  for await (const execution of h.client.workflow.list({ query: `WorkflowId = '${orderWorkflowId(orderId)}'` })) runs.push(execution);
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((r) => r.runId);
}

/** The audit timeline is one unbroken sequence, whatever run wrote each event. */
function expectUnbrokenTimeline(timeline: Array<{ seq: number; type: string }>) {
  expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i + 1));
  expect(timeline.filter((e) => e.type === 'order.received')).toHaveLength(1);
}

describe('continue-as-new', () => {
  it('carries a wizard session through three generations and provisions once', { timeout: 120_000 }, async () => {
    const { order, token, wizard } = await orderInServiceSetup(h, ['messaging']);
    for (let i = 0; i < 12; i += 1) expect((await wizard.step('subscription', { reviewed: true })).statusCode).toBe(200);
    await eventually(async () => ((await runsOf(order.orderId)).length >= 4 ? true : undefined), { timeoutMs: 30_000 });

    // The session, its link and the saved sections came along.
    const view = (await wizard.view()).json();
    expect(view).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'provision', session: { active: true } });
    expect((await h.app.inject({ method: 'GET', url: `/api/wizard/${token}` })).statusCode).toBe(200);
    await saveAllSections(wizard, ['messaging']);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    // The live status turns before the projection has the event: wait for the event.
    const detail = await waitForDetail(h, order.orderId, (d) => d.status === 'PROVISIONED' && eventsOf(d, 'order.provisioned').length > 0, 30_000);
    expectUnbrokenTimeline(detail.timeline);
    expect(eventsOf(detail, 'order.provisioned')).toHaveLength(1);
    const emails = await eventually(async () => {
      const all = await outbox(h, order.orderId);
      return all.filter((e) => e.purpose === 'provisioned').length === 2 ? all : undefined;
    });
    for (const purpose of ['setup', 'order-configured']) expect(emails.filter((e) => e.purpose === purpose), purpose).toHaveLength(1);
  });

  it('keeps the expiry deadline across generations, and caps sessions: 409 beyond the cap, a rep task at it', { timeout: 120_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
    for (let i = 0; i < MAX_SESSIONS_PER_ORDER; i += 1) expect((await wizard.start()).statusCode).toBe(201);
    const refused = await wizard.start();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toMatch(/too-many-sessions$/);
    await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'sessions-capped' && t.status === 'open'));
    expect((await runsOf(order.orderId)).length).toBeGreaterThanOrEqual(4);

    // The expiry timer of the first run fires in a later one, once.
    // The live status turns before the projection has the event: wait for the event.
    const expired = await waitForDetail(h, order.orderId, (d) => d.status === 'EXPIRED' && eventsOf(d, 'order.expired').length > 0, (EXPIRES_AFTER_S + 30) * 1000);
    expectUnbrokenTimeline(expired.timeline);
    expect(eventsOf(expired, 'order.expired')).toHaveLength(1);
    expect(eventsOf(expired, 'wizard.session-started')).toHaveLength(MAX_SESSIONS_PER_ORDER);
    const final = await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'expired'));
    expect(final.tasks.filter((t) => t.kind === 'expired')).toHaveLength(1);
    expect(await detailOf(h, order.orderId)).toMatchObject({ status: 'EXPIRED' });
  });

  it('answers an Idempotency-Key applied in an earlier run with the first answer, and acts once', { timeout: 120_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    await waitForEmail(h, order.orderId, 'setup');
    const resend = () =>
      h.app.inject({
        method: 'POST',
        url: `/api/orders/${order.orderId}/actions/resend-link`,
        headers: { authorization: `Bearer ${REP_TOKEN}`, 'idempotency-key': 'resend-after-generations' },
        payload: {},
      });
    const first = await resend();
    expect(first.statusCode, first.body).toBe(200);
    const setupEmails = async () => (await outbox(h, order.orderId)).filter((e) => e.purpose === 'setup');
    const fresh = await eventually(async () => ((await setupEmails()).length === 2 ? (await setupEmails())[0] : undefined));
    // Sessions on the new link until the order has continued as new.
    const wizard = wizardClient(h, tokenOf(fresh!));
    const runsBefore = (await runsOf(order.orderId)).length;
    while ((await runsOf(order.orderId)).length === runsBefore) expect((await wizard.start()).statusCode).toBe(201);

    const again = await resend();
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    const detail = await waitForDetail(h, order.orderId, (d) => eventsOf(d, 'wizard.session-started').length > 0);
    expect(eventsOf(detail, 'rep.resend-link')).toHaveLength(1);
    expect(await setupEmails()).toHaveLength(2);
    // The session the resend would have ended is still the live one.
    expect(detail.status).toBe('IN_PROGRESS');
  });
});
