// Schema versions: `npm run migrate` applies the migrations under a PostgreSQL advisory lock (so
// replicas or deploy jobs started together apply each migration once), and the API and the worker
// check at start that the database has exactly the migrations they were built with.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Database } from './client.js';

const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Any constant all migrating processes agree on: "orders" in ASCII. */
const MIGRATION_LOCK_KEY = 0x6f7264657273;

type Rows<T> = T[] | { rows: T[] };
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : (result as Exclude<Rows<T>, T[]>).rows);

/**
 * Applies the pending migrations once, whoever else is migrating at the same moment. The lock is
 * a session lock: `database` must hold a single connection (open it with `maxConnections: 1`), so
 * the lock, the migration and the unlock run on one session.
 */
export async function migrateWithLock(database: Database): Promise<{ before: SchemaState; after: SchemaState }> {
  // Another deploy's migration may hold the lock for longer than the service's lock_timeout (db/client.ts).
  await database.db.execute(sql`set lock_timeout = 0`);
  await database.db.execute(sql`set statement_timeout = 0`);
  await database.db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    // Read under the lock: a run that waited sees what the other one applied.
    const before = await schemaState(database);
    if (before.state === 'unknown') throw new SchemaVersionError(`The database schema is newer than this build (${before.detail}).`);
    await database.migrate();
    return { before, after: await schemaState(database) };
  } finally {
    await database.db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  }
}

export type SchemaState =
  | { state: 'current'; version: string }
  | { state: 'behind'; applied: number; known: number }
  /** The database has a migration this build does not know: a newer release migrated it. */
  | { state: 'unknown'; detail: string };

export async function schemaState(database: Database): Promise<SchemaState> {
  const known = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const exists = rowsOf<{ present: boolean }>(await database.db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`));
  const applied = exists[0]?.present
    ? rowsOf<{ hash: string; created_at: string | number }>(await database.db.execute(sql`select hash, created_at from drizzle.__drizzle_migrations order by created_at`))
    : [];
  for (const [index, row] of applied.entries()) {
    const migration = known[index];
    if (!migration || migration.hash !== row.hash || Number(migration.folderMillis) !== Number(row.created_at)) {
      return { state: 'unknown', detail: `migration ${index + 1} in the database (created ${new Date(Number(row.created_at)).toISOString()}) is not one this build has` };
    }
  }
  if (applied.length < known.length) return { state: 'behind', applied: applied.length, known: known.length };
  return { state: 'current', version: `${known.length}` };
}

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

/** server.ts and worker.ts: refuse to run against a schema they were not built for. */
export async function assertSchemaCurrent(database: Database): Promise<void> {
  const state = await schemaState(database);
  if (state.state === 'behind') {
    throw new SchemaVersionError(`The database has ${state.applied} of this build's ${state.known} migrations: run \`npm run migrate\` (node dist/scripts/migrate.js) first.`);
  }
  if (state.state === 'unknown') {
    throw new SchemaVersionError(`The database schema is newer than this build (${state.detail}): deploy the release that migrated it, or a later one.`);
  }
}
