// The retention sweep (SPEC §8.5): how long `personalDataSweepWorkflow` takes to erase the personal
// data of 10 000 ended orders, through a worker process as in production (the Schedule starts the
// same workflow). The orders are written straight into the read model with what a cancelled order
// holds there — its row, timeline events, emails, a link, a rep task and a data key — past
// retention. Baseline in the same run: writing those rows. A second sweep finds nothing left.
//
//   npx tsx bench/personal-data-sweep.ts [--quick] [--orders N]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { count, isNull, like } from 'drizzle-orm';
import { readModelRow } from '../activities/projection.js';
import { emailDeliveries, linkTokens, orderDataKeys, orderEvents, orders, repTasks } from '../db/schema/index.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { benchOrder } from './support/orders.js';
import { type BenchResult, machineInfo, printResult, ratio, round, table, writeResult } from './support/report.js';
import { startService } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 1_000 : 10_000);
/** Rows written per INSERT while seeding. */
const SEED_BATCH = 500;
/** What a cancelled order's timeline holds: intake, the setup email, a session, a hand-over, a rep's cancellation, links revoked. */
const EVENTS_PER_ORDER = 6;
const TARGET_SECONDS = 60;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  const { db } = environment.database;
  const endedAt = new Date(Date.now() - 2 * 86_400_000);

  // Seeding: what the projection and the activities would have written for each order.
  const seedStarted = performance.now();
  for (let start = 0; start < orderCount; start += SEED_BATCH) {
    const batch = Array.from({ length: Math.min(SEED_BATCH, orderCount - start) }, () => ({ ...benchOrder(), timezone: 'Europe/Oslo' }));
    const colleague = (orderId: string) => `colleague-${orderId.toLowerCase()}@kunde.example`;
    await db.insert(orders).values(
      batch.map((order) => readModelRow(order, { status: 'CANCELLED', startAt: endedAt, payloadHash: 'bench', lastSeq: EVENTS_PER_ORDER, createdAt: endedAt, updatedAt: endedAt })),
    );
    await db.insert(orderEvents).values(
      batch.flatMap((order) =>
        Array.from({ length: EVENTS_PER_ORDER }, (_, index) => ({
          orderId: order.orderId,
          seq: index + 1,
          type: index === EVENTS_PER_ORDER - 1 ? 'order.cancelled' : 'order.setup-email',
          status: index === EVENTS_PER_ORDER - 1 ? ('CANCELLED' as const) : ('AWAITING_SETUP' as const),
          actor: index === EVENTS_PER_ORDER - 1 ? `rep:${order.rep.name} <${order.rep.email}>` : 'system',
          data: { to: index % 2 ? colleague(order.orderId) : order.provisioningContactEmail, reason: 'customer withdrew' },
          occurredAt: endedAt,
        })),
      ),
    );
    await db.insert(emailDeliveries).values(
      batch.flatMap((order) =>
        ['setup', 'cancelled'].map((purpose) => ({ orderId: order.orderId, idempotencyKey: `${order.orderId}/${purpose}`, purpose, recipient: order.provisioningContactEmail, subject: `Set up Webex for ${order.customer.name}`, status: 'sent' as const })),
      ),
    );
    await db.insert(linkTokens).values(batch.map((order) => ({ orderId: order.orderId, issueKey: 'link-1', tokenHash: randomBytes(32).toString('hex'), recipientEmail: order.provisioningContactEmail, audience: 'contact' as const, revokedAt: endedAt })));
    await db.insert(repTasks).values(batch.map((order) => ({ orderId: order.orderId, kind: 'escalation' as const, taskKey: 'escalation/2', detail: `Nobody started: ${order.provisioningContactEmail}`, openedAt: endedAt })));
    await db.insert(orderDataKeys).values(batch.map((order) => ({ orderId: order.orderId, wrappedKey: randomBytes(60).toString('base64'), wrappingKeyId: 'bench' })));
  }
  const seedMs = performance.now() - seedStarted;
  console.error(`[bench] seeded ${orderCount} ended orders in ${round(seedMs / 1000, 1)} s`);

  const worker = await startService(environment, { role: 'worker', workflowBundlePath: environment.workflowBundlePath, env: { PERSONAL_DATA_RETENTION: '1d', LOG_LEVEL: 'warn' } });
  const sweep = async (label: string) => {
    const began = performance.now();
    const result = await environment.client.workflow.execute('personalDataSweepWorkflow', { taskQueue: worker.taskQueue, workflowId: `bench-sweep-${label}-${Date.now()}`, args: [] });
    return { ...(result as { erased: number; rewrapped: number }), ms: performance.now() - began };
  };
  let first: Awaited<ReturnType<typeof sweep>>;
  let again: Awaited<ReturnType<typeof sweep>>;
  let workerCpuMs: number | undefined;
  try {
    const cpuBefore = await worker.cpuMs();
    first = await sweep('first');
    const cpuAfter = await worker.cpuMs();
    workerCpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
    again = await sweep('again');
  } finally {
    await worker.stop();
  }

  const [left] = await db.select({ n: count() }).from(orders).where(isNull(orders.personalDataErasedAt));
  const [addressesLeft] = await db.select({ n: count() }).from(emailDeliveries).where(like(emailDeliveries.recipient, '%@%'));
  if (first.erased !== orderCount || left!.n !== 0 || addressesLeft!.n !== 0) {
    throw new Error(`the sweep erased ${first.erased} of ${orderCount} orders; ${left!.n} orders and ${addressesLeft!.n} emails still hold personal data`);
  }

  const perOrderMs = first.ms / orderCount;
  const result: BenchResult = {
    bench: 'personal-data-sweep',
    title: `Retention sweep: erasing ${orderCount} ended orders`,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    settings: { orders: orderCount, eventsPerOrder: EVENTS_PER_ORDER, emailsPerOrder: 2, linksPerOrder: 1, tasksPerOrder: 1, batch: 500 },
    headlines: [
      {
        figure: `sweep of ${orderCount} ended orders (personalDataSweepWorkflow, one worker)`,
        value: round(first.ms / 1000, 2),
        unit: 's',
        baseline: { figure: 'writing the same rows', value: round(seedMs / 1000, 2) },
        ratio: ratio(first.ms, seedMs),
        target: `≤ ${TARGET_SECONDS} s`,
        met: first.ms <= TARGET_SECONDS * 1000,
      },
    ],
    details: {
      sweepMs: round(first.ms),
      perOrderMs: round(perOrderMs, 3),
      ordersPerSecond: round(orderCount / (first.ms / 1000), 1),
      secondSweepMs: round(again.ms),
      secondSweepErased: again.erased,
      seedMs: round(seedMs),
      workerCpuMs,
    },
    notes: [
      'The sweep erases 500 orders per transaction (orders, order_events, rep_tasks, link_tokens, consent_requests, email_deliveries, pending_partner_passwords, order_data_keys), oldest first, heartbeating after each batch.',
      `A second sweep right after found nothing to erase in ${round(again.ms)} ms (idempotent).`,
    ],
  };
  printResult(result, [
    {
      title: 'Sweep',
      body: table(
        ['orders', 'sweep (s)', 'per order (ms)', 'orders/s', 'second sweep (ms)', 'seeding (s)'],
        [[orderCount, round(first.ms / 1000, 2), round(perOrderMs, 3), round(orderCount / (first.ms / 1000), 1), round(again.ms), round(seedMs / 1000, 2)]],
      ),
    },
  ]);
  console.log(`\nwrote ${await writeResult(result, { quick })}`);
} finally {
  await environment.close();
}
