// Expand, then contract (SPEC §8.7, docs/workflow-versions.md): a build starts on its own schema
// and on the next release's when that one only expands; it refuses one two releases ahead, a
// contracted one, and migrations nobody recorded. `npm run migrate` refuses a contracting
// migration while a process that needs an older schema heartbeats in service_processes, and
// applies it once that process is gone. Later releases are made up here: copies of this build's
// migrations plus a few more, each in a scratch database copied from the migrated template.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/client.js';
import {
  assertSchemaCurrent,
  blockingProcesses,
  buildSchemaVersion,
  MIGRATIONS_FOLDER,
  MigrationBlockedError,
  migrateWithLock,
  readMigrations,
  schemaState,
} from '../db/migrate.js';
import { registerProcess } from '../db/processes.js';
import { createDatabase } from './support/database.js';

let scratch: string;
/**
 * Release 2 expands (adds a column); release 3 contracts (drops it: release 3 no longer uses what
 * release 2 did); release 4 only expands. Release 3b is release 3 with an expanding migration first.
 */
const folders = {} as Record<'release2' | 'release3' | 'release3b' | 'release4', string>;
const databases: Database[] = [];

/** A later release's migrations folder: the previous one's plus `added`, dated after them. */
async function release(name: string, from: string, added: Array<{ tag: string; sql: string }>): Promise<string> {
  const folder = path.join(scratch, name);
  await cp(from, folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }> };
  for (const migration of added) {
    const last = journal.entries.at(-1)!;
    journal.entries.push({ idx: last.idx + 1, version: last.version, when: last.when + 1_000, tag: migration.tag, breakpoints: true });
    await writeFile(path.join(folder, `${migration.tag}.sql`), migration.sql);
  }
  await writeFile(journalPath, JSON.stringify(journal, null, 2));
  return folder;
}

/** A database migrated to this build's schema (the template), single connection for the advisory lock. */
async function database(): Promise<Database> {
  const db = await openDatabase({ url: await createDatabase('expand'), maxConnections: 1 });
  databases.push(db);
  return db;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'expand-contract-'));
  const base = buildSchemaVersion();
  folders.release2 = await release('release2', MIGRATIONS_FOLDER, [
    { tag: '9001_add_order_note', sql: `-- schema-version: ${base + 1}\nALTER TABLE "orders" ADD COLUMN "note" text;` },
  ]);
  folders.release3 = await release('release3', folders.release2, [
    { tag: '9002_drop_order_note', sql: `-- schema-version: ${base + 2}\n-- contract: release ${base + 1} stopped reading it\nALTER TABLE "orders" DROP COLUMN "note";` },
  ]);
  folders.release3b = await release('release3b', folders.release2, [
    { tag: '9004_add_order_flag', sql: `-- schema-version: ${base + 2}\nALTER TABLE "orders" ADD COLUMN "flag" text;` },
    { tag: '9005_drop_order_note', sql: `-- contract\nALTER TABLE "orders" DROP COLUMN "note";` },
  ]);
  folders.release4 = await release('release4', folders.release3, [
    { tag: '9003_add_order_tag', sql: `-- schema-version: ${base + 3}\nALTER TABLE "orders" ADD COLUMN "tag" text;` },
  ]);
});
afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.close()));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the schema check at start (server.ts, worker.ts)', () => {
  it('reads what each migration is from its leading comments', () => {
    const release3 = readMigrations(folders.release3);
    const base = buildSchemaVersion();
    expect(release3.slice(-2).map(({ tag, schemaVersion, contract }) => ({ tag, schemaVersion, contract }))).toEqual([
      { tag: '9001_add_order_note', schemaVersion: base + 1, contract: false },
      { tag: '9002_drop_order_note', schemaVersion: base + 2, contract: true },
    ]);
    // This build's own: the v1 baseline, none contracting.
    expect(readMigrations().every((m) => m.schemaVersion === 1 && !m.contract)).toBe(true);
  });

  it('accepts its own schema and the next release’s expanding one', async () => {
    const db = await database();
    expect(await assertSchemaCurrent(db)).toEqual({ state: 'current', version: buildSchemaVersion() });
    await migrateWithLock(db, { migrationsFolder: folders.release2 });
    expect(await assertSchemaCurrent(db)).toEqual({ state: 'ahead', version: buildSchemaVersion() + 1, buildVersion: buildSchemaVersion(), extra: ['9001_add_order_note'] });
    // Release 2 itself is current there.
    expect(await schemaState(db, readMigrations(folders.release2))).toMatchObject({ state: 'current' });
  });

  it('refuses a schema two releases ahead, or a contracted one', async () => {
    const db = await database();
    await migrateWithLock(db, { migrationsFolder: folders.release3 });
    await expect(assertSchemaCurrent(db)).rejects.toThrow(/9001_add_order_note|9002_drop_order_note/);
    await expect(assertSchemaCurrent(db)).rejects.toThrow(/newer than this build/);
    // Release 2 (one behind) refuses it too: release 3 contracts.
    await expect(assertSchemaCurrent(db, readMigrations(folders.release2))).rejects.toThrow(/9002_drop_order_note\) contracts schema version/);
    // Release 3 runs on release 4's expanding schema.
    await migrateWithLock(db, { migrationsFolder: folders.release4 });
    expect(await assertSchemaCurrent(db, readMigrations(folders.release3))).toMatchObject({ state: 'ahead', extra: ['9003_add_order_tag'] });
    await expect(assertSchemaCurrent(db, readMigrations(folders.release2))).rejects.toThrow(/newer than this build/);
  });

  it('refuses a migration no release recorded', async () => {
    const db = await database();
    await db.db.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-nowhere', ${Date.now() + 86_400_000})`);
    await expect(assertSchemaCurrent(db)).rejects.toThrow(/no release recorded it/);
  });
});

