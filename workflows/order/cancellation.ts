// An order cancelled from Temporal's own tools (`temporal workflow cancel`, the Web UI) ends like
// a rep's cancellation: CANCELLED in the read model, its links revoked, its tasks closed. An order
// that had already ended (provisioned, cancelled, expired) and was only finishing its queued work
// keeps its status: that work is finished. The cleanup runs in a non-cancellable scope, since the
// workflow's own scope is the one cancelled.
import { allHandlersFinished, CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { isTerminal } from '../wizard.js';
import { drainJobs } from './jobs.js';
import { drainProjections } from './projections.js';
import { nowIso, type OrderRun } from './run.js';
import { drainWebhooks } from './webhooks.js';

export async function whenCancelledFromTemporal(run: OrderRun, error: unknown): Promise<void> {
  if (!isCancellation(error)) return;
  await CancellationScope.nonCancellable(async () => {
    if (!isTerminal(run.state)) await cancel(run);
    // Updates still running answer, and what they queue goes too; nothing is left in flight.
    for (;;) {
      await drainProjections(run);
      await drainJobs(run);
      await drainWebhooks(run);
      await condition(allHandlersFinished);
      if (!run.projections.length && !run.jobs.length && !run.webhooks.length) return;
    }
  });
}

async function cancel(run: OrderRun): Promise<void> {
  await run.exclusive(async () => {
    const { state } = run;
    // Nothing the customer would act on goes out any more; database work and the rep's emails do.
    const queued = run.jobs.splice(0).filter((job) => job.kind !== 'email' || job.to === state.order.rep.email);
    run.jobs.push(...queued);
    run.state = { ...state, status: 'CANCELLED', session: undefined, consent: undefined, cancellation: { reason: 'cancelled from Temporal', by: 'operator', at: nowIso() } };
    run.record('order.cancelled', 'operator', { via: 'temporal' });
    run.jobs.push({ kind: 'revoke-links', reason: 'the order was cancelled' });
    run.jobs.push({ kind: 'close-tasks', reason: 'the order was cancelled' });
    if (state.consent) run.jobs.push({ kind: 'revoke-consent', reason: 'the order was cancelled' });
    const { provisioning } = run.state;
    if (provisioning && !provisioning.billingStartedAt && !provisioning.failure) {
      // Provisioning was under way: what it did is not undone and nothing bills for it.
      const done = [provisioning.subscriptionId && `subscription ${provisioning.subscriptionId}`, provisioning.siteId && `meeting site ${provisioning.siteId}`].filter(Boolean).join(' and ') || 'nothing yet';
      const message = `The order was cancelled from Temporal during provisioning. Created so far: ${done}; billing had not been confirmed. Check with Webex and billing, then undo or bill by hand.`;
      run.tellRep('provisioning-cancelled', { kind: 'rep-provisioning-failed', order: run.summary(), repName: run.repName(), error: message }, message);
    }
  });
}
