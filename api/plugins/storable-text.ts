// PostgreSQL stores no NUL character, and its jsonb no unpaired UTF-16 surrogate. Text holding
// either would fail a query (a 500) or, accepted into an order, fail the activity that records it
// for ever (a stuck order). Such text is refused at the edge, after authentication and the route's
// own schema, like any other invalid input.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problem.js';

// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 32;

/** The JSON pointer of the first string (or key) in `value` that PostgreSQL cannot store. */
export function unstorableTextAt(value: unknown, pointer: string, depth = 0): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? pointer : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (UNSTORABLE.test(key)) return at;
    const found = unstorableTextAt(inner, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export default fp(
  async function storableText(app: FastifyInstance) {
    app.addHook('preHandler', async (request) => {
      const field =
        unstorableTextAt(request.params, '/params') ?? unstorableTextAt(request.query, '/querystring') ?? unstorableTextAt(request.body, '/body');
      if (!field) return;
      // A body the route answers 422 for (wizard steps, rep actions) gets 422 here too.
      const status = field.startsWith('/body') ? (request.routeOptions.config.validationStatus ?? 400) : 400;
      const message = 'must not contain NUL characters or unpaired surrogates';
      throw new ProblemError(status, status === 422 ? 'invalid-step' : 'invalid-request', status === 422 ? 'The step has errors' : 'The request is invalid', `${field} ${message}`, [
        { field, message },
      ]);
    });
  },
  { name: 'storable-text', dependencies: ['errors'] },
);
