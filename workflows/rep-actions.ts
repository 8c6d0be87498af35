// What a rep may do to an order, and when: one pure reducer for the Update's validator and handler.
import { isEmailAddress } from '../domain/email-address.js';
import type { OrderStatus } from '../domain/order.js';
import type { LinkAudience, OrderState, RepActionRequest } from './definitions.js';
import { isConfigured, isTerminal, MAX_SESSIONS_PER_ORDER, sessionLimit, type StepRefusal } from './wizard.js';

export type RepEffect =
  | { kind: 'none' }
  /** Revoke every link and send a fresh one (setup email) to `email`. */
  | { kind: 'new-link'; audience: LinkAudience; email: string }
  | { kind: 'cancel' }
  | { kind: 'resume' }
  /** The order's consent request is approved by the rep: step 8's commit runs. */
  | { kind: 'approve-consent' }
  /** Provisioning runs again (order/provisioning.ts); every step is idempotent, billing starts once. */
  | { kind: 'retry-provisioning' }
  /** The session cap is lifted: the rep task that asked for it closes. */
  | { kind: 'lift-session-cap' };

export type RepOutcome = { ok: true; state: OrderState; effect: RepEffect } | { ok: false; refusal: StepRefusal };

const refuse = (code: string, message: string): RepOutcome => ({ ok: false, refusal: { kind: 'conflict', code, message } });
const invalid = (field: string, message: string): RepOutcome => ({ ok: false, refusal: { kind: 'invalid', errors: [{ field, message }] } });

/** A live session on a link that is being replaced ends with it; the order waits for the new link. */
function withoutSession(state: OrderState): OrderState {
  const status: OrderStatus = state.status === 'IN_PROGRESS' ? 'AWAITING_SETUP' : state.status;
  return { ...state, session: undefined, status };
}

export function applyRepAction(state: OrderState, request: RepActionRequest, now: string): RepOutcome {
  if (isTerminal(state)) return refuse('order-ended', `The order is ${state.status.toLowerCase()}; it can no longer be changed.`);

  switch (request.action) {
    case 'resend-link': {
      if (state.status === 'SCHEDULED' || !state.link) {
        return refuse('not-sent-yet', 'The setup email has not been sent yet; it goes on the start date.');
      }
      return { ok: true, state: withoutSession(state), effect: { kind: 'new-link', audience: state.link.audience, email: state.link.email } };
    }

    case 'change-contact': {
      const email = request.email?.trim().toLowerCase() ?? '';
      if (!isEmailAddress(email)) return invalid('/body/email', 'must be an email address');
      if (email === state.order.provisioningContactEmail) return invalid('/body/email', 'is already the provisioning contact');
      const changed: OrderState = { ...state, order: { ...state.order, provisioningContactEmail: email } };
      // Before the start date only the address changes: the setup email will go to the new contact.
      if (state.status === 'SCHEDULED') return { ok: true, state: changed, effect: { kind: 'none' } };
      return { ok: true, state: withoutSession(changed), effect: { kind: 'new-link', audience: 'contact', email } };
    }

    case 'reschedule': {
      if (state.status !== 'SCHEDULED') {
        return refuse('already-sent', 'The setup email has already been sent; the start date can no longer move.');
      }
      if (!request.requestedStartDate || !request.startAt) return invalid('/body/requestedStartDate', 'is required');
      return {
        ok: true,
        state: { ...state, order: { ...state.order, requestedStartDate: request.requestedStartDate }, startAt: request.startAt },
        effect: { kind: 'none' },
      };
    }

    case 'cancel': {
      if (isConfigured(state)) {
        return refuse('past-point-of-no-return', 'The order is configured: organizations exist, so it can no longer be cancelled here.');
      }
      const reason = request.reason?.trim() ?? '';
      if (!reason) return invalid('/body/reason', 'is required: say why the order is cancelled');
      return {
        ok: true,
        // An open consent request is withdrawn with the order.
        state: { ...state, status: 'CANCELLED', session: undefined, consent: undefined, cancellation: { reason, by: request.repId, at: now } },
        effect: { kind: 'cancel' },
      };
    }

    case 'approve-consent': {
      if (state.status !== 'AWAITING_CONSENT' || !state.consent) return refuse('not-awaiting-consent', 'Only an order awaiting an organization’s consent can be approved.');
      return { ok: true, state, effect: { kind: 'approve-consent' } };
    }

    case 'retry-provisioning': {
      if (!state.provisioning?.failure) return refuse('not-failed', 'Provisioning has not failed on this order; there is nothing to retry.');
      // As when the link holder provisions again: a fresh request, billed from when it succeeds.
      return { ok: true, state: { ...state, provisioning: { requestedAt: now } }, effect: { kind: 'retry-provisioning' } };
    }

    case 'lift-session-cap': {
      if (isConfigured(state) || state.sessionsStarted < sessionLimit(state)) {
        return refuse('sessions-not-capped', 'The wizard of this order is not refused for too many sessions; there is no cap to lift.');
      }
      const reason = request.reason?.trim() ?? '';
      if (!reason) return invalid('/body/reason', 'is required: say why the wizard may be opened again');
      // As many sessions again as the cap allows an order.
      return { ok: true, state: { ...state, sessionLimit: state.sessionsStarted + MAX_SESSIONS_PER_ORDER }, effect: { kind: 'lift-session-cap' } };
    }

    case 'resume': {
      if (state.status !== 'ON_HOLD') return refuse('not-on-hold', 'Only an order on hold can be resumed.');
      if (request.partnerOrg && state.delegatedToCustomer) {
        return invalid('/body/partnerOrgId', 'does not apply: the customer configures this order, so no partner organization is involved');
      }
      const named = {
        ...state.namedOrgs,
        ...(request.partnerOrg ? { partnerOrg: request.partnerOrg } : {}),
        ...(request.customerOrg ? { customerOrg: request.customerOrg } : {}),
      };
      return {
        ok: true,
        state: { ...state, status: 'AWAITING_SETUP', hold: undefined, ...(named.partnerOrg || named.customerOrg ? { namedOrgs: named } : {}) },
        effect: { kind: 'resume' },
      };
    }
  }
}
