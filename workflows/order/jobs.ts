// The job runner: emails, link revocations and rep tasks, one at a time in the order they were queued.
import { ActivityFailure } from '@temporalio/workflow';
import { emailActivities } from './activities.js';
import { type Job, nowIso, type OrderRun } from './run.js';

export async function runJob(run: OrderRun, job: Job): Promise<void> {
  const { orderId } = run.state;
  switch (job.kind) {
    case 'email':
      try {
        await emailActivities().sendEmail({
          orderId,
          key: job.key,
          to: job.to,
          template: job.template,
          ...(job.link ? { link: { issueKey: job.link.issueKey, audience: job.link.audience, expiresAt: job.link.expiresAt } } : {}),
        });
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        // A rejected address cannot be fixed by retrying: a rep finds out and changes the contact.
        await run.exclusive(async () => {
          await run.record('email.rejected', 'system', { purpose: job.template.kind, to: job.to });
          if (job.to !== run.state.order.rep.email) {
            const reason = error.cause?.message ?? error.message;
            run.tellRep('email-rejected', { kind: 'rep-email-rejected', order: run.summary(), repName: run.repName(), rejectedRecipient: job.to, reason }, `The email to ${job.to} was rejected: ${reason}`);
          }
        });
      }
      break;
    case 'revoke-links':
      await run.databaseJob(({ projection }) => projection.revokeLinks({ orderId, ...(job.exceptIssueKey ? { exceptIssueKey: job.exceptIssueKey } : {}), reason: job.reason }));
      break;
    case 'open-task':
      await run.databaseJob(({ projection }) => projection.openRepTask({ orderId, taskKey: job.taskKey, kind: job.taskKind, detail: job.detail, openedAt: nowIso() }));
      break;
    case 'close-tasks':
      await run.databaseJob(({ projection }) => projection.closeRepTasks({ orderId, ...(job.kinds ? { kinds: job.kinds } : {}), reason: job.reason, closedAt: nowIso() }));
      break;
  }
}

/** Runs every queued job, including those queued meanwhile. */
export async function drainJobs(run: OrderRun): Promise<void> {
  while (run.jobs.length) await runJob(run, run.jobs.shift()!);
}
