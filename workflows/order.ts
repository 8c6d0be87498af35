import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderWorkflowInput } from '../domain/order.js';
import { OrderStatusKey } from '../domain/search-attributes.js';
import type { OrderActivities } from '../activities/index.js';
import { type EmailTemplate, orderSummary } from '../emails/templates.js';
import type { RepTaskKind } from '../db/schema/orders.js';
import {
  type CurrentLink,
  getStateQuery,
  type LinkAudience,
  type OrderState,
  REFUSAL,
  repActionUpdate,
  startSessionUpdate,
  type StepRequest,
  submitStepUpdate,
} from './definitions.js';
import { applyRepAction } from './rep-actions.js';
import { applyStartSession, applyStep, isTerminal, passwordPending, type StepRefusal } from './wizard.js';

// Timeouts and retries, by what the work is and who waits for it. Business refusals (an address
// taken, a subdomain taken, a rejected email, a provisioning rejection) are thrown by the
// activities as non-retryable ApplicationFailures with exported types, so no profile lists them.

/** Projection writes are small statements: retry quickly and for as long as it takes. */
const projectionProfile = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;

/** Database work a person waits for in the wizard: a few quick tries, then the step says "try again". */
const interactiveProfile = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 4 },
} as const;

/**
 * Patch: the database work above runs as local activities, in the workflow task that asks for it.
 * A regular activity costs two task-queue dispatches (~75 ms on the dev server, bench/README.md) and
 * a copy of its input in the history; a wizard step or a due timer now takes one workflow task.
 * Orders whose history predates the patch replay their regular activities up to it.
 */
const LOCAL_DATABASE_WORK = 'local-database-activities';
const database = {
  regular: { projection: proxyActivities<OrderActivities>(projectionProfile), interactive: proxyActivities<OrderActivities>(interactiveProfile) },
  local: { projection: proxyLocalActivities<OrderActivities>(projectionProfile), interactive: proxyLocalActivities<OrderActivities>(interactiveProfile) },
};
type DatabaseWork = (typeof database)['regular'];
/** For handlers and other work that already holds the workflow's lock. */
const databaseWork = (): DatabaseWork => (patched(LOCAL_DATABASE_WORK) ? database.local : database.regular);

/**
 * Provisioning talks to slow external systems: every call is idempotent, so retry patiently for up
 * to a day (a Webex outage heals by itself), then a rep takes over. 30 s per attempt bounds how
 * long a call lost with a crashed worker holds up the retry.
 */
