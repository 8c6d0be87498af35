// Workflow payloads are encrypted (AES-256-GCM) before they reach Temporal, an order's with its own
// data key: the raw history holds no email address, name or password hash; the keys that wrap the
// data keys rotate without losing old workflows; the codec endpoint shows payloads in clear to reps only.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ConfigError, loadConfig, type PayloadEncryptionKey } from '../config.js';
import { orgUsers } from '../db/schema/index.js';
import { orderWorkflowId, type OrderPayload } from '../domain/order.js';
import { createOrderDataKeys, dataKeyId, rewrapDataKeys } from '../privacy/data-keys.js';
import { ensureTemporalCli } from '../scripts/temporal-binaries.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from '../temporal/payload-codec.js';
import { createOrderWorkers, type OrderWorkers } from '../worker.js';
import {
  type Harness,
  eventually,
  isoDate,
  makeOrder,
  REP_TOKEN,
  repAction,
  startHarness,
  TEST_PAYLOAD_KEYS,
  tokenOf,
  waitForEmail,
  wizardClient,
} from './support/harness.js';

const execFileAsync = promisify(execFile);
const newKey = (id: string): PayloadEncryptionKey => ({ id, key: randomBytes(32) });

/** For the codec on its own; the workers use the harness's TEST_PAYLOAD_KEYS. */
const K1 = newKey('k1');
const K2 = newKey('k2');
const { current: CURRENT, next: NEXT } = TEST_PAYLOAD_KEYS;
const PASSWORD = 'correct horse battery staple fjord';

let h: Harness;
let nativeConnection: NativeConnection;
let current: { workers: OrderWorkers; running: Promise<void> } | undefined;

async function stopWorkers() {
  current?.workers.shutdown();
  await current?.running;
  current = undefined;
}

/** This file's order workers, configured by `config`: the key rotation test restarts them with new keys. */
async function startWorkers(config: Harness['config']) {
  await stopWorkers();
  const workers = await createOrderWorkers({ config, database: h.database, connection: nativeConnection, workflowBundlePath: inject('workflowBundlePath') });
  current = { workers, running: workers.run() };
}

beforeAll(async () => {
  // The rep is named, as a `Name <email>=token` entry: the rep's name and address must not reach history in clear either.
  h = await startHarness({ REP_API_TOKENS: `${NAMED_REP.name} <${NAMED_REP.email}>=${REP_TOKEN}` }, { worker: false });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  await startWorkers(h.config);
});
afterAll(async () => {
  await stopWorkers();
  await nativeConnection?.close();
  await h?.close();
});

/** The rep acting through REP_TOKEN in this file. */
const NAMED_REP = { name: 'Nora Namedrep', email: 'nora.namedrep@cisco.example' };

