// `npm start` as a developer runs it: the URLs it prints, its logs, the ports it takes or avoids,
// a second one beside the first, and `kill <npm pid>` leaving nothing behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/harness.js';
import { freePort } from './support/processes.js';
import { captureOutput } from './support/test-logs.js';

interface Start {
  npm: ChildProcess;
  output(): string;
  port: number;
  /** Every process of its group (npm, sh, tsx, the script, the dev server, …), read once it was ready. */
  group: number[];
}

const started: Start[] = [];
const held: net.Server[] = [];

/** The environment of a developer's shell: nothing of the test run's own settings. */
function developerEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(TEMPORAL_|DATABASE_URL|TEST_|VITEST|NODE_ENV$|PORT$|DATA_DIR$|REP_API_TOKENS$|RESEND_)/.test(name)) env[name] = value;
  }
  return { ...env, PORT: String(port), DATA_DIR: dataDir, NODE_ENV: 'development' };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const groupOf = (pgid: number) =>
  execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0);

/** `npm start` in a process group of its own (as in a terminal), until it prints that it is ready or exits. */
async function npmStart(port: number, dataDir: string): Promise<Start & { exitCode: Promise<number | null> }> {
  const npm = spawn('npm', ['start'], { cwd: path.resolve(import.meta.dirname, '..'), env: developerEnv(port, dataDir), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const { all: output } = captureOutput(npm, 'npm start');
  const exitCode = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const start: Start = { npm, output, port, group: [] };
  started.push(start);
  await Promise.race([eventually(async () => (output().includes('[start] ready') ? true : undefined), { timeoutMs: 150_000, intervalMs: 250 }), exitCode]);
  if (output().includes('[start] ready')) start.group = groupOf(npm.pid!);
  return { ...start, exitCode };
}

async function hold(port: number): Promise<void> {
  const server = net.createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(true));
  });
  if (listening) held.push(server);
}

/** A fresh DATA_DIR that the embedded PostgreSQL's own user can reach (mkdtemp makes it 0700). */
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orders-start-'));
  await chmod(dir, 0o755);
  return dir;
}

let first: Awaited<ReturnType<typeof npmStart>>;

beforeAll(async () => {
  // 7233 and 8233 taken, as by a Temporal dev server the developer already runs (held here when free).
  await hold(7233);
  await hold(8233);
  first = await npmStart(await freePort(), await dataDir());
}, 180_000);

afterAll(async () => {
  for (const { npm } of started) {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch {
      // the whole group has exited
    }
  }
  for (const server of held) server.close();
});

describe('npm start', () => {
  it('prints the console, the outbox and a free port for its dev server when 7233 and 8233 are taken', async () => {
    const output = first.output();
    expect(output, output).toContain('[start] ready');
    expect(output).toContain(`Rep console    http://127.0.0.1:${first.port}/rep`);
    expect(output).toContain(`Email outbox   http://127.0.0.1:${first.port}/dev/outbox`);
    expect(output).toMatch(/port 7233 is taken .*free port/);
    expect(output).toContain('TEMPORAL_ADDRESS=127.0.0.1:7233 npm start');
    const address = /Temporal {7}127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    expect(Number(address)).not.toBe(7233);
    expect(output).toMatch(/Temporal UI {4}http:\/\/127\.0\.0\.1:(?!8233)\d+/);
    expect(output).not.toContain('No workflows registered');
  });

  it('leads from / to the console, and logs one readable line per request', async () => {
    const response = await fetch(`http://127.0.0.1:${first.port}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/rep');
    await fetch(`http://127.0.0.1:${first.port}/api/orders`);
    const line = await eventually(async () => first.output().split('\n').find((l) => l.includes('GET /api/orders')));
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/orders 401 \d+ ms$/);
  });

  it('runs a second one beside the first with its own PORT and DATA_DIR, and says what to do when PORT is taken', async () => {
    const second = await npmStart(await freePort(), await dataDir());
    expect(second.output(), second.output()).toContain('[start] ready');
    for (const { port } of [first, second]) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    const clash = await npmStart(second.port, await dataDir());
    expect(await clash.exitCode).not.toBe(0);
    expect(clash.output()).toContain(`port ${second.port} (PORT) is taken`);
    expect(clash.output()).toMatch(/PORT=\d+ DATA_DIR=\S+ npm start/);
  }, 240_000);

  it('leaves nothing running after `kill -TERM <npm pid>`', async () => {
    expect(first.group.length).toBeGreaterThanOrEqual(4);
    process.kill(first.npm.pid!, 'SIGTERM');
    // tsx, the script and the dev server see npm go and stop on their own.
    await eventually(async () => (first.group.some(alive) ? undefined : true), { timeoutMs: 30_000, intervalMs: 250 });
    const refused = await fetch(`http://127.0.0.1:${first.port}/healthz`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  }, 60_000);
});
