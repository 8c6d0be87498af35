// Generated requests against every route of the real service (worker, Temporal, PostgreSQL), at
// least 10 000 of them: wrong types, huge bodies, unicode, injection strings, steps out of order,
// random paths and methods, valid and invalid tokens and signatures. Every answer must be below
// 500, carry no stack trace, and be application/problem+json when it is an error; a refused
// request must change nothing (the live state, the read model and every row an order owns are
// compared before and after each batch).
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIntakeBody } from '../api/signature.js';
import { orderWorkflowId } from '../domain/order.js';
import { getStateQuery, STEP_NAMES } from '../workflows/definitions.js';
import {
  eventually,
  type Harness,
  HMAC_SECRET,
  isoDate,
  makeOrder,
  REP_TOKEN,
  repAction,
  startHarness,
  tokenOf,
  waitForEmail,
  wizardClient,
} from './support/harness.js';
import { orderInServiceSetup } from './support/wizard-flow.js';

const BATCH_SIZE = 100;
const BATCHES = 102;
const MIN_REQUESTS = 10_000;

type FixtureName = 'awaiting' | 'inProgress' | 'serviceSetup' | 'scheduled' | 'cancelled';
interface Fixture {
  orderId: string;
  /** The link's token: current for the first three, revoked for `cancelled`, none for `scheduled`. */
  token?: string;
  sessionId?: string;
}

interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** The order this request names with working credentials: only it may change, and only if the request is accepted. */
  target?: FixtureName;
  /** An intake body's order id: a refused intake must start no workflow for it. */
  intakeOrderId?: string;
}

let h: Harness;
const fixtures = {} as Record<FixtureName, Fixture>;
const FIXTURE_NAMES: FixtureName[] = ['awaiting', 'inProgress', 'serviceSetup', 'scheduled', 'cancelled'];
/** Orders that intake requests are built from: re-deliveries (200) and conflicting ones (409) among them. */
const intakeBases = [makeOrder(), makeOrder({ product: 'A-SPK', services: ['calling'] }), makeOrder({ timezone: 'America/New_York' })];

beforeAll(async () => {
  // The fuzzer is one client sending thousands of requests: rate limits would answer most of them.
  h = await startHarness({ RATE_LIMIT_INTAKE: '1000000/1m', RATE_LIMIT_WIZARD: '1000000/1m', RATE_LIMIT_REP: '1000000/1m' });

  const linked = async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    return { order, token: tokenOf(await waitForEmail(h, order.orderId, 'setup')) };
  };
  const awaiting = await linked();
  fixtures.awaiting = { orderId: awaiting.order.orderId, token: awaiting.token };

  const inProgress = await linked();
  const wizard = wizardClient(h, inProgress.token);
  expect((await wizard.start()).statusCode).toBe(201);
  expect((await wizard.step('role', { role: 'partner' })).statusCode).toBe(200);
  expect((await wizard.step('configurer', { choice: 'self' })).statusCode).toBe(200);
  fixtures.inProgress = { orderId: inProgress.order.orderId, token: inProgress.token, sessionId: wizard.sessionId };

  const setup = await orderInServiceSetup(h, ['messaging', 'meetings']);
  await waitForEmail(h, setup.order.orderId, 'order-configured');
  fixtures.serviceSetup = { orderId: setup.order.orderId, token: setup.token, sessionId: setup.wizard.sessionId };

  const scheduled = makeOrder();
  expect((await h.postOrder(scheduled)).statusCode).toBe(201);
  fixtures.scheduled = { orderId: scheduled.orderId };

  const cancelled = await linked();
  expect((await repAction(h, cancelled.order.orderId, 'cancel', { reason: 'customer withdrew' })).statusCode).toBe(200);
  await eventually(async () => ((await wizardClient(h, cancelled.token).view()).statusCode === 404 ? true : undefined));
  fixtures.cancelled = { orderId: cancelled.order.orderId, token: cancelled.token };
}, 120_000);

