// Who a rep request comes from (SPEC §7.3): a token from REP_API_TOKENS (plain, or naming the rep
// as `name <email>=token`), or, with REP_OIDC_ISSUER and REP_OIDC_AUDIENCE set, an access token
// (JWT) of that issuer, checked against its published keys, that names a rep role (SPEC §8.4).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../../config.js';
import { forbidden, unauthorized, unavailable } from '../problem.js';

/** SPEC §8.4's rep roles, least first: viewers read, operators act, admins also manage. */
export const REP_ROLES = ['viewer', 'operator', 'admin'] as const;
export type RepRole = (typeof REP_ROLES)[number];

export interface RepIdentity {
  /**
   * What the audit timeline names (`rep:<id>`): `Name <email>` for a named rep or an OIDC user,
   * else a stable, non-secret id derived from the token.
   */
  id: string;
  /** An OIDC token's highest `orders.<role>`; a REP_API_TOKENS entry is an operator (SPEC §8.4's default), a REP_ADMIN_TOKENS entry an admin. */
  role: RepRole;
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticateRep: (request: FastifyRequest) => Promise<void>;
    /** authenticateRep, then 403 unless the rep is an admin. */
    authenticateAdmin: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    rep?: RepIdentity;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();
/** A compact JWS: three base64url parts, the header a JSON object (`{"` → `eyJ`). */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Signature algorithms an identity provider signs access tokens with; never `none` or HMAC. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const DISCOVERY_TIMEOUT_MS = 5_000;

/** Claims are the issuer's text: one line, bounded, before it names anyone in the audit. */
const clean = (value: unknown, max: number): string | undefined =>
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f<>]/g, '').trim().slice(0, max) || undefined : undefined;

export const namedRep = (name: string, email: string) => `${name} <${email}>`;

/**
 * The token's highest rep role in `claim` (a list, or a space-separated string as `scope` is), or
 * undefined: any token the issuer makes for the audience is not a rep's.
 */
export function repRoleFromClaims(claims: JWTPayload, claim: string): RepRole | undefined {
  const value = claims[claim];
  const granted = new Set(Array.isArray(value) ? value.filter((v) => typeof v === 'string') : typeof value === 'string' ? value.split(' ') : []);
  return [...REP_ROLES].reverse().find((role) => granted.has(`orders.${role}`));
}

/**
 * RFC 9068's `at+jwt`, or `JWT`, which issuers that predate it (Entra ID, Keycloak) put on access
 * and ID tokens alike: then an ID token is told by the claims only an ID token carries. Anything
 * else — no `typ`, `id+jwt`, `logout+jwt` — is not an access token. Checked here rather than with
 * jwtVerify's `typ` option, which takes one value.
 */
function isAccessToken(typ: string | undefined, claims: JWTPayload): boolean {
  const type = typ?.toLowerCase().replace(/^application\//, '');
  if (type === 'at+jwt') return true;
  return type === 'jwt' && claims.nonce === undefined && claims.at_hash === undefined && claims.typ !== 'ID';
}

/** `name <email>` from the standard claims; the subject when the issuer gives neither. */
export function repIdFromClaims(claims: JWTPayload): string {
  const email = clean(claims.email, 254);
  const name = clean(claims.name, 200) ?? clean(claims.preferred_username, 200);
  if (name && email) return namedRep(name, email);
  return email ?? name ?? `oidc:${clean(claims.sub, 200) ?? 'unknown'}`;
}

/** The issuer's key set, found through its discovery document once and kept (jose refetches on an unknown key id). */
function oidcVerifier({ issuer, audience, rolesClaim }: NonNullable<Config['repOidc']>) {
  let keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const discover = async () => {
    const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`OIDC discovery answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (document.issuer !== issuer || typeof document.jwks_uri !== 'string') throw new Error('OIDC discovery document does not match REP_OIDC_ISSUER');
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
  };
  return async (token: string): Promise<RepIdentity> => {
    keySet ??= discover().catch((error: unknown) => {
      keySet = undefined; // ask again on the next request
      throw error;
    });
    let keys: Awaited<typeof keySet>;
    try {
      keys = await keySet;
    } catch {
      throw unavailable('The identity provider could not be reached to check the token. Try again in a moment.', 5);
    }
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, keys, { issuer, audience, algorithms: ALGORITHMS, requiredClaims: ['exp', 'sub'] });
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
        throw unavailable('The identity provider could not be reached to check the token. Try again in a moment.', 5);
      }
      if (error instanceof joseErrors.JWTExpired) throw unauthorized('The access token has expired.', 'Bearer');
      throw unauthorized('The access token is not valid for this service.', 'Bearer');
    }
    const { payload, protectedHeader } = verified;
    if (!isAccessToken(protectedHeader.typ, payload)) throw unauthorized('Send an access token, not an ID token.', 'Bearer');
    const role = repRoleFromClaims(payload, rolesClaim);
    if (!role) throw forbidden(`The token names no rep role: its \`${rolesClaim}\` claim must hold orders.viewer, orders.operator or orders.admin.`);
    return { id: repIdFromClaims(payload), role };
  };
}

export default fp(
  async function repAuth(
    app: FastifyInstance,
    { tokens, adminTokens, oidc }: { tokens: Config['repApiTokens']; adminTokens: Config['repAdminTokens']; oidc: Config['repOidc'] },
  ) {
    const entry = (role: RepRole) => ({ token, rep }: Config['repApiTokens'][number]) => ({
      digest: digest(token),
      id: rep ? namedRep(rep.name, rep.email) : `rep-${digest(token).toString('hex').slice(0, 10)}`,
      role,
    });
    // Admins last: a token listed in both lists is an admin.
    const known = [...tokens.map(entry('operator')), ...adminTokens.map(entry('admin'))];
    const verifyOidc = oidc ? oidcVerifier(oidc) : undefined;

    app.decorateRequest('rep', undefined);
    app.decorate('authenticateRep', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header);
      if (!match) throw unauthorized('Send a rep token as `Authorization: Bearer <token>`.', 'Bearer');
      const presented = digest(match[1]!);
      let found: RepIdentity | undefined;
      // No early exit: the time taken does not depend on which token (if any) matched.
      for (const candidate of known) {
        if (timingSafeEqual(candidate.digest, presented)) found = { id: candidate.id, role: candidate.role };
      }
      if (!found && verifyOidc && JWT_SHAPE.test(match[1]!)) found = await verifyOidc(match[1]!);
      if (!found) throw unauthorized('The rep token is not valid.', 'Bearer');
      request.rep = found;
    });
    app.decorate('authenticateAdmin', async (request: FastifyRequest) => {
      await app.authenticateRep(request);
      if (request.rep!.role !== 'admin') throw forbidden('This needs an admin: a token of REP_ADMIN_TOKENS, or an access token with orders.admin.');
    });
  },
  { name: 'rep-auth' },
);
