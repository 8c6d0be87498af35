import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { sanitizeDatabaseError } from '../../db/errors.js';
import { dependencyUnavailable, internalProblem, unavailableDependency } from '../dependency-errors.js';
import { type FieldError, ProblemError, problemType } from '../problem.js';

const PROBLEM_JSON = 'application/problem+json';

/**
 * The route's OpenAPI answers as the error handler gives them: each problem status under
 * `application/problem+json` (not the default `application/json`), and the statuses any such
 * route can answer — 400 for input that fails its schema, 413/415 for a body too large or not
 * JSON, 403 for a rep's token without a rep role, 429 when it is rate-limited. Routes without
 * documented answers are left alone.
 */
export function documentProblemAnswers(route: RouteOptions, { rateLimited, repAuthenticated }: { rateLimited: boolean; repAuthenticated: boolean }): void {
  const schema = route.schema as { response?: Record<string, unknown>; body?: unknown; querystring?: unknown; params?: unknown; headers?: unknown } | undefined;
  if (!schema?.response) return;
  const problem = { $ref: 'Problem' };
  const implied: number[] = [];
  if (schema.body || schema.querystring || schema.params || schema.headers) implied.push(400);
  if (schema.body) implied.push(413, 415);
  if (repAuthenticated) implied.push(403);
  if (rateLimited) implied.push(429);
  for (const status of implied) schema.response[status] ??= problem;
  for (const [status, answer] of Object.entries(schema.response)) {
    if ((answer as { $ref?: unknown } | undefined)?.$ref === 'Problem') {
      schema.response[status] = { description: 'A problem (RFC 9457)', content: { [PROBLEM_JSON]: { schema: answer } } };
    }
  }
}

/** Fastify's own refusals before routing (a malformed URL, an over-long path segment), as problems. */
export function frameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  // The path is not echoed back: it may hold a link token.
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long.' : 'The URL is not valid.';
  send(reply, { type: problemType('invalid-request'), title: 'The request is invalid', status: 400, detail });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The status for a body that fails its schema (wizard steps answer 422). */
    validationStatus?: number;
  }
}

export interface ProblemBody {
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

export function problemBody(error: ProblemError): ProblemBody {
  return {
    type: problemType(error.slug),
    title: error.title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/**
 * Any error as the problem the caller is answered with, logged as it deserves: typed problems as
 * they are, an unavailable Temporal or PostgreSQL as 503 with Retry-After, anything else as 500.
 * The error handler and a bulk action's per-order slots (desk-service.ts) answer alike.
 */
export function problemOf(error: unknown, log: FastifyBaseLogger): ProblemError {
  if (error instanceof ProblemError) return error;
  // Logged without a failed query's parameters (db/errors.ts).
  const err = sanitizeDatabaseError(error);
  const dependency = unavailableDependency(error);
  if (dependency) {
    log.warn({ err, dependency }, 'dependency unavailable');
    return dependencyUnavailable(dependency);
  }
  log.error({ err }, 'request failed');
  return internalProblem();
}

/** One error handler for the whole API: typed problems pass through, 5xx internals never leak. */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof ProblemError) return send(reply, problemBody(error), error.headers);
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
      const problem = problemOf(error, request.log);
      return send(reply, problemBody(problem), problem.headers);
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
