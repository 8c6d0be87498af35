// The wizard's rules as one pure reducer. The Update validator runs it to refuse a step before
// anything reaches history; the handler runs it again (under the workflow's lock) to apply it.
import { TERMINAL_STATUSES } from '../domain/order.js';
import { validateCallingSettings } from '../domain/calling.js';
import { checkSubdomainSyntax } from '../domain/subdomain.js';
import { isEmailAddress } from '../domain/email-address.js';
import { fieldError } from '../domain/field-error.js';
import type {
  ConsentAnswer,
  FieldError,
  LinkAudience,
  OrderState,
  StepName,
  StepRequest,
  WizardDraft,
  WizardState,
} from './definitions.js';

/** What the handler must do with the outside world for an accepted step. */
export type StepEffect =
  | { kind: 'none' }
  | { kind: 'delegate'; audience: LinkAudience; email: string }
  | { kind: 'hold'; step: 'partner-org' | 'customer-org' }
  | { kind: 'commit' }
  /** Step 8 with an existing customer org the partner does not manage: ask the org first (SPEC §7.2). */
  | { kind: 'ask-consent' }
  | { kind: 'set-password'; passwordRef: string }
  | { kind: 'reserve-subdomain'; subdomain: string }
  | { kind: 'provision' };

export type StepRefusal =
  | { kind: 'invalid'; errors: FieldError[] }
  | { kind: 'conflict'; code: string; message: string }
  | { kind: 'link-gone'; message: string };

export type StepOutcome = { ok: true; state: OrderState; effect: StepEffect } | { ok: false; refusal: StepRefusal };

const COUNTRY = /^[A-Z]{2}$/;
const PRE_COMMIT_STEPS: readonly StepName[] = ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm'];
const SECTION_STEPS: readonly StepName[] = ['subscription', 'calling', 'meetings'];

const invalid = (...errors: FieldError[]): StepOutcome => ({ ok: false, refusal: { kind: 'invalid', errors } });
const conflict = (code: string, message: string): StepOutcome => ({ ok: false, refusal: { kind: 'conflict', code, message } });
const accepted = (state: OrderState, effect: StepEffect = { kind: 'none' }): StepOutcome => ({ ok: true, state, effect });

export const isTerminal = (state: Pick<OrderState, 'status'>): boolean => TERMINAL_STATUSES.includes(state.status);
export const isConfigured = (state: OrderState): boolean => state.configuration !== undefined;

/** Service setup sections this order needs, by what was bought. */
export function requiredSections(state: Pick<OrderState, 'order'>): Array<'subscription' | 'calling' | 'meetings'> {
  return [
    'subscription',
    ...(state.order.services.includes('calling') ? (['calling'] as const) : []),
    ...(state.order.services.includes('meetings') ? (['meetings'] as const) : []),
  ];
}

export function passwordPending(state: Pick<WizardState, 'configuration' | 'passwordSet'>): boolean {
  return state.configuration?.newPartnerOrg === true && !state.passwordSet;
}

/** The step the wizard expects next, or null when there is nothing to do in the wizard. */
export function nextStep(state: WizardState): StepName | null {
  if (isTerminal(state) || state.status === 'SCHEDULED' || state.status === 'ON_HOLD' || state.status === 'AWAITING_CONSENT') return null;
  if (state.configuration) {
    if (passwordPending(state)) return 'partner-password';
    if (state.provisioning && !state.provisioning.failure) return null;
    const missing = requiredSections(state).find((section) => !state.sections[section]);
    return missing ?? 'provision';
  }
  const draft = state.session?.draft ?? {};
  if (!draft.role) return 'role';
  if (!draft.configurer) return 'configurer';
  if (!state.delegatedToCustomer && !draft.partnerOrg) return 'partner-org';
  if (!draft.customerAdmin) return 'customer-admin';
  if (!draft.customerOrg) return 'customer-org';
  return 'confirm';
}

function str(input: Record<string, unknown>, key: string, max: number, errors: FieldError[]): string {
  const value = input[key];
  if (typeof value !== 'string' || value.trim() === '') {
    errors.push(fieldError(`/body/${key}`, 'required', 'is required'));
    return '';
  }
  if (value.length > max) errors.push(fieldError(`/body/${key}`, 'tooLong', `must be at most ${max} characters`, { max }));
  return value.trim();
}

