// Personal data by address (SPEC §8.5), for admins: erasure and export.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdempotencyHeaders, updateIdFor } from '../idempotency.js';
import type { PrivacyService } from '../privacy-service.js';
import { PrivacyErasureBodySchema, PrivacyErasureResultSchema, PrivacyExportQuerySchema, PrivacyExportSchema } from '../schemas.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));

const privacy: FastifyPluginAsyncTypebox<{ service: PrivacyService }> = async (app, { service }) => {
  app.post(
    '/api/privacy/erasure',
    {
      schema: {
        tags: ['privacy'],
        summary: 'Erase an address wherever it is held (admin)',
        description:
          'Every order that holds the address has all of its personal data erased (names, addresses and free text become `[erased]`) and its data key ' +
          'destroyed, so its Temporal history can no longer be read; the Webex users with the address lose it. The orders must have ended: open ' +
          'ones are a 409 naming them, unless `cancelOpenOrders: true` cancels them first. Audited without the address. Repeating it changes nothing more.',
        security: [{ repToken: [] }],
        headers: IdempotencyHeaders,
        body: PrivacyErasureBodySchema,
        response: { 200: PrivacyErasureResultSchema, ...problems(400, 401, 403, 409, 503) },
      },
      onRequest: app.authenticateAdmin,
    },
    async (request) => service.erase(request.body, request.rep!.id, updateIdFor(request, 'erasure')),
  );

  app.get(
    '/api/privacy/export',
    {
      schema: {
        tags: ['privacy'],
        summary: 'Everything held about an address (admin)',
        description: 'Each order that holds the address, with its timeline, emails, links, consent requests and rep tasks, and the Webex users with it. Audited without the address.',
        security: [{ repToken: [] }],
        querystring: PrivacyExportQuerySchema,
        response: { 200: PrivacyExportSchema, ...problems(400, 401, 403) },
      },
      onRequest: app.authenticateAdmin,
    },
    async (request) => service.export(request.query.email, request.rep!.id),
  );
};

export default privacy;
