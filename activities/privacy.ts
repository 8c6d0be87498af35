// The retention sweep's activity (privacy/retention.ts), run by workflows/personal-data-sweep.ts.
import { Context } from '@temporalio/activity';
import { rewrapDataKeys } from '../privacy/data-keys.js';
import { eraseOrdersPastRetention } from '../privacy/retention.js';
import type { ActivityDeps } from './deps.js';
import { createBusinessMetrics } from './metrics.js';

export function createPrivacyActivities({ database, config, clock = () => new Date(), metrics = createBusinessMetrics() }: ActivityDeps) {
  return {
    /**
     * Erases the orders past PERSONAL_DATA_RETENTION (heartbeats per batch, counts what it erased),
     * then wraps the live data keys with the current PAYLOAD_ENCRYPTION_KEYS key (rotation).
     */
    async erasePersonalDataPastRetention(): Promise<{ erased: number; rewrapped: number }> {
      let counted = 0;
      const result = await eraseOrdersPastRetention(database.db, {
        retentionMs: config.personalDataRetentionMs,
        now: clock(),
        progress: (erased) => {
          metrics.personalDataErased(erased - counted);
          counted = erased;
          Context.current().heartbeat(erased);
        },
      });
      return { ...result, rewrapped: await rewrapDataKeys(database.db, config.payloadEncryptionKeys) };
    },
  };
}
