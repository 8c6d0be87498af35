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
  uuid,
} from 'drizzle-orm/pg-core';
import type { RepTaskReason } from '../../domain/desk.js';
import type { OrderPayload, OrderStatus } from '../../domain/order.js';
import { timestamps } from './columns.js';


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
    /** Set when the order's personal data was erased (privacy/erasure.ts): its names and addresses are markers since. */
    personalDataErasedAt: timestamp('personal_data_erased_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // Rep list: newest first, optionally filtered by status; the cursor is (created_at, order_id).
    index('orders_status_created_idx').on(t.status, t.createdAt.desc(), t.orderId.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.orderId.desc()),
    index('orders_escalated_idx').on(t.escalated).where(sql`${t.escalated}`),
    check('orders_last_seq_positive', sql`${t.lastSeq} > 0`),
    // The retention sweep: ended orders whose personal data is still there, oldest first.
    index('orders_retention_idx').on(t.updatedAt).where(sql`${t.personalDataErasedAt} is null and ${t.status} in ('PROVISIONED', 'CANCELLED', 'EXPIRED')`),
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
    /**
     * The history branch that recorded it: '' for the order's own, the run id of a `temporal workflow
     * reset` for the runs from that reset on (continue-as-new keeps the branch). A reset's run numbers
     * its events again from the reset point.
     */
    branch: text('branch').notNull().default(''),
    /** Set when a reset abandoned the branch that recorded it: the event did happen, but no longer counts. */
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
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
    uniqueIndex('order_events_order_branch_seq_uq').on(t.orderId, t.branch, t.seq),
    // One live event per seq: a reset's event supersedes the abandoned branch's (activities/projection.ts).
    uniqueIndex('order_events_order_seq_live_uq').on(t.orderId, t.seq).where(sql`${t.supersededAt} is null`),
  ],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;

/** Rep work items: escalations, holds, rejected addresses, failed provisioning. */
export const repTasks = pgTable(
  'rep_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Not a reference to `orders`: a rebuilt read model keeps the desk's tasks (SPEC §8.1). */
    orderId: text('order_id').notNull(),
    kind: text('kind').$type<RepTaskKind>().notNull(),
    /** Workflow-assigned key (kind + seq), so a retried activity opens the task once. */
    taskKey: text('task_key').notNull(),
    status: text('status').$type<'open' | 'closed'>().notNull().default('open'),
    detail: text('detail').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closedReason: text('closed_reason'),
  },
  (t) => [
    uniqueIndex('rep_tasks_order_key_uq').on(t.orderId, t.taskKey),
    // The rep queue: open tasks, oldest first.
    index('rep_tasks_open_idx').on(t.openedAt).where(sql`${t.status} = 'open'`),
  ],
);

/** The reasons a rep is asked to act: one list, the desk's (domain/desk.ts). */
export type RepTaskKind = RepTaskReason;

/**
 * Wizard links. The token itself is never stored: it is HMAC(LINK_TOKEN_SECRET, id), so the
 * activity that emails it can derive the same token again after a crash, and a database leak
 * alone reveals no working link.
 */
export const linkTokens = pgTable(
  'link_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Not a reference to `orders`: a rebuilt read model keeps every link and its revocation (SPEC §8.1). */
    orderId: text('order_id').notNull(),
    /** Workflow-assigned (e.g. `link-3`): one link per issue and history branch, whatever the retries. */
    issueKey: text('issue_key').notNull(),
    /** The history branch that issued it (order_events.branch): a reset issues its links anew. */
    branch: text('branch').notNull().default(''),
    tokenHash: text('token_hash').notNull(),
    recipientEmail: text('recipient_email').notNull(),
    /** Who the link is for: the contact, a colleague, or the customer. */
    audience: text('audience').$type<'contact' | 'colleague' | 'customer'>().notNull(),
    /** Null: no deadline. From the point of no return a link works until provisioned, cancelled or renewed (SPEC §7.1). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Why it stopped working: `resend`, `contact-changed`, `delegated`, `order-ended`, … */
    revokedReason: text('revoked_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Also serves revocation, which updates every link of one order.
    uniqueIndex('link_tokens_order_issue_uq').on(t.orderId, t.issueKey, t.branch),
    // Every wizard request looks its token up by hash.
    uniqueIndex('link_tokens_hash_uq').on(t.tokenHash),
  ],
);

export type RepTaskRow = typeof repTasks.$inferSelect;
export type LinkTokenRow = typeof linkTokens.$inferSelect;
