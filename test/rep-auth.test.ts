// Reps are people (SPEC §7.3): named REP_API_TOKENS entries and OIDC access tokens checked against
// the issuer's JWKS, served here by a local identity provider with keys this test generates. The
// audit timeline names the rep; a token that is expired, foreign or signed with another key is
// refused with 401 and changes nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { repRoleFromClaims } from '../api/plugins/rep-auth.js';
import { ConfigError, loadConfig } from '../config.js';
import { eventually, type Harness, makeOrder, REP_TOKEN, repAction, startHarness } from './support/harness.js';

const NAMED_TOKEN = 'ada-named-token-0123456789abcdef';
const AUDIENCE = 'order-desk';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface Provider {
  issuer: string;
  sign(claims: JWTPayload, options?: { key?: KeyLike; kid?: string; expiresIn?: string | number; issuer?: string; audience?: string; typ?: string | null }): Promise<string>;
  discoveryRequests: number;
  close(): Promise<void>;
}

/** A minimal OpenID provider: a discovery document and a JWKS with one RS256 key. */
async function startProvider(): Promise<Provider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  let discoveryRequests = 0;
  let issuer = '';
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      discoveryRequests += 1;
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (request.url === '/jwks') {
      response.end(JSON.stringify({ keys: [jwk] }));
    } else {
      response.statusCode = 404;
      response.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    get discoveryRequests() {
      return discoveryRequests;
    },
    sign: (claims, { key = privateKey, kid = 'key-1', expiresIn = '5m', issuer: iss = issuer, audience = AUDIENCE, typ = 'at+jwt' } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, ...(typ === null ? {} : { typ }) })
        .setIssuer(iss)
        .setAudience(audience)
        .setSubject('rep-42')
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(key),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let h: Harness;
let idp: Provider;
beforeAll(async () => {
  idp = await startProvider();
  h = await startHarness({
    REP_API_TOKENS: `Ada Lovelace <Ada@Cisco.example>=${NAMED_TOKEN},${REP_TOKEN}`,
    REP_OIDC_ISSUER: idp.issuer,
    REP_OIDC_AUDIENCE: AUDIENCE,
  });
});
afterAll(async () => {
  await h?.close();
  await idp?.close();
});

async function scheduledOrder(): Promise<string> {
  const order = makeOrder();
  const response = await h.postOrder(order);
  expect(response.statusCode, response.body).toBe(201);
  return order.orderId;
}

