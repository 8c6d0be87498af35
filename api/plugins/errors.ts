import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { type FieldError, ProblemError, problemType } from '../problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The status for a body that fails its schema (wizard steps answer 422). */
    validationStatus?: number;
  }
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  instance?: string;
}

function send(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}) {
  return reply
    .code(body.status)
    .headers(headers)
    .type('application/problem+json; charset=utf-8')
    .send({ ...body, instance: reply.request.id });
}

/** Ajv's errors, as field pointers a form can put next to its inputs. */
function fieldErrors(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((issue) => {
    const missing = issue.keyword === 'required' ? `/${String(issue.params.missingProperty)}` : '';
    const extra = issue.keyword === 'additionalProperties' ? `/${String(issue.params.additionalProperty)}` : '';
    const context = error.validationContext ?? 'body';
    return { field: `/${context}${issue.instancePath}${missing}${extra}`, message: issue.message ?? 'is invalid' };
  });
}

/** One error handler for the whole API: typed problems pass through, 5xx internals never leak. */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof ProblemError) {
        return send(
          reply,
          {
            type: problemType(error.slug),
            title: error.title,
            status: error.status,
            ...(error.detail ? { detail: error.detail } : {}),
            ...(error.errors ? { errors: error.errors } : {}),
          },
          error.headers,
        );
      }
      if (error.validation) {
        const errors = fieldErrors(error);
        // Wizard steps answer field errors with 422, like the workflow's own refusals.
        const status = error.validationContext === 'body' ? (request.routeOptions.config.validationStatus ?? 400) : 400;
        return send(reply, {
          type: problemType(status === 422 ? 'invalid-step' : 'invalid-request'),
          title: status === 422 ? 'The step has errors' : 'The request is invalid',
          status,
          detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
          errors,
        });
      }
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      if (status >= 400 && status < 500) {
        // Fastify's own client errors (bad JSON, too large, wrong media type) carry safe messages.
        return send(reply, {
          type: problemType(error.code ? error.code.toLowerCase().replace(/_/g, '-') : 'client-error'),
          title: 'The request could not be processed',
          status,
          detail: error.message,
        });
      }
      request.log.error({ err: error }, 'request failed');
      return send(reply, {
        type: problemType('internal'),
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong on our side. The request id is in `instance`.',
      });
    });

    app.setNotFoundHandler((request, reply) =>
      send(reply, {
        type: problemType('not-found'),
        title: 'Not found',
        status: 404,
        detail: `No route ${request.method} ${request.url.split('?')[0]}`,
      }),
    );
  },
  { name: 'errors' },
);
