// Worker Deployment Versioning on the dev server (SPEC §8.7, docs/workflow-versions.md): build A
// runs orders to a waiting point; build B starts polling beside it and the deploy step
// (`npm run deploy:current`, run as a process) makes B current; the open orders move to B at their
// next task (AUTO_UPGRADE) and end there; A drains. The run's dev server checks drainage every
// second (test/support/global-setup.ts), not every three minutes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../config.js';
import { orderWorkflowId } from '../domain/order.js';
import { temporalConnectionOptions } from '../temporal/connection.js';
import { describeDeployment } from '../temporal/deployment.js';
import { createOrderWorkers, type OrderWorkers } from '../worker.js';
import { eventually, type Harness, isoDate, makeOrder, repAction, startHarness } from './support/harness.js';
import { waitForStatus } from './support/lifecycle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_A = '0.1.0+aaaaaaa';
const BUILD_B = '0.1.1+bbbbbbb';

let h: Harness;
let connectionB: NativeConnection;
let workersB: OrderWorkers | undefined;
let runningB: Promise<void> | undefined;

beforeAll(async () => {
  // The harness's own workers are build A, made current as they start (WORKER_SET_CURRENT).
  h = await startHarness({ TEMPORAL_BUILD_ID: BUILD_A });
});
afterAll(async () => {
  workersB?.shutdown();
  await runningB;
  await connectionB?.close();
  await h?.close();
});

/** The build ids of the workers that completed the workflow's tasks, in order. */
async function taskBuilds(orderId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const buildId = event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
    return buildId ? [buildId] : [];
  });
}

async function versionOf(orderId: string): Promise<{ buildId: string | undefined; behavior: string | undefined }> {
  const { raw } = await h.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior: info?.behavior === 2 ? 'AUTO_UPGRADE' : String(info?.behavior) };
}

/** `npm run deploy:current` against this file's deployment, as the deploy step runs it. */
async function deployCurrent(buildId: string): Promise<{ code: number | null; output: string }> {
  const env = { ...h.env, PATH: process.env.PATH ?? '', TEMPORAL_BUILD_ID: buildId };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/deploy-current.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

it('open orders move from build A to build B once B is current, and end there; A drains', { timeout: 90_000 }, async () => {
  // On A: one order waiting for its start date, one whose setup email went (waiting for the wizard).
  const scheduled = makeOrder();
  const awaiting = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  for (const order of [scheduled, awaiting]) expect((await h.postOrder(order)).statusCode).toBe(201);
  await waitForStatus(h, scheduled.orderId, 'SCHEDULED');
  await waitForStatus(h, awaiting.orderId, 'AWAITING_SETUP');
  for (const order of [scheduled, awaiting]) {
    expect(await versionOf(order.orderId)).toEqual({ buildId: BUILD_A, behavior: 'AUTO_UPGRADE' });
    expect(new Set(await taskBuilds(order.orderId))).toEqual(new Set([BUILD_A]));
  }

  // B polls beside A; it gets nothing until the deploy step makes it current.
  const configB = loadConfig({ ...h.env, TEMPORAL_BUILD_ID: BUILD_B, WORKER_SET_CURRENT: 'false' });
  connectionB = await NativeConnection.connect(temporalConnectionOptions(configB));
  workersB = await createOrderWorkers({ config: configB, database: h.database, connection: connectionB, workflowBundlePath: inject('workflowBundlePath') });
  runningB = workersB.run();
  const deployed = await deployCurrent(BUILD_B);
  expect(deployed.code, deployed.output).toBe(0);
  expect(deployed.output).toContain(`${BUILD_B} is current (was ${BUILD_A}`);
  expect((await describeDeployment(h.client.workflowService, h.config.temporal.namespace, h.config.temporal.deployment.name)).current).toBe(BUILD_B);

  // The open orders' next tasks run on B (A still polls: the routing, not a lack of workers, decides).
  for (const order of [scheduled, awaiting]) {
    expect((await repAction(h, order.orderId, 'cancel', { reason: 'moved to B and cancelled' })).statusCode).toBe(200);
    await waitForStatus(h, order.orderId, 'CANCELLED');
    const builds = await taskBuilds(order.orderId);
    expect(builds[0]).toBe(BUILD_A);
    expect(builds.at(-1)).toBe(BUILD_B);
    // Once on B, never back on A.
    expect(builds.slice(builds.indexOf(BUILD_B))).not.toContain(BUILD_A);
    expect((await versionOf(order.orderId)).buildId).toBe(BUILD_B);
    expect((await h.client.workflow.getHandle(orderWorkflowId(order.orderId)).describe()).status.name).toBe('COMPLETED');
  }
  // A new order runs on B from its first task.
  const fresh = makeOrder();
  expect((await h.postOrder(fresh)).statusCode).toBe(201);
  await waitForStatus(h, fresh.orderId, 'SCHEDULED');
  expect(new Set(await taskBuilds(fresh.orderId))).toEqual(new Set([BUILD_B]));

  // A has nothing left to run: draining, then drained (no pinned order on it).
  const drained = await eventually(
    async () => {
      const summary = await describeDeployment(h.client.workflowService, h.config.temporal.namespace, h.config.temporal.deployment.name);
      const a = summary.versions.find((v) => v.buildId === BUILD_A);
      return a?.drainage === 'DRAINED' ? a : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(drained.status).toBe('DRAINED');
});
