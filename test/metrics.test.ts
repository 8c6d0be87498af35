// Metrics (SPEC §7.5), scraped after a lifecycle run and checked against what the database says
// happened: the API's /metrics (request and wizard step latency), and the worker's own endpoint on
// WORKER_METRICS_PORT with the Temporal SDK's metrics and the business series. The worker runs in
// a process of its own, as in production: Runtime.install (which opens the endpoint) can be called
// once per process, and this test process already has its runtime.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, type Harness, isoDate, makeOrder, REP_TOKEN, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { freePort, startWorkerProcess, stop } from './support/processes.js';
import { freshSubdomain, orderInServiceSetup, saveAllSections } from './support/wizard-flow.js';

let h: Harness;
let worker: ChildProcess | undefined;
let metricsUrl: string;

beforeAll(async () => {
  // Escalation a few seconds after the setup email, so one order of this file escalates.
  h = await startHarness({ ESCALATION_AFTER: '3s', EMAIL_RATE_PER_SECOND: '50' }, { worker: false });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = (await startWorkerProcess({ ...h.env, WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'warn' }, inject('workflowBundlePath'))).child;
});
afterAll(async () => {
  if (worker) await stop(worker);
  await h?.close();
});

/** One sample of a Prometheus text exposition: `name{labels} value`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** The sum of every sample of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

const scrapeWorker = async () => {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  return response.text();
};

const countRows = async (query: ReturnType<typeof sql>) => {
  const [row] = (await h.database.db.execute(query)) as unknown as Array<{ n: number }>;
  return Number(row!.n);
};

const statusOf = async (orderId: string) =>
  (await h.app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: { authorization: `Bearer ${REP_TOKEN}` } })).json().status as string;

describe('metrics after a lifecycle run', () => {
  it('count what happened: provisioned, escalated, held, emails, and wizard steps', { timeout: 180_000 }, async () => {
    // 1. Provisioned end to end.
    const services = ['messaging', 'meetings'] as const;
    const provisioned = await orderInServiceSetup(h, [...services]);
    await saveAllSections(provisioned.wizard, [...services], freshSubdomain('metrics'));
    expect((await provisioned.wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    await eventually(async () => ((await statusOf(provisioned.order.orderId)) === 'PROVISIONED' ? true : undefined), { timeoutMs: 60_000 });

    // 2. Nobody starts: escalated.
    const ignored = makeOrder({ requestedStartDate: isoDate(-1) });
    expect((await h.postOrder(ignored)).statusCode).toBe(201);
    await eventually(async () => ((await statusOf(ignored.orderId)) === 'ESCALATED' ? true : undefined), { timeoutMs: 60_000 });

    // 3. The customer organization is not recognised: on hold.
    const held = makeOrder({ requestedStartDate: isoDate(-1) });
    expect((await h.postOrder(held)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, held.orderId, 'setup')));
    expect((await wizard.start()).statusCode).toBe(201);
    const domain = `cust-${randomUUID().slice(0, 8)}.example`;
    for (const [step, input] of [
      ['role', { role: 'partner' }],
      ['configurer', { choice: 'self' }],
      ['partner-org', { mode: 'new', name: held.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` }],
      ['customer-admin', { email: `it@${domain}` }],
      ['customer-org', { mode: 'existing', recognised: false }],
    ] as const) {
      expect((await wizard.step(step, input)).statusCode).toBe(200);
    }
    expect((await wizard.step('confirm', { confirmed: true })).statusCode).toBe(409);
    await eventually(async () => ((await statusOf(held.orderId)) === 'ON_HOLD' ? true : undefined));

    // The worker's endpoint: every business series equals what the database recorded.
    const expected = {
      escalations: await countRows(sql`select count(*)::int as n from order_events where type = 'order.escalated'`),
      holds: await countRows(sql`select count(*)::int as n from order_events where type = 'order.on-hold'`),
      provisioned: await countRows(sql`select count(*)::int as n from order_events where type = 'order.provisioned'`),
      outbox: await countRows(sql`select count(*)::int as n from email_deliveries where status = 'outbox'`),
      setupEmails: await countRows(sql`select count(*)::int as n from email_deliveries where status = 'outbox' and purpose = 'setup'`),
    };
    // This file's own database: exactly the three orders above.
    expect(expected).toMatchObject({ escalations: 1, holds: 1, provisioned: 1, setupEmails: 3 });

    const text = await eventually(async () => {
      const scraped = await scrapeWorker();
      // The status gauge is refreshed from the read model every few seconds; rep and reminder
      // emails may still be going out: compare once the database and the counter agree.
      const outbox = await countRows(sql`select count(*)::int as n from email_deliveries where status = 'outbox'`);
      const settled = sample(scraped, 'orders_by_status', { status: 'ON_HOLD' }) === 1 && total(scraped, 'orders_emails_total', { outcome: 'outbox' }) === outbox;
      return settled ? scraped : undefined;
    }, { timeoutMs: 30_000 });
    expect(sample(text, 'orders_by_status', { status: 'PROVISIONED' })).toBe(1);
    expect(sample(text, 'orders_by_status', { status: 'ESCALATED' })).toBe(1);
    expect(sample(text, 'orders_by_status', { status: 'CANCELLED' })).toBe(0);
    expect(sample(text, 'orders_escalations_total')).toBe(expected.escalations);
    expect(sample(text, 'orders_holds_total', { step: 'customer-org' })).toBe(expected.holds);
    expect(sample(text, 'orders_email_to_provisioned_seconds_count')).toBe(expected.provisioned);
    // Provisioned within this test: under an hour, so in the hour's bucket, and a positive sum.
    expect(sample(text, 'orders_email_to_provisioned_seconds_bucket', { le: '3600' })).toBe(1);
    expect(sample(text, 'orders_email_to_provisioned_seconds_sum')).toBeGreaterThan(0);
    expect(total(text, 'orders_emails_total', { outcome: 'outbox' })).toBeGreaterThanOrEqual(expected.outbox);
    expect(sample(text, 'orders_emails_total', { outcome: 'outbox', purpose: 'setup' })).toBe(expected.setupEmails);
    expect(sample(text, 'orders_webhook_deliveries_total', { outcome: 'delivered' })).toBe(0);
    // The SDK's own: the provisioned order's workflow completed on this worker, and it polled.
    expect(total(text, 'temporal_workflow_completed_total')).toBeGreaterThanOrEqual(1);
    expect(total(text, 'temporal_activity_execution_latency_count')).toBeGreaterThan(0);

    // The API's endpoint: one observation per wizard step sent through this app.
    const api = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-type']).toMatch(/^text\/plain/);
    const apiText = api.body;
    expect(sample(apiText, 'orders_wizard_step_duration_seconds_count', { step: 'role', outcome: 'ok' })).toBe(2);
    expect(sample(apiText, 'orders_wizard_step_duration_seconds_count', { step: 'provision', outcome: 'ok' })).toBe(1);
    expect(sample(apiText, 'orders_wizard_step_duration_seconds_count', { step: 'confirm', outcome: 'refused' })).toBe(1);
    expect(sample(apiText, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/orders', status_code: '201' })).toBe(3);
  });
});
