// What became of a sent email, from Resend's webhook events: the order workflow records each one
// as a timeline event, and its projection takes the event in here, in the same transaction as the
// timeline row, so the email's status, the Svix id and the timeline move together.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type EmailDeliveryStatus, emailDeliveries, emailEvents } from '../db/schema/index.js';

export type EmailEventStatus = Extract<EmailDeliveryStatus, 'delivered' | 'delivery_delayed' | 'bounced' | 'complained'>;

/** A Resend event as the projection writes it beside its timeline event. */
export interface EmailEventWrite {
  svixId: string;
  status: EmailEventStatus;
  providerMessageId: string;
}

/** The statuses an event may replace: a late "delayed" never hides "delivered", nothing hides a bounce or complaint. */
const REPLACEABLE: Record<EmailEventStatus, EmailDeliveryStatus[]> = {
  delivery_delayed: ['pending', 'sent'],
  delivered: ['pending', 'sent', 'delivery_delayed'],
  bounced: ['pending', 'sent', 'delivery_delayed', 'delivered'],
  complained: ['pending', 'sent', 'delivery_delayed', 'delivered'],
};

type Transaction = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Idempotent on the Svix id: an event taken in before changes nothing. */
export async function takeInEmailEvent(tx: Transaction, input: EmailEventWrite): Promise<void> {
  const inserted = await tx
    .insert(emailEvents)
    .values({ svixId: input.svixId, type: `email.${input.status}`, providerMessageId: input.providerMessageId })
    .onConflictDoNothing({ target: emailEvents.svixId })
    .returning({ svixId: emailEvents.svixId });
  if (!inserted.length) return;
  await tx
    .update(emailDeliveries)
    .set({ status: input.status })
    .where(and(eq(emailDeliveries.providerMessageId, input.providerMessageId), inArray(emailDeliveries.status, REPLACEABLE[input.status])));
}
