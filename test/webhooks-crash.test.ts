// A receiver that is down while the worker is SIGKILLed: once both are back, it gets every status
// change, each once and in seq order. The worker runs in a child process; this one runs the API.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listWebhookDeliveries } from '../db/queries/webhook-deliveries.js';
import { eventually, type Harness, isoDate, makeOrder, startHarness } from './support/harness.js';
import { freePort, kill, startWorkerProcess, stop } from './support/processes.js';
import { type Receiver, startReceiver, WEBHOOK_TEST_SECRET } from '../simulator/stand-ins/webhook-receiver.js';

let h: Harness;
let port: number;
let receiver: Receiver | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  port = await freePort();
  h = await startHarness(
    {
      WEBHOOK_ENDPOINTS: `http://127.0.0.1:${port}/hooks`,
      WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_INITIAL: '300ms',
      WEBHOOK_RETRY_MAX: '300ms',
    },
    { worker: false },
  );
});
afterAll(async () => {
  await Promise.all(children.map(stop));
  await receiver?.close();
  await h?.close();
});

async function startWorker() {
  const worker = await startWorkerProcess({ ...h.env, LOG_LEVEL: 'warn' }, inject('workflowBundlePath'));
  children.push(worker.child);
  return worker;
}

describe('webhooks across a worker crash and a receiver outage', () => {
  it('are all delivered once both are back, once each, in seq order', { timeout: 120_000 }, async () => {
    const crashing = await startWorker();
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);

    // Nothing listens on the port: attempts fail and are recorded while the worker runs.
    await eventually(async () => ((await listWebhookDeliveries(h.database.db, order.orderId)).length >= 3 ? true : undefined));
    await kill(crashing.child);

    receiver = await startReceiver({ port });
    await startWorker();
    const accepted = await eventually(async () => {
      const mine = receiver!.accepted.filter((r) => r.event.data.orderId === order.orderId);
      return mine.length >= 2 ? mine : undefined;
    }, { timeoutMs: 90_000 });
    expect(accepted.map((r) => [r.event.data.previousStatus, r.event.data.status])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'AWAITING_SETUP'],
    ]);
    // The attempt is recorded after the receiver answered: wait for the record of the last one.
    const seqs = accepted.map((r) => r.event.data.seq);
    const attempts = await eventually(async () => {
      const all = await listWebhookDeliveries(h.database.db, order.orderId);
      return all.filter((a) => a.outcome === 'delivered').length >= seqs.length ? all : undefined;
    });
    expect(attempts.filter((a) => a.outcome === 'delivered').map((a) => a.seq)).toEqual(seqs);
    expect(attempts.some((a) => a.outcome === 'failed' && a.error !== null && a.statusCode === null)).toBe(true);
  });
});
