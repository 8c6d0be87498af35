// Everything held about an address (SPEC §8.5, the data subject's right of access): each order that
// names it with the rows that do, and the Webex users that have it.
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { consentRequests, emailDeliveries, linkTokens, orderEvents, orders, repTasks } from '../db/schema/index.js';
import { type HeldOrder, ordersHolding, orgUsersWith } from './holdings.js';

const iso = (at: Date | null) => at?.toISOString() ?? null;

async function exportOrder(db: Db, { orderId }: HeldOrder) {
  const [row] = await db.select().from(orders).where(eq(orders.orderId, orderId));
  const [timeline, emails, links, consent, tasks] = await Promise.all([
    db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.seq), asc(orderEvents.id)),
    db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, orderId)).orderBy(asc(emailDeliveries.createdAt)),
    db.select().from(linkTokens).where(eq(linkTokens.orderId, orderId)).orderBy(asc(linkTokens.createdAt)),
    db.select().from(consentRequests).where(eq(consentRequests.orderId, orderId)).orderBy(asc(consentRequests.createdAt)),
    db.select().from(repTasks).where(and(eq(repTasks.orderId, orderId))).orderBy(asc(repTasks.openedAt)),
  ]);
  return {
    orderId,
    status: row?.status ?? null,
    receivedAt: iso(row?.createdAt ?? null),
    updatedAt: iso(row?.updatedAt ?? null),
    order: row?.payload ?? null,
    timeline: timeline.map((e) => ({ seq: e.seq, type: e.type, status: e.status, actor: e.actor, data: e.data, occurredAt: e.occurredAt.toISOString() })),
    // The bodies stay out: they hold working links, and say what the subject and purpose say.
    emails: emails.map((e) => ({ purpose: e.purpose, recipient: e.recipient, subject: e.subject, status: e.status, createdAt: e.createdAt.toISOString(), sentAt: iso(e.sentAt) })),
    links: links.map((l) => ({ recipient: l.recipientEmail, audience: l.audience, createdAt: l.createdAt.toISOString(), expiresAt: iso(l.expiresAt), revokedAt: iso(l.revokedAt) })),
    consentRequests: consent.map((c) => ({ recipient: c.recipientEmail, createdAt: c.createdAt.toISOString(), expiresAt: c.expiresAt.toISOString(), revokedAt: iso(c.revokedAt) })),
    repTasks: tasks.map((t) => ({ kind: t.kind, status: t.status, detail: t.detail, openedAt: t.openedAt.toISOString(), closedAt: iso(t.closedAt) })),
  };
}

export type OrderExport = Awaited<ReturnType<typeof exportOrder>>;

export async function exportPersonalData(db: Db, email: string, now: Date) {
  const held = await ordersHolding(db, email);
  const [orderExports, users] = await Promise.all([Promise.all(held.map((order) => exportOrder(db, order))), orgUsersWith(db, email)]);
  return {
    email,
    generatedAt: now.toISOString(),
    orders: orderExports,
    webexUsers: users.map((u) => ({ email: u.email, role: u.role, hasPassword: u.hasPassword, organization: u.organization, organizationKind: u.organizationKind, createdAt: u.createdAt.toISOString() })),
  };
}

export type PersonalDataExport = Awaited<ReturnType<typeof exportPersonalData>>;
