// Schema versions: `npm run migrate` applies the migrations under a PostgreSQL advisory lock (so
// replicas or deploy jobs started together apply each migration once), and the API and the worker
// check at start that the database is at their schema version or the next release's.
//
// Expand, then contract (docs/workflow-versions.md): every migration belongs to a schema version
// (one per release that changes the schema) and either expands (adds what the new code needs,
// harmless to the old) or contracts (drops or narrows what an older release still uses). A
// migration file says so in its leading comment lines:
//
//   -- schema-version: 2
//   -- contract
//
// A migration without `schema-version` belongs to the version of the one before it (the first:
// version 1, the v1.0 baseline, 0000–0007); one without `contract` expands. Since a build lacks the
// files of later releases, `npm run migrate` records what each migration is in
// `schema_migration_releases`, and an older build reads it from there.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Database } from './client.js';

export const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Any constant all migrating processes agree on: "orders" in ASCII. */
const MIGRATION_LOCK_KEY = 0x6f7264657273;

/** A process is alive while its last heartbeat (db/processes.ts) is younger than this. */
export const PROCESS_LIVENESS_WINDOW_MS = 90_000;

type Rows<T> = T[] | { rows: T[] };
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : (result as Exclude<Rows<T>, T[]>).rows);

export interface Migration {
  tag: string;
  /** sha256 of the file, as drizzle stores it. */
  hash: string;
  /** The journal's `when`: drizzle's created_at. */
  folderMillis: number;
  schemaVersion: number;
  contract: boolean;
}

/** A build's migrations, in order, with what each one is (read from its leading comment lines). */
export function readMigrations(migrationsFolder = MIGRATIONS_FOLDER): Migration[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string; when: number }> };
  let schemaVersion = 1;
  return journal.entries.map(({ tag, when }) => {
    const text = readFileSync(path.join(migrationsFolder, `${tag}.sql`), 'utf8');
    let contract = false;
    for (const line of leadingComments(text)) {
      const declared = /^--\s*schema-version:\s*(\d+)\s*$/.exec(line.trim());
      if (declared) {
        const version = Number(declared[1]);
        if (version < schemaVersion) throw new Error(`Migration ${tag} declares schema version ${version}, older than the migration before it (${schemaVersion})`);
        schemaVersion = version;
      }
      if (/^--\s*contract\b/.test(line.trim())) contract = true;
    }
    return { tag, hash: createHash('sha256').update(text).digest('hex'), folderMillis: when, schemaVersion, contract };
  });
}

/** The comment lines a migration file starts with. */
function leadingComments(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('--')) break;
    lines.push(line);
  }
  return lines;
}

/** The schema version a build was made with: that of its last migration. */
export function buildSchemaVersion(migrations: Migration[] = readMigrations()): number {
  return migrations.at(-1)?.schemaVersion ?? 1;
}

export type SchemaState =
  | { state: 'current'; version: number }
  /** One release ahead, with expanding migrations only: this build runs on it. */
  | { state: 'ahead'; version: number; buildVersion: number; extra: string[] }
  | { state: 'behind'; applied: number; known: number }
  /**
   * All but this build's own trailing contracting migrations: they remove what the release before
   * used and this one does not, so it runs; `npm run migrate` applies them once that release is gone.
   */
  | { state: 'contract-pending'; version: number; pending: string[] }
  /** The database has a migration this build cannot run beside: a later release migrated it. */
  | { state: 'unknown'; detail: string };

interface ReleaseRow {
  hash: string;
  tag: string;
  schema_version: number;
  contract: boolean;
}

