// The order workflow's activity proxies: timeouts and retries, by what the work is and who waits
// for it. Business refusals (an address taken, a subdomain taken, a rejected email, a provisioning
// rejection) are thrown by the activities as non-retryable ApplicationFailures with exported
// types, so no profile lists them.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/index.js';
import type { WebhookRetrySettings } from '../../domain/order.js';
import { EMAIL_RETRY } from '../../emails/failures.js';

/** Projection writes are small statements: retry quickly and for as long as it takes. */
const projectionProfile = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;

/** Database work a person waits for in the wizard: a few quick tries, then the step says "try again". */
const interactiveProfile = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 4 },
} as const;

/**
 * The database work above runs as local activities, in the workflow task that asks for it: a
 * regular activity costs two task-queue dispatches (~75 ms on the dev server, bench/README.md) and a
 * copy of its input in the history.
 *
 * A local attempt keeps every retry inside the workflow task, so an outage adds no backoff timer to
 * history, and holds the lock for a few seconds at most before the regular fallback
 * (`OrderRun.databaseWrite`), whose retries the server runs without adding history. The backoffs
 * stay below the threshold by the attempt count (0.2 s and 0.4 s, and 0.8 s for the interactive
 * profile's 4 attempts), and each attempt is bounded, so a task is done before its 8 s heartbeat.
 */
const inTaskLimits = { startToCloseTimeout: '2 seconds', scheduleToCloseTimeout: '2 seconds', localRetryThreshold: '2 seconds' } as const;

export const database = {
  regular: { projection: proxyActivities<OrderActivities>(projectionProfile), interactive: proxyActivities<OrderActivities>(interactiveProfile) },
  local: {
    projection: proxyLocalActivities<OrderActivities>({ ...projectionProfile, ...inTaskLimits, retry: { ...projectionProfile.retry, maximumAttempts: 3 } }),
    interactive: proxyLocalActivities<OrderActivities>({ ...interactiveProfile, ...inTaskLimits }),
  },
};
export type DatabaseWork = (typeof database)['regular'];

/**
 * Provisioning talks to slow external systems: every call is idempotent, so retry patiently for up
 * to a day (a Webex outage heals by itself), then a rep takes over. 30 s per attempt bounds how
 * long a call lost with a crashed worker holds up the retry.
 */
export const provisioning = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  // These calls do not heartbeat, so they never hear of a cancellation: do not wait for them to.
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * Emails have their own rate-limited task queue, named after the workflow's; a rejected address is
 * not retried. An outage is retried until `giveUpAfterMs` (EMAIL_GIVE_UP_AFTER), then a rep takes over.
 */
export function emailActivities(giveUpAfterMs: number) {
  return proxyActivities<OrderActivities>({
    taskQueue: `${workflowInfo().taskQueue}-email`,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: giveUpAfterMs,
    // The activity sets each delay itself, with jitter; these apply to crashes and timeouts.
    retry: { initialInterval: EMAIL_RETRY.initialIntervalMs, backoffCoefficient: EMAIL_RETRY.backoffCoefficient, maximumInterval: EMAIL_RETRY.maximumIntervalMs },
  });
}

/**
 * Webhooks have their own task queue, so a slow receiver ties up no order or email worker slot.
 * Retried with backoff until `giveUpAfterMs` (WEBHOOK_GIVE_UP_AFTER, 3 days by default).
 */
export function webhookActivities(settings: WebhookRetrySettings) {
  return proxyActivities<OrderActivities>({
    taskQueue: `${workflowInfo().taskQueue}-webhooks`,
    // Endpoints are tried one after another, each for at most 15 s, with a heartbeat before each.
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    scheduleToCloseTimeout: settings.giveUpAfterMs,
    retry: { initialInterval: settings.initialIntervalMs, backoffCoefficient: 2, maximumInterval: settings.maximumIntervalMs },
  });
}
