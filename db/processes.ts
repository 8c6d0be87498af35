// Each API and worker process says it is alive in `service_processes` (build id, the schema version
// it was built for), every HEARTBEAT_MS, and removes its row on a clean shutdown. `npm run migrate`
// reads the table to refuse a contracting migration while an older release still runs
// (db/migrate.ts, docs/workflow-versions.md). A crashed process's row ages out after
// PROCESS_LIVENESS_WINDOW_MS.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { eq, lt, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { PROCESS_LIVENESS_WINDOW_MS } from './migrate.js';
import { serviceProcesses } from './schema/index.js';

export const HEARTBEAT_MS = 15_000;

export interface ProcessRegistration {
  id: string;
  /** Deletes the row: this process no longer needs the schema. */
  stop(): Promise<void>;
}

export interface RegisterOptions {
  role: 'api' | 'worker' | 'start';
  buildId: string;
  schemaVersion: number;
  heartbeatMs?: number;
  /** A heartbeat that failed (database unreachable): the next one tries again. */
  onError?: (error: unknown) => void;
}

export async function registerProcess(database: Database, { role, buildId, schemaVersion, heartbeatMs = HEARTBEAT_MS, onError }: RegisterOptions): Promise<ProcessRegistration> {
  const id = randomUUID();
  const row = { id, role, buildId, schemaVersion, host: hostname(), pid: process.pid };
  // An upsert: after a database outage long enough for a migrate to have pruned the row, it comes back.
  const beat = () =>
    database.db
      .insert(serviceProcesses)
      .values(row)
      .onConflictDoUpdate({ target: serviceProcesses.id, set: { lastSeenAt: sql`now()` } });
  await beat();
  // Rows of processes that died long ago are only noise for the operator.
  await database.db.delete(serviceProcesses).where(lt(serviceProcesses.lastSeenAt, sql`now() - make_interval(secs => ${(PROCESS_LIVENESS_WINDOW_MS * 10) / 1000})`));
  const timer = setInterval(() => {
    beat().catch((error: unknown) => onError?.(error));
  }, heartbeatMs);
  timer.unref();
  let stopped: Promise<void> | undefined;
  return {
    id,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer);
        await database.db.delete(serviceProcesses).where(eq(serviceProcesses.id, id));
      })()),
  };
}
