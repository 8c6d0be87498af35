// The wizard behind `/api/wizard/:token`: resolve the link, look up the facts a step needs, send
// the step to the order workflow as an Update, and project the workflow's state into a view.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { classifyAdminEmail, classifyAdminEmailFor, consentFacts, customerOrgCandidates, findPartnerOrg } from '../db/queries/organizations.js';
import { storePendingPassword } from '../db/queries/partner-passwords.js';
import { checkSubdomainAvailability, type SubdomainAvailability } from '../db/queries/sites.js';
import { defaultCallingSettings, isKnownTimeZone } from '../domain/calling.js';
import { orderLocale } from '../domain/locale.js';
import { checkPasswordPolicy, hashPassword } from '../domain/password.js';
import type { OrderState, OrgSummary, StepContext, StepName, WizardState } from '../workflows/definitions.js';
import { STEP_NUMBERS } from '../workflows/definitions.js';
import { awaitingConsentMessage, nextStep, passwordPending, requiredSections } from '../workflows/wizard.js';
import { resolveLinkToken } from './link-lookup.js';
import { ProblemError } from './problem.js';
import type { WizardView } from './schemas.js';
import { linkGone, type WorkflowCalls } from './workflow-calls.js';

/** What the wizard pages are shown: contract/http.ts defines it for both sides. */
export type { WizardView };

const SECTIONS = ['subscription', 'calling', 'meetings'] as const;

/** Steps whose database facts or password rules depend on the order's live state (see contextFor). */
const STEPS_NEEDING_STATE: ReadonlySet<StepName> = new Set<StepName>(['partner-org', 'customer-admin', 'customer-org', 'confirm', 'partner-password']);

const DAY_MS = 86_400_000;

/** The link's deadline as the wizard shows it: the order's expiry before the point of no return, none after. */
function deadlineOf(state: WizardState, now: Date): WizardView['deadline'] {
  const at = state.link?.expiresAt;
  if (!at || state.configuration) return null;
  return { at, daysLeft: Math.max(0, Math.floor((Date.parse(at) - now.getTime()) / DAY_MS)) };
}

