import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every order id intake ever took, for ever (SPEC §8.1): a re-delivery is answered from here (200
 * for the same payload, 409 for another) whether or not Temporal still remembers the workflow, so
 * an order whose workflow passed retention or was deleted never starts again. Written before the
 * workflow starts; `started_at` is set once Temporal has the workflow, so a delivery that failed in
 * between is started by the next one instead of being answered 200 for an order that never ran.
 */
export const intakeLedger = pgTable('intake_ledger', {
  orderId: text('order_id').primaryKey(),
  payloadHash: text('payload_hash').notNull(),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp('started_at', { withTimezone: true }),
});

export type IntakeLedgerRow = typeof intakeLedger.$inferSelect;
