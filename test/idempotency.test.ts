// Client retries never act twice (issue 14, item 3): a wizard step, a session start or a rep action
// sent again with the same Idempotency-Key is the same Update, answered with the first outcome;
// a request whose deadline passed is answered 503 "it may have been applied", not "nothing changed".
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { createOrderWorkers, type OrderWorkers } from '../worker.js';
import { eventually, type Harness, isoDate, makeOrder, outbox, REP_TOKEN, startHarness, tokenOf, waitForEmail } from './support/harness.js';
import { detailOf, eventsOf, waitForDetail } from './support/lifecycle.js';

let h: Harness;
let connection: NativeConnection;
let workers: { instance: OrderWorkers; running: Promise<void> } | undefined;

/** The harness runs no worker of its own: the test stops and starts this one. */
async function startWorkers() {
  const instance = await createOrderWorkers({ config: h.config, database: h.database, connection, workflowBundlePath: inject('workflowBundlePath') });
  workers = { instance, running: instance.run() };
}
async function stopWorkers() {
  workers?.instance.shutdown();
  await workers?.running;
  workers = undefined;
}

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  await startWorkers();
});
afterAll(async () => {
  await stopWorkers();
  await connection?.close();
  await h?.close();
});

async function dueOrder() {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const setup = await waitForEmail(h, order.orderId, 'setup');
  return { order, token: tokenOf(setup) };
}

const rep = (orderId: string, action: string, key?: string) =>
  h.app.inject({
    method: 'POST',
    url: `/api/orders/${orderId}/actions/${action}`,
    headers: { authorization: `Bearer ${REP_TOKEN}`, ...(key ? { 'idempotency-key': key } : {}) },
    payload: {},
  });

describe('Idempotency-Key', () => {
  it('the same resend-link twice with one key: one new link, one email, the same answer', async () => {
    const { order } = await dueOrder();
    const first = await rep(order.orderId, 'resend-link', 'resend-1');
    const second = await rep(order.orderId, 'resend-link', 'resend-1');
    expect(first.statusCode, first.body).toBe(200);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual(first.json());
    const setupEmails = async () => (await outbox(h, order.orderId)).filter((e) => e.purpose === 'setup').length;
    await eventually(async () => ((await setupEmails()) >= 2 ? true : undefined));
    expect(eventsOf(await detailOf(h, order.orderId), 'rep.resend-link')).toHaveLength(1);
    // Without the key a second request is a second action: the third setup email shows the jobs ran meanwhile.
    expect((await rep(order.orderId, 'resend-link')).statusCode).toBe(200);
    await eventually(async () => ((await setupEmails()) >= 3 ? true : undefined));
    expect(await setupEmails()).toBe(3);
    expect(eventsOf(await detailOf(h, order.orderId), 'rep.resend-link')).toHaveLength(2);
  });

  it('a step answered 503 while no worker could run it, retried with the same key: applied once, the same answer as a first success', async () => {
    const { order, token } = await dueOrder();
    const started = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/sessions` });
    expect(started.statusCode, started.body).toBe(201);
    const { sessionId } = started.json();

    // An API that waits only 1.5 s, and no worker: the step's handler is held back past the deadline.
    const impatient = await buildApp({ config: h.config, database: h.database, temporal: h.client, updateDeadlineMs: 1_500, logger: false });
    await stopWorkers();
    const step = (app: typeof impatient) =>
      app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/role`, headers: { 'idempotency-key': 'role-try-1' }, payload: { sessionId, role: 'partner' } });
    try {
      const timedOut = await step(impatient);
      expect(timedOut.statusCode, timedOut.body).toBe(503);
      expect(timedOut.headers['retry-after']).toBeDefined();
      expect(timedOut.json().detail).toMatch(/may have been applied/);
    } finally {
      await impatient.close();
      await startWorkers();
    }

    const retried = await step(h.app);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ nextStep: 'configurer' });
    const again = await step(h.app);
    expect(again.json()).toEqual(retried.json());
    const detail = await waitForDetail(h, order.orderId, (d) => eventsOf(d, 'wizard.role').length > 0);
    expect(eventsOf(detail, 'wizard.role')).toHaveLength(1);
  });

  it('refuses a malformed key before anything is changed', async () => {
    const { order } = await dueOrder();
    const response = await rep(order.orderId, 'resend-link', 'not a key!');
    expect(response.statusCode).toBe(400);
    const detail = await detailOf(h, order.orderId);
    expect(eventsOf(detail, 'rep.resend-link')).toEqual([]);
  });
});
