export { orderWorkflow } from './order.js';
export { redeliverWebhooksWorkflow } from './webhook-redelivery.js';
