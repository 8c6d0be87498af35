// `npm run migrate` (`node dist/scripts/migrate.js` in production): applies the pending migrations
// once; several runs at the same moment wait for each other (db/migrate.ts). A contracting
// migration is refused while API or worker processes of an older release still run (they say so
// in service_processes, db/processes.ts); `--force` applies it anyway (emergencies only: those
// processes may fail). docs/workflow-versions.md has the procedure.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config.js';
import { openDatabase } from '../db/client.js';
import { MigrationBlockedError, migrateWithLock } from '../db/migrate.js';

const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } }, strict: true });
const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error('Invalid environment: DATABASE_URL is required to migrate (npm start migrates its embedded PostgreSQL itself)');
  process.exit(1);
}
// One connection: the advisory lock belongs to a session.
const database = await openDatabase({ url: config.databaseUrl, maxConnections: 1 });
try {
  const { before, after, forcedPast } = await migrateWithLock(database, { force: values.force });
  if (forcedPast) console.error(`[migrate] --force: applied past ${forcedPast.map((p) => `${p.buildId} (${p.role}@${p.host}:${p.pid})`).join(', ')}`);
  console.log(
    before.state === 'current'
      ? `[migrate] ${database.description}: already at schema version ${before.version}`
      : before.state === 'ahead'
        ? `[migrate] ${database.description}: already at schema version ${before.version}, one release ahead of this build (${before.buildVersion}); nothing to apply`
        : `[migrate] ${database.description}: now at schema version ${after.state === 'current' ? after.version : after.state}`,
  );
} catch (error) {
  console.error(error instanceof MigrationBlockedError ? `[migrate] ${error.message}` : `[migrate] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
