// Status webhooks out (SPEC §7.4): each status change POSTed to every WEBHOOK_ENDPOINTS entry,
// signed per the Standard Webhooks spec, every attempt recorded. The workflow queues one delivery
// per status change and waits for it before the next, so an endpoint sees an order's changes in
// seq order; Temporal retries the activity with backoff until WEBHOOK_GIVE_UP_AFTER.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { orderEvents, webhookDeliveries, type WebhookOutcome } from '../db/schema/index.js';
import { isAddressLiteral, isPublicAddress } from '../domain/network-address.js';
import type { OrderStatus } from '../domain/order.js';
import type { ActivityDeps } from './deps.js';

/** The `data` of an `order.status_changed` webhook. */
export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  /** null for the order's first status (SCHEDULED at intake). */
  previousStatus: OrderStatus | null;
  seq: number;
  occurredAt: string;
}

export const WEBHOOK_EVENT_TYPE = 'order.status_changed';
/** How long one attempt waits for the endpoint's answer. */
const ATTEMPT_TIMEOUT_MS = 15_000;

/** Stable across attempts and redeliveries: a receiver dedupes on it. */
export const webhookMessageId = (orderId: string, seq: number): string => `msg_${orderId}_${seq}`;

class TargetRefused extends Error {}

/**
 * Resolves the host, refuses it if any address is not public, and hands the socket exactly the
 * addresses it checked (no second resolution a DNS rebinding could answer differently).
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(new TargetRefused(`${hostname} resolves to ${refused.address}, a private, loopback or link-local address`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

interface AttemptResult {
  outcome: WebhookOutcome;
  statusCode: number | null;
  error: string | null;
}

/** One POST; a 3xx is an answer like any other non-2xx (never followed). */
function post(endpoint: string, body: string, headers: Record<string, string>, allowPrivate: boolean): Promise<AttemptResult> {
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' && !allowPrivate) return Promise.resolve({ outcome: 'refused', statusCode: null, error: 'plain http:// is refused' });
  // A literal address is never looked up, so it is checked here.
  if (isAddressLiteral(url.hostname) && !allowPrivate && !isPublicAddress(url.hostname)) {
    return Promise.resolve({ outcome: 'refused', statusCode: null, error: `${url.hostname} is a private, loopback or link-local address` });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup(allowPrivate), timeout: ATTEMPT_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ outcome: 'delivered', statusCode: status, error: null });
          else resolve({ outcome: 'failed', statusCode: status, error: status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}` });
        });
        res.on('error', (error) => resolve({ outcome: 'failed', statusCode: res.statusCode ?? null, error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)));
    req.on('error', (error) => resolve({ outcome: error instanceof TargetRefused ? 'refused' : 'failed', statusCode: null, error: error.message }));
    req.end(body);
  });
}

/** When Temporal will try again, from the activity's retry policy; null past the give-up time. */
function nextTryAt(now: Date): Date | null {
  const { info } = Context.current();
  const policy = info.retryPolicy;
  const initial = Number(policy?.initialInterval ?? 1_000);
  const coefficient = policy?.backoffCoefficient ?? 2;
  const maximum = Number(policy?.maximumInterval ?? initial * 100);
  const next = now.getTime() + Math.min(initial * coefficient ** (info.attempt - 1), maximum);
  const giveUp = info.scheduleToCloseTimeoutMs ? info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs : Infinity;
  return next < giveUp ? new Date(next) : null;
}

export function createWebhookActivities({ database, config, metrics, clock = () => new Date() }: ActivityDeps) {
  const { db } = database;
  const { endpoints, secret, allowPrivate } = config.webhooks;
  const signer = secret ? new Webhook(secret) : undefined;

  return {
    /**
     * Delivers one status change to every endpoint that has not yet accepted it. Throws (to be
     * retried) while any endpoint fails; a refused target is recorded once and never retried.
     */
    async deliverWebhook(change: StatusChange): Promise<{ delivered: number; refused: number }> {
      if (!signer || endpoints.length === 0) return { delivered: 0, refused: 0 };
      const messageId = webhookMessageId(change.orderId, change.seq);
      const body = JSON.stringify({ type: WEBHOOK_EVENT_TYPE, timestamp: change.occurredAt, data: change });
      // Settled endpoints are not tried again: accepted, or refused (never retried).
      const settled = await db
        .selectDistinct({ endpoint: webhookDeliveries.endpoint })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.orderId, change.orderId), eq(webhookDeliveries.seq, change.seq), inArray(webhookDeliveries.outcome, ['delivered', 'refused'])));
      const done = new Set(settled.map((d) => d.endpoint));
      const failures: string[] = [];
      let refused = 0;
      for (const endpoint of endpoints.filter((e) => !done.has(e))) {
        // Alive: a worker killed mid-attempt is noticed at the heartbeat timeout, not the attempt's.
        Context.current().heartbeat();
        const started = clock();
        // Signed per attempt: the timestamp is the attempt's, so a receiver's replay window holds.
        const headers = { 'webhook-id': messageId, 'webhook-timestamp': String(Math.floor(started.getTime() / 1000)), 'webhook-signature': signer.sign(messageId, started, body) };
        const result = await post(endpoint, body, headers, allowPrivate);
        const finished = clock();
        metrics?.webhook(result.outcome);
        if (result.outcome === 'refused') refused += 1;
        if (result.outcome === 'failed') failures.push(`${endpoint}: ${result.error}`);
        await db.insert(webhookDeliveries).values({
          orderId: change.orderId,
          seq: change.seq,
          messageId,
          endpoint,
          outcome: result.outcome,
          statusCode: result.statusCode,
          durationMs: finished.getTime() - started.getTime(),
          error: result.error,
          attemptedAt: started,
          nextTryAt: result.outcome === 'failed' ? nextTryAt(finished) : null,
        });
        if (result.outcome === 'refused') Context.current().log.warn('A webhook target was refused', { orderId: change.orderId, endpoint, reason: result.error });
      }
      if (failures.length) throw ApplicationFailure.retryable(`Webhook ${messageId} not accepted by ${failures.join('; ')}`, 'WebhookNotAccepted');
      return { delivered: endpoints.length - done.size - refused, refused };
    },

    /** The order's status changes from its timeline, in seq order: what a redelivery sends again. */
    async orderStatusChanges({ orderId }: { orderId: string }): Promise<StatusChange[]> {
      const events = await db
        .select({ seq: orderEvents.seq, status: orderEvents.status, occurredAt: orderEvents.occurredAt })
        .from(orderEvents)
        .where(eq(orderEvents.orderId, orderId))
        .orderBy(asc(orderEvents.seq));
      const changes: StatusChange[] = [];
      let previous: OrderStatus | null = null;
      for (const event of events) {
        if (event.status === previous) continue;
        changes.push({ orderId, status: event.status, previousStatus: previous, seq: event.seq, occurredAt: event.occurredAt.toISOString() });
        previous = event.status;
      }
      return changes;
    },
  };
}
