// The HTTP contract (SPEC §4, §7.3) as JSON Schemas, defined once: the API validates and documents
// with them, and the pages take their types from them (`import type` + `Static`, so nothing of
// TypeBox reaches the browser bundle). A changed field breaks whichever side still uses the old one.
import { Type, type Static } from 'typebox';
import { ORDER_STATUSES, PRODUCTS, SERVICES } from '../domain/order.js';
import { REP_TASK_REASONS, WAITING_PARTIES } from '../domain/desk.js';
import { STEP_NAMES, type StepName } from '../domain/wizard-steps.js';
import { LOCALES } from '../domain/locale.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Instant = Type.String({ format: 'date-time' });
/** Names an English `message` for translation: the wizard shows `wizard.error.<code>` filled with `values`. */
const MessageCode = {
  code: Type.Optional(Type.String()),
  values: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
};
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const OrderIdParam = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'The commerce system order id: letters, digits, `.`, `_`, `-`; at most 64 characters.',
});

export const OrderPayloadSchema = Type.Object(
  {
    orderId: OrderIdParam,
    product: Type.Enum(PRODUCTS),
    requestedStartDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD in `timezone`' }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone; default UTC' })),
    provisioningContactEmail: Email,
    partner: Type.Object(
      { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }), name: Name },
      { additionalProperties: false },
    ),
    customer: Type.Object(
      { name: Name, country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }) },
      { additionalProperties: false },
    ),
    services: Type.Array(Type.Enum(SERVICES), { minItems: 1, uniqueItems: true }),
    rep: Type.Object({ name: Name, email: Email }, { additionalProperties: false }),
    locale: Type.Optional(
      Type.Enum(LOCALES, { description: 'Language of the emails and wizard pages: `nb` (Norwegian Bokmål) or `en`; default `nb` when customer.country is `NO`, else `en`' }),
    ),
  },
  { additionalProperties: false },
);
export type OrderPayloadBody = Static<typeof OrderPayloadSchema>;

export const OrderStatusSchema = Type.Enum(ORDER_STATUSES);

export const OrderSchema = Type.Object({
  orderId: Type.String(),
  status: OrderStatusSchema,
  escalated: Type.Boolean({ description: 'An escalation task is open: nobody started the wizard in time' }),
  product: Type.String(),
  requestedStartDate: Type.String(),
  timezone: Type.String(),
  startAt: Type.String({ format: 'date-time', description: 'When the "Configure now" email goes' }),
  provisioningContactEmail: Type.String(),
  partner: Type.Object({ id: Type.String(), name: Type.String() }),
  customer: Type.Object({ name: Type.String(), country: Type.String() }),
  services: Type.Array(Type.String()),
  rep: Type.Object({ name: Type.String(), email: Type.String() }),
  locale: Type.Enum(LOCALES, { description: 'Language of the order’s emails and wizard pages' }),
  receivedAt: Instant,
});
export type OrderView = Static<typeof OrderSchema>;

export const OrderPageSchema = Type.Object({ items: Type.Array(OrderSchema), nextCursor: Nullable(Type.String()) });
export type OrderPage = Static<typeof OrderPageSchema>;

export const TimelineEventSchema = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  status: OrderStatusSchema,
  actor: Type.String({ description: '`system`, `commerce`, `contact`, … or `rep:<name> <email>` for a named rep' }),
  data: Type.Record(Type.String(), Type.Unknown()),
  occurredAt: Instant,
  supersededAt: Type.Optional({ ...Instant, description: 'Present when `temporal workflow reset` abandoned the history branch that recorded it: it happened, but no longer counts' }),
});
export type TimelineEvent = Static<typeof TimelineEventSchema>;

export const RepTaskSchema = Type.Object({
  kind: Type.String(),
  status: Type.String(),
  detail: Type.String(),
  openedAt: Instant,
  closedAt: Type.Optional(Instant),
  closedReason: Type.Optional(Type.String()),
});
export type RepTask = Static<typeof RepTaskSchema>;

