// Meeting-site reads: the availability check the wizard asks before step 10c, and the order's site.
// A "free" answer is advice for the form; the unique index on lower(subdomain) decides races.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { OrderStatus } from '../../domain/order.js';
import { checkSubdomainSyntax } from '../../domain/subdomain.js';
import type { Db } from '../client.js';
import { orders } from '../schema/orders.js';
import { type MeetingSiteRow, meetingSites } from '../schema/provisioning.js';

export type SubdomainAvailability =
  | { available: true; subdomain: string }
  | { available: false; reason: 'malformed' | 'reserved' | 'taken'; message: string; code: string; values?: Record<string, string | number> };

/**
 * Whether `name` (normalised: trimmed, lower case) can name a site for `forOrderId`. The site an
 * order already holds counts as available to that order, so re-saving its own choice is no conflict.
 */
export async function checkSubdomainAvailability(db: Db, name: string, forOrderId?: string): Promise<SubdomainAvailability> {
  const syntax = checkSubdomainSyntax(name);
  if (!syntax.ok) return { available: false, reason: syntax.reason, message: syntax.message, code: syntax.code, ...(syntax.values ? { values: syntax.values } : {}) };
  const [holder] = await db
    .select({ orderId: meetingSites.orderId, status: meetingSites.status, orderStatus: orders.status })
    .from(meetingSites)
    .innerJoin(orders, eq(orders.orderId, meetingSites.orderId))
    .where(eq(sql`lower(${meetingSites.subdomain})`, syntax.subdomain))
    .limit(1);
  if (holder && holder.orderId !== forOrderId && !(holder.status === 'reserved' && ENDED_UNPROVISIONED.includes(holder.orderStatus))) {
    return { available: false, reason: 'taken', message: `${syntax.subdomain} is already taken by another site.`, code: 'subdomainTaken', values: { subdomain: syntax.subdomain } };
  }
  return { available: true, subdomain: syntax.subdomain };
}

/** Orders that ended without a site: a name they reserved is free again (SPEC §7.1). */
const ENDED_UNPROVISIONED: readonly OrderStatus[] = ['CANCELLED', 'EXPIRED'];

/**
 * Frees `subdomain` when an order that ended without provisioning (cancelled, also from Temporal,
 * or expired) still reserves it, so another order can take it. Answers how many rows it released.
 */
export async function releaseEndedReservation(db: Db, subdomain: string): Promise<number> {
  const released = await db
    .delete(meetingSites)
    .where(
      and(
        eq(sql`lower(${meetingSites.subdomain})`, subdomain.toLowerCase()),
        eq(meetingSites.status, 'reserved'),
        inArray(meetingSites.orderId, db.select({ orderId: orders.orderId }).from(orders).where(inArray(orders.status, [...ENDED_UNPROVISIONED]))),
      ),
    )
    .returning({ id: meetingSites.id });
  return released.length;
}

/** The order's site, reserved or active; undefined when it has none. */
export async function findOrderSite(db: Db, orderId: string): Promise<MeetingSiteRow | undefined> {
  const [site] = await db.select().from(meetingSites).where(eq(meetingSites.orderId, orderId));
  return site;
}

/** The SQLSTATE and constraint of a PostgreSQL error (postgres.js), however Drizzle wrapped it. */
export function postgresErrorOf(error: unknown): { code: string; constraint: string | undefined } | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    // The server's errors carry a severity; Node's own (ECONNRESET, EPIPE) do not.
    const candidate = current as Error & { code?: unknown; severity?: unknown; constraint_name?: unknown };
    if (typeof candidate.code === 'string' && typeof candidate.severity === 'string') {
      return { code: candidate.code, constraint: typeof candidate.constraint_name === 'string' ? candidate.constraint_name : undefined };
    }
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
