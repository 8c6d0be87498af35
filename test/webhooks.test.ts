// Status webhooks (SPEC §7.4) through the real Temporal dev server and PostgreSQL, to a local
// receiver that verifies every request with the standardwebhooks package, as a partner would.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { listWebhookDeliveries } from '../db/queries/webhook-deliveries.js';
import { isPublicAddress } from '../domain/network-address.js';
import { eventually, type Harness, isoDate, makeOrder, repAction, startHarness } from './support/harness.js';
import { waitForDetail } from './support/lifecycle.js';
import { type Receiver, startReceiver, WEBHOOK_TEST_SECRET as SECRET } from '../simulator/stand-ins/webhook-receiver.js';

const FAST_RETRIES = { WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_INITIAL: '100ms', WEBHOOK_RETRY_MAX: '200ms' };

/** An order due at once: SCHEDULED, then AWAITING_SETUP when its setup email goes. */
async function dueOrder(h: Harness) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  const intake = await h.postOrder(order);
  expect(intake.statusCode, intake.body).toBe(201);
  await waitForDetail(h, order.orderId, (d) => d.status === 'AWAITING_SETUP');
  return order;
}

function cancel(h: Harness, orderId: string) {
  return repAction(h, orderId, 'cancel', { reason: 'The customer withdrew' });
}

describe('status webhooks to a receiver that fails 5 times, then accepts', () => {
  let receiver: Receiver;
  let h: Harness;

  beforeAll(async () => {
    receiver = await startReceiver({ failFirst: 5 });
    h = await startHarness({ ...FAST_RETRIES, WEBHOOK_ENDPOINTS: receiver.url, WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers every status change once, in seq order, and records every attempt', async () => {
    const order = await dueOrder(h);
    expect((await cancel(h, order.orderId)).statusCode).toBe(200);

    const mine = () => receiver.accepted.filter((r) => r.event.data.orderId === order.orderId);
    await eventually(async () => (mine().length === 3 ? true : undefined));
    const events = mine().map((r) => r.event);
    expect(events.map((e) => e.type)).toEqual(['order.status_changed', 'order.status_changed', 'order.status_changed']);
    expect(events.map((e) => [e.data.previousStatus, e.data.status])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'AWAITING_SETUP'],
      ['AWAITING_SETUP', 'CANCELLED'],
    ]);
    const seqs = events.map((e) => e.data.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(mine().map((r) => r.headers['webhook-id'])).size).toBe(3);

    // The five refusals are the first event's: each recorded with its status code and the next try.
    const attempts = await listWebhookDeliveries(h.database.db, order.orderId);
    const first = attempts.filter((a) => a.seq === seqs[0]);
    expect(first.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'delivered']);
    expect(first.slice(0, 5).every((a) => a.statusCode === 500 && a.nextTryAt !== null && a.nextTryAt > a.attemptedAt)).toBe(true);
    expect(first[5]).toMatchObject({ statusCode: 204, nextTryAt: null, endpoint: receiver.url });
    expect(attempts.filter((a) => a.outcome === 'delivered')).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.messageId)).size).toBe(3);

    // The rep's order detail: one line per change and endpoint.
    const detail = (await h.repGet(`/api/orders/${order.orderId}`)).json();
    expect(detail.webhooks).toEqual(
      seqs.map((seq, index) => ({ event: `order.status_changed #${seq} to ${receiver.url}`, status: 'delivered', attempts: index === 0 ? 6 : 1, lastAttemptAt: expect.any(String) })),
    );
  });

  it('lets the receiver detect a forged, altered or replayed request', async () => {
    const [sample] = receiver.accepted;
    expect(sample).toBeDefined();
    const headers = sample!.headers as Record<string, string>;
    const verifier = new Webhook(SECRET);
    // Altered body under the original signature.
    expect(() => verifier.verify(sample!.body.replace('"status":"', '"status":"X'), headers)).toThrow();
    // Signed by someone without the secret.
    const forger = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    const forged = forger.sign(headers['webhook-id']!, new Date(), sample!.body);
    expect(() => verifier.verify(sample!.body, { ...headers, 'webhook-signature': forged })).toThrow();
    // The same request played again later than the tolerance (5 minutes).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect(() => verifier.verify(sample!.body, headers)).toThrow(/timestamp/i);
  });

  it('redeliver-webhooks sends a given-up change again, in order', async () => {
    const order = await dueOrder(h);
    await eventually(async () => (receiver.accepted.filter((r) => r.event.data.orderId === order.orderId).length === 2 ? true : undefined));
    const response = await repAction(h, order.orderId, 'redeliver-webhooks');
    expect(response.statusCode, response.body).toBe(200);
    await h.client.workflow.getHandle(`webhooks-${order.orderId}`).result();
    // Everything was accepted already: nothing goes twice.
    expect(receiver.accepted.filter((r) => r.event.data.orderId === order.orderId)).toHaveLength(2);
  });
});

