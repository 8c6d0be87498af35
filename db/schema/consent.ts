import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.js';

/**
 * Consent links (SPEC §7.2): the email to an existing customer org's admin asking whether a partner
 * may be attached or an admin added. Like wizard links, the token is HMAC(LINK_TOKEN_SECRET,
 * "consent:" + id): only its hash is stored. A table of its own, so a new wizard link (resend,
 * contact change) never revokes a consent link, and a consent token never opens the wizard.
 */
export const consentRequests = pgTable(
  'consent_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** No reference to the read model: rebuilding `orders` must not forget a consent request (SPEC §8.1). */
    orderId: text('order_id').notNull(),
    /** Workflow-assigned (e.g. `consent-1`): one link per request, whatever the retries. */
    requestKey: text('request_key').notNull(),
    tokenHash: text('token_hash').notNull(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id),
    recipientEmail: text('recipient_email').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Set once the request is answered, withdrawn or its order ended: the link stops working. */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Also serves revocation, which updates every request of one order.
    uniqueIndex('consent_requests_order_key_uq').on(t.orderId, t.requestKey),
    // Every consent page request looks its token up by hash.
    uniqueIndex('consent_requests_hash_uq').on(t.tokenHash),
  ],
);

export type ConsentRequestRow = typeof consentRequests.$inferSelect;
