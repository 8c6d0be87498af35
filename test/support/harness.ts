// One test file's world: a real worker on its own task queue against the run's Temporal dev
// server and database, the API built around a real Temporal client, and signed-request helpers.
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { LightMyRequestResponse } from 'fastify';
import { NativeConnection } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import type { WebexGateway } from '../../activities/provisioning.js';
import { apiLoggerOptions, buildApp } from '../../api/app.js';
import { signIntakeBody } from '../../api/signature.js';
import { loadConfig } from '../../config.js';
import { type Database, openDatabase } from '../../db/client.js';
import { fileDatabaseUrl } from './database.js';
import { hashLinkToken } from '../../domain/link-token.js';
import { type OrderPayload, type OrderStatus, orderWorkflowId } from '../../domain/order.js';
import type { EmailTransport } from '../../emails/transport.js';
import { readModelRow } from '../../activities/projection.js';
import { linkTokens, orders } from '../../db/schema/index.js';
import { temporalConnectionOptions } from '../../temporal/connection.js';
import { orderDataConverter } from '../../temporal/data-converter.js';
import { createOrderDataKeys } from '../../privacy/data-keys.js';
import { getStateQuery } from '../../workflows/definitions.js';
import { createOrderWorkers } from '../../worker.js';

export const HMAC_SECRET = 'test-intake-secret-0123456789';
export const REP_TOKEN = 'test-rep-token-0123456789abcdef';
/**
 * The payload keys of every test process, as in step 1 of a rotation: `current` encrypts, `next`
 * only decrypts. Shared by all test files, because they share the Temporal namespace and the read
 * model: one file's client may act on another's order (and test/encryption.test.ts rotates to `next`).
 */
export const TEST_PAYLOAD_KEYS = {
  current: { id: 'test-current', key: Buffer.alloc(32, 0x5a) },
  next: { id: 'test-next', key: Buffer.alloc(32, 0xa5) },
};

export { openTestDatabase } from './database.js';

export interface Harness {
  app: Awaited<ReturnType<typeof buildApp>>;
  client: Client;
  database: Database;
  config: ReturnType<typeof loadConfig>;
  /** The variables `config` was loaded from: a worker process given them is configured alike. */
  env: Record<string, string>;
  /** Every log line the API wrote, as parsed JSON (its warnings and errors also go to `console`, shown when a test fails). */
  logLines: Array<Record<string, unknown>>;
  postOrder(body: unknown, options?: { signature?: string | null; timestamp?: number; raw?: string }): Promise<LightMyRequestResponse>;
  repGet(url: string, token?: string | null): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** A database of the test's own instead of the run's shared one; the harness closes it. */
  database?: Database;
  /** false: no worker in this process (a test runs its own, e.g. in a child process to kill). */
  worker?: boolean;
  /** The Webex gateway of the worker's activities; unset → the database gateway. */
  webex?: WebexGateway;
  /** The worker's email transport; unset → from the config (Resend or the dev outbox). */
  email?: EmailTransport;
}

