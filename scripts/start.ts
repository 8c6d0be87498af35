// `npm start`: the whole service in one command on embedded defaults — a Temporal dev server
// (unless TEMPORAL_ADDRESS is set), an embedded PostgreSQL server (unless DATABASE_URL is set),
// the worker and the API.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { buildApp } from '../api/app.js';
import { describeGeneratedSecrets, loadConfigOrExit } from '../config.js';
import { openDatabase } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { createOrderWorkers } from '../worker.js';
import { ensureTemporalCli } from './temporal-binaries.js';
import { type DevServer, ensureSearchAttributes, startTemporalDevServer } from './temporal-dev-server.js';
import { ensureWebBuild } from './web-build.js';

const say = (line: string) => console.log(`[start] ${line}`);

async function main() {
  const config = loadConfigOrExit();
  for (const line of describeGeneratedSecrets(config)) say(line);

  // This process decides when to stop: the worker must not react to signals on its own.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });

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
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    await ensureWebBuild(say);
    let temporalAddress = config.temporal.address;
    let temporalUiUrl = config.temporal.uiUrl;
    if (!temporalAddress) {
      const cliPath = await ensureTemporalCli((line) => say(line));
      say(`starting the Temporal dev server (state in ${path.join(config.dataDir, 'temporal.db')})`);
      const server: DevServer = await startTemporalDevServer({
        cliPath,
        port: 7233,
        uiPort: 8233,
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
    const database = await openDatabase({ url: databaseUrl });
    cleanups.push(() => database.close());
    await database.migrate();
    say(`database: ${database.description} (migrations applied)`);

    const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, temporalAddress));
    cleanups.push(() => nativeConnection.close());
    const workers = await createOrderWorkers({ config, database, connection: nativeConnection });
    const workerRun = workers.run();
    say(`worker polling task queue ${config.temporal.taskQueue}`);
    cleanups.push(async () => {
      workers.shutdown();
      await workerRun;
    });
    workerRun.catch((error: unknown) => {
      console.error('[start] the worker stopped:', error);
      void stop(1);
    });

    const connection = await Connection.connect(temporalConnectionOptions(config, temporalAddress));
    cleanups.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config) });
    const app = await buildApp({ config, database, temporal, temporalUiUrl });
    cleanups.push(() => app.close());
    await app.listen({ port: config.port, host: config.host });

    const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    say(`API            ${base}  (public links use ${config.publicBaseUrl})`);
    say(`API docs       ${base}/docs`);
    say(`Temporal       ${temporalAddress} namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`);
    if (temporalUiUrl) say(`Temporal UI    ${temporalUiUrl}`);
    // Payloads are encrypted: the UI (Settings → Codec Server) or the CLI (--codec-endpoint) decrypts through the API.
    say(`Codec server   ${base}/codec  (with a rep token: --codec-auth "Bearer <token>")`);
    say('ready; Ctrl-C stops everything');
  } catch (error) {
    console.error('[start] could not start:', error instanceof Error ? error.message : error);
    await stop(1);
  }
}

void main();
