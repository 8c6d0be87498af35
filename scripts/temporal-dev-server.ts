/**
 * Starts a local Temporal dev server (`temporal server start-dev`) as a child
 * process, waits until its frontend answers, and makes sure the requested
 * custom search attributes exist (also on a persisted database created by an
 * earlier run, where `--search-attribute` is no longer applied).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection, type ConnectionOptions } from '@temporalio/client';
// @temporalio/proto is CommonJS and its named exports are not visible to Node's
// ESM loader (`import { temporal } from '@temporalio/proto'` fails at runtime):
// take the value from the default export and the types from a type-only import.
import protoPkg from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

const IndexedValueType = protoPkg.temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = temporal.api.enums.v1.IndexedValueType;

export type SearchAttributeTypeName = 'Keyword' | 'Bool' | 'Int' | 'Datetime' | 'Text' | 'Double' | 'KeywordList';

export interface DevServerOptions {
  cliPath: string;
  ip?: string; // default 127.0.0.1
  port?: number; // default: a free port
  uiPort?: number; // default: a free port
  uiCodecEndpoint?: string; // the codec server the Web UI sends payloads to (from the browser)
  dbFile?: string; // persisted sqlite file; when absent the server runs in memory
  namespace?: string; // default 'default'
  searchAttributes?: Record<string, SearchAttributeTypeName>;
  log?: (line: string) => void;
  readyTimeoutMs?: number; // default 60_000
  dynamicConfig?: Record<string, string | number | boolean>; // --dynamic-config-value KEY=JSON
}

export interface DevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  stop(): Promise<void>;
}

const PREFIX = '[temporal] ';
const MAX_LINE = 2000;
const TAIL_LINES = 40;
const STOP_GRACE_MS = 10_000;

const TYPES: Record<SearchAttributeTypeName, IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const searchAttributes = opts.searchAttributes ?? {};
  for (const [name, type] of Object.entries(searchAttributes)) toIndexedValueType(name, type); // validate early

  const [port, uiPort] = await pickPorts(ip, [opts.port, opts.uiPort]);
  const host = connectHost(ip);
  const address = `${formatHost(host)}:${port}`;
  const uiUrl = `http://${formatHost(host)}:${uiPort}`;

  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--namespace', namespace,
    '--log-level', 'warn',
  ];
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) {
    const dbFile = path.resolve(opts.dbFile);
    await mkdir(path.dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  for (const [name, type] of Object.entries(searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  log(`${PREFIX}starting dev server on ${address} (UI ${uiUrl}, ${opts.dbFile ? `db ${path.resolve(opts.dbFile)}` : 'in memory'})`);
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });

  // --- output: line by line to log, with a tail kept for error messages ----
  const tail: string[] = [];
  let quiet = false; // set once stop() starts: the shutdown chatter is kept in the tail only
  const onLine = (raw: string) => {
    const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}… (${raw.length - MAX_LINE} more chars)` : raw;
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    if (!quiet) log(`${PREFIX}${line}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }

  // --- exit tracking -------------------------------------------------------
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo ??= { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      // spawn failure (ENOENT, EACCES): 'exit' may never come
      exitInfo ??= { code: null, signal: null, error };
      resolve();
    });
  });

  const killOnExit = () => {
    if (exitInfo === undefined) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      quiet = true;
      process.removeListener('exit', killOnExit);
      if (exitInfo !== undefined) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log(`${PREFIX}dev server did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM; sending SIGKILL`);
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  const describe = () => {
    const e = exitInfo;
    const how = !e
      ? 'is still running (it will be stopped)'
      : e.error
        ? `failed to start (${e.error.message})`
        : `exited with ${e.signal ? `signal ${e.signal}` : `code ${String(e.code)}`}`;
    const lastOutput = tail.length ? `\nLast output:\n${tail.map((l) => `  ${l}`).join('\n')}` : '\n(no output)';
    return `Temporal dev server (${opts.cliPath} ${args.join(' ')}) ${how}.${lastOutput}`;
  };

  try {
    await waitUntilReady(address, namespace, readyTimeoutMs, exited, () => exitInfo !== undefined, describe);
    await ensureSearchAttributes(address, namespace, searchAttributes);
  } catch (err) {
    await stop();
    throw err;
  }

  log(`${PREFIX}dev server ready: ${address} (namespace ${namespace}), UI ${uiUrl}`);
  return { address, uiUrl, namespace, stop };
}

/**
 * Adds the custom search attributes in `attrs` (name → type name such as
 * 'Keyword', 'Bool', 'KeywordList') that the namespace does not have yet.
 * Throws if one exists with a different type.
 */