async function timeline(orderId: string) {
  const response = await h.repGet(`/api/orders/${orderId}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { status: string; timeline: Array<{ type: string; actor: string }> };
}

const grace = { name: 'Grace Hopper', email: 'grace@cisco.example', roles: ['orders.operator'] };

describe('REP_API_TOKENS', () => {
  it('reads named entries beside plain ones and refuses a malformed one', () => {
    const base = { NODE_ENV: 'test', INTAKE_HMAC_SECRET: 's'.repeat(32), LINK_TOKEN_SECRET: 'l'.repeat(32), DATA_DIR: '/tmp/unused' };
    const config = loadConfig({ ...base, REP_API_TOKENS: `Ada Lovelace <ada@cisco.example>=${'a'.repeat(20)}=, ${'p'.repeat(16)}` });
    expect(config.repApiTokens).toEqual([{ token: `${'a'.repeat(20)}=`, rep: { name: 'Ada Lovelace', email: 'ada@cisco.example' } }, { token: 'p'.repeat(16) }]);
    expect(() => loadConfig({ ...base, REP_API_TOKENS: 'Ada <ada@cisco.example>=short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, REP_API_TOKENS: 'p'.repeat(16), REP_OIDC_ISSUER: 'https://id.example' })).toThrow(/REP_OIDC_AUDIENCE/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', REP_API_TOKENS: 'p'.repeat(16), REP_OIDC_ISSUER: 'http://id.example', REP_OIDC_AUDIENCE: 'x' })).toThrow(
      /REP_OIDC_ISSUER/,
    );
  });

  it('names the rep of a named token in the audit timeline; a plain token still works', async () => {
    const orderId = await scheduledOrder();
    const cancelled = await repAction(h, orderId, 'cancel', { reason: 'customer withdrew' }, NAMED_TOKEN);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const events = await eventually(async () => (await timeline(orderId)).timeline.find((e) => e.type === 'rep.cancel'));
    expect(events.actor).toBe('rep:Ada Lovelace <ada@cisco.example>');
    expect((await h.repGet('/api/orders?limit=1')).statusCode).toBe(200);
  });
});

describe('OIDC access tokens', () => {
  it('accepts a valid token and names its holder from the standard claims', async () => {
    const orderId = await scheduledOrder();
    const token = await idp.sign(grace);
    const cancelled = await repAction(h, orderId, 'cancel', { reason: 'duplicate order' }, token);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const event = await eventually(async () => (await timeline(orderId)).timeline.find((e) => e.type === 'rep.cancel'));
    expect(event.actor).toBe('rep:Grace Hopper <grace@cisco.example>');
    // The discovery document is fetched once and kept.
    const before = idp.discoveryRequests;
    expect((await h.repGet('/api/orders?limit=1', await idp.sign(grace))).statusCode).toBe(200);
    expect(idp.discoveryRequests).toBe(before);
  });

  it('refuses expired, foreign and wrongly signed tokens with 401, and nothing changes', async () => {
    const orderId = await scheduledOrder();
    // Once intake is in the timeline, nothing else happens to a scheduled order on its own.
    const before = await eventually(async () => {
      const t = await timeline(orderId);
      return t.timeline.length > 0 ? t : undefined;
    });
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    // Each token is wrong in one way only; the others are signed by the provider's own key.
    const refused: Record<string, string> = {
      expired: await idp.sign(grace, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      'foreign issuer': await idp.sign(grace, { issuer: 'https://other-idp.example' }),
      'foreign audience': await idp.sign(grace, { audience: 'another-app' }),
      'wrong key': await idp.sign(grace, { key: otherKey }),
      'unknown key id': await idp.sign(grace, { key: otherKey, kid: 'key-2' }),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await repAction(h, orderId, 'cancel', { reason: `should not happen (${what})` }, token);
      expect(response.statusCode, what).toBe(401);
      expect(response.headers['www-authenticate'], what).toBe('Bearer');
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    }
    expect((await h.repGet('/api/orders?limit=1', refused.expired!)).json().detail).toMatch(/expired/);
    const after = await timeline(orderId);
    expect(after.status).toBe('SCHEDULED');
    expect(after.timeline).toEqual(before.timeline);
  });

  it('refuses a token that names no rep role with 403, and nothing changes (SPEC §8.4)', async () => {
    const orderId = await scheduledOrder();
    const before = await eventually(async () => {
      const t = await timeline(orderId);
      return t.timeline.length > 0 ? t : undefined;
    });
    const { roles: _roles, ...person } = grace;
    const refused: Record<string, string> = {
      'no roles claim': await idp.sign(person),
      'roles of another application': await idp.sign({ ...person, roles: ['billing.admin', 'orders'] }),
      'a role in another claim': await idp.sign({ ...person, groups: ['orders.admin'] }),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await repAction(h, orderId, 'cancel', { reason: `should not happen (${what})` }, token);
      expect(response.statusCode, what).toBe(403);
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect((await h.repGet('/api/orders?limit=1', token)).statusCode, what).toBe(403);
    }
    const after = await timeline(orderId);
    expect(after.status).toBe('SCHEDULED');
    expect(after.timeline).toEqual(before.timeline);
    // Every rep role is a rep, as a list or as a space-separated string; the highest one is recorded.
    for (const roles of [['orders.viewer'], 'orders.admin other', ['orders.operator']]) {
      expect((await h.repGet('/api/orders?limit=1', await idp.sign({ ...person, roles }))).statusCode, String(roles)).toBe(200);
    }
    expect(repRoleFromClaims({ roles: ['orders.viewer', 'orders.admin', 'orders.operator'] }, 'roles')).toBe('admin');
    expect(repRoleFromClaims({ roles: 'orders.viewer' }, 'roles')).toBe('viewer');
  });

  it('reads the roles from REP_OIDC_ROLES_CLAIM', async () => {
    const config = loadConfig({ ...h.env, REP_OIDC_ROLES_CLAIM: 'groups' });
    const app = await buildApp({ config, database: h.database, temporal: h.client, logger: false });
    try {
      const ask = async (claims: JWTPayload) =>
        (await app.inject({ method: 'GET', url: '/api/orders?limit=1', headers: { authorization: `Bearer ${await idp.sign(claims)}` } })).statusCode;
      expect(await ask({ ...grace, roles: undefined, groups: ['orders.viewer'] })).toBe(200);
      expect(await ask(grace)).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('takes access tokens only: an ID token, or a token typed otherwise, is refused with 401', async () => {
    const refused: Record<string, string> = {
      'an ID token (JWT with a nonce)': await idp.sign({ ...grace, nonce: 'n-0S6_WzA2Mj' }, { typ: 'JWT' }),
      'an ID token (JWT with at_hash)': await idp.sign({ ...grace, at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }, { typ: 'JWT' }),
      'an ID token (Keycloak typ claim)': await idp.sign({ ...grace, typ: 'ID' }, { typ: 'JWT' }),
      'no typ': await idp.sign(grace, { typ: null }),
      'a logout token': await idp.sign(grace, { typ: 'logout+jwt' }),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await h.repGet('/api/orders?limit=1', token);
      expect(response.statusCode, what).toBe(401);
      expect(response.headers['www-authenticate'], what).toBe('Bearer');
    }
    // RFC 9068's type, and the plain JWT of issuers that predate it.
    for (const typ of ['at+jwt', 'application/at+jwt', 'JWT']) {
      expect((await h.repGet('/api/orders?limit=1', await idp.sign(grace, { typ }))).statusCode, typ).toBe(200);
    }
  });

  it('answers 503 with Retry-After, not 401, while the identity provider cannot be reached', async () => {
    const unreachable = await startProvider();
    await unreachable.close();
    const config = loadConfig({ ...h.env, REP_OIDC_ISSUER: unreachable.issuer });
    const app = await buildApp({ config, database: h.database, temporal: h.client, logger: false });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/orders?limit=1', headers: { authorization: `Bearer ${await idp.sign(grace)}` } });
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      // The static tokens do not depend on the provider.
      expect((await app.inject({ method: 'GET', url: '/api/orders?limit=1', headers: { authorization: `Bearer ${NAMED_TOKEN}` } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
