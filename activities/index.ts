// Activities are built by a factory from their dependencies, so tests hand them a real database
// with short durations instead of mocks; workflows import only the type.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { EmailTransport } from '../emails/transport.js';
import { createEmailActivities } from './email.js';
import { createLinkActivities } from './links.js';
import { type BusinessMetrics, createBusinessMetrics } from './metrics.js';
import { createOrganizationActivities } from './organizations.js';
import { createProjectionActivities } from './projection.js';
import { createProvisioningActivities, type WebexGateway } from './provisioning.js';
import { createRepTaskActivities } from './rep-tasks.js';

export interface ActivityDeps {
  database: Database;
  config: Config;
  /** The wall clock, injectable so tests can pin time. */
  clock?: () => Date;
  /** Webex and its billing system; unset → the database records each provisioning effect. */
  webex?: WebexGateway;
  /** Where emails go; unset → from config (Resend with RESEND_API_KEY, else the dev outbox). */
  email?: EmailTransport;
  /** Business series; unset → on the Temporal runtime's meter (the worker's Prometheus endpoint). */
  metrics?: BusinessMetrics;
}

export function createActivities(activityDeps: ActivityDeps) {
  const deps = { ...activityDeps, metrics: activityDeps.metrics ?? createBusinessMetrics() };
  return {
    ...createProjectionActivities(deps),
    ...createOrganizationActivities(deps),
    ...createRepTaskActivities(deps),
    ...createProvisioningActivities(deps),
    ...createEmailActivities(deps),
    ...createLinkActivities(deps),
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
