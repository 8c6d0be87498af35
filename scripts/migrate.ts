// `npm run migrate` (`node dist/scripts/migrate.js` in production): applies the pending migrations
// once; several runs at the same moment wait for each other (db/migrate.ts).
import { loadConfigOrExit } from '../config.js';
import { openDatabase } from '../db/client.js';
import { migrateWithLock } from '../db/migrate.js';

const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error('Invalid environment: DATABASE_URL is required to migrate (npm start migrates its embedded PostgreSQL itself)');
  process.exit(1);
}
// One connection: the advisory lock belongs to a session.
const database = await openDatabase({ url: config.databaseUrl, maxConnections: 1 });
try {
  const { before, after } = await migrateWithLock(database);
  console.log(
    before.state === 'current'
      ? `[migrate] ${database.description}: already at schema version ${before.version}`
      : `[migrate] ${database.description}: now at schema version ${after.state === 'current' ? after.version : after.state}`,
  );
} catch (error) {
  console.error(`[migrate] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
