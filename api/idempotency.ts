// Client retries never act twice: a wizard step, a session start or a rep action carries an
// `Idempotency-Key` (one is made per request when the client sends none), which becomes the
// Update's id. Temporal answers a second Update with the same id in the same run with the first
// one's outcome instead of running the handler again; the order carries its last applied ids and
// answers into later runs for the same (OrderRun.answerOnce).
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** The header's schema, for routes that start an Update; other headers pass untouched. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'Send the same key again to retry a request without acting twice (e.g. a UUID)' }),
  ),
});

/**
 * The Update id for this request: the client's key, scoped by what it asks (`scope`), so one key
 * reused for another step or action is not mistaken for a retry.
 */
export function updateIdFor(request: FastifyRequest, scope: string): string {
  const key = request.headers['idempotency-key'];
  return `${scope}:${typeof key === 'string' ? key : randomUUID()}`;
}
