// The wizard's and the rep's pure reducers (workflows/wizard.ts, workflows/rep-actions.ts): the
// Update validators and handlers both run them, so they must never throw, never mutate, and
// answer every input with either a new state or a well-formed refusal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus, SERVICES, TERMINAL_STATUSES } from '../domain/order.js';
import {
  type OrderState,
  type OrgSummary,
  type RepActionName,
  type RepActionRequest,
  type StepContext,
  STEP_NAMES,
  type StepName,
  type StepRequest,
  type WizardDraft,
} from '../workflows/definitions.js';
import { applyRepAction, type RepOutcome } from '../workflows/rep-actions.js';
import { applyConsentAnswer, applyStartSession, applyStep, nextStep, passwordPending, type StepOutcome, type StepRefusal } from '../workflows/wizard.js';

const NOW = '2030-01-20T10:00:00.000Z';
const LINK_KEY = 'link-1';
const SESSION = 'session-1';
const CONTACT = 'contact@partner.example';

const org = (overrides: Partial<OrgSummary> = {}): OrgSummary => ({
  orgId: 'org-1',
  kind: 'customer',
  name: 'Acme Shipping AS',
  country: 'NO',
  address: 'Strandkaien 2',
  createdAt: '2029-05-01T00:00:00.000Z',
  userCount: 3,
  ...overrides,
});
const partnerOrg = org({ orgId: 'partner-org-1', kind: 'partner', name: 'Fjord Networks AS' });

/** An order whose setup email went out and whose contact holds link-1. */
function baseState(overrides: Partial<OrderState> = {}): OrderState {
  return {
    orderId: 'CCW-1',
    status: 'AWAITING_SETUP',
    order: {
      orderId: 'CCW-1',
      product: 'A-WX',
      requestedStartDate: '2030-01-15',
      timezone: 'UTC',
      provisioningContactEmail: CONTACT,
      partner: { id: 'P-1', name: 'Fjord Networks AS' },
      customer: { name: 'Acme Shipping', country: 'NO' },
      services: ['meetings', 'messaging'],
      rep: { name: 'Rita Rep', email: 'rita.rep@cisco.example' },
    },
    payloadHash: 'hash',
    startAt: '2030-01-15T09:00:00.000Z',
    receivedAt: '2030-01-01T00:00:00.000Z',
    seq: 3,
    setupEmailSentAt: '2030-01-15T09:00:00.000Z',
    expiresAt: '2030-02-14T09:00:00.000Z',
    link: { issueKey: LINK_KEY, audience: 'contact', email: CONTACT, expiresAt: '2030-02-14T09:00:00.000Z' },
    linksIssued: 1,
    delegatedToCustomer: false,
    sessionsStarted: 0,
    escalated: false,
    reminders: { escalation: false, expiry: false },
    passwordSet: false,
    sections: {},
    ...overrides,
  };
}

/** The same order with a session open and `draft` chosen so far. */
const inSession = (draft: WizardDraft = {}, overrides: Partial<OrderState> = {}): OrderState =>
  baseState({
    status: 'IN_PROGRESS',
    sessionsStarted: 1,
    session: { id: SESSION, startedAt: NOW, linkIssueKey: LINK_KEY, draft },
    ...overrides,
  });

const configuration = (newPartnerOrg: boolean): NonNullable<OrderState['configuration']> => ({
  partnerOrgId: 'partner-org-1',
  customerOrgId: 'org-1',
  adminUserId: 'user-1',
  adminEmail: 'admin@acme.example',
  customerOrgName: 'Acme Shipping AS',
  partnerOrgName: 'Fjord Networks AS',
  partnerAdminEmail: newPartnerOrg ? 'admin@fjord.example' : null,
  newPartnerOrg,
  partnerManaged: true,
  configuredAt: NOW,
});

const step = (name: StepName, input: Record<string, unknown> = {}, context: StepContext = {}): StepRequest => ({
  sessionId: SESSION,
  linkIssueKey: LINK_KEY,
  step: name,
  input,
  context,
});

const UNTIL_CONFIRM: WizardDraft = {
  role: 'partner',
  configurer: 'self',
  partnerOrg: { mode: 'new', name: 'Fjord Networks AS', country: 'NO', address: 'Kaigata 1', adminEmail: 'admin@fjord.example' },
  customerAdmin: { email: 'admin@acme.example', existingOrg: null },
  customerOrg: { mode: 'new', name: 'Acme Shipping AS', country: 'NO', address: 'Strandkaien 2' },
};

