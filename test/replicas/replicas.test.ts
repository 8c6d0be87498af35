// Many replicas, proven (issue 16.6): two API processes (server.ts) and two worker processes on one
// Temporal and one PostgreSQL take REPLICA_ORDERS orders (default 300) through intake, emails,
// escalation, the wizard and provisioning, while one API and one worker are SIGKILLed halfway.
// Every order ends where it should; no email is sent twice; the provider's rate is never exceeded;
// every request that got a 2xx had its effect. Run with `npm run test:replicas`.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signIntakeBody } from '../../api/signature.js';
import type { OrderPayload } from '../../domain/order.js';
import { HMAC_SECRET, isoDate, makeOrder, REP_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { mailsOf } from '../support/lifecycle.js';
import { freePort, kill, startApiProcess, startWorkerProcess, stop } from '../support/processes.js';
import { type ResendStandIn, startResendStandIn } from '../support/resend-stand-in.js';

const ORDERS = Number(process.env.REPLICA_ORDERS ?? 300);
const EMAIL_RATE = 20;
const CONCURRENCY = 16;

let h: Harness;
let standIn: ResendStandIn;
const apis: Array<{ url: string; child: ChildProcess; alive: boolean }> = [];
const workers: ChildProcess[] = [];

beforeAll(async () => {
  standIn = await startResendStandIn({ ratePerSecond: EMAIL_RATE });
  h = await startHarness({}, { worker: false });
  const env = {
    ...h.env,
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    RESEND_API_KEY: standIn.apiKey,
    RESEND_BASE_URL: standIn.url,
    EMAIL_RATE_PER_SECOND: String(EMAIL_RATE),
    PUBLIC_BASE_URL: 'https://orders.example',
    // Long enough for the wizard group to start first, short enough to watch the others escalate.
    ESCALATION_AFTER: '45s',
    // The intake burst: every order from two addresses.
    RATE_LIMIT_INTAKE: '100000/1m',
    RATE_LIMIT_WIZARD: '100000/1m',
    RATE_LIMIT_REP: '100000/1m',
  };
  for (let i = 0; i < 2; i++) {
    const api = await startApiProcess(env, await freePort());
    apis.push({ url: api.url, child: api.child, alive: true });
    workers.push((await startWorkerProcess(env, inject('workflowBundlePath'))).child);
  }
}, 180_000);
afterAll(async () => {
  await Promise.all([...apis.map((a) => stop(a.child)), ...workers.map(stop)]);
  await h?.close();
  await standIn?.close();
});

let turn = 0;
/** A request to a live API replica; a refused or broken connection is tried on another, as a load balancer would. */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const live = apis.filter((a) => a.alive);
    const api = live[turn++ % live.length]!;
    try {
      const response = await fetch(`${api.url}${path}`, init);
      if (response.status === 503) {
        await sleep(500);
        continue;
      }
      return response;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`no API replica answered ${path}`);
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Signed intake; a re-delivery after a lost answer is idempotent (200). */
async function postOrder(order: OrderPayload): Promise<number> {
  const raw = JSON.stringify(order);
  const response = await call('/api/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000)) },
    body: raw,
  });
  return response.status;
}

async function setupToken(orderId: string): Promise<string> {
  for (;;) {
    const setup = mailsOf(standIn, orderId).find((m) => m.purpose === 'setup');
    const token = setup && /\/wizard\/([A-Za-z0-9_-]{43})/.exec(setup.text ?? '')?.[1];
    if (token) return token;
    await sleep(250);
  }
}

