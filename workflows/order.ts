import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderWorkflowInput, OrderStatus } from '../domain/order.js';
import { OrderStatusKey } from '../domain/search-attributes.js';
import type { OrderActivities } from '../activities/index.js';
import { getStateQuery, type OrderState } from './definitions.js';

// Projection writes are small database statements: retry quickly and for as long as it takes,
// since the read model must eventually show every event.
const projection = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const state: OrderState = {
    orderId: input.order.orderId,
    status: 'SCHEDULED',
    order: input.order,
    payloadHash: input.payloadHash,
    startAt: input.startAt,
    receivedAt: input.receivedAt,
    seq: 0,
  };
  setHandler(getStateQuery, () => state);

  /** Every change of state goes through here: history order = audit order = projection order. */
  async function record(type: string, status: OrderStatus, actor: string, data: Record<string, unknown> = {}) {
    state.status = status;
    state.seq += 1;
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    await projection.recordOrderEvent({
      snapshot: { ...state },
      event: { seq: state.seq, type, status, actor, data, occurredAt: new Date().toISOString() },
    });
  }

  await record('order.received', 'SCHEDULED', 'commerce', { startAt: state.startAt });

  // Sleep until the start moment. A loop over `condition` rather than one `sleep`, so that a
  // change of state.startAt (rep reschedule) moves the deadline.
  for (;;) {
    const deadline = Date.parse(state.startAt);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await condition(() => Date.parse(state.startAt) !== deadline, remaining);
  }

  // The "Configure now" email and everything after it belong to the order lifecycle; until that
  // is built the order stays at its start moment, visible to reps.
  await record('order.start-moment-reached', 'SCHEDULED', 'system');
  await condition(() => false);
  return state;
}
