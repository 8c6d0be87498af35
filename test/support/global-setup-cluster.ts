// `npm run test:cluster`: the run's Temporal is Temporal Server itself, built from its Go module
// and persisting to the run's PostgreSQL, as self-hosted users run it, instead of the dev server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { ensureTemporalServer } from '../../scripts/temporal-binaries.js';
import { startTemporalCluster } from '../../scripts/temporal-cluster.js';
import { setupRun, type TemporalStarter } from './global-setup.js';

const cluster: TemporalStarter = async ({ adminUrl, databasePrefix }) => {
  const install = await ensureTemporalServer((line) => console.error(line));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-temporal-cluster-'));
  const server = await startTemporalCluster({ install, postgresUrl: adminUrl, databasePrefix, dataDir, searchAttributes: SEARCH_ATTRIBUTES });
  return {
    address: server.address,
    uiUrl: '',
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

export default function setup(project: TestProject) {
  return setupRun(project, cluster);
}
