import { sql } from 'drizzle-orm';
import { type AnyPgColumn, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Webex organizations: partner orgs (one per commerce partner) and customer orgs. */
export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').$type<'partner' | 'customer'>().notNull(),
    name: text('name').notNull(),
    country: text('country').notNull(),
    address: text('address'),
    /** The commerce system's partner id: set on partner orgs only. */
    partnerId: text('partner_id'),
    /** The partner org that manages this customer org; null when the customer configured alone. */
    managedByOrgId: uuid('managed_by_org_id').references((): AnyPgColumn => organizations.id),
    /** The order whose step 8 created this org: a retried commit finds it instead of creating another. */
    createdByOrderId: text('created_by_order_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One partner org per commerce partner.
    uniqueIndex('organizations_partner_uq').on(t.partnerId).where(sql`${t.kind} = 'partner'`),
    check('organizations_partner_has_id', sql`(${t.kind} = 'partner') = (${t.partnerId} is not null)`),
    check('organizations_kind', sql`${t.kind} in ('partner', 'customer')`),
    // Only customer orgs are managed by a partner.
    check('organizations_managed_is_customer', sql`${t.managedByOrgId} is null or ${t.kind} = 'customer'`),
  ],
);

/** Users of Webex orgs. A user belongs to exactly one org: the email is unique across all orgs. */
export const orgUsers = pgTable(
  'org_users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id),
    email: text('email').notNull(),
    role: text('role').$type<'admin' | 'user'>().notNull(),
    /** scrypt hash (PHC-like string, domain/password.ts); set by step 9 for a new partner org's admin. */
    passwordHash: text('password_hash'),
    createdByOrderId: text('created_by_order_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The invariant of step 6: two racing orders can never put one address in two orgs.
    uniqueIndex('org_users_email_uq').on(sql`lower(${t.email})`),
    // Step 7 candidates: customer orgs with users on the admin email's domain.
    index('org_users_domain_idx').on(sql`lower(split_part(${t.email}, '@', 2))`),
    index('org_users_org_idx').on(t.orgId),
    check('org_users_role', sql`${t.role} in ('admin', 'user')`),
  ],
);

/**
 * Step 9's password hash, written by the API under a random reference that the Update carries
 * instead of the hash, so the hash never enters workflow history (SPEC §8.1). The step's activity
 * copies it to the partner admin and removes the order's other (abandoned) ones.
 */
export const pendingPartnerPasswords = pgTable(
  'pending_partner_passwords',
  {
    reference: uuid('reference').primaryKey(),
    orderId: text('order_id').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('pending_partner_passwords_order_idx').on(t.orderId)],
);

/**
 * The step 8 commit of an order: which orgs and admin it created or linked. Keyed by the order id
 * alone, like every record of an effect: no reference to the read model, which may be rebuilt.
 */
export const orderConfigurations = pgTable(
  'order_configurations',
  {
    orderId: text('order_id').primaryKey(),
    /** Null when the customer configured alone: the partner gets no access. */
    partnerOrgId: uuid('partner_org_id').references(() => organizations.id),
    customerOrgId: uuid('customer_org_id')
      .notNull()
      .references(() => organizations.id),
    adminUserId: uuid('admin_user_id')
      .notNull()
      .references(() => orgUsers.id),
    /** The admin of the partner org this order created; step 9 sets its password. Null otherwise. */
    partnerAdminUserId: uuid('partner_admin_user_id').references(() => orgUsers.id),
    /** sha256 of what step 8 committed: a later attempt with other organizations is refused, not merged. Null in rows from before it existed. */
    inputHash: text('input_hash'),
    committedAt: timestamp('committed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('order_configurations_partner_admin_has_org', sql`${t.partnerAdminUserId} is null or ${t.partnerOrgId} is not null`),
  ],
);

/**
 * How each step 8 commit attempt ended, by the attempt id the workflow gave it: `committed`, written
 * by the commit's own transaction as its last statement, or `abandoned`, written when the workflow
 * stopped waiting for it. Whichever is written first wins (the primary key), so an attempt the wizard
 * was told changed nothing can never commit afterwards. No reference to the order's rows: a record
 * of what happened, not part of the read model.
 */
export const configurationAttempts = pgTable(
  'configuration_attempts',
  {
    attemptId: text('attempt_id').primaryKey(),
    orderId: text('order_id').notNull(),
    outcome: text('outcome').$type<'committed' | 'abandoned'>().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('configuration_attempts_outcome', sql`${t.outcome} in ('committed', 'abandoned')`)],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type OrgUserRow = typeof orgUsers.$inferSelect;
export type OrderConfigurationRow = typeof orderConfigurations.$inferSelect;
