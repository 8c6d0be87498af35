// The webhook coroutine: status changes POSTed one at a time in seq order, beside the job runner
// (order/jobs.ts) rather than in it, so a receiver that is down for days delays no email.
import { ActivityFailure, condition, isCancellation, log } from '@temporalio/workflow';
import type { WebhookRetrySettings } from '../../domain/order.js';
import { webhookActivities } from './activities.js';
import type { OrderRun } from './run.js';

async function deliverFirst(run: OrderRun, settings: WebhookRetrySettings): Promise<void> {
  const change = run.webhooks[0]!;
  try {
    await webhookActivities(settings).deliverWebhook(change);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Past WEBHOOK_GIVE_UP_AFTER: the next change goes on; a rep can send this one again (redeliver-webhooks).
    const reason = error.cause?.message ?? error.message;
    log.warn('A status webhook was given up', { orderId: change.orderId, seq: change.seq, reason });
    await run.exclusive(async () => run.record('webhook.given-up', 'system', { seq: change.seq, status: change.status, reason }));
  }
}

/** A change stays first in the queue until it is delivered or given up, so an empty queue means idle. */
export async function runWebhooks(run: OrderRun): Promise<void> {
  const { webhooks: settings } = run.settings;
  if (!settings) return;
  try {
    for (;;) {
      // A delivery row refers to the order's row: the read model catches up first.
      await condition(() => run.webhooks.length > 0 && run.projections.length === 0);
      await deliverFirst(run, settings);
      run.webhooks.shift();
    }
  } catch (error) {
    // Cancelled from Temporal: the cleanup delivers what is left (order/cancellation.ts).
    if (!isCancellation(error)) throw error;
  }
}

/** After a cancellation from Temporal, in a non-cancellable scope: the CANCELLED change goes out too. */
export async function drainWebhooks(run: OrderRun): Promise<void> {
  const { webhooks: settings } = run.settings;
  if (!settings) return;
  while (run.webhooks.length) {
    await deliverFirst(run, settings);
    run.webhooks.shift();
  }
}
