// The rep's desk (SPEC §7.3): rep tasks across orders from the read model, and the rep actions
// applied to many orders at once, one answer per order.
import { and, asc, eq, gt, ilike, isNull, min, or, type SQL } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.js';
import { linkTokens, orders, repTasks } from '../db/schema/index.js';
import { readModelDeadline, type RepTaskReason } from '../domain/desk.js';
import type { RepActionName } from '../workflows/definitions.js';
import type { OrderService } from './order-service.js';
import { problemBody, problemOf } from './plugins/errors.js';
import { badRequest } from './problem.js';
import type { BulkActionResult, DeskTask, RepActionBody } from './schemas.js';

/** Orders a bulk action works on at the same time: enough to be quick, few enough to spare the workers. */
const BULK_CONCURRENCY = 8;

export interface TaskFilter {
  kind?: RepTaskReason;
  status: 'open' | 'closed';
  partner?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createDeskService({ database, orderService, clock }: { database: Database; orderService: OrderService; clock: () => Date }) {
  const { db } = database;

  return {
    /** Oldest task first (it has waited longest), keyset-paginated on (opened_at, id). */
    async tasks(filter: TaskFilter): Promise<{ items: DeskTask[]; nextCursor: string | null }> {
      const now = clock();
      const conditions: SQL[] = [eq(repTasks.status, filter.status)];
      if (filter.kind) conditions.push(eq(repTasks.kind, filter.kind));
      if (filter.partner) conditions.push(or(ilike(orders.partnerId, likePattern(filter.partner)), ilike(orders.partnerName, likePattern(filter.partner)))!);
      if (filter.q) {
        const pattern = likePattern(filter.q);
        conditions.push(
          or(ilike(orders.orderId, pattern), ilike(orders.customerName, pattern), ilike(orders.contactEmail, pattern), ilike(repTasks.detail, pattern))!,
        );
      }
      if (filter.cursor) {
        const after = decodeTaskCursor(filter.cursor);
        conditions.push(or(gt(repTasks.openedAt, after.openedAt), and(eq(repTasks.openedAt, after.openedAt), gt(repTasks.id, after.id)))!);
      }
      // The live link's end, as far as the read model knows it.
      const links = db
        .select({ orderId: linkTokens.orderId, expiresAt: min(linkTokens.expiresAt).as('link_expires_at') })
        .from(linkTokens)
        .where(and(isNull(linkTokens.revokedAt), gt(linkTokens.expiresAt, now)))
        .groupBy(linkTokens.orderId)
        .as('live_links');
      const rows = await db
        .select({ task: repTasks, order: orders, linkExpiresAt: links.expiresAt })
        .from(repTasks)
        .innerJoin(orders, eq(orders.orderId, repTasks.orderId))
        .leftJoin(links, eq(links.orderId, repTasks.orderId))
        .where(and(...conditions))
        .orderBy(asc(repTasks.openedAt), asc(repTasks.id))
        .limit(filter.limit + 1);
      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return {
        items: page.map(({ task, order, linkExpiresAt }) => ({
          orderId: order.orderId,
          reason: task.kind,
          status: task.status,
          detail: task.detail,
          openedAt: task.openedAt.toISOString(),
          closedAt: task.closedAt?.toISOString() ?? null,
          ageSeconds: Math.max(0, Math.floor(((task.closedAt ?? now).getTime() - task.openedAt.getTime()) / 1000)),
          orderStatus: order.status,
          partner: { id: order.partnerId, name: order.partnerName },
          customerName: order.customerName,
          nextDeadline: readModelDeadline({ status: order.status, startAt: order.startAt, linkExpiresAt: linkExpiresAt ? new Date(linkExpiresAt) : null }, now),
        })),
        nextCursor: rows.length > filter.limit && last ? encodeTaskCursor(last.task) : null,
      };
    },

    /**
     * The action on each order as if sent alone. Every failure — a refusal, Temporal or PostgreSQL
     * unavailable (503), anything else (500) — answers in that order's slot only, so the answer
     * always has one result per order: no request fails after some of its orders acted.
     */
    async bulk(action: RepActionName, orderIds: string[], body: RepActionBody, repId: string, updateId: string, log: FastifyBaseLogger): Promise<BulkActionResult> {
      const results: BulkActionResult['results'] = new Array(orderIds.length);
      let next = 0;
      const worker = async () => {
        for (let index = next++; index < orderIds.length; index = next++) {
          const orderId = orderIds[index]!;
          try {
            results[index] = { orderId, ok: true, order: await orderService.act(orderId, action, body, repId, updateId) };
          } catch (error) {
            results[index] = { orderId, ok: false, problem: problemBody(problemOf(error, log.child({ orderId }))) };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, orderIds.length) }, worker));
      return { results };
    },
  };
}

function encodeTaskCursor(task: { openedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([task.openedAt.toISOString(), task.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeTaskCursor(cursor: string): { openedAt: Date; id: string } {
  try {
    const [openedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(openedAt));
    const year = date.getUTCFullYear();
    if (typeof id !== 'string' || !UUID.test(id) || Number.isNaN(year) || year < 1970 || year > 9999) throw new Error('bad cursor');
    return { openedAt: date, id };
  } catch {
    throw badRequest('The cursor is not one this API gave out.', [{ field: '/querystring/cursor', message: 'is not valid' }]);
  }
}

export type DeskService = ReturnType<typeof createDeskService>;
