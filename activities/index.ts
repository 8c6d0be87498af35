// Activities are built by a factory from their dependencies, so tests hand them a real database
// with short durations instead of mocks; workflows import only the type.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { createProjectionActivities } from './projection.js';

export interface ActivityDeps {
  database: Database;
  config: Config;
  /** The wall clock, injectable so tests can pin time. */
  clock?: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
