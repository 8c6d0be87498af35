// Logs never carry query parameters (issue 14, item 8): Drizzle's errors say "Failed query: …
// params: …" and PostgreSQL's may quote a value; what an activity throws (logged by the worker,
// stored in history) and what the API logs keep only the SQLSTATE, constraint and table.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { CancelledFailure } from '@temporalio/common';
import { DrizzleQueryError } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { apiLoggerOptions, buildApp } from '../api/app.js';
import { loadConfig } from '../config.js';
import { DatabaseError } from '../db/errors.js';
import { type Database, openDatabase } from '../db/client.js';
import { orderSummary } from '../emails/templates.js';
import { type Harness, makeOrder, openTestDatabase, REP_TOKEN, startHarness } from './support/harness.js';
import { activityEnvironment } from './support/test-logs.js';

const SECRET_EMAIL = 'very.private.person@secret.example';
/** What the activities need of the configuration; nothing here reaches a real provider. */
const ACTIVITY_CONFIG = loadConfig({ NODE_ENV: 'test', INTAKE_HMAC_SECRET: 's'.repeat(32), REP_API_TOKENS: 't'.repeat(32), LINK_TOKEN_SECRET: 'l'.repeat(32), DATA_DIR: '/tmp/unused' });

describe('a failing insert in an activity', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('throws a DatabaseError naming the SQLSTATE and constraint, without the query or its parameters', async () => {
    const activities = createActivities({ database, config: ACTIVITY_CONFIG });
    // Consent asked of an organization that does not exist: a foreign-key violation, with the address as a parameter.
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const order = orderSummary({ ...makeOrder(), timezone: 'UTC' });
    const error = await activityEnvironment()
      .run(activities.sendEmail, {
        orderId: order.orderId,
        key: 'consent/consent-1',
        to: SECRET_EMAIL,
        template: { kind: 'consent-request' as const, order, newAdminEmail: 'admin@customer.example', attachPartner: true, expiresAt, reminder: false },
        consent: { requestKey: 'consent-1', orgId: randomUUID(), expiresAt },
      })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).not.toBeInstanceOf(DrizzleQueryError);
    expect(error).toMatchObject({ code: '23503', table_name: 'consent_requests' });
    const everything = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).stack);
    expect(everything).not.toContain(SECRET_EMAIL);
    expect(everything).not.toMatch(/params:|Failed query|insert into/i);
  });
});

describe('an activity waiting for a database that does not answer', () => {
  // Accepts connections and never answers: a query waits for its connect timeout (10 s).
  let silent: Server;
  const sockets: Socket[] = [];
  let database: Database;
  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    database = await openDatabase({ url: `postgres://nobody@127.0.0.1:${port}/none`, maxConnections: 1 });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await database?.close().catch(() => {});
    silent?.close();
  });

  it('ends as cancelled when cancelled (a worker shutting down does so at its grace time), not when the query gives up', async () => {
    const activities = createActivities({ database, config: ACTIVITY_CONFIG });
    const environment = activityEnvironment();
    const outcome = environment
      .run(activities.openRepTask, { orderId: 'CCW-silent', taskKey: 'email-rejected/1', kind: 'email-rejected' as const, detail: 'x', openedAt: new Date().toISOString() })
      .then(() => 'written', (e: unknown) => e);
    const settledEarly = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('pending'), 200))]);
    expect(settledEarly).toBe('pending');
    environment.cancel('WORKER_SHUTDOWN');
    expect(await outcome).toBeInstanceOf(CancelledFailure);
  });
});

describe('the API with its database gone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({}, { worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers 503 with Retry-After and logs no parameter of the failed query', async () => {
    const gone = await openTestDatabase();
    await gone.close();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const app = await buildApp({ config: h.config, database: gone, temporal: h.client, logger: { ...apiLoggerOptions({ nodeEnv: 'test', logLevel: 'info' }), stream } });
    try {
      const response = await app.inject({ method: 'GET', url: `/api/orders?q=${encodeURIComponent(SECRET_EMAIL)}`, headers: { authorization: `Bearer ${REP_TOKEN}` } });
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.body).not.toContain(SECRET_EMAIL);
      const log = lines.join('');
      expect(log).toContain('dependency unavailable');
      expect(log).not.toContain(SECRET_EMAIL);
      expect(log).not.toMatch(/params:|Failed query/);
    } finally {
      await app.close();
    }
  });
});