afterAll(async () => {
  await h?.close();
});

// ---------------------------------------------------------------------------------------------
// What every order owns, to compare before and after a batch.

type Snapshot = Record<FixtureName, string>;

async function snapshot(): Promise<Snapshot> {
  const ids = FIXTURE_NAMES.map((name) => fixtures[name].orderId);
  const rows = (await h.database.db.execute(sql`
    select o.order_id, o.status, o.last_seq, o.escalated, o.contact_email, o.start_at, o.updated_at,
      (select count(*) from order_events e where e.order_id = o.order_id) as events,
      (select count(*) from link_tokens l where l.order_id = o.order_id) as links,
      (select count(*) from link_tokens l where l.order_id = o.order_id and l.revoked_at is not null) as revoked_links,
      (select count(*) from email_deliveries d where d.order_id = o.order_id) as emails,
      (select count(*) from rep_tasks t where t.order_id = o.order_id) as tasks,
      (select coalesce(string_agg(s.subdomain || ':' || s.status, ','), '') from meeting_sites s where s.order_id = o.order_id) as sites,
      (select count(*) from organizations g where g.created_by_order_id = o.order_id) as orgs,
      (select count(*) from org_users u where u.created_by_order_id = o.order_id) as users
    from orders o where o.order_id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
  `)) as unknown as Array<Record<string, unknown>>;
  const states = await Promise.all(ids.map((id) => h.client.workflow.getHandle(orderWorkflowId(id)).query(getStateQuery)));
  return Object.fromEntries(
    FIXTURE_NAMES.map((name, i) => [name, JSON.stringify({ state: states[i], row: rows.find((r) => r.order_id === ids[i]) })]),
  ) as Snapshot;
}

// ---------------------------------------------------------------------------------------------
// Generators.

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  '" OR ""="',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '{{7*7}}',
  '${7*7}',
  '${jndi:ldap://127.0.0.1/a}',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  'a\u0000b',
  '\u0000',
  '\r\nX-Injected: yes',
  '__proto__',
  'constructor',
  '{"$ne":null}',
  '\u202eevil',
  '\ud83d\ude00'.repeat(50),
  'Ω≈ç√∫˜µ≤≥÷',
  'NaN',
  '-1',
  '1e309',
  ' ',
  '',
  'x'.repeat(300),
];

/** Strings that hurt: arbitrary unicode, control characters, injection attempts, very long ones. */
const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5_000 }).map((n) => 'é'.repeat(n)) },
);

/** Any JSON value, with the nasty strings in it. */
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, 0, -1, 1.5, 1e308, [], {}, ['a'], { a: 1 }) },
);

/** encodeURIComponent, which throws on a lone surrogate: a client would send U+FFFD instead. */
const encode = (text: string) => encodeURIComponent(text.replace(/\p{Cs}/gu, '\ufffd'));

/** A path segment as a client would send it: encoded, or raw and malformed. */
const pathSegment = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 6, arbitrary: valid.map(encode) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(encode) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%c0%af', '..', '.', '%2e%2e', '%00', 'a%2Fb', 'x'.repeat(700)) },
  );

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

/** Raw bodies: JSON of anything, broken JSON, huge bodies, prototype pollution. */
const rawBody = fc.oneof(
  { weight: 6, arbitrary: nastyValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.constantFrom('{"a":', '{', '[1,2', 'nul', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '') },
  { weight: 1, arbitrary: fc.integer({ min: 65 * 1024, max: 80 * 1024 }).map((n) => JSON.stringify({ sessionId: 'x', blob: 'a'.repeat(n) })) },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', 'application/json, text/plain') },
);

