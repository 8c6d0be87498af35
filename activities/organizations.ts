// Step 8 (the point of no return) and step 9 of the wizard: create or link the partner and
// customer orgs and assign the customer admin, in one transaction keyed by the order.
import { createHash } from 'node:crypto';
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { configurationAttempts, linkTokens, orderConfigurations, organizations, orgUsers, pendingPartnerPasswords } from '../db/schema/index.js';
import { postgresErrorOf, UNIQUE_VIOLATION } from '../db/queries/sites.js';
import { looksLikePasswordHash } from '../domain/password.js';
import type { Db } from '../db/client.js';
import type { ActivityDeps } from './deps.js';

/** The customer admin's address is already a user of another org (lost a race, or changed since step 6). */
export const ADMIN_EMAIL_TAKEN = 'AdminEmailTaken';
/** The new partner org's admin address is already a user of another org. */
export const PARTNER_ADMIN_EMAIL_TAKEN = 'PartnerAdminEmailTaken';
/** An `existing` partner org id that names no partner org. */
export const UNKNOWN_PARTNER_ORG = 'UnknownPartnerOrg';
/** An `existing` customer org id that names no customer org. */
export const UNKNOWN_CUSTOMER_ORG = 'UnknownCustomerOrg';
/** Step 9 for an order that did not create a partner org (or has not committed step 8). */
export const NO_NEW_PARTNER_ORG = 'NoNewPartnerOrg';
/** Step 8 was already committed with other organizations or another admin: a late duplicate is refused. */
export const CONFIGURATION_MISMATCH = 'ConfigurationMismatch';
/** Step 9 was handed something that is not a password hash: refuse rather than store it. */
export const INVALID_PASSWORD_HASH = 'InvalidPasswordHash';
/** Step 9 names a password the API did not store for this order. */
export const UNKNOWN_PASSWORD_REFERENCE = 'UnknownPasswordReference';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type PartnerOrgChoice =
  | { mode: 'new'; partnerId: string; name: string; country: string; address: string; adminEmail: string }
  | { mode: 'existing'; orgId: string };

export type CustomerOrgChoice = { mode: 'new'; name: string; country: string; address: string } | { mode: 'existing'; orgId: string };

export interface CommitInput {
  orderId: string;
  /** The workflow's id for this commit: settleConfigurationAttempt answers whether it committed. */
  attemptId: string;
  /**
   * null when the customer configures: no partner org is touched and the customer org is not
   * partner-managed. Otherwise the partner org manages the customer org (managed_by_org_id).
   */
  partner: PartnerOrgChoice | null;
  customer: CustomerOrgChoice;
  admin: { email: string };
}

export interface CommitResult {
  partnerOrgId: string | null;
  customerOrgId: string;
  adminUserId: string;
  /** True when this order created the partner org: step 9 then sets its admin's password. */
  newPartnerOrg: boolean;
  partnerAdminUserId: string | null;
  /**
   * The customer org's own name. The draft may only have called it "the organization that <address>
   * belongs to" (SPEC §7.2); once it consented (or the partner manages it) its name may be shown.
   */
  customerOrgName: string;
}

const USER_EMAIL_CONSTRAINT = 'org_users_email_uq';

type Transaction = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The unique constraint a violation names, looking through Drizzle's wrapping. */
function violatedUniqueConstraint(error: unknown): string | undefined {
  const violation = postgresErrorOf(error);
  return violation?.code === UNIQUE_VIOLATION ? violation.constraint : undefined;
}

const emailTaken = (type: string, email: string) =>
  ApplicationFailure.create({ type, message: `${email} already belongs to another Webex organization`, nonRetryable: true });

/**
 * What identifies a step 8 commit: every choice, in a fixed order (arrays, so no key order can
 * differ), emails compared as the database compares them.
 */
