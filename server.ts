// The HTTP API on its own (`npm run start:server`, production). `npm start` runs it together
// with the worker and, when needed, a Temporal dev server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { buildApp } from './api/app.js';
import { trackConnections } from './api/connections.js';
import { loadConfigOrExit } from './config.js';
import { openDatabase } from './db/client.js';
import { assertSchemaCurrent, buildSchemaVersion } from './db/migrate.js';
import { registerProcess } from './db/processes.js';
import { orderDataConverter } from './temporal/data-converter.js';
import { createOrderDataKeys } from './privacy/data-keys.js';
import { startTracing } from './observability/tracing.js';
import { temporalConnectionOptions } from './temporal/connection.js';

/** SIGTERM: stop accepting, finish what is in flight, and be gone within this (SPEC §7.5). */
const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  const config = loadConfigOrExit();
  if (!config.temporal.address || !config.databaseUrl) {
    console.error(`Invalid environment: ${config.temporal.address ? 'DATABASE_URL' : 'TEMPORAL_ADDRESS'} is required to run the server alone (npm start runs a dev server and an embedded PostgreSQL for you)`);
    process.exit(1);
  }
  const database = await openDatabase({ url: config.databaseUrl });
  // Migrations are a deploy step of their own (`npm run migrate`); a process never runs against a schema it does not know.
  await assertSchemaCurrent(database);
  // `npm run migrate` refuses a contracting migration while this build (its schema version) still runs.
  const registration = await registerProcess(database, { role: 'api', buildId: config.temporal.deployment.buildId, schemaVersion: buildSchemaVersion() });
  const tracing = startTracing(config, 'order-provisioning-api');
  const connection = await Connection.connect(temporalConnectionOptions(config));
  // The orders' data keys: this process starts and updates orders, so it encrypts their payloads too.
  const dataKeys = createOrderDataKeys(database.db, config.payloadEncryptionKeys);
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: orderDataConverter(config, dataKeys),
    // The request's trace context travels to the workflow in the start's and the Update's headers.
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const app = await buildApp({ config, database, temporal, temporalUiUrl: config.temporal.uiUrl, dataKeys });

  const connections = trackConnections(app.server);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections; finishing the requests in flight');
    // Whatever clients do (an idle browser tab, a keep-alive pool, a socket that never sends a
    // request), the process is gone within its grace: past it, every connection is cut.
    const cut = setTimeout(() => {
      app.log.warn('shutdown grace over: closing the remaining connections');
      app.server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS - 1_000);
    const giveUp = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    giveUp.unref();
    const closed = app.close();
    connections.closeIdle();
    await closed;
    clearTimeout(cut);
    await registration.stop().catch(() => {});
    await tracing?.shutdown();
    await connection.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
