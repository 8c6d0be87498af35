// Termination from Temporal's tools (`temporal workflow terminate`, the Web UI) runs no workflow
// code, so nothing in the order's workflow can clean up after it. A scheduled workflow
// (workflows/reconcile-terminated.ts) runs this instead: every order workflow that visibility lists
// as Terminated, and whose read-model row is not terminal yet, ends like a cancellation there:
// CANCELLED with a timeline event, its links (wizard and consent) revoked, its open tasks closed. Each step is
// idempotent, so a retry or the next run finishes what an interrupted one began. With
// WEBHOOK_ENDPOINTS set, the reconciler then sends each such order's status changes on (the
// CANCELLED one among them) through a redelivery of its own (workflows/webhook-redelivery.ts).
import { Context } from '@temporalio/activity';
import { and, eq, inArray, notInArray } from 'drizzle-orm';
import { orderEvents, orders } from '../db/schema/index.js';
import { orderIdOfWorkflow, orderWorkflowId, TERMINAL_STATUSES } from '../domain/order.js';
import type { WebhookRetrySettings } from '../domain/order.js';
import type { ActivityDeps } from './deps.js';
import { createConsentActivities } from './consent.js';
import { createLinkActivities } from './links.js';
import { createRepTaskActivities } from './rep-tasks.js';

const REASON = 'the order workflow was terminated';

export function createTerminatedOrderActivities(deps: ActivityDeps) {
  const { database, config, clock = () => new Date() } = deps;
  const { db } = database;
  const links = createLinkActivities(deps);
  const consent = createConsentActivities(deps);
  const tasks = createRepTaskActivities(deps);

  /** CANCELLED and one timeline event, in one transaction; false when the row was terminal already. */
  async function markCancelled(orderId: string, at: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .select({ lastSeq: orders.lastSeq, status: orders.status })
        .from(orders)
        .where(eq(orders.orderId, orderId))
        .for('update');
      if (!row || TERMINAL_STATUSES.includes(row.status)) return false;
      const seq = row.lastSeq + 1;
      await tx.update(orders).set({ status: 'CANCELLED', lastSeq: seq, updatedAt: at }).where(eq(orders.orderId, orderId));
      await tx
        .insert(orderEvents)
        .values({ orderId, seq, type: 'order.cancelled', status: 'CANCELLED', actor: 'operator', data: { via: 'temporal-terminate', previousStatus: row.status }, occurredAt: at })
        .onConflictDoNothing();
      return true;
    });
  }

  return {
    /**
     * Cleans up after every terminated order workflow of `taskQueue`; answers the orders it changed
     * and, when status webhooks are configured, their retry settings for the redelivery.
     */
    async reconcileTerminatedOrders({ taskQueue }: { taskQueue: string }): Promise<{ reconciled: string[]; webhooks?: WebhookRetrySettings }> {
      const context = Context.current();
      const query = `WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Terminated' AND TaskQueue = '${taskQueue}'`;
      const reconciled: string[] = [];
      let page: string[] = [];
      const settle = async () => {
        // Alive while paging through a long list, too.
        context.heartbeat(page.length);
        // Only rows not terminal yet: a run after the cleanup (or after a later rep action) changes nothing.
        const open = page.length
          ? await db
              .select({ orderId: orders.orderId })
              .from(orders)
              .where(and(inArray(orders.orderId, page), notInArray(orders.status, [...TERMINAL_STATUSES])))
          : [];
        for (const { orderId } of open) {
          // A terminated run that was reset (or the order started again) lives on in a newer run: not ours to end.
          const latest = await context.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
          if (latest.status.name !== 'TERMINATED') continue;
          const at = clock();
          await links.revokeLinks({ orderId, reason: REASON });
          await consent.revokeConsentRequests({ orderId, reason: REASON });
          await tasks.closeRepTasks({ orderId, reason: REASON, closedAt: at.toISOString() });
          // Last: a row left non-terminal by an interruption is found again by the next run.
          if (await markCancelled(orderId, at)) reconciled.push(orderId);
          context.heartbeat(orderId);
        }
        page = [];
      };
      // The client pages through visibility, 100 executions at a time.
      for await (const execution of context.client.workflow.list({ query, pageSize: 100 })) {
        const orderId = orderIdOfWorkflow(execution.workflowId);
        if (orderId === undefined) continue;
        page.push(orderId);
        if (page.length === 100) await settle();
      }
      await settle();
      return { reconciled, ...(config.webhooks.endpoints.length ? { webhooks: config.webhooks.retry } : {}) };
    },
  };
}
