// Erasure and export of personal data by address (SPEC §8.5), for admins; both audited in
// `privacy_requests` with who, when, why and the orders touched — never the address itself.
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client.js';
import { privacyRequests } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import type { OrderDataKeys } from '../privacy/data-keys.js';
import { eraseOrders, eraseOrgUsers } from '../privacy/erasure.js';
import { exportPersonalData, type PersonalDataExport } from '../privacy/export.js';
import { hasEnded, ordersHolding } from '../privacy/holdings.js';
import type { OrderService } from './order-service.js';
import { conflict, ProblemError, unavailable } from './problem.js';
import type { PrivacyErasureBody, PrivacyErasureResult } from './schemas.js';

/** How long an erasure waits for the orders it cancelled to finish their last jobs. */
const CANCELLED_WORKFLOWS_DEADLINE_MS = 30_000;

export interface PrivacyServiceDeps {
  database: Database;
  orderService: OrderService;
  temporal: Client;
  /** This process's cache of data keys: an erased order's is dropped at once. */
  dataKeys: OrderDataKeys;
  clock: () => Date;
}

export function createPrivacyService({ database, orderService, temporal, dataKeys, clock }: PrivacyServiceDeps) {
  const { db } = database;
  const ids = (orderIds: string[]) => orderIds.join(', ');

  /** Cancels each open order as a rep would; those past the point of no return refuse (409), and are named. */
  async function cancelAll(orderIds: string[], reason: string, repId: string, updateId: string): Promise<void> {
    const refused: string[] = [];
    for (const orderId of orderIds) {
      try {
        await orderService.act(orderId, 'cancel', { reason: `personal data erasure: ${reason}` }, repId, `${updateId}:${orderId}`);
      } catch (error) {
        if (!(error instanceof ProblemError && error.status === 409)) throw error;
        refused.push(orderId);
      }
    }
    if (refused.length) {
      throw conflict('orders-not-cancellable', `These orders cannot be cancelled (past the point of no return, or ended meanwhile): ${ids(refused)}. Nothing was erased; erase again once they have ended.`);
    }
  }

  /** A cancelled order's workflow still revokes its links and tells its contact: erased only once it has finished. */
  async function finished(orderIds: string[]): Promise<void> {
    const deadline = Date.now() + CANCELLED_WORKFLOWS_DEADLINE_MS;
    try {
      await Promise.all(orderIds.map((orderId) => temporal.withDeadline(deadline, () => temporal.workflow.getHandle(orderWorkflowId(orderId)).result())));
    } catch {
      throw unavailable(`Cancelled ${ids(orderIds)}, but not all have finished yet; nothing was erased. Send the erasure again in a moment.`, 10);
    }
  }

  return {
    async erase({ email, reason, cancelOpenOrders = false }: PrivacyErasureBody, repId: string, updateId: string): Promise<PrivacyErasureResult> {
      await database.ping();
      const held = await ordersHolding(db, email);
      const open = held.filter((order) => !hasEnded(order)).map((order) => order.orderId);
      if (open.length && !cancelOpenOrders) {
        throw conflict('orders-open', `The address is held by orders that have not ended: ${ids(open)}. Nothing was erased; erase once they end, or send cancelOpenOrders: true to cancel them first.`);
      }
      if (open.length) {
        await cancelAll(open, reason, repId, updateId);
        await finished(open);
      }
      const erasedOrders = held.map((order) => order.orderId);
      await eraseOrders(db, erasedOrders, clock());
      dataKeys.forget(erasedOrders);
      const webexUsers = await eraseOrgUsers(db, email);
      await db.insert(privacyRequests).values({ kind: 'erasure', actor: `rep:${repId}`, reason, orderIds: erasedOrders, at: clock() });
      return { erasedOrders, cancelledOrders: open, webexUsers };
    },

    async export(email: string, repId: string): Promise<PersonalDataExport> {
      const found = await exportPersonalData(db, email, clock());
      await db.insert(privacyRequests).values({ kind: 'export', actor: `rep:${repId}`, orderIds: found.orders.map((order) => order.orderId), at: clock() });
      return found;
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
