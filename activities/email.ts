// The one email activity. It runs on the email task queue, whose worker limits it to Resend's
// rate, and takes a slot and a start from the pace all workers share (./email-pace.ts) before each request. At most one email per (order, key): the email_deliveries row is the record of
// truth, Resend's Idempotency-Key covers a crash between Resend's answer and that row's update.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { type EmailDeliveryRow, emailDeliveries } from '../db/schema/index.js';
import { consentUrl, linkUrl } from '../domain/link-token.js';
import { CONSENT_REQUIRED_PURPOSES, type EmailTemplate, LINK_REQUIRED_PURPOSES, renderEmail } from '../emails/templates.js';
import { isEmailAddress } from '../domain/email-address.js';
import { createEmailTransport } from '../emails/transport.js';
import type { ActivityDeps } from './deps.js';
import { createSendPace } from './email-pace.js';
import { createBusinessMetrics } from './metrics.js';
import { ensureConsentRequest } from './consent.js';
import { ensureLink, type LinkAudience } from './links.js';

import { EMAIL_DELIVERY_FAILED, EMAIL_NOT_CONFIGURED, EMAIL_REJECTED, emailRetryDelayMs, INVALID_EMAIL_REQUEST } from '../emails/failures.js';

export { EMAIL_DELIVERY_FAILED, EMAIL_NOT_CONFIGURED, EMAIL_REJECTED, INVALID_EMAIL_REQUEST };

export interface SendEmailRequest {
  orderId: string;
  /** Unique per order and purpose, e.g. `setup/link-1`, `reminder-expiry`, `provisioned/rep`. */
  key: string;
  to: string;
  template: EmailTemplate;
  /** Mint (or find again) the wizard link `issueKey` and put its URL in the email. */
  link?: { issueKey: string; audience: LinkAudience; expiresAt: string | null };
  /** Mint (or find again) the consent link of request `requestKey` and put its URL in the email. */
  consent?: { requestKey: string; orgId: string; expiresAt: string };
  /**
   * The workflow's history branch ('' unless the order was reset; order_events.branch). An email
   * with a wizard link is the branch's own: after a reset the link is issued and sent anew, since
   * the abandoned branch may have revoked the one it sent. Any other email is once per order and key.
   */
  branch?: string;
}

export interface SendEmailResult {
  deliveryId: string;
  /**
   * `sent`: Resend accepted it. `outbox`: kept for /dev/outbox. `already-sent`: an earlier call
   * with this key sent it. `skipped`: its link was revoked or expired first, so it never goes.
   */
  status: 'sent' | 'outbox' | 'already-sent' | 'skipped';
}

/** Details of an EmailRejected failure, for the workflow's rep task and rep email. */
export interface EmailRejectedDetails {
  deliveryId: string;
  recipient: string;
  reason: string;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INVALID_EMAIL_REQUEST, message, nonRetryable: true });
}

function validate(request: SendEmailRequest): void {
  if (!request.orderId) throw invalid('orderId is required');
  if (!KEY.test(request.key)) throw invalid(`key "${request.key}" must be 1-128 characters of letters, digits and . _ : / -`);
  if (typeof request.to !== 'string' || request.to.length > 254) throw invalid('to must be an email address');
  if (request.template.order.orderId !== request.orderId) throw invalid('template.order is another order');
  if (LINK_REQUIRED_PURPOSES.includes(request.template.kind) && !request.link) {
    throw invalid(`a ${request.template.kind} email needs a link`);
  }
  if (request.link && request.link.expiresAt !== null && Number.isNaN(Date.parse(request.link.expiresAt))) throw invalid('link.expiresAt must be an ISO instant or null');
  if (CONSENT_REQUIRED_PURPOSES.includes(request.template.kind) && !request.consent) throw invalid(`a ${request.template.kind} email needs a consent link`);
  if (request.consent && Number.isNaN(Date.parse(request.consent.expiresAt))) throw invalid('consent.expiresAt must be an ISO instant');
}

function rejected(row: Pick<EmailDeliveryRow, 'id' | 'recipient'>, reason: string): ApplicationFailure {
  const details: EmailRejectedDetails = { deliveryId: row.id, recipient: row.recipient, reason };
  return ApplicationFailure.create({
    type: EMAIL_REJECTED,
    message: `The email to ${row.recipient} was refused: ${reason}`,
    nonRetryable: true,
    details: [details],
  });
}