export async function startHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-test-'));
  const taskQueue = `test-${randomUUID()}`;
  const configEnv: Record<string, string> = {
    NODE_ENV: 'test',
    INTAKE_HMAC_SECRET: HMAC_SECRET,
    REP_API_TOKENS: `${REP_TOKEN},second-rep-token-0123456789`,
    LINK_TOKEN_SECRET: 'test-link-token-secret-0123456789abcdef',
    PAYLOAD_ENCRYPTION_KEYS: [TEST_PAYLOAD_KEYS.current, TEST_PAYLOAD_KEYS.next].map(({ id, key }) => `${id}:${key.toString('base64')}`).join(','),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    // The file's own database: a worker or API process the test starts shares it through this variable.
    DATABASE_URL: await fileDatabaseUrl(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    // A deployment of the file's own: its workers' version is made current as they start
    // (WORKER_SET_CURRENT, on outside production), whatever other files run beside it.
    TEMPORAL_DEPLOYMENT_NAME: taskQueue,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // Closing a test's worker does not wait the production 30 s for an activity a test left hanging.
    WORKER_SHUTDOWN_GRACE: '2s',
    // Worker processes a test starts serve no metrics unless it asks (they would share one port).
    WORKER_METRICS_PORT: '0',
    ...env,
  };
  const config = loadConfig(configEnv);
  const database = options.database ?? (await openDatabase({ url: configEnv.DATABASE_URL!, maxConnections: 5 }));
  // The run's dev server, unless env names another (a test that restarts a server of its own).
  const temporalAddress = config.temporal.address ?? inject('temporalAddress');
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, temporalAddress));
  const workers =
    options.worker === false
      ? undefined
      : await createOrderWorkers({
          config,
          database,
          connection: nativeConnection,
          workflowBundlePath: inject('workflowBundlePath'),
          ...(options.webex ? { webex: options.webex } : {}),
          ...(options.email ? { email: options.email } : {}),
        });
  const workerRun = workers?.run();
  // The workers' version becomes current meanwhile (WORKER_SET_CURRENT): awaited below.
  const madeCurrent = workers?.makeCurrent();
  const connection = await Connection.connect(temporalConnectionOptions(config, temporalAddress));
  // Payloads encrypted as in production: the client and the API share the orders' data keys, as in server.ts.
  const dataKeys = createOrderDataKeys(database.db, config.payloadEncryptionKeys);
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config, dataKeys) });

  const logLines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logLines.push(entry);
        // Warnings and errors are shown with a failed test (test-logs.ts); request lines only here.
        if (typeof entry.level === 'number' && entry.level >= 40) console.error(`[api] ${line}`);
      }
      callback();
    },
  });
  const app = await buildApp({
    config,
    database,
    temporal: client,
    temporalUiUrl: config.temporal.uiUrl,
    dataKeys,
    // The production log settings (redaction included), written where the tests can read them.
    logger: { ...apiLoggerOptions({ nodeEnv: 'test', logLevel: 'info' }), stream },
  });
  // Orders a test starts at once would otherwise wait for the version to become current.
  await madeCurrent;

  return {
    app,
    client,
    database,
    config,
    env: configEnv,
    logLines,
    postOrder(body, options = {}) {
      const raw = options.raw ?? JSON.stringify(body);
      const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
      const signature = options.signature === undefined ? signIntakeBody(HMAC_SECRET, raw, timestamp) : options.signature;
      return app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-signature': signature }) },
        payload: raw,
      });
    },
    repGet(url, token = REP_TOKEN) {
      return app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    },
    async close() {
      await app.close();
      workers?.shutdown();
      await workerRun;
      await nativeConnection.close();
      await connection.close();
      await database.close();
    },
  };
}

/**
 * A valid order, unique per call; `overrides` replace top-level fields. Its start date is 200 days
 * ahead: within intake's 366 days, and far enough that its setup email never goes during a test.
 */
export function makeOrder(overrides: Partial<OrderPayload> = {}): OrderPayload {
  const id = randomUUID().slice(0, 8);
  return {
    orderId: `CCW-${id}`,
    product: 'A-WX',
    requestedStartDate: isoDate(200),
    timezone: 'Europe/Oslo',
    provisioningContactEmail: `contact-${id}@partner.example`,
    partner: { id: `P-${id}`, name: 'Fjord Networks AS' },
    customer: { name: 'Acme Shipping', country: 'NO' },
    services: ['messaging', 'meetings'],
    rep: { name: 'Rita Rep', email: 'rita.rep@cisco.example' },
    // English, so tests can name texts and buttons; the Norwegian ones say `locale: 'nb'`.
    locale: 'en',
    ...overrides,
  };
}

