import { and, eq, inArray } from 'drizzle-orm';
import { repTasks, type RepTaskKind } from '../db/schema/index.js';
import type { ActivityDeps } from './deps.js';

export function createRepTaskActivities({ database }: ActivityDeps) {
  const { db } = database;
  return {
    /**
     * Opens a task in the rep queue; the workflow's key makes a retry open it once. After a reset
     * (`branch`, order_events.branch) the new branch's tasks open even where the abandoned branch
     * opened, and perhaps closed, a task of the same key.
     */
    async openRepTask(input: { orderId: string; taskKey: string; branch?: string; kind: RepTaskKind; detail: string; openedAt: string }): Promise<void> {
      const taskKey = input.branch ? `${input.taskKey}@${input.branch}` : input.taskKey;
      await db
        .insert(repTasks)
        .values({ orderId: input.orderId, taskKey, kind: input.kind, detail: input.detail, openedAt: new Date(input.openedAt) })
        .onConflictDoNothing({ target: [repTasks.orderId, repTasks.taskKey] });
    },

    /** Closes the order's open tasks (of some kinds, or all); closing twice changes nothing. */
    async closeRepTasks(input: { orderId: string; kinds?: RepTaskKind[]; reason: string; closedAt: string }): Promise<number> {
      const closed = await db
        .update(repTasks)
        .set({ status: 'closed', closedAt: new Date(input.closedAt), closedReason: input.reason })
        .where(
          and(
            eq(repTasks.orderId, input.orderId),
            eq(repTasks.status, 'open'),
            ...(input.kinds?.length ? [inArray(repTasks.kind, input.kinds)] : []),
          ),
        )
        .returning({ id: repTasks.id });
      return closed.length;
    },
  };
}