function refusalOf(outcome: StepOutcome | RepOutcome | ReturnType<typeof applyStartSession>): StepRefusal {
  if (outcome.ok) throw new Error(`expected a refusal, got a new state (${outcome.state.status})`);
  return outcome.refusal;
}
function accepted<T extends StepOutcome | RepOutcome | ReturnType<typeof applyStartSession>>(outcome: T): Extract<T, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected acceptance, got ${JSON.stringify(outcome.refusal)}`);
  return outcome as Extract<T, { ok: true }>;
}
const fieldsOf = (outcome: StepOutcome) => {
  const refusal = refusalOf(outcome);
  if (refusal.kind !== 'invalid') throw new Error(`expected field errors, got ${JSON.stringify(refusal)}`);
  return refusal.errors.map((e) => e.field);
};
const conflictCode = (outcome: StepOutcome | RepOutcome | ReturnType<typeof applyStartSession>) => {
  const refusal = refusalOf(outcome);
  return refusal.kind === 'conflict' ? refusal.code : refusal.kind;
};

describe('nextStep', () => {
  it('walks the seed’s steps 3–8, skipping the partner org when the customer configures', () => {
    expect(nextStep(inSession())).toBe('role');
    expect(nextStep(inSession({ role: 'partner' }))).toBe('configurer');
    expect(nextStep(inSession({ role: 'partner', configurer: 'self' }))).toBe('partner-org');
    expect(nextStep(inSession({ role: 'customer', configurer: 'self' }, { delegatedToCustomer: true }))).toBe('customer-admin');
    const { customerOrg: _o, ...untilOrg } = UNTIL_CONFIRM;
    expect(nextStep(inSession(untilOrg))).toBe('customer-org');
    expect(nextStep(inSession(UNTIL_CONFIRM))).toBe('confirm');
  });

  it('asks for the password only after a new partner org, then for the sections bought, then provision', () => {
    const configured = baseState({ status: 'ORDER_CONFIGURED', configuration: configuration(true) });
    expect(nextStep(configured)).toBe('partner-password');
    const withPassword = { ...configured, status: 'SERVICE_SETUP' as const, passwordSet: true };
    expect(nextStep(withPassword)).toBe('subscription');
    expect(nextStep({ ...withPassword, sections: { subscription: { reviewedAt: NOW } } })).toBe('meetings');
    expect(nextStep({ ...withPassword, sections: { subscription: { reviewedAt: NOW }, meetings: { subdomain: 'acme', savedAt: NOW } } })).toBe('provision');
    expect(nextStep(baseState({ status: 'SERVICE_SETUP', configuration: configuration(false) }))).toBe('subscription');
  });

  it('has nothing to offer while scheduled, on hold, provisioning or ended', () => {
    for (const status of ['SCHEDULED', 'ON_HOLD', 'PROVISIONED', 'CANCELLED', 'EXPIRED'] as const) {
      expect(nextStep(inSession(UNTIL_CONFIRM, { status }))).toBeNull();
    }
    expect(nextStep(baseState({ status: 'SERVICE_SETUP', configuration: configuration(false), provisioning: { requestedAt: NOW } }))).toBeNull();
  });
});

describe('applyStep: who may send a step', () => {
  it('refuses an old link as gone, a stale session and an order on hold or ended as conflicts', () => {
    const state = inSession({ role: 'partner' });
    expect(refusalOf(applyStep(state, { ...step('configurer', { choice: 'self' }), linkIssueKey: 'link-0' }, NOW)).kind).toBe('link-gone');
    expect(conflictCode(applyStep(state, { ...step('configurer', { choice: 'self' }), sessionId: 'old-session' }, NOW))).toBe('stale-session');
    expect(conflictCode(applyStep({ ...state, status: 'ON_HOLD' }, step('configurer', { choice: 'self' }), NOW))).toBe('on-hold');
    expect(conflictCode(applyStep({ ...state, status: 'CANCELLED' }, step('configurer', { choice: 'self' }), NOW))).toBe('order-ended');
    expect(refusalOf(applyStep({ ...state, status: 'EXPIRED' }, step('configurer', { choice: 'self' }), NOW)).kind).toBe('link-gone');
  });

  it('refuses steps out of order, and steps 3–8 once the order is configured', () => {
    expect(conflictCode(applyStep(inSession(), step('customer-admin', { email: 'a@b.example' }), NOW))).toBe('out-of-order');
    expect(conflictCode(applyStep(inSession(), step('provision', { confirm: true }), NOW))).toBe('out-of-order');
    const configured = inSession({}, { status: 'ORDER_CONFIGURED', configuration: configuration(true) });
    for (const name of ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm'] as const) {
      expect(conflictCode(applyStep(configured, step(name, {}), NOW))).toBe('already-configured');
    }
    // The sections wait for the password of a new partner org.
    expect(conflictCode(applyStep(configured, step('subscription', { reviewed: true }), NOW))).toBe('out-of-order');
  });
});

describe('applyStep: Back before the point of no return', () => {
  it('takes an answered step again, keeping the answers before it and dropping those after it', () => {
    const context = { adminEmail: { kind: 'unknown' as const } };
    const again = accepted(applyStep(inSession(UNTIL_CONFIRM), { ...step('customer-admin', { email: 'boss@acme.example' }), context }, NOW));
    const { customerOrg: _dropped, ...before } = UNTIL_CONFIRM;
    expect(again.state.session?.draft).toEqual({ ...before, customerAdmin: { email: 'boss@acme.example', existingOrg: null } });
    expect(nextStep(again.state)).toBe('customer-org');
    expect(accepted(applyStep(inSession(UNTIL_CONFIRM), step('configurer', { choice: 'self' }), NOW)).state.session?.draft).toEqual({ role: 'partner', configurer: 'self' });
  });

  it('refuses a step not yet reached, and the partner step of an order handed to the customer', () => {
    expect(conflictCode(applyStep(inSession({ role: 'partner' }), step('customer-admin', { email: 'a@b.example' }), NOW))).toBe('out-of-order');
    const delegated = inSession({ role: 'customer', configurer: 'self' }, { delegatedToCustomer: true });
    expect(conflictCode(applyStep(delegated, { ...step('partner-org', { mode: 'existing', recognised: true }), context: { partnerOrg } }, NOW))).toBe('out-of-order');
  });
});

describe('applyStep: steps 3–8', () => {
  it('step 3 lets the customer role in only for an order handed to the customer', () => {
    expect(fieldsOf(applyStep(inSession(), step('role', {}), NOW))).toEqual(['/body/role']);
    expect(fieldsOf(applyStep(inSession(), step('role', { role: 'admin' }), NOW))).toEqual(['/body/role']);
    expect(fieldsOf(applyStep(inSession(), step('role', { role: 'customer' }), NOW))).toEqual(['/body/role']);
    expect(fieldsOf(applyStep(inSession({}, { delegatedToCustomer: true }), step('role', { role: 'partner' }), NOW))).toEqual(['/body/role']);
    expect(accepted(applyStep(inSession({}, { delegatedToCustomer: true }), step('role', { role: 'customer' }), NOW)).state.session?.draft).toEqual({
      role: 'customer',
    });
  });

  it('step 4 hands the order over: the session ends and a new link goes to the colleague or the customer', () => {
    const state = inSession({ role: 'partner' });
    const toColleague = accepted(applyStep(state, step('configurer', { choice: 'colleague', email: ' Kari@Partner.Example ' }), NOW));
    expect(toColleague.effect).toEqual({ kind: 'delegate', audience: 'colleague', email: 'kari@partner.example' });
    expect(toColleague.state).toMatchObject({ status: 'AWAITING_SETUP', session: undefined, delegatedToCustomer: false });

    const toCustomer = accepted(applyStep(state, step('configurer', { choice: 'customer', email: 'it@acme.example' }), NOW));
    expect(toCustomer.effect).toEqual({ kind: 'delegate', audience: 'customer', email: 'it@acme.example' });
    expect(toCustomer.state).toMatchObject({ status: 'AWAITING_SETUP', session: undefined, delegatedToCustomer: true });

    expect(fieldsOf(applyStep(state, step('configurer', { choice: 'colleague' }), NOW))).toEqual(['/body/email']);
    expect(fieldsOf(applyStep(state, step('configurer', { choice: 'colleague', email: 'not an email' }), NOW))).toEqual(['/body/email']);
    expect(fieldsOf(applyStep(state, step('configurer', { choice: 'colleague', email: CONTACT.toUpperCase() }), NOW))).toEqual(['/body/email']);
    expect(fieldsOf(applyStep(state, step('configurer', { choice: 'everyone' }), NOW))).toEqual(['/body/choice']);
    const customerSession = inSession({ role: 'customer' }, { delegatedToCustomer: true });
    expect(fieldsOf(applyStep(customerSession, step('configurer', { choice: 'customer', email: 'x@acme.example' }), NOW))).toEqual(['/body/choice']);
  });

  it('step 5 creates a partner org on a first order, reviews the existing one otherwise, and holds when it is not recognised', () => {
    const state = inSession({ role: 'partner', configurer: 'self' });
    const newOrg = { mode: 'new', name: 'Fjord Networks AS', country: 'NO', address: 'Kaigata 1', adminEmail: 'Admin@Fjord.example' };
    expect(accepted(applyStep(state, step('partner-org', newOrg, { partnerOrg: null, partnerAdminEmail: { kind: 'unknown' } }), NOW)).state.session?.draft.partnerOrg).toEqual({
      ...newOrg,
      adminEmail: 'admin@fjord.example',
    });
    expect(fieldsOf(applyStep(state, step('partner-org', newOrg, { partnerOrg }), NOW))).toEqual(['/body/mode']);
    expect(fieldsOf(applyStep(state, step('partner-org', newOrg, { partnerOrg: null, partnerAdminEmail: { kind: 'customer-org', org: org() } }), NOW))).toEqual([
      '/body/adminEmail',
    ]);
    expect(fieldsOf(applyStep(state, step('partner-org', { mode: 'new', country: 'Norway', adminEmail: 'x' }, { partnerOrg: null }), NOW))).toEqual([
      '/body/name',
      '/body/country',
      '/body/address',
      '/body/adminEmail',
    ]);
    expect(fieldsOf(applyStep(state, step('partner-org', { mode: 'existing', recognised: true }, { partnerOrg: null }), NOW))).toEqual(['/body/mode']);
    expect(fieldsOf(applyStep(state, step('partner-org', { mode: 'existing', recognised: 'yes' }, { partnerOrg }), NOW))).toEqual(['/body/recognised']);
    expect(fieldsOf(applyStep(state, step('partner-org', { mode: 'maybe' }, { partnerOrg }), NOW))).toEqual(['/body/mode']);

    const reviewed = accepted(applyStep(state, step('partner-org', { mode: 'existing', recognised: true }, { partnerOrg }), NOW));
    expect(reviewed.state.session?.draft.partnerOrg).toEqual({ mode: 'existing', orgId: partnerOrg.orgId, name: partnerOrg.name });
    const held = accepted(applyStep(state, step('partner-org', { mode: 'existing', recognised: false }, { partnerOrg }), NOW));
    expect(held.effect).toEqual({ kind: 'hold', step: 'partner-org' });
    expect(held.state).toMatchObject({ status: 'ON_HOLD', session: undefined, hold: { step: 'partner-org', at: NOW } });
  });

  it('step 6 refuses an address of a partner org or of the new partner org’s admin', () => {
    const state = inSession({ role: 'partner', configurer: 'self', partnerOrg: UNTIL_CONFIRM.partnerOrg! });
    expect(fieldsOf(applyStep(state, step('customer-admin', { email: 'nope' }), NOW))).toEqual(['/body/email']);
    expect(fieldsOf(applyStep(state, step('customer-admin', { email: 'x@partner.example' }, { adminEmail: { kind: 'partner-org', org: partnerOrg } }), NOW))).toEqual([
      '/body/email',
    ]);
    expect(fieldsOf(applyStep(state, step('customer-admin', { email: 'admin@fjord.example' }, { adminEmail: { kind: 'unknown' } }), NOW))).toEqual(['/body/email']);
    const existing = org();
    const known = accepted(applyStep(state, step('customer-admin', { email: 'Boss@Acme.example' }, { adminEmail: { kind: 'customer-org', org: existing } }), NOW));
    expect(known.state.session?.draft.customerAdmin).toEqual({ email: 'boss@acme.example', existingOrg: existing });
  });

  it('step 7 offers only the admin’s own org when there is one, and only listed orgs otherwise', () => {
    const { customerOrg: _o, ...untilOrg } = UNTIL_CONFIRM;
    const own = org({ orgId: 'own-org' });
    const withOwnOrg = inSession({ ...untilOrg, customerAdmin: { email: 'boss@acme.example', existingOrg: own } });
    expect(fieldsOf(applyStep(withOwnOrg, step('customer-org', { mode: 'new', name: 'X', country: 'NO', address: 'Y' }), NOW))).toEqual(['/body/mode']);
    // Candidates from the context do not widen the choice when the admin already has an org.
    expect(fieldsOf(applyStep(withOwnOrg, step('customer-org', { mode: 'existing', recognised: true, orgId: 'other' }, { candidates: [org({ orgId: 'other' })] }), NOW))).toEqual([
      '/body/orgId',
    ]);
    expect(accepted(applyStep(withOwnOrg, step('customer-org', { mode: 'existing', recognised: true, orgId: 'own-org' }), NOW)).state.session?.draft.customerOrg).toEqual({
      mode: 'existing',
      orgId: 'own-org',
      name: own.name,
    });

    const newAdmin = inSession(untilOrg);
    const listed = org({ orgId: 'listed' });
    expect(fieldsOf(applyStep(newAdmin, step('customer-org', { mode: 'existing', recognised: true, orgId: 'unlisted' }, { candidates: [listed] }), NOW))).toEqual(['/body/orgId']);
    expect(fieldsOf(applyStep(newAdmin, step('customer-org', { mode: 'existing', recognised: 1 }, { candidates: [listed] }), NOW))).toEqual(['/body/recognised']);
    expect(fieldsOf(applyStep(newAdmin, step('customer-org', { mode: 'new', name: ' ', country: 'no', address: 'x'.repeat(501) }), NOW))).toEqual([
      '/body/name',
      '/body/country',
      '/body/address',
    ]);
    const held = accepted(applyStep(newAdmin, step('customer-org', { mode: 'existing', recognised: false }), NOW));
    expect(held.state).toMatchObject({ status: 'ON_HOLD', hold: { step: 'customer-org' } });
  });

  it('step 8 with an existing customer org asks its consent unless the partner manages it (SPEC §7.2)', () => {
    const existing: WizardDraft = {
      ...UNTIL_CONFIRM,
      partnerOrg: { mode: 'existing', orgId: partnerOrg.orgId, name: partnerOrg.name },
      customerOrg: { mode: 'existing', orgId: 'org-1', name: 'Acme Shipping AS' },
    };
    const state = inSession(existing);
    const confirm = (consent: StepContext['consent']) => applyStep(state, step('confirm', { confirmed: true }, consent ? { consent } : {}), NOW);
    // Managed by the partner's own org, or a history from before consent existed: committed at once.
    expect(accepted(confirm({ orgId: 'org-1', managedByOrgId: partnerOrg.orgId, adminEmail: 'boss@acme.example' })).effect).toEqual({ kind: 'commit' });
    expect(accepted(confirm(undefined)).effect).toEqual({ kind: 'commit' });
    for (const managedByOrgId of [null, 'another-partners-org']) {
      const asked = accepted(confirm({ orgId: 'org-1', managedByOrgId, adminEmail: 'boss@acme.example' }));
      expect(asked.effect).toEqual({ kind: 'ask-consent' });
      expect(asked.state).toMatchObject({
        status: 'AWAITING_CONSENT',
        session: undefined,
        consentsRequested: 1,
        consent: { requestKey: 'consent-1', orgId: 'org-1', adminEmail: 'boss@acme.example', requestedAt: NOW, draft: existing, confirmedBy: 'contact', escalated: false },
      });
      // While it waits: no step, no new session; only the open request's key is answered.
      expect(nextStep(asked.state)).toBeNull();
      expect(conflictCode(applyStep({ ...asked.state, session: state.session! }, step('confirm', { confirmed: true }), NOW))).toBe('awaiting-consent');
      expect(conflictCode(applyStartSession(asked.state, LINK_KEY, 'session-2', NOW))).toBe('awaiting-consent');
      expect(applyConsentAnswer(asked.state, { requestKey: 'consent-2', decision: 'approve' })).toMatchObject({ ok: false, refusal: { kind: 'link-gone' } });
      expect(applyConsentAnswer(asked.state, { requestKey: 'consent-1', decision: 'maybe' as 'approve' })).toMatchObject({ ok: false, refusal: { kind: 'invalid' } });
      expect(applyConsentAnswer(asked.state, { requestKey: 'consent-1', decision: 'decline' })).toMatchObject({ ok: true, decision: 'decline' });
      expect(applyRepAction(asked.state, { action: 'approve-consent', repId: 'rep-1' }, NOW)).toMatchObject({ ok: true, effect: { kind: 'approve-consent' } });
    }
    // A customer configuring never has the partner's management to lean on.
    const delegated = inSession({ ...existing, partnerOrg: undefined }, { delegatedToCustomer: true });
    expect(accepted(applyStep(delegated, step('confirm', { confirmed: true }, { consent: { orgId: 'org-1', managedByOrgId: partnerOrg.orgId, adminEmail: null } }), NOW)).effect).toEqual({ kind: 'ask-consent' });
    expect(conflictCode(applyRepAction(state, { action: 'approve-consent', repId: 'rep-1' }, NOW))).toBe('not-awaiting-consent');
    expect(applyConsentAnswer(state, { requestKey: 'consent-1', decision: 'approve' })).toMatchObject({ ok: false, refusal: { kind: 'link-gone' } });
  });

  it('step 8 refuses consent facts of a draft that changed since the API read it (stale-draft)', () => {
    const draftWith = (orgId: string | null): WizardDraft => ({
      ...UNTIL_CONFIRM,
      partnerOrg: { mode: 'existing', orgId: partnerOrg.orgId, name: partnerOrg.name },
      customerOrg: orgId ? { mode: 'existing', orgId, name: 'Acme Shipping AS' } : { mode: 'new', name: 'Acme Shipping AS', country: 'NO', address: 'Strandkaien 2' },
    });
    const facts = (orgId: string) => ({ orgId, managedByOrgId: null, adminEmail: 'boss@acme.example' });
    const confirm = (draft: WizardDraft, consent: StepContext['consent']) => applyStep(inSession(draft), step('confirm', { confirmed: true }, { consent }), NOW);
    // Facts read for org-1 (it needs consent); steps 6+7 meanwhile chose org-2, or a new org: no commit.
    expect(conflictCode(confirm(draftWith('org-2'), facts('org-1')))).toBe('stale-draft');
    expect(conflictCode(confirm(draftWith(null), facts('org-1')))).toBe('stale-draft');
    // Read with no existing org (null); meanwhile one was chosen: no commit without asking it.
    expect(conflictCode(confirm(draftWith('org-1'), null))).toBe('stale-draft');
    // Facts that match the draft decide as before.
    expect(accepted(confirm(draftWith(null), null)).effect).toEqual({ kind: 'commit' });
    expect(accepted(confirm(draftWith('org-1'), facts('org-1'))).effect).toEqual({ kind: 'ask-consent' });
  });

  it('step 8 commits only on confirmed: true, and step 9 needs the hash made at the edge', () => {
    const state = inSession(UNTIL_CONFIRM);
    for (const confirmed of [undefined, false, 'true', 1]) {
      expect(fieldsOf(applyStep(state, step('confirm', { confirmed }), NOW))).toEqual(['/body/confirmed']);
    }
    expect(accepted(applyStep(state, step('confirm', { confirmed: true }), NOW)).effect).toEqual({ kind: 'commit' });

    const configured = inSession({}, { status: 'ORDER_CONFIGURED', configuration: configuration(true) });
    expect(fieldsOf(applyStep(configured, step('partner-password', { password: 'correct horse battery' }), NOW))).toEqual(['/body/password']);
    const passwordRef = '4b0f3f2e-9d7a-4c1e-8a55-0d3c6b2f7e10';
    expect(accepted(applyStep(configured, step('partner-password', {}, { passwordRef }), NOW)).effect).toEqual({ kind: 'set-password', passwordRef });
  });
});

describe('applyStartSession', () => {
  it('discards the draft before the point of no return and keeps the status after it', () => {
    const restarted = accepted(applyStartSession(inSession(UNTIL_CONFIRM), LINK_KEY, 'session-2', NOW));
    expect(restarted.state).toMatchObject({ status: 'IN_PROGRESS', sessionsStarted: 2, session: { id: 'session-2', draft: {} } });
    expect(nextStep(restarted.state)).toBe('role');

    const configured = inSession({}, { status: 'ORDER_CONFIGURED', configuration: configuration(true) });
    const reopened = accepted(applyStartSession(configured, LINK_KEY, 'session-2', NOW));
    expect(reopened.state.status).toBe('ORDER_CONFIGURED');
    expect(nextStep(reopened.state)).toBe('partner-password');
  });

  it('refuses an old link, an order on hold and an ended order', () => {
    expect(refusalOf(applyStartSession(baseState(), 'link-0', 's', NOW)).kind).toBe('link-gone');
    expect(conflictCode(applyStartSession(baseState({ status: 'ON_HOLD' }), LINK_KEY, 's', NOW))).toBe('on-hold');
    expect(conflictCode(applyStartSession(baseState({ status: 'PROVISIONED' }), LINK_KEY, 's', NOW))).toBe('order-ended');
    expect(refusalOf(applyStartSession(baseState({ status: 'EXPIRED' }), LINK_KEY, 's', NOW)).kind).toBe('link-gone');
  });
});

describe('applyRepAction', () => {
  const rep = (action: RepActionName, extra: Partial<RepActionRequest> = {}): RepActionRequest => ({ action, repId: 'rita', ...extra });

  it('resumes only an order on hold, back to waiting for the wizard', () => {
    const held = baseState({ status: 'ON_HOLD', hold: { step: 'customer-org', at: NOW } });
    const resumed = accepted(applyRepAction(held, rep('resume'), NOW));
    expect(resumed.effect).toEqual({ kind: 'resume' });
    expect(resumed.state).toMatchObject({ status: 'AWAITING_SETUP', hold: undefined });
    expect(conflictCode(applyRepAction(inSession(), rep('resume'), NOW))).toBe('not-on-hold');
  });

  it('cancels only before the point of no return, with a reason', () => {
    expect(fieldsOfRep(applyRepAction(inSession(), rep('cancel', { reason: '  ' }), NOW))).toEqual(['/body/reason']);
    expect(accepted(applyRepAction(inSession(), rep('cancel', { reason: 'duplicate order' }), NOW)).state).toMatchObject({
      status: 'CANCELLED',
      session: undefined,
    });
    const configured = baseState({ status: 'SERVICE_SETUP', configuration: configuration(false) });
    expect(conflictCode(applyRepAction(configured, rep('cancel', { reason: 'x' }), NOW))).toBe('past-point-of-no-return');
  });

  it('ends the live session when a new link goes out', () => {
    const resent = accepted(applyRepAction(inSession({ role: 'partner' }), rep('resend-link'), NOW));
    expect(resent.state).toMatchObject({ status: 'AWAITING_SETUP', session: undefined });
    expect(resent.effect).toEqual({ kind: 'new-link', audience: 'contact', email: CONTACT });
    const changed = accepted(applyRepAction(inSession(), rep('change-contact', { email: 'New@Partner.example' }), NOW));
    expect(changed.effect).toEqual({ kind: 'new-link', audience: 'contact', email: 'new@partner.example' });
    expect(fieldsOfRep(applyRepAction(inSession(), rep('change-contact', { email: CONTACT }), NOW))).toEqual(['/body/email']);
  });

  function fieldsOfRep(outcome: RepOutcome) {
    const refusal = refusalOf(outcome);
    if (refusal.kind !== 'invalid') throw new Error(`expected field errors, got ${JSON.stringify(refusal)}`);
    return refusal.errors.map((e) => e.field);
  }
});

// ——— Properties over any state and any input ———

const arbOrg = (kind: OrgSummary['kind']) =>
  fc.record({
    orgId: fc.constantFrom('org-1', 'org-2', 'partner-org-1'),
    kind: fc.constant(kind),
    name: fc.string({ maxLength: 12 }),
    country: fc.constantFrom('NO', 'SE'),
    address: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
    createdAt: fc.constant('2029-05-01T00:00:00.000Z'),
    userCount: fc.nat(5),
  });

const arbEmail = fc.constantFrom('admin@acme.example', 'Boss@Acme.Example', CONTACT, 'x@partner.example', 'kari@fjord.example');

const arbDraft: fc.Arbitrary<WizardDraft> = fc.record(
  {
    role: fc.constantFrom('partner' as const, 'customer' as const),
    configurer: fc.constant('self' as const),
    partnerOrg: fc.oneof(
      fc.record({ mode: fc.constant('new' as const), name: fc.string(), country: fc.constant('NO'), address: fc.string(), adminEmail: arbEmail }),
      fc.record({ mode: fc.constant('existing' as const), orgId: fc.constant('partner-org-1'), name: fc.string() }),
    ),
    customerAdmin: fc.record({ email: arbEmail, existingOrg: fc.option(arbOrg('customer'), { nil: null }) }),
    customerOrg: fc.oneof(
      fc.record({ mode: fc.constant('new' as const), name: fc.string(), country: fc.constant('NO'), address: fc.string() }),
      fc.record({ mode: fc.constant('existing' as const), orgId: fc.constantFrom('org-1', 'org-2'), name: fc.string() }),
    ),
  },
  { requiredKeys: [] },
);

/** Any combination of the state's parts, plausible or not: the reducers must cope with all of them. */
const arbState: fc.Arbitrary<OrderState> = fc
  .record({
    status: fc.constantFrom(...ORDER_STATUSES),
    services: fc.subarray([...SERVICES]),
    link: fc.option(
      fc.record({
        issueKey: fc.constantFrom('link-1', 'link-2'),
        audience: fc.constantFrom('contact' as const, 'colleague' as const, 'customer' as const),
        email: arbEmail,
        expiresAt: fc.constant('2030-02-14T09:00:00.000Z'),
      }),
      { nil: undefined },
    ),
    delegatedToCustomer: fc.boolean(),
    session: fc.option(
      fc.record({ id: fc.constantFrom('session-1', 'session-2'), startedAt: fc.constant(NOW), linkIssueKey: fc.constantFrom('link-1', 'link-2'), draft: arbDraft }),
      { nil: undefined },
    ),
    configuration: fc.option(fc.boolean().map(configuration), { nil: undefined }),
    passwordSet: fc.boolean(),
    sections: fc.record(
      {
        subscription: fc.constant({ reviewedAt: NOW }),
        calling: fc.constant({ country: 'NO', locationName: 'HQ', timeZone: 'Europe/Oslo', extensionLength: 4, savedAt: NOW }),
        meetings: fc.constant({ subdomain: 'acme', savedAt: NOW }),
      },
      { requiredKeys: [] },
    ),
    provisioning: fc.option(
      fc.record({ requestedAt: fc.constant(NOW), failure: fc.option(fc.constant({ at: NOW, message: 'boom' }), { nil: undefined }) }),
      { nil: undefined },
    ),
    hold: fc.option(fc.record({ step: fc.constantFrom('partner-org' as const, 'customer-org' as const), at: fc.constant(NOW) }), { nil: undefined }),
  })
  .map(({ services, ...parts }) => {
    const base = baseState();
    return { ...base, ...parts, order: { ...base.order, services } };
  });

/** Values a person (or an attacker) might put in any field. */
const arbValue = fc.oneof(
  fc.constantFrom('partner', 'customer', 'self', 'colleague', 'new', 'existing', 'NO', 'Norway', 'no', '', '   ', 'org-1', 'org-2', 'acme', 'Europe/Oslo'),
  arbEmail,
  fc.constantFrom('not an email', '@x.example', 'a@b', 'x'.repeat(300)),
  fc.boolean(),
  fc.constantFrom('true', 'false', 0, 1, 4, -1, null),
  fc.anything({ maxDepth: 2 }),
);
const INPUT_KEYS = ['role', 'choice', 'email', 'mode', 'name', 'country', 'address', 'adminEmail', 'recognised', 'orgId', 'confirmed', 'password', 'reviewed', 'locationName', 'timeZone', 'extensionLength', 'subdomain', 'confirm'];
const arbInput = fc.dictionary(fc.oneof(fc.constantFrom(...INPUT_KEYS), fc.string({ maxLength: 8 })), arbValue, { maxKeys: 8 });

const arbContext: fc.Arbitrary<StepContext> = fc.record(
  {
    partnerOrg: fc.option(arbOrg('partner'), { nil: null }),
    partnerAdminEmail: fc.oneof(fc.constant({ kind: 'unknown' as const }), arbOrg('customer').map((o) => ({ kind: 'customer-org' as const, org: o }))),
    adminEmail: fc.oneof(
      fc.constant({ kind: 'unknown' as const }),
      arbOrg('customer').map((o) => ({ kind: 'customer-org' as const, org: o })),
      arbOrg('partner').map((o) => ({ kind: 'partner-org' as const, org: o })),
    ),
    candidates: fc.array(arbOrg('customer'), { maxLength: 3 }),
    subdomain: fc.record({ available: fc.boolean(), reason: fc.constantFrom('taken', 'invalid', 'reserved') }),
    passwordRef: fc.uuid(),
    timeZoneKnown: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** A session in progress on the current link: somewhere in steps 3–8, or past step 8 in 9–10. */
const arbLiveSession: fc.Arbitrary<OrderState> = fc.tuple(arbState, arbDraft).map(([state, draft]) => {
  const status = !state.configuration ? 'IN_PROGRESS' : passwordPending(state) ? 'ORDER_CONFIGURED' : 'SERVICE_SETUP';
  return {
    ...state,
    status,
    link: { issueKey: LINK_KEY, audience: 'contact', email: CONTACT, expiresAt: '2030-02-14T09:00:00.000Z' },
    session: { id: SESSION, startedAt: NOW, linkIssueKey: LINK_KEY, draft },
    provisioning: undefined,
    hold: undefined,
  };
});

/** Inputs made of plausible choices, so a good share of them are accepted. */
const arbPlausibleInput = fc.record(
  {
    role: fc.constantFrom('partner', 'customer'),
    choice: fc.constantFrom('self', 'colleague', 'customer'),
    email: arbEmail,
    mode: fc.constantFrom('new', 'existing'),
    name: fc.constantFrom('Acme Shipping AS', ''),
    country: fc.constantFrom('NO', 'Norway'),
    address: fc.constant('Strandkaien 2'),
    adminEmail: arbEmail,
    recognised: fc.boolean(),
    orgId: fc.constantFrom('org-1', 'org-2'),
    confirmed: fc.constantFrom(true, 'yes'),
    reviewed: fc.constantFrom(true, 1),
    locationName: fc.constantFrom('Bergen HQ', ''),
    timeZone: fc.constantFrom('Europe/Oslo', 'Mars/Olympus'),
    extensionLength: fc.constantFrom(4, 9),
    subdomain: fc.constantFrom('acme-shipping', 'A!'),
    confirm: fc.constantFrom(true, false),
  },
  { requiredKeys: [] },
);

/** The step the wizard expects (mostly) or any other, with plausible or arbitrary input. */
const arbStepFor = (state: OrderState): fc.Arbitrary<StepRequest> =>
  fc.record({
    sessionId: fc.constant(SESSION),
    linkIssueKey: fc.constant(LINK_KEY),
    step: fc.oneof({ arbitrary: fc.constant(nextStep(state) ?? 'role'), weight: 4 }, { arbitrary: fc.constantFrom(...STEP_NAMES), weight: 1 }),
    input: fc.oneof({ arbitrary: arbPlausibleInput, weight: 4 }, { arbitrary: arbInput, weight: 1 }),
    context: arbContext,
  });

const arbStepRequest: fc.Arbitrary<StepRequest> = fc.record({
  sessionId: fc.constantFrom('session-1', 'session-2'),
  linkIssueKey: fc.constantFrom('link-1', 'link-2'),
  step: fc.constantFrom(...STEP_NAMES),
  input: arbInput,
  context: arbContext,
});

/** A step to any state (mostly refused), or a likely step to a live session (often accepted). */
const arbScenario: fc.Arbitrary<[OrderState, StepRequest]> = fc.oneof(
  fc.tuple(arbState, arbStepRequest),
  arbLiveSession.chain((state) => fc.tuple(fc.constant(state), arbStepFor(state))),
);

const arbRepRequest: fc.Arbitrary<RepActionRequest> = fc.record(
  {
    action: fc.constantFrom<RepActionName>('resend-link', 'change-contact', 'reschedule', 'cancel', 'resume'),
    repId: fc.constant('rita'),
    reason: fc.oneof(fc.string(), fc.constant('  ')),
    email: fc.oneof(arbEmail, fc.string()),
    requestedStartDate: fc.constant('2030-03-01'),
    startAt: fc.constant('2030-03-01T09:00:00.000Z'),
  },
  { requiredKeys: ['action', 'repId'] },
);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const EFFECT_KINDS = ['none', 'delegate', 'hold', 'commit', 'set-password', 'reserve-subdomain', 'provision'];

/** A refusal the workflow can turn into an ApplicationFailure and the API into 422/409/404. */
function expectWellFormedRefusal(outcome: { ok: boolean } & Record<string, unknown>) {
  expect(Object.keys(outcome).sort()).toEqual(['ok', 'refusal']);
  const refusal = outcome.refusal as StepRefusal;
  switch (refusal.kind) {
    case 'invalid':
      expect(refusal.errors.length).toBeGreaterThan(0);
      for (const error of refusal.errors) {
        expect(error.field).toMatch(/^\/body(\/[A-Za-z]+)?$/);
        expect(error.message.length).toBeGreaterThan(0);
      }
      break;
    case 'conflict':
      expect(refusal.code).toMatch(/^[a-z-]+$/);
      expect(refusal.message.length).toBeGreaterThan(0);
      break;
    case 'link-gone':
      expect(refusal.message.length).toBeGreaterThan(0);
      break;
    default:
      throw new Error(`unknown refusal ${JSON.stringify(refusal)}`);
  }
}

const PRE_COMMIT_STEPS: readonly StepName[] = ['role', 'configurer', 'partner-org', 'customer-admin', 'customer-org', 'confirm'];

const isStepName = (value: unknown) => value === null || (STEP_NAMES as readonly unknown[]).includes(value);

describe('properties', () => {
  it('nextStep is always a step name or null', () => {
    fc.assert(fc.property(arbState, (state) => isStepName(nextStep(state))));
  });

  it('any input to any step is accepted or refused with a well-formed refusal; it never throws or mutates', () => {
    fc.assert(
      fc.property(arbScenario, ([state, request]) => {
        const before = structuredClone(state);
        const outcome = applyStep(deepFreeze(state), deepFreeze(request), NOW);
        expect(state).toEqual(before);
        if (outcome.ok) {
          expect(EFFECT_KINDS).toContain(outcome.effect.kind);
          expect(isStepName(nextStep(outcome.state))).toBe(true);
        } else {
          expectWellFormedRefusal(outcome);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('the validator and the handler reach the same answer: applyStep is deterministic', () => {
    fc.assert(
      fc.property(arbScenario, ([state, request]) => {
        expect(applyStep(state, request, NOW)).toEqual(applyStep(state, request, NOW));
      }),
    );
  });

  it('a step from another link or another session is never accepted', () => {
    fc.assert(
      fc.property(arbState, arbStepRequest, (state, request) => {
        const foreignLink = state.link?.issueKey !== request.linkIssueKey;
        const foreignSession = state.session?.id !== request.sessionId;
        fc.pre(foreignLink || foreignSession);
        expect(applyStep(state, request, NOW).ok).toBe(false);
      }),
    );
  });

  it('an accepted step moves the wizard on; steps 3–8 never pass the point of no return by themselves', () => {
    let acceptedSteps = 0;
    fc.assert(
      fc.property(arbLiveSession.chain((state) => fc.tuple(fc.constant(state), arbStepFor(state))), ([state, request]) => {
        const outcome = applyStep(state, request, NOW);
        if (!outcome.ok) return;
        acceptedSteps += 1;
        if (PRE_COMMIT_STEPS.includes(request.step)) {
          expect(state.configuration).toBeUndefined();
          expect(outcome.state.configuration).toBeUndefined();
        }
        if (outcome.effect.kind === 'none') expect(nextStep(outcome.state)).not.toBe(request.step);
        if (request.step === 'subscription' || request.step === 'calling') expect(outcome.state.sections[request.step]).toBeDefined();
        if (outcome.effect.kind === 'commit') expect(request.step).toBe('confirm');
      }),
      { numRuns: 3000 },
    );
    // The property means something only if steps do get accepted.
    expect(acceptedSteps).toBeGreaterThan(300);
  });

  it('an ended or on-hold order accepts no step and starts no session', () => {
    const stopped: readonly OrderStatus[] = [...TERMINAL_STATUSES, 'ON_HOLD'];
    fc.assert(
      fc.property(arbState, arbStepRequest, fc.constantFrom(...stopped), (state, request, status) => {
        const held = { ...state, status };
        expect(applyStep(held, request, NOW).ok).toBe(false);
        expect(applyStartSession(held, request.linkIssueKey, 'new-session', NOW).ok).toBe(false);
      }),
    );
  });

  it('starting a session never throws; when it starts, the draft is empty and the next step is step 3 or where the configured order stands', () => {
    fc.assert(
      fc.property(arbState, fc.constantFrom('link-1', 'link-2'), (state, linkIssueKey) => {
        const outcome = applyStartSession(deepFreeze(state), linkIssueKey, 'new-session', NOW);
        if (!outcome.ok) {
          expectWellFormedRefusal(outcome);
          return;
        }
        expect(outcome.state.session).toEqual({ id: 'new-session', startedAt: NOW, linkIssueKey, draft: {} });
        // Only sessions before the point of no return count towards the cap.
        expect(outcome.state.sessionsStarted).toBe(state.sessionsStarted + (state.configuration ? 0 : 1));
        if (state.configuration) {
          expect(outcome.state.status).toBe(state.status);
          expect(nextStep(outcome.state)).toBe(nextStep(state));
        } else {
          expect(outcome.state.status).toBe('IN_PROGRESS');
          expect(nextStep(outcome.state)).toBe('role');
        }
      }),
    );
  });

  it('a rep action never throws, refuses well-formed, and only resume sends an order on hold back to waiting', () => {
    fc.assert(
      fc.property(arbState, arbRepRequest, (state, request) => {
        const outcome = applyRepAction(deepFreeze(state), deepFreeze(request), NOW);
        if (!outcome.ok) {
          expectWellFormedRefusal(outcome);
          return;
        }
        expect(TERMINAL_STATUSES).not.toContain(state.status);
        if (request.action === 'resume') expect([state.status, outcome.state.status]).toEqual(['ON_HOLD', 'AWAITING_SETUP']);
        if (request.action === 'cancel') expect(state.configuration).toBeUndefined();
        if (state.status === 'ON_HOLD' && request.action !== 'resume') expect(outcome.state.status).not.toBe('AWAITING_SETUP');
      }),
      { numRuns: 2000 },
    );
  });
});
