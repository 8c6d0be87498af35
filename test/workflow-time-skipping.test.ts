// The order workflow on Temporal's time-skipping test server, with real durations: days pass in
// milliseconds, so the start-date timer is tested as it will run in production.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import protoPkg from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities } from '../activities/index.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { consentRequests, emailDeliveries, linkTokens, orderEvents, organizations, orgUsers, repTasks } from '../db/schema/index.js';
import type { OrderWorkflowInput } from '../domain/order.js';
import { getStateQuery, startSessionUpdate, type StepContext, type StepRequest, submitStepUpdate } from '../workflows/definitions.js';
import { eventually, makeOrder, openTestDatabase } from './support/harness.js';

const { temporal } = protoPkg;
let env: TestWorkflowEnvironment;
let database: Database;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
  // The test server starts empty: register the attributes the workflow upserts, as the dev server does.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { OrderStatus: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  database = await openTestDatabase();
});
afterAll(async () => {
  await env?.teardown();
  await database?.close();
});

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The production defaults (real durations), with only the required secrets set. */
const defaultConfig = () =>
  loadConfig({ NODE_ENV: 'test', INTAKE_HMAC_SECRET: 'x'.repeat(32), REP_API_TOKENS: 'y'.repeat(32), LINK_TOKEN_SECRET: 'z'.repeat(32) });

/** Workers for the order and email task queues of a fresh queue name, on the time-skipping server. */
async function startWorkers(config: ReturnType<typeof loadConfig>) {
  const taskQueue = `ts-${randomUUID()}`;
  const activities = createActivities({ database, config });
  const workers = await Promise.all(
    [taskQueue, `${taskQueue}-email`].map((queue) =>
      Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities }),
    ),
  );
  return { taskQueue, workers };
}

/** The workflow's input for `order` (in UTC), received at `now` and due at `startAtMs`. */
const inputFor = (order: ReturnType<typeof makeOrder>, now: number, startAtMs: number, settings: OrderWorkflowInput['settings']): OrderWorkflowInput => ({
  order: { ...order, timezone: 'UTC' },
  payloadHash: 'h',
  startAt: new Date(startAtMs).toISOString(),
  receivedAt: new Date(now).toISOString(),
  settings,
});

/** The order's rep tasks as `kind:status`. */
const tasksOf = async (orderId: string) => (await database.db.select().from(repTasks).where(eq(repTasks.orderId, orderId))).map((t) => `${t.kind}:${t.status}`);

/** Starts the order's workflow, waits for its first link and opens a wizard session on it. */
async function startWithSession(taskQueue: string, input: OrderWorkflowInput) {
  const handle = await env.client.workflow.start('orderWorkflow', { workflowId: `order-${input.order.orderId}`, taskQueue, args: [input] });
  await eventually(async () => ((await handle.query(getStateQuery)).link ? true : undefined));
  const { sessionId } = await handle.executeUpdate(startSessionUpdate, { args: [{ linkIssueKey: 'link-1' }] });
  return { handle, sessionId };
}