const repAuthorization = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ authorization: `Bearer ${REP_TOKEN}` }) },
  { weight: 1, arbitrary: fc.constant({} as Record<string, string>) },
  { weight: 2, arbitrary: printable.map((t) => ({ authorization: `Bearer ${t}` })) },
  { weight: 1, arbitrary: fc.constantFrom('Basic dXNlcjpwYXNz', `bearer ${REP_TOKEN}`, `Bearer  ${REP_TOKEN}`, `Bearer ${REP_TOKEN}x`, 'Bearer', `Token ${REP_TOKEN}`).map((a) => ({ authorization: a })) },
);
const validRep = (headers: Record<string, string>) => headers.authorization === `Bearer ${REP_TOKEN}`;

const fixtureName = fc.constantFrom(...FIXTURE_NAMES);
const linkFixture = fc.constantFrom<FixtureName>('awaiting', 'inProgress', 'serviceSetup');

/** A wizard token: a working one (the request targets its order), a revoked one, or nonsense. */
const token = fc.oneof(
  { weight: 5, arbitrary: linkFixture.map((name) => ({ token: fixtures[name].token!, target: name as FixtureName | undefined })) },
  { weight: 1, arbitrary: fc.constant(null).map(() => ({ token: fixtures.cancelled.token!, target: undefined })) },
  { weight: 2, arbitrary: fc.base64String({ minLength: 44, maxLength: 44 }).map((s) => ({ token: s.slice(0, 43).replace(/\+/g, '-').replace(/\//g, '_'), target: undefined })) },
  { weight: 2, arbitrary: nastyString.map((s) => ({ token: s, target: undefined })) },
);

const INPUT_KEYS = ['role', 'choice', 'email', 'mode', 'name', 'country', 'address', 'adminEmail', 'recognised', 'orgId', 'confirmed', 'password', 'reviewed', 'subdomain', 'locationName', 'timeZone', 'extensionLength', 'confirm'];
const stepInput = fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...INPUT_KEYS) }, { weight: 1, arbitrary: nastyString }), nastyValue, { maxKeys: 6 });

const sessionIdFor = (target: FixtureName | undefined) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(target ? fixtures[target].sessionId : undefined) },
    { weight: 1, arbitrary: fc.constantFrom(fixtures.inProgress.sessionId, fixtures.serviceSetup.sessionId, randomUUID()) },
    { weight: 1, arbitrary: nastyValue },
  );

const wizardStep: fc.Arbitrary<FuzzRequest> = token.chain(({ token: t, target }) =>
  fc
    .record({
      step: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<string>(...STEP_NAMES) }, { weight: 1, arbitrary: nastyString }),
      sessionId: sessionIdFor(target),
      input: stepInput,
      // Mostly with a session id, so most requests reach the workflow's own rules.
      withSession: fc.nat(4).map((n) => n > 0),
      raw: fc.option(rawBody, { freq: 6 }),
      type: contentType,
    })
    .map(({ step, sessionId, input, withSession, raw, type }) => ({
      method: 'POST' as const,
      url: `/api/wizard/${encode(t)}/steps/${encode(step)}`,
      headers: { 'content-type': type },
      payload: raw ?? JSON.stringify(withSession ? { ...input, sessionId } : input),
      ...(target ? { target } : {}),
    })),
);

const wizardRead: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.tuple(token, fc.option(nastyString)).map(([{ token: t }, sessionId]) => ({
    method: 'GET' as const,
    url: `/api/wizard/${encode(t)}${sessionId === null ? '' : `?sessionId=${encode(sessionId)}`}`,
    headers: {},
  })),
  fc.tuple(token, pathSegment(fc.oneof(nastyString, fc.stringMatching(/^[a-z0-9-]{1,70}$/)))).map(([{ token: t }, name]) => ({
    method: 'GET' as const,
    url: `/api/wizard/${encode(t)}/subdomains/${name}`,
    headers: {},
  })),
  // Starting a session is a legitimate request: only links that cannot start one are sent here.
  fc.oneof(fc.constant(null).map(() => fixtures.cancelled.token!), nastyString).map((t) => ({
    method: 'POST' as const,
    url: `/api/wizard/${encode(t)}/sessions`,
    headers: {},
  })),
);

