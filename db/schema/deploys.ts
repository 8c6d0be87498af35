import { bigint, boolean, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * What each applied migration is, for builds that do not have its file: the schema version (the
 * release) it belongs to and whether it contracts (drops or narrows what an older release still
 * uses). `npm run migrate` writes a row per migration it knows; a process of an older release reads
 * the rows of the migrations it lacks to decide whether it may run (db/migrate.ts).
 */
export const schemaMigrationReleases = pgTable('schema_migration_releases', {
  /** drizzle.__drizzle_migrations.hash: the sha256 of the migration's SQL. */
  hash: text('hash').primaryKey(),
  /** drizzle.__drizzle_migrations.created_at: the journal's `when`. */
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  tag: text('tag').notNull(),
  schemaVersion: integer('schema_version').notNull(),
  contract: boolean('contract').notNull(),
});

/**
 * One row per running API or worker process, heartbeated; deleted on a clean shutdown. `npm run
 * migrate` refuses a contracting migration while a process that needs an older schema was seen
 * within the liveness window (db/migrate.ts).
 */
export const serviceProcesses = pgTable(
  'service_processes',
  {
    id: uuid('id').primaryKey(),
    /** `api`, `worker` or `start` (npm start: both in one process). */
    role: text('role').notNull(),
    buildId: text('build_id').notNull(),
    /** The schema version this build was made with; it also runs on the next one if that only expands. */
    schemaVersion: integer('schema_version').notNull(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('service_processes_last_seen_idx').on(table.lastSeenAt)],
);
