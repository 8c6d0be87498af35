// The messages of the order workflow and the shape of its state, defined once and imported by
// the workflow and the API alike. Everything here is plain, serialisable data.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AdminEmailClass, OrgSummary } from '../db/queries/organizations.js';
import type { CallingSettings } from '../domain/calling.js';
import type { FieldError } from '../domain/field-error.js';
import type { HoldReason, OrderPayload, OrderStatus } from '../domain/order.js';
import { STEP_NAMES, type StepName } from '../domain/wizard-steps.js';

// Organization look-ups are the API's (db/queries) and calling rules the domain's; the workflow
// only carries their results.
export type { AdminEmailClass, CallingSettings, FieldError, OrgSummary };

export { STEP_NAMES, type StepName };

/** The seed's step numbers, for people: 10a–10d are the service setup sections. */
export const STEP_NUMBERS: Record<StepName, string> = {
  role: '3',
  configurer: '4',
  'partner-org': '5',
  'customer-admin': '6',
  'customer-org': '7',
  confirm: '8',
  'partner-password': '9',
  subscription: '10a',
  calling: '10b',
  meetings: '10c',
  provision: '10d',
};

export type LinkAudience = 'contact' | 'colleague' | 'customer';


/** What one wizard session has chosen so far (steps 3–7). Discarded when a new session starts. */
export interface WizardDraft {
  role?: 'partner' | 'customer';
  configurer?: 'self';
  partnerOrg?:
    | { mode: 'new'; name: string; country: string; address: string; adminEmail: string }
    | { mode: 'existing'; orgId: string; name: string };
  customerAdmin?: { email: string; existingOrg: OrgSummary | null };
  customerOrg?: { mode: 'new'; name: string; country: string; address: string } | { mode: 'existing'; orgId: string; name: string };
}

export interface WizardSession {
  id: string;
  startedAt: string;
  /** The link the session was opened with: revoking that link ends the session. */
  linkIssueKey: string;
  draft: WizardDraft;
  /** The last step taken in this session; unset: none since it started. */
  lastActiveAt?: string;
  /** Follow-up of a session left before step 8: the link holder was reminded, then a rep was told. */
  idleReminderSent?: boolean;
  abandoned?: boolean;
}

/** Step 8's result: the point of no return. */
export interface Configuration {
  partnerOrgId: string | null;
  customerOrgId: string;
  adminUserId: string;
  adminEmail: string;
  customerOrgName: string;
  /** The partner org and its admin, when the partner manages the customer org. */
  partnerOrgName: string | null;
  partnerAdminEmail: string | null;
  newPartnerOrg: boolean;
  partnerManaged: boolean;
  configuredAt: string;
}

export interface ServiceSections {
  subscription?: { reviewedAt: string };
  calling?: CallingSettings & { savedAt: string };
  meetings?: { subdomain: string; savedAt: string };
}

export interface ProvisioningState {
  requestedAt: string;
  subscriptionId?: string;
  siteId?: string;
  billingStartedAt?: string;
  /** Set when a provisioning step failed for good: a rep task is open, nothing was billed. */
  failure?: { at: string; message: string };
}

export interface CurrentLink {
  /** `link-<n>`: the key the link row and its emails are idempotent on. */
  issueKey: string;
  audience: LinkAudience;
  email: string;
  /** Null from the point of no return: the link works until provisioned, cancelled or renewed. */
  expiresAt: string | null;
}

/** The one plain, serialisable object that is an order's live state. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  order: OrderPayload & { timezone: string };
  payloadHash: string;
  /** ISO instant of the "Configure now" email. */
  startAt: string;
  receivedAt: string;
  /** Sequence number of the last audit event this workflow emitted. */
  seq: number;
  setupEmailSentAt?: string;
  expiresAt?: string;
  link?: CurrentLink;
  linksIssued: number;
  /** The partner chose "the customer will configure": no partner access to the customer org. */
  delegatedToCustomer: boolean;
  /** Sessions started before the point of no return (after it they are not counted). */
  sessionsStarted: number;
  /** Where a rep lifted the session cap to; unset: MAX_SESSIONS_PER_ORDER (workflows/wizard.ts). */
  sessionLimit?: number;
  session?: WizardSession;
  escalated: boolean;
  escalatedAt?: string;
  /** Why; unset: an org was not recognised (the only reason before consent existed). */
  hold?: { step: 'partner-org' | 'customer-org'; at: string; reason?: HoldReason };
  /** Organizations a rep named when resuming a hold: steps 5 and 7 propose these instead (SPEC §7.1). */
  namedOrgs?: { partnerOrg?: OrgSummary; customerOrg?: OrgSummary };
  reminders: { escalation: boolean; expiry: boolean };
  /** The clock after the point of no return (SPEC §7.1): the holder was reminded, the rep was told. Unset: neither yet. */
  setupFollowUp?: { reminded: boolean; stalled: boolean };
  configuration?: Configuration;
  passwordSet: boolean;
  sections: ServiceSections;
  provisioning?: ProvisioningState;
  cancellation?: { reason: string; by: string; at: string };
  /** Step 8 chose an existing customer org the partner does not manage: the commit waits for its consent (SPEC §7.2). */
  consent?: ConsentRequest;
  /** Consent requests made so far: numbers their keys. Unset in orders that never asked. */
  consentsRequested?: number;
}