export const NextDeadlineSchema = Type.Object({
  at: Instant,
  what: Type.String({ description: 'What happens then, e.g. "the order expires"' }),
});
export type NextDeadline = Static<typeof NextDeadlineSchema>;

export const WaitingOnSchema = Type.Object({
  party: Type.Enum(WAITING_PARTIES),
  email: Type.Optional(Type.String()),
  since: Instant,
});
export type WaitingOn = Static<typeof WaitingOnSchema>;

export const EMAIL_OUTCOMES = ['queued', 'sent', 'delivered', 'bounced', 'complained', 'failed'] as const;

export const OrderDetailSchema = Type.Intersect([
  OrderSchema,
  Type.Object({
    live: Type.Boolean({ description: 'true: read from the running workflow; false: from the read model' }),
    workflow: Type.Object({ workflowId: Type.String(), temporalUiUrl: Type.Optional(Type.String()) }),
    waitingOn: Nullable(WaitingOnSchema),
    nextDeadline: Nullable(NextDeadlineSchema),
    link: Nullable(
      Type.Object(
        { audience: Type.Enum(['contact', 'colleague', 'customer']), email: Type.String(), expiresAt: Nullable(Instant) },
        { description: 'The wizard link in use: whom it went to (after a hand-over, the new holder) and until when it works (null: past the point of no return it has no deadline)' },
      ),
    ),
    setupEmailSentAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the "Configure now" email really went' })),
    configuration: Nullable(
      Type.Object({
        partnerOrgName: Nullable(Type.String()),
        customerOrgName: Type.String(),
        adminEmail: Type.String(),
        newPartnerOrg: Type.Boolean(),
        partnerManaged: Type.Boolean(),
        configuredAt: Instant,
      }),
    ),
    sections: Type.Array(Type.Object({ name: Type.String(), saved: Type.Boolean(), savedAt: Type.Optional(Instant) })),
    provisioning: Nullable(
      Type.Object({
        state: Type.Enum(['running', 'failed', 'done']),
        requestedAt: Instant,
        billingStartedAt: Type.Optional(Instant),
        failure: Type.Optional(Type.Object({ at: Instant, message: Type.String() })),
      }),
    ),
    emails: Type.Array(
      Type.Object({
        purpose: Type.String(),
        to: Type.String(),
        status: Type.Enum(EMAIL_OUTCOMES),
        at: Instant,
        locale: Nullable(Type.Enum(LOCALES, { description: 'The language it was written in; null for emails from before languages existed' })),
      }),
    ),
    webhooks: Type.Array(Type.Object({ event: Type.String(), status: Type.String(), attempts: Type.Integer(), lastAttemptAt: Nullable(Instant) })),
    tasks: Type.Array(RepTaskSchema),
    timeline: Type.Array(TimelineEventSchema),
  }),
]);
export type OrderDetail = Static<typeof OrderDetailSchema>;

export const REP_ACTIONS = ['resend-link', 'change-contact', 'reschedule', 'cancel', 'resume', 'approve-consent', 'retry-provisioning', 'lift-session-cap'] as const;
export const RepActionSchema = Type.Enum(REP_ACTIONS);
export type RepAction = Static<typeof RepActionSchema>;

const repActionInput = {
  reason: Type.Optional(Type.String({ maxLength: 1000 })),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  requestedStartDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
};
/** resume: the right organization, when the rep names one (SPEC §7.1); steps 5 and 7 then propose it. */
const OrgId = Type.String({ format: 'uuid' });
export const RepActionBodySchema = Type.Object(
  { ...repActionInput, partnerOrgId: Type.Optional(OrgId), customerOrgId: Type.Optional(OrgId) },
  { additionalProperties: false },
);
export type RepActionBody = Static<typeof RepActionBodySchema>;

export const MAX_BULK_ORDERS = 100;
export const BulkActionBodySchema = Type.Object(
  { orderIds: Type.Array(OrderIdParam, { minItems: 1, maxItems: MAX_BULK_ORDERS, uniqueItems: true }), ...repActionInput },
  { additionalProperties: false },
);
export type BulkActionBody = Static<typeof BulkActionBodySchema>;

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String(), ...MessageCode }))),
  },
  { $id: 'Problem' },
);
export type Problem = Static<typeof ProblemSchema>;

