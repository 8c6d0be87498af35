// The HTTP API on its own (`npm run start:server`, production). `npm start` runs it together
// with the worker and, when needed, a Temporal dev server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from './api/app.js';
import { loadConfigOrExit } from './config.js';
import { openDatabase } from './db/client.js';
import { orderDataConverter } from './temporal/data-converter.js';
import { temporalConnectionOptions } from './temporal/connection.js';

async function main() {
  const config = loadConfigOrExit();
  if (!config.temporal.address) {
    console.error('Invalid environment: TEMPORAL_ADDRESS is required to run the server alone (npm start runs a dev server for you)');
    process.exit(1);
  }
  const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite') });
  await database.migrate();
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: orderDataConverter(config) });
  const app = await buildApp({ config, database, temporal, temporalUiUrl: config.temporal.uiUrl });

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
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
