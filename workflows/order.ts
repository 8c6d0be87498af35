// The order workflow: one order's life from intake to provisioning. Laid out like samples-typescript's
// message-passing/safe-message-handlers: the state and its shared operations live in OrderRun
// (order/run.ts), the Query and Updates in order/handlers.ts, the clock in order/clock.ts, side
// effects in order/jobs.ts and step 10d in order/provisioning.ts; this function only drives them.
import { allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import type { OrderState } from './definitions.js';
import { nextDeadline, onTimers } from './order/clock.js';
import { registerHandlers } from './order/handlers.js';
import { whenCancelledFromTemporal } from './order/cancellation.js';
import { runJobs } from './order/jobs.js';
import { runProjections } from './order/projections.js';
import { provision, provisioningDue } from './order/provisioning.js';
import { OrderRun, type OrderRunInput } from './order/run.js';
import { runWebhooks } from './order/webhooks.js';
import { isTerminal } from './wizard.js';

export async function orderWorkflow(input: OrderRunInput): Promise<OrderState> {
  const run = new OrderRun(input);
  registerHandlers(run);

  // A run continued from an earlier one carries the order's events; a first run records its receipt,
  // and an Update delivered with the start waits for it.
  if (!input.carried) await run.exclusive(async () => run.record('order.received', 'commerce', { startAt: run.state.startAt }));

  void runProjections(run);
  void runJobs(run);
  void runWebhooks(run);
  // A cancellation from Temporal is handled wherever it lands, the hand-over and the final drain included.
  try {
    await lifecycle(run);
    if (!isTerminal(run.state)) {
      // Long lives stay healthy: a fresh run takes the state, its deadlines and the pending jobs
      // (one interrupted mid-way runs again; every job is idempotent by its key). An Update's write
      // is a regular activity scheduled beside its answer: the run hands over only once no handler
      // runs and the read model has caught up, both seen in one activation. Updates that come
      // meanwhile write in their own task (run.handingOver).
      run.handingOver = true;
      await condition(() => allHandlersFinished() && run.projections.length === 0);
      return continueAsNew<typeof orderWorkflow>({
        ...input,
        carried: { state: run.state, jobs: [...run.jobs], webhooks: [...run.webhooks], projections: [...run.projections], appliedUpdates: [...run.appliedUpdates], branch: run.branch },
      });
    }
    // In-flight Updates (Resend's events among them) answer, and what is queued is written, sent and
    // delivered before the workflow completes: all seen at once, in the last activation.
    await condition(() => allHandlersFinished() && run.jobs.length === 0 && run.webhooks.length === 0 && run.projections.length === 0);
  } catch (error) {
    await whenCancelledFromTemporal(run, error);
    throw error;
  }
  return run.state;
}

/** The clock and provisioning, until the order ends or the run should continue as new. */
async function lifecycle(run: OrderRun): Promise<void> {
  for (;;) {
    if (isTerminal(run.state) || run.shouldContinueAsNew()) break;
    if (await onTimers(run)) continue;
    if (provisioningDue(run)) {
      await provision(run);
      continue;
    }
    // Wait for the deadline, or for a change that brings it forward or ends the wait. A deadline
    // moved later (a wizard step resets the idle follow-up) keeps the timer: it fires, finds nothing
    // due and re-arms, so steps add no timer events.
    const seen = run.state;
    const deadline = nextDeadline(run);
    const earlier = () => {
      const next = nextDeadline(run);
      return next !== undefined && (deadline === undefined || next < deadline);
    };
    const changed = () => (run.state !== seen && (earlier() || isTerminal(run.state) || provisioningDue(run))) || run.shouldContinueAsNew();
    if (deadline === undefined) await condition(changed);
    else await condition(changed, Math.max(1, deadline - Date.now()));
  }
}
