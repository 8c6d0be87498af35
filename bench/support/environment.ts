// One bench's world: a real Temporal dev server, a fresh PostgreSQL database (on --database-url's
// server, else on an embedded server of the bench's own, like test/support/global-setup.ts), the workflow bundle, and a Temporal client for the bench.
// Flags, not the environment, configure a bench: config.ts alone reads process.env.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import postgres from 'postgres';
import { loadConfig } from '../../config.js';
import { type Database, openDatabase } from '../../db/client.js';
import { startEmbeddedPostgres } from '../../db/embedded-postgres.js';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { ensureTemporalCli } from '../../scripts/temporal-binaries.js';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server.js';
import { FAILURE_CONVERTER_PATH, orderDataConverter } from '../../temporal/data-converter.js';
import { createOrderDataKeys } from '../../privacy/data-keys.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The secrets every process of a bench shares (as config.ts reads them): the service signs nothing
 * the bench cannot check, and the bench's Temporal client decrypts what the workers encrypt.
 */
export const BENCH_SECRETS = {
  INTAKE_HMAC_SECRET: 'bench-intake-secret-0123456789abcdef',
  REP_API_TOKENS: 'bench-rep-token-0123456789abcdef',
  LINK_TOKEN_SECRET: 'bench-link-token-secret-0123456789abcdef',
  PAYLOAD_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}`,
} as const;

/**
 * Every bench's flags, spread into its own parseArgs options: `--database-url` (an admin URL; each
 * run creates and drops its own database; unset: an embedded PostgreSQL server), `--workflow-bundle` (a prebuilt bundle, else the bench
 * bundles once), `--quick` (small sizes, results to a .tmp file).
 */
export const BENCH_OPTIONS = {
  'database-url': { type: 'string' },
  'workflow-bundle': { type: 'string' },
  quick: { type: 'boolean', default: false },
} as const;

/** A whole number from a flag, refused clearly when it is not one. */
export function intArg(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number (got "${raw}")`);
  return Number(raw);
}

export interface BenchEnvironment {
  temporalAddress: string;
  /** The dev server's process, for its memory; undefined where /proc cannot tell. */
  temporalPid: number | undefined;
  /** The fresh database of this run. */
  databaseUrl: string;
  database: Database;
  client: Client;
  workflowBundlePath: string;
  /** A directory removed with the environment. */
  scratch: string;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  /** Unset: an embedded PostgreSQL server in the bench's scratch directory. */
  adminUrl: string | undefined;
  workflowBundle?: string | undefined;
  /** Keep Temporal's state in a SQLite file rather than in memory (the scale bench). */
  temporalDbFile?: boolean;
  log?: (line: string) => void;
}

/** Bundles workflows/ once; `npm run bench` passes the result to every script. */
export async function bundleOrderWorkflows(file: string): Promise<string> {
  return bundleWorkflows(path.join(ROOT, 'workflows/index.ts'), file);
}

/** Bundles the workflows exported by `workflowsPath` into `file`, with the service's failure converter. */
export async function bundleWorkflows(workflowsPath: string, file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  await writeFile(file, code);
  return file;
}

export async function startEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const log = options.log ?? ((line: string) => console.error(`[bench] ${line}`));
  const scratch = await mkdtemp(path.join(tmpdir(), 'orders-bench-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(scratch, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`while closing: ${String(error)}`));
  };
  try {
    const cliPath = await ensureTemporalCli(log);
    const [server, runDatabase, workflowBundlePath] = await Promise.all([
      startTemporalDevServer({
        cliPath,
        searchAttributes: SEARCH_ATTRIBUTES,
        log: () => {},
        ...(options.temporalDbFile ? { dbFile: path.join(scratch, 'temporal.db') } : {}),
      }),
      createRunDatabase(options.adminUrl ?? (await embeddedServer(scratch, cleanups))),
      options.workflowBundle ? Promise.resolve(options.workflowBundle) : bundleOrderWorkflows(path.join(scratch, 'workflow-bundle.js')),
    ]);
    cleanups.push(() => runDatabase.drop());
    cleanups.push(() => server.stop());
    const database = await openDatabase({ url: runDatabase.url, maxConnections: 4 });
    await database.migrate();
    cleanups.push(() => database.close());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: scratch, ...BENCH_SECRETS });
    const client = new Client({ connection, namespace: server.namespace, dataConverter: orderDataConverter(config, createOrderDataKeys(database.db, config.payloadEncryptionKeys)) });
    const temporalPid = await findDevServerPid(server.address);
    log(`Temporal dev server ${server.address} (pid ${temporalPid ?? '?'}), database ${runDatabase.name}`);
    return { temporalAddress: server.address, temporalPid, databaseUrl: runDatabase.url, database, client, workflowBundlePath, scratch, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** An embedded PostgreSQL server in `scratch`, stopped with the environment; answers its admin URL. */
async function embeddedServer(scratch: string, cleanups: Array<() => Promise<unknown>>): Promise<string> {
  // As root the server runs as the `postgres` user, which must reach its data directory.
  await chmod(scratch, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'postgres') });
  cleanups.push(() => server.stop());
  return server.url();
}

async function createRunDatabase(adminUrl: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const admin = postgres(adminUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end({ timeout: 1 });
    throw new Error(`PostgreSQL at --database-url does not answer (${(error as Error).message}); pass an admin URL that can create databases`, {
      cause: error,
    });
  }
  const name = `orders_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** The `temporal server start-dev` process listening on `address` (Linux /proc; undefined elsewhere). */
async function findDevServerPid(address: string): Promise<number | undefined> {
  const port = address.split(':').at(-1);
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const args = await readFile(`/proc/${entry}/cmdline`, 'utf8').then(
      (text) => text.split('\0'),
      (): string[] => [],
    );
    const portAt = args.indexOf('--port');
    if (args.includes('start-dev') && portAt >= 0 && args[portAt + 1] === port) return Number(entry);
  }
  return undefined;
}

/** Resident memory of a process in MiB, from /proc (undefined where there is none). */
export async function rssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib === undefined ? undefined : Math.round((Number(kib) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc. */
export async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND);
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
