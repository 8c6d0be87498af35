// The tail of the workflow is guarded (issue 23, item 10): a cancellation from Temporal that lands
// while a provisioned order finishes its queued work (the final drain) leaves the read model
// consistent with the workflow. Consistent here means: the order keeps the status it ended with
// (a cancel after PROVISIONED never turns it into CANCELLED), and every event it recorded is
// written and every job queued runs before the workflow ends.
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderWorkflowId } from '../domain/order.js';
import { getStateQuery } from '../workflows/definitions.js';
import { eventually, type Harness, outbox, startHarness } from './support/harness.js';
import { detailOf, eventsOf } from './support/lifecycle.js';
import { orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('a cancel from Temporal during the final drain of a provisioned order: PROVISIONED, every event written, every job run', { timeout: 120_000 }, async () => {
  const { order, token, wizard } = await orderInServiceSetup(h, ['messaging']);
  await saveAllSections(wizard, ['messaging']);
  const handle = h.client.workflow.getHandle(orderWorkflowId(order.orderId));

  // The order's read-model row is locked elsewhere: its events queue in the workflow, so once
  // provisioned it waits in the final drain. (No key lock: provisioning's own rows still go in.)
  const holder = postgres(h.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const held = await holder.reserve();
  try {
    await held`begin`;
    await held`select 1 from orders where order_id = ${order.orderId} for no key update`;
    const provision = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/provision`, payload: { sessionId: wizard.sessionId, confirm: true } });
    expect(provision.statusCode, provision.body).toBe(200);
    await eventually(async () => ((await handle.query(getStateQuery)).status === 'PROVISIONED' ? true : undefined), { timeoutMs: 60_000 });

    await handle.cancel();
    // The workflow has taken the cancellation in before the row is let go.
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
      return requested >= 0 && events.slice(requested).some((e) => e.workflowTaskCompletedEventAttributes) ? true : undefined;
    });
  } finally {
    await held`commit`;
    held.release();
    await holder.end({ timeout: 5 });
  }

  const failure = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

  const detail = await detailOf(h, order.orderId);
  expect(detail.status).toBe('PROVISIONED');
  expect(eventsOf(detail, 'order.provisioned')).toHaveLength(1);
  expect(eventsOf(detail, 'order.cancelled')).toEqual([]);
  // The timeline holds every event the workflow recorded.
  expect(detail.timeline.at(-1)?.seq).toBe((await handle.query(getStateQuery)).seq);
  // Its queued jobs ran: the holder and the rep were told it is active.
  expect((await outbox(h, order.orderId)).filter((e) => e.purpose === 'provisioned')).toHaveLength(2);
});
