// Consent for existing organizations (SPEC §7.2). Step 8 with an existing customer org the partner
// does not manage puts the order in AWAITING_CONSENT instead of committing: the org's full admin is
// emailed an approve / decline link (or, without an admin, a rep is asked at once). Approval — by
// that link or the rep action `approve-consent` — runs the step 8 commit; a decline puts the order
// on hold with the rep. ESCALATION_AFTER without an answer: a reminder to the admin and rep task
// `awaiting-consent`. The order's expiry still applies: the consent link ends with the order.
//
// No patch: only orders whose step 8 carried the API's consent facts (StepContext.consent) and so
// were recorded with this code ever hold a consent request; older histories never reach it.
import { REFUSAL, type ConsentRequest } from '../definitions.js';
import { commitConfiguration, type CommitOutcome } from './commit.js';
import { nowIso, type OrderRun } from './run.js';

/** After step 8 chose an org that must consent: the request goes out (the state is already AWAITING_CONSENT). */
export async function askConsent(run: OrderRun, actor: string): Promise<void> {
  const consent = run.state.consent!;
  run.record('order.awaiting-consent', actor, { orgId: consent.orgId, asked: consent.adminEmail ?? 'rep' });
  if (consent.adminEmail) {
    run.jobs.push(consentEmail(run, consent, false));
  } else {
    const detail = 'Step 8 chose an existing customer organization the partner does not manage, and it has no administrator to ask. Approve the consent if the organization agrees, or cancel.';
    run.jobs.push({ kind: 'open-task', taskKey: `awaiting-consent/${consent.requestKey}`, taskKind: 'awaiting-consent', detail });
  }
}

function consentEmail(run: OrderRun, consent: ConsentRequest, reminder: boolean) {
  const { state } = run;
  const expiresAt = state.expiresAt!;
  return {
    kind: 'email' as const,
    key: `consent-${reminder ? 'reminder' : 'request'}/${consent.requestKey}`,
    to: consent.adminEmail!,
    template: {
      kind: 'consent-request' as const,
      order: run.summary(),
      newAdminEmail: consent.draft.customerAdmin!.email,
      attachPartner: !state.delegatedToCustomer,
      expiresAt,
      reminder,
    },
    consent: { requestKey: consent.requestKey, orgId: consent.orgId, expiresAt },
  };
}

/**
 * The org's answer (`org-admin`, through the link) or a rep's approval. Approval commits step 8
 * first: when the database does not answer the Update fails and nothing changed; when the commit
 * is refused (the admin address was taken meanwhile, the org is gone) the order goes on hold.
 */
export async function decideConsent(run: OrderRun, decision: 'approve' | 'decline', actor: string, data: Record<string, unknown> = {}): Promise<void> {
  const consent = run.state.consent!;
  const configuredBy = consent.confirmedBy;
  if (decision === 'approve') {
    const outcome: CommitOutcome = await commitConfiguration(run, consent.draft);
    if (!outcome.ok && outcome.failure.type === REFUSAL.unavailable) throw outcome.failure;
    run.jobs.push({ kind: 'revoke-consent', reason: 'the request was approved' });
    run.jobs.push({ kind: 'close-tasks', kinds: ['awaiting-consent'], reason: 'the organization’s consent was given' });
    if (outcome.ok) {
      run.state = { ...run.state, consent: undefined };
      run.record('consent.approved', actor, { orgId: consent.orgId, ...data });
      await outcome.apply(configuredBy);
      return;
    }
    run.state = { ...run.state, status: 'ON_HOLD', consent: undefined, hold: { step: 'customer-org', at: nowIso(), reason: 'commit-refused' } };
    run.record('consent.approved', actor, { orgId: consent.orgId, ...data });
    run.record('order.on-hold', 'system', { step: 'customer-org', reason: outcome.failure.details?.[0] ?? 'refused' });
    run.tellRep('on-hold', { kind: 'rep-on-hold', order: run.summary(), repName: run.repName(), organization: 'customer' }, `The organization consented, but step 8 could not be committed: ${outcome.failure.message}`);
    return;
  }
  run.state = { ...run.state, status: 'ON_HOLD', consent: undefined, hold: { step: 'customer-org', at: nowIso(), reason: 'consent-declined' } };
  run.record('consent.declined', actor, { orgId: consent.orgId });
  run.record('order.on-hold', actor, { step: 'customer-org', reason: 'consent-declined' });
  run.jobs.push({ kind: 'revoke-consent', reason: 'the request was declined' });
  run.jobs.push({ kind: 'close-tasks', kinds: ['awaiting-consent'], reason: 'the organization declined' });
  run.tellRep('on-hold', { kind: 'rep-on-hold', order: run.summary(), repName: run.repName(), organization: 'customer', consentDeclined: true }, 'The existing customer organization declined consent.');
  const holder = run.state.link;
  if (holder) {
    const { rep } = run.state.order;
    run.jobs.push({ kind: 'email', key: `consent-declined/${consent.requestKey}`, to: holder.email, template: { kind: 'consent-declined', order: run.summary(), repName: rep.name, repEmail: rep.email } });
  }
}

/** When the open consent request is followed up, or undefined when there is none to follow up. */
export function consentFollowUpDue(run: OrderRun): number | undefined {
  const { consent } = run.state;
  if (run.state.status !== 'AWAITING_CONSENT' || !consent || consent.escalated) return undefined;
  return Date.parse(consent.requestedAt) + run.settings.escalationAfterMs;
}

/** ESCALATION_AFTER without an answer: the admin is reminded once and the rep gets a task. */
export async function followUpConsent(run: OrderRun): Promise<void> {
  await run.exclusive(async () => {
    const due = consentFollowUpDue(run);
    if (due === undefined || Date.now() < due) return;
    const consent = { ...run.state.consent!, escalated: true };
    run.state = { ...run.state, consent };
    run.record('consent.escalated', 'system', { orgId: consent.orgId });
    if (consent.adminEmail) run.jobs.push(consentEmail(run, consent, true));
    const detail = consent.adminEmail
      ? `The existing customer organization has not answered the consent request within the escalation window; its administrator was reminded. Approve the consent if the organization agrees, or cancel.`
      : 'The consent request is still open. Approve the consent if the organization agrees, or cancel.';
    run.jobs.push({ kind: 'open-task', taskKey: `awaiting-consent/${consent.requestKey}`, taskKind: 'awaiting-consent', detail });
  });
}
