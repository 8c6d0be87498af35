// A worker that dies in the middle of provisioning (SPEC §6: every effect is idempotent under
// worker crashes). The worker runs in a child process, is SIGKILLed once the subscription and the
// meeting site exist but before billing, and a fresh worker process finishes the order: one
// subscription, one active site, one billing start. This process runs only the API.
import type { ChildProcess } from 'node:child_process';
import protoPkg from '@temporalio/proto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { billingStarts, meetingSites, subscriptions } from '../db/schema/index.js';
import { orderWorkflowId, type Service } from '../domain/order.js';
import { eventually, type Harness, outbox, startHarness } from './support/harness.js';
import { type ChildService, kill, startWorkerProcess, stop } from './support/processes.js';
import { BILLING_STARTED } from './support/worker-process.js';
import { freshSubdomain, orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

const { EventType } = protoPkg.temporal.api.enums.v1;
/** Longer than the test: the first worker is always killed while billing waits. */
const SLOW_BILLING_MS = 600_000;

let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ EMAIL_RATE_PER_SECOND: '50' }, { worker: false });
});
afterAll(async () => {
  await Promise.all(children.map(stop));
  await h?.close();
});

/** The worker's environment: the harness's own variables (so the same secrets, keys, task queue and database). */
const workerEnvironment = (): Record<string, string> => ({ ...h.env, LOG_LEVEL: 'warn' });

/** A worker process of this test's, stopped after it. */
async function startWorker(args: string[] = []): Promise<ChildService> {
  const worker = await startWorkerProcess(workerEnvironment(), inject('workflowBundlePath'), args);
  children.push(worker.child);
  return worker;
}

const rowsOf = (orderId: string) =>
  Promise.all([
    h.database.db.select().from(subscriptions).where(eq(subscriptions.orderId, orderId)),
    h.database.db.select().from(meetingSites).where(eq(meetingSites.orderId, orderId)),
    h.database.db.select().from(billingStarts).where(eq(billingStarts.orderId, orderId)),
  ]).then(([subscriptionRows, siteRows, billingRows]) => ({ subscriptionRows, siteRows, billingRows }));

describe('a worker crash during provisioning', () => {
  it('is finished by a fresh worker: one subscription, one site, one billing start', { timeout: 240_000 }, async () => {
    const crashing = await startWorker(['--slow-billing-ms', String(SLOW_BILLING_MS)]);
    const services: Service[] = ['messaging', 'meetings', 'calling'];
    const { order, wizard } = await orderInServiceSetup(h, services);
    const subdomain = freshSubdomain('crash');
    await saveAllSections(wizard, services, subdomain);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);

    // Kill the worker inside the (slowed) billing call: the subscription and the site exist by then.
    // Watching the tables alone would race: the kill could land before billing was even asked for.
    await eventually(async () => (crashing.stdout().includes(`${BILLING_STARTED} ${order.orderId}`) ? true : undefined));
    const atCrash = await rowsOf(order.orderId);
    expect(atCrash.subscriptionRows).toHaveLength(1);
    expect(atCrash.siteRows).toMatchObject([{ subdomain, status: 'active' }]);
    await kill(crashing.child);
    expect((await rowsOf(order.orderId)).billingRows).toEqual([]);

    await startWorker();
    // Temporal gives the killed attempt up only when its start-to-close timeout (1 minute) passes.
    const done = await eventually(
      async () => {
        const view = (await wizard.view()).json();
        return view.status === 'PROVISIONED' || view.provisioning?.state === 'failed' ? view : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(done).toMatchObject({ status: 'PROVISIONED', nextStep: null, provisioning: { state: 'done' } });

    const { subscriptionRows, siteRows, billingRows } = await rowsOf(order.orderId);
    expect(subscriptionRows).toHaveLength(1);
    expect(siteRows).toMatchObject([{ subdomain, status: 'active' }]);
    expect(billingRows).toMatchObject([{ subscriptionId: subscriptionRows[0]!.id }]);

    // The billing attempt that completed was not the one the crash cut off.
    const history = await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).fetchHistory();
    const events = history.events ?? [];
    const billingScheduled = events.filter(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'startBilling',
    );
    expect(billingScheduled).toHaveLength(1);
    const billingStarted = events.find(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(billingScheduled[0]!.eventId),
    );
    expect(billingStarted?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThan(1);

    // Each "provisioned" email went once, to the contact and to the rep.
    const provisionedEmails = await eventually(async () => {
      const emails = (await outbox(h, order.orderId)).filter((e) => e.purpose === 'provisioned');
      return emails.length >= 2 ? emails : undefined;
    });
    expect(provisionedEmails.map((e) => e.to).sort()).toEqual([order.provisioningContactEmail, order.rep.email].sort());
  });
});
