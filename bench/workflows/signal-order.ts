// Bench only, never deployed: the order wizard done the old way, to measure what Updates gain.
// A step arrives as a signal; the workflow applies it with the same reducer and records it with the
// same projection (a local activity) as workflows/order.ts; the caller polls a query until its step's result
// shows up. Everything the real Update does per step happens here too, in the same order.
import { condition, defineQuery, defineSignal, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/index.js';
import { OrderStatusKey } from '../../domain/search-attributes.js';
import type { OrderState, StepRequest } from '../../workflows/definitions.js';
import { applyStep, type StepRefusal } from '../../workflows/wizard.js';

/** What the Update answers, so both ways carry the same payload back: the new state, or the refusal. */
export type StepResult = { ok: true; state: OrderState } | { ok: false; refusal: StepRefusal };

export const submitStepSignal = defineSignal<[{ requestId: string; request: StepRequest }]>('submitStep');
/** The result of the step sent with `requestId`, or undefined while it is not applied yet. */
export const stepResultQuery = defineQuery<StepResult | undefined, [string]>('stepResult');

/** The same options as the order workflow's projection, run the same way (workflows/order.ts, release v2). */
const projection = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Results are kept for the most recent requests only: a poller asks right after it signalled. */
const KEPT_RESULTS = 100;

export async function signalOrderWorkflow(initial: OrderState): Promise<void> {
  let state = initial;
  let indexedStatus = workflowInfo().typedSearchAttributes.get(OrderStatusKey);
  const inbox: Array<{ requestId: string; request: StepRequest }> = [];
  const results = new Map<string, StepResult>();
  const remember = (requestId: string, result: StepResult) => {
    results.set(requestId, result);
    if (results.size > KEPT_RESULTS) results.delete(results.keys().next().value!);
  };

  setHandler(submitStepSignal, (message) => {
    inbox.push(message);
  });
  setHandler(stepResultQuery, (requestId) => results.get(requestId));

  for (;;) {
    await condition(() => inbox.length > 0);
    const { requestId, request } = inbox.shift()!;
    const outcome = applyStep(state, request, new Date().toISOString());
    if (!outcome.ok) {
      remember(requestId, { ok: false, refusal: outcome.refusal });
      continue;
    }
    state = { ...outcome.state, seq: state.seq + 1 };
    if (state.status !== indexedStatus) {
      upsertSearchAttributes([{ key: OrderStatusKey, value: state.status }]);
      indexedStatus = state.status;
    }
    await projection.recordOrderEvent({
      snapshot: state,
      event: { seq: state.seq, type: `wizard.${request.step}`, status: state.status, actor: 'contact', data: request.input, occurredAt: new Date().toISOString() },
    });
    remember(requestId, { ok: true, state });
  }
}
