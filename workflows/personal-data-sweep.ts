// Retention of personal data (SPEC §8.5): started every PERSONAL_DATA_SWEEP_EVERY by a Temporal
// Schedule (temporal/personal-data-schedule.ts), it erases the orders that ended longer than
// PERSONAL_DATA_RETENTION ago (privacy/retention.ts), and re-wraps the orders' data keys after a
// rotation of PAYLOAD_ENCRYPTION_KEYS (privacy/data-keys.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';

/** Heartbeats per batch of orders; a few tries, then the next scheduled run carries on where it stopped. */
const { erasePersonalDataPastRetention } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});

export async function personalDataSweepWorkflow(): Promise<{ erased: number; rewrapped: number }> {
  return erasePersonalDataPastRetention();
}
