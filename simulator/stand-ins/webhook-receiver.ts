// A partner's webhook receiver, for the tests and the simulator (npm run simulate): verifies every request with the standardwebhooks package,
// as docs/http-api.md tells partners to, and keeps what it accepted.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** The WEBHOOK_SECRET of the tests' services and receivers, unless a receiver is given its own. */
export const WEBHOOK_TEST_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request had been read and verified. */
  receivedAt: Date;
  event: { type: string; data: { orderId: string; status: string; previousStatus: string | null; seq: number; occurredAt: string } };
}

export interface Receiver {
  url: string;
  port: number;
  /** Verified requests it answered 204, in arrival order. */
  accepted: Received[];
  requests(): number;
  /** The next `count` requests are answered 500. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

/** Answers 500 to the first `failFirst` requests, then verifies and accepts (400 when verification fails). */
export async function startReceiver({ failFirst = 0, port = 0, secret = WEBHOOK_TEST_SECRET }: { failFirst?: number; port?: number; secret?: string } = {}): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const accepted: Received[] = [];
  let requests = 0;
  let refusing = failFirst;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      if (refusing > 0) {
        refusing -= 1;
        res.writeHead(500).end();
        return;
      }
      try {
        const event = verifier.verify(body, req.headers as Record<string, string>) as Received['event'];
        accepted.push({ headers: req.headers, body, event, receivedAt: new Date() });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    accepted,
    requests: () => requests,
    refuseNext: (count) => {
      refusing = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
