// The messages of the order workflow, defined once and imported by the workflow and the API alike.
import { defineQuery } from '@temporalio/workflow';
import type { OrderPayload, OrderStatus } from '../domain/order.js';

/** The one plain, serialisable object that is an order's live state. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  order: OrderPayload & { timezone: string };
  payloadHash: string;
  /** ISO instant of the "Configure now" email. */
  startAt: string;
  receivedAt: string;
  /** Sequence number of the last audit event this workflow emitted. */
  seq: number;
}

export const getStateQuery = defineQuery<OrderState>('getState');
