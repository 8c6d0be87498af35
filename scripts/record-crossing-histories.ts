/**
 * Records the histories test/replay.test.ts replays across a boundary (test/histories/crossing/):
 *
 * - `local-database-activities.json`: an order started by the workflow code from before that patch
 *   (a workflow bundle built from an older checkout), which runs the wizard's first steps with regular
 *   activities; then that worker stops and today's worker replays it and finishes the order, with
 *   local activities from there on.
 * - `continue-as-new-first.json`, `continue-as-new-last.json`: an order whose run continues as new
 *   (CONTINUE_AS_NEW_AFTER_EVENTS set low) in the middle of the wizard: the first run, ending in the
 *   hand-over, and the last one, which starts from what was carried and completes.
 *
 *   git worktree add /tmp/orders-old 6b33392^ && ln -s "$PWD/node_modules" /tmp/orders-old/node_modules
 *   npx tsx scripts/record-crossing-histories.ts /tmp/orders-old
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildApp } from '../api/app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { orderWorkflowId } from '../domain/order.js';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter.js';
import { createOrderWorkers } from '../worker.js';
import { HISTORIES_DIR, orderOn, until, PASSWORD, partnerConfigures, replayDataConverter, SECRETS, serviceSetupAndProvision } from './record-histories.js';
import { ensureTemporalCli } from './temporal-binaries.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export const CROSSING_DIR = path.join(HISTORIES_DIR, 'crossing');

async function main(oldCheckout: string) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const scratch = await mkdtemp(path.join(tmpdir(), 'record-crossing-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(scratch, { recursive: true, force: true })];
  try {
    const oldBundlePath = path.join(scratch, 'old-workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(oldCheckout, 'workflows/index.ts'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
    await writeFile(oldBundlePath, code);

    const server = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), searchAttributes: SEARCH_ATTRIBUTES, log: () => {} });
    cleanups.unshift(() => server.stop());
    await chmod(scratch, 0o755);
    const postgresServer = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'postgres') });
    cleanups.unshift(() => postgresServer.stop());
    const database = await openDatabase({ url: postgresServer.url() });
    cleanups.unshift(() => database.close());
    await database.migrate();

    const env = { ...SECRETS, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: 'record-crossing', DATA_DIR: scratch, LOG_LEVEL: 'warn' };
    const config = loadConfig(env);
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanups.unshift(() => nativeConnection.close());
    const connection = await Connection.connect({ address: server.address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection, dataConverter: replayDataConverter() });
    const app = await buildApp({ config, database, temporal: client, logger: false });
    cleanups.unshift(() => app.close());
    const canApp = await buildApp({ config: loadConfig({ ...env, CONTINUE_AS_NEW_AFTER_EVENTS: '60' }), database, temporal: client, logger: false });
    cleanups.unshift(() => canApp.close());
    const startWorkers = async (workflowBundlePath?: string) => {
      const workers = await createOrderWorkers({ config, database, connection: nativeConnection, ...(workflowBundlePath ? { workflowBundlePath } : {}) });
      const running = workers.run();
      return async () => {
        workers.shutdown();
        await running;
      };
    };
    const save = async (name: string, history: Awaited<ReturnType<ReturnType<typeof client.workflow.getHandle>['fetchHistory']>>) => {
      await mkdir(CROSSING_DIR, { recursive: true });
      await writeFile(path.join(CROSSING_DIR, `${name}.json`), `${historyToJSON(history)}\n`);
      console.log(`[record] ${name}: ${history.events?.length ?? 0} events`);
    };

    // Started by the code before local-database-activities, up to step 4.
    let stopWorkers = await startWorkers(oldBundlePath);
    const crossing = orderOn(app);
    await crossing.post();
    const w = crossing.wizard(await crossing.token('setup'));
    await w.start();
    await w.step('role', { role: 'partner' });
    await w.step('configurer', { choice: 'self' });
    await stopWorkers();
    // Today's code takes over: it replays the start, then goes on with local activities.
    stopWorkers = await startWorkers();
    cleanups.unshift(() => stopWorkers());
    await w.step('partner-org', { mode: 'new', name: crossing.order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${crossing.domain}` });
    await w.step('customer-admin', { email: `it@${crossing.domain}` });
    await w.step('customer-org', { mode: 'new', name: crossing.order.customer.name, country: 'NO', address: 'Strandkaien 2' });
    await w.step('confirm', { confirmed: true });
    await w.step('partner-password', { password: PASSWORD });
    await serviceSetupAndProvision(crossing, w);
    const crossingHandle = client.workflow.getHandle(orderWorkflowId(crossing.order.orderId));
    await crossingHandle.result();
    await save('local-database-activities', await crossingHandle.fetchHistory());

    // A run that continues as new in the middle of the wizard.
    const long = orderOn(canApp, { services: ['messaging', 'meetings', 'calling'] });
    await long.post();
    const lw = long.wizard(await long.token('setup'));
    await partnerConfigures(long, lw);
    await lw.step('partner-password', { password: PASSWORD });
    await serviceSetupAndProvision(long, lw);
    const longHandle = client.workflow.getHandle(orderWorkflowId(long.order.orderId));
    await longHandle.result();
    // Visibility lags the runs a little: wait until it lists the hand-over.
    const listRuns = async () => {
      const runs: Array<{ runId: string; startTime: Date }> = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${orderWorkflowId(long.order.orderId)}'` })) runs.push({ runId: execution.runId, startTime: execution.startTime });
      return runs.length >= 2 ? runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()) : undefined;
    };
    const runs = await until(`${long.order.orderId} to have continued as new`, listRuns);
    const first = runs[0]!.runId;
    await save('continue-as-new-first', await client.workflow.getHandle(orderWorkflowId(long.order.orderId), first).fetchHistory());
    await save('continue-as-new-last', await longHandle.fetchHistory());
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error('[record] while stopping:', error));
  }
}

const oldCheckout = process.argv[2];
if (!oldCheckout) {
  console.error('usage: npx tsx scripts/record-crossing-histories.ts <checkout of the code before local-database-activities>');
  process.exit(2);
}
main(path.resolve(oldCheckout)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
