// The webhook receiver snippet in docs/http-api.md, run as written: it is cut out of the file, served behind
// a plain Node HTTP server with the raw body, and sent the service's real status webhooks. What
// partners copy is then known to accept genuine deliveries and refuse forged and replayed ones.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually, type Harness, makeOrder, startHarness } from './support/harness.js';
import { WEBHOOK_TEST_SECRET } from '../simulator/stand-ins/webhook-receiver.js';

type Handler = (req: { body: Buffer; headers: Record<string, string> }, res: { sendStatus(code: number): void }) => void;

/** The TypeScript block that follows the "A receiver verifies" sentence in docs/http-api.md. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(path.resolve('docs/http-api.md'), 'utf8');
  const after = readme.slice(readme.indexOf('A receiver verifies with the `standardwebhooks` package'));
  const block = /```ts\n([\s\S]*?)```/.exec(after)?.[1];
  if (!block) throw new Error('docs/http-api.md has no receiver snippet after "A receiver verifies…"');
  return block;
}

let h: Harness;
let server: Server;
let url: string;
const logged: unknown[][] = [];

beforeAll(async () => {
  const file = path.resolve('test-results/readme-receiver.ts');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await readmeSnippet());
  // The snippet reads its secret from the environment, as a partner's service would.
  vi.stubEnv('WEBHOOK_SECRET', WEBHOOK_TEST_SECRET);
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  const { handler } = (await import(file)) as { handler: Handler };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler({ body: Buffer.concat(chunks), headers: req.headers as Record<string, string> }, { sendStatus: (code) => res.writeHead(code).end() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  h = await startHarness({ WEBHOOK_ENDPOINTS: url, WEBHOOK_SECRET: WEBHOOK_TEST_SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the README’s webhook receiver snippet', () => {
  it('accepts the service’s signed status webhooks', async () => {
    const order = makeOrder();
    expect((await h.postOrder(order)).statusCode).toBe(201);
    // The snippet logs "<orderId> <previousStatus> → <status>" for each change it accepted.
    await eventually(async () => (logged.some((line) => line[0] === order.orderId && line[1] === null && line[3] === 'SCHEDULED') ? true : undefined));
  });

  it('answers 401 to a forged signature, an altered body and a replayed (stale) request', async () => {
    const body = JSON.stringify({ type: 'order.status_changed', timestamp: new Date().toISOString(), data: { orderId: 'CCW-x', status: 'EXPIRED', previousStatus: 'AWAITING_SETUP', seq: 9, occurredAt: new Date().toISOString() } });
    const post = (headers: Record<string, string>, payload = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
    const signed = (at: Date, secret = WEBHOOK_TEST_SECRET) => ({
      'webhook-id': 'msg_CCW-x_9',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_CCW-x_9', at, body),
    });
    expect((await post(signed(new Date()))).status).toBe(204);
    expect((await post(signed(new Date(), `whsec_${Buffer.from('another secret, 18+ bytes').toString('base64')}`))).status).toBe(401);
    expect((await post(signed(new Date()), body.replace('EXPIRED', 'PROVISIONED'))).status).toBe(401);
    expect((await post(signed(new Date(Date.now() - 10 * 60_000)))).status).toBe(401);
  });
});