function commitInputHash({ orderId, partner, customer, admin }: CommitInput): string {
  const email = (value: string) => value.trim().toLowerCase();
  const canonical = [
    orderId,
    partner === null ? null : partner.mode === 'new' ? ['new', partner.partnerId, partner.name, partner.country, partner.address, email(partner.adminEmail)] : ['existing', partner.orgId],
    customer.mode === 'new' ? ['new', customer.name, customer.country, customer.address] : ['existing', customer.orgId],
    email(admin.email),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function toResult(row: typeof orderConfigurations.$inferSelect): Omit<CommitResult, 'customerOrgName'> {
  return {
    partnerOrgId: row.partnerOrgId,
    customerOrgId: row.customerOrgId,
    adminUserId: row.adminUserId,
    // A partner admin is created exactly when the order creates the partner org.
    newPartnerOrg: row.partnerAdminUserId !== null,
    partnerAdminUserId: row.partnerAdminUserId,
  };
}

export function createOrganizationActivities({ database }: ActivityDeps) {
  return {
    /**
     * Step 8. Everything happens in one transaction: either the orgs, the admin and the
     * configuration row all exist afterwards, or nothing does. A retry (after a crash, or a
     * concurrent attempt of the same order) returns the configuration already committed.
     */
    async commitOrderConfiguration(input: CommitInput): Promise<CommitResult> {
      const { orderId } = input;
      const inputHash = commitInputHash(input);
      const result = await database.db.transaction(async (tx) => {
        // An attempt the workflow stopped waiting for (its time is up, the worker shuts down) stops
        // in PostgreSQL too: its statement is cancelled, and the transaction rolls back.
        const cancelled = activityContext.getStore()?.cancellationSignal;
        const [{ pid }] = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as [{ pid: number }];
        const cancel = () => void database.db.execute(sql`select pg_cancel_backend(${pid})`).catch(() => {});
        cancelled?.addEventListener('abort', cancel);
        try {
          return await commitInTransaction(tx);
        } finally {
          cancelled?.removeEventListener('abort', cancel);
        }
      });
      const [customerOrg] = await database.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, result.customerOrgId));
      return { ...result, customerOrgName: customerOrg!.name };

      async function commitInTransaction(tx: Transaction): Promise<Omit<CommitResult, 'customerOrgName'>> {
        // Serialises attempts of one order, so a duplicate attempt waits and then finds the row
        // instead of colliding with the first one's uncommitted users.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`order-configuration:${orderId}`}, 0))`);
        const [committed] = await tx.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, orderId));
        if (committed) {
          // The same commit again (a retry) finds its result; a different one must not get it.
          if (committed.inputHash !== null && committed.inputHash !== inputHash) {
            throw ApplicationFailure.create({
              type: CONFIGURATION_MISMATCH,
              message: `Order ${orderId} was already configured with other organizations; this commit was not applied`,
              nonRetryable: true,
            });
          }
          return toResult(committed);
        }

        let partnerOrgId: string | null = null;
        let partnerAdminUserId: string | null = null;
        const { partner } = input;
        if (partner?.mode === 'new') {
          // Another order of the same partner may have created the org since step 5: link to it.
          const [created] = await tx
            .insert(organizations)
            .values({ kind: 'partner', partnerId: partner.partnerId, name: partner.name, country: partner.country, address: partner.address, createdByOrderId: orderId })
            .onConflictDoNothing({ target: organizations.partnerId, where: sql`${organizations.kind} = 'partner'` })
            .returning({ id: organizations.id });
          if (created) {
            partnerOrgId = created.id;
            const adminEmail = partner.adminEmail.trim();
            try {
              const [admin] = await tx
                .insert(orgUsers)
                .values({ orgId: created.id, email: adminEmail, role: 'admin', createdByOrderId: orderId })
                .returning({ id: orgUsers.id });
              partnerAdminUserId = admin!.id;
            } catch (error) {
              if (violatedUniqueConstraint(error) === USER_EMAIL_CONSTRAINT) throw emailTaken(PARTNER_ADMIN_EMAIL_TAKEN, adminEmail);
              throw error;
            }
          } else {
            const [existing] = await tx
              .select({ id: organizations.id })
              .from(organizations)
              .where(and(eq(organizations.kind, 'partner'), eq(organizations.partnerId, partner.partnerId)));
            partnerOrgId = existing!.id;
          }
        } else if (partner?.mode === 'existing') {
          const [existing] = await tx
            .select({ id: organizations.id })
            .from(organizations)
            .where(and(eq(organizations.id, partner.orgId), eq(organizations.kind, 'partner')));
          if (!existing) {
            throw ApplicationFailure.create({ type: UNKNOWN_PARTNER_ORG, message: `There is no partner organization ${partner.orgId}`, nonRetryable: true });
          }
          partnerOrgId = existing.id;
        }

        let customerOrgId: string;
        const { customer } = input;
        if (customer.mode === 'new') {
          const [created] = await tx
            .insert(organizations)
            .values({ kind: 'customer', name: customer.name, country: customer.country, address: customer.address, managedByOrgId: partnerOrgId, createdByOrderId: orderId })
            .returning({ id: organizations.id });
          customerOrgId = created!.id;
        } else {
          const [existing] = await tx
            .select({ id: organizations.id, managedByOrgId: organizations.managedByOrgId })
            .from(organizations)
            .where(and(eq(organizations.id, customer.orgId), eq(organizations.kind, 'customer')))
            .for('update');
          if (!existing) {
            throw ApplicationFailure.create({ type: UNKNOWN_CUSTOMER_ORG, message: `There is no customer organization ${customer.orgId}`, nonRetryable: true });
          }
          customerOrgId = existing.id;
          // A partner takes over an unmanaged org; an org another partner manages stays theirs.
          if (partnerOrgId && !existing.managedByOrgId) {
            await tx.update(organizations).set({ managedByOrgId: partnerOrgId }).where(eq(organizations.id, customerOrgId));
          }
        }

        const adminEmail = input.admin.email.trim();
        let adminUserId: string;
        const [user] = await tx
          .select({ id: orgUsers.id, orgId: orgUsers.orgId })
          .from(orgUsers)
          .where(sql`lower(${orgUsers.email}) = ${adminEmail.toLowerCase()}`)
          .for('update');
        if (user && user.orgId !== customerOrgId) throw emailTaken(ADMIN_EMAIL_TAKEN, adminEmail);
        if (user) {
          await tx.update(orgUsers).set({ role: 'admin' }).where(eq(orgUsers.id, user.id));
          adminUserId = user.id;
        } else {
          // A racing order may hold the same address uncommitted: the unique index makes this
          // insert wait for it, and fail if it commits.
          try {
            const [created] = await tx
              .insert(orgUsers)
              .values({ orgId: customerOrgId, email: adminEmail, role: 'admin', createdByOrderId: orderId })
              .returning({ id: orgUsers.id });
            adminUserId = created!.id;
          } catch (error) {
            if (violatedUniqueConstraint(error) === USER_EMAIL_CONSTRAINT) throw emailTaken(ADMIN_EMAIL_TAKEN, adminEmail);
            throw error;
          }
        }

        const [row] = await tx
          .insert(orderConfigurations)
          .values({ orderId, partnerOrgId, customerOrgId, adminUserId, partnerAdminUserId, inputHash })
          .returning();
        // The point of no return: the order's links no longer expire with it (SPEC §7.1), in the
        // same transaction, so a configured order never has a link that runs out.
        await tx.update(linkTokens).set({ expiresAt: null }).where(and(eq(linkTokens.orderId, orderId), isNull(linkTokens.revokedAt)));
        // Last: fails (and so rolls everything back) once the workflow has settled the attempt as
        // abandoned; settling waits for this row while it is uncommitted.
        await tx.insert(configurationAttempts).values({ attemptId: input.attemptId, orderId, outcome: 'committed' });
        return toResult(row!);
      }
    },

    /**
     * Whether commit attempt `attemptId` committed, for a workflow that did not hear its answer (it
     * timed out, or failed in a way that says nothing). Marks it abandoned unless it committed: from
     * then on it never can, so "nothing was changed" stays true. The answer is what committed.
     */
    async settleConfigurationAttempt({ orderId, attemptId }: { orderId: string; attemptId: string }): Promise<{ committed: CommitResult | null }> {
      const abandoned = await database.db
        .insert(configurationAttempts)
        .values({ attemptId, orderId, outcome: 'abandoned' })
        .onConflictDoNothing({ target: configurationAttempts.attemptId })
        .returning({ attemptId: configurationAttempts.attemptId });
      if (abandoned.length) return { committed: null };
      const [attempt] = await database.db.select({ outcome: configurationAttempts.outcome }).from(configurationAttempts).where(eq(configurationAttempts.attemptId, attemptId));
      if (attempt?.outcome !== 'committed') return { committed: null };
      const [row] = await database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, orderId));
      const [customerOrg] = await database.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, row!.customerOrgId));
      return { committed: { ...toResult(row!), customerOrgName: customerOrg!.name } };
    },

    /**
     * Step 9: the password of the admin of the partner org this order created. The hash was made
     * at the API edge and stored under `passwordRef`, so history holds only the reference. The
     * order's other (abandoned) hashes go; this one stays, so a retry writes the same hash again.
     */
    async setPartnerAdminPassword({ orderId, passwordRef }: { orderId: string; passwordRef: string }): Promise<void> {
      const [pending] = UUID_SHAPE.test(passwordRef)
        ? await database.db
            .select({ passwordHash: pendingPartnerPasswords.passwordHash })
            .from(pendingPartnerPasswords)
            .where(and(eq(pendingPartnerPasswords.reference, passwordRef), eq(pendingPartnerPasswords.orderId, orderId)))
        : [];
      if (!pending) {
        throw ApplicationFailure.create({ type: UNKNOWN_PASSWORD_REFERENCE, message: `Order ${orderId} has no password under this reference`, nonRetryable: true });
      }
      const { passwordHash } = pending;
      if (!looksLikePasswordHash(passwordHash)) {
        throw ApplicationFailure.create({ type: INVALID_PASSWORD_HASH, message: 'Expected a password hash', nonRetryable: true });
      }
      const [configuration] = await database.db
        .select({ partnerOrgId: orderConfigurations.partnerOrgId, partnerAdminUserId: orderConfigurations.partnerAdminUserId })
        .from(orderConfigurations)
        .where(eq(orderConfigurations.orderId, orderId));
      if (!configuration?.partnerAdminUserId || !configuration.partnerOrgId) {
        throw ApplicationFailure.create({
          type: NO_NEW_PARTNER_ORG,
          message: configuration ? `Order ${orderId} did not create a partner organization` : `Order ${orderId} is not configured yet`,
          nonRetryable: true,
        });
      }
      const { partnerAdminUserId, partnerOrgId } = configuration;
      await database.db.transaction(async (tx) => {
        await tx
          .update(orgUsers)
          .set({ passwordHash })
          .where(and(eq(orgUsers.id, partnerAdminUserId), eq(orgUsers.orgId, partnerOrgId), eq(orgUsers.createdByOrderId, orderId)));
        await tx.delete(pendingPartnerPasswords).where(and(eq(pendingPartnerPasswords.orderId, orderId), ne(pendingPartnerPasswords.reference, passwordRef)));
      });
    },
  };
}