export function createWizardService({ database, calls, clock }: { config: Config; database: Database; calls: WorkflowCalls; clock: () => Date }) {
  const { db } = database;

  /** Step 5's organization: the one a rep named when resuming a hold, else the ordering partner's. */
  async function partnerOrgOf(state: Pick<OrderState, 'namedOrgs' | 'order'>) {
    return state.namedOrgs?.partnerOrg ?? findPartnerOrg(db, state.order.partner.id);
  }

  /**
   * Step 7's organizations: the admin's own org (a person is in one org), else the one a rep named
   * when resuming a hold, else the candidates by the admin's email.
   */
  async function customerCandidates(state: WizardState, admin: { email: string; existingOrg: OrgSummary | null }) {
    if (admin.existingOrg) return [admin.existingOrg];
    const named = state.namedOrgs?.customerOrg;
    return named ? [named] : customerOrgCandidates(db, admin.email, await managerOrgId(state));
  }

  /** A link the database knows as valid; whether it is still the order's current one is the workflow's to say. */
  async function validLink(token: string) {
    const link = await resolveLinkToken(db, token, clock());
    if (link.state !== 'valid') throw linkGone();
    return link;
  }

  /** The order behind a link, refusing (alike) anything that is not the order's current link. */
  async function open(token: string) {
    const link = await validLink(token);
    const state = await calls.queryOrUnavailable(link.orderId);
    if (state.link?.issueKey !== link.issueKey || state.status === 'EXPIRED') throw linkGone();
    return { link, state };
  }

  /** The org that may see customer orgs in full: the ordering partner's, unless the customer configures (SPEC §7.2). */
  async function managerOrgId(state: WizardState): Promise<string | null> {
    if (state.delegatedToCustomer) return null;
    return (await partnerOrgOf(state))?.orgId ?? null;
  }

  async function view(state: WizardState, sessionId?: string): Promise<WizardView> {
    const step = nextStep(state);
    const active = sessionId !== undefined && state.session?.id === sessionId;
    const base: WizardView = {
      orderId: state.orderId,
      status: state.status,
      nextStep: step,
      stepNumber: step ? STEP_NUMBERS[step] : null,
      audience: state.link?.audience ?? 'contact',
      delegatedToCustomer: state.delegatedToCustomer,
      order: {
        product: state.order.product,
        services: state.order.services,
        partner: { name: state.order.partner.name },
        customer: state.order.customer,
        requestedStartDate: state.order.requestedStartDate,
        timezone: state.order.timezone,
        locale: orderLocale(state.order),
        rep: { name: state.order.rep.name, email: state.order.rep.email },
      },
      deadline: deadlineOf(state, clock()),
      session: { active },
      draft: active ? state.session!.draft : null,
    };
    if (state.status === 'ON_HOLD') {
      base.message = `An organization was not recognised, so the order waits for ${state.order.rep.name}, your Cisco account representative, who will contact you.`;
    }
    if (state.status === 'AWAITING_CONSENT') {
      // Never the admin's address: it belongs to another company's organization.
      base.message = awaitingConsentMessage(state.order.rep.name);
    }
    if (active && step && !state.configuration && !state.delegatedToCustomer) base.partnerOrg = await partnerOrgOf(state);
    if (active && (step === 'customer-org' || step === 'confirm') && state.session?.draft.customerAdmin) {
      const admin = state.session.draft.customerAdmin;
      base.customerOrg = {
        adminBelongsTo: admin.existingOrg,
        candidates: await customerCandidates(state, admin),
        defaults: { name: state.order.customer.name, country: state.order.customer.country },
      };
    }
    if (state.configuration) {
      base.configuration = {
        partnerOrgName: state.configuration.partnerOrgName,
        customerOrgName: state.configuration.customerOrgName,
        adminEmail: state.configuration.adminEmail,
        newPartnerOrg: state.configuration.newPartnerOrg,
        passwordSet: state.passwordSet,
      };
      if (!passwordPending(state)) {
        const required = requiredSections(state);
        base.sections = SECTIONS.filter((name) => required.includes(name)).map((name) => {
          const saved = state.sections[name];
          return { name, required: true, saved: saved !== undefined, ...(saved ? { value: { ...saved } } : {}) };
        });
        if (required.includes('calling')) base.callingDefaults = defaultCallingSettings(state.order);
      }
    }
    if (state.provisioning) {
      const p = state.provisioning;
      base.provisioning = p.failure
        ? { state: 'failed', message: 'Provisioning could not be completed. Your Cisco account representative has been told and will finish it; nothing was billed.' }
        : p.billingStartedAt
          ? { state: 'done', billingStartedAt: p.billingStartedAt }
          : { state: 'running' };
    }
    if (state.status === 'PROVISIONED') base.message = 'The subscription is active and billing has started for all the services you bought.';
    return base;
  }

  /**
   * Facts from the database that the step's rules need, looked up just before the Update. Only the
   * steps in STEPS_NEEDING_STATE get the order's state: the others go straight to the Update, whose
   * validator checks the link and the session itself (one round trip to the workflow, not two).
   */
  async function contextFor(orderId: string, state: OrderState | undefined, step: StepName, input: Record<string, unknown>): Promise<StepContext> {
    const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string).trim() : '');
    switch (step) {
      case 'partner-org': {
        if (!state) throw new Error('the partner-org step needs the order state');
        const partnerOrg = await partnerOrgOf(state);
        return {
          partnerOrg,
          ...(input.mode === 'new' && text('adminEmail') ? { partnerAdminEmail: await classifyAdminEmail(db, text('adminEmail')) } : {}),
        };
      }
      case 'customer-admin':
        if (!state) throw new Error('the customer-admin step needs the order state');
        return text('email')
          ? { adminEmail: await classifyAdminEmailFor(db, text('email'), { managerOrgId: await managerOrgId(state), ownPartnerOrgId: (await partnerOrgOf(state))?.orgId ?? null }) }
          : {};
      case 'customer-org': {
        const admin = state?.session?.draft.customerAdmin;
        if (!state || !admin || input.mode !== 'existing') return {};
        return { candidates: await customerCandidates(state, admin) };
      }
      case 'confirm': {
        const chosen = state?.session?.draft.customerOrg;
        // Always sent (null: no existing org), so the workflow can tell a draft changed since it was read.
        return { consent: chosen?.mode === 'existing' ? await consentFacts(db, chosen.orgId) : null };
      }
      case 'meetings':
        return { subdomain: await checkSubdomainAvailability(db, text('subdomain'), orderId) };
      case 'calling':
        return { timeZoneKnown: typeof input.timeZone === 'string' && isKnownTimeZone(input.timeZone) };
      default:
        return {};
    }
  }

  return {
    async show(token: string, sessionId?: string): Promise<WizardView> {
      const { state } = await open(token);
      return view(state, sessionId);
    },

    async startSession(token: string, updateId: string): Promise<{ sessionId: string; view: WizardView }> {
      // The Update's validator refuses a link that is no longer the order's current one.
      const link = await validLink(token);
      const { sessionId, state } = await calls.startSession(link.orderId, link.issueKey, `session:${link.issueKey}:${updateId}`);
      return { sessionId, view: await view(state, sessionId) };
    },

    async submitStep(token: string, step: StepName, body: { sessionId: string } & Record<string, unknown>, updateId: string): Promise<WizardView> {
      const { link, state } = STEPS_NEEDING_STATE.has(step) ? await open(token) : { link: await validLink(token), state: undefined };
      // A password never travels on to Temporal: only a reference to its hash does.
      const { sessionId, password: rawPassword, ...input } = body;
      let context = await contextFor(link.orderId, state, step, input);
      // Only a step 9 the workflow can accept costs a password hash (scrypt is deliberately heavy).
      if (step === 'partner-password' && state && passwordPending(state) && state.session?.id === sessionId) {
        const password = typeof rawPassword === 'string' ? rawPassword : '';
        const errors = checkPasswordPolicy(password, {
          orgName: state.configuration?.partnerOrgName ?? '',
          email: state.configuration?.partnerAdminEmail ?? '',
        });
        if (errors.length) throw new ProblemError(422, 'invalid-step', 'The step has errors', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
        // Only a reference travels on: the hash stays in PostgreSQL, out of workflow history.
        context = { passwordRef: await storePendingPassword(db, link.orderId, await hashPassword(password)) };
      }
      const next = await calls.submitStep(link.orderId, { sessionId, linkIssueKey: link.issueKey, step, input, context }, `step:${sessionId}:${updateId}`);
      return view(next, sessionId);
    },

    async subdomain(token: string, name: string): Promise<SubdomainAvailability> {
      const { state } = await open(token);
      return checkSubdomainAvailability(db, name, state.orderId);
    },
  };
}

export type WizardService = ReturnType<typeof createWizardService>;
