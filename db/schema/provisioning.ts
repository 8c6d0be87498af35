import { sql } from 'drizzle-orm';
import { check, foreignKey, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.js';

/** Webex meeting sites. A subdomain names one site across all orders, whatever its case. */
export const meetingSites = pgTable(
  'meeting_sites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: text('order_id').notNull(),
    subdomain: text('subdomain').notNull(),
    /** `reserved` when step 10c saves it, `active` once provisioning created the site. */
    status: text('status').$type<'reserved' | 'active'>().notNull().default('reserved'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
  },
  (t) => [
    // Two racing wizards can never both hold one subdomain.
    uniqueIndex('meeting_sites_subdomain_uq').on(sql`lower(${t.subdomain})`),
    // One site per order: saving another subdomain replaces the reservation.
    uniqueIndex('meeting_sites_order_uq').on(t.orderId),
    check('meeting_sites_subdomain_format', sql`${t.subdomain} ~ '^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$'`),
    // An active site knows when it was created; a reservation has not been.
    check(
      'meeting_sites_status',
      sql`(${t.status} = 'reserved' and ${t.activatedAt} is null) or (${t.status} = 'active' and ${t.activatedAt} is not null)`,
    ),
  ],
);

/** The activated subscription of an order: one per order. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: text('order_id').notNull(),
    customerOrgId: uuid('customer_org_id')
      .notNull()
      .references(() => organizations.id),
    services: text('services').array().notNull(),
    activatedAt: timestamp('activated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('subscriptions_order_uq').on(t.orderId),
    // Target of billing_starts' foreign key: billing can only start on the order's own subscription.
    unique('subscriptions_order_id_uq').on(t.orderId, t.id),
    check('subscriptions_services_not_empty', sql`cardinality(${t.services}) > 0`),
  ],
);

/** Billing starts exactly once per order: the primary key is the order. */
export const billingStarts = pgTable(
  'billing_starts',
  {
    orderId: text('order_id').primaryKey(),
    subscriptionId: uuid('subscription_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The subscription billed is the order's own: (order, subscription) must be a subscriptions row.
    foreignKey({
      name: 'billing_starts_subscription_fk',
      columns: [t.orderId, t.subscriptionId],
      foreignColumns: [subscriptions.orderId, subscriptions.id],
    }),
  ],
);

export type MeetingSiteRow = typeof meetingSites.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type BillingStartRow = typeof billingStarts.$inferSelect;
