// Bench 5: a timer burst. 1 000 orders share one start moment; when it comes, every order's timer
// fires at once and each sends its setup email through the rate-limited email task queue to the
// Resend stand-in (simulator/stand-ins/resend.ts), the real Resend SDK talking to it over HTTP.
//
//   npx tsx bench/timer-burst.ts [--quick] [--orders N] [--rate N] [--lead-seconds N]
//
// At the production rate (2/s) 1 000 emails take 500 s, so both the worker's limit and the stand-in's
// run at --rate (20/s). The n-th email cannot leave before n/rate seconds: that floor is the
// baseline, and lateness is reported over it.
import { parseArgs } from 'node:util';
import { startResendStandIn } from '../simulator/stand-ins/resend.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { startOrdersAtOneMoment } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, percentilesTable, printResult, ratio, round, sleep, waitFor, writeResult } from './support/report.js';
import { startService } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' }, rate: { type: 'string' }, 'lead-seconds': { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 100 : 1_000);
const rate = intArg('rate', args.rate, 20);
const leadSeconds = intArg('lead-seconds', args['lead-seconds'], quick ? 30 : 90);
const TARGET_P99_OVER_FLOOR_MS = 10_000;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
const standIn = await startResendStandIn({ ratePerSecond: rate });
try {
  const worker = await startService(environment, {
    role: 'worker',
    workflowBundlePath: environment.workflowBundlePath,
    env: { RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: String(rate) },
  });
  try {
    const { moment, creationSeconds } = await startOrdersAtOneMoment(environment, worker.taskQueue, { orderCount, leadSeconds });
    if (standIn.requests.length > 0) throw new Error('emails went before the start moment');
    console.error(`[bench] ${orderCount} orders created in ${creationSeconds} s; waiting for ${moment.toISOString()}`);

    const floorSeconds = orderCount / rate;
    await waitFor('every setup email delivered', async () => (standIn.deliveries().length >= orderCount ? true : undefined), {
      timeoutMs: Math.max(0, moment.getTime() - Date.now()) + (3 * floorSeconds + 120) * 1000,
      intervalMs: 250,
    });
    await sleep(2_000); // anything late (a duplicate, a retry) would show up now

    const deliveries = standIn.deliveries().sort((a, b) => a.at.getTime() - b.at.getTime());
    const lateness = deliveries.map((d) => d.at.getTime() - moment.getTime());
    // The n-th email (from 0) cannot leave before n / rate seconds after the moment.
    const overFloor = lateness.map((ms, n) => ms - (n * 1000) / rate);
    const latenessStats = percentiles(lateness);
    const overFloorStats = percentiles(overFloor);
    const drainSeconds = round(lateness.at(-1)! / 1000, 1);
    const keys = new Set(deliveries.map((d) => d.idempotencyKey));
    const duplicates = standIn.duplicates().length + (deliveries.length - keys.size);
    const rateLimited = standIn.rateLimited();

    const headlines: Headline[] = [
      {
        figure: 'last email after the moment',
        value: drainSeconds,
        unit: 's',
        baseline: { figure: `floor ${orderCount}/${rate} per s`, value: floorSeconds },
        ratio: ratio(drainSeconds, floorSeconds),
        target: `≤ floor + ${TARGET_P99_OVER_FLOOR_MS / 1000} s`,
        met: drainSeconds <= floorSeconds + TARGET_P99_OVER_FLOOR_MS / 1000,
      },
      {
        figure: 'lateness over the floor, p99',
        value: round(overFloorStats.p99 / 1000, 2),
        unit: 's',
        target: `≤ ${TARGET_P99_OVER_FLOOR_MS / 1000} s`,
        met: overFloorStats.p99 <= TARGET_P99_OVER_FLOOR_MS,
      },
      { figure: 'emails delivered', value: deliveries.length, unit: '', target: `${orderCount}`, met: deliveries.length === orderCount },
      { figure: 'duplicate emails', value: duplicates, unit: '', target: '0', met: duplicates === 0 },
      { figure: '429 from the stand-in', value: rateLimited, unit: '', target: '0', met: rateLimited === 0 },
    ];
    const result: BenchResult = {
      bench: 'timer-burst',
      title: 'Timer burst: orders sharing one start moment, emails through the rate limit',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { orders: orderCount, ratePerSecond: rate, leadSeconds, productionRatePerSecond: 2 },
      headlines,
      details: {
        creationSeconds,
        latenessMs: latenessStats,
        latenessOverFloorMs: overFloorStats,
        drainSeconds,
        floorSeconds,
        requests: standIn.requests.length,
        firstEmailAfterMs: lateness[0],
      },
      notes: [
        `Worker and stand-in both at ${rate}/s (the worker's maxTaskQueueActivitiesPerSecond, the stand-in's token bucket); production runs at 2/s, where the same burst drains in ${orderCount / 2} s.`,
        'Before its email each order runs one workflow task, which records the event (a local activity) and schedules the email; the first email waits until the burst of those tasks, queued ahead of it, is through.',
      ],
    };
    printResult(result, [
      {
        title: 'Email lateness after the start moment (ms)',
        body: percentilesTable('measure', [
          ['lateness', latenessStats],
          ['lateness − floor (n/rate)', overFloorStats],
        ]),
      },
    ]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await worker.stop();
  }
} finally {
  await standIn.close();
  await environment.close();
}
