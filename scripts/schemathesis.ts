/**
 * Schemathesis (PyPI), the outside tool that checks the running API against its own OpenAPI
 * document. Installed once with pip into the per-user cache, outside the repository:
 *
 *   ~/.cache/order-provisioning/schemathesis-<version>/   (pip --target, the pins of
 *                                                          scripts/schemathesis-requirements.txt)
 *
 * The install goes into a temporary directory and is renamed into place only once
 * `schemathesis --version` answers, so an interrupted install never leaves a half-filled cache.
 *
 * Run directly: `tsx scripts/schemathesis.ts <base URL> [rep token] [intake HMAC secret]` runs it
 * against a service that is already listening (e.g. `npm start`), with the checks
 * test/schemathesis.test.ts uses. With the intake secret, scripts/schemathesis_hooks.py signs
 * intake requests, so they are tested past the signature check.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const REQUIREMENTS = path.join(here, 'schemathesis-requirements.txt');
const HOOKS = path.join(here, 'schemathesis_hooks.py');

export const SCHEMATHESIS_VERSION = '4.32.5';

/** What "every answer matches the published schema" means, as Schemathesis names its checks. */
export const SCHEMA_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
] as const;

type Log = (line: string) => void;

export interface SchemathesisRun {
  /** Where the service listens; its document is `<baseUrl>/docs/json`. */
  baseUrl: string;
  repToken: string;
  /** Signs intake requests when given. */
  intakeSecret?: string;
  /** Generated requests per operation and phase. */
  maxExamples: number;
  seed?: number;
  timeoutMs?: number;
}

export interface Schemathesis {
  /** One bounded run; resolves with its exit code and everything it printed. */
  run(options: SchemathesisRun): Promise<{ code: number | null; output: string }>;
}

function installDir(): string {
  return path.join(os.homedir(), '.cache', 'order-provisioning', `schemathesis-${SCHEMATHESIS_VERSION}`);
}

const python = () => (process.platform === 'win32' ? 'python' : 'python3');

async function version(dir: string): Promise<string> {
  const { stdout } = await execFileAsync(python(), ['-m', 'schemathesis.cli', '--version'], {
    env: { ...process.env, PYTHONPATH: dir },
    timeout: 60_000,
  });
  return stdout.trim();
}

async function works(dir: string): Promise<boolean> {
  try {
    await stat(dir);
    return (await version(dir)).includes(SCHEMATHESIS_VERSION);
  } catch {
    return false;
  }
}

/** Finds the cached install or makes it (needs python3 with pip and PyPI). */
export async function ensureSchemathesis(log: Log = (line) => console.error(line)): Promise<Schemathesis> {
  const dir = installDir();
  if (!(await works(dir))) {
    await mkdir(path.dirname(dir), { recursive: true });
    const tmp = await mkdtemp(`${dir}.tmp-`);
    const started = Date.now();
    log(`[schemathesis] installing ${SCHEMATHESIS_VERSION} with pip into ${dir}`);
    try {
      await execFileAsync(
        python(),
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--no-deps', '--only-binary=:all:', '--target', tmp, '-r', REQUIREMENTS],
        // PIP_USER would clash with --target; PIP_REQUIRE_VIRTUALENV would refuse to run outside a venv.
        { env: { ...process.env, PIP_USER: '0', PIP_REQUIRE_VIRTUALENV: '0' }, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
      if (!(await works(tmp))) throw new Error('installed, but `python3 -m schemathesis.cli --version` does not answer');
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      const pins = (await readFile(REQUIREMENTS, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#')).length;
      throw new Error(`Could not install Schemathesis ${SCHEMATHESIS_VERSION} (${pins} pinned packages from PyPI): ${(error as Error).message}`, { cause: error });
    }
    log(`[schemathesis] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return {
    run: ({ timeoutMs = 5 * 60_000, intakeSecret, ...options }) =>
      new Promise((resolve, reject) => {
        const child = spawn(python(), ['-m', 'schemathesis.cli', ...schemathesisArgs(options)], {
          env: {
            ...process.env,
            PYTHONPATH: dir,
            SCHEMATHESIS_HOOKS: HOOKS,
            ...(intakeSecret ? { INTAKE_HMAC_SECRET: intakeSecret } : {}),
            // No colours, no interactive width guessing: the output goes into a test's failure message.
            NO_COLOR: '1',
            COLUMNS: '160',
            SCHEMATHESIS_TELEMETRY: 'false',
          },
          // Its cache and reports go to a scratch directory, not the repository.
          cwd: os.tmpdir(),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      }),
  };
}

/** The arguments of a bounded run against `baseUrl`'s own /docs/json. */
function schemathesisArgs({ baseUrl, repToken, maxExamples, seed }: Omit<SchemathesisRun, 'intakeSecret' | 'timeoutMs'>): string[] {
  return [
    'run',
    `${baseUrl}/docs/json`,
    '--checks', SCHEMA_CHECKS.join(','),
    '--max-examples', String(maxExamples),
    '--phases', 'examples,coverage,fuzzing',
    '--header', `Authorization: Bearer ${repToken}`,
    // One worker: Hypothesis parses lambdas with `ast`, which is not thread-safe on Python 3.11.
    '--workers', '1',
    '--request-timeout', '15',
    '--suppress-health-check', 'all',
    '--no-shrink',
    ...(seed !== undefined ? ['--seed', String(seed)] : []),
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [baseUrl, repToken = '', intakeSecret] = process.argv.slice(2);
  if (!baseUrl) {
    console.error('usage: tsx scripts/schemathesis.ts <base URL, e.g. http://127.0.0.1:3000> [rep token] [intake HMAC secret]');
    process.exit(2);
  }
  const schemathesis = await ensureSchemathesis();
  const { code, output } = await schemathesis.run({ baseUrl, repToken, maxExamples: 50, ...(intakeSecret ? { intakeSecret } : {}) });
  process.stdout.write(output);
  process.exit(code ?? 1);
}
