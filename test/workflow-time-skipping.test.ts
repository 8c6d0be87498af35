// The order workflow on Temporal's time-skipping test server, with real durations: days pass in
// milliseconds, so the start-date timer is tested as it will run in production.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import protoPkg from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities } from '../activities/index.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { orderEvents } from '../db/schema/index.js';
import type { OrderWorkflowInput } from '../domain/order.js';
import { getStateQuery } from '../workflows/definitions.js';
import { makeOrder, openTestDatabase } from './support/harness.js';

const { temporal } = protoPkg;
let env: TestWorkflowEnvironment;
let database: Database;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
  // The test server starts empty: register the attributes the workflow upserts, as the dev server does.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { OrderStatus: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  database = await openTestDatabase();
});
afterAll(async () => {
  await env?.teardown();
  await database?.close();
});

const DAY = 86_400_000;

it('sleeps until the start moment days ahead, and not a moment less', async () => {
  const taskQueue = `ts-${randomUUID()}`;
  const config = loadConfig({ NODE_ENV: 'test', INTAKE_HMAC_SECRET: 'x'.repeat(32), REP_API_TOKENS: 'y'.repeat(32), LINK_TOKEN_SECRET: 'z'.repeat(32) });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: createActivities({ database, config }),
  });
  const now = Date.parse((await env.currentTimeMs().then((ms) => new Date(ms))).toISOString());
  const order = makeOrder();
  const input: OrderWorkflowInput = {
    order: { ...order, timezone: 'UTC' },
    payloadHash: 'h',
    startAt: new Date(now + 3 * DAY).toISOString(),
    receivedAt: new Date(now).toISOString(),
  };
  const eventTypes = async () =>
    (await database.db.select().from(orderEvents).where(eq(orderEvents.orderId, order.orderId)).orderBy(asc(orderEvents.seq))).map(
      (e) => e.type,
    );

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('orderWorkflow', {
      workflowId: `order-${order.orderId}`,
      taskQueue,
      args: [input],
    });
    expect((await handle.query(getStateQuery)).status).toBe('SCHEDULED');

    await env.sleep(3 * DAY - 60_000);
    expect(await eventTypes()).toEqual(['order.received']);

    await env.sleep(2 * 60_000);
    await handle.query(getStateQuery);
    expect(await eventTypes()).toEqual(['order.received', 'order.start-moment-reached']);
    await handle.terminate('test done');
  });
});
