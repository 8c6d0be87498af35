// The first slice through HTTP and the real worker: signed intake → order workflow → live state.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIntakeBody } from '../api/signature.js';
import { orderEvents, orders } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { eventually, HMAC_SECRET, type Harness, isoDate, makeOrder, REP_TOKEN, startHarness, workflowExists } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('POST /api/orders', () => {
  it('accepts a signed order, starts its workflow and shows it SCHEDULED in the read model and live', async () => {
    // The next 15 January still ahead (within intake's 366 days): winter time in Oslo.
    const now = new Date();
    const january = `${now.getUTCFullYear() + (now.getUTCMonth() === 0 && now.getUTCDate() < 15 ? 0 : 1)}-01-15`;
    const order = makeOrder({ requestedStartDate: january, timezone: 'Europe/Oslo' });
    const response = await h.postOrder(order);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ orderId: order.orderId, status: 'SCHEDULED', timezone: 'Europe/Oslo' });
    // 09:00 in Oslo in January is 08:00 UTC.
    expect(body.startAt).toBe(`${january}T08:00:00.000Z`);

    const row = await eventually(async () => {
      const [found] = await h.database.db.select().from(orders).where(eq(orders.orderId, order.orderId));
      return found;
    });
    expect(row).toMatchObject({ status: 'SCHEDULED', partnerName: order.partner.name, lastSeq: 1 });

    const detail = await h.repGet(`/api/orders/${order.orderId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      orderId: order.orderId,
      status: 'SCHEDULED',
      live: true,
      workflow: { workflowId: `order-${order.orderId}` },
      timeline: [{ seq: 1, type: 'order.received', status: 'SCHEDULED', actor: 'commerce' }],
    });

    const description = await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.searchAttributes.OrderStatus).toEqual(['SCHEDULED']);
  });

  it('takes a start date 366 days ahead, the furthest allowed (one more day is a 400, see validation)', async () => {
    const order = makeOrder({ requestedStartDate: isoDate(366), timezone: 'UTC' });
    const response = await h.postOrder(order);
    expect(response.statusCode, response.body).toBe(201);
  });

  it('defaults the time zone to UTC and the send time to 09:00', async () => {
    const { timezone: _omit, ...order } = makeOrder({ requestedStartDate: isoDate(100) });
    const response = await h.postOrder(order);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ timezone: 'UTC', startAt: `${order.requestedStartDate}T09:00:00.000Z` });
  });

  it('takes the language from `locale`, else nb for a customer in Norway and en for others', async () => {
    const norway = makeOrder({ locale: undefined });
    const abroad = makeOrder({ locale: undefined, customer: { name: 'Acme GmbH', country: 'DE' } });
    const chosen = makeOrder({ locale: 'en' });
    expect((await h.postOrder(norway)).json()).toMatchObject({ locale: 'nb' });
    expect((await h.postOrder(abroad)).json()).toMatchObject({ locale: 'en' });
    expect((await h.postOrder(chosen)).json()).toMatchObject({ locale: 'en' });
    // The default spelled out is the same order; another language is a different one.
    expect((await h.postOrder({ ...norway, locale: 'nb' })).statusCode).toBe(200);
    expect((await h.postOrder({ ...norway, locale: 'en' })).statusCode).toBe(409);
    const detail = await h.app.inject({ method: 'GET', url: `/api/orders/${norway.orderId}`, headers: { authorization: `Bearer ${REP_TOKEN}` } });
    expect(detail.json()).toMatchObject({ locale: 'nb' });
  });

  it('answers a re-delivery with 200 and the same order, and starts nothing new', async () => {
    const order = makeOrder();
    expect((await h.postOrder(order)).statusCode).toBe(201);
    // Same content, fields in another order and services reversed: still the same order.
    const reordered = Object.fromEntries(Object.entries({ ...order, services: [...order.services].reverse() }).reverse());
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(order));
    const again = await h.postOrder(reordered);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ orderId: order.orderId, status: 'SCHEDULED' });
  });

  it('starts exactly one workflow for concurrent deliveries of one order', async () => {
    const order = makeOrder();
    const responses = await Promise.all(Array.from({ length: 8 }, () => h.postOrder(order)));
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const runs = [];
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${orderWorkflowId(order.orderId)}'` })) runs.push(run);
    // Visibility is eventually consistent; the point is that it never shows more than one.
    expect(runs.length).toBeLessThanOrEqual(1);
    const events = await eventually(async () => {
      const rows = await h.database.db.select().from(orderEvents).where(eq(orderEvents.orderId, order.orderId));
      return rows.length ? rows : undefined;
    });
    expect(events.filter((e) => e.type === 'order.received')).toHaveLength(1);
  });

  it('refuses a known order id with a different payload: 409 problem', async () => {
    const order = makeOrder();
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const response = await h.postOrder({ ...order, services: ['calling'] });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 409, type: expect.stringContaining('order-conflict') });
  });

  describe('signature', () => {
    const cases: Array<[string, (raw: string) => { signature?: string | null; timestamp?: number }]> = [
      ['missing', () => ({ signature: null })],
      ['malformed', () => ({ signature: 'sha256=abc' })],
      ['made with another key', (raw) => ({ signature: signIntakeBody('another-secret-0123456789', raw, Math.floor(Date.now() / 1000)) })],
      ['older than 300 s', (raw) => ({ signature: signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000) - 301) })],
      ['more than 300 s ahead', (raw) => ({ signature: signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000) + 301) })],
      ['over other bytes', () => ({ signature: signIntakeBody(HMAC_SECRET, '{}', Math.floor(Date.now() / 1000)) })],
    ];
    it.each(cases)('refuses a signature %s with 401 and starts nothing', async (_name, sign) => {
      const order = makeOrder();
      const raw = JSON.stringify(order);
      const response = await h.postOrder(order, { raw, ...sign(raw) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ status: 401, title: 'Authentication required' });
      expect(await workflowExists(h, order.orderId)).toBe(false);
    });

    it('accepts a signature 299 s old', async () => {
      const order = makeOrder();
      const raw = JSON.stringify(order);
      const response = await h.postOrder(order, { raw, signature: signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000) - 299) });
      expect(response.statusCode).toBe(201);
    });
  });

  describe('validation', () => {
    const invalid: Array<[string, (o: Record<string, unknown>) => unknown]> = [
      ['/body/orderId', (o) => ({ ...o, orderId: '' })],
      ['/body/orderId', (o) => ({ ...o, orderId: 'has spaces' })],
      ['/body/orderId', (o) => ({ ...o, orderId: 'x'.repeat(65) })],
      ['/body/orderId', (o) => ({ ...o, orderId: 42 })],
      ['/body/product', (o) => ({ ...o, product: 'A-XYZ' })],
      ['/body/requestedStartDate', (o) => ({ ...o, requestedStartDate: '15.01.2030' })],
      ['/body/requestedStartDate', (o) => ({ ...o, requestedStartDate: '2030-02-30' })],
      // SPEC §7.1: at most 366 days ahead.
      ['/body/requestedStartDate', (o) => ({ ...o, requestedStartDate: isoDate(367), timezone: 'UTC' })],
      ['/body/timezone', (o) => ({ ...o, timezone: 'Mars/Olympus_Mons' })],
      ['/body/provisioningContactEmail', (o) => ({ ...o, provisioningContactEmail: 'not-an-email' })],
      ['/body/partner/id', (o) => ({ ...o, partner: { name: 'No Id' } })],
      ['/body/partner/name', (o) => ({ ...o, partner: { id: 'P-1', name: '   ' } })],
      ['/body/customer/country', (o) => ({ ...o, customer: { name: 'Acme', country: 'Norway' } })],
      ['/body/services', (o) => ({ ...o, services: [] })],
      ['/body/services/0', (o) => ({ ...o, services: ['fax'] })],
      ['/body/services', (o) => ({ ...o, services: ['calling', 'calling'] })],
      ['/body/rep/email', (o) => ({ ...o, rep: { name: 'Rita', email: 'rita@' } })],
      ['/body/unexpected', (o) => ({ ...o, unexpected: true })],
      ['/body/locale', (o) => ({ ...o, locale: 'de' })],
      ['/body/rep', (o) => { const { rep: _r, ...rest } = o; return rest; }],
    ];
    it.each(invalid)('refuses an invalid %s with 400 naming the field and starts nothing', async (field, mutate) => {
      const order = makeOrder();
      const body = mutate(order as unknown as Record<string, unknown>);
      const response = await h.postOrder(body);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = response.json();
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
      if (typeof (body as { orderId?: unknown }).orderId === 'string' && (body as { orderId: string }).orderId) {
        expect(await workflowExists(h, (body as { orderId: string }).orderId).catch(() => false)).toBe(false);
      }
    });

    it('refuses a body that is not JSON with 400', async () => {
      const response = await h.postOrder(undefined, { raw: '{"orderId": ' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ status: 400 });
    });

    it('refuses another media type with 415', async () => {
      const response = await h.app.inject({ method: 'POST', url: '/api/orders', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
      expect(response.statusCode).toBe(415);
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const order = makeOrder({ customer: { name: 'x'.repeat(70_000), country: 'NO' } });
      const response = await h.postOrder(order);
      expect(response.statusCode).toBe(413);
    });
  });
});

describe('GET /api/orders/:orderId', () => {
  it('answers 404 for an unknown order', async () => {
    const response = await h.repGet('/api/orders/CCW-does-not-exist');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('answers 401 without a rep token and with a wrong one', async () => {
    const order = makeOrder();
    await h.postOrder(order);
    expect((await h.repGet(`/api/orders/${order.orderId}`, null)).statusCode).toBe(401);
    const wrong = await h.repGet(`/api/orders/${order.orderId}`, 'not-a-valid-token-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer');
    expect(wrong.json()).not.toHaveProperty('orderId');
  });

  it('accepts every configured rep token', async () => {
    const order = makeOrder();
    await h.postOrder(order);
    const response = await h.repGet(`/api/orders/${order.orderId}`, 'second-rep-token-0123456789');
    expect(response.statusCode).toBe(200);
  });
});

describe('logs', () => {
  it('never contain the rep token or the intake signature', async () => {
    const order = makeOrder();
    await h.postOrder(order);
    await h.repGet(`/api/orders/${order.orderId}`);
    const text = JSON.stringify(h.logLines);
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(text).not.toContain('test-rep-token-0123456789abcdef');
    expect(text).not.toContain(HMAC_SECRET);
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);
  });
});
