// Termination from Temporal's tools runs no code of the order's workflow: this workflow, started
// every minute by a Temporal Schedule (temporal/reconcile-schedule.ts), ends such orders in the
// read model instead (activities/terminated-orders.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';

/** Pages through visibility and the database: heartbeats per order, a few tries, then the next minute's run. */
const { reconcileTerminatedOrders } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function reconcileTerminatedOrdersWorkflow({ taskQueue }: { taskQueue: string }): Promise<{ reconciled: string[] }> {
  return reconcileTerminatedOrders({ taskQueue });
}
