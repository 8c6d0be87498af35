// The Temporal worker: runs the order workflows and their activities. Runs on its own
// (`npm run start:worker`, production) or inside `npm start` beside the API.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, type LogLevel, NativeConnection, Runtime, type RuntimeOptions, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { createActivities } from './activities/index.js';
import { createBusinessMetrics, EMAIL_TO_PROVISIONED_BUCKETS, METRIC, startOrdersByStatusGauge } from './activities/metrics.js';
import type { WebexGateway } from './activities/provisioning.js';
import { type Config, loadConfigOrExit } from './config.js';
import { type Database, openDatabase } from './db/client.js';
import { assertSchemaCurrent, buildSchemaVersion } from './db/migrate.js';
import { registerProcess } from './db/processes.js';
import { logOptions } from './logging.js';
import { orderDataConverter } from './temporal/data-converter.js';
import { createOrderDataKeys } from './privacy/data-keys.js';
import { type Tracing, startTracing } from './observability/tracing.js';
import { temporalConnectionOptions } from './temporal/connection.js';
import { deploymentVersion, type ExpectedTaskQueue, setCurrentVersion } from './temporal/deployment.js';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.js';
import { ensurePersonalDataSchedule } from './temporal/personal-data-schedule.js';
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
  /** Set: workflow and activity spans join the trace of the request that started or updated the order. */
  tracing?: Tracing | undefined;
  /**
   * false: every payload is encrypted with PAYLOAD_ENCRYPTION_KEYS alone, none with its order's data
   * key (scripts/record-histories.ts: recorded histories replay without the database). Default true.
   */
  orderDataKeys?: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceExtension = path.extname(fileURLToPath(import.meta.url));

/** The prebuilt bundle `npm run build` writes; cold start skips webpack when it exists. */
export const DEFAULT_WORKFLOW_BUNDLE = path.join(here, 'workflow-bundle.js');
/** The same with Temporal's OpenTelemetry workflow interceptors, for a worker that traces. */
export const DEFAULT_TRACED_WORKFLOW_BUNDLE = path.join(here, 'workflow-bundle-traced.js');

/** Emails have their own task queue, so its rate limit paces emails and nothing else. */
export const emailTaskQueue = (config: Config): string => `${config.temporal.taskQueue}-email`;

/**
 * On SIGTERM the workers stop polling and give running activities WORKER_SHUTDOWN_GRACE to finish;
 * then those are cancelled (Temporal retries them on another worker) and, a few seconds later, the
 * worker gives up waiting, so a deploy never hangs on one stuck call.
 */
const shutdownTimes = (config: Config) => ({
  shutdownGraceTime: config.temporal.shutdownGraceMs,
  shutdownForceTime: config.temporal.shutdownGraceMs + FORCE_AFTER_GRACE_MS,
});
const FORCE_AFTER_GRACE_MS = 5_000;

/**
 * The process's Temporal runtime, once per process before any worker: with WORKER_METRICS_PORT
 * (not 0) it serves Prometheus metrics — the SDK's own (task latencies, slots, sticky cache, polls)
 * and the business series (activities/metrics.ts) — at http://HOST:WORKER_METRICS_PORT/metrics.
 */
export function installWorkerRuntime(config: Config, options: Pick<RuntimeOptions, 'logger' | 'shutdownSignals'> = {}): void {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  Runtime.install({
    ...options,
    telemetryOptions:
      config.workerMetricsPort === 0
        ? {}
        : {
            metrics: {
              prometheus: {
                bindAddress: `${host}:${config.workerMetricsPort}`,
                // Prometheus conventions: counters end in _total, durations are seconds.
                countersTotalSuffix: true,
                useSecondsForDurations: true,
                histogramBucketOverrides: { [METRIC.emailToProvisioned]: EMAIL_TO_PROVISIONED_BUCKETS },
              },
            },
          },
  });
}

const NO_WORKFLOWS = 'No workflows registered, not polling for workflow tasks';

/**
 * The SDK's log lines, in the API's format (logging.ts). Its INFO lines narrate every task, so it
 * writes warnings and errors unless LOG_LEVEL asks for debug. The email worker runs activities
 * only, by design, and so does the webhook worker: the SDK's warning about it on every start is dropped.
 */
