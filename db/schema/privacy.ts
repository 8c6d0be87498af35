// Personal data has an end (SPEC §8.5): each order's data key, which encrypts its Temporal payloads
// and is destroyed when the order's personal data is erased, and the audit of erasures and exports.
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * One AES-256 key per order (privacy/data-keys.ts), stored wrapped (AES-256-GCM) by a key of
 * PAYLOAD_ENCRYPTION_KEYS. Destroying it leaves the row with `destroyed_at` and no key: the order's
 * history in Temporal can never be read again, and the codec says why.
 */
export const orderDataKeys = pgTable('order_data_keys', {
  /** No reference to the read model: rebuilding `orders` must not lose a key (SPEC §8.1). */
  orderId: text('order_id').primaryKey(),
  /** base64 of IV, sealed key and GCM tag; null once destroyed. */
  wrappedKey: text('wrapped_key'),
  /** The PAYLOAD_ENCRYPTION_KEYS id that wraps it; null once destroyed. */
  wrappingKeyId: text('wrapping_key_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  destroyedAt: timestamp('destroyed_at', { withTimezone: true }),
});

/**
 * Who erased or exported personal data, when and why: the orders it touched, never the address
 * asked about (the audit must not keep what was erased).
 */
export const privacyRequests = pgTable(
  'privacy_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').$type<'erasure' | 'export'>().notNull(),
    /** The admin (`rep:<id>`, as the timeline names reps). */
    actor: text('actor').notNull(),
    reason: text('reason'),
    orderIds: jsonb('order_ids').$type<string[]>().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('privacy_requests_at_idx').on(t.at.desc())],
);

export type OrderDataKeyRow = typeof orderDataKeys.$inferSelect;
export type PrivacyRequestRow = typeof privacyRequests.$inferSelect;
