// The email activity's failure types, shared by the activity that throws them and the workflow
// that tells them apart (it may not import the activity's module).

/** The provider refused the email for good (bad address, refused content): a rep changes the contact. */
export const EMAIL_REJECTED = 'EmailRejected';
/** The provider refused this service's key or sender: an operator's problem, not the address's. */
export const EMAIL_NOT_CONFIGURED = 'EmailNotConfigured';
/** Rate limit, provider outage, network error, timeout: retried by Temporal with backoff. */
export const EMAIL_DELIVERY_FAILED = 'EmailDeliveryFailed';
/** The request itself is malformed (a workflow bug): retrying cannot help. */
export const INVALID_EMAIL_REQUEST = 'InvalidEmailRequest';

/**
 * Retries of an email that failed for a passing reason: exponential, 1 s to 5 min. The activity
 * picks each delay at random in the later half of its step (`emailRetryDelayMs`), so emails that
 * failed together in a provider outage do not come back in lockstep waves, each of which would hold
 * up the timers and provisioning of every other order for a moment (bench/faults-resend.ts).
 */
export const EMAIL_RETRY = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 300_000 } as const;

/** The delay after failed attempt `attempt` (1 for the first), given `random` in [0, 1). */
export function emailRetryDelayMs(attempt: number, random: number): number {
  const step = Math.min(EMAIL_RETRY.maximumIntervalMs, EMAIL_RETRY.initialIntervalMs * EMAIL_RETRY.backoffCoefficient ** (attempt - 1));
  return Math.round(step * (0.5 + random / 2));
}