export const BulkActionResultSchema = Type.Object({
  results: Type.Array(
    Type.Union([
      Type.Object({ orderId: Type.String(), ok: Type.Literal(true), order: OrderSchema }),
      // The problem inline (not a $ref), so the pages' types see its fields.
      Type.Object({ orderId: Type.String(), ok: Type.Literal(false), problem: Type.Omit(ProblemSchema, ['instance']) }),
    ]),
  ),
});
export type BulkActionResult = Static<typeof BulkActionResultSchema>;

export const TaskListQuerySchema = Type.Object(
  {
    kind: Type.Optional(Type.Enum(REP_TASK_REASONS)),
    status: Type.Optional(Type.Enum(['open', 'closed'])),
    partner: Type.Optional(Type.String({ maxLength: 200, description: 'Partner id or name (part of it)' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Order id, customer, contact email or task detail' })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]?$|^100$', description: '1–100, default 25' })),
  },
  { additionalProperties: false },
);

export const DeskTaskSchema = Type.Object({
  orderId: Type.String(),
  reason: Type.Enum(REP_TASK_REASONS),
  status: Type.Enum(['open', 'closed']),
  detail: Type.String(),
  openedAt: Instant,
  closedAt: Nullable(Instant),
  ageSeconds: Type.Integer({ description: 'Since the task opened (until it closed, for a closed one)' }),
  orderStatus: OrderStatusSchema,
  partner: Type.Object({ id: Type.String(), name: Type.String() }),
  customerName: Type.String(),
  nextDeadline: Nullable(NextDeadlineSchema),
});
export type DeskTask = Static<typeof DeskTaskSchema>;
export const TaskPageSchema = Type.Object({ items: Type.Array(DeskTaskSchema), nextCursor: Nullable(Type.String()) });
export type TaskPage = Static<typeof TaskPageSchema>;

// ---- The wizard (SPEC §3) ----

export { STEP_NAMES, type StepName };

/**
 * The fields each step's body may hold besides `sessionId` (SPEC §3); any other is refused with
 * 400 and nothing is stored. Their values are the step rules' to check (422 with field errors).
 */
export const STEP_BODY_FIELDS: Record<StepName, readonly string[]> = {
  role: ['role'],
  configurer: ['choice', 'email'],
  'partner-org': ['mode', 'recognised', 'name', 'country', 'address', 'adminEmail'],
  'customer-admin': ['email'],
  'customer-org': ['mode', 'recognised', 'orgId', 'name', 'country', 'address'],
  confirm: ['confirmed'],
  'partner-password': ['password'],
  subscription: ['reviewed'],
  calling: ['country', 'locationName', 'timeZone', 'extensionLength'],
  meetings: ['subdomain'],
  provision: ['confirm'],
};

