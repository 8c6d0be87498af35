// The service under test, in a process of its own so the load generator does not share its event
// loop: the API, the workers, or both (as `npm start` runs them). Configuration comes from the
// environment the bench passes (read by config.ts, like any deployment); bench-only choices are flags.
//
//   node --import tsx bench/support/service-process.ts --role all|api|worker
//        [--workflow-bundle <path>]        (absent: the worker bundles workflows/ at start)
//        [--bench-workflow-bundle <path>]  (also run bench/workflows on <task queue>-bench)
//
// Over IPC it sends { kind: 'ready', port, phases } once it serves, answers { kind: 'memory' }
// with process.memoryUsage(), and drains and exits on SIGTERM.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/client.js';
import { orderDataConverter } from '../../temporal/data-converter.js';
import { createOrderDataKeys } from '../../privacy/data-keys.js';
import { createOrderWorkers, WORKER_POOL_SIZE } from '../../worker.js';

// What worker.ts imports, no more: the API's modules are imported only where the API runs, so a
// worker's cold start here loads what a worker process loads.
/** Milliseconds since this process started (performance's time origin): Node, tsx and every import above. */
const modulesLoadedMs = performance.now();

export type ServiceRole = 'all' | 'api' | 'worker';

export type ServiceMessage =
  | { kind: 'ready'; port: number | null; phases: Record<string, number> }
  | { kind: 'memory'; usage: NodeJS.MemoryUsage; heapSizeLimit: number }
  | { kind: 'failed'; message: string };

function send(message: ServiceMessage): void {
  process.send?.(message);
}

async function main() {
  const phases: Record<string, number> = { modulesLoaded: round(modulesLoadedMs) };
  const { values } = parseArgs({
    options: {
      role: { type: 'string', default: 'all' },
      'workflow-bundle': { type: 'string' },
      'bench-workflow-bundle': { type: 'string' },
    },
    strict: true,
  });
  const role = values.role as ServiceRole;
  if (!['all', 'api', 'worker'].includes(role)) throw new Error(`--role must be all, api or worker (got "${values.role}")`);

  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  if (!config.databaseUrl || !config.temporal.address) throw new Error('DATABASE_URL and TEMPORAL_ADDRESS are required');

  const database = await openDatabase({ url: config.databaseUrl, ...(role === 'api' ? {} : { maxConnections: WORKER_POOL_SIZE }) });
  phases.databaseOpened = round(performance.now());
  /** Stopped first (the API, then the workers, which drain), then the connections are closed. */
  const stoppers: Array<() => Promise<unknown>> = [];
  const connections: Array<() => Promise<unknown>> = [];

  let port: number | null = null;
  const running: Array<Promise<void>> = [];
  if (role !== 'api') {
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    connections.push(() => connection.close());
    phases.temporalConnected = round(performance.now());
    const workers = await createOrderWorkers({ config, database, connection, workflowBundlePath: values['workflow-bundle'] });
    running.push(workers.run());
    stoppers.push(async () => workers.shutdown());
    if (values['bench-workflow-bundle']) {
      const benchWorker = await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: `${config.temporal.taskQueue}-bench`,
        dataConverter: orderDataConverter(config, createOrderDataKeys(database.db, config.payloadEncryptionKeys)),
        workflowBundle: { codePath: values['bench-workflow-bundle'] },
        activities: createActivities({ database, config }),
      });
      running.push(benchWorker.run());
      stoppers.push(async () => benchWorker.shutdown());
    }
    phases.workersCreated = round(performance.now());
  }
  if (role !== 'worker') {
    const [{ Client, Connection }, { buildApp }] = await Promise.all([import('@temporalio/client'), import('../../api/app.js')]);
    const connection = await Connection.connect({ address: config.temporal.address });
    connections.push(() => connection.close());
    const dataKeys = createOrderDataKeys(database.db, config.payloadEncryptionKeys);
    const app = await buildApp({ config, database, dataKeys, temporal: new Client({ connection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config, dataKeys) }) });
    await app.listen({ port: config.port, host: config.host });
    stoppers.unshift(() => app.close());
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : null;
    phases.apiListening = round(performance.now());
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const stopper of stoppers) await stopper().catch(() => {});
    await Promise.allSettled(running);
    for (const close of connections) await close().catch(() => {});
    await database.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.on('message', (message: { kind?: string }) => {
    if (message.kind === 'memory') send({ kind: 'memory', usage: process.memoryUsage(), heapSizeLimit: v8.getHeapStatistics().heap_size_limit });
  });
  for (const run of running) {
    run.catch((error: unknown) => {
      send({ kind: 'failed', message: `a worker stopped: ${String(error)}` });
      process.exit(1);
    });
  }
  send({ kind: 'ready', port, phases });
}

function round(ms: number): number {
  return Math.round(ms);
}

main().catch((error: unknown) => {
  send({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  console.error(error);
  process.exit(1);
});
