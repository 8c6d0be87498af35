// One rule for "a dependency is unavailable": Temporal or PostgreSQL could not be reached or did
// not answer in time. The error handler answers such a request 503 with Retry-After, never 500.
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { ProblemError } from './problem.js';

const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * gRPC codes that mean "not now" rather than "not so": cancelled, deadline, exhausted, internal,
 * unavailable. A Temporal frontend that is restarting answers INTERNAL "something went wrong,
 * please retry" (found by the simulator, seed 111014447).
 */
const GRPC_TRANSIENT = new Set([1, 4, 8, 13, 14]);

/** postgres.js and Node socket codes for a connection that failed, broke or timed out. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * SQLSTATEs of a server that cannot take the query now: connection exceptions, shutting down, too
 * many clients, and a statement or lock wait past the session's limits (db/client.ts).
 */
const isUnavailableSqlState = (code: string) => code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '53400', '57014', '55P03'].includes(code);

export type Dependency = 'temporal' | 'database';

/** Which dependency `error` (or one of its causes) says is unavailable, if any. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    if (isGrpcServiceError(current)) return GRPC_TRANSIENT.has(current.code) ? 'temporal' : undefined;
    if (current instanceof ServiceError && /failed to connect|deadline|unavailable/i.test(current.message)) return 'temporal';
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || isUnavailableSqlState(code))) return 'database';
    // An AggregateError (one per address tried) from a refused connection.
    if (current instanceof AggregateError && current.errors.some((inner) => unavailableDependency(inner) === 'database')) return 'database';
  }
  return undefined;
}

/** The 503 problem for an unavailable dependency: the caller may retry, and nothing was done. */
export const dependencyUnavailable = (dependency: Dependency) =>
  new ProblemError(
    503,
    'unavailable',
    'Service unavailable',
    `The ${dependency === 'temporal' ? 'order service' : 'database'} is not available just now; try again in a moment.`,
    undefined,
    { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
  );

/** The 500 problem for anything else: its detail names nothing of our internals. */
export const internalProblem = () =>
  new ProblemError(500, 'internal', 'Internal error', 'Something went wrong on our side. The request id is in `instance`.');
