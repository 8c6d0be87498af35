// The service's processes as children of a test, so a test can SIGKILL them: the worker
// (test/support/worker-process.ts) and the API (server.ts, exactly as production runs it).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureOutput } from './test-logs.js';
export { freePort } from '../../scripts/ports.js';
import { WORKER_READY, WORKER_SCRIPT } from './worker-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildService {
  child: ChildProcess;
  /** Everything it printed on stdout so far. */
  stdout(): string;
}

export const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

function spawnTsx(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child, path.basename(script));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${path.basename(script)} exited (${code ?? signal}) before it was ready:\n${output.stderr()}`))),
  );
  exited.catch(() => {});
  return { child, stdout: output.stdout, exited };
}

/** The worker in a process of its own, polling once this resolves. `env` is its whole environment. */
export async function startWorkerProcess(env: Record<string, string>, workflowBundlePath: string, args: string[] = []): Promise<ChildService> {
  const worker = spawnTsx(WORKER_SCRIPT, ['--workflow-bundle', workflowBundlePath, ...args], env);
  const ready = new Promise<void>((resolve) => {
    const check = () => (worker.stdout().includes(WORKER_READY) ? resolve() : undefined);
    worker.child.stdout!.on('data', check);
    check();
  });
  await Promise.race([ready, worker.exited]);
  return { child: worker.child, stdout: worker.stdout };
}

/** `server.ts` on `port`, answering /healthz once this resolves. */
export async function startApiProcess(env: Record<string, string>, port: number): Promise<ChildService & { url: string }> {
  const url = `http://127.0.0.1:${port}`;
  const api = spawnTsx(path.join(root, 'server.ts'), [], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const ready = (async () => {
    for (;;) {
      const answered = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (answered || !isRunning(api.child)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.race([ready, api.exited]);
  return { child: api.child, stdout: api.stdout, url };
}

/** The crash: SIGKILL, no chance to drain or close anything. */
export async function kill(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** SIGTERM lets it drain; one that does not exit in time is killed. */
export async function stop(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