export const SECTION_NAMES = ['subscription', 'calling', 'meetings'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export const OrgSummarySchema = Type.Object({
  orgId: Type.String(),
  kind: Type.Enum(['partner', 'customer']),
  name: Type.String(),
  // Absent for a customer org the ordering partner does not manage: then only `belongsTo` (SPEC §7.2).
  country: Type.Optional(Type.String()),
  address: Type.Optional(Nullable(Type.String())),
  createdAt: Type.Optional(Instant),
  userCount: Type.Optional(Type.Integer()),
  belongsTo: Type.Optional(Type.String({ description: 'Shown only as "the organization that <belongsTo> already belongs to"' })),
});
export type OrgSummary = Static<typeof OrgSummarySchema>;

export const CallingSettingsSchema = Type.Object({
  country: Type.String(),
  locationName: Type.String(),
  timeZone: Type.String(),
  extensionLength: Type.Integer(),
});
export type CallingSettings = Static<typeof CallingSettingsSchema>;

const NewOrg = { mode: Type.Literal('new'), name: Type.String(), country: Type.String(), address: Type.String() };
const ExistingOrg = Type.Object({ mode: Type.Literal('existing'), orgId: Type.String(), name: Type.String() });

export const WizardDraftSchema = Type.Object({
  role: Type.Optional(Type.Enum(['partner', 'customer'])),
  configurer: Type.Optional(Type.Literal('self')),
  partnerOrg: Type.Optional(Type.Union([Type.Object({ ...NewOrg, adminEmail: Type.String() }), ExistingOrg])),
  customerAdmin: Type.Optional(Type.Object({ email: Type.String(), existingOrg: Nullable(OrgSummarySchema) })),
  customerOrg: Type.Optional(Type.Union([Type.Object(NewOrg), ExistingOrg])),
});
export type WizardDraft = Static<typeof WizardDraftSchema>;

export const WizardViewSchema = Type.Object(
  {
    orderId: Type.String(),
    status: OrderStatusSchema,
    nextStep: Nullable(Type.Enum(STEP_NAMES)),
    stepNumber: Nullable(Type.String()),
    audience: Type.Enum(['contact', 'colleague', 'customer']),
    delegatedToCustomer: Type.Boolean(),
    order: Type.Object({
      product: Type.String(),
      services: Type.Array(Type.String()),
      partner: Type.Object({ name: Type.String() }),
      customer: Type.Object({ name: Type.String(), country: Type.String() }),
      requestedStartDate: Type.String(),
      timezone: Type.String(),
      locale: Type.Enum(LOCALES),
      /** The Cisco account representative: whom the person hears from when the order is on hold. */
      rep: Type.Object({ name: Type.String(), email: Type.String() }),
    }),
    /**
     * Until when the link and the order stay open (the order's expiry) and how many whole days are
     * left; null past the point of no return, when the link has no deadline (SPEC §7.1, §7.3).
     */
    deadline: Nullable(Type.Object({ at: Instant, daysLeft: Type.Integer({ minimum: 0 }) })),
    /** Whether the caller's session (?sessionId=) is the current one. */
    session: Type.Object({ active: Type.Boolean() }),
    /** The current session's choices; only shown to that session. */
    draft: Nullable(WizardDraftSchema),
    /**
     * Steps 3–8 of a partner's session: the partner's organization, or null on a first order (then
     * a password step follows the confirmation, so the step count is known from the start).
     */
    partnerOrg: Type.Optional(Nullable(OrgSummarySchema)),
    /** Steps 7 and 8: the organizations to choose from (the confirmation shows the chosen one), and defaults for a new one. */
    customerOrg: Type.Optional(
      Type.Object({
        candidates: Type.Array(OrgSummarySchema),
        adminBelongsTo: Nullable(OrgSummarySchema),
        defaults: Type.Object({ name: Type.String(), country: Type.String() }),
      }),
    ),
    configuration: Type.Optional(
      Type.Object({
        partnerOrgName: Nullable(Type.String()),
        customerOrgName: Type.String(),
        adminEmail: Type.String(),
        newPartnerOrg: Type.Boolean(),
        passwordSet: Type.Boolean(),
      }),
    ),
    sections: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.Enum(SECTION_NAMES),
          required: Type.Boolean(),
          saved: Type.Boolean(),
          value: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        }),
      ),
    ),
    callingDefaults: Type.Optional(CallingSettingsSchema),
    provisioning: Type.Optional(
      Type.Object({
        state: Type.Enum(['running', 'failed', 'done']),
        message: Type.Optional(Type.String()),
        billingStartedAt: Type.Optional(Instant),
      }),
    ),
    /** What to tell the person when there is no step to take. */
    message: Type.Optional(Type.String()),
  },
  { $id: 'WizardView' },
);
export type WizardView = Static<typeof WizardViewSchema>;

export const SubdomainAnswerSchema = Type.Union([
  Type.Object({ available: Type.Literal(true), subdomain: Type.String() }),
  Type.Object({ available: Type.Literal(false), reason: Type.String(), message: Type.String(), ...MessageCode }),
]);
export type SubdomainAnswer = Static<typeof SubdomainAnswerSchema>;

