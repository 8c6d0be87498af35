// The richer order detail of SPEC §7.3, computed from the workflow's state (or, when no worker
// answers, the read model) and the rows beside it. Pure: order-service.ts reads, this shapes.
import type { WebhookDeliveryView } from '../db/queries/webhook-deliveries.js';
import type { EmailDeliveryRow, LinkTokenRow, RepTaskRow } from '../db/schema/index.js';
import { nextDeadline, type OrderFacts, readModelDeadline, waitingOn } from '../domain/desk.js';
import type { OrderState } from '../workflows/definitions.js';
import { requiredSections } from '../workflows/wizard.js';
import type { OrderDetail, OrderView } from './schemas.js';

type EmailOutcome = OrderDetail['emails'][number]['status'];

/** The delivery row's status as SPEC §7.3 names outcomes; a provider event may add delivered/bounced later. */
const EMAIL_OUTCOME: Record<string, EmailOutcome> = {
  pending: 'queued',
  sent: 'sent',
  outbox: 'sent',
  // Resend is still trying: sent, not yet delivered.
  delivery_delayed: 'sent',
  delivered: 'delivered',
  bounced: 'bounced',
  complained: 'complained',
  rejected: 'failed',
  // Not sent because its link had ended first: it never went out.
  skipped: 'failed',
};

export interface DetailSources {
  view: OrderView;
  live: OrderState | undefined;
  tasks: RepTaskRow[];
  emails: EmailDeliveryRow[];
  /** Every webhook attempt, by seq and then in the order made. */
  webhooks: WebhookDeliveryView[];
  /** The newest link that is neither revoked nor expired, from the read model. */
  currentLink: LinkTokenRow | undefined;
  lastEventAt: string | undefined;
  /** The clock's durations (config.ts): what the next deadline is computed from. */
  clock: { escalationAfterMs: number; setupReminderAfterMs: number; setupEscalationAfterMs: number };
  now: Date;
}

type Extras = Pick<OrderDetail, 'waitingOn' | 'nextDeadline' | 'link' | 'configuration' | 'sections' | 'provisioning' | 'emails' | 'webhooks'>;

export function orderDetailExtras({ view, live, tasks, emails, webhooks, currentLink, lastEventAt, clock, now }: DetailSources): Extras {
  const openTasks = tasks.filter((t) => t.status === 'open').map((t) => ({ openedAt: t.openedAt.toISOString() }));
  const link = live
    ? live.link && { audience: live.link.audience, email: live.link.email, expiresAt: live.link.expiresAt }
    : currentLink && { audience: currentLink.audience, email: currentLink.recipientEmail, expiresAt: currentLink.expiresAt?.toISOString() ?? null };
  const facts: OrderFacts = {
    status: view.status,
    startAt: view.startAt,
    receivedAt: view.receivedAt,
    contactEmail: view.provisioningContactEmail,
    escalated: view.escalated,
    link: link ?? undefined,
    openTasks,
    lastEventAt,
    setupEmailSentAt: live?.setupEmailSentAt,
    expiresAt: live?.expiresAt,
    sessionsStarted: live?.sessionsStarted ?? 0,
    consent: live?.consent && { adminEmail: live.consent.adminEmail, requestedAt: live.consent.requestedAt, escalated: live.consent.escalated },
    reminders: live?.reminders ?? { escalation: true, expiry: true },
    configuration: live?.configuration,
    setupFollowUp: live?.setupFollowUp,
    provisioning: live?.provisioning,
  };
  const configuration = live?.configuration;
  const provisioning = live?.provisioning;
  return {
    waitingOn: waitingOn(facts),
    nextDeadline: live
      ? nextDeadline(facts, clock, now)
      : readModelDeadline({ status: view.status, startAt: new Date(view.startAt), linkExpiresAt: currentLink?.expiresAt ?? null }, now),
    link: link ?? null,
    configuration: configuration
      ? {
          partnerOrgName: configuration.partnerOrgName,
          customerOrgName: configuration.customerOrgName,
          adminEmail: configuration.adminEmail,
          newPartnerOrg: configuration.newPartnerOrg,
          partnerManaged: configuration.partnerManaged,
          configuredAt: configuration.configuredAt,
        }
      : null,
    sections:
      live && configuration
        ? requiredSections(live).map((name) => {
            const savedAt = name === 'subscription' ? live.sections.subscription?.reviewedAt : live.sections[name]?.savedAt;
            return { name, saved: savedAt !== undefined, ...(savedAt ? { savedAt } : {}) };
          })
        : [],
    provisioning: provisioning
      ? {
          state: provisioning.failure ? 'failed' : provisioning.billingStartedAt ? 'done' : 'running',
          requestedAt: provisioning.requestedAt,
          ...(provisioning.billingStartedAt ? { billingStartedAt: provisioning.billingStartedAt } : {}),
          ...(provisioning.failure ? { failure: provisioning.failure } : {}),
        }
      : null,
    emails: emails.map((e) => ({
      purpose: e.purpose,
      to: e.recipient,
      status: EMAIL_OUTCOME[e.status] ?? 'queued',
      at: (e.sentAt ?? e.createdAt).toISOString(),
      locale: e.locale,
    })),
    webhooks: webhookSummaries(webhooks),
  };
}

/**
 * One line per status change and endpoint: its last outcome (`delivered`, `refused`, `retrying`
 * while a next try is due, `given-up` after the last), how many attempts, and when the last was.
 */
function webhookSummaries(attempts: WebhookDeliveryView[]): Extras['webhooks'] {
  const byTarget = new Map<string, WebhookDeliveryView[]>();
  for (const attempt of attempts) {
    const key = `${attempt.seq} ${attempt.endpoint}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), attempt]);
  }
  return [...byTarget.values()].map((tries) => {
    const last = tries.at(-1)!;
    const status = last.outcome === 'failed' ? (last.nextTryAt ? 'retrying' : 'given-up') : last.outcome;
    return { event: `order.status_changed #${last.seq} to ${last.endpoint}`, status, attempts: tries.length, lastAttemptAt: last.attemptedAt };
  });
}