it('runs the lifecycle on the real durations: email on the start date, escalation a day later, reminder 48 h before expiry, expiry at 30 days', async () => {
  const config = defaultConfig();
  expect(config.escalationAfterMs).toBe(DAY);
  expect(config.orderExpiresAfterMs).toBe(30 * DAY);
  const { taskQueue, workers } = await startWorkers(config);
  const now = await env.currentTimeMs();
  const order = makeOrder();
  const input = inputFor(order, now, now + 3 * DAY, { escalationAfterMs: config.escalationAfterMs, orderExpiresAfterMs: config.orderExpiresAfterMs });
  const events = async () =>
    (await database.db.select().from(orderEvents).where(eq(orderEvents.orderId, order.orderId)).orderBy(asc(orderEvents.seq))).map((e) => e.type);
  const emails = async () =>
    (await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, order.orderId)).orderBy(asc(emailDeliveries.createdAt))).map(
      (e) => `${e.purpose}:${e.recipient}`,
    );

  const scenario = (async () => {
    const handle = await env.client.workflow.start('orderWorkflow', { workflowId: `order-${order.orderId}`, taskQueue, args: [input] });
    const status = async () => (await handle.query(getStateQuery)).status;
    expect(await status()).toBe('SCHEDULED');

    await env.sleep(3 * DAY - HOUR);
    expect(await status()).toBe('SCHEDULED');
    expect(await emails()).toEqual([]);

    await env.sleep(2 * HOUR);
    expect(await status()).toBe('AWAITING_SETUP');
    expect(await eventually(async () => ((await emails()).length ? emails() : undefined))).toEqual([`setup:${order.provisioningContactEmail}`]);

    await env.sleep(DAY - 2 * HOUR);
    expect(await status()).toBe('AWAITING_SETUP');
    await env.sleep(2 * HOUR);
    expect(await status()).toBe('ESCALATED');
    expect(await eventually(async () => ((await emails()).length === 3 ? emails() : undefined))).toEqual(
      expect.arrayContaining([`rep-escalation:${order.rep.email}`, `reminder-escalation:${order.provisioningContactEmail}`]),
    );

    // 30 days after the setup email, less 48 h, the contact is reminded once.
    await env.sleep(27 * DAY - 2 * HOUR);
    expect((await emails()).filter((e) => e.startsWith('reminder-expiry'))).toEqual([]);
    await env.sleep(2 * HOUR);
    const reminders = async () => (await emails()).filter((e) => e.startsWith('reminder-expiry'));
    expect(await eventually(async () => ((await reminders()).length ? reminders() : undefined))).toEqual([
      `reminder-expiry:${order.provisioningContactEmail}`,
    ]);

    await env.sleep(2 * DAY);
    expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
    expect((await emails()).filter((e) => e.startsWith('rep-expired'))).toHaveLength(1);
    expect((await emails()).filter((e) => e.startsWith('setup'))).toHaveLength(1);
    const types = await events();
    for (const once of ['order.setup-email', 'order.escalated', 'order.expiry-reminder', 'order.expired']) {
      expect(types.filter((t) => t === once)).toHaveLength(1);
    }
  })();
  await Promise.all(workers.map((worker) => worker.runUntil(scenario)));
});

it('follows up a wizard session left before step 8: a reminder after 2 days idle, rep task setup-abandoned a day later', async () => {
  const config = defaultConfig();
  expect(config.sessionIdleReminderAfterMs).toBe(2 * DAY);
  const { taskQueue, workers } = await startWorkers(config);
  const now = await env.currentTimeMs();
  const order = makeOrder();
  const input = inputFor(order, now, now, { escalationAfterMs: config.escalationAfterMs, orderExpiresAfterMs: config.orderExpiresAfterMs, sessionIdleReminderAfterMs: config.sessionIdleReminderAfterMs });
  const emails = async () =>
    (await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, order.orderId))).map((e) => `${e.purpose}:${e.recipient}`);
  const tasks = () => tasksOf(order.orderId);

  const scenario = (async () => {
    const { handle } = await startWithSession(taskQueue, input);
    const idle = async () => (await emails()).filter((e) => e.startsWith('reminder-idle'));

    await env.sleep(2 * DAY - HOUR);
    expect(await idle()).toEqual([]);
    await env.sleep(2 * HOUR);
    expect(await eventually(async () => ((await idle()).length ? idle() : undefined))).toEqual([`reminder-idle:${order.provisioningContactEmail}`]);
    expect(await tasks()).not.toContain('setup-abandoned:open');

    await env.sleep(DAY);
    expect(await eventually(async () => ((await tasks()).includes('setup-abandoned:open') ? tasks() : undefined))).toContain('setup-abandoned:open');
    await env.sleep(5 * DAY);
    expect(await idle()).toHaveLength(1);
    expect((await tasks()).filter((t) => t.startsWith('setup-abandoned'))).toHaveLength(1);
    await handle.terminate('test done');
  })();
  await Promise.all(workers.map((worker) => worker.runUntil(scenario)));
});

