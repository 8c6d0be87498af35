// SPEC §6 and the edges of §4, attacked from outside: rep routes without a valid token, floods,
// guessed and revoked link tokens, replayed intake signatures, missing security headers, and
// secrets in log lines.
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, isNotNull } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { signIntakeBody } from '../api/signature.js';
import { ConfigError, loadConfig } from '../config.js';
import { linkTokens, orgUsers } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import {
  eventually,
  type Harness,
  HMAC_SECRET,
  isoDate,
  makeOrder,
  outbox,
  REP_TOKEN,
  repAction,
  startHarness,
  tokenOf,
  waitForEmail,
  wizardClient,
} from './support/harness.js';
import { orderInServiceSetup, PARTNER_PASSWORD, saveAllSections } from './support/wizard-flow.js';

const SECOND_REP_TOKEN = 'second-rep-token-0123456789';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Operation {
  method: string;
  /** OpenAPI form: `/api/orders/{orderId}`. */
  path: string;
  secured: boolean;
  parameters: Array<{ in: string; name: string; schema?: { enum?: string[] } }>;
}

/** Every operation of the service's own OpenAPI document, as /docs/json publishes it. */
async function documentedOperations(): Promise<Operation[]> {
  const response = await h.app.inject({ method: 'GET', url: '/docs/json' });
  const doc = response.json() as { paths: Record<string, Record<string, { security?: unknown[]; parameters?: Operation['parameters'] }>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      secured: Boolean(operation.security?.length),
      parameters: operation.parameters ?? [],
    })),
  );
}

/** Every route Fastify serves (documented or not), from its route tree. */
function servedRoutes(): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const prefixes: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = url;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

/** A concrete URL for an OpenAPI path: enum parameters take their first value. */
function concreteUrl(operation: Operation): string {
  return operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const parameter = operation.parameters.find((p) => p.in === 'path' && p.name === name);
    return parameter?.schema?.enum?.[0] ?? 'CCW-1';
  });
}

