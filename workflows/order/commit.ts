// Step 8's commit, the point of no return: the organizations and the admin are written, then the
// order is configured. Run by the wizard's confirm step, or by an approved consent request
// (order/consent.ts) with the draft that step 8 kept.
import { ActivityFailure, ApplicationFailure, uuid4 } from '@temporalio/workflow';
import type { CommitResult } from '../../activities/organizations.js';
import { REFUSAL, type WizardDraft } from '../definitions.js';
import { passwordPending } from '../wizard.js';
import { database } from './activities.js';
import { nowIso, type OrderRun } from './run.js';

/** The commit's outcome: written (then `apply` configures the order), or refused. */
export type CommitOutcome = { ok: true; apply: (actor: string) => Promise<void> } | { ok: false; failure: ApplicationFailure };

export async function commitConfiguration(run: OrderRun, draft: WizardDraft): Promise<CommitOutcome> {
  const { state } = run;
  const attemptId = uuid4();
  let result: CommitResult;
  try {
    result = await database.local.interactive.commitOrderConfiguration({
      orderId: state.orderId,
      attemptId,
      partner: state.delegatedToCustomer
        ? null
        : draft.partnerOrg!.mode === 'new'
          ? { mode: 'new', partnerId: state.order.partner.id, ...withoutMode(draft.partnerOrg!) }
          : { mode: 'existing', orgId: draft.partnerOrg!.orgId },
      customer: draft.customerOrg!.mode === 'new' ? { mode: 'new', ...withoutMode(draft.customerOrg!) } : { mode: 'existing', orgId: draft.customerOrg!.orgId },
      admin: { email: draft.customerAdmin!.email },
    });
  } catch (error) {
    const failure = activityRefusal(error, {
      AdminEmailTaken: 'admin-email-taken',
      PartnerAdminEmailTaken: 'partner-admin-email-taken',
      UnknownPartnerOrg: 'unknown-partner-org',
      UnknownCustomerOrg: 'unknown-customer-org',
      ConfigurationMismatch: 'already-configured',
    });
    if (failure.type !== REFUSAL.unavailable) return { ok: false, failure };
    // No answer, or one that says nothing of the transaction: it may still commit. Whether it did is
    // read from PostgreSQL, which from then on refuses it, before anyone is told "nothing was changed".
    const settled = await settleAttempt(state.orderId, attemptId);
    if (!settled) return { ok: false, failure };
    result = settled;
  }
  const committed = result;
  return { ok: true, apply: (actor) => configured(run, actor, draft, committed) };
}

async function configured(
  run: OrderRun,
  actor: string,
  draft: WizardDraft,
  result: { partnerOrgId: string | null; customerOrgId: string; adminUserId: string; newPartnerOrg: boolean; customerOrgName?: string },
): Promise<void> {
  // The org's real name from the commit; absent in histories from before it was returned.
  const customerOrgName = result.customerOrgName ?? draft.customerOrg!.name;
  run.state = {
    ...run.state,
    status: 'ORDER_CONFIGURED',
    // The commit lifted the link's deadline in the database (activities/organizations.ts).
    link: run.state.link && { ...run.state.link, expiresAt: null },
    configuration: {
      partnerOrgId: result.partnerOrgId,
      customerOrgId: result.customerOrgId,
      adminUserId: result.adminUserId,
      adminEmail: draft.customerAdmin!.email,
      customerOrgName,
      partnerOrgName: draft.partnerOrg?.name ?? null,
      partnerAdminEmail: draft.partnerOrg?.mode === 'new' ? draft.partnerOrg.adminEmail : null,
      newPartnerOrg: result.newPartnerOrg,
      partnerManaged: !run.state.delegatedToCustomer,
      configuredAt: nowIso(),
    },
  };
  run.record('order.configured', actor, { customerOrgId: result.customerOrgId, partnerOrgId: result.partnerOrgId, newPartnerOrg: result.newPartnerOrg });
  run.jobs.push({ kind: 'close-tasks', reason: 'the order was configured' });
  run.jobs.push({
    kind: 'email',
    key: 'order-configured',
    to: run.state.link!.email,
    template: {
      kind: 'order-configured',
      order: run.summary(),
      ...(draft.partnerOrg ? { partnerOrganization: draft.partnerOrg.name } : {}),
      customerOrganization: customerOrgName,
      customerAdminEmail: draft.customerAdmin!.email,
    },
    link: run.state.link!,
  });
  if (!passwordPending(run.state)) {
    run.state = { ...run.state, status: 'SERVICE_SETUP' };
    run.record('order.service-setup', 'system');
  }
}

/**
 * The commit attempt's outcome as PostgreSQL has it. One local attempt; while the database does not
 * answer, a regular activity retried until it does: the step is answered only once it is known.
 */
async function settleAttempt(orderId: string, attemptId: string): Promise<CommitResult | null> {
  try {
    return (await database.local.interactive.settleConfigurationAttempt({ orderId, attemptId })).committed;
  } catch {
    return (await database.regular.projection.settleConfigurationAttempt({ orderId, attemptId })).committed;
  }
}

/** A business refusal from an activity, or "try again" when the database did not answer in time. */
export function activityRefusal(error: unknown, codes: Record<string, string>): ApplicationFailure {
  // A regular activity's failure arrives wrapped in an ActivityFailure, a local activity's bare.
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type && codes[cause.type]) {
    return ApplicationFailure.create({ type: REFUSAL.conflict, message: cause.message, details: [codes[cause.type]], nonRetryable: true });
  }
  return ApplicationFailure.create({ type: REFUSAL.unavailable, message: 'The step could not be saved just now. Try again in a moment.', nonRetryable: true });
}

function withoutMode<T extends { mode: string }>(value: T): Omit<T, 'mode'> {
  const { mode: _mode, ...rest } = value;
  return rest;
}
