import { and, eq, gte, isNotNull, isNull, lte, ne, sql } from 'drizzle-orm';
import type { OrderStatus } from '../domain/order.js';
import { orderEvents, orders } from '../db/schema/index.js';
import type { OrderState } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';
import { type EmailEventWrite, takeInEmailEvent } from './email-events.js';
import { createBusinessMetrics } from './metrics.js';

export interface OrderEventInput {
  seq: number;
  /** The history branch that recorded it (OrderRun.branch); unset: the order's own. */
  branch?: string;
  type: string;
  status: OrderStatus;
  actor: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

/** What the read model takes from the order's state with each event: a projection write carries no more. */
export type ProjectionSnapshot = Pick<OrderState, 'orderId' | 'order' | 'startAt' | 'escalated' | 'payloadHash' | 'receivedAt' | 'setupEmailSentAt'>;

/** The read-model row of an order: what the rep list and search see. */
export function readModelRow(
  order: OrderState['order'],
  fields: Pick<typeof orders.$inferInsert, 'status' | 'startAt' | 'payloadHash' | 'lastSeq' | 'escalated' | 'createdAt' | 'updatedAt'>,
): typeof orders.$inferInsert {
  return {
    orderId: order.orderId,
    product: order.product,
    partnerId: order.partner.id,
    partnerName: order.partner.name,
    customerName: order.customer.name,
    contactEmail: order.provisioningContactEmail,
    repEmail: order.rep.email,
    requestedStartDate: order.requestedStartDate,
    timezone: order.timezone,
    payload: order,
    ...fields,
  };
}

export function createProjectionActivities({ database, metrics = createBusinessMetrics() }: ActivityDeps) {
  return {
    /**
     * Projects one workflow event: appends it to the timeline and moves the read model forward.
     * Idempotent: a retry (or a replayed activity after a worker crash) finds its row by
     * (order_id, branch, seq) and writes the same again; an older event never overwrites a newer
     * status. The same seq with other content is the history's own event replacing one a local
     * activity wrote in a workflow task that never completed (its worker was killed): the history
     * is the truth, so it wins (found by the simulator, seed 1, worker SIGKILL).
     * A Resend event's Svix id and the email's new status are written in the same transaction.
     *
     * After `temporal workflow reset` the new branch numbers its events again from the reset
     * point: its first event at seq n supersedes the live events of other branches from n on, and
     * the order's row follows the new branch. A late write of a branch already abandoned is kept,
     * superseded, and moves nothing.
     */
    async recordOrderEvent({ snapshot, event, emailEvent }: { snapshot: ProjectionSnapshot; event: OrderEventInput; emailEvent?: EmailEventWrite }): Promise<void> {
      const branch = event.branch ?? '';
      const row = readModelRow(snapshot.order, {
        status: event.status,
        startAt: new Date(snapshot.startAt),
        escalated: snapshot.escalated,
        payloadHash: snapshot.payloadHash,
        lastSeq: event.seq,
        createdAt: new Date(snapshot.receivedAt),
        updatedAt: new Date(event.occurredAt),
      });
      const firstTime = await database.db.transaction(async (tx) => {
        const ofOrder = eq(orderEvents.orderId, snapshot.orderId);
        // Serializes the order's writes: a reset's supersede and a late write of the abandoned branch see each other.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`order-events:${snapshot.orderId}`}))`);
        const [abandoned] = await tx
          .select({ id: orderEvents.id })
          .from(orderEvents)
          .where(and(ofOrder, eq(orderEvents.branch, branch), isNotNull(orderEvents.supersededAt)))
          .limit(1);
        const superseded = abandoned
          ? []
          : await tx
              .update(orderEvents)
              .set({ supersededAt: sql`now()` })
              .where(and(ofOrder, gte(orderEvents.seq, event.seq), ne(orderEvents.branch, branch), isNull(orderEvents.supersededAt)))
              .returning({ id: orderEvents.id });
        if (!abandoned) {
          const { createdAt: _createdAt, ...changes } = row;
          await tx
            .insert(orders)
            .values(row)
            .onConflictDoUpdate({ target: orders.orderId, set: changes, ...(superseded.length ? {} : { setWhere: lte(orders.lastSeq, event.seq) }) });
        }
        const inserted = await tx
          .insert(orderEvents)
          .values({
            orderId: snapshot.orderId,
            seq: event.seq,
            branch,
            type: event.type,
            status: event.status,
            actor: event.actor,
            data: event.data,
            occurredAt: new Date(event.occurredAt),
            ...(abandoned ? { supersededAt: sql`now()` } : {}),
          })
          .onConflictDoUpdate({
            target: [orderEvents.orderId, orderEvents.branch, orderEvents.seq],
            set: { type: event.type, status: event.status, actor: event.actor, data: event.data, occurredAt: new Date(event.occurredAt) },
          })
          // xmax is 0 for a row this statement inserted, not for one it updated.
          .returning({ fresh: sql<boolean>`(xmax = 0)` });
        if (emailEvent) await takeInEmailEvent(tx, emailEvent);
        return inserted[0]?.fresh === true && !abandoned;
      });
      // Counted once: a retry finds the event already there.
      if (firstTime) metrics.orderEvent(event.type, event.data, event.occurredAt, snapshot.setupEmailSentAt);
    },
  };
}
