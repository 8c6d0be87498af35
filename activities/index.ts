// Activities are built by a factory from their dependencies, so tests hand them a real database
// with short durations instead of mocks; workflows import only the type.
import { Context } from '@temporalio/activity';
import { sanitizeDatabaseError } from '../db/errors.js';
import type { ActivityDeps } from './deps.js';
import { createConsentActivities } from './consent.js';
import { createEmailActivities } from './email.js';
import { createLinkActivities } from './links.js';
import { createBusinessMetrics } from './metrics.js';
import { createOrganizationActivities } from './organizations.js';
import { createPrivacyActivities } from './privacy.js';
import { createProjectionActivities } from './projection.js';
import { createProvisioningActivities } from './provisioning.js';
import { createRepTaskActivities } from './rep-tasks.js';
import { createTerminatedOrderActivities } from './terminated-orders.js';
import { createWebhookActivities } from './webhooks.js';

export type { ActivityDeps };

export function createActivities(activityDeps: ActivityDeps) {
  const deps = { ...activityDeps, metrics: activityDeps.metrics ?? createBusinessMetrics() };
  return asActivities({
    ...createProjectionActivities(deps),
    ...createOrganizationActivities(deps),
    ...createRepTaskActivities(deps),
    ...createProvisioningActivities(deps),
    ...createEmailActivities(deps),
    ...createLinkActivities(deps),
    ...createConsentActivities(deps),
    ...createWebhookActivities(deps),
    ...createTerminatedOrderActivities(deps),
    ...createPrivacyActivities(deps),
  });
}

/**
 * What every activity shares. It ends when it is cancelled, above all when its worker's shutdown
 * grace time is up, even while a query still waits for a database that is down: otherwise the
 * worker waits for it until its force time and then fails its shutdown. The attempt is retried
 * elsewhere, and every activity is idempotent by its key. And a database error leaves it without
 * its query and parameters: what an activity throws is logged by the worker and stored
 * (encrypted) in the workflow's history.
 */
function asActivities<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: Parameters<typeof activity>) => {
      try {
        return await Promise.race([activity(...args), Context.current().cancelled]);
      } catch (error) {
        throw sanitizeDatabaseError(error);
      }
    };
  }
  return wrapped as T;
}

export type OrderActivities = ReturnType<typeof createActivities>;
