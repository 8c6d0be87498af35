// Erasing an order's personal data (SPEC §8.5): names, addresses and free text in the read model,
// the timeline, the email log, links, consent requests and rep tasks become a marker; its data key
// is destroyed, so its Temporal history can no longer be read. What stays: the order's id, status,
// dates, product, services, partner id and country — what the order still answers with.
import { and, inArray, isNotNull, like, not, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  consentRequests,
  emailDeliveries,
  linkTokens,
  orderDataKeys,
  orderEvents,
  orders,
  orgUsers,
  pendingPartnerPasswords,
  repTasks,
} from '../db/schema/index.js';

/** What stands where personal data was. */
export const ERASED = '[erased]';

/** What an erased timeline event's `data` holds: its type, status and time stay as columns. */
const ERASED_EVENT_DATA = { personalData: 'erased' };

/** A rep named by a token's id (`rep:rep-<digest>`) is no person's name; any other rep actor is. */
const ANONYMOUS_REP_ACTOR = 'rep:rep-%';

/** Statements name at most this many orders at once. */
const BATCH = 500;

/**
 * Only what names no one is kept of the intake payload: the same keys, with the names and
 * addresses replaced, so the read model's row still reads as an order.
 */
const erasedPayload = sql`jsonb_strip_nulls(jsonb_build_object(
  'orderId', ${orders.payload}->'orderId',
  'product', ${orders.payload}->'product',
  'requestedStartDate', ${orders.payload}->'requestedStartDate',
  'timezone', ${orders.payload}->'timezone',
  'services', ${orders.payload}->'services',
  'locale', ${orders.payload}->'locale',
  'lines', ${orders.payload}->'lines',
  'provisioningContactEmail', ${ERASED}::text,
  'partner', jsonb_build_object('id', ${orders.payload}->'partner'->'id', 'name', ${ERASED}::text),
  'customer', jsonb_build_object('name', ${ERASED}::text, 'country', ${orders.payload}->'customer'->'country'),
  'rep', jsonb_build_object('name', ${ERASED}::text, 'email', ${ERASED}::text)
))`;

/**
 * Erases the personal data of these orders and destroys their data keys, in one transaction per
 * batch. Idempotent: erasing an erased order changes nothing that holds data. The caller makes
 * sure the orders have ended (a running workflow would write some of it again).
 */
export async function eraseOrders(db: Db, orderIds: readonly string[], now: Date): Promise<void> {
  for (let start = 0; start < orderIds.length; start += BATCH) {
    const ids = orderIds.slice(start, start + BATCH);
    await db.transaction(async (tx) => {
      await tx
        .update(orders)
        .set({
          partnerName: ERASED,
          customerName: ERASED,
          contactEmail: ERASED,
          repEmail: ERASED,
          payload: erasedPayload,
          personalDataErasedAt: sql`coalesce(${orders.personalDataErasedAt}, ${now.toISOString()}::timestamptz)`,
        })
        .where(inArray(orders.orderId, ids));
      await tx.update(orderEvents).set({ data: ERASED_EVENT_DATA }).where(and(inArray(orderEvents.orderId, ids), sql`${orderEvents.data} <> '{}'::jsonb`));
      await tx
        .update(orderEvents)
        .set({ actor: `rep:${ERASED}` })
        .where(and(inArray(orderEvents.orderId, ids), like(orderEvents.actor, 'rep:%'), not(like(orderEvents.actor, ANONYMOUS_REP_ACTOR))));
      await tx.update(repTasks).set({ detail: ERASED }).where(inArray(repTasks.orderId, ids));
      await tx.update(repTasks).set({ closedReason: ERASED }).where(and(inArray(repTasks.orderId, ids), isNotNull(repTasks.closedReason)));
      await tx.update(linkTokens).set({ recipientEmail: ERASED }).where(inArray(linkTokens.orderId, ids));
      await tx.update(consentRequests).set({ recipientEmail: ERASED }).where(inArray(consentRequests.orderId, ids));
      await tx
        .update(emailDeliveries)
        .set({ recipient: ERASED, subject: ERASED, html: null, text: null, lastError: sql`case when ${emailDeliveries.lastError} is null then null else ${ERASED} end` })
        .where(inArray(emailDeliveries.orderId, ids));
      await tx.delete(pendingPartnerPasswords).where(inArray(pendingPartnerPasswords.orderId, ids));
      // An order that never had a key gets a destroyed one: none is ever made for it again.
      await tx
        .insert(orderDataKeys)
        .values(ids.map((orderId) => ({ orderId, wrappedKey: null, wrappingKeyId: null, destroyedAt: now })))
        .onConflictDoUpdate({
          target: orderDataKeys.orderId,
          set: { wrappedKey: null, wrappingKeyId: null, destroyedAt: sql`coalesce(${orderDataKeys.destroyedAt}, excluded.destroyed_at)` },
        });
    });
  }
}

/**
 * A Webex user's address (the stand-in's directory, or the cache of Webex's) becomes a marker that
 * stays unique, and a password hash goes with it. Returns how many users held it.
 */
export async function eraseOrgUsers(db: Db, email: string): Promise<number> {
  const erased = await db
    .update(orgUsers)
    .set({ email: sql`${ERASED} || ':' || ${orgUsers.id}::text`, passwordHash: null })
    .where(sql`lower(${orgUsers.email}) = ${email.toLowerCase()}`)
    .returning({ id: orgUsers.id });
  return erased.length;
}
