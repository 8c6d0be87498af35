// Temporal Server itself on PostgreSQL, as self-hosted users run it (not the dev server's SQLite):
// the schema tool creates and migrates its two databases, the server runs all four services in one
// process on free loopback ports, and the namespace and search attributes are registered through
// its API. Used by `npm run test:cluster`.
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { TemporalServerInstall } from './temporal-binaries.js';
import { ensureSearchAttributes } from './temporal-dev-server.js';

const run = promisify(execFile);

export interface ClusterOptions {
  install: TemporalServerInstall;
  /** A PostgreSQL superuser URL; the cluster's databases are created on that server. */
  postgresUrl: string;
  /** Names the two databases (`<prefix>` and `<prefix>_visibility`), so runs do not share state. */
  databasePrefix: string;
  /** Holds the generated configuration. */
  dataDir: string;
  namespace?: string;
  searchAttributes?: Record<string, string>;
  log?: (line: string) => void;
}

export interface TemporalCluster {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? ((line: string) => console.error(`[temporal-cluster] ${line}`));
  const namespace = options.namespace ?? 'default';
  const postgres = new URL(options.postgresUrl);
  const databases = { default: options.databasePrefix, visibility: `${options.databasePrefix}_visibility` };

  for (const [store, database] of Object.entries(databases)) {
    const tool = (...args: string[]) =>
      run(
        options.install.sqlTool,
        [
          '--plugin', 'postgres12',
          '--endpoint', postgres.hostname,
          '--port', postgres.port || '5432',
          '--user', decodeURIComponent(postgres.username),
          '--password', decodeURIComponent(postgres.password),
          '--database', database,
          ...args,
        ],
        { timeout: 120_000 },
      );
    await tool('create-database');
    await tool('setup-schema', '-v', '0.0');
    await tool('update-schema', '-d', path.join(options.install.schemaDir, store === 'default' ? 'temporal' : 'visibility', 'versioned'));
  }
  log(`schema of ${databases.default} and ${databases.visibility} created`);

  const ports = await freePorts(SERVICES.length * 2 + 1);
  const [httpPort] = ports.splice(0, 1);
  const servicePorts = Object.fromEntries(SERVICES.map((service, i) => [service, { grpcPort: ports[i * 2]!, membershipPort: ports[i * 2 + 1]! }]));
  const address = `127.0.0.1:${servicePorts.frontend!.grpcPort}`;
  const configDir = path.join(options.dataDir, 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(path.join(configDir, 'dynamicconfig.yaml'), 'system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n');
  await writeFile(path.join(configDir, 'cluster.yaml'), clusterConfig({ postgres, databases, servicePorts, httpPort: httpPort!, configDir }));

  const child = spawn(options.install.server, ['--root', options.dataDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line.slice(0, 500));
      if (tail.length > 20) tail.shift();
    });
  }
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  };

  try {
    await registerNamespace(address, namespace, () => (exited ? `the server exited:\n${tail.join('\n')}` : undefined));
    await ensureSearchAttributes(address, namespace, options.searchAttributes ?? {});
  } catch (error) {
    await stop();
    throw error;
  }
  log(`Temporal Server ready on ${address} (PostgreSQL ${postgres.hostname}:${postgres.port}, namespace ${namespace})`);
  return { address, namespace, stop };
}

/** Waits for the frontend, then registers the namespace (a fresh cluster has none but its system one). */
async function registerNamespace(address: string, namespace: string, failure: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 120_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const died = failure();
    if (died) throw new Error(died);
    const connection = Connection.lazy({ address, connectTimeout: 1_000 });
    try {
      await connection.ensureConnected();
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
        .catch((error: { code?: number }) => {
          if (error.code !== 6) throw error; // ALREADY_EXISTS
        });
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await connection.close();
    }
  }
  throw new Error(`Temporal Server at ${address} did not accept namespace ${namespace}: ${String(lastError)}`);
}

/**
 * `count` distinct ports free just now, below 32768: the server stores membership ports in a
 * PostgreSQL smallint, and the kernel's own picks (listen on 0) are usually above it.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(port) && (await canListen(port))) ports.push(port);
  }
  return ports;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function clusterConfig(input: {
  postgres: URL;
  databases: { default: string; visibility: string };
  servicePorts: Record<string, { grpcPort: number; membershipPort: number }>;
  httpPort: number;
  configDir: string;
}): string {
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${input.postgres.hostname}:${input.postgres.port || 5432}"
        connectProtocol: tcp
        user: ${JSON.stringify(decodeURIComponent(input.postgres.username))}
        password: ${JSON.stringify(decodeURIComponent(input.postgres.password))}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const services = Object.entries(input.servicePorts)
    .map(
      ([service, { grpcPort, membershipPort }]) => `
  ${service}:
    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${membershipPort}
      bindOnLocalHost: true${service === 'frontend' ? `\n      httpPort: ${input.httpPort}` : ''}`,
    )
    .join('');
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${store(input.databases.default, 20)}
    visibility:${store(input.databases.visibility, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:${services}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${input.servicePorts.frontend!.grpcPort}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${JSON.stringify(path.join(input.configDir, 'dynamicconfig.yaml'))}
  pollInterval: 10s
`;
}
