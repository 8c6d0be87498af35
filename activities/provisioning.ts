// Step 10 (SPEC §3): reserving a meeting-site subdomain, then provisioning — activate the
// subscription, create the site, start billing. Subdomain reservations are this service's own rows;
// the provisioning effects go through a WebexGateway, which stands for Webex and its billing system.
// There is no such system here, so the default gateway is the database: its rows are the effect.
// Every activity is idempotent per order (unique constraints decide), so any retry is safe.
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { FOREIGN_KEY_VIOLATION, findOrderSite, postgresErrorOf, releaseEndedReservation, UNIQUE_VIOLATION } from '../db/queries/sites.js';
import { billingStarts, meetingSites, subscriptions } from '../db/schema/provisioning.js';
import { SERVICES } from '../domain/order.js';
import { checkSubdomainSyntax } from '../domain/subdomain.js';
import type { ActivityDeps } from './deps.js';
import { type ActivateSubscriptionRequest, type StartBillingRequest, type WebexGateway, WebexRejection } from './webex-gateway.js';

/** The name is malformed or reserved (details: `[{ reason }]`). */
export const SUBDOMAIN_INVALID = 'SubdomainInvalid';
/** Another order's site holds the name; the order keeps its previous reservation. */
export const SUBDOMAIN_TAKEN = 'SubdomainTaken';
/** The order's site is created: its subdomain can no longer change. */
export const SITE_ALREADY_ACTIVE = 'SiteAlreadyActive';
/** createMeetingSite found no reservation for the order. */
export const NO_SITE_RESERVED = 'NoSiteReserved';
/** The Webex or billing system refused for good (WebexRejection). */
export const PROVISIONING_REJECTED = 'ProvisioningRejected';
/** The caller passed an impossible request (no services, an id that is not a UUID, a bad instant). */
export const INVALID_PROVISIONING_REQUEST = 'InvalidProvisioningRequest';

export { type ActivateSubscriptionRequest, type CreateMeetingSiteRequest, type StartBillingRequest, type WebexGateway, WebexRejection } from './webex-gateway.js';

/** The gateway when there is no external system: the provisioning tables record each effect once. */
export function createDatabaseWebexGateway({ database, clock }: Pick<ActivityDeps, 'database' | 'clock'>): WebexGateway {
  const { db } = database;
  const now = clock ?? (() => new Date());

  /** A row pointing at an org, order or subscription that does not exist: asking again won't help. */
  const rejectDanglingReference = (error: unknown, what: string): never => {
    const violation = postgresErrorOf(error);
    if (violation?.code === FOREIGN_KEY_VIOLATION) throw new WebexRejection(`${what} (${violation.constraint})`);
    throw error;
  };

  return {
    async activateSubscription({ orderId, customerOrgId, services }) {
      const [created] = await db
        .insert(subscriptions)
        .values({ orderId, customerOrgId, services, activatedAt: now() })
        .onConflictDoNothing({ target: subscriptions.orderId })
        .returning({ id: subscriptions.id })
        .catch((error: unknown) => rejectDanglingReference(error, 'unknown order or customer organization'));
      if (created) return { subscriptionId: created.id };
      const [existing] = await db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.orderId, orderId));
      if (!existing) throw new Error(`subscription of order ${orderId} vanished between insert and read`);
      return { subscriptionId: existing.id };
    },

    async createMeetingSite({ orderId, subdomain }) {
      const [activated] = await db
        .update(meetingSites)
        .set({ status: 'active', activatedAt: now() })
        .where(and(eq(meetingSites.orderId, orderId), eq(meetingSites.subdomain, subdomain), eq(meetingSites.status, 'reserved')))
        .returning();
      const site = activated ?? (await findOrderSite(db, orderId));
      // A reservation changed under this call (or gone) is not a refusal: the retry reads it afresh.
      if (!site || site.status !== 'active' || site.subdomain !== subdomain) {
        throw new Error(`the reservation of order ${orderId} is no longer ${subdomain}`);
      }
      return { siteId: site.id, subdomain: site.subdomain };
    },

    async startBilling({ orderId, subscriptionId, startedAt }) {
      const [started] = await db
        .insert(billingStarts)
        .values({ orderId, subscriptionId, startedAt: new Date(startedAt) })
        .onConflictDoNothing({ target: billingStarts.orderId })
        .returning({ startedAt: billingStarts.startedAt })
        .catch((error: unknown) => rejectDanglingReference(error, `subscription ${subscriptionId} is not order ${orderId}'s`));
      if (started) return { startedAt: started.startedAt.toISOString(), alreadyStarted: false };
      const [first] = await db.select({ startedAt: billingStarts.startedAt }).from(billingStarts).where(eq(billingStarts.orderId, orderId));
      if (!first) throw new Error(`billing start of order ${orderId} vanished between insert and read`);
      return { startedAt: first.startedAt.toISOString(), alreadyStarted: true };
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalidRequest = (message: string) =>
  ApplicationFailure.create({ type: INVALID_PROVISIONING_REQUEST, message, nonRetryable: true });

/** Calls the gateway; its permanent refusals become non-retryable failures, all else is retried. */
async function throughGateway<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WebexRejection) {
      throw ApplicationFailure.create({
        type: PROVISIONING_REJECTED,
        message: `${operation} was refused: ${error.message}`,
        nonRetryable: true,
        cause: error,
      });
    }
    throw error;
  }
}