describe('npm run migrate and the processes still running', () => {
  it('refuses a contracting migration while a process of an older release heartbeats, and applies it once that process is gone', async () => {
    const db = await database();
    await migrateWithLock(db, { migrationsFolder: folders.release2 });
    const base = buildSchemaVersion();
    // A worker of this build (schema `base`) and an API of release 2 run on the release-2 schema.
    const oldWorker = await registerProcess(db, { role: 'worker', buildId: '0.1.0+aaaaaaa', schemaVersion: base });
    const api2 = await registerProcess(db, { role: 'api', buildId: '0.2.0+bbbbbbb', schemaVersion: base + 1 });

    const refused = migrateWithLock(db, { migrationsFolder: folders.release3 });
    await expect(refused).rejects.toBeInstanceOf(MigrationBlockedError);
    await expect(refused).rejects.toThrow(
      new RegExp(`^refusing to apply contracting migration 9002_drop_order_note \\(schema ${base + 2}\\) while 2 process\\(es\\) of build 0\\.1\\.0\\+aaaaaaa \\(schema ${base}\\), 0\\.2\\.0\\+bbbbbbb \\(schema ${base + 1}\\) still run`),
    );
    // Release 3 itself runs without its contraction: it no longer uses what it drops.
    expect(await assertSchemaCurrent(db, readMigrations(folders.release3))).toEqual({ state: 'contract-pending', version: base + 2, pending: ['9002_drop_order_note'] });

    // Release 2's API is replaced by release 3's; the old worker is still there.
    await api2.stop();
    await expect(migrateWithLock(db, { migrationsFolder: folders.release3 })).rejects.toThrow(/of build 0\.1\.0\+aaaaaaa \(schema \d+\) still run/);

    // Gone (clean shutdown): the contraction goes through.
    await oldWorker.stop();
    const { after } = await migrateWithLock(db, { migrationsFolder: folders.release3 });
    expect(after).toEqual({ state: 'current', version: base + 2 });
  });

  it('applies a release’s expanding migrations before its refused contraction (before the rollout), the contraction after', async () => {
    const db = await database();
    await migrateWithLock(db, { migrationsFolder: folders.release2 });
    const release2 = await registerProcess(db, { role: 'worker', buildId: '0.2.0+bbbbbbb', schemaVersion: buildSchemaVersion() + 1 });
    await expect(migrateWithLock(db, { migrationsFolder: folders.release3b })).rejects.toThrow(/^applied 9004_add_order_flag; refusing to apply contracting migration 9005_drop_order_note/);
    // Release 2 still runs there (one release ahead, expanding), release 3 too (its contraction pending).
    expect((await assertSchemaCurrent(db, readMigrations(folders.release2))).state).toBe('ahead');
    expect((await assertSchemaCurrent(db, readMigrations(folders.release3b))).state).toBe('contract-pending');
    await release2.stop();
    expect((await migrateWithLock(db, { migrationsFolder: folders.release3b })).after.state).toBe('current');
  });

  it('ignores a process whose heartbeat is older than the liveness window, and --force applies past a live one', async () => {
    const db = await database();
    await migrateWithLock(db, { migrationsFolder: folders.release2 });
    const crashed = await registerProcess(db, { role: 'worker', buildId: '0.1.0+crashed', schemaVersion: buildSchemaVersion() });
    await db.db.execute(sql`update service_processes set last_seen_at = now() - interval '10 minutes' where id = ${crashed.id}`);
    const live = await registerProcess(db, { role: 'worker', buildId: '0.1.0+live', schemaVersion: buildSchemaVersion() });
    await expect(migrateWithLock(db, { migrationsFolder: folders.release3 })).rejects.toThrow(/of build 0\.1\.0\+live \(schema \d+\) still run/);
    const forced = await migrateWithLock(db, { migrationsFolder: folders.release3, force: true });
    expect(forced.forcedPast?.map((p) => p.buildId)).toEqual(['0.1.0+live']);
    expect(forced.after.state).toBe('current');
    await live.stop();
  });

  it('refuses, even without contracting, a migration more than one release past a live process', () => {
    const migrations = readMigrations(folders.release4);
    const process1 = { role: 'worker', buildId: '0.1.0+a', schemaVersion: 1, host: 'h', pid: 1, secondsAgo: 3 };
    const process3 = { ...process1, buildId: '0.3.0+c', schemaVersion: 3 };
    expect(blockingProcesses(migrations.slice(-1), [process3])).toBeUndefined();
    expect(blockingProcesses(migrations.slice(-1), [process1])?.processes).toEqual([process1]);
  });
});
