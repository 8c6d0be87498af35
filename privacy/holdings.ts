// Where an address is held (SPEC §8.5): every order whose rows name it, and every Webex user
// that has it. One search for erasure and export alike, so they never disagree.
import { asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  consentRequests,
  emailDeliveries,
  linkTokens,
  orderConfigurations,
  orderEvents,
  orders,
  organizations,
  orgUsers,
  repTasks,
} from '../db/schema/index.js';
import { TERMINAL_STATUSES, type OrderStatus } from '../domain/order.js';

/**
 * The address as a whole, whatever its case: not inside a longer one (`ola@x.no` is not in
 * `kari.ola@x.no` or `ola@x.no.example`), though a sentence's full stop may follow it.
 */
function addressPattern(email: string): string {
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(^|[^a-z0-9._%+-])${escaped}($|[^a-z0-9.-]|\\.($|[^a-z0-9]))`;
}

/** The text of a column (any type) names the address. */
const mentions = (column: SQL | Parameters<typeof sql>[1], email: string) => sql`${column}::text ~* ${addressPattern(email)}`;

export interface HeldOrder {
  orderId: string;
  /** Null when the read model has no row for it (yet): only the rows beside it hold the address. */
  status: OrderStatus | null;
}

/** The text searches read whole tables: longer than a service statement may take (db/client.ts), and rare. */
const SEARCH_TIMEOUT = sql`set local statement_timeout = '120s'`;

/** Every order any of whose rows names the address, with its status; by order id. */
export function ordersHolding(db: Db, email: string): Promise<HeldOrder[]> {
  return db.transaction(async (tx) => {
    await tx.execute(SEARCH_TIMEOUT);
    return search(tx, email);
  });
}

async function search(db: Pick<Db, 'select' | 'selectDistinct'>, email: string): Promise<HeldOrder[]> {
  const ids = new Set<string>();
  const collect = async (query: Promise<Array<{ orderId: string | null }>>) => {
    for (const { orderId } of await query) if (orderId) ids.add(orderId);
  };
  await Promise.all([
    collect(db.select({ orderId: orders.orderId }).from(orders).where(mentions(orders.payload, email))),
    collect(db.selectDistinct({ orderId: orderEvents.orderId }).from(orderEvents).where(or(mentions(orderEvents.data, email), mentions(orderEvents.actor, email)))),
    collect(db.selectDistinct({ orderId: emailDeliveries.orderId }).from(emailDeliveries).where(or(mentions(emailDeliveries.recipient, email), mentions(emailDeliveries.text, email)))),
    collect(db.selectDistinct({ orderId: linkTokens.orderId }).from(linkTokens).where(mentions(linkTokens.recipientEmail, email))),
    collect(db.selectDistinct({ orderId: consentRequests.orderId }).from(consentRequests).where(mentions(consentRequests.recipientEmail, email))),
    collect(db.selectDistinct({ orderId: repTasks.orderId }).from(repTasks).where(mentions(repTasks.detail, email))),
    // The orders whose step 8 made the user an admin, or created it.
    collect(
      db
        .select({ orderId: orderConfigurations.orderId })
        .from(orderConfigurations)
        .innerJoin(orgUsers, or(eq(orgUsers.id, orderConfigurations.adminUserId), eq(orgUsers.id, orderConfigurations.partnerAdminUserId)))
        .where(sql`lower(${orgUsers.email}) = ${email.toLowerCase()}`),
    ),
    collect(db.select({ orderId: orgUsers.createdByOrderId }).from(orgUsers).where(sql`lower(${orgUsers.email}) = ${email.toLowerCase()}`)),
  ]);
  if (ids.size === 0) return [];
  const statuses = new Map(
    (await db.select({ orderId: orders.orderId, status: orders.status }).from(orders).where(inArray(orders.orderId, [...ids]))).map((row) => [row.orderId, row.status]),
  );
  return [...ids].sort().map((orderId) => ({ orderId, status: statuses.get(orderId) ?? null }));
}

/** An order has ended when its status is final; one the read model does not know has nothing running that it knows of. */
export const hasEnded = (order: HeldOrder): boolean => order.status === null || TERMINAL_STATUSES.includes(order.status);

/** Webex users with the address, and their organization. */
export function orgUsersWith(db: Db, email: string) {
  return db
    .select({ email: orgUsers.email, role: orgUsers.role, hasPassword: sql<boolean>`${orgUsers.passwordHash} is not null`, organization: organizations.name, organizationKind: organizations.kind, createdAt: orgUsers.createdAt })
    .from(orgUsers)
    .innerJoin(organizations, eq(organizations.id, orgUsers.orgId))
    .where(sql`lower(${orgUsers.email}) = ${email.toLowerCase()}`)
    .orderBy(asc(orgUsers.createdAt));
}
