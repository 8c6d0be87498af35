// Cancellation from Temporal's own tools (issue 14, item 6): `temporal workflow cancel` or the Web
// UI leave the order as a rep's cancel would — CANCELLED in the read model, links revoked, tasks
// closed — and a cancellation during provisioning opens a rep task instead of leaving an active,
// unbilled subscription unnoticed.
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseWebexGateway, type WebexGateway } from '../activities/provisioning.js';
import { orderWorkflowId } from '../domain/order.js';
import { eventually, type Harness, isoDate, makeOrder, startHarness, tokenOf, waitForEmail } from './support/harness.js';
import { detailOf, eventsOf, waitForDetail, waitForStatus } from './support/lifecycle.js';
import { orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

let h: Harness;
/** Billing waits for this gate: provisioning is under way until a test opens it. */
let billingGate: { promise: Promise<void>; release(): void; refuse(): void };
const newGate = () => {
  let release!: () => void;
  let refuse!: () => void;
  const promise = new Promise<void>((resolve, reject) => {
    release = resolve;
    refuse = () => reject(new Error('billing refused by the test'));
  });
  promise.catch(() => {});
  return { promise, release, refuse };
};

beforeAll(async () => {
  billingGate = newGate();
  const real: { gateway?: WebexGateway } = {};
  const slowBilling: WebexGateway = {
    activateSubscription: (request) => real.gateway!.activateSubscription(request),
    createMeetingSite: (request) => real.gateway!.createMeetingSite(request),
    startBilling: async (request) => {
      await billingGate.promise;
      return real.gateway!.startBilling(request);
    },
  };
  h = await startHarness({ ESCALATION_AFTER: '1s' }, { webex: slowBilling });
  real.gateway = createDatabaseWebexGateway({ database: h.database });
});
afterAll(async () => {
  billingGate?.refuse();
  await h?.close();
});

async function cancelFromTemporal(orderId: string) {
  const handle = h.client.workflow.getHandle(orderWorkflowId(orderId));
  await handle.cancel();
  const failure = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
}

describe('cancelled from Temporal', () => {
  it('an escalated order: CANCELLED in the read model, its link revoked, its tasks closed', async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const token = tokenOf(await waitForEmail(h, order.orderId, 'setup'));
    await waitForDetail(h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'escalation' && t.status === 'open'));

    await cancelFromTemporal(order.orderId);

    const detail = await waitForDetail(h, order.orderId, (d) => d.status === 'CANCELLED' && d.tasks.every((t) => t.status === 'closed'));
    expect(eventsOf(detail, 'order.cancelled')).toEqual([expect.objectContaining({ actor: 'operator', data: { via: 'temporal' } })]);
    expect((await h.app.inject({ method: 'GET', url: `/api/wizard/${token}` })).statusCode).toBe(404);
  });

  it('during provisioning: a rep task says what was created and that nothing bills', async () => {
    const { order, wizard } = await orderInServiceSetup(h, ['messaging']);
    await saveAllSections(wizard, ['messaging']);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    // The subscription is active; billing waits at the gate.
    await eventually(async () => ((await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).query('getState')) as { provisioning?: { subscriptionId?: string } }).provisioning?.subscriptionId);

    await cancelFromTemporal(order.orderId);

    const detail = await waitForStatus(h, order.orderId, 'CANCELLED');
    const task = await eventually(async () => (await detailOf(h, order.orderId)).tasks.find((t) => t.kind === 'provisioning-cancelled' && t.status === 'open'));
    expect(task.detail).toMatch(/subscription .+ billing had not been confirmed/);
    expect(eventsOf(detail, 'order.provisioned')).toEqual([]);
  });
});
