export { orderWorkflow } from './order.js';
export { redeliverWebhooksWorkflow } from './webhook-redelivery.js';
export { reconcileTerminatedOrdersWorkflow } from './reconcile-terminated.js';
export { personalDataSweepWorkflow } from './personal-data-sweep.js';
