// Liveness and readiness (SPEC §7.5). /readyz answers for this process only: a shared dependency
// that is down (PostgreSQL, Temporal) is down for every replica alike, and taking them all out of
// the load balancer would turn each request's 503 + Retry-After into the balancer's own error. A
// process that is shutting down stops listening (Fastify answers 503 to what still arrives), so the
// balancer sees it leave. ?verbose=1 names each dependency's state for an operator.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

export interface HealthChecks {
  database: () => Promise<void>;
  temporal: () => Promise<void>;
}

const CHECK_DEADLINE_MS = 2_000;

async function probe(check: () => Promise<void>): Promise<{ status: 'ok' | 'unavailable'; latencyMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_DEADLINE_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch {
    return { status: 'unavailable', latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

const Check = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  latencyMs: Type.Integer({ minimum: 0 }),
});

const health: FastifyPluginAsyncTypebox<{ checks: HealthChecks }> = async (app, { checks }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'This process can serve; with verbose=1, the state of each dependency',
        description:
          'Answers for this process: a dependency that is down is named under `checks` (verbose) and makes the requests that need it answer 503 with Retry-After, but does not take the process out of the load balancer.',
        querystring: Type.Object({ verbose: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')])) }),
        response: {
          200: Type.Object({
            status: Type.Literal('ready'),
            checks: Type.Optional(Type.Object({ database: Check, temporal: Check })),
          }),
        },
      },
    },
    async (request) => {
      if (request.query.verbose !== '1' && request.query.verbose !== 'true') return { status: 'ready' as const };
      const [database, temporal] = await Promise.all([probe(checks.database), probe(checks.temporal)]);
      return { status: 'ready' as const, checks: { database, temporal } };
    },
  );
};

export default health;
