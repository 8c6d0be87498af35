// An outside tool checks the API against its own published OpenAPI document: Schemathesis (PyPI)
// generates requests for every operation of /docs/json and checks every answer — status code,
// content type, headers and body — against what the document promises. The service is the real
// one (worker, Temporal, PostgreSQL) listening on a port.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../db/client.js';
import { ensureSchemathesis, type Schemathesis } from '../scripts/schemathesis.js';
import { type Harness, HMAC_SECRET, REP_TOKEN, startHarness } from './support/harness.js';

let h: Harness;
let schemathesis: Schemathesis;
let baseUrl: string;
let dropDatabase = async () => {};

/**
 * A database of this file's own. Schemathesis feeds values from earlier answers into later
 * requests: with the run's shared read model it would act as a rep on other test files' orders
 * (resend their links, change their contacts) that it found in GET /api/orders.
 */
async function privateDatabase(): Promise<Database> {
  const runUrl = inject('databaseUrl');
  if (!runUrl) {
    const database = await openDatabase({});
    await database.migrate();
    return database;
  }
  const admin = postgres(runUrl, { max: 1, onnotice: () => {} });
  const name = `orders_schemathesis_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  dropDatabase = async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  };
  const url = new URL(runUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 5 });
  await database.migrate();
  return database;
}

beforeAll(async () => {
  const [installed, database] = await Promise.all([ensureSchemathesis(), privateDatabase()]);
  schemathesis = installed;
  // Rate limits would answer a tool sending hundreds of requests from one address with 429s.
  h = await startHarness({ RATE_LIMIT_INTAKE: '1000000/1m', RATE_LIMIT_WIZARD: '1000000/1m', RATE_LIMIT_REP: '1000000/1m' }, { database });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}, 10 * 60_000);
afterAll(async () => {
  await h?.close();
  await dropDatabase();
});

it('every answer to generated requests matches the OpenAPI document at /docs/json', async () => {
  const { code, output } = await schemathesis.run({ baseUrl, repToken: REP_TOKEN, intakeSecret: HMAC_SECRET, maxExamples: 15, timeoutMs: 170_000 });
  expect(code, output).toBe(0);
  // It tested something: a run that found no operation would also exit 0.
  expect(output).toMatch(/\b\d+ passed\b/);
}, 180_000);