/** Drives the wizard from what the order says is next, so an answer lost with a killed replica is simply asked again. */
async function walkToProvisioned(order: OrderPayload): Promise<void> {
  const token = await setupToken(order.orderId);
  const domain = `cust-${randomUUID().slice(0, 8)}.example`;
  const inputs: Record<string, Record<string, unknown>> = {
    role: { role: 'partner' },
    configurer: { choice: 'self' },
    'partner-org': { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` },
    'customer-admin': { email: `it@${domain}` },
    'customer-org': { mode: 'new', name: order.customer.name, country: order.customer.country, address: 'Strandkaien 2' },
    confirm: { confirmed: true },
    'partner-password': { password: 'correct horse battery staple fjord' },
    subscription: { reviewed: true },
    meetings: { subdomain: `site-${randomUUID().slice(0, 12)}` },
    provision: { confirm: true },
  };
  let sessionId: string | undefined;
  for (let round = 0; round < 200; round++) {
    const viewResponse = await call(`/api/wizard/${token}${sessionId ? `?sessionId=${sessionId}` : ''}`);
    if (viewResponse.status !== 200) throw new Error(`view of ${order.orderId}: ${viewResponse.status} ${await viewResponse.text()}`);
    const view = (await viewResponse.json()) as { status: string; nextStep: string | null; session: { active: boolean } };
    if (view.status === 'PROVISIONED') return;
    const step: string | null = view.nextStep;
    if (!step) {
      await sleep(300);
      continue;
    }
    if (!view.session.active) {
      const started = await call(`/api/wizard/${token}/sessions`, { method: 'POST' });
      if (started.status === 201) sessionId = ((await started.json()) as { sessionId: string }).sessionId;
      continue;
    }
    const answer = await call(`/api/wizard/${token}/steps/${step}`, json({ sessionId, ...inputs[step] }));
    if (answer.status !== 200 && answer.status !== 409) throw new Error(`${step} of ${order.orderId}: ${answer.status} ${await answer.text()}`);
  }
  throw new Error(`${order.orderId} did not reach PROVISIONED`);
}

async function statusOf(orderId: string): Promise<string> {
  const response = await call(`/api/orders/${orderId}`, { headers: { authorization: `Bearer ${REP_TOKEN}` } });
  return ((await response.json()) as { status: string }).status;
}

async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe(`${ORDERS} orders on two API and two worker replicas`, () => {
  it('end where they should with one API and one worker killed halfway', { timeout: 900_000 }, async () => {
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      order: makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', services: ['messaging', 'meetings'] }),
      // Two in three are configured and provisioned; the rest are left alone and escalate.
      wizard: i % 3 !== 2,
    }));

    const intake: number[] = [];
    let done = 0;
    let killed = false;
    await pool(orders, async ({ order, wizard }) => {
      intake.push(await postOrder(order));
      if (wizard) await walkToProvisioned(order);
      done += 1;
      if (!killed && done >= ORDERS / 2) {
        killed = true;
        apis[0]!.alive = false;
        await Promise.all([kill(apis[0]!.child), kill(workers[0]!)]);
      }
    });
    expect(killed).toBe(true);
    // Every order was taken: 201, or 200 for a re-delivery whose first answer was lost.
    expect(intake.filter((s) => s !== 201 && s !== 200)).toEqual([]);

    const expected = new Map(orders.map(({ order, wizard }) => [order.orderId, wizard ? 'PROVISIONED' : 'ESCALATED']));
    const deadline = Date.now() + 300_000;
    let wrong: string[];
    do {
      wrong = [];
      for (const [orderId, status] of expected) if ((await statusOf(orderId)) !== status) wrong.push(orderId);
      if (wrong.length > 0) await sleep(2_000);
    } while (wrong.length > 0 && Date.now() < deadline);
    expect(wrong, `orders not where they should be: ${wrong.slice(0, 5).join(', ')}`).toEqual([]);

    // Escalated orders' emails have gone out: the rep's and the reminder, once each.
    for (const { order, wizard } of orders) {
      // One email per purpose and order: a retried or replayed send under a new key would show here.
      const purposes = mailsOf(standIn, order.orderId).map((m) => m.purpose);
      expect(new Set(purposes).size, `${order.orderId}: ${purposes.join(', ')}`).toBe(purposes.length);
      expect(purposes).toContain('setup');
      if (!wizard) await expect.poll(() => mailsOf(standIn, order.orderId).some((m) => m.purpose === 'rep-escalation'), { timeout: 120_000 }).toBe(true);
    }
    // The provider never had to refuse a request for the rate: the workers paced every email together.
    expect(standIn.rateLimited()).toBe(0);
  });
});
