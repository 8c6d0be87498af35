import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { unauthorized } from '../problem.js';

export interface RepIdentity {
  /** Stable, non-secret id derived from the token: what the audit timeline names. */
  id: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticateRep: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    rep?: RepIdentity;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer tokens from REP_API_TOKENS, compared in constant time against every configured token. */
export default fp(
  async function repAuth(app: FastifyInstance, { tokens }: { tokens: string[] }) {
    const known = tokens.map((token) => ({ digest: digest(token), id: `rep-${digest(token).toString('hex').slice(0, 10)}` }));

    app.decorateRequest('rep', undefined);
    app.decorate('authenticateRep', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
      if (!match) throw unauthorized('Send a rep token as `Authorization: Bearer <token>`.', 'Bearer');
      const presented = digest(match[1]!);
      let found: RepIdentity | undefined;
      // No early exit: the time taken does not depend on which token (if any) matched.
      for (const candidate of known) {
        if (timingSafeEqual(candidate.digest, presented)) found = { id: candidate.id };
      }
      if (!found) throw unauthorized('The rep token is not valid.', 'Bearer');
      request.rep = found;
    });
  },
  { name: 'rep-auth' },
);
