// `npm run migrate` (`node dist/scripts/migrate.js` in production): applies the pending migrations
// once; several runs at the same moment wait for each other (db/migrate.ts).
import path from 'node:path';
import { loadConfigOrExit } from '../config.js';
import { openDatabase } from '../db/client.js';
import { migrateWithLock, schemaState } from '../db/migrate.js';

const config = loadConfigOrExit();
// One connection: the advisory lock belongs to a session.
const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), maxConnections: 1 });
try {
  const before = await schemaState(database);
  if (before.state === 'unknown') throw new Error(`the database schema is newer than this build (${before.detail})`);
  await migrateWithLock(database);
  const after = await schemaState(database);
  console.log(
    before.state === 'current'
      ? `[migrate] ${database.description}: already at schema version ${before.version}`
      : `[migrate] ${database.description}: schema version ${after.state === 'current' ? after.version : after.state} (${before.applied} → ${before.known} migrations)`,
  );
} catch (error) {
  console.error(`[migrate] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