const provisioning = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  /** Emails have their own rate-limited task queue; a rejected address is not retried. */
  const email = proxyActivities<OrderActivities>({
    taskQueue: `${workflowInfo().taskQueue}-email`,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

  let state: OrderState = {
    orderId: input.order.orderId,
    status: 'SCHEDULED',
    order: input.order,
    payloadHash: input.payloadHash,
    startAt: input.startAt,
    receivedAt: input.receivedAt,
    seq: 0,
    linksIssued: 0,
    delegatedToCustomer: false,
    sessionsStarted: 0,
    escalated: false,
    reminders: { escalation: false, expiry: false },
    passwordSet: false,
    sections: {},
  };
  const { escalationAfterMs, orderExpiresAfterMs } = input.settings;
  const nowIso = () => new Date().toISOString();

  // Side effects that need not hold up the person or rep who caused them: the main loop runs
  // them in order, outside the lock, retrying until they succeed.
  type Job =
    | { kind: 'email'; key: string; to: string; template: EmailTemplate; link?: CurrentLink }
    | { kind: 'revoke-links'; exceptIssueKey?: string; reason: string }
    | { kind: 'open-task'; taskKey: string; taskKind: RepTaskKind; detail: string }
    | { kind: 'close-tasks'; kinds?: RepTaskKind[]; reason: string };
  const jobs: Job[] = [];
  let wakeups = 0;
  const wake = () => {
    wakeups += 1;
  };

  // Handlers that await activities must not interleave: one change of state at a time, in the order
  // asked for. A ticket per caller: with a plain `condition(() => !locked)`, two waiters unblocked
  // in the same activation would both have run.
  let ticketsIssued = 0;
  let serving = 0;
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const ticket = ticketsIssued++;
    await condition(() => serving === ticket);
    try {
      return await fn();
    } finally {
      serving += 1;
      wake();
    }
  }

  /**
   * Database work outside a handler. Local activities go one at a time, under the lock: two in
   * flight could resolve together on replay though they resolved apart when recorded, and their
   * coroutines would then issue commands in another order. Before the patch they ran unlocked.
   */
  async function databaseJob(call: (work: DatabaseWork) => Promise<unknown>): Promise<void> {
    if (!patched(LOCAL_DATABASE_WORK)) {
      await call(database.regular);
      return;
    }
    await exclusive(() => call(database.local));
  }

  /** The status Temporal's visibility holds: each upsert costs the server a visibility write, so only changes go. */
  let indexedStatus = workflowInfo().typedSearchAttributes.get(OrderStatusKey);

  /** Every accepted change goes through here: history order = audit order = projection order. */
  async function record(type: string, actor: string, data: Record<string, unknown> = {}) {
    state = { ...state, seq: state.seq + 1 };
    if (state.status !== indexedStatus) {
      upsertSearchAttributes([{ key: OrderStatusKey, value: state.status }]);
      indexedStatus = state.status;
    }
    await databaseWork().projection.recordOrderEvent({
      snapshot: state,
      event: { seq: state.seq, type, status: state.status, actor, data, occurredAt: nowIso() },
    });
  }

  const summary = () => orderSummary(state.order);
  const repName = () => state.order.rep.name;

  /** A new link for `email`; every older link is revoked by the job queued with it. */
  function issueLink(audience: LinkAudience, to: string, makeTemplate: (expiresAt: string) => EmailTemplate): CurrentLink {
    const expiresAt = new Date(Date.now() + orderExpiresAfterMs).toISOString();
    const link: CurrentLink = { issueKey: `link-${state.linksIssued + 1}`, audience, email: to, expiresAt };
    const template = makeTemplate(expiresAt);
    // The first link has no older one to revoke: its email goes one activity sooner (the start-moment burst).
    if (state.linksIssued > 0) {
      jobs.push({ kind: 'revoke-links', exceptIssueKey: link.issueKey, reason: 'a newer link was sent' });
    }
    state = { ...state, link, linksIssued: state.linksIssued + 1 };
    jobs.push({ kind: 'email', key: `${template.kind}/${link.issueKey}`, to, template, link });
    return link;
  }

  function tellRep(taskKind: RepTaskKind, template: EmailTemplate, detail: string) {
    jobs.push({ kind: 'open-task', taskKey: `${taskKind}/${state.seq}`, taskKind, detail });
    jobs.push({ kind: 'email', key: `${template.kind}/${state.seq}`, to: state.order.rep.email, template });
  }

  function refusal(r: StepRefusal): ApplicationFailure {
    if (r.kind === 'invalid') {
      return ApplicationFailure.create({ type: REFUSAL.invalid, message: r.errors.map((e) => `${e.field} ${e.message}`).join('; '), details: [r.errors], nonRetryable: true });
    }
    if (r.kind === 'link-gone') return ApplicationFailure.create({ type: REFUSAL.linkGone, message: r.message, nonRetryable: true });
    return ApplicationFailure.create({ type: REFUSAL.conflict, message: r.message, details: [r.code], nonRetryable: true });
  }

  /** A business refusal from an activity, or "try again" when the database did not answer in time. */
  function activityRefusal(error: unknown, codes: Record<string, string>): ApplicationFailure {
    // A regular activity's failure arrives wrapped in an ActivityFailure, a local activity's bare.
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (cause instanceof ApplicationFailure && cause.type && codes[cause.type]) {
      return ApplicationFailure.create({ type: REFUSAL.conflict, message: cause.message, details: [codes[cause.type]], nonRetryable: true });
    }
    return ApplicationFailure.create({ type: REFUSAL.unavailable, message: 'The step could not be saved just now. Try again in a moment.', nonRetryable: true });
  }

  const linkActor = () => state.link?.audience ?? 'contact';

  setHandler(getStateQuery, () => state);

  setHandler(
    startSessionUpdate,
    ({ linkIssueKey }) =>
      exclusive(async () => {
        const outcome = applyStartSession(state, linkIssueKey, uuid4(), nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
        const wasEscalated = state.escalated;
        state = outcome.state;
        if (wasEscalated) jobs.push({ kind: 'close-tasks', kinds: ['escalation'], reason: 'the wizard was opened' });
        await record('wizard.session-started', linkActor(), { session: state.sessionsStarted });
        return { sessionId: state.session!.id, state };
      }),
    {
      validator: ({ linkIssueKey }) => {
        // No uuid4() here: a validator must not draw from the workflow's random sequence.
        const outcome = applyStartSession(state, linkIssueKey, 'validation', nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  setHandler(
    submitStepUpdate,
    (request: StepRequest) =>
      exclusive(async () => {
        const outcome = applyStep(state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
        const { effect } = outcome;
        const actor = linkActor();
        switch (effect.kind) {
          case 'none':
            state = outcome.state;
            await record(`wizard.${request.step}`, actor, stepAuditData(request));
            break;

          case 'delegate':
            state = outcome.state;
            {
              const delegatedBy = state.link?.email ?? state.order.provisioningContactEmail;
              const audience = effect.audience === 'customer' ? 'customer' : 'colleague';
              issueLink(effect.audience, effect.email, (expiresAt) => ({ kind: 'delegated', order: summary(), audience, delegatedBy, expiresAt }));
            }
            await record('wizard.delegated', actor, { to: effect.email, audience: effect.audience });
            break;

          case 'hold':
            state = outcome.state;
            await record('order.on-hold', actor, { step: effect.step });
            tellRep('on-hold', { kind: 'rep-on-hold', order: summary(), repName: repName(), organization: effect.step === 'partner-org' ? 'partner' : 'customer' }, `The user did not recognise the ${effect.step === 'partner-org' ? 'partner' : 'customer'} organization.`);
            break;

          case 'commit': {
            const draft = state.session!.draft;
            let result;
            try {
              result = await databaseWork().interactive.commitOrderConfiguration({
                orderId: state.orderId,
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
              });
              if (failure.type === REFUSAL.conflict) {
                // Lost a race for the address: back to step 6 with the rest of the draft kept.
                const { customerAdmin: _a, customerOrg: _o, ...kept } = draft;
                if (failure.details?.[0] === 'partner-admin-email-taken') delete kept.partnerOrg;
                state = { ...state, session: { ...state.session!, draft: kept } };
                await record('wizard.confirm-refused', actor, { reason: failure.details?.[0] });
              }
              throw failure;
            }
            state = {
              ...state,
              status: 'ORDER_CONFIGURED',
              configuration: {
                partnerOrgId: result.partnerOrgId,
                customerOrgId: result.customerOrgId,
                adminUserId: result.adminUserId,
                adminEmail: draft.customerAdmin!.email,
                customerOrgName: draft.customerOrg!.name,
                partnerOrgName: draft.partnerOrg?.name ?? null,
                partnerAdminEmail: draft.partnerOrg?.mode === 'new' ? draft.partnerOrg.adminEmail : null,
                newPartnerOrg: result.newPartnerOrg,
                partnerManaged: !state.delegatedToCustomer,
                configuredAt: nowIso(),
              },
            };
            await record('order.configured', actor, { customerOrgId: result.customerOrgId, partnerOrgId: result.partnerOrgId, newPartnerOrg: result.newPartnerOrg });
            jobs.push({ kind: 'close-tasks', reason: 'the order was configured' });
            jobs.push({
              kind: 'email',
              key: 'order-configured',
              to: state.link!.email,
              template: {
                kind: 'order-configured',
                order: summary(),
                ...(draft.partnerOrg ? { partnerOrganization: draft.partnerOrg.name } : {}),
                customerOrganization: draft.customerOrg!.name,
                customerAdminEmail: draft.customerAdmin!.email,
              },
              link: state.link!,
            });
            if (!passwordPending(state)) {
              state = { ...state, status: 'SERVICE_SETUP' };
              await record('order.service-setup', 'system');
            }
            break;
          }

          case 'set-password':
            try {
              await databaseWork().interactive.setPartnerAdminPassword({ orderId: state.orderId, passwordHash: effect.passwordHash });
            } catch (error) {
              throw activityRefusal(error, {});
            }
            state = { ...outcome.state, passwordSet: true, status: 'SERVICE_SETUP' };
            // The audit says that a password was set, never anything about it.
            await record('wizard.partner-password', actor);
            break;

          case 'reserve-subdomain':
            try {
              await databaseWork().interactive.reserveSubdomain({ orderId: state.orderId, subdomain: effect.subdomain });
            } catch (error) {
              throw activityRefusal(error, { SubdomainTaken: 'subdomain-taken', SubdomainInvalid: 'subdomain-invalid', SiteAlreadyActive: 'site-active' });
            }
            state = { ...outcome.state, sections: { ...outcome.state.sections, meetings: { subdomain: effect.subdomain, savedAt: nowIso() } } };
            await record('wizard.meetings', actor, { subdomain: effect.subdomain });
            break;

          case 'provision':
            state = outcome.state;
            await record('provisioning.requested', actor);
            break;
        }
        return state;
      }),
    {
      validator: (request: StepRequest) => {
        const outcome = applyStep(state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  setHandler(
    repActionUpdate,
    (request) =>
      exclusive(async () => {
        const outcome = applyRepAction(state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
        state = outcome.state;
        const { effect } = outcome;
        if (effect.kind === 'new-link') {
          issueLink(effect.audience, effect.email, (expiresAt) => ({ kind: 'setup', order: summary(), expiresAt }));
          // A new address is what the rejected-email task asks the rep for.
          if (request.action === 'change-contact') jobs.push({ kind: 'close-tasks', kinds: ['email-rejected'], reason: 'a rep changed the contact' });
        } else if (effect.kind === 'cancel') {
          jobs.push({ kind: 'revoke-links', reason: 'the order was cancelled' });
          jobs.push({ kind: 'close-tasks', reason: 'the order was cancelled' });
        } else if (effect.kind === 'resume') {
          jobs.push({ kind: 'close-tasks', kinds: ['on-hold'], reason: 'a rep resumed the order' });
        }
        await record(`rep.${request.action}`, `rep:${request.repId}`, {
          ...(request.reason ? { reason: request.reason } : {}),
          ...(request.email ? { email: request.email } : {}),
          ...(request.requestedStartDate ? { requestedStartDate: request.requestedStartDate, startAt: request.startAt } : {}),
        });
        return state;
      }),
    {
      validator: (request) => {
        const outcome = applyRepAction(state, request, nowIso());
        if (!outcome.ok) throw refusal(outcome.refusal);
      },
    },
  );

  async function runJob(job: Job) {
    switch (job.kind) {
      case 'email':
        try {
          await email.sendEmail({
            orderId: state.orderId,
            key: job.key,
            to: job.to,
            template: job.template,
            ...(job.link ? { link: { issueKey: job.link.issueKey, audience: job.link.audience, expiresAt: job.link.expiresAt } } : {}),
          });
        } catch (error) {
          if (!(error instanceof ActivityFailure)) throw error;
          // A rejected address cannot be fixed by retrying: a rep finds out and changes the contact.
          await exclusive(async () => {
            await record('email.rejected', 'system', { purpose: job.template.kind, to: job.to });
            if (job.to !== state.order.rep.email) {
              const reason = error.cause?.message ?? error.message;
              tellRep('email-rejected', { kind: 'rep-email-rejected', order: summary(), repName: repName(), rejectedRecipient: job.to, reason }, `The email to ${job.to} was rejected: ${reason}`);
            }
          });
        }
        break;
      case 'revoke-links':
        await databaseJob(({ projection }) => projection.revokeLinks({ orderId: state.orderId, ...(job.exceptIssueKey ? { exceptIssueKey: job.exceptIssueKey } : {}), reason: job.reason }));
        break;
      case 'open-task':
        await databaseJob(({ projection }) => projection.openRepTask({ orderId: state.orderId, taskKey: job.taskKey, kind: job.taskKind, detail: job.detail, openedAt: nowIso() }));
        break;
      case 'close-tasks':
        await databaseJob(({ projection }) => projection.closeRepTasks({ orderId: state.orderId, ...(job.kinds ? { kinds: job.kinds } : {}), reason: job.reason, closedAt: nowIso() }));
        break;
    }
  }

  const escalationDue = () =>
    state.setupEmailSentAt !== undefined && Date.parse(state.setupEmailSentAt) + escalationAfterMs;
  const expiryReminderDue = () => state.expiresAt !== undefined && Date.parse(state.expiresAt) - 48 * 3_600_000;

  /** The earliest moment the main loop has something to do by the clock. */
  function nextDeadline(): number | undefined {
    const candidates: number[] = [];
    if (state.status === 'SCHEDULED') candidates.push(Date.parse(state.startAt));
    if (!state.configuration && state.expiresAt) {
      if (!state.escalated && state.sessionsStarted === 0 && !state.reminders.escalation) candidates.push(escalationDue() as number);
      if (!state.reminders.expiry) candidates.push(expiryReminderDue() as number);
      candidates.push(Date.parse(state.expiresAt));
    }
    return candidates.length ? Math.min(...candidates) : undefined;
  }

  /** One tick of the clock-driven part of the lifecycle; true when it changed something. */
  async function onTimers(): Promise<boolean> {
    const now = Date.now();
    if (state.status === 'SCHEDULED' && now >= Date.parse(state.startAt)) {
      await exclusive(async () => {
        if (state.status !== 'SCHEDULED') return;
        state = { ...state, status: 'AWAITING_SETUP', setupEmailSentAt: nowIso(), expiresAt: new Date(now + orderExpiresAfterMs).toISOString() };
        issueLink('contact', state.order.provisioningContactEmail, (expiresAt) => ({ kind: 'setup', order: summary(), expiresAt }));
        await record('order.setup-email', 'system', { to: state.order.provisioningContactEmail, expiresAt: state.expiresAt });
      });
      return true;
    }
    if (state.configuration || !state.expiresAt) return false;
    if (now >= Date.parse(state.expiresAt)) {
      await exclusive(async () => {
        if (state.configuration || isTerminal(state)) return;
        state = { ...state, status: 'EXPIRED', session: undefined };
        jobs.push({ kind: 'revoke-links', reason: 'the order expired' });
        jobs.push({ kind: 'close-tasks', reason: 'the order expired' });
        await record('order.expired', 'system');
        tellRep('expired', { kind: 'rep-expired', order: summary(), repName: repName(), expiredAt: nowIso() }, 'Nobody configured the order before it expired.');
      });
      return true;
    }
    if (!state.reminders.escalation && state.sessionsStarted === 0 && now >= (escalationDue() as number)) {
      await exclusive(async () => {
        if (state.sessionsStarted > 0 || state.reminders.escalation || state.status !== 'AWAITING_SETUP') {
          state = { ...state, reminders: { ...state.reminders, escalation: true } };
          return;
        }
        state = { ...state, status: 'ESCALATED', escalated: true, escalatedAt: nowIso(), reminders: { ...state.reminders, escalation: true } };
        await record('order.escalated', 'system');
        tellRep('escalation', { kind: 'rep-escalation', order: summary(), repName: repName(), contactEmail: state.link?.email ?? state.order.provisioningContactEmail }, 'Nobody has opened the wizard within the escalation window after the setup email.');
        if (state.link) {
          jobs.push({ kind: 'email', key: 'reminder-escalation', to: state.link.email, template: { kind: 'reminder-escalation', order: summary(), expiresAt: state.expiresAt! }, link: state.link });
        }
      });
      return true;
    }
    const reminderAt = expiryReminderDue() as number;
    if (!state.reminders.expiry && now >= reminderAt) {
      await exclusive(async () => {
        state = { ...state, reminders: { ...state.reminders, expiry: true } };
        // Only meaningful when the order lives longer than the reminder's lead time.
        if (reminderAt <= Date.parse(state.setupEmailSentAt!) || state.configuration || isTerminal(state) || !state.link) return;
        await record('order.expiry-reminder', 'system', { to: state.link.email });
        jobs.push({ kind: 'email', key: 'reminder-expiry', to: state.link.email, template: { kind: 'reminder-expiry', order: summary(), expiresAt: state.expiresAt! }, link: state.link });
      });
      return true;
    }
    return false;
  }

  /** Step 10d: one idempotent activity per external effect; billing last, so a failure bills nothing. */
  async function provision() {
    const configuration = state.configuration!;
    try {
      const { subscriptionId } = await provisioning.activateSubscription({
        orderId: state.orderId,
        customerOrgId: configuration.customerOrgId,
        services: state.order.services,
      });
      state = { ...state, provisioning: { ...state.provisioning!, subscriptionId } };
      if (state.order.services.includes('meetings')) {
        const { siteId } = await provisioning.createMeetingSite({ orderId: state.orderId });
        state = { ...state, provisioning: { ...state.provisioning!, siteId } };
      }
      const billing = await provisioning.startBilling({ orderId: state.orderId, subscriptionId, startedAt: state.provisioning!.requestedAt });
      await exclusive(async () => {
        state = { ...state, status: 'PROVISIONED', session: undefined, provisioning: { ...state.provisioning!, billingStartedAt: billing.startedAt } };
        await record('order.provisioned', 'system', { subscriptionId, billingStartedAt: billing.startedAt });
        jobs.push({ kind: 'email', key: 'provisioned', to: state.link?.email ?? state.order.provisioningContactEmail, template: { kind: 'provisioned', order: summary(), audience: 'contact' } });
        jobs.push({ kind: 'email', key: 'provisioned-rep', to: state.order.rep.email, template: { kind: 'provisioned', order: summary(), audience: 'rep' } });
        jobs.push({ kind: 'close-tasks', reason: 'the order was provisioned' });
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const message = error.cause?.message ?? error.message;
      await exclusive(async () => {
        state = { ...state, provisioning: { ...state.provisioning!, failure: { at: nowIso(), message } } };
        await record('provisioning.failed', 'system', { message });
        tellRep('provisioning-failed', { kind: 'rep-provisioning-failed', order: summary(), repName: repName(), error: message }, `Provisioning failed: ${message}`);
      });
    }
  }

  // An Update delivered with the start must wait for the order's first event.
  if (patched(LOCAL_DATABASE_WORK)) await exclusive(() => record('order.received', 'commerce', { startAt: state.startAt }));
  else await record('order.received', 'commerce', { startAt: state.startAt });

  for (;;) {
    while (jobs.length) await runJob(jobs.shift()!);
    if (isTerminal(state)) break;
    if (await onTimers()) continue;
    if (state.provisioning && !state.provisioning.failure && !state.provisioning.billingStartedAt) {
      await provision();
      continue;
    }
    const seen = wakeups;
    const deadline = nextDeadline();
    const woken = () => wakeups !== seen || jobs.length > 0;
    if (deadline === undefined) await condition(woken);
    else await condition(woken, Math.max(1, deadline - Date.now()));
  }

  // Let in-flight Updates answer before the workflow completes.
  await condition(allHandlersFinished);
  while (jobs.length) await runJob(jobs.shift()!);
  return state;
}

function withoutMode<T extends { mode: string }>(value: T): Omit<T, 'mode'> {
  const { mode: _mode, ...rest } = value;
  return rest;
}

/** What a step adds to the audit timeline: its choices, never a password or its hash. */
function stepAuditData(request: StepRequest): Record<string, unknown> {
  const { password: _p, ...input } = request.input;
  return input;
}
