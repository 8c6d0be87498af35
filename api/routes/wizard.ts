import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { STEP_BODY_FIELDS, STEP_NAMES, SubdomainAnswerSchema, WizardViewSchema } from '../schemas.js';
import { badRequest } from '../problem.js';
import { IdempotencyHeaders, updateIdFor } from '../idempotency.js';
import type { WizardService } from '../wizard-service.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));

const Token = Type.String({ minLength: 1, maxLength: 128, description: 'The token from the "Configure now" link' });
const SessionId = Type.String({ minLength: 1, maxLength: 64 });

const wizard: FastifyPluginAsyncTypebox<{ service: WizardService }> = async (app, { service }) => {
  app.addSchema(WizardViewSchema);

  app.get(
    '/api/wizard/:token',
    {
      schema: {
        tags: ['wizard'],
        summary: 'The order as the wizard shows it: status, next step, draft, what is next',
        params: Type.Object({ token: Token }),
        querystring: Type.Object({ sessionId: Type.Optional(SessionId) }, { additionalProperties: false }),
        response: { 200: Type.Ref('WizardView'), ...problems(400, 404, 503) },
      },
    },
    async (request) => service.show(request.params.token, request.query.sessionId),
  );

  app.post(
    '/api/wizard/:token/sessions',
    {
      schema: {
        tags: ['wizard'],
        summary: 'Start a wizard session ("Configure now"); any earlier draft is discarded',
        params: Type.Object({ token: Token }),
        headers: IdempotencyHeaders,
        response: {
          201: Type.Object({ sessionId: Type.String(), view: Type.Ref('WizardView') }),
          ...problems(400, 404, 409, 503),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await service.startSession(request.params.token, updateIdFor(request, 'start'))),
  );

  app.post(
    '/api/wizard/:token/steps/:step',
    {
      schema: {
        tags: ['wizard'],
        summary: 'Submit one wizard step',
        description:
          'Body `{ sessionId, ...input }` with the input of SPEC §3 for the step. 200 with the new view; ' +
          '400 for a field the step does not take; 422 with field errors; 409 out of order, stale session or order ended; ' +
          '404 for a link that is not valid.',
        params: Type.Object({ token: Token, step: Type.Enum(STEP_NAMES) }),
        headers: IdempotencyHeaders,
        body: Type.Object({ sessionId: SessionId }, { additionalProperties: true, maxProperties: 16 }),
        response: { 200: Type.Ref('WizardView'), ...problems(400, 404, 409, 422, 503) },
      },
      config: { validationStatus: 422 },
    },
    async (request) => {
      const { step } = request.params;
      const allowed = new Set(['sessionId', ...STEP_BODY_FIELDS[step]]);
      const unknown = Object.keys(request.body).filter((field) => !allowed.has(field));
      if (unknown.length) {
        throw badRequest(
          `Step ${step} takes ${STEP_BODY_FIELDS[step].join(', ')} and sessionId only; nothing was stored.`,
          unknown.map((field) => ({ field: `/body/${field}`, message: 'is not a field of this step' })),
        );
      }
      return service.submitStep(request.params.token, step, request.body, updateIdFor(request, step));
    },
  );

  app.get(
    '/api/wizard/:token/subdomains/:name',
    {
      schema: {
        tags: ['wizard'],
        summary: 'Whether a meeting site subdomain can be used',
        params: Type.Object({ token: Token, name: Type.String({ maxLength: 253 }) }),
        response: {
          200: SubdomainAnswerSchema,
          ...problems(400, 404, 503),
        },
      },
    },
    async (request) => service.subdomain(request.params.token, request.params.name),
  );
};

export default wizard;
