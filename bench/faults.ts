// Bench: PostgreSQL down for 90 s under 200 active orders. The orders are taken in over HTTP and
// their setup emails sent; the database stops while their escalations fall due; then it returns.
// Reports the time from its return until every order is back in step (the read model shows the
// escalation, its rep task and the workflow's last event), the history events each order added
// during the outage, orders lost, and emails sent twice.
//
//   npx tsx bench/faults.ts [--quick] [--orders N] [--outage-seconds N]
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { and, count, eq, gt, inArray } from 'drizzle-orm';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { emailDeliveries, orderEvents, orders, repTasks } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { getStateQuery } from '../workflows/definitions.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { benchOrder, inParallel, signedIntake } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, percentilesTable, printResult, round, sleep, waitFor, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' }, 'outage-seconds': { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 20 : 200);
const outageMs = intArg('outage-seconds', args['outage-seconds'], quick ? 30 : 90) * 1000;
/** Escalations fall due this long after each setup email; the outage is placed around them. */
const ESCALATION_AFTER_S = Math.round(outageMs / 1000 / 2 + 60);
const CATCH_UP_LIMIT_MS = 5 * 60_000;
const TARGET_EVENTS_PER_ORDER = 20;

const machine = machineInfo();
const startedAt = new Date();
// A PostgreSQL server of the bench's own, to stop and start.
const pgDir = await mkdtemp(path.join(tmpdir(), 'orders-bench-faults-'));
await chmod(pgDir, 0o777);
let postgresServer = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'data') });
const port = postgresServer.port;
const environment = await startEnvironment({ adminUrl: postgresServer.url(), workflowBundle: args['workflow-bundle'] });
try {
  const service = await startDeployment(environment, { env: { EMAIL_RATE_PER_SECOND: '100', ESCALATION_AFTER: `${ESCALATION_AFTER_S}s` } });
  try {
    const { client, database } = environment;
    const { db } = database;
    const payloads = Array.from({ length: orderCount }, () => benchOrder({ requestedStartDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), timezone: 'UTC' }));
    const ids = payloads.map((o) => o.orderId);
    const setupStarted = performance.now();
    await inParallel(payloads, 8, async (order) => {
      const intake = signedIntake(order);
      const response = await fetch(`${service.baseUrl}/api/orders`, { method: 'POST', headers: intake.headers, body: intake.body });
      if (response.status !== 201) throw new Error(`intake answered ${response.status}: ${await response.text()}`);
    });
    await waitFor(
      'every setup email',
      async () => {
        const [row] = await db.select({ n: count() }).from(emailDeliveries).where(and(inArray(emailDeliveries.orderId, ids), eq(emailDeliveries.purpose, 'setup')));
        return row!.n >= orderCount ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    const setupSeconds = round((performance.now() - setupStarted) / 1000, 1);
    console.error(`[bench] ${orderCount} orders set up in ${setupSeconds} s; stopping PostgreSQL for ${outageMs / 1000} s`);

    const historyLength = async () => {
      const lengths = new Map<string, number>();
      await inParallel(ids, 16, async (id) => {
        lengths.set(id, (await client.workflow.getHandle(orderWorkflowId(id)).describe()).historyLength);
      });
      return lengths;
    };
    // Stop so that the escalations (ESCALATION_AFTER after each setup email) fall in the outage's middle.
    await sleep(Math.max(0, setupStarted + ESCALATION_AFTER_S * 1000 - outageMs / 2 - performance.now()));
    const before = await historyLength();
    await postgresServer.stop();
    const stoppedAt = performance.now();
    await sleep(outageMs);
    const during = await historyLength();
    postgresServer = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'data'), port });
    const returnedAt = performance.now();
    console.error('[bench] PostgreSQL is back');

    // Back in step: the read model shows the escalation and its open rep task, and the workflow's last event.
    const caughtUpMs = new Map<string, number>();
    const deadline = returnedAt + CATCH_UP_LIMIT_MS;
    while (caughtUpMs.size < orderCount && performance.now() < deadline) {
      const pending = ids.filter((id) => !caughtUpMs.has(id));
      const rows = await db.select({ orderId: orders.orderId, status: orders.status, lastSeq: orders.lastSeq }).from(orders).where(inArray(orders.orderId, pending));
      const tasks = await db.select({ orderId: repTasks.orderId }).from(repTasks).where(and(inArray(repTasks.orderId, pending), eq(repTasks.kind, 'escalation')));
      const withTask = new Set(tasks.map((t) => t.orderId));
      const candidates = rows.filter((r) => r.status === 'ESCALATED' && withTask.has(r.orderId));
      await inParallel(candidates, 16, async (row) => {
        const state = await client.workflow.getHandle(orderWorkflowId(row.orderId)).query(getStateQuery);
        if (state.seq === row.lastSeq) caughtUpMs.set(row.orderId, performance.now() - returnedAt);
      });
      await sleep(250);
    }
    const lost = ids.filter((id) => !caughtUpMs.has(id));
    const duplicates = await db
      .select({ orderId: emailDeliveries.orderId, purpose: emailDeliveries.purpose, n: count() })
      .from(emailDeliveries)
      .where(inArray(emailDeliveries.orderId, ids))
      .groupBy(emailDeliveries.orderId, emailDeliveries.purpose)
      .having(({ n }) => gt(n, 1));
    // How many escalations fell due while the database was down (the rest came before it stopped).
    const outageStart = new Date(Date.now() - (performance.now() - stoppedAt));
    const outageEnd = new Date(Date.now() - (performance.now() - returnedAt));
    const escalations = await db.select({ occurredAt: orderEvents.occurredAt }).from(orderEvents).where(and(inArray(orderEvents.orderId, ids), eq(orderEvents.type, 'order.escalated')));
    const dueDuringOutage = escalations.filter((e) => e.occurredAt >= outageStart && e.occurredAt <= outageEnd).length;
    const added = ids.map((id) => (during.get(id) ?? NaN) - (before.get(id) ?? NaN));
    const catchUp = percentiles([...caughtUpMs.values()]);
    const events = percentiles(added);

    const headlines: Headline[] = [
      { figure: 'back in step after the database returns, p50', value: round(catchUp.p50 / 1000, 2), unit: 's', target: 'report', met: true },
      { figure: 'back in step after the database returns, p99', value: round(catchUp.p99 / 1000, 2), unit: 's', target: 'report', met: true },
      { figure: 'history events added per order during the outage (max)', value: events.max, unit: 'events', target: `≤ ${TARGET_EVENTS_PER_ORDER}`, met: events.max <= TARGET_EVENTS_PER_ORDER },
      { figure: 'orders lost', value: lost.length, unit: 'orders', target: '0', met: lost.length === 0 },
      { figure: 'emails sent twice', value: duplicates.length, unit: 'emails', target: '0', met: duplicates.length === 0 },
    ];
    const result: BenchResult = {
      bench: 'faults',
      title: `PostgreSQL down ${outageMs / 1000} s under ${orderCount} active orders`,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { orders: orderCount, outageSeconds: outageMs / 1000, escalationAfterSeconds: ESCALATION_AFTER_S, setupSeconds, escalationsDueDuringOutage: dueDuringOutage, outageMeasuredSeconds: round((returnedAt - stoppedAt) / 1000, 1) },
      headlines,
      details: { catchUpMs: catchUp, historyEventsAddedDuringOutage: events, lost, duplicates },
      notes: [
        'Each order is taken in over HTTP with its start date passed, so its setup email goes at once; the database stops so that the escalations (ESCALATION_AFTER after each setup email) fall due during the outage (escalationsDueDuringOutage says how many did).',
        'Back in step: the read model row is ESCALATED with its rep task, and its last event is the workflow’s last (Query seq = row last_seq). Measured from the moment the database answers again.',
        'History events: describe().historyLength of each order just before the stop and just before the return.',
      ],
    };
    printResult(result, [{ title: 'Catch-up (ms) and history events per order', body: percentilesTable('figure', [['catch-up ms', catchUp], ['events added', events]]) }]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await environment.close();
  await postgresServer.stop();
  await rm(pgDir, { recursive: true, force: true });
}
