// The order lifecycle through HTTP with emails going out through the real Resend SDK to the Resend
// stand-in: a harness wired to its own stand-in, and helpers that read an order's emails from
// what the stand-in accepted (the dev outbox is off when RESEND_API_KEY is set).
import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { OrderStatus } from '../../domain/order.js';
import { eventually, type Harness, type HarnessOptions, isoDate, makeOrder, projectionCaughtUp, REP_TOKEN, startHarness, type wizardClient } from './harness.js';
import { type Delivery, type ResendStandIn, type ResendStandInOptions, startResendStandIn } from '../../simulator/stand-ins/resend.js';

export const PUBLIC_BASE_URL = 'https://orders.example';

export interface MailWorld {
  h: Harness;
  standIn: ResendStandIn;
  close(): Promise<void>;
}

/** A harness whose emails go to a stand-in of its own, so tests can count every request. */
export async function startMailWorld(
  env: Record<string, string> = {},
  standInOptions: ResendStandInOptions = {},
  harnessOptions: HarnessOptions = {},
): Promise<MailWorld> {
  const standIn = await startResendStandIn(standInOptions);
  const h = await startHarness({ RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, PUBLIC_BASE_URL, ...env }, harnessOptions);
  return {
    h,
    standIn,
    async close() {
      await h.close();
      await standIn.close();
    },
  };
}

export interface Mail extends Delivery {
  /** The email's idempotency key without the order id, e.g. `setup/link-1`, `reminder-escalation`. */
  key: string;
  /** The template kind, e.g. `setup`, `rep-escalation`. */
  purpose: string;
}

/** What the stand-in accepted for an order, oldest first. The activity keys every email `<orderId>/<purpose>[/…]`. */
export function mailsOf(standIn: ResendStandIn, orderId: string): Mail[] {
  const prefix = `${orderId}/`;
  return standIn
    .deliveries()
    .filter((d) => d.idempotencyKey?.startsWith(prefix))
    .map((d) => {
      const key = d.idempotencyKey!.slice(prefix.length);
      return { ...d, key, purpose: key.split('/')[0]! };
    });
}

/** Every request the stand-in saw for one email (retries, refusals, the delivery). */
export const requestsFor = (standIn: ResendStandIn, orderId: string, key: string) =>
  standIn.requests.filter((r) => r.idempotencyKey === `${orderId}/${key}`);

export function waitForMail(standIn: ResendStandIn, orderId: string, purpose: string, to?: string, timeoutMs = 20_000): Promise<Mail> {
  return eventually(async () => mailsOf(standIn, orderId).find((m) => m.purpose === purpose && (!to || m.to.includes(to))), { timeoutMs });
}

/** Waits for the email with this key (e.g. `setup/link-2`: the second link's setup email). */
export function waitForMailKey(standIn: ResendStandIn, orderId: string, key: string, timeoutMs = 20_000): Promise<Mail> {
  return eventually(async () => mailsOf(standIn, orderId).find((m) => m.key === key), { timeoutMs });
}

/** The token of the wizard link in an email's text. */
export function linkToken(mail: Mail): string {
  const match = new RegExp(`${PUBLIC_BASE_URL.replace(/\./g, '\\.')}/wizard/([A-Za-z0-9_-]{43})`).exec(mail.text ?? '');
  if (!match) throw new Error(`no ${PUBLIC_BASE_URL}/wizard/<token> link in the ${mail.purpose} email`);
  return match[1]!;
}

/** The actor the timeline names for a rep token: `rep:rep-<first 10 hex of sha256(token)>`. */
export const repActor = (token = REP_TOKEN) => `rep:rep-${createHash('sha256').update(token).digest('hex').slice(0, 10)}`;

export interface TimelineEvent {
  seq: number;
  type: string;
  status: OrderStatus;
  actor: string;
  data: Record<string, unknown>;
  occurredAt: string;
  /** Set on an event of a history branch a `temporal workflow reset` abandoned. */
  supersededAt?: string;
}