describe('a webhook that is given up', () => {
  let receiver: Receiver;
  let h: Harness;

  beforeAll(async () => {
    receiver = await startReceiver({ failFirst: Number.MAX_SAFE_INTEGER });
    h = await startHarness({ ...FAST_RETRIES, WEBHOOK_GIVE_UP_AFTER: '2s', WEBHOOK_ENDPOINTS: receiver.url, WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('is on the timeline, and redeliver-webhooks sends every undelivered change in seq order', async () => {
    const order = await dueOrder(h);
    await waitForDetail(h, order.orderId, (d) => d.timeline.filter((e) => e.type === 'webhook.given-up').length === 2, 30_000);
    expect(receiver.accepted).toHaveLength(0);

    receiver.refuseNext(0);
    const response = await repAction(h, order.orderId, 'redeliver-webhooks');
    expect(response.statusCode, response.body).toBe(200);
    await h.client.workflow.getHandle(`webhooks-${order.orderId}`).result();
    expect(receiver.accepted.map((r) => r.event.data.status)).toEqual(['SCHEDULED', 'AWAITING_SETUP']);
  });
});

describe('private targets', () => {
  it('are refused by the configuration unless WEBHOOK_ALLOW_PRIVATE=true', () => {
    const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/unused', WEBHOOK_SECRET: SECRET };
    for (const endpoint of ['https://127.0.0.1/hooks', 'https://10.1.2.3/hooks', 'https://[::1]/hooks', 'https://169.254.169.254/latest', 'http://partner.example/hooks']) {
      expect(() => loadConfig({ ...base, WEBHOOK_ENDPOINTS: endpoint }), endpoint).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...base, WEBHOOK_ENDPOINTS: 'https://partner.example/hooks' })).not.toThrow();
    expect(() => loadConfig({ ...base, WEBHOOK_ENDPOINTS: 'https://partner.example/hooks', WEBHOOK_SECRET: '' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, WEBHOOK_ENDPOINTS: 'http://127.0.0.1:9/hooks', WEBHOOK_ALLOW_PRIVATE: 'true' })).not.toThrow();
  });

  it('judges addresses as public unicast only', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('2001:4860:4860::8888')).toBe(true);
  });

  describe('a name that resolves to loopback, without WEBHOOK_ALLOW_PRIVATE', () => {
    let receiver: Receiver;
    let h: Harness;

    beforeAll(async () => {
      receiver = await startReceiver();
      // `localhost` passes the configuration (a name), and is judged when resolved, at each attempt.
      h = await startHarness({ ...FAST_RETRIES, WEBHOOK_ENDPOINTS: `https://localhost:${receiver.port}/hooks` });
    });
    afterAll(async () => {
      await h?.close();
      await receiver?.close();
    });

    it('is refused at once, never retried, and reaches nothing', async () => {
      const order = await dueOrder(h);
      const attempts = await eventually(async () => {
        const rows = await listWebhookDeliveries(h.database.db, order.orderId);
        return rows.length >= 2 ? rows : undefined;
      });
      expect(attempts.map((a) => a.outcome)).toEqual(['refused', 'refused']);
      expect(attempts[0]!.error).toMatch(/resolves to (127\.0\.0\.1|::1)/);
      expect(attempts.every((a) => a.nextTryAt === null && a.statusCode === null)).toBe(true);
      expect(receiver.requests()).toBe(0);
    });
  });
});