/** The history as Temporal stores it: read over gRPC, never through a codec. */
async function rawHistory(orderId: string) {
  const events: unknown[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await h.client.workflowService.getWorkflowExecutionHistory({
      namespace: h.config.temporal.namespace,
      execution: { workflowId: orderWorkflowId(orderId) },
      maximumPageSize: 500,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);

  const payloads: Array<{ path: string; payload: Payload }> = [];
  const texts: string[] = [];
  const visit = (value: unknown, at: string) => {
    if (value instanceof Uint8Array) return void texts.push(Buffer.from(value).toString('utf8'));
    if (typeof value === 'string') return void texts.push(value);
    if (!value || typeof value !== 'object') return;
    if (Object.hasOwn(value, 'metadata') && 'data' in value) payloads.push({ path: at, payload: value as Payload });
    for (const [key, child] of Object.entries(value)) visit(child, `${at}.${key}`);
  };
  events.forEach((event, index) => visit(event, `events[${index}]`));
  // Search attributes are indexed by Temporal, so they cannot be encrypted: they hold only the status.
  // Markers carry the SDK's own bookkeeping, written by its core past the codec: a patch's name, a
  // local activity's sequence number, type, attempt and times. Nothing else may hide there.
  const sdkBookkeeping = (at: string) => /\.markerRecordedEventAttributes\.details\.(patch-data|data)\./.test(at);
  for (const { payload } of payloads.filter(({ path: at }) => sdkBookkeeping(at))) {
    const fields = Object.keys(JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as object);
    expect(['id', 'deprecated', 'seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time']).toEqual(expect.arrayContaining(fields));
  }
  const sealed = payloads.filter(({ path: at }) => !at.includes('.searchAttributes.') && !sdkBookkeeping(at));
  return { events, sealed, haystack: texts.join('\n') };
}

const keyIdOf = (payload: Payload) => Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();

/** A new order whose setup email has gone, with names and addresses found nowhere else. */
async function orderWithLink(app: Harness = h) {
  const id = randomUUID().slice(0, 8);
  const order: OrderPayload = makeOrder({
    requestedStartDate: isoDate(-1),
    timezone: 'UTC',
    provisioningContactEmail: `contact-${id}@partner-${id}.example`,
    partner: { id: `P-${id}`, name: `Nordlys Partner ${id}` },
    customer: { name: `Skagerrak Shipping ${id}`, country: 'NO' },
    rep: { name: `Randi Rep ${id}`, email: `randi-${id}@cisco.example` },
  });
  expect((await app.postOrder(order)).statusCode).toBe(201);
  const token = tokenOf(await waitForEmail(app, order.orderId, 'setup'));
  const wizard = wizardClient(app, token);
  expect((await wizard.start()).statusCode).toBe(201);
  const people = {
    partnerAdmin: `admin-${id}@partner-${id}.example`,
    customerAdmin: `it-${id}@customer-${id}.example`,
    partnerAddress: `Kaigata ${id}, Bergen`,
    customerAddress: `Strandkaien ${id}, Oslo`,
  };
  return { order, token, wizard, people, id };
}

async function step(wizard: ReturnType<typeof wizardClient>, name: string, input: Record<string, unknown>, session?: string) {
  const response = await wizard.step(name, input, session);
  expect(response.statusCode, `${name}: ${response.body}`).toBe(200);
  return response.json();
}

/** Steps 3–7 for a new partner org and a new customer org. */
async function walkToConfirm(flow: Awaited<ReturnType<typeof orderWithLink>>) {
  const { wizard, order, people } = flow;
  await step(wizard, 'role', { role: 'partner' });
  await step(wizard, 'configurer', { choice: 'self' });
  await step(wizard, 'partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: people.partnerAddress, adminEmail: people.partnerAdmin });
  await step(wizard, 'customer-admin', { email: people.customerAdmin });
  await step(wizard, 'customer-org', { mode: 'new', name: order.customer.name, country: 'NO', address: people.customerAddress });
}

const secretsOf = (flow: Awaited<ReturnType<typeof orderWithLink>>) => ({
  contact: flow.order.provisioningContactEmail,
  repEmail: flow.order.rep.email,
  repName: flow.order.rep.name,
  partnerName: flow.order.partner.name,
  customerName: flow.order.customer.name,
  partnerAdmin: flow.people.partnerAdmin,
  customerAdmin: flow.people.customerAdmin,
  partnerAddress: flow.people.partnerAddress,
  customerAddress: flow.people.customerAddress,
});

describe('the raw workflow history', () => {
  it('holds no email address, name, address or password hash in clear, yet decrypts to them', async () => {
    const flow = await orderWithLink();
    await walkToConfirm(flow);
    await step(flow.wizard, 'confirm', { confirmed: true });
    await step(flow.wizard, 'partner-password', { password: PASSWORD });
    const newContact = `new-contact-${flow.id}@partner-${flow.id}.example`;
    expect((await repAction(h, flow.order.orderId, 'change-contact', { email: newContact })).statusCode).toBe(200);

    const [partnerAdmin] = await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, flow.people.partnerAdmin));
    const passwordHash = partnerAdmin?.passwordHash;
    expect(passwordHash).toMatch(/^\$scrypt\$/);
    const secrets = { ...secretsOf(flow), newContact, passwordHash: passwordHash!, password: PASSWORD, actingRepName: NAMED_REP.name, actingRepEmail: NAMED_REP.email };

    const { events, sealed, haystack } = await rawHistory(flow.order.orderId);
    expect(events.length).toBeGreaterThan(20);
    expect(sealed.length).toBeGreaterThan(20);
    for (const { path: at, payload } of sealed) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString(), at).toBe(ENCRYPTED_ENCODING);
      expect(keyIdOf(payload), at).toBe(dataKeyId(flow.order.orderId));
    }
    for (const [name, value] of Object.entries(secrets)) {
      expect(haystack.includes(value), `${name} in clear in the history`).toBe(false);
    }

    // The search above would have found them: the same payloads, decrypted, hold every one.
    const decrypted = await new AesGcmPayloadCodec([CURRENT], createOrderDataKeys(h.database.db, [CURRENT])).decode(sealed.map((s) => s.payload));
    const clear = decrypted.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    for (const name of ['contact', 'repEmail', 'partnerName', 'customerName', 'partnerAdmin', 'customerAdmin', 'newContact'] as const) {
      expect(clear, name).toContain(secrets[name]);
    }
    // Neither the password nor its hash is in history at all: the Update carries a reference (SPEC §8.1).
    expect(clear).not.toContain(PASSWORD);
    expect(clear).not.toContain(secrets.passwordHash);
  });

  it('keeps failure messages that name an address encrypted too', async () => {
    // Two orders race for one customer admin: the loser's commit fails with "<address> already belongs…".
    const [winner, loser] = await Promise.all([orderWithLink(), orderWithLink()]);
    loser.people.customerAdmin = winner.people.customerAdmin;
    await walkToConfirm(winner);
    await walkToConfirm(loser);
    await step(winner.wizard, 'confirm', { confirmed: true });
    const lost = await loser.wizard.step('confirm', { confirmed: true });
    expect(lost.statusCode, lost.body).toBe(409);
    expect(lost.json().detail).toContain(winner.people.customerAdmin);

    const { events, sealed, haystack } = await rawHistory(loser.order.orderId);
    const failures = JSON.stringify(events).match(/"message":"[^"]*"/g) ?? [];
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(['"message":"Encoded failure"']));
    expect(haystack).not.toContain(winner.people.customerAdmin);
    const clear = (await new AesGcmPayloadCodec([CURRENT], createOrderDataKeys(h.database.db, [CURRENT])).decode(sealed.map((s) => s.payload)))
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join('\n');
    expect(clear).toContain(`${winner.people.customerAdmin} already belongs to another Webex organization`);
  });
});