/** An open consent request: the draft step 8 commits once the org (or a rep) approves. */
export interface ConsentRequest {
  /** `consent-<n>`: the key the consent link row and its emails are idempotent on. */
  requestKey: string;
  orgId: string;
  /** The org's oldest full admin, who is asked; null when it has none (then only a rep can approve). */
  adminEmail: string | null;
  requestedAt: string;
  /** The draft of the session that confirmed step 8, committed on approval. */
  draft: WizardDraft;
  /** Who confirmed step 8 (the audit actor of the commit). */
  confirmedBy: LinkAudience;
  /** After ESCALATION_AFTER: the admin was reminded and a rep task opened. */
  escalated: boolean;
}

/**
 * What a wizard Update answers with: only what the wizard's view is built from (api/wizard-service.ts),
 * not the whole state; every Update's answer is kept in the order's history.
 */
export type WizardState = Pick<OrderState, 'orderId' | 'status' | 'order' | 'delegatedToCustomer' | 'passwordSet' | 'sections' | 'namedOrgs'> & {
  /** Its deadline is the wizard's (SPEC §7.3). */
  link?: Pick<CurrentLink, 'audience' | 'expiresAt'>;
  session?: Pick<WizardSession, 'id' | 'draft'>;
  configuration?: Pick<Configuration, 'partnerOrgName' | 'customerOrgName' | 'adminEmail' | 'newPartnerOrg' | 'partnerAdminEmail'>;
  provisioning?: Pick<ProvisioningState, 'failure' | 'billingStartedAt'>;
};

/** What a rep action answers with: the order as the rep console lists it (api/order-service.ts). */
export type OrderSummaryState = Pick<OrderState, 'orderId' | 'status' | 'order' | 'startAt' | 'receivedAt' | 'escalated'>;

/** Facts the API looked up in the database just before the Update, for rules that need them. */
export interface StepContext {
  /** partner-org: the ordering partner's existing org, or null for a first order. */
  partnerOrg?: OrgSummary | null;
  /** partner-org (new): where the partner admin email already is. */
  partnerAdminEmail?: AdminEmailClass;
  /** customer-admin: where the admin email already is. */
  adminEmail?: AdminEmailClass;
  /** customer-org (existing): the orgs the wizard listed. */
  candidates?: OrgSummary[];
  /** meetings: the availability check's answer. */
  subdomain?: { available: boolean; reason?: string; message?: string };
  /**
   * partner-password: the reference under which the API stored the password's hash (made at the
   * API edge); neither the password nor its hash gets into history.
   */
  passwordRef?: string;
  /** calling: whether the API knows the time zone (workflow code has no tz database to trust). */
  timeZoneKnown?: boolean;
  /**
   * confirm: the existing customer org of the draft the API read (who manages it, whom to ask for
   * consent), or null when that draft had none. Absent in histories from before consent existed:
   * those commit at once, as they did.
   */
  consent?: { orgId: string; managedByOrgId: string | null; adminEmail: string | null } | null;
}

export interface StepRequest {
  sessionId: string;
  linkIssueKey: string;
  step: StepName;
  input: Record<string, unknown>;
  context: StepContext;
}

export type RepActionName = 'resend-link' | 'change-contact' | 'reschedule' | 'cancel' | 'resume' | 'approve-consent' | 'retry-provisioning' | 'lift-session-cap';

export interface RepActionRequest {
  action: RepActionName;
  repId: string;
  reason?: string;
  email?: string;
  requestedStartDate?: string;
  /** reschedule: the new send moment, computed by the API in the order's time zone. */
  startAt?: string;
  /** resume: the organizations the rep named, looked up by the API (they exist and are of their kind). */
  partnerOrg?: OrgSummary;
  customerOrg?: OrgSummary;
}

/** ApplicationFailure types the workflow refuses Updates with; the API maps them to HTTP. */
export const REFUSAL = {
  /** 422: field errors in `details[0]` as `{ field, message }[]`. */
  invalid: 'StepInvalid',
  /** 409: out of order, stale session, order ended, on hold, not allowed now. */
  conflict: 'StepConflict',
  /** 410: the link was revoked (resend, contact change, delegation) or the order expired. */
  linkGone: 'LinkGone',
  /** 503: the database did not answer in time; nothing was changed, the step can be sent again. */
  unavailable: 'StepUnavailable',
} as const;


/** What Resend said became of one of the order's emails (POST /api/email-events). */
export interface EmailEventRequest {
  /** The Svix message id: the event is taken in once, whatever Svix redelivers. */
  svixId: string;
  status: 'delivered' | 'delivery_delayed' | 'bounced' | 'complained';
  providerMessageId: string;
  purpose: string;
  to: string;
  /** Resend's bounce message, when it gave one. */
  reason?: string;
}

export const getStateQuery = defineQuery<OrderState>('getState');
export const startSessionUpdate = defineUpdate<{ sessionId: string; state: WizardState }, [{ linkIssueKey: string }]>(
  'startSession',
);
export const submitStepUpdate = defineUpdate<WizardState, [StepRequest]>('submitStep');
export const repActionUpdate = defineUpdate<OrderSummaryState, [RepActionRequest]>('repAction');
/** The org admin's answer through the consent link (`POST /api/consent/:token`). */
export interface ConsentAnswer {
  requestKey: string;
  decision: 'approve' | 'decline';
}

/** Answers with the order's status after the decision; the page needs nothing more. */
export const consentAnswerUpdate = defineUpdate<{ status: OrderStatus }, [ConsentAnswer]>('consentAnswer');
export const emailEventUpdate = defineUpdate<{ recorded: boolean }, [EmailEventRequest]>('emailEvent');