/** A valid intake body with one field made wrong, or an arbitrary body; signed well or badly. */
const intake: fc.Arbitrary<FuzzRequest> = fc
  .record({
    base: fc.constantFrom(...intakeBases),
    mutation: fc.option(
      fc.record({
        path: fc.constantFrom('orderId', 'product', 'requestedStartDate', 'timezone', 'provisioningContactEmail', 'partner', 'partner.id', 'partner.name', 'customer', 'customer.name', 'customer.country', 'services', 'rep', 'rep.email', 'rep.name', 'extra'),
        value: fc.option(nastyValue, { freq: 8 }),
      }),
      { freq: 8 },
    ),
    arbitrary: fc.option(rawBody, { freq: 5 }),
    signature: fc.constantFrom('valid', 'valid', 'valid', 'stale', 'future', 'wrong-key', 'garbage', 'missing', 'twice'),
    garbage: printable,
    type: contentType,
  })
  .map(({ base, mutation, arbitrary, signature, garbage, type }) => {
    const body = structuredClone(base) as unknown as Record<string, unknown>;
    if (mutation) {
      const [head, tail] = mutation.path.split('.') as [string, string | undefined];
      const parent = (tail ? body[head] : body) as Record<string, unknown>;
      const key = tail ?? head;
      if (mutation.value === null) delete parent[key];
      else parent[key] = mutation.value;
    }
    const raw = arbitrary ?? JSON.stringify(body);
    const now = Math.floor(Date.now() / 1000);
    const signatures: Record<string, string | undefined> = {
      valid: signIntakeBody(HMAC_SECRET, raw, now),
      stale: signIntakeBody(HMAC_SECRET, raw, now - 301),
      future: signIntakeBody(HMAC_SECRET, raw, now + 301),
      'wrong-key': signIntakeBody('another-secret-0123456789', raw, now),
      garbage,
      missing: undefined,
      twice: `${signIntakeBody(HMAC_SECRET, raw, now)},${signIntakeBody(HMAC_SECRET, raw, now)}`,
    };
    const header = signatures[signature];
    const orderId = arbitrary === null && typeof body.orderId === 'string' ? body.orderId : undefined;
    return {
      method: 'POST' as const,
      url: '/api/orders',
      headers: { 'content-type': type, ...(header === undefined ? {} : { 'x-signature': header }) },
      payload: raw,
      ...(orderId ? { intakeOrderId: orderId } : {}),
    };
  });

/** A cursor of the right shape holding dates PostgreSQL cannot store, or any text. */
const cursor = fc.oneof(
  fc.tuple(fc.constantFrom('-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '0000-01-01', '1970-01-01T00:00:00Z', 'not a date'), nastyValue).map((v) =>
    Buffer.from(JSON.stringify(v)).toString('base64url'),
  ),
  nastyValue.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  nastyString,
);

const repList: fc.Arbitrary<FuzzRequest> = fc
  .record({
    auth: repAuthorization,
    query: fc.dictionary(
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom('status', 'escalated', 'q', 'cursor', 'limit') }, { weight: 1, arbitrary: nastyString }),
      fc.oneof(nastyString, cursor, fc.constantFrom('SCHEDULED', 'PROVISIONED,CANCELLED', 'true', 'false', '0', '101', '25', 'ESCALATED, ,x')),
      { maxKeys: 4 },
    ),
  })
  .map(({ auth, query }) => ({
    method: 'GET' as const,
    url: `/api/orders?${new URLSearchParams(query).toString()}`,
    headers: auth,
  }));

const orderIdSegment = fc.oneof(
  { weight: 3, arbitrary: fixtureName.map((name) => encode(fixtures[name].orderId)) },
  { weight: 2, arbitrary: pathSegment(nastyString) },
  { weight: 1, arbitrary: fc.constant(`CCW-${randomUUID().slice(0, 8)}`) },
);

const repDetail: fc.Arbitrary<FuzzRequest> = fc.tuple(repAuthorization, orderIdSegment).map(([auth, id]) => ({
  method: 'GET' as const,
  url: `/api/orders/${id}`,
  headers: auth,
}));