export function createEmailActivities(deps: ActivityDeps) {
  const metrics = deps.metrics ?? createBusinessMetrics();
  const { database, config, clock = () => new Date() } = deps;
  const { db } = database;
  const transport = deps.email ?? createEmailTransport(config);

  const pace = createSendPace(db, 'resend', { ratePerSecond: config.emailRatePerSecond, maxInFlight: config.emailMaxInFlight });

  async function findDelivery(idempotencyKey: string): Promise<EmailDeliveryRow | undefined> {
    const [row] = await db.select().from(emailDeliveries).where(eq(emailDeliveries.idempotencyKey, idempotencyKey));
    return row;
  }

  /** The answer for a row an earlier call already settled; undefined while it is pending. */
  function settledResult(row: EmailDeliveryRow): SendEmailResult | undefined {
    switch (row.status) {
      case 'sent':
      case 'outbox':
        return { deliveryId: row.id, status: 'already-sent' };
      case 'skipped':
        return { deliveryId: row.id, status: 'skipped' };
      case 'rejected':
        throw rejected(row, row.lastError ?? 'refused by the provider');
      case 'pending':
        return undefined;
    }
  }

  /** Settles a pending row; a row another attempt settled meanwhile is left as it is. */
  async function settle(id: string, changes: Partial<typeof emailDeliveries.$inferInsert>): Promise<void> {
    await db
      .update(emailDeliveries)
      .set({ ...changes, attempts: sql`${emailDeliveries.attempts} + 1` })
      .where(and(eq(emailDeliveries.id, id), eq(emailDeliveries.status, 'pending')));
  }

  return {
    /**
     * Sends one email at most once per (orderId, key). Retryable failures throw
     * EmailDeliveryFailed and leave the row pending; a refused address marks the row rejected and
     * throws EmailRejected (non-retryable, details: EmailRejectedDetails).
     */
    async sendEmail(request: SendEmailRequest): Promise<SendEmailResult> {
      validate(request);
      const branch = request.link ? (request.branch ?? '') : '';
      const idempotencyKey = `${request.orderId}/${request.key}${branch ? `@${branch}` : ''}`;

      // Settled before: answer without minting a link or rendering anything.
      const earlier = await findDelivery(idempotencyKey);
      const earlierResult = earlier && settledResult(earlier);
      if (earlierResult) return earlierResult;

      const link = request.link
        ? await ensureLink(db, config.linkTokenSecret, {
            orderId: request.orderId,
            issueKey: request.link.issueKey,
            ...(branch ? { branch } : {}),
            audience: request.link.audience,
            recipientEmail: request.to,
            expiresAt: request.link.expiresAt,
          })
        : undefined;
      const consent = request.consent
        ? await ensureConsentRequest(db, config.linkTokenSecret, { orderId: request.orderId, ...request.consent, recipientEmail: request.to })
        : undefined;
      const rendered = renderEmail(request.template, {
        publicBaseUrl: config.publicBaseUrl,
        linkUrl: link && linkUrl(config.publicBaseUrl, link.token),
        consentUrl: consent && consentUrl(config.publicBaseUrl, consent.token),
      });

      await db
        .insert(emailDeliveries)
        .values({
          orderId: request.orderId,
          idempotencyKey,
          purpose: request.template.kind,
          recipient: request.to,
          subject: rendered.subject,
          locale: rendered.locale,
        })
        .onConflictDoNothing({ target: emailDeliveries.idempotencyKey });
      const row = await findDelivery(idempotencyKey);
      if (!row) throw new Error(`email delivery ${idempotencyKey} vanished right after it was written`);
      const raced = settledResult(row);
      if (raced) return raced;

      // A null deadline: a link past the point of no return, which does not expire.
      const ended = (l: { revoked: boolean; expiresAt: string | null } | undefined) =>
        l !== undefined && (l.revoked || (l.expiresAt !== null && Date.parse(l.expiresAt) <= clock().getTime()));
      if (ended(link) || ended(consent)) {
        await settle(row.id, { status: 'skipped', lastError: 'the link was revoked or expired before the email went' });
        return { deliveryId: row.id, status: 'skipped' };
      }
      if (!isEmailAddress(request.to)) {
        const reason = 'not a valid email address';
        await settle(row.id, { status: 'rejected', lastError: reason });
        throw rejected(row, reason);
      }

      const answered = transport.kind === 'resend' ? await pace.takeTurn(transport.requestTimeoutMs) : async () => {};
      let outcome: Awaited<ReturnType<typeof transport.send>>;
      try {
        outcome = await transport.send({
          from: config.emailFrom,
          to: request.to,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          idempotencyKey,
        });
      } finally {
        await answered();
      }
      switch (outcome.outcome) {
        case 'sent':
          await settle(row.id, { status: 'sent', providerMessageId: outcome.providerMessageId, sentAt: clock(), lastError: null });
          metrics.email('sent', request.template.kind);
          return { deliveryId: row.id, status: 'sent' };
        case 'outbox':
          // Only the outbox keeps bodies: with a provider they would be live links at rest.
          await settle(row.id, { status: 'outbox', html: rendered.html, text: rendered.text, sentAt: clock(), lastError: null });
          metrics.email('outbox', request.template.kind);
          return { deliveryId: row.id, status: 'outbox' };
        case 'failed': {
          const reason = `${outcome.statusCode ?? 'no answer'} ${outcome.code}: ${outcome.message}`;
          metrics.email(outcome.cause === 'recipient' ? 'rejected' : 'retry', request.template.kind);
          if (outcome.cause === 'recipient') {
            await settle(row.id, { status: 'rejected', lastError: reason });
            throw rejected(row, reason);
          }
          if (outcome.cause === 'configuration') {
            // The row stays pending: once an operator fixes the key or sender, a resend can go.
            await db.update(emailDeliveries).set({ lastError: reason }).where(and(eq(emailDeliveries.id, row.id), eq(emailDeliveries.status, 'pending')));
            throw ApplicationFailure.create({ type: EMAIL_NOT_CONFIGURED, message: `The email provider refused this service's email settings: ${reason}`, nonRetryable: true });
          }
          if (outcome.statusCode === 429) await pace.holdOff(outcome.retryAfterMs ?? 1000);
          await db
            .update(emailDeliveries)
            .set({ attempts: sql`${emailDeliveries.attempts} + 1`, lastError: reason })
            .where(and(eq(emailDeliveries.id, row.id), eq(emailDeliveries.status, 'pending')));
          throw ApplicationFailure.create({
            type: EMAIL_DELIVERY_FAILED,
            message: `Sending ${request.template.kind} email failed, will retry: ${reason}`,
            nonRetryable: false,
            // A 429's Retry-After as the provider asks; otherwise the jittered backoff.
            nextRetryDelay: outcome.retryAfterMs ?? emailRetryDelayMs(Context.current().info.attempt, Math.random()),
          });
        }
      }
    },
  };
}
