import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { isValidCalendarDate, isValidTimeZone } from '../../domain/schedule.js';
import type { OrderService } from '../order-service.js';
import { badRequest, type FieldError, unauthorized } from '../problem.js';
import { OrderDetailSchema, OrderIdParam, OrderPayloadSchema, OrderSchema } from '../schemas.js';
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
      if (!isValidCalendarDate(body.requestedStartDate)) {
        errors.push({ field: '/body/requestedStartDate', message: 'must be a real calendar date YYYY-MM-DD' });
      }
      if (body.timezone !== undefined && !isValidTimeZone(body.timezone)) {
        errors.push({ field: '/body/timezone', message: 'must be an IANA time zone such as Europe/Oslo' });
      }
      if (errors.length) throw badRequest(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);

      const { created, order } = await service.intake(body);
      return reply.code(created ? 201 : 200).send(order);
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