/** Actions each order refuses whatever the body says: a rep holding a valid token only sends these. */
const REFUSED_ACTIONS: Record<FixtureName, string[]> = {
  awaiting: ['reschedule', 'resume'],
  inProgress: ['reschedule', 'resume'],
  serviceSetup: ['reschedule', 'resume', 'cancel'],
  scheduled: ['resend-link', 'resume'],
  cancelled: ['resend-link', 'change-contact', 'reschedule', 'cancel', 'resume'],
};
const ACTIONS = ['resend-link', 'change-contact', 'reschedule', 'cancel', 'resume'];

const repActionRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    auth: repAuthorization,
    target: fixtureName,
    action: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: nastyString }),
    body: fc.oneof(
      fc.dictionary(fc.constantFrom('reason', 'email', 'requestedStartDate', 'extra'), nastyValue, { maxKeys: 3 }).map((b) => JSON.stringify(b)),
      rawBody,
    ),
    type: contentType,
    pick: fc.nat(),
  })
  .map(({ auth, target, action, body, type, pick }) => {
    const refusedOnly = REFUSED_ACTIONS[target];
    // With a working token, only actions the order must refuse: an accepted one is no refusal to check.
    const chosen = validRep(auth) && ACTIONS.includes(action) ? refusedOnly[pick % refusedOnly.length]! : action;
    return {
      method: 'POST' as const,
      url: `/api/orders/${encode(fixtures[target].orderId)}/actions/${encode(chosen)}`,
      headers: { ...auth, 'content-type': type },
      payload: body,
      ...(validRep(auth) ? { target } : {}),
    };
  });

const operations: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.constantFrom('/healthz', '/readyz', '/docs/json', '/docs', '/docs/static/index.html', '/dev/outbox.json', '/dev/outbox').map((url) => ({ method: 'GET' as const, url, headers: {} })),
  fc.tuple(fc.constantFrom('/dev/outbox.json', '/dev/outbox'), fc.dictionary(fc.constantFrom('orderId', 'to', 'x'), nastyString, { maxKeys: 2 })).map(([url, query]) => ({
    method: 'GET' as const,
    url: `${url}?${new URLSearchParams(query).toString()}`,
    headers: {},
  })),
  fc.tuple(repAuthorization, fc.constantFrom('encode', 'decode'), rawBody).map(([auth, operation, payload]) => ({
    method: 'POST' as const,
    url: `/codec/${operation}`,
    headers: { ...auth, 'content-type': 'application/json' },
    payload,
  })),
);

const randomRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom<FuzzRequest['method']>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
    prefix: fc.constantFrom('', '/api', '/api/orders', '/api/wizard', '/wizard', '/docs', '/dev', '/codec', '/rep'),
    segments: fc.array(pathSegment(nastyString), { maxLength: 4 }),
    query: fc.option(printable),
    body: fc.option(rawBody),
    auth: repAuthorization,
  })
  .map(({ method, prefix, segments, query, body, auth }) => ({
    method,
    url: `${prefix}/${segments.join('/')}${query === null ? '' : `?${encode(query)}`}`,
    headers: { ...auth, ...(body === null ? {} : { 'content-type': 'application/json' }) },
    ...(body === null || method === 'GET' || method === 'HEAD' ? {} : { payload: body }),
  }));

const anyRequest = fc.oneof(
  { weight: 6, arbitrary: wizardStep },
  { weight: 3, arbitrary: wizardRead },
  { weight: 4, arbitrary: intake },
  { weight: 2, arbitrary: repList },
  { weight: 1, arbitrary: repDetail },
  { weight: 3, arbitrary: repActionRequest },
  { weight: 1, arbitrary: operations },
  { weight: 2, arbitrary: randomRequest },
);

// ---------------------------------------------------------------------------------------------
// What every answer must be.

