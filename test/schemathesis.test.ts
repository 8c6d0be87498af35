// An outside tool checks the API against its own published OpenAPI document: Schemathesis (PyPI)
// generates requests for every operation of /docs/json and checks every answer — status code,
// content type, headers and body — against what the document promises. The service is the real
// one (worker, Temporal, PostgreSQL) listening on a port.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureSchemathesis, type Schemathesis } from '../scripts/schemathesis.js';
import { type Harness, HMAC_SECRET, REP_TOKEN, startHarness } from './support/harness.js';

let h: Harness;
let schemathesis: Schemathesis;
let baseUrl: string;
beforeAll(async () => {
  schemathesis = await ensureSchemathesis();
  // Rate limits would answer a tool sending hundreds of requests from one address with 429s. The
  // file's own database matters: Schemathesis feeds ids from earlier answers into later requests.
  h = await startHarness({ RATE_LIMIT_INTAKE: '1000000/1m', RATE_LIMIT_WIZARD: '1000000/1m', RATE_LIMIT_REP: '1000000/1m' });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}, 10 * 60_000);
afterAll(async () => {
  await h?.close();
});

it('every answer to generated requests matches the OpenAPI document at /docs/json', async () => {
  const { code, output } = await schemathesis.run({ baseUrl, repToken: REP_TOKEN, intakeSecret: HMAC_SECRET, maxExamples: 15, timeoutMs: 170_000 });
  expect(code, output).toBe(0);
  // It tested something: a run that found no operation would also exit 0.
  expect(output).toMatch(/\b\d+ passed\b/);
}, 180_000);
