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

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const client = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
  });
  const db = drizzle(client, { schema });
  const parsed = new URL(options.url);
  const database: Database = {
    db,
    description: `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    migrate: () => applyMigrations(database),
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
  return database;
}