function email(input: Record<string, unknown>, key: string, errors: FieldError[]): string {
  const value = str(input, key, 254, errors);
  if (value && !isEmailAddress(value)) errors.push(fieldError(`/body/${key}`, 'email', 'must be an email address such as name@company.com'));
  return value.toLowerCase();
}

function orgFields(input: Record<string, unknown>, errors: FieldError[]) {
  const name = str(input, 'name', 200, errors);
  // No length limit of its own: the code's shape below is the one error a wrong country gets.
  const country = str(input, 'country', Infinity, errors);
  if (country && !COUNTRY.test(country)) errors.push(fieldError('/body/country', 'country', 'Choose a country from the list.'));
  const address = str(input, 'address', 500, errors);
  return { name, country, address };
}

/** Each pre-commit step's answer in the draft, in the order the steps come. */
const DRAFT_KEYS: Array<[StepName, keyof WizardDraft]> = [
  ['role', 'role'],
  ['configurer', 'configurer'],
  ['partner-org', 'partnerOrg'],
  ['customer-admin', 'customerAdmin'],
  ['customer-org', 'customerOrg'],
];

/** The answers given before `step`: what re-answering `step` keeps (later ones may rest on it). */
function draftBefore(draft: WizardDraft, step: StepName): WizardDraft {
  const index = DRAFT_KEYS.findIndex(([name]) => name === step);
  return Object.fromEntries(DRAFT_KEYS.slice(0, index).flatMap(([, key]) => (draft[key] === undefined ? [] : [[key, draft[key]]]))) as WizardDraft;
}

/** The part of the state a wizard Update answers with (see WizardState). */
export function wizardState(state: OrderState): WizardState {
  const { orderId, status, order, delegatedToCustomer, passwordSet, sections, link, session, configuration, provisioning, namedOrgs } = state;
  return {
    orderId,
    status,
    order,
    delegatedToCustomer,
    passwordSet,
    sections,
    ...(link ? { link: { audience: link.audience, expiresAt: link.expiresAt } } : {}),
    ...(namedOrgs ? { namedOrgs } : {}),
    ...(session ? { session: { id: session.id, draft: session.draft } } : {}),
    ...(configuration
      ? {
          configuration: {
            partnerOrgName: configuration.partnerOrgName,
            customerOrgName: configuration.customerOrgName,
            adminEmail: configuration.adminEmail,
            newPartnerOrg: configuration.newPartnerOrg,
            partnerAdminEmail: configuration.partnerAdminEmail,
          },
        }
      : {}),
    ...(provisioning ? { provisioning: { ...(provisioning.failure ? { failure: provisioning.failure } : {}), ...(provisioning.billingStartedAt ? { billingStartedAt: provisioning.billingStartedAt } : {}) } } : {}),
  };
}

function withDraft(state: OrderState, draft: WizardDraft): OrderState {
  return { ...state, session: { ...state.session!, draft } };
}

/** Rules that hold for every step: the order is open, the link is current, the session is. */
function checkAccess(state: OrderState, request: StepRequest): StepOutcome | undefined {
  if (state.status === 'EXPIRED') return { ok: false, refusal: { kind: 'link-gone', message: 'This order has expired.' } };
  if (isTerminal(state)) return conflict('order-ended', `This order is ${state.status.toLowerCase()}; nothing more can be changed.`);
  if (!state.link || state.link.issueKey !== request.linkIssueKey) {
    return { ok: false, refusal: { kind: 'link-gone', message: 'This link is no longer valid. Use the newest link you were sent.' } };
  }
  if (state.status === 'ON_HOLD') {
    return conflict('on-hold', 'This order is on hold. Your Cisco account representative will contact you.');
  }
  if (state.status === 'AWAITING_CONSENT') return conflict('awaiting-consent', awaitingConsentMessage(state.order.rep.name));
  if (!state.session || state.session.id !== request.sessionId) {
    return conflict('stale-session', 'This wizard session is no longer current: it was restarted elsewhere. Start again from the link.');
  }
  if (state.provisioning && !state.provisioning.failure) {
    return conflict('provisioning', 'Provisioning has started; the order can no longer be changed.');
  }
  return undefined;
}

