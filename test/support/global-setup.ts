// Once per test run: a real Temporal dev server on a free port, a fresh PostgreSQL database
// (or PGlite when no server answers), and the workflow bundle, built once for every worker.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client.js';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { ensureTemporalCli, ensureTestServer } from '../../scripts/temporal-binaries.js';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server.js';
import { ensureWebBuild } from '../../scripts/web-build.js';
import { FAILURE_CONVERTER_PATH } from '../../temporal/data-converter.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** undefined → each test file uses an in-memory PGlite. */
    databaseUrl: string | undefined;
    workflowBundlePath: string;
    testServerPath: string;
    /** The dev server's Temporal Web UI, for links from an order to its workflow. */
    temporalUiUrl: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const log = (line: string) => console.error(line);

/** A fresh database on the server TEST_DATABASE_URL (or a local default) points at. */
async function createRunDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = postgres(adminUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end({ timeout: 1 });
    if (process.env.TEST_DATABASE_URL) throw new Error(`TEST_DATABASE_URL does not answer: ${(error as Error).message}`, { cause: error });
    return undefined;
  }
  const name = `orders_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export default async function setup(project: TestProject) {
  const [cliPath, testServerPath] = [await ensureTemporalCli(log), await ensureTestServer(log)];
  // The browser tests need the pages' production build; made only when web/ changed since the last one.
  await ensureWebBuild(log);
  const [server, runDatabase, bundle] = await Promise.all([
    startTemporalDevServer({ cliPath, searchAttributes: SEARCH_ATTRIBUTES, log: () => {} }),
    createRunDatabase(),
    bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') }),
  ]);
  if (runDatabase) {
    const database = await openDatabase({ url: runDatabase.url, maxConnections: 1 });
    await database.migrate();
    await database.close();
    console.error(`[test] PostgreSQL database ${new URL(runDatabase.url).pathname.slice(1)} (from ${process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'the local server'})`);
  } else {
    console.error('[test] no PostgreSQL server answered: using embedded PGlite per test file');
  }
  const bundleDir = await mkdtemp(path.join(tmpdir(), 'order-workflows-'));
  const workflowBundlePath = path.join(bundleDir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', server.address);
  project.provide('databaseUrl', runDatabase?.url);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('testServerPath', testServerPath);
  project.provide('temporalUiUrl', server.uiUrl);

  return async () => {
    await server.stop();
    await runDatabase?.drop();
    await rm(bundleDir, { recursive: true, force: true });
  };
}
