// The rep's desk (SPEC §7.3): tasks across orders, and rep actions on many orders at once.
import { updateIdFor } from '../idempotency.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeskService } from '../desk-service.js';
import { checkActionStartDate } from '../problem.js';
import { BulkActionBodySchema, BulkActionResultSchema, MAX_BULK_ORDERS, RepActionSchema, TaskListQuerySchema, TaskPageSchema } from '../schemas.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));

const desk: FastifyPluginAsyncTypebox<{ service: DeskService; clock: () => Date }> = async (app, { service, clock }) => {
  app.get(
    '/api/tasks',
    {
      schema: {
        tags: ['reps'],
        summary: 'Rep tasks across orders, oldest first: reason, age, order status, the next deadline the read model knows',
        security: [{ repToken: [] }],
        querystring: TaskListQuerySchema,
        response: { 200: TaskPageSchema, ...problems(400, 401) },
      },
      onRequest: app.authenticateRep,
    },
    async (request) => {
      const { kind, status, partner, q, cursor, limit } = request.query;
      return service.tasks({
        status: status ?? 'open',
        ...(kind ? { kind } : {}),
        ...(partner?.trim() ? { partner: partner.trim() } : {}),
        ...(q?.trim() ? { q: q.trim() } : {}),
        ...(cursor ? { cursor } : {}),
        limit: limit ? Number(limit) : 25,
      });
    },
  );

  app.post(
    '/api/orders/actions/:action',
    {
      schema: {
        tags: ['reps'],
        summary: 'One rep action on many orders',
        description:
          `Body \`{ orderIds: [1–${MAX_BULK_ORDERS} ids], reason?, email?, requestedStartDate? }\`. Each order is acted on as by ` +
          '`POST /api/orders/{orderId}/actions/{action}`; the answer holds one result per order, in the order given: ' +
          '`{ ok: true, order }` or `{ ok: false, problem }` (404 for an unknown order, 409 where its state refuses, 503 when ' +
          'the order service or the database could not act on that order), in every case.',
        security: [{ repToken: [] }],
        params: Type.Object({ action: RepActionSchema }),
        body: BulkActionBodySchema,
        response: { 200: BulkActionResultSchema, ...problems(400, 401, 422) },
      },
      onRequest: app.authenticateRep,
    },
    async (request) => {
      const { orderIds, ...input } = request.body;
      checkActionStartDate(input.requestedStartDate, clock());
      return service.bulk(request.params.action, orderIds, input, request.rep!.id, updateIdFor(request, `bulk-${request.params.action}`), request.log);
    },
  );
};

export default desk;
