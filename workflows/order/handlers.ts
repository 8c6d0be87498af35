// The order's Query and Updates. Each validator runs the pure rules to refuse early, before
// anything reaches history; each handler runs under the order's lock and refuses with an
// ApplicationFailure the API maps to HTTP.
import { ApplicationFailure, setHandler, uuid4 } from '@temporalio/workflow';
import { consentAnswerUpdate, emailEventUpdate, getStateQuery, type OrderState, type OrderSummaryState, REFUSAL, repActionUpdate, startSessionUpdate, type StepRequest, submitStepUpdate } from '../definitions.js';
import { applyRepAction } from '../rep-actions.js';
import { applyConsentAnswer, applyStartSession, applyStep, sessionLimit, type StepRefusal, wizardState } from '../wizard.js';
import { activityRefusal, commitConfiguration } from './commit.js';
import { askConsent, decideConsent } from './consent.js';
import { database } from './activities.js';
import { nowIso, type OrderRun } from './run.js';

// Every Update goes through run.answerOnce: a client's retry with the same Idempotency-Key is
// answered with the first answer, also after continue-as-new, and its validator lets it through.
export function registerHandlers(run: OrderRun): void {
  setHandler(getStateQuery, () => run.state);

  setHandler(
    startSessionUpdate,
    ({ linkIssueKey }) =>
      run.answerOnce(() => run.answer(async () => {
        const outcome = applyStartSession(run.state, linkIssueKey, uuid4(), nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
        const wasEscalated = run.state.escalated;
        run.state = outcome.state;
        if (wasEscalated) run.jobs.push({ kind: 'close-tasks', kinds: ['escalation'], reason: 'the wizard was opened' });
        run.record('wizard.session-started', run.linkActor(), { session: run.state.sessionsStarted });
        if (!run.state.configuration && run.state.sessionsStarted === sessionLimit(run.state)) {
          const detail = `The wizard of this order was opened ${run.state.sessionsStarted} times without finishing; a further start is refused. Call the contact, then lift the cap if they need more.`;
          // Keyed by the count: after a lifted cap is reached again, a new task opens.
          run.jobs.push({ kind: 'open-task', taskKey: `sessions-capped/${run.state.sessionsStarted}`, taskKind: 'sessions-capped', detail });
        }
        return { sessionId: run.state.session!.id, state: wizardState(run.state) };
      })),
    {
      validator: ({ linkIssueKey }) => {
        if (run.earlierAnswer()) return;
        // No uuid4() here: a validator must not draw from the workflow's random sequence.
        const outcome = applyStartSession(run.state, linkIssueKey, 'validation', nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  setHandler(submitStepUpdate, (request: StepRequest) => run.answerOnce(() => run.answer(() => submitStep(run, request))), {
    validator: (request: StepRequest) => {
      if (run.earlierAnswer()) return;
      const outcome = applyStep(run.state, request, nowIso());
      if (!outcome.ok) throw refusal(outcome.refusal);
    },
  });

  setHandler(
    repActionUpdate,
    (request) =>
      run.answerOnce(() => run.exclusive(async () => {
        const outcome = applyRepAction(run.state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
        if (outcome.effect.kind === 'approve-consent') {
          await decideConsent(run, 'approve', `rep:${request.repId}`, request.reason ? { reason: request.reason } : {});
          return listed(run.state);
        }
        const withdrawnConsent = run.state.consent !== undefined;
        const heldFor = run.state.hold?.reason;
        run.state = outcome.state;
        const { effect } = outcome;
        if (effect.kind === 'new-link') {
          run.issueLink(effect.audience, effect.email, (expiresAt) => run.linkEmail(expiresAt));
          // A new address is what the rejected- and failed-email tasks ask the rep for.
          if (request.action === 'change-contact') run.jobs.push({ kind: 'close-tasks', kinds: ['email-rejected', 'email-failed', 'email-bounced'], reason: 'a rep changed the contact' });
        } else if (effect.kind === 'cancel') {
          run.jobs.push({ kind: 'revoke-links', reason: 'the order was cancelled' });
          run.jobs.push({ kind: 'close-tasks', reason: 'the order was cancelled' });
          if (withdrawnConsent) run.jobs.push({ kind: 'revoke-consent', reason: 'the order was cancelled' });
        } else if (effect.kind === 'lift-session-cap') {
          run.jobs.push({ kind: 'close-tasks', kinds: ['sessions-capped'], reason: 'a rep lifted the session cap' });
        } else if (effect.kind === 'retry-provisioning') {
          // A new failure opens a new task; success closes every task (order/provisioning.ts).
          run.jobs.push({ kind: 'close-tasks', kinds: ['provisioning-failed'], reason: 'a rep retried provisioning' });
        } else if (effect.kind === 'resume') {
          run.jobs.push({ kind: 'close-tasks', kinds: ['on-hold'], reason: 'a rep resumed the order' });
          // A fresh link, with what the rep decided; the old ones stop working (SPEC §7.1).
          const { link } = run.state;
          if (link) {
            run.issueLink(link.audience, link.email, (expiresAt) => ({
              kind: 'resumed',
              order: run.summary(),
              reason: request.reason?.trim() ?? '',
              ...(heldFor ? { heldFor } : {}),
              ...(request.partnerOrg ? { partnerOrganization: request.partnerOrg.name } : {}),
              ...(request.customerOrg ? { customerOrganization: request.customerOrg.name } : {}),
              // A hold comes before the point of no return: the link has the order's deadline.
              expiresAt: expiresAt!,
            }));
          }
        }
        run.record(`rep.${request.action}`, `rep:${request.repId}`, {
          ...(request.reason ? { reason: request.reason } : {}),
          ...(request.email ? { email: request.email } : {}),
          ...(request.requestedStartDate ? { requestedStartDate: request.requestedStartDate, startAt: request.startAt } : {}),
          ...(request.partnerOrg ? { partnerOrgId: request.partnerOrg.orgId, partnerOrgName: request.partnerOrg.name } : {}),
          ...(request.customerOrg ? { customerOrgId: request.customerOrg.orgId, customerOrgName: request.customerOrg.name } : {}),
        });
        return listed(run.state);
      })),
    {
      validator: (request) => {
        if (run.earlierAnswer()) return;
        const outcome = applyRepAction(run.state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  setHandler(
    consentAnswerUpdate,
    (answer) =>
      run.answerOnce(() => run.exclusive(async () => {
        const outcome = applyConsentAnswer(run.state, answer);
        if (!outcome.ok) throw refusal(outcome.refusal);
        await decideConsent(run, outcome.decision, 'org-admin');
        return { status: run.state.status };
      })),
    {
      validator: (answer) => {
        if (run.earlierAnswer()) return;
        const outcome = applyConsentAnswer(run.state, answer);
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  // The Update id is the Svix id: a redelivery is answered by Temporal in this run, from the applied
  // Updates after continue-as-new. The workflow decides with no database answer to lose, and the
  // projection writes the Svix id with the event.
  setHandler(emailEventUpdate, (event) =>
    run.answerOnce(() => run.exclusive(async () => {
      const { svixId, status, providerMessageId } = event;
      run.record(`email.${status}`, 'resend', { purpose: event.purpose, to: event.to, ...(event.reason ? { reason: event.reason } : {}) }, { svixId, status, providerMessageId });
      // A contact, colleague or customer who cannot be reached: a rep finds out now, not at the escalation a day later.
      if ((status === 'bounced' || status === 'complained') && event.to !== run.state.order.rep.email) {
        const what = status === 'bounced' ? `bounced${event.reason ? ` (${event.reason})` : ''}` : 'was marked as spam by the recipient';
        run.jobs.push({ kind: 'open-task', taskKey: `email-bounced/${run.state.seq}`, taskKind: 'email-bounced', detail: `The ${event.purpose} email to ${event.to} ${what}. Check the address, or change the contact.` });
      }
      return { recorded: true };
    })),
  );
}

/** One wizard step, under the lock: the pure rules decide, then the effect they ask for is carried out. */
async function submitStep(run: OrderRun, request: StepRequest) {
  const outcome = applyStep(run.state, request, nowIso());
  if (!outcome.ok) throw refusal(outcome.refusal);
  const { effect } = outcome;
  const actor = run.linkActor();
  switch (effect.kind) {
    case 'none':
      run.state = outcome.state;
      run.record(`wizard.${request.step}`, actor, stepAuditData(request));
      break;

    case 'delegate': {
      run.state = outcome.state;
      const delegatedBy = run.state.link?.email ?? run.state.order.provisioningContactEmail;
      const audience = effect.audience === 'customer' ? 'customer' : 'colleague';
      // Step 4 comes before the point of no return: the link has the order's deadline.
      run.issueLink(effect.audience, effect.email, (expiresAt) => ({ kind: 'delegated', order: run.summary(), audience, delegatedBy, expiresAt: expiresAt! }));
      run.record('wizard.delegated', actor, { to: effect.email, audience: effect.audience });
      break;
    }

    case 'hold': {
      run.state = outcome.state;
      run.record('order.on-hold', actor, { step: effect.step });
      const organization = effect.step === 'partner-org' ? 'partner' : 'customer';
      run.tellRep('on-hold', { kind: 'rep-on-hold', order: run.summary(), repName: run.repName(), organization }, `The user did not recognise the ${organization} organization.`);
      break;
    }

    case 'commit': {
      const draft = run.state.session!.draft;
      const committed = await commitConfiguration(run, draft);
      if (!committed.ok) {
        const { failure } = committed;
        if (failure.type === REFUSAL.conflict) {
          // Lost a race for the address: back to step 6 with the rest of the draft kept.
          const { customerAdmin: _a, customerOrg: _o, ...kept } = draft;
          if (failure.details?.[0] === 'partner-admin-email-taken') delete kept.partnerOrg;
          run.state = { ...run.state, session: { ...run.state.session!, draft: kept } };
          run.record('wizard.confirm-refused', actor, { reason: failure.details?.[0] });
        }
        throw failure;
      }
      await committed.apply(actor);
      break;
    }

    case 'ask-consent':
      run.state = outcome.state;
      await askConsent(run, actor);
      break;

    case 'set-password':
      try {
        await database.local.interactive.setPartnerAdminPassword({ orderId: run.state.orderId, passwordRef: effect.passwordRef });
      } catch (error) {
        throw activityRefusal(error, {});
      }
      run.state = { ...outcome.state, passwordSet: true, status: 'SERVICE_SETUP' };
      // The audit says that a password was set, never anything about it.
      run.record('wizard.partner-password', actor);
      break;

    case 'reserve-subdomain':
      try {
        await database.local.interactive.reserveSubdomain({ orderId: run.state.orderId, subdomain: effect.subdomain });
      } catch (error) {
        throw activityRefusal(error, { SubdomainTaken: 'subdomain-taken', SubdomainInvalid: 'subdomain-invalid', SiteAlreadyActive: 'site-active' });
      }
      run.state = { ...outcome.state, sections: { ...outcome.state.sections, meetings: { subdomain: effect.subdomain, savedAt: nowIso() } } };
      run.record('wizard.meetings', actor, { subdomain: effect.subdomain });
      break;

    case 'provision':
      run.state = outcome.state;
      run.record('provisioning.requested', actor);
      break;
  }
  // The idle follow-up counts from here (order/clock.ts).
  if (run.state.session) run.state = { ...run.state, session: { ...run.state.session, lastActiveAt: nowIso() } };
  return wizardState(run.state);
}

/** A rep action's answer: the order as the rep console lists it. */
function listed({ orderId, status, order, startAt, receivedAt, escalated }: OrderState): OrderSummaryState {
  return { orderId, status, order, startAt, receivedAt, escalated };
}

function refusal(r: StepRefusal): ApplicationFailure {
  if (r.kind === 'invalid') {
    return ApplicationFailure.create({ type: REFUSAL.invalid, message: r.errors.map((e) => `${e.field} ${e.message}`).join('; '), details: [r.errors], nonRetryable: true });
  }
  if (r.kind === 'link-gone') return ApplicationFailure.create({ type: REFUSAL.linkGone, message: r.message, nonRetryable: true });
  return ApplicationFailure.create({ type: REFUSAL.conflict, message: r.message, details: [r.code], nonRetryable: true });
}

/** What a step adds to the audit timeline: its choices, never a password or its hash. */
function stepAuditData(request: StepRequest): Record<string, unknown> {
  const { password: _p, ...input } = request.input;
  return input;
}
