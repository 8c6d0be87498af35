// Once per test run: a real Temporal dev server on a free port, one real PostgreSQL server (embedded
// unless TEST_DATABASE_URL names one) with a migrated template database, and the workflow bundle,
// built once for every worker.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client.js';
import { startEmbeddedPostgres } from '../../db/embedded-postgres.js';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { ensureTemporalCli, ensureTestServer } from '../../scripts/temporal-binaries.js';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server.js';
import { ensureWebBuild } from '../../scripts/web-build.js';
import { FAILURE_CONVERTER_PATH } from '../../temporal/data-converter.js';
import { ensureChromium } from './chromium.js';
import { databaseUrl } from './database-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** A superuser URL on the run's PostgreSQL server; each test file makes its database from `templateDatabase`. */
    postgresAdminUrl: string;
    /** A migrated, empty database: `create database … template` copies it in milliseconds. */
    templateDatabase: string;
    /** Databases of this run start with it, so teardown on a shared server drops only its own. */
    runDatabasePrefix: string;
    workflowBundlePath: string;
    testServerPath: string;
    /** The browser the page tests drive (test/support/chromium.ts). */
    chromiumPath: string;
    /** The dev server's Temporal Web UI, for links from an order to its workflow. */
    temporalUiUrl: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * What the setup did (installs, a web build, where PostgreSQL runs), kept and printed only if the
 * setup fails, as a test's logs are printed only if it fails: a passing run prints no log lines.
 */
const setupLines: string[] = [];
const log = (line: string) => void setupLines.push(line);

interface RunPostgres {
  adminUrl: string;
  description: string;
  stop(): Promise<void>;
}

/** The server TEST_DATABASE_URL names, else an embedded PostgreSQL 17 of this run's own. */
async function runPostgres(): Promise<RunPostgres> {
  const named = process.env.TEST_DATABASE_URL;
  if (named) return { adminUrl: named, description: 'TEST_DATABASE_URL', stop: async () => {} };
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-test-postgres-'));
  // Reachable by the `postgres` user the server runs as under root, so the cluster stays in it.
  await chmod(dataDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir });
  return {
    adminUrl: server.url(),
    description: `embedded PostgreSQL on 127.0.0.1:${server.port}`,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(server.clusterDir, { recursive: true, force: true });
    },
  };
}

/** The Temporal the run's tests talk to. */
export interface RunTemporal {
  address: string;
  /** Its Web UI, for links from an order to its workflow ('' when it has none). */
  uiUrl: string;
  stop(): Promise<void>;
}

/** Starts Temporal for the run, given the run's PostgreSQL server and a prefix for databases it may create. */
export type TemporalStarter = (postgres: { adminUrl: string; databasePrefix: string }) => Promise<RunTemporal>;

/** The default: the Temporal CLI's dev server on free ports, in memory. */
const devServer: TemporalStarter = async () =>
  startTemporalDevServer({ cliPath: await ensureTemporalCli(log), searchAttributes: SEARCH_ATTRIBUTES, dynamicConfig: TEST_DYNAMIC_CONFIG, log: () => {} });

/**
 * Every harness is a Worker Deployment of its own (100 per namespace by default), and
 * test/worker-deployment.test.ts watches a version drain within seconds, not the default minutes.
 */
export const TEST_DYNAMIC_CONFIG = {
  'matching.maxDeployments': 10_000,
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '2s',
};

export default function setup(project: TestProject) {
  return setupRun(project, devServer);
}

export async function setupRun(project: TestProject, startTemporal: TemporalStarter) {
  try {
    return await setupRunQuietly(project, startTemporal);
  } catch (error) {
    for (const line of setupLines) console.error(line);
    throw error;
  }
}

async function setupRunQuietly(project: TestProject, startTemporal: TemporalStarter) {
  const testServerPath = await ensureTestServer(log);
  // The browser tests need a Chromium and the pages' production build (made only when web/ changed).
  const [chromiumPath] = await Promise.all([ensureChromium(log), ensureWebBuild(log, { logLevel: 'error' })]);
  const runDatabasePrefix = `orders_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const [postgresServer, bundle] = await Promise.all([
    runPostgres(),
    bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') }),
  ]);
  const server = await startTemporal({ adminUrl: postgresServer.adminUrl, databasePrefix: `${runDatabasePrefix}_temporal` });
  const templateDatabase = `${runDatabasePrefix}_template`;
  const admin = postgres(postgresServer.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${templateDatabase}`);
  const template = await openDatabase({ url: databaseUrl(postgresServer.adminUrl, templateDatabase), maxConnections: 1 });
  await template.migrate();
  await template.close();
  log(`[test] PostgreSQL: ${postgresServer.description}; each test file gets its own database`);

  const bundleDir = await mkdtemp(path.join(tmpdir(), 'order-workflows-'));
  const workflowBundlePath = path.join(bundleDir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', server.address);
  project.provide('postgresAdminUrl', postgresServer.adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('runDatabasePrefix', runDatabasePrefix);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('testServerPath', testServerPath);
  project.provide('chromiumPath', chromiumPath);
  project.provide('temporalUiUrl', server.uiUrl);

  return async () => {
    await server.stop();
    const own = await admin<Array<{ datname: string }>>`select datname from pg_database where datname like ${`${runDatabasePrefix}%`}`;
    for (const { datname } of own) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    await admin.end({ timeout: 5 });
    await postgresServer.stop();
    await rm(bundleDir, { recursive: true, force: true });
  };
}
