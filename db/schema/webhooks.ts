import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * `delivered`: the endpoint answered 2xx; `failed`: anything else (another status, a 3xx, which is
 * never followed, a timeout, a refused connection), retried until WEBHOOK_GIVE_UP_AFTER;
 * `refused`: the target resolved to a private, loopback or link-local address, never retried.
 */
export type WebhookOutcome = 'delivered' | 'failed' | 'refused';

/** One row per attempt to deliver one status change to one endpoint. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** No reference to the read model: rebuilding `orders` must not forget what was delivered (SPEC §8.1). */
    orderId: text('order_id').notNull(),
    /** The order event's seq: the status change this delivers. */
    seq: integer('seq').notNull(),
    /** The `webhook-id` header: the same for every attempt of one event, so a receiver can dedupe. */
    messageId: text('message_id').notNull(),
    endpoint: text('endpoint').notNull(),
    outcome: text('outcome').$type<WebhookOutcome>().notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
    /** When the next attempt is due; null when delivered, refused or given up. */
    nextTryAt: timestamp('next_try_at', { withTimezone: true }),
  },
  (t) => [index('webhook_deliveries_order_idx').on(t.orderId, t.seq, t.endpoint)],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
