// A local stand-in for Resend's `POST /emails`, for tests and the simulator (npm run simulate) that
// run the real Resend SDK against it
// (RESEND_BASE_URL = standIn.url, RESEND_API_KEY = standIn.apiKey). It speaks what SDK 6 sends
// and expects:
//   request:  POST /emails, `Authorization: Bearer <key>`, `Content-Type: application/json`,
//             optional `Idempotency-Key`, JSON { from, to, subject, html, text, ... }
//   answer:   200 { id } — errors as Resend shapes them: { statusCode, name, message }
// Behaviour, like Resend's:
//   - a missing key → 401 missing_api_key; a wrong key → 403 invalid_api_key;
//     no from/to/subject or neither html nor text → 422 missing_required_field;
//   - Idempotency-Key: the same key with the same body answers the first id again and counts as
//     a duplicate attempt, not a delivery; the same key with another body → 409 invalid_idempotent_request;
//     the same key while the first request is still being handled → 409 concurrent_idempotent_requests;
//   - a rate limit (default 2 requests/s, Resend's default): a token bucket holding `ratePerSecond`
//     requests and refilled at that rate, so steady traffic at the limit with network jitter
//     passes and anything faster gets 429 rate_limit_exceeded with `Retry-After: 1`.
// Tests can script the next answers with failNext(status, count), delayNext(ms, count) and
// failFor(address, status) (one recipient always refused) and
// malformNext(kind, count) (answers no SDK expects: an HTML error page, JSON without Resend's
// fields, a 200 whose body is not JSON or is empty).
// Every request is recorded (arrival time, headers, parsed body, the answer's status and outcome).
// Webhook events, the way Resend sends them: event(type, emailId) builds the JSON of an email event
// for an email the stand-in accepted and signs it with Svix's scheme (`svix-id`, `svix-timestamp`,
// `svix-signature: v1,<base64 HMAC-SHA256>` under `webhookSecret`); sendEvent(url, …) POSTs it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type RequestOutcome =
  /** Accepted: a new email. */
  | 'delivered'
  /** Same Idempotency-Key and body as an earlier accepted request: answered with its id, not sent again. */
  | 'duplicate'
  /** Refused by the rate limit (429). */
  | 'rate-limited'
  /** Answered with a status scripted by failNext(), or a malformed answer of malformNext() that sent nothing. */
  | 'scripted-failure'
  /** Accepted and sent, but answered with a malformed body scripted by malformNext(). */
  | 'delivered-malformed'
  /** Refused: bad key, malformed body, idempotency key reused with another body, unknown route. */
  | 'refused';

export interface RecordedRequest {
  at: Date;
  method: string;
  path: string;
  /** Lower-cased, as node:http gives them. */
  headers: IncomingHttpHeaders;
  idempotencyKey: string | undefined;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  status: number;
  outcome: RequestOutcome;
  /** The id answered, for delivered and duplicate requests. */
  emailId?: string;
}

export interface Delivery {
  id: string;
  at: Date;
  idempotencyKey: string | undefined;
  from: string;
  to: string[];
  subject: string;
  html: string | undefined;
  text: string | undefined;
}

export type ScriptedStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 502 | 503;