export function workerRuntimeLogger(config: Config): DefaultLogger {
  const logger = pino(logOptions(config));
  const level: LogLevel = config.logLevel === 'trace' ? 'TRACE' : config.logLevel === 'debug' ? 'DEBUG' : 'WARN';
  return new DefaultLogger(level, ({ level, message, meta }) => {
    if (message === NO_WORKFLOWS && (meta?.taskQueue === emailTaskQueue(config) || meta?.taskQueue === webhookTaskQueue(config))) return;
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
    logger[method](meta ?? {}, message);
  });
}

/** Webhooks have their own task queue, so a slow receiver ties up no order or email worker slot. */
export const webhookTaskQueue = (config: Config): string => `${config.temporal.taskQueue}-webhooks`;

export interface OrderWorkers {
  /** Runs the workers until shutdown(); rejects if one fails. */
  run(): Promise<void>;
  /**
   * Makes this build's deployment version current once its workers poll every queue (after run();
   * the same promise each call). With WORKER_SET_CURRENT (development, tests) run() does it by
   * itself: await this to know tasks reach these workers. Until a version is current its workers
   * get no tasks; those waiting are dispatched once it is.
   */
  makeCurrent(): Promise<void>;
  shutdown(): void;
}

/** The task queues every version of the deployment polls: a new build must poll them all before it takes over. */
export const deploymentTaskQueues = (config: Config): ExpectedTaskQueue[] => [
  { name: config.temporal.taskQueue, type: 'workflow' },
  { name: config.temporal.taskQueue, type: 'activity' },
  { name: emailTaskQueue(config), type: 'activity' },
  { name: webhookTaskQueue(config), type: 'activity' },
];

/**
 * Activities a worker runs at once, by kind. Each uses at most one database connection at a time,
 * so the worker's pool has one for each and none waits for a connection against its timeout
 * (docs/operations.md, "Database connections").
 */
export const ACTIVITY_SLOTS = { local: 8, order: 16, email: 8, webhook: 8 } as const;
/** One connection per activity slot, and one for the orders-by-status gauge. */
export const WORKER_POOL_SIZE = ACTIVITY_SLOTS.local + ACTIVITY_SLOTS.order + ACTIVITY_SLOTS.email + ACTIVITY_SLOTS.webhook + 1;

export async function createOrderWorkers({ config, database, connection, workflowBundlePath, clock, webex, email, tracing, orderDataKeys = true }: WorkerDeps): Promise<OrderWorkers> {
  // A prebuilt bundle cannot take interceptors later: a tracing worker uses the traced one, or bundles at start.
  const defaultBundle = tracing ? DEFAULT_TRACED_WORKFLOW_BUNDLE : DEFAULT_WORKFLOW_BUNDLE;
  const bundlePath = workflowBundlePath ?? (existsSync(defaultBundle) ? defaultBundle : undefined);
  const plugins = tracing ? { plugins: [new OpenTelemetryPlugin({ resource: tracing.resource, spanProcessor: tracing.spanProcessor })] } : {};
  const metrics = createBusinessMetrics();
  const activities = createActivities({ database, config, metrics, ...(clock ? { clock } : {}), ...(webex ? { webex } : {}), ...(email ? { email } : {}) });
  // Every worker, or the email and webhook activities' results would reach the history in clear.
  const dataConverter = orderDataConverter(config, orderDataKeys ? createOrderDataKeys(database.db, config.payloadEncryptionKeys) : undefined);
  // One version for the three queues: an order's activities run the code of the build its workflow
  // runs on, while that build polls. Orders follow the current version at their next task
  // (AUTO_UPGRADE; docs/workflow-versions.md); the email and webhook workers run no workflows.
  const workerDeploymentOptions = {
    useWorkerVersioning: true,
    version: deploymentVersion(config),
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  } as const;
  const workers = [
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      dataConverter,
      workerDeploymentOptions,
      ...(bundlePath
        ? { workflowBundle: { codePath: bundlePath } }
        : { workflowsPath: path.join(here, 'workflows', `index${sourceExtension}`) }),
      activities,
      maxConcurrentLocalActivityExecutions: ACTIVITY_SLOTS.local,
      maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS.order,
      ...(config.temporal.maxCachedWorkflows ? { maxCachedWorkflows: config.temporal.maxCachedWorkflows } : {}),
      ...shutdownTimes(config),
      ...plugins,
    }),
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: emailTaskQueue(config),
      dataConverter,
      workerDeploymentOptions,
      activities,
      // Resend's default account limit is 2 requests/s: pace every worker's emails together.
      maxTaskQueueActivitiesPerSecond: config.emailRatePerSecond,
      maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS.email,
      ...shutdownTimes(config),
      ...plugins,
    }),
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: webhookTaskQueue(config),
      dataConverter,
      workerDeploymentOptions,
      activities,
      maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS.webhook,
      ...shutdownTimes(config),
    }),
  ];
  const stopped = new AbortController();
  let madeCurrent: Promise<void> | undefined;
  const makeCurrent = () =>
    (madeCurrent ??= setCurrentVersion(connection.workflowService, {
      namespace: config.temporal.namespace,
      version: deploymentVersion(config),
      // These workers are starting: no wait for their first polls to reach the server (seconds).
      // The server still refuses the switch while the version lacks a queue the current one has.
      allowNoPollers: true,
      signal: stopped.signal,
    }).then(() => {}));
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    run: async () => {
      const stopGauge = startOrdersByStatusGauge(database, metrics);
      try {
        const running = Promise.all(workers.map((w) => w.run())).finally(() => stopped.abort());
        if (!config.temporal.deployment.setCurrentOnStart) return void (await running);
        // A version that cannot be made current gets no tasks: stop, and say why.
        const current = makeCurrent().catch(async (error: unknown) => {
          shutdown();
          await running.catch(() => {});
          throw error;
        });
        await Promise.all([running, current]);
      } finally {
        stopGauge();
      }
    },
    makeCurrent,
    shutdown,
  };
}

