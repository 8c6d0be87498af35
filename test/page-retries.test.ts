// The pages retry safely (issue 23, item 7): the fetch helper of the wizard and the rep console
// sends one Idempotency-Key per intent and keeps it on its own retries after a network failure or
// a 503 with Retry-After, here against a local HTTP server that fails the first attempt.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../web/src/api.js';

type Failure = 'drop' | '503';
const received: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
/** How the first attempt of each path fails; later attempts answer 200. */
const firstAttempt = new Map<string, Failure>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '';
    received.push({ url, headers: request.headers });
    const failure = firstAttempt.get(url);
    firstAttempt.delete(url);
    if (failure === 'drop') return request.socket.destroy();
    if (failure === '503') {
      response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
      return response.end(JSON.stringify({ type: 'urn:order-provisioning:problem:unavailable', title: 'Unavailable', status: 503 }));
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const keysOf = (url: string) => received.filter((r) => r.url === url).map((r) => r.headers['idempotency-key']);

describe('the pages’ fetch helper', () => {
  it.each<Failure>(['503', 'drop'])('sends the same Idempotency-Key again when the first attempt fails (%s)', async (failure) => {
    const url = `/api/wizard/token/steps/confirm-${failure}`;
    firstAttempt.set(url, failure);
    expect(await api(`${base}${url}`, { method: 'POST', body: { confirm: true } })).toEqual({ ok: true });
    const keys = keysOf(url);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('makes a new key for each intent', async () => {
    const url = '/api/orders/CCW-1/actions/resend-link';
    await api(`${base}${url}`, { method: 'POST', body: {} });
    await api(`${base}${url}`, { method: 'POST', body: {} });
    const keys = keysOf(url);
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
  });
});