export interface RepTask {
  kind: string;
  status: 'open' | 'closed';
  detail: string;
  closedReason?: string;
}

export interface OrderDetail {
  orderId: string;
  status: OrderStatus;
  escalated: boolean;
  provisioningContactEmail: string;
  requestedStartDate: string;
  startAt: string;
  tasks: RepTask[];
  timeline: TimelineEvent[];
}

export async function detailOf(h: Harness, orderId: string): Promise<OrderDetail> {
  const response = await h.repGet(`/api/orders/${orderId}`);
  if (response.statusCode !== 200) throw new Error(`GET /api/orders/${orderId} answered ${response.statusCode}: ${response.body}`);
  return response.json();
}

/** Waits until the rep detail satisfies `check`, and returns it. */
export function waitForDetail(h: Harness, orderId: string, check: (detail: OrderDetail) => boolean, timeoutMs = 20_000): Promise<OrderDetail> {
  return eventually(
    async () => {
      const detail = await detailOf(h, orderId);
      return check(detail) ? detail : undefined;
    },
    { timeoutMs },
  );
}

/**
 * Waits until the read model has every event the workflow recorded (its timeline ends at the live
 * state's seq): a step is answered before its event reaches the database.
 */
export async function readModelCaughtUp(h: Harness, orderId: string): Promise<OrderDetail> {
  await projectionCaughtUp(h, orderId);
  return detailOf(h, orderId);
}

export const waitForStatus = (h: Harness, orderId: string, status: OrderStatus, timeoutMs?: number) =>
  waitForDetail(h, orderId, (d) => d.status === status, timeoutMs);

export const eventsOf = (detail: OrderDetail, type: string) => detail.timeline.filter((e) => e.type === type);

/** An order due at once (its start date was yesterday, UTC): returns it with its setup email. */
export async function orderWithLink(world: MailWorld, overrides: Parameters<typeof makeOrder>[0] = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', ...overrides });
  const intake = await world.h.postOrder(order);
  expect(intake.statusCode, intake.body).toBe(201);
  const setup = await waitForMail(world.standIn, order.orderId, 'setup', order.provisioningContactEmail);
  return { order, setup, token: linkToken(setup) };
}

/** The Temporal status of the order's workflow, e.g. RUNNING or COMPLETED. */
export async function workflowStatus(h: Harness, orderId: string): Promise<string> {
  return (await h.client.workflow.getHandle(`order-${orderId}`).describe()).status.name;
}

type WizardClient = ReturnType<typeof wizardClient>;

/** Opens a session and walks steps 3–6 as a partner configuring a first order; the next step is 7. */
export async function walkToCustomerOrg(wizard: WizardClient, partnerName: string) {
  const started = await wizard.start();
  expect(started.statusCode, started.body).toBe(201);
  const domain = `cust-${randomUUID().slice(0, 8)}.example`;
  const steps: Array<[string, Record<string, unknown>]> = [
    ['role', { role: 'partner' }],
    ['configurer', { choice: 'self' }],
    ['partner-org', { mode: 'new', name: partnerName, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${domain}` }],
    ['customer-admin', { email: `it@${domain}` }],
  ];
  for (const [step, input] of steps) {
    const response = await wizard.step(step, input);
    expect(response.statusCode, `${step}: ${response.body}`).toBe(200);
  }
}

/** Walks the wizard to the point of no return (step 8 confirmed): the order is ORDER_CONFIGURED. */
export async function configureOrder(wizard: WizardClient, partnerName: string) {
  await walkToCustomerOrg(wizard, partnerName);
  for (const [step, input] of [
    ['customer-org', { mode: 'new', name: 'Acme Shipping AS', country: 'NO', address: 'Strandkaien 2' }],
    ['confirm', { confirmed: true }],
  ] as const) {
    const response = await wizard.step(step, input);
    expect(response.statusCode, `${step}: ${response.body}`).toBe(200);
  }
  expect((await wizard.view()).json()).toMatchObject({ status: 'ORDER_CONFIGURED' });
}