async function main() {
  const config = loadConfigOrExit();
  if (!config.temporal.address || !config.databaseUrl) {
    console.error(`Invalid environment: ${config.temporal.address ? 'DATABASE_URL' : 'TEMPORAL_ADDRESS'} is required to run the worker alone (npm start runs a dev server and an embedded PostgreSQL for you)`);
    process.exit(1);
  }
  installWorkerRuntime(config, { logger: workerRuntimeLogger(config) });
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: WORKER_POOL_SIZE });
  // Migrations are a deploy step of their own (`npm run migrate`); a process never runs against a schema it does not know.
  await assertSchemaCurrent(database);
  // `npm run migrate` refuses a contracting migration while this build (its schema version) still runs.
  const registration = await registerProcess(database, { role: 'worker', buildId: config.temporal.deployment.buildId, schemaVersion: buildSchemaVersion() });
  const tracing = startTracing(config, 'order-provisioning-worker');
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  // Terminated orders are cleaned up by a scheduled workflow (workflows/reconcile-terminated.ts).
  const clientConnection = await Connection.connect(temporalConnectionOptions(config));
  const scheduler = new Client({ connection: clientConnection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config) });
  await ensureReconcileSchedule(scheduler, config.temporal.taskQueue);
  // Personal data past PERSONAL_DATA_RETENTION is erased by a scheduled workflow (workflows/personal-data-sweep.ts).
  await ensurePersonalDataSchedule(scheduler, config.temporal.taskQueue, config.personalDataSweepEveryMs);
  await clientConnection.close();
  const workers = await createOrderWorkers({ config, database, connection, tracing });
  // Worker.run() installs its own SIGINT/SIGTERM handling: it drains, then resolves.
  const running = workers.run();
  const log = pino(logOptions(config));
  const { name: deployment, buildId } = config.temporal.deployment;
  if (config.temporal.deployment.setCurrentOnStart) {
    await Promise.race([workers.makeCurrent(), running]);
    log.info({ deployment, buildId }, 'worker polling; its version is current (WORKER_SET_CURRENT)');
  } else {
    log.info({ deployment, buildId }, 'worker polling; it gets tasks once its version is current (npm run deploy:current, docs/workflow-versions.md)');
  }
  await running;
  await registration.stop().catch(() => {});
  await tracing?.shutdown();
  await connection.close();
  await database.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