export function createProvisioningActivities(deps: ActivityDeps) {
  const { db } = deps.database;
  const webex = deps.webex ?? createDatabaseWebexGateway(deps);

  return {
    /**
     * Step 10c: holds `subdomain` for the order, replacing its earlier reservation. One upsert
     * statement (so one transaction) moves the order's reserved row to the new name; the unique
     * index on lower(subdomain) decides a race with another order, and when the new name loses the
     * statement changes nothing, so the old reservation stays. Re-saving the held name is a no-op.
     *
     * Profile: called from the meetings Update handler while the user waits — a short
     * start-to-close (10 s) and a few quick retries (5 attempts, 200 ms → 2 s); a database blip
     * is worth retrying, a refusal (SubdomainInvalid, SubdomainTaken, SiteAlreadyActive) is not.
     */
    async reserveSubdomain({ orderId, subdomain }: { orderId: string; subdomain: string }): Promise<{ subdomain: string }> {
      const syntax = checkSubdomainSyntax(subdomain);
      if (!syntax.ok) {
        throw ApplicationFailure.create({
          type: SUBDOMAIN_INVALID,
          message: syntax.message,
          nonRetryable: true,
          details: [{ reason: syntax.reason }],
        });
      }
      const name = syntax.subdomain;
      await releaseEndedReservation(db, name);
      let reserved: { subdomain: string } | undefined;
      try {
        [reserved] = await db
          .insert(meetingSites)
          .values({ orderId, subdomain: name })
          .onConflictDoUpdate({ target: meetingSites.orderId, set: { subdomain: name }, setWhere: eq(meetingSites.status, 'reserved') })
          .returning({ subdomain: meetingSites.subdomain });
      } catch (error) {
        const violation = postgresErrorOf(error);
        if (violation?.code === UNIQUE_VIOLATION && violation.constraint === 'meeting_sites_subdomain_uq') {
          // A concurrent reservation of the same name by this very order (a retried Update) won the
          // insert: the name is the order's, which is what was asked. ON CONFLICT guards only the order's key.
          if ((await findOrderSite(db, orderId))?.subdomain === name) return { subdomain: name };
          throw ApplicationFailure.create({
            type: SUBDOMAIN_TAKEN,
            message: `${name} is already taken by another site.`,
            nonRetryable: true,
          });
        }
        throw error;
      }
      if (reserved) return { subdomain: reserved.subdomain };

      // The upsert skipped the order's row: it is active. Only its own name is still acceptable.
      const site = await findOrderSite(db, orderId);
      if (!site) throw new Error(`the site of order ${orderId} vanished during the reservation`);
      if (site.subdomain === name) return { subdomain: name };
      throw ApplicationFailure.create({
        type: SITE_ALREADY_ACTIVE,
        message: `The meeting site ${site.subdomain} is already created; its subdomain can no longer change.`,
        nonRetryable: true,
      });
    },

    /**
     * Cancel or compensation: frees the order's reserved subdomain for others. An active site is
     * kept (it exists in Webex; removing it is a rep's decision). Idempotent: nothing to free is fine.
     *
     * Profile: the database only, and it must happen — quick retries (1 s → 30 s) without an
     * attempt limit, bounded by a schedule-to-close of an hour.
     */
    async releaseSubdomain({ orderId }: { orderId: string }): Promise<{ released: boolean }> {
      const released = await db
        .delete(meetingSites)
        .where(and(eq(meetingSites.orderId, orderId), eq(meetingSites.status, 'reserved')))
        .returning({ id: meetingSites.id });
      return { released: released.length > 0 };
    },

    /**
     * Provisioning, first: the subscription for the ordered services. One per order, so a retry
     * after a crash or a lost answer returns the subscription made the first time.
     *
     * Profile ("provisioning"): an external system that may be slow or down for a while —
     * start-to-close 30 s, backoff 5 s → 5 min, no attempt limit but a schedule-to-close (e.g. 24 h)
     * after which the workflow opens a `provisioning-failed` rep task. Retrying is always safe.
     */
    async activateSubscription({ orderId, customerOrgId, services }: ActivateSubscriptionRequest): Promise<{ subscriptionId: string }> {
      if (!UUID.test(customerOrgId)) throw invalidRequest(`customer organization id ${customerOrgId} is not a UUID`);
      const ordered = SERVICES.filter((service) => services.includes(service));
      if (ordered.length === 0 || ordered.length !== new Set(services).size) {
        throw invalidRequest(`services must be a non-empty list of ${SERVICES.join(', ')}`);
      }
      return throughGateway('Activating the subscription', () =>
        webex.activateSubscription({ orderId, customerOrgId, services: ordered }),
      );
    },

    /**
     * Provisioning, second (only when meetings were bought): creates the site on the reserved
     * subdomain. An already active site is returned as is; no reservation is NoSiteReserved — the
     * workflow let provisioning start without the meetings section, which retrying cannot fix.
     *
     * Profile: "provisioning", as activateSubscription.
     */
    async createMeetingSite({ orderId }: { orderId: string }): Promise<{ siteId: string; subdomain: string }> {
      const site = await findOrderSite(db, orderId);
      if (!site) {
        throw ApplicationFailure.create({
          type: NO_SITE_RESERVED,
          message: `Order ${orderId} has no reserved subdomain.`,
          nonRetryable: true,
        });
      }
      if (site.status === 'active') return { siteId: site.id, subdomain: site.subdomain };
      return throughGateway('Creating the meeting site', () => webex.createMeetingSite({ orderId, subdomain: site.subdomain }));
    },

    /**
     * Provisioning, last: billing starts exactly once per order. A retry returns the first start
     * (`alreadyStarted: true`) — also when the first attempt's answer was lost — never a second one.
     *
     * Profile: "provisioning", as activateSubscription; the exactly-once guarantee is the order
     * key, not the retry policy, so unlimited retries are safe.
     */
    async startBilling({ orderId, subscriptionId, startedAt }: StartBillingRequest): Promise<{ startedAt: string; alreadyStarted: boolean }> {
      if (!UUID.test(subscriptionId)) throw invalidRequest(`subscription id ${subscriptionId} is not a UUID`);
      if (Number.isNaN(Date.parse(startedAt))) throw invalidRequest(`startedAt ${startedAt} is not an ISO instant`);
      return throughGateway('Starting billing', () => webex.startBilling({ orderId, subscriptionId, startedAt }));
    },
  };
}
