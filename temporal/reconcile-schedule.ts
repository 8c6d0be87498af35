// The Schedule that runs reconcileTerminatedOrdersWorkflow every minute, created by the worker at
// start. Creating it again finds it there; one per task queue, so deployments sharing a namespace
// each clean up their own orders.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

export const reconcileScheduleId = (taskQueue: string): string => `reconcile-terminated-orders-${taskQueue}`;

export async function ensureReconcileSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: reconcileScheduleId(taskQueue),
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconcileTerminatedOrdersWorkflow',
        workflowId: reconcileScheduleId(taskQueue),
        taskQueue,
        args: [{ taskQueue }],
      },
      // A slow run is not doubled: the next minute's start is skipped while one runs.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
