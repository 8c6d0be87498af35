// `npm start`: the whole service in one command on embedded defaults — a Temporal dev server
// (unless TEMPORAL_ADDRESS is set), an embedded PostgreSQL server (unless DATABASE_URL is set),
// the worker and the API.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../api/app.js';
import { describeGeneratedSecrets, loadConfigOrExit } from '../config.js';
import { openDatabase } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { createOrderDataKeys } from '../privacy/data-keys.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { ensureReconcileSchedule } from '../temporal/reconcile-schedule.js';
import { ensurePersonalDataSchedule } from '../temporal/personal-data-schedule.js';
import { createOrderWorkers, installWorkerRuntime, WORKER_POOL_SIZE, workerRuntimeLogger } from '../worker.js';
import { ensureTemporalCli } from './temporal-binaries.js';
import { type DevServer, ensureSearchAttributes, startTemporalDevServer } from './temporal-dev-server.js';
import { freePort, isPortFree } from './ports.js';
import { ensureWebBuild } from './web-build.js';

const say = (line: string) => console.log(`[start] ${line}`);

/** The dev server's usual ports: what Temporal users type by habit. */
const TEMPORAL_DEV_PORT = 7233;
const TEMPORAL_DEV_UI_PORT = 8233;

/** The parent of `pid`, or undefined once it has exited. */
function parentOf(pid: number): number | undefined {
  try {
    if (process.platform === 'linux') {
      // `pid (name) state ppid …`: the name may hold spaces and parentheses, so read after the last one.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    }
    return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * `npm start` runs npm → sh → tsx → this script. `kill <npm pid>` or a closed terminal can end
 * npm alone, leaving tsx, this script and the dev server running with the ports held. Each
 * ancestor that goes away is reparented, which changes the chain: then `then` runs.
 */
function onAncestorGone(then: () => void, depth = 3) {
  const chain = (): number[] => {
    const pids: number[] = [];
    for (let pid: number | undefined = process.ppid; pid && pid > 1 && pids.length < depth; pid = parentOf(pid)) pids.push(pid);
    return pids;
  };
  const initial = chain().join(' ');
  setInterval(() => {
    if (chain().join(' ') !== initial) then();
  }, 1_000).unref();
}

async function main() {
  const config = loadConfigOrExit();
  for (const line of describeGeneratedSecrets(config)) say(line);

  const cleanups: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) => console.error('[start] while stopping:', error));
      }
      process.exit(code);
    })();
    return stopping;
  };
  // `on`, not `once`: tsx passes on a signal it gets itself, so `pkill -f start.ts` delivers two, and
  // a second one must not kill this process before it has stopped PostgreSQL and Temporal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  // Ctrl-C reaches the whole group; a kill sent to npm alone does not: watch the processes above this one too.
  onAncestorGone(() => {
    say('the process that started this one has gone; stopping');
    void stop(0);
  });

  try {
    const listenHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    if (!(await isPortFree(config.host, config.port))) {
      say(`port ${config.port} (PORT) is taken on ${config.host}: another \`npm start\` or server is running there.`);
      say(`stop it, or run this one beside it with its own port and data: PORT=${config.port + 1} DATA_DIR=.data-${config.port + 1} npm start`);
      return await stop(1);
    }
    // The worker's metrics as worker.ts serves them. Taken (a second `npm start`): a free port, printed below.
    let workerMetricsPort = config.workerMetricsPort;
    if (workerMetricsPort !== 0 && !(await isPortFree(config.host, workerMetricsPort))) {
      say(`port ${workerMetricsPort} (WORKER_METRICS_PORT) is taken: the worker serves its metrics on a free port, printed below.`);
      workerMetricsPort = await freePort(config.host);
    }
    // This process decides when to stop: the worker must not react to signals on its own.
    installWorkerRuntime({ ...config, workerMetricsPort }, { shutdownSignals: [], logger: workerRuntimeLogger(config) });
    await ensureWebBuild(say);
    let temporalAddress = config.temporal.address;
    let temporalUiUrl = config.temporal.uiUrl;
    if (!temporalAddress) {
      const cliPath = await ensureTemporalCli((line) => say(line));
      say(`starting the Temporal dev server (state in ${path.join(config.dataDir, 'temporal.db')})`);
      // Taken (often by a Temporal dev server of the user's own): run on free ports and say so.
      const [portFree, uiPortFree] = [await isPortFree('127.0.0.1', TEMPORAL_DEV_PORT), await isPortFree('127.0.0.1', TEMPORAL_DEV_UI_PORT)];
      if (!portFree) {
        say(`port ${TEMPORAL_DEV_PORT} is taken (another Temporal dev server?): this start runs its own on a free port, printed below.`);
        say(`to use the running server instead: TEMPORAL_ADDRESS=127.0.0.1:${TEMPORAL_DEV_PORT} npm start`);
      }
      if (!uiPortFree) say(`port ${TEMPORAL_DEV_UI_PORT} is taken: the Temporal Web UI runs on a free port, printed below.`);
      const server: DevServer = await startTemporalDevServer({
        cliPath,
        ...(portFree ? { port: TEMPORAL_DEV_PORT } : {}),
        ...(uiPortFree ? { uiPort: TEMPORAL_DEV_UI_PORT } : {}),
        // The Web UI decrypts through the API (in development it needs no rep token from this machine: api/routes/codec.ts).
        uiCodecEndpoint: `http://${formatHost(listenHost)}:${config.port}/codec`,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        namespace: config.temporal.namespace,
        searchAttributes: SEARCH_ATTRIBUTES,
        log: (line) => console.error(line),
      });
      cleanups.push(() => server.stop());
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    } else {
      await ensureSearchAttributes(temporalConnectionOptions(config), config.temporal.namespace, SEARCH_ATTRIBUTES).catch((error: unknown) =>
        say(`could not register search attributes on ${temporalAddress} (${(error as Error).message}); register OrderStatus=Keyword yourself`),
      );
    }

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const postgresDir = path.join(config.dataDir, 'postgres');
      say(`starting the embedded PostgreSQL server (data in ${postgresDir})`);
      const postgresServer = await startEmbeddedPostgres({ dataDir: postgresDir, log: say });
      cleanups.push(() => postgresServer.stop());
      databaseUrl = postgresServer.url();
    }
    // The worker's slots (worker.ts) and the API's share of 10.
    const database = await openDatabase({ url: databaseUrl, maxConnections: WORKER_POOL_SIZE + 10 });
    cleanups.push(() => database.close());
    await database.migrate();
    say(`database: ${database.description} (migrations applied)`);

    const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, temporalAddress));
    cleanups.push(() => nativeConnection.close());
    const workers = await createOrderWorkers({ config, database, connection: nativeConnection });
    const workerRun = workers.run();
    cleanups.push(async () => {
      workers.shutdown();
      await workerRun;
    });
    workerRun.catch((error: unknown) => {
      console.error('[start] the worker stopped:', error);
      void stop(1);
    });
    const { name: deploymentName, buildId, setCurrentOnStart } = config.temporal.deployment;
    if (setCurrentOnStart) {
      // Development: this build takes over at once (production: npm run deploy:current, docs/workflow-versions.md).
      await Promise.race([workers.makeCurrent(), workerRun]);
      say(`worker polling task queue ${config.temporal.taskQueue} as ${deploymentName} ${buildId} (current version)`);
    } else {
      say(`worker polling task queue ${config.temporal.taskQueue} as ${deploymentName} ${buildId}; it gets tasks once current: npm run deploy:current`);
    }

    const connection = await Connection.connect(temporalConnectionOptions(config, temporalAddress));
    cleanups.push(() => connection.close());
    const dataKeys = createOrderDataKeys(database.db, config.payloadEncryptionKeys);
    const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config, dataKeys) });
    await ensureReconcileSchedule(temporal, config.temporal.taskQueue);
    await ensurePersonalDataSchedule(temporal, config.temporal.taskQueue, config.personalDataSweepEveryMs);
    const app = await buildApp({ config, database, temporal, temporalUiUrl, codecOpenToLocalTemporalUi: !config.temporal.address, dataKeys });
    cleanups.push(() => app.close());
    await app.listen({ port: config.port, host: config.host });

    const base = `http://${formatHost(listenHost)}:${config.port}`;
    say(`Rep console    ${base}/rep  (sign in with a rep token${config.generatedSecrets.includes('REP_API_TOKENS') ? ', printed above' : ''})`);
    if (!config.resend.apiKey && config.nodeEnv !== 'production') {
      say(`Email outbox   ${base}/dev/outbox  (no RESEND_API_KEY: every email, with its wizard link, lands here)`);
    }
    say(`API            ${base}  (public links use ${config.publicBaseUrl})`);
    say(`API docs       ${base}/docs`);
    if (workerMetricsPort !== 0) say(`Metrics        ${base}/metrics (API), http://${formatHost(listenHost)}:${workerMetricsPort}/metrics (worker)`);
    say(`Temporal       ${temporalAddress} namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`);
    if (temporalUiUrl) say(`Temporal UI    ${temporalUiUrl}${config.temporal.address ? '' : '  (payloads shown in clear through the codec server)'}`);
    // Payloads are encrypted: the UI or the CLI (--codec-endpoint) decrypts through the API.
    say(`Codec server   ${base}/codec  (CLI: npm run temporal -- workflow show -w order-<id> --address ${temporalAddress} --codec-endpoint ${base}/codec --codec-auth "Bearer <rep token>")`);
    say('ready; Ctrl-C stops everything');
  } catch (error) {
    console.error('[start] could not start:', error instanceof Error ? error.message : error);
    await stop(1);
  }
}

function formatHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

void main();
