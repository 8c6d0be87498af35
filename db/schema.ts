// The read model and the audit timeline. The order workflow is the single writer of an order's
// state; these tables are its projection, written by idempotent activities, for listing and search.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { OrderPayload, OrderStatus } from '../domain/order.js';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const orders = pgTable(
  'orders',
  {
    orderId: text('order_id').primaryKey(),
    status: text('status').$type<OrderStatus>().notNull(),
    product: text('product').notNull(),
    partnerId: text('partner_id').notNull(),
    partnerName: text('partner_name').notNull(),
    customerName: text('customer_name').notNull(),
    contactEmail: text('contact_email').notNull(),
    repEmail: text('rep_email').notNull(),
    requestedStartDate: date('requested_start_date', { mode: 'string' }).notNull(),
    timezone: text('timezone').notNull(),
    startAt: timestamp('start_at', { withTimezone: true }).notNull(),
    escalated: boolean('escalated').notNull().default(false),
    payload: jsonb('payload').$type<OrderPayload>().notNull(),
    payloadHash: text('payload_hash').notNull(),
    /** Sequence of the last event projected here: an older event arriving late never wins. */
    lastSeq: integer('last_seq').notNull(),
    ...timestamps,
  },
  (t) => [
    // Rep list: newest first, optionally filtered by status; the cursor is (created_at, order_id).
    index('orders_status_created_idx').on(t.status, t.createdAt.desc(), t.orderId.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.orderId.desc()),
    index('orders_escalated_idx').on(t.escalated).where(sql`${t.escalated}`),
    check('orders_last_seq_positive', sql`${t.lastSeq} > 0`),
  ],
);

export const orderEvents = pgTable(
  'order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.orderId, { onDelete: 'cascade' }),
    /** Assigned by the workflow, so an activity retried after a crash writes the same row again. */
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    /** Who caused it: `system`, `commerce`, `rep:<id>`, `contact`. */
    actor: text('actor').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Idempotency key of the projection: one row per workflow event, whatever the retries.
    uniqueIndex('order_events_order_seq_uq').on(t.orderId, t.seq),
  ],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;
