// Orders for the benches: signed intake bodies, orders started directly with the Temporal client
// (as intake would start them, without the HTTP round trip), and orders walked through the wizard
// over HTTP up to service setup, where a step can be sent again and again.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { count } from 'drizzle-orm';
import { normaliseOrder, payloadHash } from '../../api/order-service.js';
import { signIntakeBody } from '../../api/signature.js';
import { orders } from '../../db/schema/index.js';
import { type OrderPayload, type OrderWorkflowInput, orderWorkflowId } from '../../domain/order.js';
import { OrderStatusKey } from '../../domain/search-attributes.js';
import { getStateQuery, type OrderState, type StepRequest } from '../../workflows/definitions.js';
import { round, waitFor } from './report.js';
import { BENCH_SECRETS, type BenchEnvironment } from './environment.js';

/**
 * A start date intake takes (at most 366 days ahead) and far enough out that no bench order's
 * setup email goes while it runs: 200 days from today, UTC.
 */
export const BENCH_START_DATE = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);

/** A valid order, unique per call. */
export function benchOrder(overrides: Partial<OrderPayload> = {}): OrderPayload {
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  return {
    orderId: `CCW-${id}`,
    product: 'A-WX',
    requestedStartDate: BENCH_START_DATE,
    timezone: 'Europe/Oslo',
    provisioningContactEmail: `contact-${id}@partner.example`,
    partner: { id: `P-${id}`, name: 'Fjord Networks AS' },
    customer: { name: 'Acme Shipping', country: 'NO' },
    services: ['messaging', 'meetings'],
    rep: { name: 'Rita Rep', email: 'rita.rep@cisco.example' },
    ...overrides,
  };
}

/** The body and headers of a signed `POST /api/orders`, as the commerce system sends it. */
export function signedIntake(order: OrderPayload): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(order);
  return { body, headers: { 'content-type': 'application/json', 'x-signature': signIntakeBody(BENCH_SECRETS.INTAKE_HMAC_SECRET, body, Math.floor(Date.now() / 1000)) } };
}

