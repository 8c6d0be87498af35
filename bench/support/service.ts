// Starting the service under test (bench/support/service-process.ts) as a child process, with a
// configuration spelled out in full: nothing is inherited from the bench's own environment.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_SECRETS, type BenchEnvironment, cpuMs, rssMiB } from './environment.js';
import type { ServiceMessage, ServiceRole } from './service-process.js';

export const SERVICE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'service-process.ts');

/** The service's rate limits are per client IP, and every bench request comes from 127.0.0.1. */
const UNLIMITED = '100000000/1s';

export interface ServiceOptions {
  role: ServiceRole;
  /** Omit to make the worker bundle workflows/ at start (the cold-start bench). */
  workflowBundlePath?: string | undefined;
  benchWorkflowBundlePath?: string;
  taskQueue?: string;
  /** Settings beyond the defaults below, as the variables config.ts reads. */
  env?: Record<string, string>;
  /** Extra Node flags, e.g. `--cpu-prof` to profile the service. */
  nodeFlags?: string[];
}

export interface ServiceProcess {
  pid: number;
  taskQueue: string;
  /** `http://127.0.0.1:<port>` when the API runs. */
  baseUrl: string | undefined;
  /** Milliseconds since the process started at which it reached each phase, by its own clock. */
  phases: Record<string, number>;
  /** Milliseconds from fork() to the ready message, by the bench's clock. */
  readyAfterMs: number;
  rssMiB(): Promise<number | undefined>;
  /** CPU time used so far (user + system), in milliseconds. */
  cpuMs(): Promise<number | undefined>;
  /** The process's own view: V8 heap, external memory, and the heap's limit (which sizes the sticky cache). */
  memoryUsage(): Promise<NodeJS.MemoryUsage & { heapSizeLimit: number }>;
  stop(): Promise<void>;
}

export async function startService(environment: Pick<BenchEnvironment, 'temporalAddress' | 'databaseUrl'>, options: ServiceOptions): Promise<ServiceProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-bench-service-'));
  const taskQueue = options.taskQueue ?? `bench-${randomUUID()}`;
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    TEMPORAL_ADDRESS: environment.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: environment.databaseUrl,
    DATA_DIR: dataDir,
    ...BENCH_SECRETS,
    RATE_LIMIT_INTAKE: UNLIMITED,
    RATE_LIMIT_WIZARD: UNLIMITED,
    RATE_LIMIT_REP: UNLIMITED,
    ...options.env,
  };
  const args = ['--role', options.role];
  if (options.workflowBundlePath) args.push('--workflow-bundle', options.workflowBundlePath);
  if (options.benchWorkflowBundlePath) args.push('--bench-workflow-bundle', options.benchWorkflowBundlePath);

  // The service logs every request, as in production; the lines go to a file, not the bench's output.
  const logFile = path.join(dataDir, 'service.log');
  const logFd = openSync(logFile, 'a');
  const forkedAt = performance.now();
  const child = fork(SERVICE_SCRIPT, args, { env, execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])], stdio: ['ignore', logFd, logFd, 'ipc'] });
  closeSync(logFd);

  let ready: Extract<ServiceMessage, { kind: 'ready' }>;
  try {
    ready = await waitForReady(child, logFile);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const readyAfterMs = Math.round(performance.now() - forkedAt);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return {
    pid: child.pid!,
    taskQueue,
    baseUrl: ready.port === null ? undefined : `http://127.0.0.1:${ready.port}`,
    phases: ready.phases,
    readyAfterMs,
    rssMiB: () => rssMiB(child.pid),
    cpuMs: () => cpuMs(child.pid),
    memoryUsage: () =>
      new Promise((resolve, reject) => {
        const onMessage = (message: ServiceMessage) => {
          if (message.kind !== 'memory') return;
          child.off('message', onMessage);
          resolve({ ...message.usage, heapSizeLimit: message.heapSizeLimit });
        };
        child.on('message', onMessage);
        if (!child.send({ kind: 'memory' })) reject(new Error('the service process is gone'));
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForReady(child: ChildProcess, logFile: string): Promise<Extract<ServiceMessage, { kind: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 120 s (log: ${logFile})`)), 120_000);
    child.on('message', (message: ServiceMessage) => {
      if (message.kind === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.kind === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the service failed: ${message.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${signal ?? code}) before it was ready (log: ${logFile})`));
    });
  });
}

export interface Deployment {
  api: ServiceProcess;
  worker: ServiceProcess;
  baseUrl: string;
  taskQueue: string;
  stop(): Promise<void>;
}

/** The API and the worker as separate processes on one task queue, as docker-compose.yml runs them. */
export async function startDeployment(
  environment: Pick<BenchEnvironment, 'temporalAddress' | 'databaseUrl' | 'workflowBundlePath'>,
  options: { env?: Record<string, string>; benchWorkflowBundlePath?: string } = {},
): Promise<Deployment> {
  const taskQueue = `bench-${randomUUID()}`;
  const started = await Promise.allSettled([
    startService(environment, { role: 'api', taskQueue, ...(options.env ? { env: options.env } : {}) }),
    startService(environment, { role: 'worker', taskQueue, workflowBundlePath: environment.workflowBundlePath, ...options }),
  ]);
  const [api, worker] = started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
  if (!api || !worker) {
    await Promise.all([api?.stop(), worker?.stop()]);
    throw started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')!.reason;
  }
  return { api, worker, baseUrl: api.baseUrl!, taskQueue, stop: async () => void (await Promise.all([api.stop(), worker.stop()])) };
}
