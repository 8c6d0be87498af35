// Calling the order workflow from the API: Updates and Queries with a deadline, and the mapping
// of the workflow's refusals to HTTP problems.
import {
  type Client,
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { orderWorkflowId } from '../domain/order.js';
import {
  type ConsentAnswer,
  consentAnswerUpdate,
  type EmailEventRequest,
  emailEventUpdate,
  type FieldError,
  getStateQuery,
  type OrderState,
  REFUSAL,
  type RepActionRequest,
  repActionUpdate,
  startSessionUpdate,
  type StepRequest,
  submitStepUpdate,
} from '../workflows/definitions.js';
import { conflict, notFound, ProblemError, unavailable } from './problem.js';

/** gRPC status codes (grpc-js `status`), named for what they mean here. */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;

/** How long a person waits for an Update before being told to reload or try again. */
const UPDATE_DEADLINE_MS = 10_000;
const QUERY_DEADLINE_MS = 3_000;

/** A refused Update as the HTTP answer SPEC §4 names: 422 fields, 409 conflict, 404 gone link. */
export function problemFromUpdateError(error: unknown): unknown {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    switch (failure.type) {
      case REFUSAL.invalid:
        return new ProblemError(422, 'invalid-step', 'The step has errors', failure.message, (failure.details?.[0] as FieldError[]) ?? []);
      case REFUSAL.conflict:
        return conflict(String(failure.details?.[0] ?? 'conflict'), failure.message);
      case REFUSAL.linkGone:
        // Alike, whatever the workflow's reason: a superseded link must not be told from an unknown one.
        return linkGone();
      case REFUSAL.unavailable:
        return unavailable(failure.message, 2);
    }
  }
  if (error instanceof WorkflowNotFoundError) return notFound('There is no such order.');
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(error)) {
    // The Update may still run after the deadline: only the same Idempotency-Key makes a retry safe.
    return unavailable('The order service did not answer in time; the change may have been applied. Reload, or send it again with the same Idempotency-Key.', 5);
  }
  if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) {
    // An Update to a workflow that has completed: the order has ended.
    return conflict('order-ended', 'This order has ended; nothing more can be changed.');
  }
  return error;
}

function isDeadline(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (isGrpcServiceError(current) && current.code === GRPC_DEADLINE_EXCEEDED) return true;
    if ((current as { code?: unknown }).code === GRPC_DEADLINE_EXCEEDED) return true;
  }
  return false;
}

/** Unknown, revoked and expired links answer alike (SPEC §6). */
export const linkGone = (detail = 'This link is not valid. Use the newest link you were sent, or ask your Cisco account representative for a new one.') =>
  new ProblemError(404, 'link-not-found', 'Link not found', detail);

export function createWorkflowCalls(temporal: Client, { updateDeadlineMs = UPDATE_DEADLINE_MS }: { updateDeadlineMs?: number } = {}) {
  const handle = (orderId: string) => temporal.workflow.getHandle(orderWorkflowId(orderId));
  /** Updates wait for a worker: past the deadline the caller hears 503 with a retry hint. */
  async function withDeadline<T>(orderId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await temporal.withDeadline(Date.now() + updateDeadlineMs, call);
    } catch (error) {
      // The client says "not found" for an Update to a workflow that has completed, too: an order
      // that exists but has ended is a conflict, not a missing order.
      if (error instanceof WorkflowNotFoundError && (await workflowExists(orderId))) {
        throw conflict('order-ended', 'This order has ended; nothing more can be changed.');
      }
      throw problemFromUpdateError(error);
    }
  }
  async function workflowExists(orderId: string): Promise<boolean> {
    try {
      await temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle(orderId).describe());
      return true;
    } catch {
      return false;
    }
  }
  return {
    async query(orderId: string): Promise<OrderState | undefined> {
      try {
        return await temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle(orderId).query(getStateQuery));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw notFound(`There is no order ${orderId}.`);
        return undefined;
      }
    },

    /** The live state, or 503 when no worker answers: a wizard cannot work from a stale copy. */
    async queryOrUnavailable(orderId: string): Promise<OrderState> {
      const state = await this.query(orderId);
      if (!state) throw unavailable('The order service did not answer in time. Try again in a moment.', 5);
      return state;
    },

    // `updateId`: from the request's Idempotency-Key (api/idempotency.ts); a retry with it gets the first answer.
    startSession(orderId: string, linkIssueKey: string, updateId: string) {
      return withDeadline(orderId, () => handle(orderId).executeUpdate(startSessionUpdate, { args: [{ linkIssueKey }], updateId }));
    },

    submitStep(orderId: string, request: StepRequest, updateId: string) {
      return withDeadline(orderId, () => handle(orderId).executeUpdate(submitStepUpdate, { args: [request], updateId }));
    },

    repAction(orderId: string, request: RepActionRequest, updateId: string) {
      return withDeadline(orderId, () => handle(orderId).executeUpdate(repActionUpdate, { args: [request], updateId }));
    },

    consentAnswer(orderId: string, answer: ConsentAnswer, updateId: string) {
      return withDeadline(orderId, () => handle(orderId).executeUpdate(consentAnswerUpdate, { args: [answer], updateId }));
    },

    /** The Svix id is the Update id: Svix's redelivery of an event the workflow is still taking in joins that Update. */
    emailEvent(orderId: string, request: EmailEventRequest) {
      return withDeadline(orderId, () => handle(orderId).executeUpdate(emailEventUpdate, { args: [request], updateId: `email-event:${request.svixId}` }));
    },
  };
}

export type WorkflowCalls = ReturnType<typeof createWorkflowCalls>;
