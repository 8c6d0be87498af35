// Step 10d: one idempotent activity per external effect; billing last, so a failure bills nothing.
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import { provisioning } from './activities.js';
import { nowIso, type OrderRun } from './run.js';

/**
 * A provisioned order's links end LINK_VALID_AFTER_PROVISIONING_MS later (SPEC §7.1: valid until
 * provisioned); the grace lets the holder's open page and the link in their inbox show the result.
 */
const LINK_VALID_AFTER_PROVISIONING_MS = 7 * 86_400_000;

/** Provisioning was asked for and has neither finished nor failed. */
export const provisioningDue = (run: OrderRun): boolean =>
  !!run.state.provisioning && !run.state.provisioning.failure && !run.state.provisioning.billingStartedAt;

export async function provision(run: OrderRun): Promise<void> {
  const configuration = run.state.configuration!;
  const { orderId } = run.state;
  try {
    const { subscriptionId } = await provisioning.activateSubscription({ orderId, customerOrgId: configuration.customerOrgId, services: run.state.order.services });
    run.state = { ...run.state, provisioning: { ...run.state.provisioning!, subscriptionId } };
    if (run.state.order.services.includes('meetings')) {
      const { siteId } = await provisioning.createMeetingSite({ orderId });
      run.state = { ...run.state, provisioning: { ...run.state.provisioning!, siteId } };
    }
    const billing = await provisioning.startBilling({ orderId, subscriptionId, startedAt: run.state.provisioning!.requestedAt });
    await run.exclusive(async () => {
      run.state = { ...run.state, status: 'PROVISIONED', session: undefined, provisioning: { ...run.state.provisioning!, billingStartedAt: billing.startedAt } };
      run.record('order.provisioned', 'system', { subscriptionId, billingStartedAt: billing.startedAt });
      const summary = run.summary();
      run.jobs.push({ kind: 'email', key: 'provisioned', to: run.state.link?.email ?? run.state.order.provisioningContactEmail, template: { kind: 'provisioned', order: summary, audience: 'contact' } });
      run.jobs.push({ kind: 'email', key: 'provisioned-rep', to: run.state.order.rep.email, template: { kind: 'provisioned', order: summary, audience: 'rep' } });
      run.jobs.push({ kind: 'close-tasks', reason: 'the order was provisioned' });
      const until = new Date(Date.now() + LINK_VALID_AFTER_PROVISIONING_MS).toISOString();
      if (run.state.link) run.state = { ...run.state, link: { ...run.state.link, expiresAt: until } };
      run.jobs.push({ kind: 'limit-links', until });
    });
  } catch (error) {
    // Cancelled from Temporal is not a provisioning failure: order/cancellation.ts tells the rep.
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    const message = error.cause?.message ?? error.message;
    await run.exclusive(async () => {
      run.state = { ...run.state, provisioning: { ...run.state.provisioning!, failure: { at: nowIso(), message } } };
      run.record('provisioning.failed', 'system', { message });
      run.tellRep('provisioning-failed', { kind: 'rep-provisioning-failed', order: run.summary(), repName: run.repName(), error: message }, `Provisioning failed: ${message}`);
      const { link, seq } = run.state;
      if (link) {
        run.jobs.push({ kind: 'email', key: `provisioning-failed/${seq}`, to: link.email, template: { kind: 'provisioning-failed', order: run.summary(), repName: run.repName() } });
      }
    });
  }
}