/** Polls `check` until it returns a value other than undefined (no fixed sleeps in tests). */
export async function eventually<T>(check: () => Promise<T | undefined>, { timeoutMs = 20_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface OutboxEmail {
  id: string;
  orderId: string;
  purpose: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  createdAt: string;
}

/** The dev outbox's emails for an order (newest first), as the /dev/outbox page lists them. */
export async function outbox(h: Harness, orderId: string): Promise<OutboxEmail[]> {
  const response = await h.app.inject({ method: 'GET', url: `/dev/outbox.json?orderId=${encodeURIComponent(orderId)}` });
  if (response.statusCode !== 200) throw new Error(`outbox answered ${response.statusCode}`);
  return response.json().items;
}

/** Waits for the order's email of `purpose` (to `to`, if given) and returns it. */
export function waitForEmail(h: Harness, orderId: string, purpose: string, to?: string): Promise<OutboxEmail> {
  return eventually(async () => (await outbox(h, orderId)).find((e) => e.purpose === purpose && (!to || e.to === to)));
}

/** The wizard token in an email's "Configure now" link. */
export function tokenOf(email: OutboxEmail): string {
  const match = /\/wizard\/([A-Za-z0-9_-]{43})/.exec(email.text);
  if (!match) throw new Error(`no wizard link in ${email.purpose} email`);
  return match[1]!;
}

/** Today's date in UTC, shifted by `days`: a start date in the past sends the email at once. */
export function isoDate(days = 0): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Waits until the read model has every event the order's workflow has recorded. A wizard Update is
 * answered before its events reach PostgreSQL (order/projections.ts), and tests read the
 * timeline, the rep's lists and the orders table right after a step, or restart the workers.
 */
export async function projectionCaughtUp(h: Harness, orderId: string): Promise<void> {
  const { seq } = await h.client.workflow.getHandle(orderWorkflowId(orderId)).query(getStateQuery);
  await eventually(
    async () => {
      const [row] = await h.database.db.select({ lastSeq: orders.lastSeq }).from(orders).where(eq(orders.orderId, orderId));
      return row && row.lastSeq >= seq ? true : undefined;
    },
    { intervalMs: 10 },
  );
}

/** A person in the wizard behind one link; an accepted session start or step returns once the read model has it. */
export function wizardClient(h: Harness, token: string) {
  let sessionId = '';
  let orderId: string | undefined;
  async function caughtUp() {
    if (!orderId) {
      const [link] = await h.database.db.select({ orderId: linkTokens.orderId }).from(linkTokens).where(eq(linkTokens.tokenHash, hashLinkToken(token)));
      if (!link) throw new Error('a wizard Update was accepted for a token the read model does not know');
      orderId = link.orderId;
    }
    await projectionCaughtUp(h, orderId);
  }
  return {
    get sessionId() {
      return sessionId;
    },
    view: () => h.app.inject({ method: 'GET', url: `/api/wizard/${token}${sessionId ? `?sessionId=${sessionId}` : ''}` }),
    async start() {
      const response = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/sessions` });
      if (response.statusCode === 201) {
        sessionId = response.json().sessionId;
        await caughtUp();
      }
      return response;
    },
    async step(step: string, input: Record<string, unknown> = {}, session = sessionId) {
      const response = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/${step}`, payload: { sessionId: session, ...input } });
      if (response.statusCode === 200) await caughtUp();
      return response;
    },
    subdomain: (name: string) => h.app.inject({ method: 'GET', url: `/api/wizard/${token}/subdomains/${encodeURIComponent(name)}` }),
  };
}

export function repAction(h: Harness, orderId: string, action: string, body: Record<string, unknown> = {}, token = REP_TOKEN) {
  return h.app.inject({
    method: 'POST',
    url: `/api/orders/${orderId}/actions/${action}`,
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
}

/** Puts an order in the read model as intake's projection would (rows that reference orders need it). */
export async function insertOrderRow(database: Database, order: OrderPayload, status: OrderStatus): Promise<void> {
  const withZone = { ...order, timezone: order.timezone ?? 'UTC' };
  await database.db
    .insert(orders)
    .values(readModelRow(withZone, { status, startAt: new Date(`${order.requestedStartDate}T09:00:00Z`), payloadHash: 'test', lastSeq: 1 }));
}

/** Every payload of an order's workflow history, decoded through the client's codecs, as text. */
export async function decodedHistoryText(h: Harness, orderId: string): Promise<string> {
  const history = await h.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
  const codecs = [...h.client.workflow.options.loadedDataConverter.payloadCodecs].reverse();
  const payloads: Payload[] = [];
  const collect = (value: unknown): void => {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
    if ('data' in value && value.data instanceof Uint8Array && 'metadata' in value) payloads.push(value as Payload);
    for (const inner of Object.values(value)) collect(inner);
  };
  collect(history);
  const texts: string[] = [];
  for (const payload of payloads) {
    let decoded = [payload];
    for (const codec of codecs) decoded = await codec.decode(decoded);
    texts.push(Buffer.from(decoded[0]!.data ?? []).toString('utf8'));
  }
  return texts.join('\n');
}

/** Whether Temporal still knows the order's workflow (a deleted or never started one: no). */
export async function workflowExists(h: Harness, orderId: string): Promise<boolean> {
  try {
    await h.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
