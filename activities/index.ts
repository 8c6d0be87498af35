// Activities are built by a factory from their dependencies, so tests hand them a real database
// with short durations instead of mocks; workflows import only the type.
import { sanitizeDatabaseError } from '../db/errors.js';
import type { ActivityDeps } from './deps.js';
import { createConsentActivities } from './consent.js';
import { createEmailActivities } from './email.js';
import { createEmailEventActivities } from './email-events.js';
import { createLinkActivities } from './links.js';
import { createBusinessMetrics } from './metrics.js';
import { createOrganizationActivities } from './organizations.js';
import { createProjectionActivities } from './projection.js';
import { createProvisioningActivities } from './provisioning.js';
import { createRepTaskActivities } from './rep-tasks.js';
import { createTerminatedOrderActivities } from './terminated-orders.js';
import { createWebhookActivities } from './webhooks.js';

export type { ActivityDeps };

export function createActivities(activityDeps: ActivityDeps) {
  const deps = { ...activityDeps, metrics: activityDeps.metrics ?? createBusinessMetrics() };
  return withoutQueryData({
    ...createProjectionActivities(deps),
    ...createOrganizationActivities(deps),
    ...createRepTaskActivities(deps),
    ...createProvisioningActivities(deps),
    ...createEmailActivities(deps),
    ...createLinkActivities(deps),
    ...createConsentActivities(deps),
    ...createEmailEventActivities(deps),
    ...createWebhookActivities(deps),
    ...createTerminatedOrderActivities(deps),
  });
}

/**
 * A database error leaves an activity without its query and parameters: what an activity throws
 * is logged by the worker and stored (encrypted) in the workflow's history.
 */
function withoutQueryData<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: Parameters<typeof activity>) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw sanitizeDatabaseError(error);
      }
    };
  }
  return wrapped as T;
}

export type OrderActivities = ReturnType<typeof createActivities>;