export async function schemaState(database: Database, migrations: Migration[] = readMigrations()): Promise<SchemaState> {
  const exists = rowsOf<{ present: boolean }>(await database.db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`));
  const applied = exists[0]?.present
    ? rowsOf<{ hash: string; created_at: string | number }>(await database.db.execute(sql`select hash, created_at from drizzle.__drizzle_migrations order by created_at`))
    : [];
  for (const [index, row] of applied.slice(0, migrations.length).entries()) {
    const migration = migrations[index]!;
    if (migration.hash !== row.hash || Number(migration.folderMillis) !== Number(row.created_at)) {
      return { state: 'unknown', detail: `migration ${index + 1} in the database (created ${new Date(Number(row.created_at)).toISOString()}) is not one this build has` };
    }
  }
  if (applied.length < migrations.length) {
    const missing = migrations.slice(applied.length);
    const ownVersion = buildSchemaVersion(migrations);
    if (applied.length > 0 && missing.every((m) => m.contract && m.schemaVersion === ownVersion)) {
      return { state: 'contract-pending', version: ownVersion, pending: missing.map((m) => m.tag) };
    }
    return { state: 'behind', applied: applied.length, known: migrations.length };
  }
  const buildVersion = buildSchemaVersion(migrations);
  const extra = applied.slice(migrations.length);
  if (extra.length === 0) return { state: 'current', version: buildVersion };

  // Migrations of a later build: what they are, as `npm run migrate` recorded it.
  const releases = await releaseRows(database, extra.map((row) => row.hash));
  let version = buildVersion;
  for (const [offset, row] of extra.entries()) {
    const release = releases.get(row.hash);
    const where = `migration ${migrations.length + offset + 1} in the database`;
    if (!release) return { state: 'unknown', detail: `${where} (created ${new Date(Number(row.created_at)).toISOString()}) is not one this build has, and no release recorded it` };
    if (release.schema_version > buildVersion + 1) {
      return { state: 'unknown', detail: `${where} (${release.tag}) belongs to schema version ${release.schema_version}, more than one release past this build's ${buildVersion}` };
    }
    if (release.contract) return { state: 'unknown', detail: `${where} (${release.tag}) contracts schema version ${release.schema_version}: this build (schema ${buildVersion}) may use what it removed` };
    version = Math.max(version, release.schema_version);
  }
  return { state: 'ahead', version, buildVersion, extra: extra.map((row) => releases.get(row.hash)!.tag) };
}

async function releaseRows(database: Database, hashes: string[]): Promise<Map<string, ReleaseRow>> {
  const present = rowsOf<{ present: boolean }>(await database.db.execute(sql`select to_regclass('public.schema_migration_releases') is not null as present`));
  if (!present[0]?.present || hashes.length === 0) return new Map();
  const rows = rowsOf<ReleaseRow>(
    await database.db.execute(sql`select hash, tag, schema_version, contract from schema_migration_releases where hash in (${sql.join(
      hashes.map((hash) => sql`${hash}`),
      sql`, `,
    )})`),
  );
  return new Map(rows.map((row) => [row.hash, row]));
}

/**
 * Applies the pending migrations (the first `count` of the build's, when given) and records what
 * each known migration is, for older builds.
 */
export async function applyMigrations(database: Database, migrationsFolder = MIGRATIONS_FOLDER, migrations: Migration[] = readMigrations(migrationsFolder), count = migrations.length): Promise<void> {
  // drizzle's own migrate(), on a prefix: pending migrations up to a refused contraction.
  const files = readMigrationFiles({ migrationsFolder }).slice(0, count);
  const db = database.db as unknown as { dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }; session: unknown };
  await db.dialect.migrate(files, db.session, { migrationsFolder });
  // The table comes with the baseline's last migration: every build that writes here has it.
  for (const migration of migrations) {
    await database.db.execute(sql`
      insert into schema_migration_releases (hash, created_at, tag, schema_version, contract)
      values (${migration.hash}, ${migration.folderMillis}, ${migration.tag}, ${migration.schemaVersion}, ${migration.contract})
      on conflict (hash) do nothing`);
  }
}

export interface LiveProcess {
  role: string;
  buildId: string;
  schemaVersion: number;
  host: string;
  pid: number;
  secondsAgo: number;
}

/** API and worker processes whose heartbeat is younger than the liveness window. */
export async function liveProcesses(database: Database, windowMs = PROCESS_LIVENESS_WINDOW_MS): Promise<LiveProcess[]> {
  const present = rowsOf<{ present: boolean }>(await database.db.execute(sql`select to_regclass('public.service_processes') is not null as present`));
  if (!present[0]?.present) return [];
  const rows = rowsOf<{ role: string; build_id: string; schema_version: number; host: string; pid: number; seconds_ago: number | string }>(
    await database.db.execute(sql`
      select role, build_id, schema_version, host, pid, extract(epoch from now() - last_seen_at) as seconds_ago
      from service_processes
      where last_seen_at > now() - make_interval(secs => ${windowMs / 1000})
      order by build_id, host, pid`),
  );
  return rows.map((row) => ({ role: row.role, buildId: row.build_id, schemaVersion: row.schema_version, host: row.host, pid: row.pid, secondsAgo: Math.round(Number(row.seconds_ago)) }));
}