const STACK_TRACE = /\n\s+at |\bat [\w$.<>]+ \(|\.(?:ts|js|mjs|cjs):\d+:\d+|node_modules\//;

function checkAnswer(request: FuzzRequest, response: LightMyRequestResponse): string | undefined {
  const what = `${request.method} ${request.url.slice(0, 200)} → ${response.statusCode}`;
  // The readiness probe's documented answer when a dependency is slow to answer (a loaded CI machine), not an error.
  if (request.url === '/readyz' && response.statusCode === 503) return undefined;
  if (response.statusCode >= 500) return `${what}: a server error: ${response.body.slice(0, 500)}`;
  if (STACK_TRACE.test(response.body)) return `${what}: a stack trace in the answer: ${response.body.slice(0, 500)}`;
  if (response.statusCode < 400 || request.method === 'HEAD') return undefined;
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return `${what}: an error as ${type || 'no content type'}: ${response.body.slice(0, 300)}`;
  let problem: { type?: unknown; title?: unknown; status?: unknown };
  try {
    problem = JSON.parse(response.body);
  } catch {
    return `${what}: a problem that is not JSON: ${response.body.slice(0, 300)}`;
  }
  if (typeof problem.type !== 'string' || typeof problem.title !== 'string' || problem.status !== response.statusCode) {
    return `${what}: a problem without type, title or the answer's status: ${response.body.slice(0, 300)}`;
  }
  return undefined;
}

const isAccepted = (request: FuzzRequest, response: LightMyRequestResponse) => request.method !== 'GET' && response.statusCode < 300;

describe('text PostgreSQL cannot store', () => {
  const NUL = 'Fjord\u0000Networks';
  const LONE_SURROGATE = 'Fjord \ud800 Networks';

  it('is refused at the edge wherever it comes in, and the order it named still works', async () => {
    const before = await snapshot();
    for (const bad of [NUL, LONE_SURROGATE]) {
      const order = makeOrder({ partner: { id: `P-${randomUUID().slice(0, 8)}`, name: bad } });
      const intake = await h.postOrder(order);
      expect(intake.statusCode, intake.body).toBe(400);
      expect(intake.json().errors).toEqual([{ field: '/body/partner/name', message: expect.any(String) }]);

      const { token, sessionId } = fixtures.inProgress;
      const step = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/partner-org`, payload: { sessionId, mode: 'new', name: bad, country: 'NO', address: 'Kaigata 1', adminEmail: 'a@b.example' } });
      expect(step.statusCode, step.body).toBe(422);
      expect(step.json().errors).toEqual([{ field: '/body/name', message: expect.any(String) }]);
      const extra = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/partner-org`, payload: { sessionId, note: bad } });
      expect(extra.statusCode, extra.body).toBe(422);

      const cancel = await repAction(h, fixtures.awaiting.orderId, 'cancel', { reason: bad });
      expect(cancel.statusCode, cancel.body).toBe(422);
      const cursor = Buffer.from(JSON.stringify([new Date().toISOString(), bad])).toString('base64url');
      expect((await h.repGet(`/api/orders?cursor=${cursor}`)).statusCode).toBe(400);
    }
    const search = await h.repGet(`/api/orders?q=${encodeURIComponent(NUL)}`);
    expect(search.statusCode, search.body).toBe(400);
    expect(await snapshot()).toEqual(before);

    // The order the refused step named goes on as if nothing had been sent.
    const { token, sessionId } = fixtures.inProgress;
    const view = await h.app.inject({ method: 'GET', url: `/api/wizard/${token}?sessionId=${sessionId}` });
    expect(view.json()).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'partner-org', session: { active: true } });
  });
});