/** Starts an order's workflow as intake does (same id, input and search attribute; no intake ledger row); `settings` adds to the defaults. */
export async function startOrderDirectly(
  client: Client,
  taskQueue: string,
  payload: OrderPayload,
  startAt: Date,
  settings: Partial<OrderWorkflowInput['settings']> = {},
): Promise<void> {
  const order = normaliseOrder(payload);
  const hash = payloadHash(order);
  const input: OrderWorkflowInput = {
    order,
    payloadHash: hash,
    startAt: startAt.toISOString(),
    receivedAt: new Date().toISOString(),
    settings: { escalationAfterMs: 86_400_000, orderExpiresAfterMs: 30 * 86_400_000, ...settings },
  };
  await client.workflow.start('orderWorkflow', {
    workflowId: orderWorkflowId(order.orderId),
    taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: OrderStatusKey, value: 'SCHEDULED' }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

/** Runs `task` for every item with at most `concurrency` at once. */
export async function inParallel<T>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/**
 * Starts `orderCount` orders sharing one start moment `leadSeconds` ahead (whole seconds, so it is the
 * same instant for every order, as 09:00 on a start date is) and waits until the read model has them
 * all, on top of `alreadyRecorded`; throws if that takes longer than the lead.
 */
export async function startOrdersAtOneMoment(
  environment: BenchEnvironment,
  taskQueue: string,
  { orderCount, leadSeconds, alreadyRecorded = 0, settings = {} }: { orderCount: number; leadSeconds: number; alreadyRecorded?: number; settings?: Partial<OrderWorkflowInput['settings']> },
): Promise<{ moment: Date; creationSeconds: number }> {
  const moment = new Date(Math.ceil((Date.now() + leadSeconds * 1000) / 1000) * 1000);
  const creationStarted = Date.now();
  const payloads = Array.from({ length: orderCount }, () => benchOrder({ requestedStartDate: moment.toISOString().slice(0, 10) }));
  await inParallel(payloads, 32, (payload) => startOrderDirectly(environment.client, taskQueue, payload, moment, settings));
  await waitFor(
    'every order recorded',
    async () => ((await environment.database.db.select({ n: count() }).from(orders))[0]!.n >= orderCount + alreadyRecorded ? true : undefined),
    { timeoutMs: moment.getTime() - Date.now(), intervalMs: 250 },
  ).catch(() => {
    throw new Error(`the ${orderCount} orders were not all created and recorded within the ${leadSeconds} s lead: raise --lead-seconds`);
  });
  return { moment, creationSeconds: round((Date.now() - creationStarted) / 1000, 1) };
}

async function call(baseUrl: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: () => JSON.parse(text) as Record<string, unknown>, text };
}

/** One person at a wizard link whose order is in service setup, with what a raw Update needs too. */
export interface WizardUser {
  orderId: string;
  /** The order's provisioning contact: the link holder every wizard email goes to. */
  contactEmail: string;
  token: string;
  sessionId: string;
  linkIssueKey: string;
  /** The step every iteration sends: saving the subscription section again, the same work each time. */
  stepUrl: string;
  stepBody: string;
  stepRequest: StepRequest;
}

/** The text of an order's setup email, once it has gone; by default from the dev outbox. */
export type SetupEmailText = (order: OrderPayload) => Promise<string | undefined>;

const fromDevOutbox =
  (baseUrl: string): SetupEmailText =>
  async (order) => {
    const outbox = await call(baseUrl, 'GET', `/dev/outbox.json?orderId=${order.orderId}`);
    return (outbox.json().items as Array<{ purpose: string; text: string }>).find((e) => e.purpose === 'setup')?.text;
  };

/**
 * An order walked over HTTP through the wizard, as test/support/wizard-flow.ts does: it is in
 * SERVICE_SETUP with its session open. A partner's first order creates its organization (and sets
 * the admin password); later ones confirm that organization, which skips the password step.
 */
export async function orderInServiceSetup(
  baseUrl: string,
  client: Client,
  partner: { id: string; firstOrder: boolean },
  setupEmailText: SetupEmailText = fromDevOutbox(baseUrl),
): Promise<WizardUser> {
  const order = benchOrder({
    requestedStartDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
    timezone: 'UTC',
    partner: { id: partner.id, name: 'Fjord Networks AS' },
  });
  const intake = signedIntake(order);
  const created = await call(baseUrl, 'POST', '/api/orders', intake.body, intake.headers);
  if (created.status !== 201) throw new Error(`intake answered ${created.status}: ${created.text}`);
  const emailText = await waitFor(`the setup email of ${order.orderId}`, () => setupEmailText(order), { intervalMs: 100 });
  const token = /\/wizard\/([A-Za-z0-9_-]{43})/.exec(emailText)?.[1];
  if (!token) throw new Error('no wizard link in the setup email');
  const session = await call(baseUrl, 'POST', `/api/wizard/${token}/sessions`);
  if (session.status !== 201) throw new Error(`starting a session answered ${session.status}: ${session.text}`);
  const sessionId = String(session.json().sessionId);

  const domain = `cust-${randomUUID().slice(0, 8)}.example`;
  const steps: Array<[string, Record<string, unknown>]> = [
    ['role', { role: 'partner' }],
    ['configurer', { choice: 'self' }],
    [
      'partner-org',
      partner.firstOrder
        ? { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${domain}` }
        : { mode: 'existing', recognised: true },
    ],
    ['customer-admin', { email: `it@${domain}` }],
    ['customer-org', { mode: 'new', name: order.customer.name, country: 'NO', address: 'Strandkaien 2' }],
    ['confirm', { confirmed: true }],
    ...(partner.firstOrder ? [['partner-password', { password: 'correct horse battery staple fjord' }] as [string, Record<string, unknown>]] : []),
  ];
  for (const [step, input] of steps) {
    const response = await call(baseUrl, 'POST', `/api/wizard/${token}/steps/${step}`, { sessionId, ...input });
    if (response.status !== 200) throw new Error(`step ${step} answered ${response.status}: ${response.text}`);
  }
  const state = await client.workflow.getHandle(orderWorkflowId(order.orderId)).query(getStateQuery);
  if (state.status !== 'SERVICE_SETUP' || !state.link) throw new Error(`${order.orderId} is ${state.status}, not in service setup`);
  const input = { reviewed: true };
  return {
    orderId: order.orderId,
    contactEmail: order.provisioningContactEmail,
    token,
    sessionId,
    linkIssueKey: state.link.issueKey,
    stepUrl: `${baseUrl}/api/wizard/${token}/steps/subscription`,
    stepBody: JSON.stringify({ sessionId, ...input }),
    stepRequest: { sessionId, linkIssueKey: state.link.issueKey, step: 'subscription', input, context: {} },
  };
}

/** `count` orders in service setup for one partner: its first order creates the organization. */
export async function wizardUsers(baseUrl: string, client: Client, count: number, setupEmailText?: SetupEmailText): Promise<WizardUser[]> {
  const partnerId = `P-${randomUUID().slice(0, 12)}`;
  const users = [await orderInServiceSetup(baseUrl, client, { id: partnerId, firstOrder: true }, setupEmailText)];
  const rest: WizardUser[] = new Array(Math.max(0, count - 1));
  await inParallel([...rest.keys()], 4, async (_, index) => {
    rest[index] = await orderInServiceSetup(baseUrl, client, { id: partnerId, firstOrder: false }, setupEmailText);
  });
  return [...users, ...rest];
}

/** The order's live state, e.g. to start the signal-based variant from the very same state. */
export function orderState(client: Client, orderId: string): Promise<OrderState> {
  return client.workflow.getHandle(orderWorkflowId(orderId)).query(getStateQuery);
}
