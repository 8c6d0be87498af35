// Each test file's own database, copied from the run's migrated template (test/support/global-setup.ts):
// files never see each other's orders, and a child process of the file (a worker to kill) shares it.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { expect, inject } from 'vitest';
import { type Database, openDatabase } from '../../db/client.js';
import { databaseUrl } from './database-url.js';

/** By test file: a fork runs several files one after another (vitest.config.ts, `isolate: false`). */
const fileDatabases = new Map<string, Promise<string>>();

/** This test file's database URL, created on first use. */
export function fileDatabaseUrl(): Promise<string> {
  const file = expect.getState().testPath ?? '';
  let url = fileDatabases.get(file);
  if (!url) fileDatabases.set(file, (url = createDatabase('file')));
  return url;
}

/** Another database of the file's own (a test that must not share the file's read model). */
export async function createDatabase(label: string): Promise<string> {
  const name = `${inject('runDatabasePrefix')}_${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${inject('templateDatabase')}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return databaseUrl(inject('postgresAdminUrl'), name);
}

export async function openTestDatabase(): Promise<Database> {
  return openDatabase({ url: await fileDatabaseUrl(), maxConnections: 5 });
}
