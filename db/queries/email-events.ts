// Reads for Resend's webhook events (POST /api/email-events): which email an event is about, and
// whether it was taken in already.
import { eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { emailDeliveries, emailEvents } from '../schema/email.js';

/** The email Resend gave `providerMessageId` to, or undefined when it is none of ours. */
export async function findEmailByProviderId(db: Db, providerMessageId: string) {
  const [row] = await db
    .select({ orderId: emailDeliveries.orderId, purpose: emailDeliveries.purpose, recipient: emailDeliveries.recipient })
    .from(emailDeliveries)
    .where(eq(emailDeliveries.providerMessageId, providerMessageId))
    .limit(1);
  return row;
}

export async function emailEventSeen(db: Db, svixId: string): Promise<boolean> {
  const [row] = await db.select({ svixId: emailEvents.svixId }).from(emailEvents).where(eq(emailEvents.svixId, svixId)).limit(1);
  return row !== undefined;
}
