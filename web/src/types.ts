// The API's answers as the pages use them. The source of truth is the OpenAPI document at
// /docs/json (api/routes/wizard.ts, api/schemas.ts); these mirror the fields the pages read.

// The statuses are the domain's own list (a pure module the pages can import).
import type { OrderStatus } from '../../domain/order';

export { ORDER_STATUSES, type OrderStatus } from '../../domain/order';

export type StepName =
  | 'role'
  | 'configurer'
  | 'partner-org'
  | 'customer-admin'
  | 'customer-org'
  | 'confirm'
  | 'partner-password'
  | 'subscription'
  | 'calling'
  | 'meetings'
  | 'provision';

export type SectionName = 'subscription' | 'calling' | 'meetings';

export interface OrgSummary {
  orgId: string;
  kind: 'partner' | 'customer';
  name: string;
  country: string;
  address: string | null;
  createdAt: string;
  userCount: number;
}

export interface WizardDraft {
  role?: 'partner' | 'customer';
  configurer?: 'self';
  partnerOrg?: { mode: 'new'; name: string; country: string; address: string; adminEmail: string } | { mode: 'existing'; orgId: string; name: string };
  customerAdmin?: { email: string; existingOrg: OrgSummary | null };
  customerOrg?: { mode: 'new'; name: string; country: string; address: string } | { mode: 'existing'; orgId: string; name: string };
}

export interface CallingSettings {
  country: string;
  locationName: string;
  timeZone: string;
  extensionLength: number;
}

export interface WizardView {
  orderId: string;
  status: OrderStatus;
  nextStep: StepName | null;
  stepNumber: string | null;
  audience: 'contact' | 'colleague' | 'customer';
  delegatedToCustomer: boolean;
  order: {
    product: string;
    services: string[];
    partner: { name: string };
    customer: { name: string; country: string };
    requestedStartDate: string;
    timezone: string;
    rep: { name: string; email: string };
  };
  session: { active: boolean };
  draft: WizardDraft | null;
  partnerOrg?: OrgSummary | null;
  customerOrg?: { candidates: OrgSummary[]; adminBelongsTo: OrgSummary | null; defaults: { name: string; country: string } };
  configuration?: {
    partnerOrgName: string | null;
    customerOrgName: string;
    adminEmail: string;
    newPartnerOrg: boolean;
    passwordSet: boolean;
  };
  sections?: Array<{ name: SectionName; required: boolean; saved: boolean; value?: Record<string, unknown> }>;
  callingDefaults?: CallingSettings;
  provisioning?: { state: 'running' | 'failed' | 'done'; message?: string; billingStartedAt?: string };
  message?: string;
}

export type SubdomainAnswer = { available: true; subdomain: string } | { available: false; reason: string; message: string };

export interface OrderView {
  orderId: string;
  status: OrderStatus;
  escalated: boolean;
  product: string;
  requestedStartDate: string;
  timezone: string;
  startAt: string;
  provisioningContactEmail: string;
  partner: { id: string; name: string };
  customer: { name: string; country: string };
  services: string[];
  rep: { name: string; email: string };
  receivedAt: string;
}

export interface TimelineEvent {
  seq: number;
  type: string;
  status: OrderStatus;
  actor: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

export interface RepTask {
  kind: string;
  status: string;
  detail: string;
  openedAt: string;
  closedAt?: string;
  closedReason?: string;
}

export interface OrderDetail extends OrderView {
  live: boolean;
  link?: { audience: 'contact' | 'colleague' | 'customer'; email: string; expiresAt: string };
  setupEmailSentAt?: string;
  workflow: { workflowId: string; temporalUiUrl?: string };
  tasks: RepTask[];
  timeline: TimelineEvent[];
}

export interface OrderPage {
  items: OrderView[];
  nextCursor: string | null;
}

export type RepAction = 'resend-link' | 'change-contact' | 'reschedule' | 'cancel' | 'resume';
