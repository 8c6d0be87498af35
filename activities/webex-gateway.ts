// Webex and its billing system, as the provisioning activities see them.
import type { Service } from '../domain/order.js';

/**
 * A permanent refusal by the external system (unknown org, account closed). A gateway throws it
 * when asking again cannot help; any other error it throws is taken as transient and retried.
 */
export class WebexRejection extends Error {
  override name = 'WebexRejection';
}

export interface ActivateSubscriptionRequest {
  orderId: string;
  customerOrgId: string;
  services: Service[];
}

export interface CreateMeetingSiteRequest {
  orderId: string;
  subdomain: string;
}

export interface StartBillingRequest {
  orderId: string;
  subscriptionId: string;
  /** ISO instant billing counts from. */
  startedAt: string;
}

/**
 * Webex and its billing system. Each operation is idempotent per order — the order id is the
 * idempotency key — so a repeat returns the first result instead of acting twice.
 */
export interface WebexGateway {
  activateSubscription(request: ActivateSubscriptionRequest): Promise<{ subscriptionId: string }>;
  createMeetingSite(request: CreateMeetingSiteRequest): Promise<{ siteId: string; subdomain: string }>;
  startBilling(request: StartBillingRequest): Promise<{ startedAt: string; alreadyStarted: boolean }>;
}
