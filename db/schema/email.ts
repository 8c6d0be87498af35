import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { Locale } from '../../domain/locale.js';

/**
 * `pending` until the provider accepted it (`sent`) or the dev outbox kept it (`outbox`);
 * `rejected` when the provider refused it for good (bad address); `skipped` when its link was
 * revoked or expired before it could go, so a dead link is never mailed. After `sent`, Resend's
 * events (POST /api/email-events) move it to what became of it.
 */
export const EMAIL_DELIVERY_STATUSES = ['pending', 'sent', 'outbox', 'rejected', 'skipped', 'delivered', 'delivery_delayed', 'bounced', 'complained'] as const;
export type EmailDeliveryStatus = (typeof EMAIL_DELIVERY_STATUSES)[number];

/**
 * One row per email the service means to send. The idempotency key (order, purpose, issue) is
 * unique, so an email is sent at most once per purpose per order, also after a worker crash and
 * after Resend's own 24 h idempotency window.
 */
export const emailDeliveries = pgTable(
  'email_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** No reference to the read model: rebuilding `orders` must not forget what was sent (SPEC §8.1). */
    orderId: text('order_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    purpose: text('purpose').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    /** The language it was written in (`nb`, `en`); null for emails written before languages existed. */
    locale: text('locale').$type<Locale>(),
    /** Bodies are kept only for the dev outbox (no provider): they hold a working link. */
    html: text('html'),
    text: text('text'),
    status: text('status').$type<EmailDeliveryStatus>().notNull().default('pending'),
    providerMessageId: text('provider_message_id'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('email_deliveries_key_uq').on(t.idempotencyKey),
    index('email_deliveries_order_idx').on(t.orderId, t.createdAt),
    // Resend's events name the email by the id Resend gave it.
    index('email_deliveries_provider_id_idx').on(t.providerMessageId),
    // The dev outbox lists the newest first.
    index('email_deliveries_outbox_idx').on(t.createdAt.desc()).where(sql`${t.status} = 'outbox'`),
    check(
      'email_deliveries_status_ck',
      sql`${t.status} in (${sql.raw(EMAIL_DELIVERY_STATUSES.map((status) => `'${status}'`).join(', '))})`,
    ),
  ],
);

export type EmailDeliveryRow = typeof emailDeliveries.$inferSelect;

/**
 * The provider's request pace, shared by every worker process: one row per provider, so no two
 * requests to the provider start closer than 1/rate (activities/email-pace.ts). `next_allowed_at`
 * also carries a 429's Retry-After to every worker.
 */
export const emailSendPace = pgTable('email_send_pace', {
  provider: text('provider').primaryKey(),
  nextAllowedAt: timestamp('next_allowed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The provider requests in flight across every worker process: EMAIL_MAX_IN_FLIGHT slots per
 * provider, each held from a request's start until its answer, and at most until the request's
 * timeout, so a hung request or a dead worker holds one slot for that long and no longer.
 */
export const emailSendLeases = pgTable(
  'email_send_leases',
  {
    provider: text('provider').notNull(),
    slot: integer('slot').notNull(),
    heldUntil: timestamp('held_until', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.slot] })],
);

/**
 * Resend's webhook events already taken in, by Svix message id: Svix delivers at least once, and a
 * redelivered event must change nothing twice.
 */
export const emailEvents = pgTable('email_events', {
  svixId: text('svix_id').primaryKey(),
  type: text('type').notNull(),
  providerMessageId: text('provider_message_id').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});
