// The rep's desk (SPEC §7.3): the reasons a rep is asked to act, and who holds the ball on an
// order and what happens next. Pure: the API computes the order detail and the task list with it.
import { type OrderStatus, TERMINAL_STATUSES } from './order.js';

export const REP_TASK_REASONS = [
  'escalation',
  'on-hold',
  'email-bounced',
  'email-rejected',
  'email-failed',
  'provisioning-failed',
  'provisioning-cancelled',
  'sessions-capped',
  'setup-abandoned',
  'setup-stalled',
  'awaiting-consent',
  'expired',
] as const;
export type RepTaskReason = (typeof REP_TASK_REASONS)[number];

export const WAITING_PARTIES = ['contact', 'colleague', 'customer', 'customer-admin', 'rep', 'system'] as const;
export type WaitingParty = (typeof WAITING_PARTIES)[number];

/** The parts of an order's live state the rule reads (the workflow's OrderState has them all). */
export interface OrderFacts {
  status: OrderStatus;
  startAt: string;
  receivedAt: string;
  contactEmail: string;
  setupEmailSentAt?: string | undefined;
  expiresAt?: string | undefined;
  escalated: boolean;
  sessionsStarted: number;
  reminders: { escalation: boolean; expiry: boolean };
  link?: { audience: 'contact' | 'colleague' | 'customer'; email: string } | undefined;
  configuration?: { adminEmail: string; configuredAt?: string } | undefined;
  /** After the point of no return: whether the holder was reminded and the rep told (workflows/order/clock.ts). */
  setupFollowUp?: { reminded: boolean; stalled: boolean } | undefined;
  /** An open consent request (AWAITING_CONSENT): whom it asks, since when, whether it was followed up. */
  consent?: { adminEmail: string | null; requestedAt: string; escalated: boolean } | undefined;
  provisioning?: { requestedAt: string; billingStartedAt?: string | undefined; failure?: { at: string } | undefined } | undefined;
  /** Open rep tasks, oldest first. */
  openTasks: Array<{ openedAt: string }>;
  /** When the order last changed (its newest audit event), or undefined before the first. */
  lastEventAt?: string | undefined;
}

export interface WaitingOn {
  party: WaitingParty;
  email?: string;
  since: string;
}

export interface Deadline {
  at: string;
  what: string;
}

/** The expiry reminder goes this long before the order expires (the workflow's clock). */
export const EXPIRY_REMINDER_BEFORE_MS = 48 * 3_600_000;

/**
 * Who must act next. An open rep task puts the ball with the rep until it closes; otherwise the
 * person holding the current link (or the customer admin named at step 8) while the wizard is
 * theirs, and the system while it sends the first email or provisions.
 */
export function waitingOn(order: OrderFacts): WaitingOn | null {
  if (TERMINAL_STATUSES.includes(order.status)) return null;
  const since = order.lastEventAt ?? order.receivedAt;
  const firstTask = order.openTasks[0];
  if (firstTask) return { party: 'rep', since: firstTask.openedAt };
  if (order.status === 'ON_HOLD') return { party: 'rep', since };
  if (order.status === 'AWAITING_CONSENT' && order.consent) {
    const { adminEmail, requestedAt } = order.consent;
    return adminEmail ? { party: 'customer-admin', email: adminEmail, since: requestedAt } : { party: 'rep', since: requestedAt };
  }
  if (order.status === 'SCHEDULED') return { party: 'system', since: order.receivedAt };
  if (order.provisioning && !order.provisioning.failure) return { party: 'system', since: order.provisioning.requestedAt };
  if (order.link) return { party: order.link.audience, email: order.link.email, since };
  if (order.configuration) return { party: 'customer-admin', email: order.configuration.adminEmail, since };
  return { party: 'contact', email: order.contactEmail, since };
}

/** The next thing the order's clock does on its own, after `now`; null when nothing is scheduled. */
export function nextDeadline(
  order: OrderFacts,
  settings: { escalationAfterMs: number; setupReminderAfterMs: number; setupEscalationAfterMs: number },
  now: Date,
): Deadline | null {
  if (TERMINAL_STATUSES.includes(order.status)) return null;
  if (order.status === 'SCHEDULED') return { at: order.startAt, what: `the setup email goes to ${order.contactEmail}` };
  if (order.configuration) return configuredDeadline(order, settings, now);
  if (!order.expiresAt) return null;
  const expires = Date.parse(order.expiresAt);
  const candidates: Array<{ at: number; what: string }> = [{ at: expires, what: 'the order expires' }];
  if (order.consent) {
    if (!order.consent.escalated) {
      const what = order.consent.adminEmail ? 'the organization’s administrator is reminded and the rep is asked to approve' : 'the rep is asked to approve';
      candidates.push({ at: Date.parse(order.consent.requestedAt) + settings.escalationAfterMs, what });
    }
  } else if (!order.reminders.expiry) candidates.push({ at: expires - EXPIRY_REMINDER_BEFORE_MS, what: 'an expiry reminder is emailed' });
  if (order.setupEmailSentAt && !order.escalated && order.sessionsStarted === 0 && !order.reminders.escalation) {
    candidates.push({ at: Date.parse(order.setupEmailSentAt) + settings.escalationAfterMs, what: 'the order is escalated to the rep' });
  }
  return earliestAfter(candidates, now);
}

/** Past the point of no return, until provisioning is asked for: the follow-up of SPEC §7.1. */
function configuredDeadline(order: OrderFacts, settings: { setupReminderAfterMs: number; setupEscalationAfterMs: number }, now: Date): Deadline | null {
  const configuredAt = order.configuration?.configuredAt;
  if (!configuredAt || order.provisioning) return null;
  const from = Date.parse(configuredAt);
  const candidates: Array<{ at: number; what: string }> = [];
  if (!order.setupFollowUp?.reminded) candidates.push({ at: from + settings.setupReminderAfterMs, what: 'the link holder is reminded to finish the service setup' });
  if (!order.setupFollowUp?.stalled) candidates.push({ at: from + settings.setupEscalationAfterMs, what: 'the rep is asked to follow up the stalled setup' });
  return earliestAfter(candidates, now);
}

function earliestAfter(candidates: Array<{ at: number; what: string }>, now: Date): Deadline | null {
  const next = candidates.filter((c) => c.at > now.getTime()).sort((a, b) => a.at - b.at)[0];
  return next ? { at: new Date(next.at).toISOString(), what: next.what } : null;
}

/** The next deadline as far as the read model knows it: the first email, or the live link's end. */
export function readModelDeadline(row: { status: OrderStatus; startAt: Date; linkExpiresAt: Date | null }, now: Date): Deadline | null {
  if (TERMINAL_STATUSES.includes(row.status)) return null;
  if (row.status === 'SCHEDULED') return { at: row.startAt.toISOString(), what: 'the setup email goes' };
  if (row.linkExpiresAt && row.linkExpiresAt > now) return { at: row.linkExpiresAt.toISOString(), what: 'the link expires' };
  return null;
}