function call(operation: Operation, authorization?: string, remoteAddress?: string) {
  return h.app.inject({
    method: operation.method as 'GET' | 'POST',
    url: concreteUrl(operation),
    headers: { ...(authorization === undefined ? {} : { authorization }), ...(operation.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(operation.method === 'POST' ? { payload: '{}' } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

const isProblem = (response: LightMyRequestResponse, status: number) => {
  expect(response.statusCode, `${response.statusCode} ${response.body}`).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
};

/** Routes anyone may call: intake and Resend's events (signed), the wizard (link token), operations, dev pages and docs. */
const PUBLIC_OPERATIONS = [
  'POST /api/orders',
  'POST /api/email-events',
  'GET /api/wizard/{token}',
  'POST /api/wizard/{token}/sessions',
  'POST /api/wizard/{token}/steps/{step}',
  'GET /api/wizard/{token}/subdomains/{name}',
  'GET /api/consent/{token}',
  'POST /api/consent/{token}',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /dev/outbox',
  'GET /dev/outbox.json',
];
const REP_OPERATIONS = [
  'GET /api/orders',
  'GET /api/orders/{orderId}',
  'POST /api/orders/{orderId}/actions/{action}',
  'POST /api/orders/actions/{action}',
  'GET /api/tasks',
  // Admins only (403 for other reps).
  'POST /api/privacy/erasure',
  'GET /api/privacy/export',
  'POST /codec/decode',
  'POST /codec/encode',
];

describe('rep routes', () => {
  it('are every documented operation outside the public list, and every API route is documented', async () => {
    const operations = await documentedOperations();
    const name = (o: Operation) => `${o.method} ${o.path}`;
    expect(operations.filter((o) => o.secured).map(name).sort()).toEqual([...REP_OPERATIONS].sort());
    // A new route is either public on purpose (listed above) or declares the rep token.
    expect(operations.filter((o) => !o.secured).map(name).sort()).toEqual([...PUBLIC_OPERATIONS].sort());

    const documented = new Set(operations.map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`));
    const undocumented = servedRoutes()
      .filter((r) => /^\/(api|codec)\//.test(r.url) && r.method !== 'HEAD' && r.method !== 'OPTIONS')
      .map((r) => `${r.method} ${r.url}`)
      .filter((route) => !documented.has(route));
    expect(undocumented).toEqual([]);
  });

  it('answer 401 problem+json with a Bearer challenge without a token, with a wrong one, or a malformed header', async () => {
    const secured = (await documentedOperations()).filter((o) => o.secured);
    const wrong = [undefined, '', `Bearer ${REP_TOKEN}x`, `Bearer ${REP_TOKEN.slice(0, -1)}`, REP_TOKEN, `Basic ${Buffer.from(`rep:${REP_TOKEN}`).toString('base64')}`, `Bearer ${'a'.repeat(600)}`];
    for (const operation of secured) {
      for (const authorization of wrong) {
        const response = await call(operation, authorization);
        isProblem(response, 401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.json()).toMatchObject({ type: 'urn:order-provisioning:problem:unauthorized', status: 401 });
      }
      // The same request with a valid token gets past authentication.
      for (const token of [REP_TOKEN, SECOND_REP_TOKEN]) {
        expect((await call(operation, `Bearer ${token}`)).statusCode, `${operation.method} ${operation.path}`).not.toBe(401);
      }
    }
  });

  it('refuse before reading or validating anything: an unauthenticated caller learns nothing of the schema', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/orders/CCW-1/actions/cancel',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ unknown: 'x'.repeat(2000) }),
    });
    isProblem(response, 401);
    expect(response.body).not.toMatch(/reason|unknown|additional/);
  });

  it('in production, the dev outbox (live links) and the source maps do not exist', async () => {
    const production = loadConfig({
      ...h.env,
      NODE_ENV: 'production',
      RESEND_API_KEY: 're_test_key',
      EMAIL_FROM: 'Provisioning <provisioning@orders.example>',
      PUBLIC_BASE_URL: 'https://orders.example',
    });
    expect(production.devOutbox).toBe(false);
    const app = await buildApp({ config: production, database: h.database, temporal: h.client, logger: false });
    try {
      expect((await app.inject({ method: 'GET', url: '/dev/outbox' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/dev/outbox.json' })).statusCode).toBe(404);
      // Nor the pages' source maps; the bundles themselves are served.
      const script = /src="\/assets\/([^"]+\.js)"/.exec((await app.inject({ method: 'GET', url: '/rep' })).body)![1]!;
      expect((await app.inject({ method: 'GET', url: `/assets/${script}` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/assets/${script}.map` })).statusCode).toBe(404);
      expect((await h.app.inject({ method: 'GET', url: `/assets/${script}.map` })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('rate limits', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ RATE_LIMIT_INTAKE: '5/1m', RATE_LIMIT_WIZARD: '4/1m', RATE_LIMIT_REP: '3/1m' }, { worker: false });
  });
  afterAll(async () => {
    await limited?.close();
  });

  const unknownToken = () => randomBytes(32).toString('base64url');
  const from = (remoteAddress: string) => ({
    intake: (raw = '{}', signature = 't=1,v1=00') =>
      limited.app.inject({ method: 'POST', url: '/api/orders', remoteAddress, headers: { 'content-type': 'application/json', 'x-signature': signature }, payload: raw }),
    wizard: (path = '') => limited.app.inject({ method: 'GET', url: `/api/wizard/${unknownToken()}${path}`, remoteAddress }),
    rep: (token: string) => limited.app.inject({ method: 'GET', url: '/api/orders', remoteAddress, headers: { authorization: `Bearer ${token}` } }),
  });

  const expectLimited = (response: LightMyRequestResponse) => {
    isProblem(response, 429);
    expect(response.json()).toMatchObject({ type: 'urn:order-provisioning:problem:rate-limited', title: 'Too many requests', status: 429 });
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${response.headers['retry-after']}`).toBe(true);
  };

  it('limit intake per address, counting refused signatures too, and start nothing once over', async () => {
    const a = from('203.0.113.1');
    for (let i = 0; i < 5; i++) expect((await a.intake()).statusCode).toBe(401);
    expectLimited(await a.intake());

    // Even a correctly signed order is refused, and no workflow starts for it.
    const order = makeOrder();
    const raw = JSON.stringify(order);
    expectLimited(await a.intake(raw, signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000))));
    await expect(limited.client.workflow.getHandle(orderWorkflowId(order.orderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Another address has its own budget.
    expect((await from('203.0.113.2').intake()).statusCode).toBe(401);
  });

  it('limit link-token lookups per address across every wizard route and the wizard page', async () => {
    const a = from('203.0.113.11');
    const paths = ['', '/subdomains/acme-site', '?sessionId=s1'];
    for (const path of paths) isProblem(await a.wizard(path), 404);
    expect((await limited.app.inject({ method: 'GET', url: `/wizard/${unknownToken()}`, remoteAddress: '203.0.113.11' })).statusCode).not.toBe(429);
    expectLimited(await a.wizard());
    expectLimited(await limited.app.inject({ method: 'POST', url: `/api/wizard/${unknownToken()}/sessions`, remoteAddress: '203.0.113.11' }));

    isProblem(await from('203.0.113.12').wizard(), 404);
    // The budgets are separate: this address can still post orders.
    expect((await a.intake()).statusCode).toBe(401);
  });

  it('limit consent-link lookups per address like the wizard’s, the consent page included', async () => {
    const remoteAddress = '203.0.113.13';
    const consent = (method: 'GET' | 'POST') =>
      limited.app.inject({ method, url: `/api/consent/${unknownToken()}`, remoteAddress, ...(method === 'POST' ? { payload: { decision: 'approve' } } : {}) });
    for (let i = 0; i < 3; i++) isProblem(await consent('GET'), 410);
    expect((await limited.app.inject({ method: 'GET', url: `/consent/${unknownToken()}`, remoteAddress })).statusCode).not.toBe(429);
    expectLimited(await consent('POST'));
    expectLimited(await consent('GET'));
  });

  it('limit rep-token guessing before authentication, and the codec endpoint shares the rep budget', async () => {
    const a = from('203.0.113.21');
    for (let i = 0; i < 2; i++) isProblem(await a.rep(`guess-${i}-0123456789abcdef`), 401);
    isProblem(
      await limited.app.inject({ method: 'POST', url: '/codec/decode', remoteAddress: '203.0.113.21', headers: { authorization: 'Bearer guess-codec-0123456789' }, payload: { payloads: [] } }),
      401,
    );
    expectLimited(await a.rep('guess-4-0123456789abcdef'));
    // Over the limit, even the right token waits: the limit does not tell a good guess from a bad one.
    expectLimited(await a.rep(REP_TOKEN));
    expect((await from('203.0.113.22').rep(REP_TOKEN)).statusCode).toBe(200);
  });

  it('by default, let the commerce system post a burst of 100 orders at once', async () => {
    expect(h.config.rateLimits.intake.max / (h.config.rateLimits.intake.windowMs / 1000)).toBeGreaterThanOrEqual(50);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        h.app.inject({ method: 'POST', url: '/api/orders', remoteAddress: '198.51.100.7', headers: { 'content-type': 'application/json', 'x-signature': 't=1,v1=00' }, payload: '{}' }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(401));
    // Link lookups are held tighter than intake.
    const perSecond = (limit: { max: number; windowMs: number }) => limit.max / (limit.windowMs / 1000);
    expect(perSecond(h.config.rateLimits.wizard)).toBeLessThan(perSecond(h.config.rateLimits.intake));
  });

  it.each([
    ['RATE_LIMIT_INTAKE', '100'],
    ['RATE_LIMIT_WIZARD', '0/1m'],
    ['RATE_LIMIT_REP', '10/soon'],
    ['RATE_LIMIT_REP', '-5/1m'],
  ])('refuse %s=%s at start-up in one line naming the variable', (name, value) => {
    const env = { NODE_ENV: 'test', INTAKE_HMAC_SECRET: 's'.repeat(32), REP_API_TOKENS: 't'.repeat(32), LINK_TOKEN_SECRET: 'l'.repeat(32), DATA_DIR: '/tmp/unused' };
    expect(() => loadConfig({ ...env, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, [name]: value })).toThrow(new RegExp(`^Invalid environment: ${name} must be <requests>/<duration>`));
  });
});

describe('link tokens', () => {
  /** An order whose setup email has gone; returns its first token. */
  async function orderWithToken() {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    return { order, token: tokenOf(await waitForEmail(h, order.orderId, 'setup')) };
  }

  it('carry 256 random bits and are stored only as a hash', async () => {
    const issued = await Promise.all([orderWithToken(), orderWithToken(), orderWithToken()]);
    for (const { order, token } of issued) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      const rows = await h.database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId));
      expect(rows.map((r) => r.tokenHash)).toEqual([createHash('sha256').update(token).digest('hex')]);
      expect(JSON.stringify(rows)).not.toContain(token);
    }
    expect(new Set(issued.map((i) => i.token)).size).toBe(issued.length);
  });

  it('answer an unknown, a revoked, a one-character-off and a malformed token byte for byte alike', async () => {
    const { order, token: revoked } = await orderWithToken();
    expect((await repAction(h, order.orderId, 'resend-link')).statusCode).toBe(200);
    const current = await eventually(async () => {
      const tokens = (await outbox(h, order.orderId)).filter((e) => e.purpose === 'setup').map(tokenOf);
      return tokens.find((t) => t !== revoked);
    });
    await eventually(async () => ((await wizardClient(h, revoked).view()).statusCode === 404 ? true : undefined));
    expect((await wizardClient(h, current).view()).statusCode).toBe(200);

    const oneOff = `${revoked.slice(0, -1)}${revoked.endsWith('A') ? 'B' : 'A'}`;
    const candidates = { revoked, unknown: randomBytes(32).toString('base64url'), oneOff, malformed: 'not-a-token' };
    const requests = (token: string) => [
      { method: 'GET' as const, url: `/api/wizard/${token}` },
      { method: 'GET' as const, url: `/api/wizard/${token}?sessionId=someone-elses-session` },
      { method: 'POST' as const, url: `/api/wizard/${token}/sessions` },
      { method: 'POST' as const, url: `/api/wizard/${token}/steps/role`, payload: { sessionId: 's1', role: 'partner' } },
      { method: 'GET' as const, url: `/api/wizard/${token}/subdomains/acme-site` },
    ];
    const VOLATILE = new Set(['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    const comparable = (response: LightMyRequestResponse) => ({
      status: response.statusCode,
      headers: Object.fromEntries(Object.entries(response.headers).filter(([name]) => !VOLATILE.has(name))),
      body: response.body.replace(/"instance":"[^"]*"/, '"instance":"<request id>"'),
    });
    for (let i = 0; i < requests('x').length; i++) {
      const answers = await Promise.all(Object.values(candidates).map((token) => h.app.inject(requests(token)[i]!)));
      isProblem(answers[0]!, 404);
      for (const answer of answers.slice(1)) expect(comparable(answer)).toEqual(comparable(answers[0]!));
    }
  });
});

describe('intake signatures', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('refuse a signature more than 300 s old or ahead, and start nothing', async () => {
    for (const skew of [-301, 301, -86_400]) {
      const order = makeOrder();
      const response = await h.postOrder(order, { timestamp: now() + skew });
      isProblem(response, 401);
      expect(response.json().detail).toMatch(/300 s/);
      await expect(h.client.workflow.getHandle(orderWorkflowId(order.orderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    expect((await h.postOrder(makeOrder(), { timestamp: now() - 290 })).statusCode).toBe(201);
  });

  it('refuse a captured signature on another body, and treat an exact replay inside the window as the same order', async () => {
    const order = makeOrder();
    const raw = JSON.stringify(order);
    const signature = signIntakeBody(HMAC_SECRET, raw, now());
    expect((await h.postOrder(order, { raw, signature })).statusCode).toBe(201);
    const replay = await h.postOrder(order, { raw, signature });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ orderId: order.orderId });

    const other = makeOrder();
    isProblem(await h.postOrder(other, { signature }), 401);
    isProblem(await h.postOrder(other, { raw: raw.replace(order.orderId, other.orderId), signature }), 401);
    await expect(h.client.workflow.getHandle(orderWorkflowId(other.orderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('security headers', () => {
  const expectSecurityHeaders = (response: LightMyRequestResponse, what: string) => {
    const headers = response.headers;
    const csp = String(headers['content-security-policy'] ?? '');
    expect(csp, what).toContain("default-src 'self'");
    // No page may be framed by another site; the Swagger UI under /docs sets its own CSP, allowing only itself.
    expect(csp, what).toContain(what.startsWith('/docs') ? "frame-ancestors 'self'" : "frame-ancestors 'none'");
    expect(csp, what).toContain("script-src 'self'");
    expect(csp, what).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(headers['x-content-type-options'], what).toBe('nosniff');
    expect(['DENY', 'SAMEORIGIN'], what).toContain(headers['x-frame-options']);
    expect(headers['referrer-policy'], what).toBe('no-referrer');
    expect(Number(/max-age=(\d+)/.exec(String(headers['strict-transport-security']))?.[1]), what).toBeGreaterThanOrEqual(15_552_000);
    expect(headers['x-powered-by'], what).toBeUndefined();
  };

  it('are on every API answer (success, refusal, rate limit, unknown route) and keep personal data out of caches', async () => {
    const order = makeOrder();
    const unknown = randomBytes(32).toString('base64url');
    const answers: Array<[string, LightMyRequestResponse]> = [
      ['intake 201', await h.postOrder(order)],
      ['intake 401', await h.postOrder(makeOrder(), { signature: null })],
      ['rep list', await h.repGet('/api/orders?limit=1')],
      ['rep detail', await h.repGet(`/api/orders/${order.orderId}`)],
      ['rep 401', await h.repGet('/api/orders', null)],
      ['wizard 404', await h.app.inject({ method: 'GET', url: `/api/wizard/${unknown}` })],
      ['codec 401', await h.app.inject({ method: 'POST', url: '/codec/decode', payload: { payloads: [] } })],
      ['healthz', await h.app.inject({ method: 'GET', url: '/healthz' })],
      ['no route', await h.app.inject({ method: 'GET', url: '/nothing-here' })],
    ];
    for (const [what, response] of answers) expectSecurityHeaders(response, what);
    for (const [what, response] of answers.filter(([what]) => /^(rep|wizard|codec|intake)/.test(what))) {
      expect(response.headers['cache-control'], what).toBe('no-store');
    }
  });

  it('are on the pages: wizard, rep console, API docs, dev outbox', async () => {
    for (const url of [`/wizard/${randomBytes(32).toString('base64url')}`, '/rep', '/docs', '/docs/static/index.html', '/dev/outbox']) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).not.toBe(404);
      expectSecurityHeaders(response, url);
    }
  });

  it('ask browsers to upgrade asset requests to https only when the public address is https', async () => {
    const cspOf = async (publicBaseUrl: string) => {
      const config = loadConfig({ ...h.env, PUBLIC_BASE_URL: publicBaseUrl });
      const app = await buildApp({ config, database: h.database, temporal: h.client, logger: false });
      try {
        return String((await app.inject({ method: 'GET', url: '/rep' })).headers['content-security-policy']);
      } finally {
        await app.close();
      }
    };
    expect(await cspOf('https://orders.example.com')).toContain('upgrade-insecure-requests');
    // A LAN host over plain HTTP: with the directive the browser would fetch the page's scripts over https and show nothing.
    expect(await cspOf('http://192.168.1.20:3000')).not.toContain('upgrade-insecure-requests');
    expect(String((await h.app.inject({ method: 'GET', url: '/rep' })).headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });
});

describe('logs', () => {
  it('hold no secret, token, password or password hash after a full flow', async () => {
    const services = ['messaging', 'meetings'] as const;
    const { order, token, wizard } = await orderInServiceSetup(h, [...services]);
    await saveAllSections(wizard, [...services]);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    await eventually(async () => ((await wizard.view()).json().status === 'PROVISIONED' ? true : undefined), { timeoutMs: 30_000 });
    // A refused password and a request that fails validation go through the error paths too.
    await wizard.step('partner-password', { password: `${PARTNER_PASSWORD} again` });
    await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/partner-password`, payload: { sessionId: wizard.sessionId, password: PARTNER_PASSWORD, extra: 'x'.repeat(100) } });
    await h.app.inject({ method: 'GET', url: `/api/wizard/${token}?sessionId=${wizard.sessionId}&password=${encodeURIComponent(PARTNER_PASSWORD)}` });
    await h.repGet(`/api/orders/${order.orderId}`, SECOND_REP_TOKEN);
    await h.repGet('/api/orders', `${REP_TOKEN}-wrong`);
    await h.app.inject({ method: 'GET', url: `/wizard/${token}` });

    const [partnerAdmin] = await h.database.db
      .select()
      .from(orgUsers)
      .where(and(eq(orgUsers.createdByOrderId, order.orderId), isNotNull(orgUsers.passwordHash)));
    const signature = signIntakeBody(HMAC_SECRET, JSON.stringify(order), Math.floor(Date.now() / 1000));

    const text = h.logLines.map((line) => JSON.stringify(line)).join('\n');
    // The lines are there: the wizard's requests were logged, with the token cut out of the URL.
    expect(text).toContain('/api/wizard/[redacted]/steps/partner-password');
    expect(text).toContain('/wizard/[redacted]');
    const secrets = {
      repToken: REP_TOKEN,
      secondRepToken: SECOND_REP_TOKEN,
      hmacSecret: HMAC_SECRET,
      signatureMac: signature.split('v1=')[1]!,
      linkTokenSecret: h.config.linkTokenSecret,
      payloadKey: h.config.payloadEncryptionKeys[0]!.key.toString('base64'),
      linkToken: token,
      password: PARTNER_PASSWORD,
      passwordUrlEncoded: encodeURIComponent(PARTNER_PASSWORD),
      passwordHash: partnerAdmin!.passwordHash!,
    };
    for (const [name, value] of Object.entries(secrets)) expect(text.includes(value), `${name} in a log line`).toBe(false);
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);
    expect(text).not.toMatch(/Bearer /);
  });
});
