export * from './email.js';
export * from './orders.js';
export * from './organizations.js';
export * from './provisioning.js';
export * from './webhooks.js';
export * from './consent.js';
export * from './deploys.js';
export * from './intake.js';