describe('the payload codec', () => {
  const payload = (text: string): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) });
  const same = (a: Payload, b: Payload) => {
    expect(Buffer.from(a.data ?? []).toString()).toBe(Buffer.from(b.data ?? []).toString());
    expect(Buffer.from(a.metadata?.encoding ?? []).toString()).toBe(Buffer.from(b.metadata?.encoding ?? []).toString());
  };

  it('round-trips, with a fresh IV each time and no plaintext in the ciphertext', async () => {
    const codec = new AesGcmPayloadCodec([K1]);
    const original = payload('someone@example.com');
    const [first, second] = await codec.encode([original, original]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
    expect(Buffer.from(first!.data!).toString('latin1')).not.toContain('someone@example.com');
    same((await codec.decode([first!]))[0]!, original);
  });

  it('decodes a payload sealed with an old key after rotation, and refuses one whose key is gone', async () => {
    const [old] = await new AesGcmPayloadCodec([K1]).encode([payload('old')]);
    same((await new AesGcmPayloadCodec([K2, K1]).decode([old!]))[0]!, payload('old'));
    const [fresh] = await new AesGcmPayloadCodec([K2, K1]).encode([payload('new')]);
    expect(keyIdOf(fresh!)).toBe('k2');
    await expect(new AesGcmPayloadCodec([K2]).decode([old!])).rejects.toThrow(PayloadDecryptionError);
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 14],
    ['the tag', -1],
  ])('refuses a payload with a flipped bit in %s', async (_part, index) => {
    const [sealed] = await new AesGcmPayloadCodec([K1]).encode([payload('integrity')]);
    const bytes = Buffer.from(sealed!.data!);
    const at = index < 0 ? bytes.length + index : index;
    bytes[at] = bytes[at]! ^ 0x01;
    await expect(new AesGcmPayloadCodec([K1]).decode([{ ...sealed!, data: bytes }])).rejects.toThrow(/failed authentication/);
  });

  it('refuses a payload relabelled with another key id', async () => {
    const [sealed] = await new AesGcmPayloadCodec([K1]).encode([payload('relabel')]);
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(new AesGcmPayloadCodec([K2, K1]).decode([relabelled])).rejects.toThrow(PayloadDecryptionError);
  });

  it('passes payloads written before encryption through unchanged', async () => {
    const plain = payload('legacy');
    expect((await new AesGcmPayloadCodec([K1]).decode([plain]))[0]).toBe(plain);
  });
});