export interface ResendStandIn {
  /** Base URL for RESEND_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The only key it accepts. */
  apiKey: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Emails accepted as new (no duplicates, no refusals), in order. */
  deliveries(): Delivery[];
  /** Requests answered from the idempotency store. */
  duplicates(): RecordedRequest[];
  /** How many requests the rate limit refused. */
  rateLimited(): number;
  /** The most requests it held open at once (from arrival until answered, or given up by the client). */
  peakInFlight(): number;
  /** The next `count` requests (after the rate limit) are answered with `status` and Resend's error body for it. */
  failNext(status: ScriptedStatus, count?: number): void;
  /**
   * The next `count` requests are accepted only after `ms`: the client may give up meanwhile and
   * the email still goes, as with a slow provider.
   */
  delayNext(ms: number, count?: number): void;
  /** The next `count` requests get the malformed answer `kind` (see MalformedAnswer). */
  malformNext(kind: MalformedAnswer, count?: number): void;
  /** Every request to `address` is answered with `status` until called again with null (an outage for one recipient). */
  failFor(address: string, status: ScriptedStatus | null): void;
  /** null turns the rate limit off. */
  setRateLimit(ratePerSecond: number | null): void;
  /** The Svix signing secret of its webhooks (`whsec_…`): RESEND_WEBHOOK_SECRET. */
  webhookSecret: string;
  /** A signed email event about `emailId` (an email it accepted), as Resend would POST it. */
  event(type: ResendEventType, emailId: string, options?: ResendEventOptions): SignedEvent;
  /** POSTs a signed event to `url` and answers the receiver's status. */
  sendEvent(url: string, event: SignedEvent): Promise<number>;
  close(): Promise<void>;
}

export type ResendEventType = 'email.sent' | 'email.delivered' | 'email.delivery_delayed' | 'email.bounced' | 'email.complained' | 'email.opened';

export interface ResendEventOptions {
  /** The Svix message id; a new one per event unless given (Svix keeps it across its retries). */
  svixId?: string;
  /** When it is signed; an old one makes a stale event. */
  signedAt?: Date;
  /** Signs with another secret: a forged event. */
  secret?: string;
}

export interface SignedEvent {
  svixId: string;
  headers: Record<'content-type' | 'svix-id' | 'svix-timestamp' | 'svix-signature', string>;
  /** The exact bytes that were signed. */
  payload: string;
}

/** Signs `payload` as Svix does; Standard Webhooks is the same HMAC scheme under `webhook-*` names. */
export function signSvix(secret: string, payload: string, { svixId = `msg_${randomUUID().replace(/-/g, '')}`, signedAt = new Date() }: { svixId?: string; signedAt?: Date } = {}): SignedEvent {
  return {
    svixId,
    headers: {
      'content-type': 'application/json',
      'svix-id': svixId,
      'svix-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
      'svix-signature': new Webhook(secret).sign(svixId, signedAt, payload),
    },
    payload,
  };
}

export interface ResendStandInOptions {
  apiKey?: string;
  webhookSecret?: string;
  /** Requests per second; null: no limit. Default 2, Resend's default account limit. */
  ratePerSecond?: number | null;
}

const ERRORS: Record<ScriptedStatus, { name: string; message: string }> = {
  400: { name: 'validation_error', message: 'Invalid request.' },
  401: { name: 'missing_api_key', message: 'Missing API key in the authorization header.' },
  403: { name: 'validation_error', message: 'You can only send testing emails to your own email address.' },
  404: { name: 'not_found', message: 'The requested endpoint does not exist.' },
  409: { name: 'concurrent_idempotent_requests', message: 'Same idempotency key used while original request is still in progress.' },
  422: {
    name: 'validation_error',
    message: 'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
  },
  429: { name: 'rate_limit_exceeded', message: 'Too many requests. You can only make 2 requests per second.' },
  500: { name: 'internal_server_error', message: 'An unexpected error occurred.' },
  502: { name: 'application_error', message: 'Bad gateway.' },
  503: { name: 'application_error', message: 'Service unavailable.' },
};

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Answers no client expects. `html-502` (a proxy's error page) and `json-503` (an error body without
 * Resend's fields) come before the provider sees the request: nothing is sent. `text-200` and
 * `empty-200` come after it accepted the email: it is delivered, only the answer is garbled.
 */
export type MalformedAnswer = 'html-502' | 'json-503' | 'text-200' | 'empty-200';

const MALFORMED: Record<MalformedAnswer, { status: number; contentType: string; body: string; delivered: boolean }> = {
  'html-502': { status: 502, contentType: 'text/html', body: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>', delivered: false },
  'json-503': { status: 503, contentType: 'application/json', body: '{"error":"upstream connect error or disconnect/reset before headers"}', delivered: false },
  'text-200': { status: 200, contentType: 'text/plain', body: 'OK', delivered: true },
  'empty-200': { status: 200, contentType: 'application/json', body: '', delivered: true },
};

type Script = { kind: 'status'; status: ScriptedStatus } | { kind: 'delay'; ms: number } | { kind: 'malformed'; answer: MalformedAnswer };

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function asAddresses(value: unknown): string[] | undefined {
  if (typeof value === 'string' && value) return [value];
  if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'string' && v)) return value as string[];
  return undefined;
}

