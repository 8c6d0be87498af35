// Processes that really die (SIGKILL) in the middle of their work: the worker while Resend holds
// the setup email and while step 8's commit waits for its lock, and the API while a step's Update
// is in flight. After the restart every order completes; the Resend stand-in delivered exactly
// one email per purpose; each order made one customer org, one admin, one subscription, one
// billing start. The worker and the API are child processes sharing the run's PostgreSQL.
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { billingStarts, emailDeliveries, orderConfigurations, organizations, orgUsers, subscriptions } from '../db/schema/index.js';
import type { OrderPayload } from '../domain/order.js';
import { eventually, type Harness, isoDate, makeOrder, startHarness } from './support/harness.js';
import { type ChildService, freePort, kill, startApiProcess, startWorkerProcess, stop } from './support/processes.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';

/** A retried email activity waits out its 30 s start-to-close timeout: the killed attempt never reports back. */
const AFTER_RESTART_MS = 90_000;

let h: Harness;
let standIn: ResendStandIn;
let worker: ChildService | undefined;
const children: ChildService[] = [];
const finished: Array<{ order: OrderPayload; adminEmail: string }> = [];

/** The harness's own variables (secrets, payload key, task queue, Resend, the file's database). */
const childEnv = () => ({ ...h.env, LOG_LEVEL: 'warn' });
const databaseUrl = () => h.env.DATABASE_URL!;

beforeAll(async () => {
  standIn = await startResendStandIn({ ratePerSecond: null });
  // No worker in this process: the workers are the children this file kills.
  h = await startHarness({ RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: '50' }, { worker: false });
});
afterAll(async () => {
  await Promise.all(children.map((service) => stop(service.child)));
  await h?.close();
  await standIn?.close();
});

async function startWorker() {
  worker = await startWorkerProcess(childEnv(), inject('workflowBundlePath'));
  children.push(worker);
  return worker;
}

// --- talking to an API: in this process (inject) or a child over HTTP -----------------------

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
type Call = (method: 'GET' | 'POST', url: string, body?: Record<string, unknown>) => Promise<Answer>;

const inProcess: Call = async (method, url, body) => {
  const response = await h.app.inject({ method, url, ...(body ? { payload: body } : {}) });
  return { status: response.statusCode, body: response.json() };
};

const overHttp =
  (base: string): Call =>
  async (method, url, body) => {
    const response = await fetch(`${base}${url}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

function wizard(call: Call, token: string, sessionId = '') {
  return {
    get sessionId() {
      return sessionId;
    },
    view: () => call('GET', `/api/wizard/${token}?sessionId=${sessionId}`),
    async start() {
      const answer = await call('POST', `/api/wizard/${token}/sessions`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      sessionId = String(answer.body.sessionId);
    },
    step: (step: string, input: Record<string, unknown> = {}) => call('POST', `/api/wizard/${token}/steps/${step}`, { sessionId, ...input }),
  };
}
type Wizard = ReturnType<typeof wizard>;

async function expectStep(w: Wizard, step: string, input: Record<string, unknown>) {
  const answer = await w.step(step, input);
  expect(answer.status, `${step}: ${JSON.stringify(answer.body)}`).toBe(200);
  return answer.body;
}

// --- orders ------------------------------------------------------------------------------------

/** An order due at once: its setup email goes as soon as a worker runs it. */
async function dueOrder(): Promise<OrderPayload> {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', services: ['messaging'] });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  return order;
}

const deliveriesFor = (orderId: string, key: string) => standIn.deliveries().filter((d) => d.idempotencyKey === `${orderId}/${key}`);

/** The token in the order's delivered setup email. */
function setupToken(orderId: string, timeoutMs = 20_000): Promise<string> {
  return eventually(
    async () => {
      const [email] = deliveriesFor(orderId, 'setup/link-1');
      return email?.text ? /\/wizard\/([A-Za-z0-9_-]{43})/.exec(email.text)?.[1] : undefined;
    },
    { timeoutMs },
  );
}

/** Steps 3–7 for a first order of a partner: a new partner org and a new customer org. Returns the admin's address. */
async function configureUpToConfirm(w: Wizard, order: OrderPayload): Promise<string> {
  await w.start();
  const domain = `${order.orderId.toLowerCase()}.example`;
  await expectStep(w, 'role', { role: 'partner' });
  await expectStep(w, 'configurer', { choice: 'self' });
  await expectStep(w, 'partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${domain}` });
  const adminEmail = `it@${domain}`;
  await expectStep(w, 'customer-admin', { email: adminEmail });
  await expectStep(w, 'customer-org', { mode: 'new', name: order.customer.name, country: 'NO', address: 'Strandkaien 2' });
  return adminEmail;
}