export function applyStep(state: OrderState, request: StepRequest, now: string): StepOutcome {
  const denied = checkAccess(state, request);
  if (denied) return denied;

  const { step, input, context } = request;
  const expected = nextStep(state);
  if (state.configuration && PRE_COMMIT_STEPS.includes(step)) {
    return conflict('already-configured', 'The order is already configured; its organizations can no longer be changed.');
  }
  // Sections may be saved in any order; provision may be asked any time, to hear what is missing.
  const sectionOpen = state.configuration && !passwordPending(state) && (SECTION_STEPS.includes(step) || step === 'provision');
  // Back, before the point of no return: a step already answered in this session may be answered again.
  const revisiting =
    expected !== null &&
    step !== 'confirm' &&
    PRE_COMMIT_STEPS.includes(step) &&
    PRE_COMMIT_STEPS.indexOf(step) < PRE_COMMIT_STEPS.indexOf(expected) &&
    !(step === 'partner-org' && state.delegatedToCustomer);
  if (step !== expected && !sectionOpen && !revisiting) {
    return conflict('out-of-order', `Step ${step} is not next: the wizard expects ${expected ?? 'nothing'} now.`);
  }
  const draft = revisiting ? draftBefore(state.session!.draft, step) : state.session!.draft;

  switch (step) {
    case 'role': {
      const role = input.role;
      if (role !== 'partner' && role !== 'customer') return invalid(fieldError('/body/role', 'role', 'Choose whom you work for.'));
      if (role === 'customer' && !state.delegatedToCustomer) {
        return invalid(
          fieldError('/body/role', 'roleIsPartner', `This order is set up by the partner, ${state.order.partner.name}; the customer gets a link only if the partner hands the setup over.`, {
            partner: state.order.partner.name,
          }),
        );
      }
      if (role === 'partner' && state.delegatedToCustomer) {
        return invalid(
          fieldError('/body/role', 'roleIsCustomer', `${state.order.partner.name} has handed this order to the customer, ${state.order.customer.name}, who sets it up now.`, {
            partner: state.order.partner.name,
            customer: state.order.customer.name,
          }),
        );
      }
      return accepted(withDraft(state, { role }));
    }

    case 'configurer': {
      const choice = input.choice;
      if (choice !== 'self' && choice !== 'colleague' && choice !== 'customer') {
        return invalid(fieldError('/body/choice', 'configurer', 'Choose who will configure the order.'));
      }
      if (choice === 'self') return accepted(withDraft(state, { ...draft, configurer: 'self' }));
      if (choice === 'customer' && draft.role === 'customer') {
        return invalid(fieldError('/body/choice', 'configurerIsCustomer', 'The order is already with you, the customer: choose yourself or a colleague.'));
      }
      const errors: FieldError[] = [];
      const to = email(input, 'email', errors);
      if (errors.length) return invalid(...errors);
      if (to === state.link?.email) {
        return invalid(fieldError('/body/email', 'sameEmail', 'This link was sent to that address. Enter the address of the person who should take over.'));
      }
      // The hand-over ends this session; the new person starts at step 3 with a link of their own.
      const audience: LinkAudience = choice === 'customer' ? 'customer' : 'colleague';
      return accepted(
        {
          ...state,
          delegatedToCustomer: state.delegatedToCustomer || choice === 'customer',
          session: undefined,
          status: 'AWAITING_SETUP',
        },
        { kind: 'delegate', audience, email: to },
      );
    }

    case 'partner-org': {
      if (context.partnerOrg === undefined) return invalid(fieldError('/body', 'lookupPartnerOrg', 'We could not look up the partner organization just now. Try again in a moment.'));
      if (input.mode === 'new') {
        if (context.partnerOrg) {
          return invalid(
            fieldError('/body/mode', 'partnerOrgExists', `${state.order.partner.name} already has the organization ${context.partnerOrg.name}. Reload the page to review it.`, {
              partner: state.order.partner.name,
              org: context.partnerOrg.name,
            }),
          );
        }
        const errors: FieldError[] = [];
        const fields = orgFields(input, errors);
        const adminEmail = email(input, 'adminEmail', errors);
        if (adminEmail && context.partnerAdminEmail && context.partnerAdminEmail.kind !== 'unknown') {
          errors.push(fieldError('/body/adminEmail', 'adminInOrg', 'This address already belongs to a Webex organization, and a person can belong to only one. Use another address.'));
        }
        if (errors.length) return invalid(...errors);
        return accepted(withDraft(state, { ...draft, partnerOrg: { mode: 'new', ...fields, adminEmail } }));
      }
      if (input.mode === 'existing') {
        if (!context.partnerOrg) {
          return invalid(fieldError('/body/mode', 'partnerFirstOrder', `This is ${state.order.partner.name}’s first order, so its organization is created now. Reload the page.`, { partner: state.order.partner.name }));
        }
        if (typeof input.recognised !== 'boolean') return invalid(fieldError('/body/recognised', 'recognised', 'Say whether you recognise this organization.'));
        if (!input.recognised) return accepted({ ...state, session: undefined, status: 'ON_HOLD', hold: { step, at: now } }, { kind: 'hold', step });
        const org = context.partnerOrg;
        return accepted(withDraft(state, { ...draft, partnerOrg: { mode: 'existing', orgId: org.orgId, name: org.name } }));
      }
      return invalid(fieldError('/body/mode', 'partnerMode', 'Choose whether to use the existing organization or create one.'));
    }

    case 'customer-admin': {
      const errors: FieldError[] = [];
      const adminEmail = email(input, 'email', errors);
      if (errors.length) return invalid(...errors);
      const found = context.adminEmail;
      if (!found) return invalid(fieldError('/body', 'lookupAddress', 'We could not look up that address just now. Try again in a moment.'));
      if (found.kind === 'partner-org') {
        return invalid(
          fieldError(
            '/body/email',
            'adminInPartnerOrg',
            `This address belongs to the partner organization ${found.org.name}, and a person can belong to only one Webex organization. Use an address at the customer.`,
            { org: found.org.name },
          ),
        );
      }
      if (found.kind === 'other-partner-org') {
        // Not named: the org is another partner's (SPEC §8.1).
        return invalid(
          fieldError('/body/email', 'adminInOtherPartnerOrg', 'This address belongs to another partner’s Webex organization, and a person can belong to only one. Use an address at the customer.'),
        );
      }
      if (draft.partnerOrg?.mode === 'new' && draft.partnerOrg.adminEmail === adminEmail) {
        return invalid(fieldError('/body/email', 'adminIsPartnerAdmin', 'You chose this address as the administrator of the new partner organization. Use an address at the customer.'));
      }
      return accepted(
        withDraft(state, { ...draft, customerAdmin: { email: adminEmail, existingOrg: found.kind === 'customer-org' ? found.org : null } }),
      );
    }

    case 'customer-org': {
      const adminOrg = draft.customerAdmin?.existingOrg ?? null;
      if (input.mode === 'new') {
        if (adminOrg) {
          // Not named: the org may be another company's (SPEC §7.2).
          return invalid(
            fieldError(
              '/body/mode',
              'adminOrgFixed',
              `${draft.customerAdmin!.email} already belongs to a Webex organization, so the order is set up there. Choose that organization.`,
              { admin: draft.customerAdmin!.email },
            ),
          );
        }
        const errors: FieldError[] = [];
        const fields = orgFields(input, errors);
        if (errors.length) return invalid(...errors);
        return accepted(withDraft(state, { ...draft, customerOrg: { mode: 'new', ...fields } }));
      }
      if (input.mode === 'existing') {
        if (typeof input.recognised !== 'boolean') return invalid(fieldError('/body/recognised', 'recognised', 'Say whether you recognise this organization.'));
        if (!input.recognised) return accepted({ ...state, session: undefined, status: 'ON_HOLD', hold: { step, at: now } }, { kind: 'hold', step });
        const candidates = adminOrg ? [adminOrg] : (context.candidates ?? []);
        const chosen = candidates.find((org) => org.orgId === input.orgId);
        if (!chosen) return invalid(fieldError('/body/orgId', 'orgId', 'Choose one of the organizations listed.'));
        return accepted(withDraft(state, { ...draft, customerOrg: { mode: 'existing', orgId: chosen.orgId, name: chosen.name } }));
      }
      return invalid(fieldError('/body/mode', 'customerMode', 'Choose an organization, or create a new one.'));
    }

    case 'confirm': {
      if (input.confirmed !== true) return invalid(fieldError('/body/confirmed', 'mustBeTrue', 'must be true'));
      const consent = context.consent;
      const chosen = draft.customerOrg;
      const chosenOrgId = chosen?.mode === 'existing' ? chosen.orgId : null;
      // The API read the draft before this Update: steps 6 and 7 may have changed it since. Facts about
      // another org than the draft's must not decide, or a race would commit without consent.
      if (consent !== undefined && (consent?.orgId ?? null) !== chosenOrgId) return conflict('stale-draft', STALE_DRAFT_MESSAGE);
      if (!consent || chosen?.mode !== 'existing' || managedByPartner(state, draft, consent.managedByOrgId)) {
        return accepted(state, { kind: 'commit' });
      }
      const number = (state.consentsRequested ?? 0) + 1;
      return accepted(
        {
          ...state,
          status: 'AWAITING_CONSENT',
          session: undefined,
          consentsRequested: number,
          consent: {
            requestKey: `consent-${number}`,
            orgId: chosen.orgId,
            adminEmail: consent.adminEmail,
            requestedAt: now,
            draft,
            confirmedBy: state.link?.audience ?? 'contact',
            escalated: false,
          },
        },
        { kind: 'ask-consent' },
      );
    }

    case 'partner-password':
      if (!context.passwordRef) return invalid(fieldError('/body/password', 'required', 'is required'));
      return accepted(state, { kind: 'set-password', passwordRef: context.passwordRef });

    case 'subscription':
      if (input.reviewed !== true) return invalid(fieldError('/body/reviewed', 'mustBeTrue', 'must be true'));
      return accepted({ ...state, sections: { ...state.sections, subscription: { reviewedAt: now } } });

    case 'calling': {
      if (!state.order.services.includes('calling')) return conflict('not-bought', 'Calling was not bought with this order.');
      const errors = validateCallingSettings(input);
      if (context.timeZoneKnown === false) errors.push(fieldError('/body/timeZone', 'timeZone', 'Choose a time zone from the list.'));
      if (errors.length) return invalid(...errors);
      const settings = {
        country: String(input.country),
        locationName: String(input.locationName).trim(),
        timeZone: String(input.timeZone),
        extensionLength: Number(input.extensionLength),
      };
      return accepted({ ...state, sections: { ...state.sections, calling: { ...settings, savedAt: now } } });
    }

    case 'meetings': {
      if (!state.order.services.includes('meetings')) return conflict('not-bought', 'Meetings were not bought with this order.');
      const syntax = checkSubdomainSyntax(typeof input.subdomain === 'string' ? input.subdomain : '');
      if (!syntax.ok) return invalid(fieldError('/body/subdomain', syntax.code, syntax.message, syntax.values));
      if (context.subdomain && !context.subdomain.available && context.subdomain.reason === 'taken') {
        return conflict('subdomain-taken', `${syntax.subdomain} is already taken by another site.`);
      }
      return accepted(state, { kind: 'reserve-subdomain', subdomain: syntax.subdomain });
    }

    case 'provision': {
      if (input.confirm !== true) return invalid(fieldError('/body/confirm', 'mustBeTrue', 'must be true'));
      const missing = requiredSections(state).filter((section) => !state.sections[section]);
      if (missing.length) return conflict('sections-missing', `Save these sections first: ${missing.join(', ')}.`);
      return accepted({ ...state, provisioning: { requestedAt: now } }, { kind: 'provision' });
    }
  }
}

