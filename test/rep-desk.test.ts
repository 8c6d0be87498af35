// The rep's desk through HTTP (SPEC §7.3): tasks across orders, bulk actions with one result per
// order (unknown orders and refusals in their own slots), and the order detail that says who holds
// the ball and what happens next — against the real Temporal dev server and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkActionResult, OrderDetail, TaskPage } from '../contract/http.js';
import { eventually, type Harness, isoDate, makeOrder, REP_TOKEN, startHarness } from './support/harness.js';

const NAMED_TOKEN = 'desk-named-token-0123456789abcdef';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ESCALATION_AFTER: '2s', REP_API_TOKENS: `Rita Rep <rita.rep@cisco.example>=${NAMED_TOKEN},${REP_TOKEN}` });
});
afterAll(async () => {
  await h?.close();
});

/** This file's own partner: the desk filters by it, so other files' tasks never get in the way. */
const partner = { id: `P-desk-${randomUUID().slice(0, 8)}`, name: 'Desk Partner AS' };

const detailOf = async (orderId: string): Promise<OrderDetail> => {
  const response = await h.repGet(`/api/orders/${orderId}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

const tasks = async (query: string): Promise<TaskPage> => {
  const response = await h.repGet(`/api/tasks?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

const bulk = (action: string, body: Record<string, unknown>, token = NAMED_TOKEN) =>
  h.app.inject({ method: 'POST', url: `/api/orders/actions/${action}`, headers: { authorization: `Bearer ${token}` }, payload: body });

/** An order whose setup email went yesterday's start date, so ESCALATION_AFTER (2 s) later it escalates. */
async function escalatedOrder(): Promise<string> {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', partner });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  await eventually(async () => ((await detailOf(order.orderId)).tasks.some((t) => t.kind === 'escalation' && t.status === 'open') ? true : undefined));
  return order.orderId;
}

async function scheduledOrder(): Promise<string> {
  const order = makeOrder({ requestedStartDate: isoDate(30), timezone: 'UTC', partner });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  return order.orderId;
}

let first: string;
let second: string;
let scheduled: string;
beforeAll(async () => {
  [first, second, scheduled] = await Promise.all([escalatedOrder(), escalatedOrder(), scheduledOrder()]);
});

describe('GET /api/tasks', () => {
  it('lists open tasks across orders, oldest first, with reason, age, order status and next deadline; pages by cursor', async () => {
    const all = await tasks(`partner=${partner.id}`);
    expect(all.items.map((t) => t.orderId).sort()).toEqual([first, second].sort());
    for (const task of all.items) {
      expect(task).toMatchObject({ reason: 'escalation', status: 'open', orderStatus: 'ESCALATED', partner, closedAt: null });
      expect(task.ageSeconds).toBeGreaterThanOrEqual(0);
      // The read model knows the live link's end: the order's 30 days.
      expect(task.nextDeadline).toMatchObject({ what: 'the link expires' });
      expect(Date.parse(task.nextDeadline!.at)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    }
    expect(Date.parse(all.items[0]!.openedAt)).toBeLessThanOrEqual(Date.parse(all.items[1]!.openedAt));

    const page1 = await tasks(`partner=${encodeURIComponent(partner.name.slice(0, 6))}&q=${partner.id}&limit=1`);
    expect(page1.items).toHaveLength(0); // q searches order id, customer, contact and detail: not the partner id
    const byName = await tasks(`partner=${partner.id}&limit=1`);
    expect(byName.items).toEqual([all.items[0]]);
    expect(byName.nextCursor).toEqual(expect.any(String));
    const page2 = await tasks(`partner=${partner.id}&limit=1&cursor=${byName.nextCursor}`);
    expect(page2.items).toEqual([all.items[1]]);
    expect(page2.nextCursor).toBeNull();

    expect((await tasks(`partner=${partner.id}&kind=on-hold`)).items).toEqual([]);
    expect((await tasks(`partner=${partner.id}&status=closed`)).items).toEqual([]);
    expect((await tasks(`q=${first}`)).items.map((t) => t.orderId)).toEqual([first]);
  });

  it('refuses an unknown reason, a forged cursor and a missing token', async () => {
    expect((await h.repGet('/api/tasks?kind=coffee')).statusCode).toBe(400);
    expect((await h.repGet('/api/tasks?cursor=bm9wZQ')).json()).toMatchObject({ status: 400, errors: [{ field: '/querystring/cursor' }] });
    expect((await h.repGet('/api/tasks', null)).statusCode).toBe(401);
  });
});

describe('GET /api/orders/:orderId, the desk fields', () => {
  it('says the rep holds the ball of an escalated order, what comes next, the link and the emails', async () => {
    const detail = await detailOf(first);
    const task = detail.tasks.find((t) => t.kind === 'escalation')!;
    expect(detail.waitingOn).toEqual({ party: 'rep', since: task.openedAt });
    // Escalated: the next thing the clock does is the expiry reminder, 48 h before the end.
    expect(detail.link).toMatchObject({ audience: 'contact', email: detail.provisioningContactEmail });
    expect(detail.nextDeadline).toEqual({ at: new Date(Date.parse(detail.link!.expiresAt!) - 48 * 3_600_000).toISOString(), what: 'an expiry reminder is emailed' });
    const emails = await eventually(async () => {
      const d = await detailOf(first);
      return d.emails.length >= 2 ? d.emails : undefined;
    });
    expect(emails).toEqual(expect.arrayContaining([expect.objectContaining({ purpose: 'setup', to: detail.provisioningContactEmail, status: 'sent' })]));
    expect(detail).toMatchObject({ configuration: null, sections: [], provisioning: null, webhooks: [] });
  });

  it('says the system holds a scheduled order until its setup email, and when that goes', async () => {
    const detail = await detailOf(scheduled);
    expect(detail.waitingOn).toEqual({ party: 'system', since: detail.receivedAt });
    expect(detail.nextDeadline).toEqual({ at: detail.startAt, what: `the setup email goes to ${detail.provisioningContactEmail}` });
    expect(detail.link).toBeNull();
  });
});

describe('POST /api/orders/actions/:action', () => {
  it('answers one result per order, in the order given: done, refused (409) and unknown (404)', async () => {
    const unknown = `CCW-missing-${randomUUID().slice(0, 8)}`;
    const response = await bulk('reschedule', { orderIds: [scheduled, first, unknown], requestedStartDate: isoDate(40) });
    expect(response.statusCode, response.body).toBe(200);
    const { results } = response.json() as BulkActionResult;
    expect(results.map((r) => r.orderId)).toEqual([scheduled, first, unknown]);
    expect(results[0]).toMatchObject({ ok: true, order: { orderId: scheduled, status: 'SCHEDULED', requestedStartDate: isoDate(40) } });
    expect(results[1]).toMatchObject({ ok: false, problem: { status: 409 } });
    expect(results[2]).toMatchObject({ ok: false, problem: { status: 404, type: 'urn:order-provisioning:problem:not-found' } });
    // The refused order is as it was; the rescheduled one names the rep in its timeline.
    expect((await detailOf(first)).requestedStartDate).toBe(isoDate(-1));
    const event = await eventually(async () => (await detailOf(scheduled)).timeline.find((e) => e.type === 'rep.reschedule'));
    expect(event.actor).toBe('rep:Rita Rep <rita.rep@cisco.example>');
    expect((await h.repGet(`/api/orders/${unknown}`)).statusCode).toBe(404);
  });

  it('resends the link of several orders at once', async () => {
    const response = await bulk('resend-link', { orderIds: [first, second], reason: 'contact asked' });
    expect(response.statusCode, response.body).toBe(200);
    expect((response.json() as BulkActionResult).results.map((r) => r.ok)).toEqual([true, true]);
    for (const orderId of [first, second]) {
      await eventually(async () => ((await detailOf(orderId)).link?.expiresAt ? (await detailOf(orderId)).timeline.find((e) => e.type === 'rep.resend-link') : undefined));
    }
  });

  it('refuses an empty list, more than 100 orders, repeated ids and an unknown action with 400, changing nothing', async () => {
    const many = [scheduled, ...Array.from({ length: 100 }, (_, i) => `CCW-many-${i}`)];
    for (const [what, action, body] of [
      ['empty', 'cancel', { orderIds: [], reason: 'x' }],
      ['101 orders', 'cancel', { orderIds: many, reason: 'x' }],
      ['repeated', 'cancel', { orderIds: [scheduled, scheduled], reason: 'x' }],
      ['unknown action', 'archive', { orderIds: [scheduled] }],
    ] as const) {
      const response = await bulk(action, body);
      expect(response.statusCode, what).toBe(400);
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    }
    expect((await bulk('cancel', { orderIds: [scheduled], reason: 'x' }, 'not-a-token-0123456789')).statusCode).toBe(401);
    expect((await detailOf(scheduled)).status).toBe('SCHEDULED');
  });
});
