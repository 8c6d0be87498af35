// Rep action `redeliver-webhooks`: the order's status changes, from its timeline, sent again in seq
// order to every endpoint that has not accepted them. A workflow of its own rather than an Update
// of the order's, so it works for an order that has ended, too.
import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import type { WebhookRetrySettings } from '../domain/order.js';
import { webhookActivities } from './order/activities.js';

const { orderStatusChanges } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function redeliverWebhooksWorkflow({ orderId, settings }: { orderId: string; settings: WebhookRetrySettings }): Promise<{ changes: number }> {
  const changes = await orderStatusChanges({ orderId });
  // One at a time: a change given up stops the rest, so no endpoint sees them out of order.
  for (const change of changes) await webhookActivities(settings).deliverWebhook(change);
  return { changes: changes.length };
}
