// Bench 7: webhook lag. 1 000 orders share one start moment; when it comes, every order changes
// status at once (SCHEDULED → AWAITING_SETUP) and each change is POSTed, signed, to a local
// receiver that verifies every request with the standardwebhooks package, as a partner's would
// (simulator/stand-ins/webhook-receiver.ts). Lag is the receipt time minus the change's `occurredAt`.
//
//   npx tsx bench/webhook-lag.ts [--quick] [--orders N] [--lead-seconds N]
//
// Baseline in the same run: the same change for a few orders one at a time, on an idle service.
// The receiver also checks what a partner relies on: every change arrives, none twice, and each
// order's changes in seq order.
import { parseArgs } from 'node:util';
import type { WebhookRetrySettings } from '../domain/order.js';
import { startReceiver, WEBHOOK_TEST_SECRET, type Received } from '../simulator/stand-ins/webhook-receiver.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { benchOrder, startOrderDirectly, startOrdersAtOneMoment } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, percentilesTable, printResult, ratio, round, sleep, waitFor, writeResult } from './support/report.js';
import { startService } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' }, 'lead-seconds': { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 100 : 1_000);
const leadSeconds = intArg('lead-seconds', args['lead-seconds'], quick ? 30 : 90);
const IDLE_SAMPLES = quick ? 3 : 10;
const TARGET_P99_MS = 30_000;
/** As intake gives an order when WEBHOOK_ENDPOINTS is set (the config's defaults). */
const WEBHOOK_RETRY: WebhookRetrySettings = { initialIntervalMs: 10_000, maximumIntervalMs: 3_600_000, giveUpAfterMs: 3 * 86_400_000 };

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
const receiver = await startReceiver();
const lagMs = (r: Received) => r.receivedAt.getTime() - Date.parse(r.event.data.occurredAt);
const arrived = (orderId: string, status: string) => receiver.accepted.find((r) => r.event.data.orderId === orderId && r.event.data.status === status);
try {
  const worker = await startService(environment, {
    role: 'worker',
    workflowBundlePath: environment.workflowBundlePath,
    // No RESEND_API_KEY: setup emails go to the dev outbox, so the email queue does not pace the changes.
    env: { WEBHOOK_ENDPOINTS: receiver.url, WEBHOOK_SECRET: WEBHOOK_TEST_SECRET, WEBHOOK_ALLOW_PRIVATE: 'true', EMAIL_RATE_PER_SECOND: '1000' },
  });
  try {
    // Baseline: one order at a time on an idle service, its start moment already passed.
    const idle: number[] = [];
    for (let i = 0; i < IDLE_SAMPLES; i += 1) {
      const order = benchOrder();
      await startOrderDirectly(environment.client, worker.taskQueue, order, new Date(), { webhooks: WEBHOOK_RETRY });
      idle.push(lagMs(await waitFor(`the idle order's change ${i + 1}`, async () => arrived(order.orderId, 'AWAITING_SETUP'), { intervalMs: 20 })));
    }
    const idleStats = percentiles(idle);
    const idleOrders = new Set(receiver.accepted.map((r) => r.event.data.orderId));

    const { moment, creationSeconds } = await startOrdersAtOneMoment(environment, worker.taskQueue, {
      orderCount,
      leadSeconds,
      alreadyRecorded: IDLE_SAMPLES,
      settings: { webhooks: WEBHOOK_RETRY },
    });
    const burst = () => receiver.accepted.filter((r) => !idleOrders.has(r.event.data.orderId) && r.event.data.status === 'AWAITING_SETUP');
    if (burst().length > 0) throw new Error('status changes arrived before the start moment');
    console.error(`[bench] ${orderCount} orders created in ${creationSeconds} s; waiting for ${moment.toISOString()}`);

    await waitFor('every change received', async () => (burst().length >= orderCount ? true : undefined), {
      timeoutMs: Math.max(0, moment.getTime() - Date.now()) + 600_000,
      intervalMs: 250,
    });
    await sleep(3_000); // anything late (a duplicate, a retry) would show up now

    const changes = burst();
    const lags = changes.map(lagMs);
    const lagStats = percentiles(lags);
    const changedSpreadMs = Math.max(...changes.map((r) => Date.parse(r.event.data.occurredAt))) - moment.getTime();
    const lastReceiptS = round((Math.max(...changes.map((r) => r.receivedAt.getTime())) - moment.getTime()) / 1000, 1);

    // What a partner relies on, over everything received (intake's SCHEDULED changes too).
    const ids = receiver.accepted.map((r) => String(r.headers['webhook-id']));
    const duplicates = ids.length - new Set(ids).size;
    const byOrder = new Map<string, number[]>();
    for (const r of receiver.accepted) byOrder.set(r.event.data.orderId, [...(byOrder.get(r.event.data.orderId) ?? []), r.event.data.seq]);
    const outOfOrder = [...byOrder.values()].filter((seqs) => seqs.some((seq, i) => i > 0 && seq <= seqs[i - 1]!)).length;
    const missing = [...byOrder.entries()].filter(([, seqs]) => seqs.length < 2).length + (orderCount + IDLE_SAMPLES - byOrder.size);

    const headlines: Headline[] = [
      {
        figure: 'lag p50, status change → receipt',
        value: lagStats.p50,
        unit: 'ms',
        baseline: { figure: 'idle, one order at a time, p50', value: idleStats.p50 },
        ratio: ratio(lagStats.p50, idleStats.p50),
        target: 'report',
        met: true,
      },
      {
        figure: 'lag p99, status change → receipt',
        value: lagStats.p99,
        unit: 'ms',
        baseline: { figure: 'idle, one order at a time, max', value: idleStats.max },
        ratio: ratio(lagStats.p99, idleStats.max),
        target: `≤ ${TARGET_P99_MS / 1000} s`,
        met: lagStats.p99 <= TARGET_P99_MS,
      },
      { figure: 'changes received', value: changes.length, unit: '', target: `${orderCount}`, met: changes.length === orderCount },
      { figure: 'duplicate webhook-ids', value: duplicates, unit: '', target: '0', met: duplicates === 0 },
      { figure: 'orders with a seq out of order', value: outOfOrder, unit: '', target: '0', met: outOfOrder === 0 },
      { figure: 'orders missing a change', value: missing, unit: '', target: '0', met: missing === 0 },
    ];
    const result: BenchResult = {
      bench: 'webhook-lag',
      title: 'Webhook lag: orders changing status at once, each change POSTed signed to a verifying receiver',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { orders: orderCount, leadSeconds, idleSamples: IDLE_SAMPLES, endpoints: 1 },
      headlines,
      details: {
        creationSeconds,
        lagMs: lagStats,
        idleLagMs: idleStats,
        lastChangeAfterMomentMs: changedSpreadMs,
        lastReceiptAfterMomentSeconds: lastReceiptS,
        requests: receiver.requests(),
        accepted: receiver.accepted.length,
      },
      notes: [
        'Lag is measured from the workflow’s own record of the change (occurredAt, the workflow clock) to the receiver’s clock after verifying the signature: same machine, same clock.',
        'At the moment every order’s timer fires; each order records its change and queues its webhook in the same workflow task, then its job coroutine runs the delivery activity on the webhook task queue.',
      ],
    };
    printResult(result, [
      {
        title: 'Lag from status change to receipt (ms)',
        body: percentilesTable('measure', [
          ['burst', lagStats],
          ['idle, one at a time', idleStats],
        ]),
      },
    ]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await worker.stop();
  }
} finally {
  await receiver.close();
  await environment.close();
}