// ---- Consent for existing organizations (SPEC §7.2) ----

/** What the admin of an existing customer org is asked through the consent link. */
export const ConsentViewSchema = Type.Object(
  {
    orderId: Type.String(),
    /** The order's language: the page's default (the reader may switch). */
    locale: Type.Enum(LOCALES),
    /** Their own organization: the admin may see its name. */
    organization: Type.Object({ name: Type.String() }),
    partner: Type.Object({ name: Type.String() }),
    /** false when the customer configures: only an admin is added, no partner attached. */
    attachPartner: Type.Boolean(),
    newAdminEmail: Type.String(),
    order: Type.Object({ product: Type.String(), services: Type.Array(Type.String()), customer: Type.Object({ name: Type.String(), country: Type.String() }) }),
    expiresAt: Instant,
  },
  { $id: 'ConsentView' },
);
export type ConsentView = Static<typeof ConsentViewSchema>;

export const ConsentAnswerSchema = Type.Object({ decision: Type.Enum(['approve', 'decline']) }, { additionalProperties: false });
export const ConsentOutcomeSchema = Type.Object({ decision: Type.Enum(['approve', 'decline']), orderStatus: OrderStatusSchema });
export type ConsentOutcome = Static<typeof ConsentOutcomeSchema>;

/** SPEC §8.5: erasure by address (admin). */
export const PrivacyErasureBodySchema = Type.Object(
  {
    email: Email,
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Why: kept in the audit (the address is not)' }),
    cancelOpenOrders: Type.Optional(Type.Boolean({ description: 'Cancel the open orders that hold the address first (before the point of no return only); without it they are a 409' })),
  },
  { additionalProperties: false },
);
export type PrivacyErasureBody = Static<typeof PrivacyErasureBodySchema>;

export const PrivacyErasureResultSchema = Type.Object({
  erasedOrders: Type.Array(Type.String(), { description: 'The orders whose personal data was erased (all of it, not only the address), their Temporal history with it' }),
  cancelledOrders: Type.Array(Type.String(), { description: 'Open orders cancelled first (cancelOpenOrders)' }),
  webexUsers: Type.Integer({ description: 'Webex users whose address was erased' }),
});
export type PrivacyErasureResult = Static<typeof PrivacyErasureResultSchema>;

export const PrivacyExportQuerySchema = Type.Object({ email: Email }, { additionalProperties: false });

const Json = Type.Unknown();
export const PrivacyExportSchema = Type.Object({
  email: Type.String(),
  generatedAt: Instant,
  orders: Type.Array(
    Type.Object({
      orderId: Type.String(),
      status: Nullable(OrderStatusSchema),
      receivedAt: Nullable(Instant),
      updatedAt: Nullable(Instant),
      order: Json,
      timeline: Type.Array(Type.Object({ seq: Type.Integer(), type: Type.String(), status: Type.String(), actor: Type.String(), data: Json, occurredAt: Instant })),
      emails: Type.Array(
        Type.Object({ purpose: Type.String(), recipient: Type.String(), subject: Type.String(), status: Type.String(), createdAt: Instant, sentAt: Nullable(Instant) }),
      ),
      links: Type.Array(Type.Object({ recipient: Type.String(), audience: Type.String(), createdAt: Instant, expiresAt: Nullable(Instant), revokedAt: Nullable(Instant) })),
      consentRequests: Type.Array(Type.Object({ recipient: Type.String(), createdAt: Instant, expiresAt: Instant, revokedAt: Nullable(Instant) })),
      repTasks: Type.Array(Type.Object({ kind: Type.String(), status: Type.String(), detail: Type.String(), openedAt: Instant, closedAt: Nullable(Instant) })),
    }),
  ),
  webexUsers: Type.Array(
    Type.Object({ email: Type.String(), role: Type.String(), hasPassword: Type.Boolean(), organization: Type.String(), organizationKind: Type.String(), createdAt: Instant }),
  ),
});
export type PrivacyExport = Static<typeof PrivacyExportSchema>;
