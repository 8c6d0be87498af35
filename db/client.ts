// One database handle for the whole process, over postgres.js: a DATABASE_URL in production, the
// embedded server (db/embedded-postgres.ts) under DATA_DIR for `npm start` and the tests.
import { drizzle } from 'drizzle-orm/postgres-js';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { applyMigrations } from './migrate.js';
import * as schema from './schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  /** Where the data lives, without credentials: for start-up lines and /readyz. */
  description: string;
  /** Applies the pending migrations, no questions asked (`npm start`, the tests); deploys use `npm run migrate` (db/migrate.ts). */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL. */
  url: string;
  /** postgres.js pool size. */
  maxConnections?: number;
}

/**
 * Limits every session of the service runs under, all shorter than the 2 s a local activity's
 * attempt may take (workflows/order/activities.ts): work whose activity gave up never goes on in
 * PostgreSQL for long, and never holds a lock that later attempts queue behind. A statement (lock
 * waits included) ends after 1.5 s, a lock wait after 1 s, and a transaction its client left idle
 * after 1.5 s. Step 8's commit does not rely on them alone: see configuration_attempts.
 */
export const SESSION_LIMITS = {
  statement_timeout: 1500,
  lock_timeout: 1000,
  idle_in_transaction_session_timeout: 1500,
} as const;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const client = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
    connection: SESSION_LIMITS,
  });
  const db = drizzle(client, { schema });
  const parsed = new URL(options.url);
  const database: Database = {
    db,
    description: `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    migrate: async () => {
      // DDL may run longer than a statement of the service may: a session of its own, without the limits.
      const migrator = postgres(options.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await applyMigrations({ ...database, db: drizzle(migrator, { schema }) });
      } finally {
        await migrator.end({ timeout: 5 });
      }
    },
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
  return database;
}
