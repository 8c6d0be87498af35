// The read model follows `temporal workflow reset` (issue 23, item 3): a cancelled order reset to
// its first workflow task, without reapplying the rep's Update, lives again — in the rep list with
// the workflow's own status, its timeline marking the abandoned branch's events superseded, and a
// fresh link that works while the abandoned branch's revoked one stays dead.
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../domain/order.js';
import { eventually, type Harness, isoDate, makeOrder, outbox, repAction, startHarness, tokenOf, waitForEmail } from './support/harness.js';
import { getStateQuery } from '../workflows/definitions.js';
import { detailOf, eventsOf, waitForDetail } from './support/lifecycle.js';

const { EventType } = temporal.api.enums.v1;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** As `temporal workflow reset --type FirstWorkflowTask --reapply-type None` does it. */
async function resetToFirstWorkflowTask(orderId: string): Promise<string> {
  const handle = h.client.workflow.getHandle(orderWorkflowId(orderId));
  const { runId } = await handle.describe();
  const history = await handle.fetchHistory();
  const firstTask = history.events!.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!;
  const { runId: newRunId } = await h.client.workflowService.resetWorkflowExecution({
    namespace: h.config.temporal.namespace,
    workflowExecution: { workflowId: orderWorkflowId(orderId), runId },
    reason: 'test: undo a cancellation',
    workflowTaskFinishEventId: firstTask.eventId,
    requestId: randomUUID(),
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
  });
  return newRunId!;
}

async function listedStatus(orderId: string): Promise<string | undefined> {
  const response = await h.repGet(`/api/orders?q=${encodeURIComponent(orderId)}`);
  return (response.json().items as Array<{ orderId: string; status: string }>).find((o) => o.orderId === orderId)?.status;
}

describe('temporal workflow reset', () => {
  it('brings a cancelled order back: the list shows the live status, the cancelled branch is superseded', { timeout: 60_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const firstLink = tokenOf(await waitForEmail(h, order.orderId, 'setup'));
    expect((await repAction(h, order.orderId, 'cancel', { reason: 'ordered by mistake' })).statusCode).toBe(200);
    await waitForDetail(h, order.orderId, (d) => d.status === 'CANCELLED' && eventsOf(d, 'rep.cancel').length === 1);
    expect(await listedStatus(order.orderId)).toBe('CANCELLED');

    await resetToFirstWorkflowTask(order.orderId);

    // The new branch sends its own link: the abandoned branch's was revoked by the cancellation.
    const emails = await eventually(async () => {
      const setup = (await outbox(h, order.orderId)).filter((e) => e.purpose === 'setup');
      return setup.length === 2 ? setup : undefined;
    });
    const { status: live } = await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).query(getStateQuery);
    expect(live).toBe('AWAITING_SETUP');
    await eventually(async () => ((await listedStatus(order.orderId)) === live ? true : undefined));

    const detail = await detailOf(h, order.orderId);
    expect(detail.status).toBe(live);
    const superseded = detail.timeline.filter((e) => e.supersededAt);
    const current = detail.timeline.filter((e) => !e.supersededAt);
    expect(superseded.map((e) => e.type)).toContain('rep.cancel');
    expect(current.map((e) => e.type)).not.toContain('rep.cancel');
    expect(current.filter((e) => e.type === 'order.received')).toHaveLength(1);
    expect(current.map((e) => e.seq)).toEqual(current.map((_, i) => i + 1));
    expect(current.at(-1)?.status).toBe(live);

    const freshLink = tokenOf(emails[0]!);
    expect(freshLink).not.toBe(firstLink);
    expect((await h.app.inject({ method: 'POST', url: `/api/wizard/${freshLink}/sessions` })).statusCode).toBe(201);
    expect((await h.app.inject({ method: 'GET', url: `/api/wizard/${firstLink}` })).statusCode).toBe(404);
  });
});
