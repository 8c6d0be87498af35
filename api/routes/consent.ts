import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ConsentService } from '../consent-service.js';
import { IdempotencyHeaders, updateIdFor } from '../idempotency.js';
import { ConsentAnswerSchema, ConsentOutcomeSchema, ConsentViewSchema } from '../schemas.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));
const Token = Type.String({ minLength: 1, maxLength: 128, description: 'The token from the consent email' });

const consent: FastifyPluginAsyncTypebox<{ service: ConsentService }> = async (app, { service }) => {
  app.addSchema(ConsentViewSchema);

  app.get(
    '/api/consent/:token',
    {
      schema: {
        tags: ['consent'],
        summary: 'What the admin of an existing customer organization is asked to approve (SPEC §7.2)',
        description: '410 alike for an unknown, answered, withdrawn or expired link.',
        params: Type.Object({ token: Token }),
        response: { 200: Type.Ref('ConsentView'), ...problems(400, 410, 503) },
      },
    },
    async (request) => service.show(request.params.token),
  );

  app.post(
    '/api/consent/:token',
    {
      schema: {
        tags: ['consent'],
        summary: 'Approve or decline: approval lets the order be set up in the organization, a decline puts it on hold',
        description: 'Answers once: a second answer, like an unknown or expired link, gets 410 and changes nothing.',
        params: Type.Object({ token: Token }),
        headers: IdempotencyHeaders,
        body: ConsentAnswerSchema,
        response: { 200: ConsentOutcomeSchema, ...problems(400, 410, 422, 503) },
      },
      config: { validationStatus: 422 },
    },
    async (request) => service.answer(request.params.token, request.body.decision, updateIdFor(request, 'consent')),
  );
};

export default consent;
