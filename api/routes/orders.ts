import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { isValidTimeZone, startDateProblem } from '../../domain/schedule.js';
import type { OrderService } from '../order-service.js';
import { IdempotencyHeaders, updateIdFor } from '../idempotency.js';
import { badRequest, checkActionStartDate, type FieldError, unauthorized } from '../problem.js';
import { ORDER_STATUSES, type OrderStatus } from '../../domain/order.js';
import { OrderDetailSchema, OrderIdParam, OrderPayloadSchema, OrderSchema, REP_ACTIONS, RepActionBodySchema } from '../schemas.js';
import { verifyIntakeSignature } from '../signature.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: the intake signature covers these bytes. */
    rawBody?: string;
  }
}

const problems = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));

const orders: FastifyPluginAsyncTypebox<{ service: OrderService; config: Config; clock: () => Date }> = async (
  app,
  { service, config, clock },
) => {
  app.post(
    '/api/orders',
    {
      schema: {
        tags: ['intake'],
        summary: 'Receive an order from the commerce system',
        description:
          'Signed with `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(INTAKE_HMAC_SECRET, "<t>.<raw body>")>`. ' +
          '201 for a new order, 200 when the same order arrives again, 409 when a known order id arrives with a different payload.',
        headers: Type.Object({ 'x-signature': Type.Optional(Type.String({ maxLength: 1024 })) }),
        body: OrderPayloadSchema,
        response: { 200: OrderSchema, 201: OrderSchema, ...problems(400, 401, 409, 413, 415, 503) },
      },
      // Authenticate before validating: an unsigned request learns nothing about the schema.
      preValidation: async (request) => {
        const check = verifyIntakeSignature(
          request.headers['x-signature'] as string | undefined,
          request.rawBody ?? '',
          config.intakeHmacSecret,
          Math.floor(clock().getTime() / 1000),
        );
        if (!check.ok) throw unauthorized(check.reason);
      },
    },
    async (request, reply) => {
      const body = request.body;
      const errors: FieldError[] = [];
      const zoneValid = body.timezone === undefined || isValidTimeZone(body.timezone);
      const startDate = startDateProblem(body.requestedStartDate, clock(), zoneValid ? (body.timezone ?? 'UTC') : undefined);
      if (startDate) errors.push({ field: '/body/requestedStartDate', message: startDate });
      if (!zoneValid) {
        errors.push({ field: '/body/timezone', message: 'must be an IANA time zone such as Europe/Oslo' });
      }
      if (errors.length) throw badRequest(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);

      const { created, order } = await service.intake(body);
      return reply.code(created ? 201 : 200).send(order);
    },
  );

  app.get(
    '/api/orders',
    {
      schema: {
        tags: ['reps'],
        summary: 'Orders from the read model, newest first',
        security: [{ repToken: [] }],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.String({ maxLength: 400, description: 'One status or several, comma-separated' })),
            escalated: Type.Optional(Type.Enum(['true', 'false'])),
            q: Type.Optional(Type.String({ maxLength: 200, description: 'Order id, partner, customer or contact email' })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]?$|^100$', description: '1–100, default 25' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(OrderSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401) },
      },
      onRequest: app.authenticateRep,
    },
    async (request) => {
      const { status, escalated, q, cursor, limit } = request.query;
      const statuses = status?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = statuses?.filter((s) => !(ORDER_STATUSES as readonly string[]).includes(s));
      if (unknown?.length) {
        throw badRequest(`Unknown status ${unknown.join(', ')}.`, [{ field: '/querystring/status', message: `must be among ${ORDER_STATUSES.join(', ')}` }]);
      }
      return service.list({
        ...(statuses?.length ? { status: statuses as OrderStatus[] } : {}),
        ...(escalated ? { escalated: escalated === 'true' } : {}),
        ...(q?.trim() ? { q: q.trim() } : {}),
        ...(cursor ? { cursor } : {}),
        limit: limit ? Number(limit) : 25,
      });
    },
  );

  app.post(
    '/api/orders/:orderId/actions/:action',
    {
      schema: {
        tags: ['reps'],
        summary: 'Act on an order: resend-link, change-contact {email}, reschedule {requestedStartDate}, cancel {reason}, resume, approve-consent, retry-provisioning, lift-session-cap {reason}, redeliver-webhooks',
        description: 'Refused with 409 where the order’s state makes the action meaningless (e.g. cancel after the point of no return).',
        security: [{ repToken: [] }],
        params: Type.Object({ orderId: OrderIdParam, action: Type.Enum([...REP_ACTIONS, 'redeliver-webhooks']) }),
        headers: IdempotencyHeaders,
        body: Type.Optional(RepActionBodySchema),
        response: { 200: OrderSchema, ...problems(400, 401, 404, 409, 422, 503) },
      },
      config: { validationStatus: 422 },
      onRequest: app.authenticateRep,
    },
    async (request) => {
      const body = request.body ?? {};
      const { orderId, action } = request.params;
      // Not an Update of the order: a workflow of its own sends the webhooks again (workflows/webhook-redelivery.ts).
      if (action === 'redeliver-webhooks') return service.redeliverWebhooks(orderId);
      checkActionStartDate(body.requestedStartDate, clock());
      return service.act(orderId, action, body, request.rep!.id, updateIdFor(request, action));
    },
  );

  app.get(
    '/api/orders/:orderId',
    {
      schema: {
        tags: ['reps'],
        summary: "An order's live state and audit timeline",
        security: [{ repToken: [] }],
        params: Type.Object({ orderId: OrderIdParam }),
        response: { 200: OrderDetailSchema, ...problems(400, 401, 404) },
      },
      onRequest: app.authenticateRep,
    },
    async (request) => service.get(request.params.orderId),
  );
};

export default orders;
