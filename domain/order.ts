// The order as the commerce system sends it, and the statuses of SPEC §2. Pure types and
// constants: imported by workflows, activities and the API alike.
import type { Locale } from './locale.js';

export const PRODUCTS = ['A-WX', 'A-SPK'] as const;
export type Product = (typeof PRODUCTS)[number];

export const SERVICES = ['messaging', 'meetings', 'calling'] as const;
export type Service = (typeof SERVICES)[number];

export const ORDER_STATUSES = [
  'SCHEDULED',
  'AWAITING_SETUP',
  'ESCALATED',
  'IN_PROGRESS',
  'ON_HOLD',
  'AWAITING_CONSENT',
  'ORDER_CONFIGURED',
  'SERVICE_SETUP',
  'PROVISIONED',
  'CANCELLED',
  'EXPIRED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['PROVISIONED', 'CANCELLED', 'EXPIRED'];

export interface OrderPayload {
  orderId: string;
  product: Product;
  /** Calendar date `YYYY-MM-DD` in `timezone`. */
  requestedStartDate: string;
  /** IANA zone; `UTC` when the commerce system sends none. */
  timezone?: string;
  provisioningContactEmail: string;
  partner: { id: string; name: string };
  customer: { name: string; country: string };
  services: Service[];
  rep: { name: string; email: string };
  /** Language of the order's emails and wizard pages; unset: `defaultLocale(customer.country)` (domain/locale.ts). */
  locale?: Locale;
}

/** What the order workflow is started with. The start moment is computed outside the workflow. */
export interface OrderWorkflowInput {
  order: OrderPayload & { timezone: string };
  /** sha256 of the canonical payload: tells a re-delivery from a conflicting one. */
  payloadHash: string;
  /** ISO instant of the "Configure now" email: the start date at SETUP_EMAIL_LOCAL_TIME, local time. */
  startAt: string;
  receivedAt: string;
  /** Durations the order keeps from the day it was received. */
  settings: {
    escalationAfterMs: number;
    orderExpiresAfterMs: number;
    /** Unset in orders started before it existed: they get the default. */
    emailGiveUpAfterMs?: number;
    /** A session left before step 8 this long gets a reminder; unset in older orders: the default. */
    sessionIdleReminderAfterMs?: number;
    /** After step 8 without provisioning: the holder's reminder, then rep task `setup-stalled`; unset in older orders: the defaults. */
    setupReminderAfterMs?: number;
    setupEscalationAfterMs?: number;
    /** Status webhooks' retry backoff; unset when no WEBHOOK_ENDPOINTS were configured at intake (and in older orders): none are sent. */
    webhooks?: WebhookRetrySettings;
    /** Continue-as-new past this many history events; unset: when Temporal suggests it. */
    continueAsNewAfterEvents?: number;
  };
}

export interface WebhookRetrySettings {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  giveUpAfterMs: number;
}

export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;
/** The order id behind an order workflow's id; undefined for any other workflow. */
export const orderIdOfWorkflow = (workflowId: string): string | undefined => (workflowId.startsWith('order-') ? workflowId.slice('order-'.length) : undefined);
/** The rep action `redeliver-webhooks`: one at a time per order. */
export const redeliveryWorkflowId = (orderId: string): string => `webhooks-${orderId}`;

/** Why an order is on hold: an org not recognised (steps 5, 7), consent declined, or the commit after an approval refused. */
export type HoldReason = 'not-recognised' | 'consent-declined' | 'commit-refused';