const STALE_DRAFT_MESSAGE = 'The choices changed while this step was sent, perhaps in another window. Reload the page and confirm again.';

/** Why the order waits while consent is asked: the wizard's view and its refusals say it alike. */
export const awaitingConsentMessage = (repName: string) =>
  `The customer organization you chose already exists, so its administrator or ${repName}, your Cisco account representative, must approve before the order is set up there. You will get an email once it is decided.`;

/** The partner's own org already manages the chosen customer org: no consent is needed. */
function managedByPartner(state: OrderState, draft: WizardDraft, managedByOrgId: string | null): boolean {
  return !state.delegatedToCustomer && draft.partnerOrg?.mode === 'existing' && managedByOrgId !== null && managedByOrgId === draft.partnerOrg.orgId;
}

export type ConsentOutcome = { ok: true; state: OrderState; decision: 'approve' | 'decline' } | { ok: false; refusal: StepRefusal };

/**
 * The org admin's answer through the consent link. A link of a request that is no longer open
 * (answered, withdrawn, expired, another request) is refused like an unknown one.
 */
export function applyConsentAnswer(state: OrderState, answer: ConsentAnswer): ConsentOutcome {
  if (state.status !== 'AWAITING_CONSENT' || !state.consent || state.consent.requestKey !== answer.requestKey) {
    return { ok: false, refusal: { kind: 'link-gone', message: CONSENT_LINK_GONE } };
  }
  if (answer.decision !== 'approve' && answer.decision !== 'decline') {
    return { ok: false, refusal: { kind: 'invalid', errors: [{ field: '/body/decision', message: 'must be approve or decline' }] } };
  }
  return { ok: true, state, decision: answer.decision };
}

