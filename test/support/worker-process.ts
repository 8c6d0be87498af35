// The order worker in a process of its own, for tests that kill it (test/provisioning-crash.test.ts).
// Configuration comes from the environment the test passes (read by config.ts, like any worker);
// test-only knobs are arguments, so no production setting exists to slow a real worker down.
//
//   node --import tsx test/support/worker-process.ts --workflow-bundle <path> [--slow-billing-ms <ms>]
//
// Prints "worker ready" on stdout once it polls, and "billing started <orderId>" when a slowed
// billing call begins. SIGTERM drains and exits; SIGKILL is the crash.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection } from '@temporalio/worker';
import { createDatabaseWebexGateway, type WebexGateway } from '../../activities/provisioning.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/client.js';
import { temporalConnectionOptions } from '../../temporal/connection.js';
import { startTracing } from '../../observability/tracing.js';
import { createOrderWorkers, installWorkerRuntime } from '../../worker.js';

export const WORKER_READY = 'worker ready';
/** Printed with the order id when a slowed billing call begins: the moment to kill the worker. */
export const BILLING_STARTED = 'billing started';
export const WORKER_SCRIPT = fileURLToPath(import.meta.url);

/** The database gateway, but billing waits `delayMs` first: a window to kill the worker in. */
function slowBillingGateway(gateway: WebexGateway, delayMs: number): WebexGateway {
  return {
    ...gateway,
    async startBilling(request) {
      process.stdout.write(`${BILLING_STARTED} ${request.orderId}\n`);
      await sleep(delayMs);
      return gateway.startBilling(request);
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: { 'workflow-bundle': { type: 'string' }, 'slow-billing-ms': { type: 'string' } },
    strict: true,
  });
  const slowBillingMs = Number(values['slow-billing-ms'] ?? 0);
  if (!Number.isInteger(slowBillingMs) || slowBillingMs < 0) throw new Error('--slow-billing-ms must be a whole number of milliseconds');

  const config = loadConfig();
  // As worker.ts: the metrics endpoint when WORKER_METRICS_PORT is set (the harness sets 0: off).
  installWorkerRuntime(config, { logger: new DefaultLogger('WARN') });
  // A killed worker's work is finished by another process: both must share one real database.
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required: the worker shares the test file\'s database');
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is required');

  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 3 });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const tracing = startTracing(config, 'order-provisioning-worker');
  const workers = await createOrderWorkers({
    config,
    database,
    connection,
    tracing,
    // The run's bundle has no tracing interceptors: a tracing worker bundles its own.
    workflowBundlePath: tracing ? undefined : values['workflow-bundle'],
    ...(slowBillingMs > 0 ? { webex: slowBillingGateway(createDatabaseWebexGateway({ database }), slowBillingMs) } : {}),
  });
  const running = workers.run();
  // WORKER_SET_CURRENT (on outside production): ready once this build's version is current.
  if (config.temporal.deployment.setCurrentOnStart) await Promise.race([workers.makeCurrent(), running]);
  process.stdout.write(`${WORKER_READY}\n`);
  // Worker.run() handles SIGTERM itself: it drains, then resolves.
  await running;
  await tracing?.shutdown();
  await connection.close();
  await database.close();
}

// Imported by the test for its constants; run as a script, it is the worker.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