/** Steps 9–10 of a configured messaging order, then waits for PROVISIONED. */
async function finishConfigured(w: Wizard) {
  await expectStep(w, 'partner-password', { password: 'correct horse battery staple fjord' });
  await expectStep(w, 'subscription', { reviewed: true });
  await expectStep(w, 'provision', { confirm: true });
  await eventually(async () => ((await w.view()).body.status === 'PROVISIONED' ? true : undefined), { timeoutMs: 30_000 });
}

async function viewStatus(w: Wizard, status: string) {
  return eventually(async () => ((await w.view()).body.status === status ? true : undefined), { timeoutMs: AFTER_RESTART_MS });
}

// --- holding step 8's commit -------------------------------------------------------------------

const commitLockKey = (orderId: string) => `order-configuration:${orderId}`;

/**
 * Takes the advisory lock step 8's transaction takes first (activities/organizations.ts), on a
 * connection of its own: the order's commit waits for it until `release`.
 */
async function holdCommit(orderId: string) {
  const connection = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
  await connection`select pg_advisory_lock(hashtextextended(${commitLockKey(orderId)}, 0))`;
  return {
    release: async () => {
      await connection`select pg_advisory_unlock(hashtextextended(${commitLockKey(orderId)}, 0))`;
      await connection.end();
    },
  };
}

/** True once the order's commit is blocked on the held lock: its transaction is open, nothing written. */
async function commitIsWaiting(orderId: string) {
  const rows = (await h.database.db.execute(sql`
    select 1 from pg_locks
    where locktype = 'advisory' and not granted
      and ((classid::bigint << 32) | objid::bigint) = hashtextextended(${commitLockKey(orderId)}, 0)
  `)) as unknown as unknown[];
  return rows.length > 0 ? true : undefined;
}

/** What exactly-once means for a provisioned order, in the stand-in and in the database. */
async function expectDoneOnce(order: OrderPayload, adminEmail: string) {
  const { orderId } = order;
  const purposes = ['setup/link-1', 'order-configured', 'provisioned', 'provisioned-rep'];
  // The last emails go just after PROVISIONED shows.
  await eventually(async () => (purposes.every((key) => deliveriesFor(orderId, key).length > 0) ? true : undefined));
  for (const key of purposes) expect(deliveriesFor(orderId, key), `${orderId}: ${key} emails delivered`).toHaveLength(1);
  // The activity settles its row just after the provider answered.
  const settled = async () => {
    const rows = await h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, orderId));
    return rows.every((row) => row.status === 'sent') ? rows : undefined;
  };
  const sent = await eventually(settled).catch(async () => h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, orderId)));
  expect(sent.every((row) => row.status === 'sent'), JSON.stringify(sent.map((r) => [r.idempotencyKey, r.status]))).toBe(true);
  const orgs = await h.database.db.select().from(organizations).where(eq(organizations.createdByOrderId, orderId));
  expect(orgs.map((org) => org.kind).sort()).toEqual(['customer', 'partner']);
  expect(await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, adminEmail))).toHaveLength(1);
  expect(await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, orderId))).toHaveLength(1);
  expect(await h.database.db.select().from(subscriptions).where(eq(subscriptions.orderId, orderId))).toHaveLength(1);
  expect(await h.database.db.select().from(billingStarts).where(eq(billingStarts.orderId, orderId))).toHaveLength(1);
}

