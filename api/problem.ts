// Typed errors the API answers with; one error handler turns them into application/problem+json.

import type { FieldError } from '../domain/field-error.js';
import { startDateProblem } from '../domain/schedule.js';

export type { FieldError };

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    /** Short slug naming the kind of problem; becomes the `type` URI. */
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export const problemType = (slug: string): string => `urn:order-provisioning:problem:${slug}`;

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemError(400, 'invalid-request', 'The request is invalid', detail, errors);

export const unauthorized = (detail: string, scheme?: string) =>
  new ProblemError(401, 'unauthorized', 'Authentication required', detail, undefined, scheme ? { 'www-authenticate': scheme } : {});

export const forbidden = (detail: string) => new ProblemError(403, 'forbidden', 'Forbidden', detail);

/** A rep action's input refused (422), as the workflow's own field errors are. */
export const invalidAction = (field: string, message: string) =>
  new ProblemError(422, 'invalid-step', 'The action has errors', `${field} ${message}`, [{ field, message }]);

/** A rep action's new start date (reschedule, single or bulk), refused (422) beyond what a reschedule may name. */
export function checkActionStartDate(requestedStartDate: string | undefined, now: Date): void {
  const problem = requestedStartDate === undefined ? undefined : startDateProblem(requestedStartDate, now);
  if (problem) throw invalidAction('/body/requestedStartDate', problem);
}

export const notFound = (detail: string) => new ProblemError(404, 'not-found', 'Not found', detail);

export const conflict = (slug: string, detail: string) => new ProblemError(409, slug, 'Conflict', detail);

export const tooManyRequests = (retryAfterSeconds: number) =>
  new ProblemError(429, 'rate-limited', 'Too many requests', `Too many requests from this address; try again in ${retryAfterSeconds} s.`, undefined, {
    'retry-after': String(retryAfterSeconds),
  });

export const unavailable = (detail: string, retryAfterSeconds: number) =>
  new ProblemError(503, 'unavailable', 'Service unavailable', detail, undefined, {
    'retry-after': String(retryAfterSeconds),
  });
