// The Schedule that runs personalDataSweepWorkflow every PERSONAL_DATA_SWEEP_EVERY, created by the
// worker at start (one per task queue, like the reconciliation's). A changed interval is applied to
// the Schedule already there.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

export const personalDataScheduleId = (taskQueue: string): string => `personal-data-sweep-${taskQueue}`;

export async function ensurePersonalDataSchedule(client: Client, taskQueue: string, everyMs: number): Promise<void> {
  const scheduleId = personalDataScheduleId(taskQueue);
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType: 'personalDataSweepWorkflow', workflowId: scheduleId, taskQueue, args: [] },
      // A sweep still erasing is not doubled.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((schedule) => ({ ...schedule, spec }));
  }
}
