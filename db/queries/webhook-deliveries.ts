// Webhook delivery attempts of one order, for the order detail and the rep console.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { webhookDeliveries, type WebhookOutcome } from '../schema/webhooks.js';

export interface WebhookDeliveryView {
  seq: number;
  messageId: string;
  endpoint: string;
  outcome: WebhookOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  attemptedAt: string;
  nextTryAt: string | null;
}

/** Every attempt, by event and then in the order they were made. */
export async function listWebhookDeliveries(db: Db, orderId: string): Promise<WebhookDeliveryView[]> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.orderId, orderId))
    .orderBy(asc(webhookDeliveries.seq), asc(webhookDeliveries.attemptedAt));
  return rows.map((r) => ({
    seq: r.seq,
    messageId: r.messageId,
    endpoint: r.endpoint,
    outcome: r.outcome,
    statusCode: r.statusCode,
    durationMs: r.durationMs,
    error: r.error,
    attemptedAt: r.attemptedAt.toISOString(),
    nextTryAt: r.nextTryAt?.toISOString() ?? null,
  }));
}
