// Activities are built by a factory from their dependencies, so tests hand them a real database
// with short durations instead of mocks; workflows import only the type.
import type { ActivityDeps } from './deps.js';
import { createEmailActivities } from './email.js';
import { createLinkActivities } from './links.js';
import { createOrganizationActivities } from './organizations.js';
import { createProjectionActivities } from './projection.js';
import { createProvisioningActivities } from './provisioning.js';
import { createRepTaskActivities } from './rep-tasks.js';

export type { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
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
