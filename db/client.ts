// One database handle for the whole process, over postgres.js: a DATABASE_URL in production, the
// embedded server (db/embedded-postgres.ts) under DATA_DIR for `npm start` and the tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  /** Where the data lives, without credentials: for start-up lines and /readyz. */
  description: string;
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

const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const client = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
  });
  const db = drizzle(client, { schema });
  const parsed = new URL(options.url);
  return {
    db,
    description: `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    migrate: () => migrate(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}
