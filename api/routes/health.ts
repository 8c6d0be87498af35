import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

export interface HealthChecks {
  database: () => Promise<void>;
  temporal: () => Promise<void>;
}

const CHECK_DEADLINE_MS = 2_000;

async function probe(check: () => Promise<void>): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_DEADLINE_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

const Checks = Type.Object({ database: Type.String(), temporal: Type.String() });

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
        summary: 'The database and Temporal are reachable',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Checks }),
          503: Type.Object({ status: Type.Literal('unavailable'), checks: Checks }),
        },
      },
    },
    async (_request, reply) => {
      const [database, temporal] = await Promise.all([probe(checks.database), probe(checks.temporal)]);
      const ready = database === 'ok' && temporal === 'ok';
      if (!ready) {
        return reply.code(503).header('retry-after', '5').send({ status: 'unavailable' as const, checks: { database, temporal } });
      }
      return { status: 'ready' as const, checks: { database, temporal } };
    },
  );
};

export default health;
