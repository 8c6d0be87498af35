// What became of a sent email, from Resend's webhook events: the order workflow records each one
// through here, so the email's status, the dedupe by Svix id and the timeline move together.
import { and, eq, inArray } from 'drizzle-orm';
import { type EmailDeliveryStatus, emailDeliveries, emailEvents } from '../db/schema/index.js';
import type { ActivityDeps } from './deps.js';

export type EmailEventStatus = Extract<EmailDeliveryStatus, 'delivered' | 'delivery_delayed' | 'bounced' | 'complained'>;

/** The statuses an event may replace: a late "delayed" never hides "delivered", nothing hides a bounce or complaint. */
const REPLACEABLE: Record<EmailEventStatus, EmailDeliveryStatus[]> = {
  delivery_delayed: ['pending', 'sent'],
  delivered: ['pending', 'sent', 'delivery_delayed'],
  bounced: ['pending', 'sent', 'delivery_delayed', 'delivered'],
  complained: ['pending', 'sent', 'delivery_delayed', 'delivered'],
};

export function createEmailEventActivities({ database }: ActivityDeps) {
  const { db } = database;
  return {
    /** Idempotent on the Svix id: `fresh` is false when the event was taken in before. */
    async recordEmailEvent(input: { svixId: string; status: EmailEventStatus; providerMessageId: string }): Promise<{ fresh: boolean }> {
      return db.transaction(async (tx) => {
        const inserted = await tx
          .insert(emailEvents)
          .values({ svixId: input.svixId, type: `email.${input.status}`, providerMessageId: input.providerMessageId })
          .onConflictDoNothing({ target: emailEvents.svixId })
          .returning({ svixId: emailEvents.svixId });
        if (!inserted.length) return { fresh: false };
        await tx
          .update(emailDeliveries)
          .set({ status: input.status })
          .where(and(eq(emailDeliveries.providerMessageId, input.providerMessageId), inArray(emailDeliveries.status, REPLACEABLE[input.status])));
        return { fresh: true };
      });
    },
  };
}
