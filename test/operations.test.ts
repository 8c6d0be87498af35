// Operations (SPEC §7.5) that need no process of their own: readiness, 503 + Retry-After when a
// dependency is unavailable (intake included, never 500), TRUST_PROXY and the rate limits.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { signIntakeBody } from '../api/signature.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { type Harness, HMAC_SECRET, makeOrder, REP_TOKEN, startHarness } from './support/harness.js';
import { freePort } from './support/processes.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { worker: false });
});
afterAll(async () => {
  await h?.close();
});

const expectUnavailable = (response: LightMyRequestResponse, what: RegExp) => {
  expect(response.statusCode, response.body).toBe(503);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(response.json()).toMatchObject({ type: 'urn:order-provisioning:problem:unavailable', status: 503 });
  expect(response.json().detail).toMatch(what);
};

describe('readiness', () => {
  it('says this process can serve, and with verbose=1 names each dependency', async () => {
    const plain = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toEqual({ status: 'ready' });
    const verbose = await h.app.inject({ method: 'GET', url: '/readyz?verbose=1' });
    expect(verbose.statusCode).toBe(200);
    expect(verbose.json()).toMatchObject({ status: 'ready', checks: { database: { status: 'ok' }, temporal: { status: 'ok' } } });
  });
});

describe('with PostgreSQL and Temporal unreachable', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    // Nothing listens on these ports: every call fails as it would with the dependency down.
    const [databasePort, temporalPort] = [await freePort(), await freePort()];
    const database = await openDatabase({ url: `postgres://orders@127.0.0.1:${databasePort}/orders`, maxConnections: 1 });
    // No retry interceptor: its pending retries would outlive the closed connection.
    const connection = Connection.lazy({ address: `127.0.0.1:${temporalPort}`, interceptors: [] });
    const temporal = new Client({ connection, namespace: 'default', dataConverter: orderDataConverter(h.config) });
    app = await buildApp({ config: h.config, database, temporal, logger: false });
    close = async () => {
      await app.close();
      await connection.close();
      await database.close();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  it('intake answers 503 with Retry-After, not 500', { timeout: 30_000 }, async () => {
    const raw = JSON.stringify(makeOrder());
    const response = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { 'content-type': 'application/json', 'x-signature': signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000)) },
      payload: raw,
    });
    // The intake ledger is written before the workflow starts: the database is the first one missing.
    expectUnavailable(response, /database/);
  });

  it('reads from the database answer 503 with Retry-After', async () => {
    expectUnavailable(await app.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${REP_TOKEN}` } }), /database/);
    expectUnavailable(await app.inject({ method: 'GET', url: `/api/wizard/${randomBytes(32).toString('base64url')}` }), /database/);
  });

  it('stays ready (the dependencies are everyone\'s), and verbose=1 names both as unavailable', async () => {
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const verbose = await app.inject({ method: 'GET', url: '/readyz?verbose=1' });
    expect(verbose.json()).toMatchObject({ status: 'ready', checks: { database: { status: 'unavailable' }, temporal: { status: 'unavailable' } } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  const rep = (app: Harness['app'], forwardedFor: string) =>
    app.inject({ method: 'GET', url: '/api/orders?limit=1', remoteAddress: '10.0.0.5', headers: { authorization: `Bearer ${REP_TOKEN}`, 'x-forwarded-for': forwardedFor } });

  async function appWith(env: Record<string, string>) {
    const config = loadConfig({ ...h.env, RATE_LIMIT_REP: '2/1m', ...env });
    return buildApp({ config, database: h.database, temporal: h.client, logger: false });
  }

  it('off (default): every client behind the proxy shares the proxy\'s budget', async () => {
    const app = await appWith({});
    try {
      expect((await rep(app, '198.51.100.1')).statusCode).toBe(200);
      expect((await rep(app, '198.51.100.2')).statusCode).toBe(200);
      expect((await rep(app, '198.51.100.3')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('set to the proxy\'s address: each client has its own budget, and a forged header from elsewhere is ignored', async () => {
    const app = await appWith({ TRUST_PROXY: '10.0.0.0/8' });
    try {
      for (const client of ['198.51.100.1', '198.51.100.2']) {
        expect((await rep(app, client)).statusCode).toBe(200);
        expect((await rep(app, client)).statusCode).toBe(200);
        expect((await rep(app, client)).statusCode).toBe(429);
      }
      // Not from the trusted proxy: X-Forwarded-For is not believed, the connecting address counts.
      const direct = (forwardedFor: string) =>
        app.inject({ method: 'GET', url: '/api/orders?limit=1', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${REP_TOKEN}`, 'x-forwarded-for': forwardedFor } });
      expect((await direct('192.0.2.1')).statusCode).toBe(200);
      expect((await direct('192.0.2.2')).statusCode).toBe(200);
      expect((await direct('192.0.2.3')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});
