// Many replicas behave like one: two API processes and two worker processes share one Temporal and
// one PostgreSQL. 300 orders go through intake, setup emails, escalation, the wizard and
// provisioning, spread over both APIs; halfway one API and one worker are SIGKILLed. Every order
// must end where it should, no email may go twice, the provider's rate is never exceeded, every
// request that got a 2xx keeps its effect, and a webhook receiver hears every status change of
// every order, in seq order. `npm run test:replicas` runs it on the dev
// server, `npm run test:cluster` on Temporal Server with PostgreSQL persistence.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { signIntakeBody } from '../../api/signature.js';
import type { OrderPayload } from '../../domain/order.js';
import { eventually, HMAC_SECRET, isoDate, makeOrder, REP_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { freePort, isRunning, kill, startApiProcess, startWorkerProcess, stop, type ChildService } from '../support/processes.js';
import { type ResendStandIn, startResendStandIn } from '../../simulator/stand-ins/resend.js';
import { type Receiver, startReceiver, WEBHOOK_TEST_SECRET } from '../../simulator/stand-ins/webhook-receiver.js';

const ORDERS = 300;
/** Every third order is never opened: it must escalate. The others are configured to PROVISIONED. */
const escalates = (index: number) => index % 3 === 2;
const EMAIL_RATE = 40;

let h: Harness;
let standIn: ResendStandIn;
let receiver: Receiver;
const apis: Array<ChildService & { url: string }> = [];
const workers: ChildService[] = [];

beforeAll(async () => {
  standIn = await startResendStandIn({ ratePerSecond: EMAIL_RATE });
  receiver = await startReceiver();
  // No worker in this process: only the four children serve. The harness gives the secrets, the
  // task queue and the file's database they share.
  h = await startHarness(
    {
      RESEND_API_KEY: standIn.apiKey,
      RESEND_BASE_URL: standIn.url,
      EMAIL_RATE_PER_SECOND: String(EMAIL_RATE),
      ESCALATION_AFTER: '40s',
      RATE_LIMIT_INTAKE: '1000000/1m',
      RATE_LIMIT_WIZARD: '1000000/1m',
      RATE_LIMIT_REP: '1000000/1m',
      WEBHOOK_ENDPOINTS: receiver.url,
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // A delivery the killed worker held is retried soon, not after the production 10 s.
      WEBHOOK_RETRY_INITIAL: '1s',
      WEBHOOK_RETRY_MAX: '5s',
    },
    { worker: false },
  );
  const env = { ...h.env, LOG_LEVEL: 'warn' };
  workers.push(...(await Promise.all([1, 2].map(() => startWorkerProcess(env, inject('workflowBundlePath'))))));
  apis.push(...(await Promise.all([1, 2].map(async () => startApiProcess(env, await freePort())))));
}, 180_000);

afterAll(async () => {
  await Promise.all([...apis, ...workers].map((service) => stop(service.child)));
  await h?.close();
  await standIn?.close();
  await receiver?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A client that knows both APIs, as a load balancer would: it asks the one `preferred` names and,
 * when that one gives no answer at all (killed), the other. A 503 is "try again" (a workflow whose
 * worker was killed answers once Temporal hands it to the other worker): it waits its Retry-After
 * and asks again. Any other answer is final.
 */
async function call(preferred: number, method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const answer = await callOnce(preferred + attempt, method, url, body, headers);
    if (answer.status !== 503) return answer;
    await sleep(1000 * Number(answer.retryAfter ?? 1));
  }
  throw new Error(`${method} ${url} was still unavailable after 30 tries`);
}

async function callOnce(preferred: number, method: string, url: string, body: unknown, headers: Record<string, string>): Promise<Answer & { retryAfter?: string }> {
  for (const api of [apis[preferred % 2]!, apis[(preferred + 1) % 2]!]) {
    if (!isRunning(api.child)) continue;
    try {
      const response = await fetch(`${api.url}${url}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, ...(retryAfter ? { retryAfter } : {}) };
    } catch {
      // No answer: the load balancer tries the other replica.
    }
  }
  throw new Error(`no API answered ${method} ${url}`);
}

async function intake(index: number, order: OrderPayload): Promise<void> {
  const raw = JSON.stringify(order);
  const answer = await call(index, 'POST', '/api/orders', raw, { 'x-signature': signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000)) });
  // A retry after a lost answer finds the order already there (200, same payload).
  expect([200, 201], JSON.stringify(answer.body)).toContain(answer.status);
}

function setupToken(orderId: string): Promise<string> {
  return eventually(
    async () => {
      const email = standIn.deliveries().find((d) => d.idempotencyKey === `${orderId}/setup/link-1`);
      return email?.text ? /\/wizard\/([A-Za-z0-9_-]{43})/.exec(email.text)?.[1] : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

/**
 * The wizard as a person runs it: open a session, then always do the step the view asks for next.
 * A step whose answer was lost (its API was killed) is found done or not by reloading the view.
 */
async function configure(index: number, order: OrderPayload): Promise<void> {
  const token = await setupToken(order.orderId);
  const domain = `${order.orderId.toLowerCase()}.example`;
  const inputs: Record<string, Record<string, unknown>> = {
    role: { role: 'partner' },
    configurer: { choice: 'self' },
    'partner-org': { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${domain}` },
    'customer-admin': { email: `it@${domain}` },
    'customer-org': { mode: 'new', name: order.customer.name, country: 'NO', address: 'Strandkaien 2' },
    confirm: { confirmed: true },
    'partner-password': { password: 'correct horse battery staple fjord' },
    subscription: { reviewed: true },
    provision: { confirm: true },
  };
  let sessionId = '';
  let lastView: unknown;
  // Time, not turns: after the kill, work the dead worker held waits for its activity timeouts.
  const deadline = Date.now() + 240_000;
  for (let turn = 0; Date.now() < deadline; turn++) {
    const view = await call(index + turn, 'GET', `/api/wizard/${token}${sessionId ? `?sessionId=${sessionId}` : ''}`);
    expect(view.status, JSON.stringify(view.body)).toBe(200);
    lastView = view.body;
    if (view.body.status === 'PROVISIONED') return;
    const next = view.body.nextStep as string | null;
    // Before the point of no return a lost session means starting again, as the wizard page does.
    if (!sessionId || (next === 'role' && view.body.status !== 'IN_PROGRESS')) {
      const started = await call(index + turn, 'POST', `/api/wizard/${token}/sessions`);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      sessionId = String(started.body.sessionId);
      continue;
    }
    if (next === null) {
      await sleep(500); // provisioning runs
      continue;
    }
    const answer = await call(index + turn, 'POST', `/api/wizard/${token}/steps/${next}`, { sessionId, ...inputs[next] });
    // 409 after a lost answer: the step was applied; the next view says what comes now.
    expect([200, 409], `${next}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
  }
  throw new Error(`${order.orderId} did not reach PROVISIONED; the wizard last showed ${JSON.stringify(lastView)}`);
}

async function statusOf(orderId: string): Promise<string | undefined> {
  const answer = await call(0, 'GET', `/api/orders/${orderId}`, undefined, { authorization: `Bearer ${REP_TOKEN}` });
  return answer.status === 200 ? String(answer.body.status) : undefined;
}

/** Runs `work` over `items` with `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

it(
  `${ORDERS} orders over two APIs and two workers end where they should, though one of each is killed halfway`,
  async () => {
    const orders = Array.from({ length: ORDERS }, () => makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', services: ['messaging'] }));
    let done = 0;
    let killed = false;
    await inParallel(orders, 12, async (order, index) => {
      await intake(index, order);
      if (!escalates(index)) await configure(index, order);
      done++;
      if (!killed && done >= ORDERS / 2) {
        killed = true;
        await Promise.all([kill(apis[0]!.child), kill(workers[0]!.child)]);
      }
    });
    expect(killed).toBe(true);

    // Every order ends where it should: configured ones provisioned, the others escalated.
    for (const [index, order] of orders.entries()) {
      const wanted = escalates(index) ? 'ESCALATED' : 'PROVISIONED';
      await eventually(async () => ((await statusOf(order.orderId)) === wanted ? true : undefined), { timeoutMs: 180_000, intervalMs: 500 });
    }
    // The escalated ones told their rep and reminded their contact, once each.
    await eventually(
      async () =>
        orders.every(
          (order, index) =>
            !escalates(index) ||
            ['rep-escalation', 'reminder-escalation'].every((key) => standIn.deliveries().some((d) => d.idempotencyKey?.startsWith(`${order.orderId}/${key}`))),
        )
          ? true
          : undefined,
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // No email went twice, and the provider never saw more than its rate.
    const keys = standIn.deliveries().map((d) => d.idempotencyKey);
    expect(keys.length - new Set(keys).size).toBe(0);
    expect(standIn.rateLimited()).toBe(0);
    for (const order of orders) expect(keys).toContain(`${order.orderId}/setup/link-1`);

    // Every status change reached the receiver, at least once and in seq order: with repeats
    // dropped (by webhook-id, as docs/http-api.md tells receivers), each order's changes form one unbroken
    // chain from SCHEDULED (each previousStatus the status before it) to where the order ended.
    for (const [index, order] of orders.entries()) {
      const wanted = escalates(index) ? 'ESCALATED' : 'PROVISIONED';
      const chain = await eventually(
        async () => {
          const received = receiver.accepted.filter((r) => r.event.data.orderId === order.orderId);
          return received.at(-1)?.event.data.status === wanted ? received : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const seqs = chain.map((r) => r.event.data.seq);
      expect(seqs, order.orderId).toEqual([...seqs].sort((a, b) => a - b));
      const seen = new Set<string>();
      const once = chain.filter((r) => {
        const id = String(r.headers['webhook-id']);
        return seen.has(id) ? false : (seen.add(id), true);
      });
      expect(once[0]?.event.data, order.orderId).toMatchObject({ status: 'SCHEDULED', previousStatus: null });
      for (const [i, r] of once.entries()) {
        if (i > 0) expect(r.event.data.previousStatus, `${order.orderId} seq ${r.event.data.seq}`).toBe(once[i - 1]!.event.data.status);
      }
    }
  },
  25 * 60_000,
);
