// The Temporal worker: runs the order workflows and their activities. Runs on its own
// (`npm run start:worker`, production) or inside `npm start` beside the API.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { type Config, loadConfigOrExit } from './config.js';
import { type Database, openDatabase } from './db/client.js';

export interface WorkerDeps {
  config: Config;
  database: Database;
  connection: NativeConnection;
  /** A bundle made by scripts/bundle-workflows.ts; without one the worker bundles at start. */
  workflowBundlePath?: string | undefined;
  clock?: () => Date;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceExtension = path.extname(fileURLToPath(import.meta.url));

/** The prebuilt bundle `npm run build` writes; cold start skips webpack when it exists. */
export const DEFAULT_WORKFLOW_BUNDLE = path.join(here, 'workflow-bundle.js');

export async function createOrderWorker({ config, database, connection, workflowBundlePath, clock }: WorkerDeps): Promise<Worker> {
  const bundlePath = workflowBundlePath ?? (existsSync(DEFAULT_WORKFLOW_BUNDLE) ? DEFAULT_WORKFLOW_BUNDLE : undefined);
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: path.join(here, 'workflows', `index${sourceExtension}`) }),
    activities: createActivities({ database, config, ...(clock ? { clock } : {}) }),
  });
}

async function main() {
  const config = loadConfigOrExit();
  if (!config.temporal.address) {
    console.error('Invalid environment: TEMPORAL_ADDRESS is required to run the worker alone (npm start runs a dev server for you)');
    process.exit(1);
  }
  const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite') });
  await database.migrate();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createOrderWorker({ config, database, connection });
  // Worker.run() installs its own SIGINT/SIGTERM handling: it drains, then resolves.
  await worker.run();
  await connection.close();
  await database.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