describe('PAYLOAD_ENCRYPTION_KEYS', () => {
  const base = { NODE_ENV: 'test', INTAKE_HMAC_SECRET: 's'.repeat(32), REP_API_TOKENS: 't'.repeat(32), LINK_TOKEN_SECRET: 'l'.repeat(32) };
  const material = randomBytes(32).toString('base64');

  it('parses ids and keys, the first one encrypting', () => {
    const config = loadConfig({ ...base, DATA_DIR: '/tmp/unused', PAYLOAD_ENCRYPTION_KEYS: `new:${material}, old:${randomBytes(32).toString('base64url')}` });
    expect(config.payloadEncryptionKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(config.payloadEncryptionKeys[0]!.key.toString('base64')).toBe(material);
  });

  it.each([
    ['no id', material],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`],
    ['a long key', `k1:${randomBytes(48).toString('base64')}`],
    ['not base64', `k1:${'!'.repeat(44)}`],
    ['a repeated id', `k1:${material},k1:${material}`],
    ['an empty entry', `k1:${material},`],
  ])('refuses %s in one line that names the variable and never the key', (_case, value) => {
    let error: unknown;
    try {
      loadConfig({ ...base, DATA_DIR: '/tmp/unused', PAYLOAD_ENCRYPTION_KEYS: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('PAYLOAD_ENCRYPTION_KEYS');
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).not.toContain(material);
  });

  it('is required in production', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).toThrow(/^Invalid environment: PAYLOAD_ENCRYPTION_KEYS is required/);
  });

  it('in development, is generated once into DATA_DIR and kept across restarts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-keys-'));
    const first = loadConfig({ ...base, NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(first.generatedSecrets).toEqual(['PAYLOAD_ENCRYPTION_KEYS']);
    expect(first.payloadEncryptionKeys).toHaveLength(1);
    const again = loadConfig({ ...base, NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(again.payloadEncryptionKeys[0]!.key.equals(first.payloadEncryptionKeys[0]!.key)).toBe(true);
    const stored = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(Buffer.from(stored.payloadEncryptionKey, 'base64')).toHaveLength(32);
  });
});

describe('the codec endpoint for the Temporal Web UI', () => {
  const asJson = (payloads: Payload[]) => ({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });
  const call = (operation: 'encode' | 'decode', payload: unknown, token: string | null = REP_TOKEN, app = h.app) =>
    app.inject({
      method: 'POST',
      url: `/codec/${operation}`,
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      payload: JSON.stringify(payload),
    });

  it('answers 401 without a rep token or with a wrong one', async () => {
    const body = asJson([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }]);
    for (const operation of ['encode', 'decode'] as const) {
      for (const token of [null, 'not-a-rep-token-0123456789']) {
        const response = await call(operation, body, token);
        expect(response.statusCode).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).not.toContain('payloads');
      }
    }
  });

  it('encodes and decodes in the codec-server format', async () => {
    const original = asJson([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"ui@example.com"}') },
      { metadata: { encoding: Buffer.from('binary/null') }, data: Buffer.alloc(0) },
    ]);
    const encoded = await call('encode', original);
    expect(encoded.statusCode, encoded.body).toBe(200);
    expect(encoded.body).not.toContain(Buffer.from('{"email":"ui@example.com"}').toString('base64'));
    expect(encoded.json().payloads.map((p: { metadata: Record<string, string> }) => Buffer.from(p.metadata.encoding!, 'base64').toString())).toEqual([
      ENCRYPTED_ENCODING,
      ENCRYPTED_ENCODING,
    ]);
    const decoded = await call('decode', encoded.json());
    expect(decoded.statusCode, decoded.body).toBe(200);
    expect(decoded.json()).toEqual(original);
  });

  it('decodes what the workers wrote, and refuses a tampered payload with 400', async () => {
    const flow = await orderWithLink();
    const { sealed } = await rawHistory(flow.order.orderId);
    const decoded = await call('decode', asJson(sealed.map((s) => s.payload)));
    expect(decoded.statusCode).toBe(200);
    const clear = decoded.json().payloads.map((p: { data: string }) => Buffer.from(p.data, 'base64').toString()).join('\n');
    expect(clear).toContain(flow.order.provisioningContactEmail);

    const tampered = asJson([sealed[0]!.payload]);
    const data = Buffer.from(tampered.payloads[0]!.data, 'base64');
    data[20] = data[20]! ^ 0xff;
    tampered.payloads[0]!.data = data.toString('base64');
    const refused = await call('decode', tampered);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ type: 'urn:order-provisioning:problem:undecodable-payload', status: 400 });
  });

  it('takes `{}` as no payloads, as protobuf JSON writes an empty list', async () => {
    for (const operation of ['encode', 'decode'] as const) {
      const response = await call(operation, {});
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ payloads: [] });
    }
  });

  it('lets the Temporal CLI query and stack an order through it, in clear', async () => {
    const flow = await orderWithLink();
    const cli = await ensureTemporalCli(() => {});
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const run = (...args: string[]) =>
      execFileAsync(cli, [
        ...args,
        '--workflow-id', orderWorkflowId(flow.order.orderId),
        '--address', inject('temporalAddress'),
        '--codec-endpoint', `${address}/codec`,
        '--codec-auth', `Bearer ${REP_TOKEN}`,
        '--output', 'json',
      ]);
    // Both send `{}` to /codec/encode: a query without arguments.
    const state = await run('workflow', 'query', '--name', 'getState');
    expect(state.stdout).toContain(flow.order.provisioningContactEmail);
    const stack = await run('workflow', 'stack');
    expect(stack.stdout).toMatch(/at /);
  });

  it('refuses malformed bodies with 400, never 5xx', async () => {
    for (const body of [{ payloads: 'x' }, { payloads: [{ data: 'not base64!' }] }, { payloads: [{ metadata: { encoding: 42 } }] }]) {
      const response = await call('decode', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('answers CORS preflights for the Temporal Web UI origin only', async () => {
    const app = await buildApp({ config: h.config, database: h.database, temporal: h.client, temporalUiUrl: 'http://localhost:8233', logger: false });
    try {
      const preflight = (origin: string) =>
        app.inject({
          method: 'OPTIONS',
          url: '/codec/decode',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
        });
      const ui = await preflight('http://localhost:8233');
      expect(ui.statusCode).toBe(204);
      expect(ui.headers).toMatchObject({ 'access-control-allow-origin': 'http://localhost:8233', 'access-control-allow-methods': 'POST' });
      expect(String(ui.headers['access-control-allow-headers'])).toContain('authorization');
      expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();

      const unauthenticated = await app.inject({ method: 'POST', url: '/codec/decode', headers: { origin: 'http://localhost:8233' }, payload: { payloads: [] } });
      expect(unauthenticated.statusCode).toBe(401);
      expect(unauthenticated.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    } finally {
      await app.close();
    }
  });

  it('in development, decodes for the Web UI of the local dev server without a token, and for nobody else', async () => {
    const sealed = await call('encode', asJson([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"in clear"') }]));
    const uiUrl = 'http://127.0.0.1:8233';
    const decodeFor = async (env: 'development' | 'production', headers: Record<string, string>, remoteAddress = '127.0.0.1') => {
      const config = { ...h.config, nodeEnv: env };
      const app = await buildApp({ config, database: h.database, temporal: h.client, temporalUiUrl: uiUrl, codecOpenToLocalTemporalUi: true, logger: false });
      try {
        return (await app.inject({ method: 'POST', url: '/codec/decode', headers, remoteAddress, payload: sealed.json() })).statusCode;
      } finally {
        await app.close();
      }
    };
    expect(await decodeFor('development', { origin: uiUrl })).toBe(200);
    expect(await decodeFor('development', { origin: uiUrl }, '::1')).toBe(200);
    // Another origin, another machine, or production: a rep token as always.
    expect(await decodeFor('development', { origin: 'http://127.0.0.1:9999' })).toBe(401);
    expect(await decodeFor('development', {})).toBe(401);
    expect(await decodeFor('development', { origin: uiUrl }, '192.168.1.20')).toBe(401);
    expect(await decodeFor('production', { origin: uiUrl })).toBe(401);
  });

  it('answers every retry of a wrong token with 401 at once, not a rate-limit wait', async () => {
    // The CLI retries a refused codec call until its 10 s deadline; each retry must get the same plain refusal.
    for (let attempt = 0; attempt < 8; attempt++) {
      const response = await call('decode', { payloads: [] }, 'not-a-rep-token-0123456789');
      expect(response.statusCode).toBe(401);
      expect(response.json().detail).toMatch(/not valid/);
    }
  });
});

describe('key rotation', () => {
  it('continues an open order after the workers and the API move to a new key, and re-wraps its data key for the old one to go', async () => {
    const flow = await orderWithLink();
    await step(flow.wizard, 'role', { role: 'partner' });
    await step(flow.wizard, 'configurer', { choice: 'self' });

    // Step 2 of a rotation: `next` (already a decrypting key everywhere) now encrypts, `current`
    // still decrypts what was written with it. Last in this file: the workers keep the new order.
    const rotatedConfig = { ...h.config, payloadEncryptionKeys: [NEXT, CURRENT] };
    // A step's event is written by an activity after its answer, and that activity's completion is a
    // workflow task for the old workers' sticky queue: let both finish before those workers stop, or
    // the next call waits out the sticky queue's timeout (the read model alone can be written first).
    const handle = h.client.workflow.getHandle(orderWorkflowId(flow.order.orderId));
    await eventually(async () => {
      const { raw } = await handle.describe();
      return raw.pendingActivities?.length || raw.pendingWorkflowTask ? undefined : true;
    });
    await startWorkers(rotatedConfig);
    const dataKeys = createOrderDataKeys(h.database.db, rotatedConfig.payloadEncryptionKeys);
    const rotatedClient = new Client({ connection: h.client.connection, namespace: h.config.temporal.namespace, dataConverter: orderDataConverter(rotatedConfig, dataKeys) });
    const rotatedApp = await buildApp({ config: rotatedConfig, database: h.database, temporal: rotatedClient, dataKeys, logger: false });
    try {
      const rotated: Harness = { ...h, app: rotatedApp, client: rotatedClient, config: rotatedConfig };
      const wizard = wizardClient(rotated, flow.token);
      const session = flow.wizard.sessionId;
      await step(wizard, 'partner-org', { mode: 'new', name: flow.order.partner.name, country: 'NO', address: flow.people.partnerAddress, adminEmail: flow.people.partnerAdmin }, session);
      await step(wizard, 'customer-admin', { email: flow.people.customerAdmin }, session);
      const view = await step(wizard, 'customer-org', { mode: 'new', name: flow.order.customer.name, country: 'NO', address: flow.people.customerAddress }, session);
      expect(view).toMatchObject({ nextStep: 'confirm', draft: { partnerOrg: { mode: 'new' } } });

      const { sealed } = await rawHistory(flow.order.orderId);
      // Before and after the rotation, the order's own data key, wrapped by the old key since it was made.
      expect(new Set(sealed.map(({ payload }) => keyIdOf(payload)))).toEqual(new Set([dataKeyId(flow.order.orderId)]));
      const withNextOnly = () => new AesGcmPayloadCodec([NEXT], createOrderDataKeys(h.database.db, [NEXT])).decode(sealed.map((s) => s.payload));

      // Dropping the old key too early is an explicit error naming it, not garbage.
      const error = await withNextOnly().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadDecryptionError);
      expect((error as Error).message).toContain(`"${CURRENT.id}"`);

      // The sweep's re-wrap moves the data keys to the new key; then the old one can go.
      expect(await rewrapDataKeys(h.database.db, rotatedConfig.payloadEncryptionKeys)).toBeGreaterThan(0);
      const clear = (await withNextOnly()).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
      expect(clear).toContain(flow.people.customerAdmin);
    } finally {
      await rotatedApp.close();
    }
  });
});