export async function ensureSearchAttributes(target: string | ConnectionOptions, namespace: string, attrs: Record<string, string>): Promise<void> {
  const wanted = Object.entries(attrs).map(([name, type]) => [name, toIndexedValueType(name, type)] as const);
  if (wanted.length === 0) return;

  // A cluster's TLS and API key come with its connection options (temporal/connection.ts).
  const connection = Connection.lazy({ ...(typeof target === 'string' ? { address: target } : target), connectTimeout: 5_000 });
  try {
    await connection.ensureConnected();
    const list = async () => {
      const res = await connection.withDeadline(Date.now() + 10_000, () => connection.operatorService.listSearchAttributes({ namespace }));
      return { custom: res.customAttributes ?? {}, system: res.systemAttributes ?? {} };
    };

    const check = (existing: Awaited<ReturnType<typeof list>>) => {
      const missing: Record<string, IndexedValueType> = {};
      for (const [name, type] of wanted) {
        if (name in existing.system) throw new Error(`Search attribute ${name} is a system attribute of Temporal; pick another name.`);
        const have = existing.custom[name];
        if (have === undefined) missing[name] = type;
        else if (have !== type) {
          throw new Error(
            `Search attribute ${name} already exists in namespace ${namespace} as ${typeName(have)}, not ${typeName(type)}. ` +
              `Its type cannot be changed; use a new name (or a fresh dev-server database).`,
          );
        }
      }
      return missing;
    };

    const missing = check(await list());
    if (Object.keys(missing).length === 0) return;

    try {
      await connection.withDeadline(Date.now() + 10_000, () =>
        connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing }),
      );
    } catch (err) {
      // ALREADY_EXISTS (gRPC code 6): someone else added them concurrently; the re-check below decides.
      if ((err as { code?: unknown }).code !== 6) throw err;
    }

    const stillMissing = check(await list());
    if (Object.keys(stillMissing).length > 0) {
      throw new Error(`Search attributes ${Object.keys(stillMissing).join(', ')} were added to namespace ${namespace} but are not listed afterwards.`);
    }
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------

async function waitUntilReady(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: Promise<void>,
  hasExited: () => boolean,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  let lastError: unknown;
  const exitedError = exited.then(() => {
    throw new Error(describe());
  });
  exitedError.catch(() => {}); // only observed through the races below

  for (;;) {
    if (hasExited()) throw new Error(describe());
    let abandoned = false;
    const remaining = Math.max(100, deadline - Date.now());
    const attempt = (async () => {
      // Connection.connect() is lazy() + ensureConnected(); split so a failed connect is closed too.
      const connection = Connection.lazy({ address, connectTimeout: Math.min(1_000, remaining) });
      try {
        await connection.ensureConnected();
        if (abandoned) return false;
        const callDeadline = Date.now() + Math.min(2_000, remaining);
        await connection.withDeadline(callDeadline, () => connection.workflowService.getSystemInfo({}));
        await connection.withDeadline(callDeadline, () => connection.workflowService.describeNamespace({ namespace }));
        return true;
      } finally {
        await connection.close();
      }
    })();
    attempt.catch(() => {});
    try {
      if (await Promise.race([attempt, exitedError])) return;
    } catch (err) {
      abandoned = true;
      if (hasExited()) throw new Error(describe(), { cause: err });
      lastError = err;
    }
    if (Date.now() + delay > deadline) {
      throw new Error(
        `Temporal dev server at ${address} did not become ready within ${timeoutMs} ms` +
          (lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '') +
          `.\n${describe()}`,
      );
    }
    await Promise.race([sleep(delay), exited]);
    delay = Math.min(250, delay + 50);
  }
}

/** Uses the given ports; picks distinct free ports (listen on 0, then close) for the rest. */
async function pickPorts(ip: string, wanted: (number | undefined)[]): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (const port of wanted) {
      if (port !== undefined) {
        ports.push(port);
        continue;
      }
      const server = net.createServer();
      servers.push(server); // keep it open until all are picked, so they are distinct
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host: ip, exclusive: true }, resolve);
      });
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('could not determine a free port');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function connectHost(ip: string): string {
  if (ip === '0.0.0.0' || ip === '') return '127.0.0.1';
  if (ip === '::' || ip === '[::]') return '::1';
  return ip;
}

function formatHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function toIndexedValueType(name: string, type: string): IndexedValueType {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`Invalid search attribute name ${JSON.stringify(name)}`);
  // Accepts the CLI spelling ('KeywordList') and the proto one ('INDEXED_VALUE_TYPE_KEYWORD_LIST'), any case.
  const key = type.toLowerCase().replace(/^indexed_value_type_/, '').replace(/_/g, '');
  const value = Object.entries(TYPES).find(([n]) => n.toLowerCase() === key)?.[1];
  if (value === undefined) {
    throw new Error(`Unknown search attribute type ${JSON.stringify(type)} for ${name}; use one of Keyword, Bool, Int, Datetime, Text, Double, KeywordList.`);
  }
  return value;
}

function typeName(t: IndexedValueType): string {
  for (const [name, value] of Object.entries(TYPES)) if (value === t) return name;
  return `type #${String(t)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