export async function startResendStandIn(options: ResendStandInOptions = {}): Promise<ResendStandIn> {
  const apiKey = options.apiKey ?? `re_test_${randomUUID().replace(/-/g, '')}`;
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`;
  let ratePerSecond = options.ratePerSecond === undefined ? 2 : options.ratePerSecond;
  let tokens = ratePerSecond ?? 0;
  let refilledAt = Date.now();
  const requests: RecordedRequest[] = [];
  const deliveries: Delivery[] = [];
  const scripts: Script[] = [];
  const failingRecipients = new Map<string, ScriptedStatus>();
  const byIdempotencyKey = new Map<string, { bodyHash: string; id: string }>();
  /** Keys of accepted requests still being handled (delayed): a second one meanwhile gets 409. */
  const inFlight = new Set<string>();

  /** Token bucket: holds at most `ratePerSecond` requests, refilled continuously at that rate. */
  function takeRateToken(now: number): boolean {
    if (ratePerSecond === null) return true;
    tokens = Math.min(ratePerSecond, tokens + ((now - refilledAt) / 1000) * ratePerSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  let open = 0;
  let peak = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = new Date();
    open += 1;
    peak = Math.max(peak, open);
    response.once('close', () => {
      open -= 1;
    });
    const raw = await readBody(request);
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Recorded as text; answered below as a malformed request.
    }
    const idempotencyHeader = request.headers['idempotency-key'];
    const idempotencyKey = typeof idempotencyHeader === 'string' ? idempotencyHeader : undefined;
    const record: RecordedRequest = {
      at,
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0] ?? '',
      headers: request.headers,
      idempotencyKey,
      body,
      status: 0,
      outcome: 'refused',
    };
    requests.push(record);

    const answer = (status: number, outcome: RequestOutcome, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      record.outcome = outcome;
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    const error = (status: number, name: string, message: string, outcome: RequestOutcome = 'refused', headers: Record<string, string> = {}) =>
      answer(status, outcome, { statusCode: status, name, message }, headers);

    if (!takeRateToken(at.getTime())) {
      return error(429, ERRORS[429].name, ERRORS[429].message, 'rate-limited', { 'retry-after': '1' });
    }
    const script = scripts.shift();
    if (script?.kind === 'status') {
      const { name, message } = ERRORS[script.status];
      return error(script.status, name, message, 'scripted-failure', script.status === 429 ? { 'retry-after': '1' } : {});
    }
    const malformed = script?.kind === 'malformed' ? MALFORMED[script.answer] : undefined;
    const answerMalformed = (outcome: RequestOutcome) => {
      record.status = malformed!.status;
      record.outcome = outcome;
      response.writeHead(malformed!.status, { 'content-type': malformed!.contentType });
      response.end(malformed!.body);
    };
    if (malformed && !malformed.delivered) return answerMalformed('scripted-failure');

    if (record.path !== '/emails') return error(404, 'not_found', 'The requested endpoint does not exist.');
    if (record.method !== 'POST') return error(405, 'method_not_allowed', 'Method is not allowed for the requested path.');
    const authorization = request.headers.authorization;
    if (!authorization?.startsWith('Bearer ')) return error(401, 'missing_api_key', 'Missing API key in the authorization header.');
    if (authorization.slice('Bearer '.length) !== apiKey) return error(403, 'invalid_api_key', 'API key is invalid.');
    if (typeof body !== 'object' || body === null) return error(422, 'validation_error', 'The request body must be a JSON object.');

    const email = body as Record<string, unknown>;
    const to = asAddresses(email.to);
    if (typeof email.from !== 'string' || !to || typeof email.subject !== 'string') {
      return error(422, 'missing_required_field', 'The `from`, `to` and `subject` fields are required.');
    }
    if (typeof email.html !== 'string' && typeof email.text !== 'string') {
      return error(422, 'missing_required_field', 'Either `html` or `text` is required.');
    }
    const failing = to.map((address) => failingRecipients.get(address)).find((status) => status !== undefined);
    if (failing !== undefined) return error(failing, ERRORS[failing].name, ERRORS[failing].message, 'scripted-failure');

    const bodyHash = createHash('sha256').update(raw).digest('hex');
    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length < 1 || idempotencyKey.length > 256) {
        return error(400, 'invalid_idempotency_key', 'The idempotency key must be between 1 and 256 characters.');
      }
      const earlier = byIdempotencyKey.get(idempotencyKey);
      if (earlier && earlier.bodyHash !== bodyHash) {
        return error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
      }
      if (earlier) {
        record.emailId = earlier.id;
        return answer(200, 'duplicate', { id: earlier.id });
      }
      if (inFlight.has(idempotencyKey)) {
        return error(409, 'concurrent_idempotent_requests', ERRORS[409].message);
      }
    }
    if (script?.kind === 'delay') {
      if (idempotencyKey !== undefined) inFlight.add(idempotencyKey);
      await new Promise((resolve) => setTimeout(resolve, script.ms));
      if (idempotencyKey !== undefined) inFlight.delete(idempotencyKey);
    }
    const id = randomUUID();
    if (idempotencyKey !== undefined) byIdempotencyKey.set(idempotencyKey, { bodyHash, id });
    deliveries.push({
      id,
      at,
      idempotencyKey,
      from: email.from,
      to,
      subject: email.subject,
      html: typeof email.html === 'string' ? email.html : undefined,
      text: typeof email.text === 'string' ? email.text : undefined,
    });
    record.emailId = id;
    if (malformed) return answerMalformed('delivered-malformed');
    return answer(200, 'delivered', { id });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ statusCode: 500, name: 'internal_server_error', message: 'stand-in failure' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    deliveries: () => [...deliveries],
    duplicates: () => requests.filter((r) => r.outcome === 'duplicate'),
    rateLimited: () => requests.filter((r) => r.outcome === 'rate-limited').length,
    peakInFlight: () => peak,
    failFor(address, status) {
      if (status === null) failingRecipients.delete(address);
      else failingRecipients.set(address, status);
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i += 1) scripts.push({ kind: 'status', status });
    },
    delayNext(ms, count = 1) {
      for (let i = 0; i < count; i += 1) scripts.push({ kind: 'delay', ms });
    },
    malformNext(answer, count = 1) {
      for (let i = 0; i < count; i += 1) scripts.push({ kind: 'malformed', answer });
    },
    setRateLimit(limit) {
      ratePerSecond = limit;
      tokens = limit ?? 0;
      refilledAt = Date.now();
    },
    webhookSecret,
    event(type, emailId, { svixId, signedAt = new Date(), secret = webhookSecret } = {}) {
      const email = deliveries.find((d) => d.id === emailId);
      const createdAt = signedAt.toISOString();
      const data: Record<string, unknown> = { created_at: createdAt, email_id: emailId, from: email?.from ?? 'unknown@example.com', to: email?.to ?? ['unknown@example.com'], subject: email?.subject ?? '' };
      if (type === 'email.bounced') data.bounce = { message: 'The recipient’s mailbox does not exist.', subType: 'General', type: 'Permanent' };
      return signSvix(secret, JSON.stringify({ type, created_at: createdAt, data }), { ...(svixId ? { svixId } : {}), signedAt });
    },
    async sendEvent(target, { headers, payload }) {
      const response = await fetch(target, { method: 'POST', headers, body: payload });
      await response.arrayBuffer();
      return response.status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Delayed answers and keep-alive sockets must not hold the test run open.
        server.closeAllConnections();
      }),
  };
}
