// Operations through the real processes (SPEC §7.5): production refuses to start without what it
// needs; `npm run migrate` run twice at once applies each migration once; server.ts refuses a
// schema it was not built for; SIGTERM ends the API within its grace even while clients hold idle
// and keep-alive connections, and the worker within WORKER_SHUTDOWN_GRACE.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { schemaState } from '../db/migrate.js';
import { databaseUrl } from './support/database-url.js';
import { type Harness, startHarness } from './support/harness.js';
import { type ChildService, freePort, isRunning, startApiProcess, startWorkerProcess, stop } from './support/processes.js';
import { captureOutput } from './support/test-logs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let h: Harness;
const children: ChildProcess[] = [];
const scratchDatabases: string[] = [];

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
});
afterAll(async () => {
  await Promise.all(children.map(stop));
  await h?.close();
  if (scratchDatabases.length > 0) {
    const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
    for (const name of scratchDatabases) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

/** Runs a script of the project to its end; its exit code and output. */
async function run(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = captureOutput(child, script);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output: output.all() };
}

/** An empty database (not from the migrated template), dropped after the file. */
async function scratchDatabase(): Promise<string> {
  const name = `${inject('runDatabasePrefix')}_ops_${randomBytes(4).toString('hex')}`;
  const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  scratchDatabases.push(name);
  return databaseUrl(inject('postgresAdminUrl'), name);
}

/** The file's variables (its migrated database included), as a deployed process would have them. */
const baseEnv = (): Record<string, string> => ({ ...h.env, PATH: process.env.PATH ?? '', LOG_LEVEL: 'info' });

describe('production configuration', () => {
  it('server.ts refuses to start, one line per missing variable', async () => {
    const { code, output } = await run('server.ts', { ...baseEnv(), NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://orders.example' });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toEqual([
      'Invalid environment: RESEND_API_KEY is required in production (emails are sent through Resend)',
      'Invalid environment: EMAIL_FROM is required in production (the sender address on a domain verified with Resend)',
      'Invalid environment: PUBLIC_BASE_URL must be set to an https:// URL in production (the base of the links in emails)',
    ]);
  });
});

describe('schema versions', () => {
  it('npm run migrate, twice at the same moment, applies each migration once', { timeout: 60_000 }, async () => {
    const url = await scratchDatabase();
    const runs = await Promise.all([run('scripts/migrate.ts', { ...baseEnv(), DATABASE_URL: url }), run('scripts/migrate.ts', { ...baseEnv(), DATABASE_URL: url })]);
    for (const { code, output } of runs) expect(code, output).toBe(0);
    expect(runs.map((r) => /already at schema version/.test(r.output)).sort()).toEqual([false, true]);
    const database = await openDatabase({ url, maxConnections: 1 });
    try {
      expect(await schemaState(database)).toMatchObject({ state: 'current' });
    } finally {
      await database.close();
    }
  });

  it('server.ts refuses an unmigrated database and one a newer release migrated', { timeout: 60_000 }, async () => {
    const url = await scratchDatabase();
    const behind = await run('server.ts', { ...baseEnv(), DATABASE_URL: url, PORT: String(await freePort()) });
    expect(behind.code).toBe(1);
    expect(behind.output).toMatch(/has 0 of this build's \d+ migrations: run `npm run migrate`/);

    expect((await run('scripts/migrate.ts', { ...baseEnv(), DATABASE_URL: url })).code).toBe(0);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-later-release', ${Date.now() + 86_400_000})`;
    await sql.end();
    const newer = await run('server.ts', { ...baseEnv(), DATABASE_URL: url, PORT: String(await freePort()) });
    expect(newer.code).toBe(1);
    expect(newer.output).toMatch(/schema is newer than this build/);
    expect((await run('scripts/migrate.ts', { ...baseEnv(), DATABASE_URL: url })).output).toMatch(/newer than this build/);
  });
});

describe('SIGTERM', () => {
  /** Waits for the child to exit by itself; undefined when it did not within `ms`. */
  async function exitWithin(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null } | undefined> {
    if (!isRunning(child)) return { code: child.exitCode, signal: child.signalCode };
    const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());
    return Promise.race([exited, timer]);
  }

  it('ends the API within its grace while clients hold idle and keep-alive connections', { timeout: 60_000 }, async () => {
    const api: ChildService & { url: string } = await startApiProcess(baseEnv(), await freePort());
    children.push(api.child);
    const { port } = new URL(api.url);

    // A socket that connected and never sent a byte, one with half a request, and a keep-alive
    // connection left open after a complete request.
    const idle = net.connect(Number(port), '127.0.0.1');
    const halfRequest = net.connect(Number(port), '127.0.0.1', () => halfRequest.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
    for (const socket of [idle, halfRequest]) socket.on('error', () => {});
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http.get(`${api.url}/readyz`, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject);
    });
    expect(status).toBe(200);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

    api.child.kill('SIGTERM');
    // The grace is 10 s; beyond it (plus start-up slack) the process ignored the signal.
    const exit = await exitWithin(api.child, 15_000);
    agent.destroy();
    idle.destroy();
    halfRequest.destroy();
    expect(exit, `still running after SIGTERM:\n${api.stdout()}`).toEqual({ code: 0, signal: null });
    // Closed because they were idle, not cut when the grace ran out.
    expect(api.stdout()).toContain('shutting down');
    expect(api.stdout()).not.toContain('shutdown grace over');
  });

  it('ends the worker within WORKER_SHUTDOWN_GRACE', { timeout: 60_000 }, async () => {
    const worker = await startWorkerProcess({ ...baseEnv(), WORKER_SHUTDOWN_GRACE: '3s', LOG_LEVEL: 'warn' }, inject('workflowBundlePath'));
    children.push(worker.child);
    worker.child.kill('SIGTERM');
    const exit = await exitWithin(worker.child, 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
