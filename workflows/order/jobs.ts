// The job runner: emails, link revocations and rep tasks, in coroutines of their own so the clock and
// provisioning never wait behind them. Two lanes, each in the order its jobs were queued: emails,
// which may retry for up to EMAIL_GIVE_UP_AFTER, and database jobs, which never wait behind them.
import { ActivityFailure, ApplicationFailure, condition, isCancellation, log } from '@temporalio/workflow';
import { EMAIL_NOT_CONFIGURED, EMAIL_REJECTED } from '../../emails/failures.js';
import { emailActivities } from './activities.js';
import { type Job, nowIso, type OrderRun } from './run.js';

type EmailJob = Extract<Job, { kind: 'email' }>;

export async function runJob(run: OrderRun, job: Job): Promise<void> {
  const { orderId } = run.state;
  switch (job.kind) {
    case 'email':
      try {
        await emailActivities(run.emailGiveUpAfterMs()).sendEmail({
          orderId,
          key: job.key,
          to: job.to,
          template: job.template,
          ...(job.link ? { link: { issueKey: job.link.issueKey, audience: job.link.audience, expiresAt: job.link.expiresAt } } : {}),
          ...(job.consent ? { consent: job.consent } : {}),
          ...(run.branch ? { branch: run.branch } : {}),
        });
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        // Cancelled from Temporal: not a failure to send; the cleanup runs the job again (order/cancellation.ts).
        if (isCancellation(error)) throw error;
        await run.exclusive(() => emailNotSent(run, job, error));
      }
      break;
    case 'revoke-links':
      await run.databaseJob(({ projection }) => projection.revokeLinks({ orderId, ...(job.exceptIssueKey ? { exceptIssueKey: job.exceptIssueKey } : {}), reason: job.reason }));
      break;
    case 'limit-links':
      await run.databaseJob(({ projection }) => projection.limitLinks({ orderId, until: job.until }));
      break;
    case 'revoke-consent':
      await run.databaseJob(({ projection }) => projection.revokeConsentRequests({ orderId, reason: job.reason }));
      break;
    case 'open-task':
      await run.databaseJob(({ projection }) => projection.openRepTask({ orderId, taskKey: job.taskKey, ...(run.branch ? { branch: run.branch } : {}), kind: job.taskKind, detail: job.detail, openedAt: nowIso() }));
      break;
    case 'close-tasks':
      await run.databaseJob(({ projection }) => projection.closeRepTasks({ orderId, ...(job.kinds ? { kinds: job.kinds } : {}), reason: job.reason, closedAt: nowIso() }));
      break;
  }
}

/**
 * An email that will not go. Only a refusal of the address blames the address (a rep changes the
 * contact); refused settings (bad key, unverified sender) or an outage past EMAIL_GIVE_UP_AFTER are
 * this service's problem: logged, on the timeline, and a rep task to follow up by other means.
 */
async function emailNotSent(run: OrderRun, job: EmailJob, error: ActivityFailure): Promise<void> {
  const { cause } = error;
  const reason = cause?.message ?? error.message;
  const notConfigured = cause instanceof ApplicationFailure && cause.type === EMAIL_NOT_CONFIGURED;
  // Past the give-up time the server ends the retries with the last attempt's failure (a 5xx, a timeout).
  const rejected = cause instanceof ApplicationFailure && cause.type === EMAIL_REJECTED;
  if (!rejected) {
    const why = notConfigured ? 'configuration' : 'outage';
    log.error('An email could not be sent', { orderId: run.state.orderId, purpose: job.template.kind, cause: why, reason });
    run.record('email.failed', 'system', { purpose: job.template.kind, to: job.to, cause: why, reason });
    const detail = notConfigured
      ? `The ${job.template.kind} email to ${job.to} was not sent: the email provider refused this service's settings (${reason}). The address is not at fault; operations must fix the email configuration.`
      : `The ${job.template.kind} email to ${job.to} was not sent: the email provider did not take it within the give-up time. Reach the recipient another way or resend later.`;
    // No rep email: email is what is failing.
    run.jobs.push({ kind: 'open-task', taskKey: `email-failed/${run.state.seq}`, taskKind: 'email-failed', detail });
    return;
  }
  // A rejected address cannot be fixed by retrying: a rep finds out and changes the contact.
  run.record('email.rejected', 'system', { purpose: job.template.kind, to: job.to });
  if (job.to !== run.state.order.rep.email) {
    run.tellRep('email-rejected', { kind: 'rep-email-rejected', order: run.summary(), repName: run.repName(), rejectedRecipient: job.to, reason }, `The email to ${job.to} was rejected: ${reason}`);
  }
}

type Lane = 'email' | 'database';
const LANES: Lane[] = ['email', 'database'];

/** The lane's next job: its oldest in the one queue (`run.jobs`, carried across continue-as-new). */
const nextJob = (run: OrderRun, lane: Lane): Job | undefined => run.jobs.find((job) => (job.kind === 'email') === (lane === 'email'));

/** Runs a job and only then takes it off the queue: an empty queue means idle, and a continue-as-new carries a job that was running. */
async function runQueued(run: OrderRun, job: Job): Promise<void> {
  await runJob(run, job);
  const index = run.jobs.indexOf(job);
  if (index >= 0) run.jobs.splice(index, 1);
}

/** After a cancellation from Temporal, in a non-cancellable scope: every queued job, including those queued meanwhile, both lanes at once. */
export async function drainJobs(run: OrderRun): Promise<void> {
  const drainLane = async (lane: Lane) => {
    for (let job = nextJob(run, lane); job; job = nextJob(run, lane)) await runQueued(run, job);
  };
  while (run.jobs.length) await Promise.all(LANES.map(drainLane));
}

/** The job coroutines, one per lane. */
export async function runJobs(run: OrderRun): Promise<void> {
  await Promise.all(LANES.map((lane) => runLane(run, lane)));
}

async function runLane(run: OrderRun, lane: Lane): Promise<void> {
  try {
    for (;;) {
      // A job's rows refer to the order's row and events: the read model catches up first.
      await condition(() => run.projections.length === 0 && nextJob(run, lane) !== undefined);
      await runQueued(run, nextJob(run, lane)!);
    }
  } catch (error) {
    // Cancelled from Temporal: the main loop's cleanup runs what is left (order/cancellation.ts).
    if (!isCancellation(error)) throw error;
  }
}
