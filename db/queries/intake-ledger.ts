// The intake ledger (db/schema/intake.ts): what intake remembers of every order id, for ever.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../client.js';
import { type IntakeLedgerRow, intakeLedger, orders } from '../schema/index.js';

/** The order id's ledger row: this delivery's, when it is the first, else the one written first. */
export async function recordIntake(db: Db, orderId: string, payloadHash: string): Promise<{ first: boolean; row: IntakeLedgerRow }> {
  const [inserted] = await db.insert(intakeLedger).values({ orderId, payloadHash }).onConflictDoNothing().returning();
  if (inserted) return { first: true, row: inserted };
  const [existing] = await db.select().from(intakeLedger).where(eq(intakeLedger.orderId, orderId));
  // A row is never deleted, so the conflict's row is there.
  return { first: false, row: existing! };
}

/**
 * Whether the order's workflow was ever started: the ledger says so, or the read model has the row
 * the workflow's first event wrote (a start whose `started_at` was never recorded).
 */
export async function everStarted(db: Db, row: IntakeLedgerRow): Promise<boolean> {
  if (row.startedAt) return true;
  const [projected] = await db.select({ orderId: orders.orderId }).from(orders).where(eq(orders.orderId, row.orderId));
  return projected !== undefined;
}

/** Temporal has the order's workflow: no later delivery starts it again. */
export async function markStarted(db: Db, orderId: string, at: Date): Promise<void> {
  await db.update(intakeLedger).set({ startedAt: at }).where(and(eq(intakeLedger.orderId, orderId), isNull(intakeLedger.startedAt)));
}