it('waits for an existing org’s consent: its admin is reminded and rep task awaiting-consent opens after a day; the order still expires at 30 days', async () => {
  const config = defaultConfig();
  const { taskQueue, workers } = await startWorkers(config);
  const now = await env.currentTimeMs();
  const order = makeOrder();
  const domain = `consent-${randomUUID().slice(0, 8)}.example`;
  const [org] = await database.db.insert(organizations).values({ kind: 'customer', name: 'Stranger AS', country: 'SE' }).returning();
  await database.db.insert(orgUsers).values([
    { orgId: org!.id, email: `admin@${domain}`, role: 'admin' },
    { orgId: org!.id, email: `it@${domain}`, role: 'user' },
  ]);
  const input = inputFor(order, now, now, { escalationAfterMs: config.escalationAfterMs, orderExpiresAfterMs: config.orderExpiresAfterMs, sessionIdleReminderAfterMs: config.sessionIdleReminderAfterMs });
  const emails = async () =>
    (await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, order.orderId))).map((e) => `${e.idempotencyKey.split('/').slice(1).join('/')}:${e.recipient}`);
  const tasks = () => tasksOf(order.orderId);

  const scenario = (async () => {
    const { handle, sessionId } = await startWithSession(taskQueue, input);
    // The steps as the API sends them, with the facts it looked up (api/wizard-service.ts).
    const unnamed = { orgId: org!.id, kind: 'customer' as const, name: `the organization that it@${domain} already belongs to`, belongsTo: `it@${domain}` };
    const steps: Array<[string, Record<string, unknown>, StepContext]> = [
      ['role', { role: 'partner' }, {}],
      ['configurer', { choice: 'self' }, {}],
      ['partner-org', { mode: 'new', name: 'Fjord Networks AS', country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` }, { partnerOrg: null, partnerAdminEmail: { kind: 'unknown' } }],
      ['customer-admin', { email: `it@${domain}` }, { adminEmail: { kind: 'customer-org', org: unnamed } }],
      ['customer-org', { mode: 'existing', recognised: true, orgId: org!.id }, {}],
      ['confirm', { confirmed: true }, { consent: { orgId: org!.id, managedByOrgId: null, adminEmail: `admin@${domain}` } }],
    ];
    for (const [step, stepInput, context] of steps) {
      await handle.executeUpdate(submitStepUpdate, { args: [{ sessionId, linkIssueKey: 'link-1', step: step as 'role', input: stepInput, context }] });
    }
    expect((await handle.query(getStateQuery)).status).toBe('AWAITING_CONSENT');
    const asks = async () => (await emails()).filter((e) => e.startsWith('consent-'));
    expect(await eventually(async () => ((await asks()).length ? asks() : undefined))).toEqual([`consent-request/consent-1:admin@${domain}`]);

    await env.sleep(DAY - HOUR);
    expect(await asks()).toHaveLength(1);
    expect(await tasks()).not.toContain('awaiting-consent:open');
    await env.sleep(2 * HOUR);
    expect(await eventually(async () => ((await tasks()).includes('awaiting-consent:open') ? tasks() : undefined))).toContain('awaiting-consent:open');
    expect(await eventually(async () => ((await asks()).length === 2 ? asks() : undefined))).toContain(`consent-reminder/consent-1:admin@${domain}`);

    // Nobody answers: the order expires with its deadline, the consent link with it; no expiry reminder claims nobody configured it.
    await env.sleep(30 * DAY);
    expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
    expect(await asks()).toHaveLength(2);
    expect((await emails()).filter((e) => e.startsWith('reminder-expiry'))).toEqual([]);
    expect(await eventually(async () => ((await tasks()).includes('awaiting-consent:closed') ? tasks() : undefined))).toEqual(
      expect.arrayContaining(['awaiting-consent:closed', 'expired:open']),
    );
    const [request] = await database.db.select().from(consentRequests).where(eq(consentRequests.orderId, order.orderId));
    expect(request!.revokedAt).not.toBeNull();
    expect(await database.db.select().from(orgUsers).where(eq(orgUsers.orgId, org!.id))).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: `it@${domain}`, role: 'user' })]),
    );
  })();
  await Promise.all(workers.map((worker) => worker.runUntil(scenario)));
});

it('after the point of no return: no expiry, a finish-setup reminder after 3 days, rep task setup-stalled after 7', async () => {
  const config = defaultConfig();
  expect([config.setupReminderAfterMs, config.setupEscalationAfterMs]).toEqual([3 * DAY, 7 * DAY]);
  const { taskQueue, workers } = await startWorkers(config);
  const now = await env.currentTimeMs();
  const order = makeOrder();
  const domain = `ts-${randomUUID().slice(0, 8)}.example`;
  const input = inputFor(order, now, now, {
    escalationAfterMs: config.escalationAfterMs,
    orderExpiresAfterMs: config.orderExpiresAfterMs,
    setupReminderAfterMs: config.setupReminderAfterMs,
    setupEscalationAfterMs: config.setupEscalationAfterMs,
  });
  const emails = async () =>
    (await database.db.select().from(emailDeliveries).where(eq(emailDeliveries.orderId, order.orderId))).map((e) => `${e.purpose}:${e.recipient}`);
  const tasks = () => tasksOf(order.orderId);

  const scenario = (async () => {
    const { handle, sessionId } = await startWithSession(taskQueue, input);
    const steps: Array<[StepRequest['step'], Record<string, unknown>, StepRequest['context']]> = [
      ['role', { role: 'partner' }, {}],
      ['configurer', { choice: 'self' }, {}],
      ['partner-org', { mode: 'new', name: 'Fjord TS AS', country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` }, { partnerOrg: null, partnerAdminEmail: { kind: 'unknown' } }],
      ['customer-admin', { email: `it@${domain}` }, { adminEmail: { kind: 'unknown' } }],
      ['customer-org', { mode: 'new', name: 'Acme TS AS', country: 'NO', address: 'Strandkaien 2' }, {}],
      ['confirm', { confirmed: true }, {}],
    ];
    for (const [step, stepInput, context] of steps) {
      await handle.executeUpdate(submitStepUpdate, { args: [{ sessionId, linkIssueKey: 'link-1', step, input: stepInput, context }] });
    }
    expect((await handle.query(getStateQuery)).status).toBe('ORDER_CONFIGURED');
    const reminders = async () => (await emails()).filter((e) => e.startsWith('finish-setup'));

    await env.sleep(3 * DAY - HOUR);
    expect(await reminders()).toEqual([]);
    await env.sleep(2 * HOUR);
    expect(await eventually(async () => ((await reminders()).length ? reminders() : undefined))).toEqual([`finish-setup:${order.provisioningContactEmail}`]);
    expect(await tasks()).not.toContain('setup-stalled:open');

    await env.sleep(4 * DAY);
    expect(await eventually(async () => ((await tasks()).includes('setup-stalled:open') ? tasks() : undefined))).toContain('setup-stalled:open');
    expect(await eventually(async () => ((await emails()).includes(`rep-setup-stalled:${order.rep.email}`) ? true : undefined))).toBe(true);

    // Far past the 30 days the order had before step 8: it has not expired, its link has no deadline, nothing was sent twice.
    await env.sleep(30 * DAY);
    const state = await handle.query(getStateQuery);
    expect(state.status).toBe('ORDER_CONFIGURED');
    expect(state.link?.expiresAt).toBeNull();
    const [link] = await database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId));
    expect(link?.expiresAt).toBeNull();
    expect(await reminders()).toHaveLength(1);
    expect((await tasks()).filter((t) => t.startsWith('setup-stalled'))).toHaveLength(1);
    await handle.terminate('test done');
  })();
  await Promise.all(workers.map((worker) => worker.runUntil(scenario)));
});