describe('fuzzing every route', () => {
  it(`answers ${MIN_REQUESTS}+ generated requests without a 5xx, a stack trace or a change from a refused request`, async () => {
    const tally = { requests: 0, accepted: 0, byStatus: new Map<number, number>() };
    const refusedIntakeIds = new Set<string>();
    const acceptedIntakeIds = new Set<string>();
    /** The order each created intake answered with: later deliveries under its id must not change it. */
    const created = new Map<string, Record<string, unknown>>();
    // Start from rest: the fixtures' own side effects (emails, link revocations) are done.
    let before = await eventually(async () => {
      const [first, second] = [await snapshot(), await snapshot()];
      return JSON.stringify(first) === JSON.stringify(second) ? second : undefined;
    });

    const result = await fc.check(
      fc.asyncProperty(fc.array(anyRequest, { minLength: BATCH_SIZE, maxLength: BATCH_SIZE }), async (batch) => {
        const changedBy = new Set<FixtureName>();
        for (const request of batch) {
          const response = await h.app.inject({ method: request.method, url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
          tally.requests += 1;
          tally.byStatus.set(response.statusCode, (tally.byStatus.get(response.statusCode) ?? 0) + 1);
          const problem = checkAnswer(request, response);
          if (problem) throw new Error(problem);
          if (isAccepted(request, response)) {
            tally.accepted += 1;
            if (request.target) changedBy.add(request.target);
            if (request.intakeOrderId) acceptedIntakeIds.add(request.intakeOrderId);
            if (request.intakeOrderId && response.statusCode === 201) created.set(request.intakeOrderId, response.json());
          } else if (request.intakeOrderId) {
            refusedIntakeIds.add(request.intakeOrderId);
          }
        }
        const after = await snapshot();
        for (const name of FIXTURE_NAMES) {
          if (!changedBy.has(name)) expect(after[name], `${name} changed though every request naming it was refused`).toBe(before[name]);
        }
        before = after;
      }),
      { numRuns: BATCHES, endOnFailure: true },
    );
    // The failing answer names its request; the whole batch (fast-check's counterexample) is too big to read.
    if (result.failed) throw new Error(`after ${tally.requests} requests (seed ${result.seed}): ${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)}`);

    expect(tally.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    // Refusals dominate, but the generators reach past validation too: working links and tokens are used.
    expect(tally.byStatus.get(409) ?? 0).toBeGreaterThan(0);
    expect(tally.byStatus.get(422) ?? 0).toBeGreaterThan(0);
    expect(tally.byStatus.get(401) ?? 0).toBeGreaterThan(0);
    expect((tally.byStatus.get(200) ?? 0) + (tally.byStatus.get(201) ?? 0)).toBeGreaterThan(0);

    // A refused intake started nothing: no workflow exists for an order id that was only ever refused.
    const onlyRefused = [...refusedIntakeIds].filter((id) => !acceptedIntakeIds.has(id)).slice(0, 100);
    for (const orderId of onlyRefused) {
      const started = await h.client.workflow
        .getHandle(orderWorkflowId(orderId))
        .describe()
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof WorkflowNotFoundError) return false;
            throw error;
          },
        );
      expect(started, `a workflow for refused order ${orderId}`).toBe(false);
    }
    for (const [orderId, first] of created) {
      const { order } = await h.client.workflow.getHandle(orderWorkflowId(orderId)).query(getStateQuery);
      const fields = ({ partner, customer, rep, services, provisioningContactEmail, requestedStartDate }: Record<string, unknown>) => ({
        partner, customer, rep, services, provisioningContactEmail, requestedStartDate,
      });
      expect(fields(order as unknown as Record<string, unknown>), `order ${orderId} changed after it was created`).toEqual(fields(first));
    }

    // Nothing is left retrying: no order's workflow is stuck on an activity that keeps failing.
    for (const name of FIXTURE_NAMES) {
      const description = await h.client.workflow.getHandle(orderWorkflowId(fixtures[name].orderId)).describe();
      const stuck = (description.raw.pendingActivities ?? []).filter((activity) => (activity.attempt ?? 1) > 2);
      expect(stuck.map((a) => `${a.activityType?.name}: ${a.lastFailure?.message}`), name).toEqual([]);
    }
  }, 240_000);
});