export const CONSENT_LINK_GONE = 'This consent link is no longer valid: the request was answered, withdrawn or has expired.';

/**
 * Sessions one order may start before the point of no return: each keeps its draft in the
 * workflow's state and history, and far more than a person needs means something is wrong.
 * Reaching it opens a rep task; beyond it, 409 until a rep lifts the cap (`lift-session-cap`).
 * After step 8 a session only resumes service setup: it is not counted, so the order can always
 * be finished.
 */
export const MAX_SESSIONS_PER_ORDER = 20;

/** The sessions this order may start before the point of no return: the cap, or where a rep lifted it to. */
export const sessionLimit = (state: OrderState): number => state.sessionLimit ?? MAX_SESSIONS_PER_ORDER;

/** Starting a session: who may, and what it resets. Before the point of no return the draft goes. */
export function applyStartSession(
  state: OrderState,
  linkIssueKey: string,
  sessionId: string,
  now: string,
): { ok: true; state: OrderState } | { ok: false; refusal: StepRefusal } {
  if (state.status === 'EXPIRED') return { ok: false, refusal: { kind: 'link-gone', message: 'This order has expired.' } };
  if (isTerminal(state)) {
    return { ok: false, refusal: { kind: 'conflict', code: 'order-ended', message: `This order is ${state.status.toLowerCase()}.` } };
  }
  if (!state.link || state.link.issueKey !== linkIssueKey) {
    return { ok: false, refusal: { kind: 'link-gone', message: 'This link is no longer valid. Use the newest link you were sent.' } };
  }
  if (state.status === 'ON_HOLD') {
    return {
      ok: false,
      refusal: { kind: 'conflict', code: 'on-hold', message: 'This order is on hold. Your Cisco account representative will contact you.' },
    };
  }
  if (state.status === 'AWAITING_CONSENT') return { ok: false, refusal: { kind: 'conflict', code: 'awaiting-consent', message: awaitingConsentMessage(state.order.rep.name) } };
  if (state.configuration) {
    return { ok: true, state: { ...state, session: { id: sessionId, startedAt: now, linkIssueKey, draft: {} }, escalated: false } };
  }
  if (state.sessionsStarted >= sessionLimit(state)) {
    const message = 'This order has been opened too many times. Your Cisco account representative has been told and will contact you.';
    return { ok: false, refusal: { kind: 'conflict', code: 'too-many-sessions', message } };
  }
  return {
    ok: true,
    state: {
      ...state,
      status: 'IN_PROGRESS',
      session: { id: sessionId, startedAt: now, linkIssueKey, draft: {} },
      sessionsStarted: state.sessionsStarted + 1,
      escalated: false,
    },
  };
}
