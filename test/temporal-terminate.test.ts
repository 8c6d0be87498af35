// Termination from Temporal's tools (issue 14, item 6; SPEC §7.1): `temporal workflow terminate`
// runs no workflow code, so the worker's Schedule runs reconcileTerminatedOrdersWorkflow, which ends
// such an order in the read model as a cancellation would: CANCELLED with a timeline event, links
// revoked, tasks closed. Running it again changes nothing. With WEBHOOK_ENDPOINTS set, the
// cancellation reaches the endpoints as the order's next status webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../domain/order.js';
import { ensureReconcileSchedule, reconcileScheduleId } from '../temporal/reconcile-schedule.js';
import { eventually, type Harness, isoDate, makeOrder, startHarness, tokenOf, waitForEmail } from './support/harness.js';
import { detailOf, eventsOf, waitForDetail } from './support/lifecycle.js';
import { type Receiver, startReceiver, WEBHOOK_TEST_SECRET } from '../simulator/stand-ins/webhook-receiver.js';

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness({ ESCALATION_AFTER: '1s', WEBHOOK_ENDPOINTS: receiver.url, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SECRET: WEBHOOK_TEST_SECRET });
});
afterAll(async () => {
  await h?.client.schedule.getHandle(reconcileScheduleId(h.config.temporal.taskQueue)).delete().catch(() => {});
  await h?.close();
  await receiver?.close();
});

/** Runs the Schedule's action now and waits for that run of the reconciler to finish. */
async function reconcileNow(): Promise<string[]> {
  const { taskQueue } = h.config.temporal;
  const schedule = h.client.schedule.getHandle(reconcileScheduleId(taskQueue));
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  const action = await eventually(async () => (await schedule.describe()).info.recentActions[before]);
  const { reconciled } = await h.client.workflow.getHandle<() => Promise<{ reconciled: string[] }>>(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result();
  return reconciled;
}

describe('terminated from Temporal', () => {
  it('an escalated order ends CANCELLED in the read model, its link revoked, its tasks closed, once', { timeout: 120_000 }, async () => {
    // The worker creates the Schedule at start; creating it again finds it there.
    await ensureReconcileSchedule(h.client, h.config.temporal.taskQueue);
    await ensureReconcileSchedule(h.client, h.config.temporal.taskQueue);

    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const token = tokenOf(await waitForEmail(h, order.orderId, 'setup'));
    await waitForDetail(h, order.orderId, (d) => d.status === 'ESCALATED' && d.tasks.some((t) => t.kind === 'escalation' && t.status === 'open'));
    const webhooks = () => receiver.accepted.filter((r) => r.event.data.orderId === order.orderId).map((r) => r.event.data);
    // The workflow announced its statuses up to ESCALATED before it was terminated.
    await eventually(async () => (webhooks().at(-1)?.status === 'ESCALATED' ? true : undefined));
    // A live order is left alone.
    expect(await reconcileNow()).not.toContain(order.orderId);

    await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).terminate('stuck, ended by an operator');
    // Visibility lists the terminated run a moment later: reconcile until it has.
    await eventually(async () => ((await reconcileNow()).includes(order.orderId) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });

    const detail = await detailOf(h, order.orderId);
    expect(detail.status).toBe('CANCELLED');
    expect(detail.tasks.length).toBeGreaterThan(0);
    expect(detail.tasks.every((t) => t.status === 'closed')).toBe(true);
    expect(eventsOf(detail, 'order.cancelled')).toEqual([expect.objectContaining({ actor: 'operator', data: { via: 'temporal-terminate', previousStatus: 'ESCALATED' } })]);
    // The event follows the read model's last one.
    expect(detail.timeline.map((e) => e.seq)).toEqual(detail.timeline.map((_, i) => i + 1));
    expect(detail.timeline.at(-1)?.type).toBe('order.cancelled');
    expect((await h.app.inject({ method: 'GET', url: `/api/wizard/${token}` })).statusCode).toBe(404);
    // The endpoints hear of it: the next status webhook, seq after the last one, with the cancellation's seq.
    const cancelled = eventsOf(detail, 'order.cancelled')[0]!;
    await eventually(async () => (webhooks().at(-1)?.status === 'CANCELLED' ? true : undefined), { timeoutMs: 30_000 });
    expect(webhooks().map((c) => [c.previousStatus, c.status])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'AWAITING_SETUP'],
      ['AWAITING_SETUP', 'ESCALATED'],
      ['ESCALATED', 'CANCELLED'],
    ]);
    expect(webhooks().at(-1)).toMatchObject({ seq: cancelled.seq, occurredAt: cancelled.occurredAt });

    // Idempotent: the next run finds the order ended.
    expect(await reconcileNow()).not.toContain(order.orderId);
    expect(eventsOf(await detailOf(h, order.orderId), 'order.cancelled')).toHaveLength(1);
    expect(webhooks().filter((c) => c.status === 'CANCELLED')).toHaveLength(1);
  });
});