/**
 * Which pending migration would take the database out from under a live process: one that
 * contracts a schema version newer than the process's, or any that goes more than one version past
 * it (a release runs on its own schema and the next one's, as long as the next one only expands).
 */
export function blockingProcesses(pending: Migration[], processes: LiveProcess[]): { migration: Migration; processes: LiveProcess[] } | undefined {
  for (const migration of pending) {
    const blocked = processes.filter((p) => p.schemaVersion < migration.schemaVersion && (migration.contract || migration.schemaVersion > p.schemaVersion + 1));
    if (blocked.length > 0) return { migration, processes: blocked };
  }
  return undefined;
}

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

/** `npm run migrate` would break processes still running: one line naming their builds. */
export class MigrationBlockedError extends SchemaVersionError {
  override name = 'MigrationBlockedError';
}

export interface MigrateOptions {
  migrationsFolder?: string;
  /** Apply even while processes of an older release are alive (emergencies: `--force`). */
  force?: boolean;
  livenessWindowMs?: number;
}

/**
 * Applies the pending migrations once, whoever else is migrating at the same moment. The lock is
 * a session lock: `database` must hold a single connection (open it with `maxConnections: 1`), so
 * the lock, the migration and the unlock run on one session.
 */
export async function migrateWithLock(database: Database, options: MigrateOptions = {}): Promise<{ before: SchemaState; after: SchemaState; forcedPast?: LiveProcess[] }> {
  const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const migrations = readMigrations(migrationsFolder);
  // Another deploy's migration may hold the lock, and DDL may run, longer than the service's limits (db/client.ts).
  await database.db.execute(sql`set lock_timeout = 0`);
  await database.db.execute(sql`set statement_timeout = 0`);
  await database.db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    // Read under the lock: a run that waited sees what the other one applied.
    const before = await schemaState(database, migrations);
    if (before.state === 'unknown') throw new SchemaVersionError(`The database schema is newer than this build (${before.detail}).`);
    if (before.state === 'ahead' || before.state === 'current') return { before, after: before };
    const applied = before.state === 'behind' ? before.applied : migrations.length - before.pending.length;
    const pending = migrations.slice(applied);
    const blocking = blockingProcesses(pending, await liveProcesses(database, options.livenessWindowMs));
    if (blocking && !options.force) {
      // What comes before the refused migration is applied (a release's expanding migrations go
      // out before its processes replace the previous release's; its contracting ones after).
      const upTo = migrations.indexOf(blocking.migration);
      if (upTo > applied) await applyMigrations(database, migrationsFolder, migrations, upTo);
      const { migration, processes } = blocking;
      const builds = [...new Set(processes.map((p) => `${p.buildId} (schema ${p.schemaVersion})`))].join(', ');
      const what = migration.contract ? `contracting migration ${migration.tag} (schema ${migration.schemaVersion})` : `migration ${migration.tag} (schema ${migration.schemaVersion}, more than one release ahead)`;
      const done = upTo > applied ? `applied ${migrations.slice(applied, upTo).map((m) => m.tag).join(', ')}; ` : '';
      throw new MigrationBlockedError(
        `${done}refusing to apply ${what} while ${processes.length} process(es) of build ${builds} still run (seen within ${Math.round((options.livenessWindowMs ?? PROCESS_LIVENESS_WINDOW_MS) / 1000)} s): stop them first, or pass --force`,
      );
    }
    await applyMigrations(database, migrationsFolder, migrations);
    return { before, after: await schemaState(database, migrations), ...(blocking ? { forcedPast: blocking.processes } : {}) };
  } finally {
    await database.db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  }
}

/** server.ts and worker.ts: refuse to run against a schema they were not built for (their own, or the next release's if it only expands). */
export async function assertSchemaCurrent(database: Database, migrations?: Migration[]): Promise<SchemaState> {
  const state = await schemaState(database, migrations);
  if (state.state === 'behind') {
    throw new SchemaVersionError(`The database has ${state.applied} of this build's ${state.known} migrations: run \`npm run migrate\` (node dist/scripts/migrate.js) first.`);
  }
  if (state.state === 'unknown') {
    throw new SchemaVersionError(`The database schema is newer than this build (${state.detail}): deploy the release that migrated it, or a later one.`);
  }
  return state;
}
