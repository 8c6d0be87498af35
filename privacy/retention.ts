// Retention (SPEC §8.5): PERSONAL_DATA_RETENTION after an order ended, its personal data is erased
// (privacy/erasure.ts). Run by a Schedule (workflows/personal-data-sweep.ts); idempotent, so a
// retried or overlapping sweep erases nothing twice and misses nothing.
import { and, asc, inArray, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { orders } from '../db/schema/index.js';
import { TERMINAL_STATUSES } from '../domain/order.js';
import { eraseOrders } from './erasure.js';

/** Orders erased per transaction; the sweep reports progress after each. */
const SWEEP_BATCH = 500;

/**
 * Erases every order that ended (its last event) before `now - retentionMs` and still holds
 * personal data, oldest first; `progress` is called after each batch with the count so far.
 */
export async function eraseOrdersPastRetention(
  db: Db,
  { retentionMs, now, progress }: { retentionMs: number; now: Date; progress?: (erased: number) => void },
): Promise<{ erased: number }> {
  const endedBefore = new Date(now.getTime() - retentionMs);
  let erased = 0;
  for (;;) {
    const due = await db
      .select({ orderId: orders.orderId })
      .from(orders)
      .where(and(inArray(orders.status, [...TERMINAL_STATUSES]), isNull(orders.personalDataErasedAt), lt(orders.updatedAt, endedBefore)))
      .orderBy(asc(orders.updatedAt))
      .limit(SWEEP_BATCH);
    if (due.length === 0) return { erased };
    await eraseOrders(
      db,
      due.map((row) => row.orderId),
      now,
    );
    erased += due.length;
    progress?.(erased);
  }
}