describe('processes killed mid-work', () => {
  it('the worker, while Resend holds a setup email and while step 8 waits for its lock: after a restart both orders complete once', { timeout: 240_000 }, async () => {
    const first = await startWorker();

    // Order B reaches step 8; its commit transaction starts and waits for the held lock.
    const b = await dueOrder();
    const bWizard = wizard(inProcess, await setupToken(b.orderId));
    const bAdmin = await configureUpToConfirm(bWizard, b);
    const lock = await holdCommit(b.orderId);
    const confirming = bWizard.step('confirm', { confirmed: true });
    await eventually(() => commitIsWaiting(b.orderId));

    // Order A's setup email is in Resend's hands, not yet answered.
    standIn.delayNext(4_000);
    const a = await dueOrder();
    await eventually(async () => (standIn.requests.some((r) => r.idempotencyKey === `${a.orderId}/setup/link-1`) ? true : undefined));

    await kill(first.child);
    await lock.release();
    // The person was told to try again (or, if the retry beat the deadline, that it worked); nothing half-done.
    expect([200, 503]).toContain((await confirming).status);
    expect(await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, b.orderId))).toEqual([]);

    await startWorker();

    // B: the commit runs again and lands once; confirming again is refused, not applied twice.
    await viewStatus(bWizard, 'ORDER_CONFIGURED');
    const again = await bWizard.step('confirm', { confirmed: true });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(again.body.type).toMatch(/already-configured$/);
    await finishConfigured(bWizard);
    finished.push({ order: b, adminEmail: bAdmin });

    // A: the provider sent the held email; the retry got its id back instead of a second email.
    const aToken = await setupToken(a.orderId, AFTER_RESTART_MS);
    await eventually(
      async () => {
        const [row] = await h.database.db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, `${a.orderId}/setup/link-1`));
        return row?.status === 'sent' ? row : undefined;
      },
      { timeoutMs: AFTER_RESTART_MS },
    );
    expect(standIn.duplicates().filter((r) => r.idempotencyKey === `${a.orderId}/setup/link-1`).length).toBeGreaterThan(0);
    const aWizard = wizard(inProcess, aToken);
    const aAdmin = await configureUpToConfirm(aWizard, a);
    await expectStep(aWizard, 'confirm', { confirmed: true });
    await finishConfigured(aWizard);
    finished.push({ order: a, adminEmail: aAdmin });

    await expectDoneOnce(a, aAdmin);
    await expectDoneOnce(b, bAdmin);
  });

  it('the API, while a step’s Update is in flight: after a restart the step is retried and applied once', { timeout: 180_000 }, async () => {
    if (!worker || worker.child.exitCode !== null) await startWorker();
    const port = await freePort();
    const firstApi = await startApiProcess(childEnv(), port);
    children.push(firstApi);

    const c = await dueOrder();
    const token = await setupToken(c.orderId);
    const before = wizard(overHttp(firstApi.url), token);
    const admin = await configureUpToConfirm(before, c);

    const lock = await holdCommit(c.orderId);
    const inFlight = before.step('confirm', { confirmed: true }).then(
      () => 'answered',
      () => 'connection lost',
    );
    await eventually(() => commitIsWaiting(c.orderId));
    await kill(firstApi.child);
    expect(await inFlight).toBe('connection lost');
    await lock.release();

    const secondApi = await startApiProcess(childEnv(), port);
    children.push(secondApi);
    const after = wizard(overHttp(secondApi.url), token, before.sessionId);
    // The Update outlived the API that sent it: the step was applied, and the retry is refused rather than applied again.
    await viewStatus(after, 'ORDER_CONFIGURED');
    const retry = await after.step('confirm', { confirmed: true });
    expect(retry.status, JSON.stringify(retry.body)).toBe(409);
    expect(retry.body.type).toMatch(/already-configured$/);
    await finishConfigured(after);
    finished.push({ order: c, adminEmail: admin });
    await expectDoneOnce(c, admin);
  });

  it('afterwards no email of any order went twice', () => {
    expect(finished).toHaveLength(3);
    const byKey = new Map<string, number>();
    for (const delivery of standIn.deliveries()) byKey.set(String(delivery.idempotencyKey), (byKey.get(String(delivery.idempotencyKey)) ?? 0) + 1);
    expect([...byKey].filter(([, count]) => count > 1)).toEqual([]);
  });
});
