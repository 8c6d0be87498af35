// Temporal itself goes away and comes back: a dev server of this file's own, its state in a db
// file, is stopped while orders sleep towards their start moment, one waits for its escalation and
// one is half-way through the wizard; it is started again on the same file and port. The timers
// that fell due while it was down still fire (the emails go), and the wizard carries on to
// PROVISIONED with the same session. The worker and the API in this process stay up throughout.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { normaliseOrder, payloadHash } from '../api/order-service.js';
import { type OrderPayload, type OrderWorkflowInput, orderWorkflowId } from '../domain/order.js';
import { OrderStatusKey, SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { ensureTemporalCli } from '../scripts/temporal-binaries.js';
import { type DevServer, startTemporalDevServer } from '../scripts/temporal-dev-server.js';
import type { orderWorkflow } from '../workflows/order.js';
import { eventually, type Harness, isoDate, makeOrder, outbox, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';

const ESCALATION_AFTER_MS = 5_000;
/** How far ahead the sleeping orders' start moments are: past them while the server is down. */
const START_AHEAD_MS = 5_000;

let stateDir: string;
let cliPath: string;
let server: DevServer;
let h: Harness;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'temporal-restart-'));
  cliPath = await ensureTemporalCli(() => {});
  server = await startDevServer();
  h = await startHarness({ TEMPORAL_ADDRESS: server.address, ESCALATION_AFTER: `${ESCALATION_AFTER_MS}ms` });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

function startDevServer(port?: number) {
  return startTemporalDevServer({
    cliPath,
    dbFile: path.join(stateDir, 'temporal.db'),
    ...(port ? { port } : {}),
    searchAttributes: SEARCH_ATTRIBUTES,
    log: () => {},
  });
}

/**
 * Starts an order's workflow as intake does, but with a start moment `aheadMs` from now: intake
 * computes it from a date and an HH:MM, which cannot be a few seconds away.
 */
async function startSleepingOrder(aheadMs: number): Promise<OrderPayload> {
  const order = makeOrder({ requestedStartDate: isoDate(0), timezone: 'UTC' });
  const normalised = normaliseOrder(order);
  const input: OrderWorkflowInput = {
    order: normalised,
    payloadHash: payloadHash(normalised),
    startAt: new Date(Date.now() + aheadMs).toISOString(),
    receivedAt: new Date().toISOString(),
    settings: { escalationAfterMs: h.config.escalationAfterMs, orderExpiresAfterMs: h.config.orderExpiresAfterMs },
  };
  await h.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
    workflowId: orderWorkflowId(order.orderId),
    taskQueue: h.config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: OrderStatusKey, value: 'SCHEDULED' }],
  });
  return order;
}

const liveStatus = async (orderId: string) => (await h.repGet(`/api/orders/${orderId}`)).json().status as string;

it('timers that fell due while the server was down fire after it is back, and the wizard goes on to PROVISIONED', { timeout: 180_000 }, async () => {
  // Half-way through the wizard: configured up to step 8, session open.
  const inWizard = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', services: ['messaging'] });
  expect((await h.postOrder(inWizard)).statusCode).toBe(201);
  const wizard = wizardClient(h, tokenOf(await waitForEmail(h, inWizard.orderId, 'setup')));
  expect((await wizard.start()).statusCode).toBe(201);
  expect((await wizard.step('role', { role: 'partner' })).statusCode).toBe(200);
  expect((await wizard.step('configurer', { choice: 'self' })).statusCode).toBe(200);

  // Sleeping towards their start moment.
  const sleeping = [await startSleepingOrder(START_AHEAD_MS), await startSleepingOrder(START_AHEAD_MS)];
  for (const order of sleeping) expect(await eventually(async () => ((await liveStatus(order.orderId)) === 'SCHEDULED' ? true : undefined))).toBe(true);
  expect(await outbox(h, sleeping[0]!.orderId)).toEqual([]);

  // Waiting for its escalation (last, so it is still due when the server stops): the setup email went, nobody opened the wizard.
  const escalating = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  expect((await h.postOrder(escalating)).statusCode).toBe(201);
  await waitForEmail(h, escalating.orderId, 'setup');
  expect(await liveStatus(escalating.orderId)).toBe('AWAITING_SETUP');

  const port = Number(server.address.split(':').at(-1));
  await server.stop();
  // Down past every one of those moments: the sleeping orders' start and the escalation.
  const dueBy = Date.now() + Math.max(START_AHEAD_MS, ESCALATION_AFTER_MS) + 1_000;
  await eventually(async () => (Date.now() > dueBy ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
  expect(await outbox(h, sleeping[0]!.orderId)).toEqual([]);

  server = await startDevServer(port);

  for (const order of sleeping) {
    const email = await waitForEmail(h, order.orderId, 'setup');
    const everyEmail = async () => JSON.stringify((await Promise.all([...sleeping, escalating, inWizard].map((o) => outbox(h, o.orderId)))).flat().map((e) => [e.orderId, e.purpose, e.to]));
    expect(email.to, await everyEmail()).toBe(order.provisioningContactEmail);
  }
  await eventually(async () => ((await liveStatus(escalating.orderId)) === 'ESCALATED' ? true : undefined));
  await waitForEmail(h, escalating.orderId, 'rep-escalation');

  // The same session carries on where it stopped.
  const domain = `${inWizard.orderId.toLowerCase()}.example`;
  const steps: Array<[string, Record<string, unknown>]> = [
    ['partner-org', { mode: 'new', name: inWizard.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${domain}` }],
    ['customer-admin', { email: `it@${domain}` }],
    ['customer-org', { mode: 'new', name: inWizard.customer.name, country: 'NO', address: 'Strandkaien 2' }],
    ['confirm', { confirmed: true }],
    ['partner-password', { password: 'correct horse battery staple fjord' }],
    ['subscription', { reviewed: true }],
    ['provision', { confirm: true }],
  ];
  for (const [step, input] of steps) {
    const answer = await eventually(async () => {
      const response = await wizard.step(step, input);
      // 503 while the worker's connection to the restarted server comes back; anything else is the answer.
      return response.statusCode === 503 ? undefined : response;
    });
    expect(answer.statusCode, `${step}: ${answer.body}`).toBe(200);
  }
  await eventually(async () => ((await wizard.view()).json().status === 'PROVISIONED' ? true : undefined));
  expect(await liveStatus(inWizard.orderId)).toBe('PROVISIONED');
});
