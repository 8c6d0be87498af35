// The simulated world: the real service as separate processes, so each can be killed, with its
// dependencies beside it — the Temporal dev server (its state in a file, so a restart keeps it),
// an embedded PostgreSQL, the Resend stand-in, a webhook receiver — all in one temporary DATA_DIR,
// durations in seconds. Every process is started here, restarted here, and stopped at the end.
// The Webex stand-in joins here (and its faults in simulator/faults.ts) once it exists.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../db/client.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { REPLAY_PAYLOAD_KEYS } from '../scripts/record-histories.js';
import { ensureTemporalCli } from '../scripts/temporal-binaries.js';
import { freePort } from '../scripts/ports.js';
import { type DevServer, startTemporalDevServer } from '../scripts/temporal-dev-server.js';
import { type ResendStandIn, startResendStandIn } from './stand-ins/resend.js';
import { type Received, type Receiver, startReceiver } from './stand-ins/webhook-receiver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const REP_TOKEN = `sim-rep-${randomBytes(12).toString('hex')}`;
export const INTAKE_SECRET = `sim-intake-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
/** The Resend stand-in's pace and the service's, alike: fast enough for a few minutes' run. */
const EMAIL_RATE = 10;

/** The service's durations, in seconds rather than days (SPEC §8.2). */
export const SIMULATED_DURATIONS: Record<string, string> = {
  ESCALATION_AFTER: '8s',
  ORDER_EXPIRES_AFTER: '150s',
  SESSION_IDLE_REMINDER_AFTER: '20s',
  SETUP_REMINDER_AFTER: '30s',
  SETUP_ESCALATION_AFTER: '60s',
  EMAIL_GIVE_UP_AFTER: '120s',
  WEBHOOK_RETRY_INITIAL: '1s',
  WEBHOOK_RETRY_MAX: '3s',
};

/** A service process the world keeps running: restarted when it dies without being asked to. */
class Supervised {
  child: ChildProcess | undefined;
  /** Exits nobody asked for (the process died by itself): each one is a finding. */
  readonly unexpectedExits: string[] = [];
  private stopping = false;
  private down = false;

  constructor(
    readonly name: string,
    private readonly start: () => Promise<ChildProcess>,
    private readonly log: (line: string) => void,
  ) {}

  async run(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const child = await this.start();
        this.child = child;
        child.once('exit', (code, signal) => {
          if (this.child !== child || this.stopping || this.down) return;
          this.unexpectedExits.push(`${this.name} exited by itself (${signal ?? `code ${code}`})`);
          this.log(`${this.name} exited by itself (${signal ?? `code ${code}`}); restarting it`);
          void this.run();
        });
        return;
      } catch (error) {
        // A dependency may be down just now (a fault): try again, as an orchestrator would.
        if (attempt >= 60 || this.stopping) throw error;
        this.log(`${this.name} did not start (attempt ${attempt}): ${(error as Error).message.split('\n')[0]}`);
        await sleep(2000);
      }
    }
  }

  /** SIGKILL: no chance to drain anything. Restarted by `run()`. */
  async kill(): Promise<void> {
    this.down = true;
    await signal(this.child, 'SIGKILL');
  }

  async restart(): Promise<void> {
    this.down = false;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await signal(this.child, 'SIGTERM', 15_000);
  }
}

async function signal(child: ChildProcess | undefined, name: NodeJS.Signals, killAfterMs?: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(name);
  const timer = killAfterMs ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
  await exited;
  clearTimeout(timer);
}

export interface World {
  dataDir: string;
  apiUrl: string;
  temporalAddress: string;
  /** The Temporal CLI, for `temporal workflow reset` and the replay command. */
  temporalCli: string;
  /** Everything the service's processes are configured with (they read it in config.ts). */
  env: Record<string, string>;
  resend: ResendStandIn;
  /** The webhooks every incarnation of the receiver accepted. */
  webhooks(): Received[];
  postgresUrl(): string;
  api: Supervised;
  worker: Supervised;
  restartPostgres(downSeconds: number): Promise<void>;
  restartTemporal(downSeconds: number): Promise<void>;
  webhookReceiverDown(seconds: number): Promise<void>;
  unexpectedExits(): string[];
  /** Stops everything; `keep` leaves DATA_DIR (logs, histories) for a look at a failure. */
  stop(keep: boolean): Promise<void>;
}

export async function startWorld(log: (line: string) => void): Promise<World> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orders-simulate-'));
  // Reachable by the `postgres` user the server runs as under root (db/embedded-postgres.ts).
  await chmod(dataDir, 0o755);
  await mkdir(path.join(dataDir, 'logs'));
  const [apiPort, temporalPort, temporalUiPort] = [await freePort(), await freePort(), await freePort()];

  const postgresDir = path.join(dataDir, 'postgres');
  let postgres: EmbeddedPostgresServer = await startEmbeddedPostgres({ dataDir: postgresDir });
  const postgresPort = postgres.port;
  const migrating = await openDatabase({ url: postgres.url(), maxConnections: 1 });
  await migrating.migrate();
  await migrating.close();

  const temporalCli = await ensureTemporalCli(log);
  const temporalOptions = {
    cliPath: temporalCli,
    port: temporalPort,
    uiPort: temporalUiPort,
    dbFile: path.join(dataDir, 'temporal.db'),
    searchAttributes: SEARCH_ATTRIBUTES,
    log: () => {},
  };
  let temporal: DevServer = await startTemporalDevServer(temporalOptions);

  const resend = await startResendStandIn({ ratePerSecond: EMAIL_RATE });
  const receivedBefore: Received[] = [];
  let receiver: Receiver | undefined = await startReceiver({ secret: WEBHOOK_SECRET });
  const receiverPort = receiver.port;

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: apiUrl,
    DATABASE_URL: postgres.url(),
    TEMPORAL_ADDRESS: temporal.address,
    INTAKE_HMAC_SECRET: INTAKE_SECRET,
    // An unnamed rep token: a named rep's `Name <email>` is in the Update ids in clear, a known
    // limitation (docs/personal-data.md) that invariant 9 would report on every rep action.
    REP_API_TOKENS: REP_TOKEN,
    LINK_TOKEN_SECRET: randomBytes(32).toString('hex'),
    // The recorded histories' key: a failing order's history replays in test/replay.test.ts as it is.
    PAYLOAD_ENCRYPTION_KEYS: REPLAY_PAYLOAD_KEYS,
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resend.url,
    RESEND_WEBHOOK_SECRET: resend.webhookSecret,
    EMAIL_RATE_PER_SECOND: String(EMAIL_RATE),
    WEBHOOK_ENDPOINTS: receiver.url,
    WEBHOOK_SECRET,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    RATE_LIMIT_INTAKE: '1000000/1m',
    RATE_LIMIT_WIZARD: '1000000/1m',
    RATE_LIMIT_REP: '1000000/1m',
    WORKER_SHUTDOWN_GRACE: '2s',
    WORKER_METRICS_PORT: '0',
    ...SIMULATED_DURATIONS,
  };

  const logs: WriteStream[] = [];
  const spawnService = (name: string, script: string, ready: (child: ChildProcess, output: () => string) => Promise<void>) => async () => {
    const file = createWriteStream(path.join(dataDir, 'logs', `${name}.log`), { flags: 'a' });
    logs.push(file);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        file.write(chunk);
        if (output.length < 1_000_000) output += String(chunk);
      });
    }
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, sig) => reject(new Error(`${name} exited (${sig ?? code}) before it was ready: ${output.slice(-500)}`))));
    exited.catch(() => {});
    await Promise.race([ready(child, () => output), exited]);
    return child;
  };
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

  const api = new Supervised(
    'api',
    spawnService('api', 'server.ts', async (child) => {
      while (running(child)) {
        if (await fetch(`${apiUrl}/healthz`).then((r) => r.ok, () => false)) return;
        await sleep(200);
      }
    }),
    log,
  );
  const worker = new Supervised(
    'worker',
    spawnService('worker', 'worker.ts', async (child, output) => {
      while (running(child) && !output().includes('worker polling')) await sleep(200);
    }),
    log,
  );
  await Promise.all([api.run(), worker.run()]);

  return {
    dataDir,
    apiUrl,
    temporalAddress: temporal.address,
    temporalCli,
    env,
    resend,
    webhooks: () => [...receivedBefore, ...(receiver?.accepted ?? [])],
    postgresUrl: () => postgres.url(),
    api,
    worker,
    async restartPostgres(downSeconds) {
      await postgres.stop();
      await sleep(downSeconds * 1000);
      postgres = await startEmbeddedPostgres({ dataDir: postgresDir, port: postgresPort });
    },
    async restartTemporal(downSeconds) {
      await temporal.stop();
      await sleep(downSeconds * 1000);
      temporal = await startTemporalDevServer(temporalOptions);
    },
    async webhookReceiverDown(seconds) {
      if (!receiver) return;
      const closing = receiver;
      receiver = undefined;
      receivedBefore.push(...closing.accepted);
      await closing.close();
      await sleep(seconds * 1000);
      receiver = await startReceiver({ secret: WEBHOOK_SECRET, port: receiverPort });
    },
    unexpectedExits: () => [...api.unexpectedExits, ...worker.unexpectedExits],
    async stop(keep) {
      await Promise.allSettled([api.stop(), worker.stop()]);
      await Promise.allSettled([temporal.stop(), resend.close(), receiver?.close()]);
      await postgres.stop();
      for (const file of logs) file.end();
      if (keep) return;
      await rm(dataDir, { recursive: true, force: true });
      await rm(postgres.clusterDir, { recursive: true, force: true });
    },
  };
}
