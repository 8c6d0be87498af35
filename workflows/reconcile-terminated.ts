// Termination from Temporal's tools runs no code of the order's workflow: this workflow, started
// every minute by a Temporal Schedule (temporal/reconcile-schedule.ts), ends such orders in the
// read model instead (activities/terminated-orders.ts), and sends their status webhooks on.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import { redeliveryWorkflowId } from '../domain/order.js';
import { redeliverWebhooksWorkflow } from './webhook-redelivery.js';

/** Pages through visibility and the database: heartbeats per order, a few tries, then the next minute's run. */
const { reconcileTerminatedOrders } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function reconcileTerminatedOrdersWorkflow({ taskQueue }: { taskQueue: string }): Promise<{ reconciled: string[] }> {
  const { reconciled, webhooks } = await reconcileTerminatedOrders({ taskQueue });
  if (webhooks) {
    // The terminated workflow's webhook queue died with it: a redelivery per order sends, in seq order,
    // every change no endpoint has accepted yet, the cancellation last. Abandoned: an endpoint that is
    // down for days holds up no later reconciliation (the Schedule skips while a run is open).
    for (const orderId of reconciled) {
      try {
        await startChild(redeliverWebhooksWorkflow, {
          workflowId: redeliveryWorkflowId(orderId),
          args: [{ orderId, settings: webhooks }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (error) {
        // A rep's redelivery of the order is running; it may have read the timeline before the cancellation. A rep can send it again.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    }
  }
  return { reconciled };
}
