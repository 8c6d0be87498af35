// The business series of SPEC §7.5 that the worker knows first-hand, exported with the Temporal
// SDK's own metrics on the worker's Prometheus endpoint (WORKER_METRICS_PORT, worker.ts). Each is
// recorded where its fact is written once: a timeline event the projection inserted for the first
// time (a retried activity inserts nothing and counts nothing), an email settled.
import { sql } from 'drizzle-orm';
import type { MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Database } from '../db/client.js';
import { orders } from '../db/schema/index.js';
import { ORDER_STATUSES } from '../domain/order.js';

export const METRIC = {
  ordersByStatus: 'orders_by_status',
  escalations: 'orders_escalations',
  holds: 'orders_holds',
  emailToProvisioned: 'orders_email_to_provisioned_seconds',
  emails: 'orders_emails',
  webhookDeliveries: 'orders_webhook_deliveries',
  personalDataErased: 'orders_personal_data_erased',
} as const;

/** From minutes to the 30-day expiry: a person configures an order in hours or days. */
export const EMAIL_TO_PROVISIONED_BUCKETS = [60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];

export type EmailOutcome = 'sent' | 'outbox' | 'rejected' | 'retry';

export function createBusinessMetrics(meter: MetricMeter = Runtime.instance().metricMeter) {
  const escalations = meter.createCounter(METRIC.escalations, 'orders', 'Orders escalated to their rep (nobody started the wizard in time)');
  const holds = meter.createCounter(METRIC.holds, 'orders', 'Orders put on hold: an organization was not recognised');
  const emailToProvisioned = meter.createHistogram(METRIC.emailToProvisioned, 'float', 's', 'From the setup email to PROVISIONED');
  const emails = meter.createCounter(METRIC.emails, 'emails', 'Email send attempts by outcome (retry: a retryable failure)');
  const webhookDeliveries = meter.createCounter(METRIC.webhookDeliveries, 'deliveries', 'Status webhook delivery attempts by outcome');
  const personalDataErased = meter.createCounter(METRIC.personalDataErased, 'orders', 'Orders whose personal data the retention sweep erased');
  const ordersByStatus = meter.createGauge(METRIC.ordersByStatus, 'int', 'orders', 'Orders in the read model by status');
  // Present from the start, so a dashboard shows 0 rather than "no data".
  for (const outcome of ['delivered', 'failed', 'refused']) webhookDeliveries.add(0, { outcome });
  personalDataErased.add(0);
  return {
    /** A timeline event the projection inserted for the first time. */
    orderEvent(type: string, data: Record<string, unknown>, occurredAt: string, setupEmailSentAt: string | undefined) {
      if (type === 'order.escalated') escalations.add(1);
      if (type === 'order.on-hold') holds.add(1, { step: String(data.step ?? 'unknown') });
      if (type === 'order.provisioned' && setupEmailSentAt) {
        emailToProvisioned.record(Math.max(0, (Date.parse(occurredAt) - Date.parse(setupEmailSentAt)) / 1000));
      }
    },
    email(outcome: EmailOutcome, purpose: string) {
      emails.add(1, { outcome, purpose });
    },
    /** One attempt to deliver one status change to one endpoint (activities/webhooks.ts). */
    webhook(outcome: 'delivered' | 'failed' | 'refused') {
      webhookDeliveries.add(1, { outcome });
    },
    /** Orders the retention sweep erased (activities/privacy.ts); no label names an order or a person. */
    personalDataErased(orders: number) {
      personalDataErased.add(orders);
    },
    /** Sets the status gauge from the read model (every worker replica reports the same counts). */
    async refreshOrdersByStatus(database: Database) {
      const rows = await database.db.select({ status: orders.status, count: sql<number>`count(*)::int` }).from(orders).groupBy(orders.status);
      for (const status of ORDER_STATUSES) ordersByStatus.set(rows.find((row) => row.status === status)?.count ?? 0, { status });
    },
  };
}

export type BusinessMetrics = ReturnType<typeof createBusinessMetrics>;

/** Refreshes the status gauge every `intervalMs` until stopped. */
export function startOrdersByStatusGauge(database: Database, metrics: BusinessMetrics, intervalMs = 5_000): () => void {
  const refresh = () => metrics.refreshOrdersByStatus(database).catch(() => {});
  void refresh();
  const timer = setInterval(refresh, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

