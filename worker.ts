// The Temporal worker: runs the order workflows and their activities. Runs on its own
// (`npm run start:worker`, production) or inside `npm start` beside the API.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, type LogLevel, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { createActivities } from './activities/index.js';
import type { WebexGateway } from './activities/provisioning.js';
import { type Config, loadConfigOrExit } from './config.js';
import { type Database, openDatabase } from './db/client.js';
import { logOptions } from './logging.js';
import { orderDataConverter } from './temporal/data-converter.js';
import type { EmailTransport } from './emails/transport.js';

export interface WorkerDeps {
  config: Config;
  database: Database;
  connection: NativeConnection;
  /** A bundle made by scripts/bundle-workflows.ts; without one the worker bundles at start. */
  workflowBundlePath?: string | undefined;
  clock?: () => Date;
  /** Webex and its billing system; unset → the database gateway (activities/provisioning.ts). */
  webex?: WebexGateway;
  /** Where emails go; unset → from config (Resend with RESEND_API_KEY, else the dev outbox). */
  email?: EmailTransport;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceExtension = path.extname(fileURLToPath(import.meta.url));

/** The prebuilt bundle `npm run build` writes; cold start skips webpack when it exists. */
export const DEFAULT_WORKFLOW_BUNDLE = path.join(here, 'workflow-bundle.js');

/** Emails have their own task queue, so its rate limit paces emails and nothing else. */
export const emailTaskQueue = (config: Config): string => `${config.temporal.taskQueue}-email`;

const NO_WORKFLOWS = 'No workflows registered, not polling for workflow tasks';

/**
 * The SDK's log lines, in the API's format (logging.ts). Its INFO lines narrate every task, so it
 * writes warnings and errors unless LOG_LEVEL asks for debug. The email worker runs activities
 * only, by design: the SDK's warning about it on every start is dropped.
 */
export function workerRuntimeLogger(config: Config): DefaultLogger {
  const logger = pino(logOptions(config));
  const level: LogLevel = config.logLevel === 'trace' ? 'TRACE' : config.logLevel === 'debug' ? 'DEBUG' : 'WARN';
  return new DefaultLogger(level, ({ level, message, meta }) => {
    if (message === NO_WORKFLOWS && meta?.taskQueue === emailTaskQueue(config)) return;
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
    logger[method](meta ?? {}, message);
  });
}

export interface OrderWorkers {
  /** Runs both workers until shutdown(); rejects if either fails. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createOrderWorkers({ config, database, connection, workflowBundlePath, clock, webex, email }: WorkerDeps): Promise<OrderWorkers> {
  const bundlePath = workflowBundlePath ?? (existsSync(DEFAULT_WORKFLOW_BUNDLE) ? DEFAULT_WORKFLOW_BUNDLE : undefined);
  const activities = createActivities({ database, config, ...(clock ? { clock } : {}), ...(webex ? { webex } : {}), ...(email ? { email } : {}) });
  // Both workers, or the email activities' results would reach the history in clear.
  const dataConverter = orderDataConverter(config);
  const workers = [
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      dataConverter,
      ...(bundlePath
        ? { workflowBundle: { codePath: bundlePath } }
        : { workflowsPath: path.join(here, 'workflows', `index${sourceExtension}`) }),
      activities,
      ...(config.temporal.maxCachedWorkflows ? { maxCachedWorkflows: config.temporal.maxCachedWorkflows } : {}),
    }),
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: emailTaskQueue(config),
      dataConverter,
      activities,
      // Resend's default account limit is 2 requests/s: pace every worker's emails together.
      maxTaskQueueActivitiesPerSecond: config.emailRatePerSecond,
    }),
  ];
  return {
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

async function main() {
  const config = loadConfigOrExit();
  if (!config.temporal.address || !config.databaseUrl) {
    console.error(`Invalid environment: ${config.temporal.address ? 'DATABASE_URL' : 'TEMPORAL_ADDRESS'} is required to run the worker alone (npm start runs a dev server and an embedded PostgreSQL for you)`);
    process.exit(1);
  }
  Runtime.install({ logger: workerRuntimeLogger(config) });
  const database = await openDatabase({ url: config.databaseUrl });
  await database.migrate();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await createOrderWorkers({ config, database, connection });
  // Worker.run() installs its own SIGINT/SIGTERM handling: it drains, then resolves.
  await workers.run();
  await connection.close();
  await database.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
