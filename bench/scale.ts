// Bench 4: how far one worker and the dev server go. Orders are started directly with the Temporal
// client (as intake starts them, without the HTTP round trip) with a start date years away, so each
// is recorded and then sleeps on its timer. At each checkpoint the bench waits until every order is
// recorded, then reads the worker's and the server's resident memory and CPU time.
//
//   npx tsx bench/scale.ts [--quick] [--orders N] [--budget-seconds N] [--concurrency N] [--max-cached-workflows N] [--temporal-state file|memory]
//
// The dev server keeps its state in a SQLite file, as `npm start` runs it. When the time budget runs
// out before --orders, the bench stops at the last checkpoint it reached and says so.
import { parseArgs } from 'node:util';
import { count } from 'drizzle-orm';
import { orders } from '../db/schema/index.js';
import { BENCH_OPTIONS, cpuMs, intArg, rssMiB, startEnvironment } from './support/environment.js';
import { BENCH_START_DATE, benchOrder, startOrderDirectly } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, printResult, ratio, round, sleep, table, writeResult } from './support/report.js';
import { startService } from './support/service.js';

const { values: args } = parseArgs({
  options: {
    ...BENCH_OPTIONS,
    orders: { type: 'string' },
    'budget-seconds': { type: 'string' },
    'max-cached-workflows': { type: 'string' },
    concurrency: { type: 'string' },
    'temporal-state': { type: 'string', default: 'file' },
  },
  strict: true,
});
const quick = args.quick;
const target = intArg('orders', args.orders, quick ? 1_000 : 50_000);
const budgetSeconds = intArg('budget-seconds', args['budget-seconds'], quick ? 90 : 360);
const concurrency = intArg('concurrency', args.concurrency, 32);
/**
 * The worker's sticky cache (WORKER_MAX_CACHED_WORKFLOWS). A sleeping order needs no cache: it wakes
 * days later and is replayed. 1 000 leaves room for as many people in the wizard at once, and is
 * reached early enough in the run to see what memory does past it.
 */
const maxCachedWorkflows = intArg('max-cached-workflows', args['max-cached-workflows'], quick ? 250 : 1_000);
const temporalState = args['temporal-state'];
if (temporalState !== 'file' && temporalState !== 'memory') throw new Error(`--temporal-state must be file or memory (got "${temporalState}")`);
/** Roughly geometric, so the curve shows whatever count the budget allows: 1k, 2.5k, 5k, 10k, 25k, 50k of 50k. */
const CHECKPOINTS = [...new Set([0, 0.02, 0.05, 0.1, 0.2, 0.5, 1].map((share) => Math.round(share * target)))];
/** Memory counts as flat when the last checkpoint is within this factor of the baseline (at half the orders or fewer). */
const FLAT_FACTOR = 1.15;
/** Orders started but not yet recorded, at most: about 10 s of the worker's work. */
const MAX_AHEAD = 200;

/** @temporalio/worker 1.24 (lib/worker-options.js), reuseV8Context on: the cache size it picks when none is set. */
function sdkDefaultCacheSize(heapMiB: number): number {
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}

interface Checkpoint {
  orders: number;
  /** Seconds from the previous checkpoint until every order up to this one was recorded. */
  segmentSeconds: number;
  ordersPerSecond: number | null;
  workerRssMiB: number | undefined;
  workerHeapUsedMiB: number;
  /** Memory of the main thread's C++ objects bound to JS (buffers): the SDK's payloads pass through it. */
  workerExternalMiB: number;
  serverRssMiB: number | undefined;
  /**
   * Median RSS over the segment, sampled every second while orders were created: a single reading
   * lands anywhere in a garbage collector's cycle (V8 in the workflow threads, Go in the dev server).
   */
  workerRssMedianMiB: number | undefined;
  serverRssMedianMiB: number | undefined;
  /** CPU time per order of the segment: what bounds the rate on a machine of this many cores. */
  workerCpuMsPerOrder: number | null;
  serverCpuMsPerOrder: number | null;
}

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'], temporalDbFile: temporalState === 'file' });
try {
  const worker = await startService(environment, {
    role: 'worker',
    workflowBundlePath: environment.workflowBundlePath,
    env: { WORKER_MAX_CACHED_WORKFLOWS: String(maxCachedWorkflows) },
  });
  try {
    const recordedOrders = async () => (await environment.database.db.select({ n: count() }).from(orders))[0]!.n;
    const deadline = Date.now() + budgetSeconds * 1000;
    const startAt = new Date(`${BENCH_START_DATE}T09:00:00Z`);
    const checkpoints: Checkpoint[] = [];
    let cpuBefore = { worker: await worker.cpuMs(), server: await cpuMs(environment.temporalPid) };
    const perOrder = (after: number | undefined, before: number | undefined, orderCount: number) =>
      after === undefined || before === undefined || orderCount === 0 ? null : round((after - before) / orderCount, 1);

    const median = (values: number[]) => (values.length ? round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!, 1) : undefined);
    const sample = async (ordersSoFar: number, segmentSeconds: number, segmentOrders: number, during: { worker: number[]; server: number[] } = { worker: [], server: [] }) => {
      const cpuAfter = { worker: await worker.cpuMs(), server: await cpuMs(environment.temporalPid) };
      // A moment for timers and garbage collection to settle, as between two real intake bursts.
      await sleep(quick ? 1_000 : 3_000);
      const usage = await worker.memoryUsage();
      const checkpoint: Checkpoint = {
        orders: ordersSoFar,
        segmentSeconds: round(segmentSeconds, 1),
        ordersPerSecond: segmentOrders > 0 ? round(segmentOrders / segmentSeconds, 1) : null,
        workerRssMiB: await worker.rssMiB(),
        workerHeapUsedMiB: round(usage.heapUsed / 2 ** 20, 1),
        workerExternalMiB: round(usage.external / 2 ** 20, 1),
        serverRssMiB: await rssMiB(environment.temporalPid),
        workerRssMedianMiB: median(during.worker),
        serverRssMedianMiB: median(during.server),
        workerCpuMsPerOrder: perOrder(cpuAfter.worker, cpuBefore.worker, segmentOrders),
        serverCpuMsPerOrder: perOrder(cpuAfter.server, cpuBefore.server, segmentOrders),
      };
      cpuBefore = { worker: await worker.cpuMs(), server: await cpuMs(environment.temporalPid) };
      checkpoints.push(checkpoint);
      console.error(`[bench] ${ordersSoFar} sleeping orders: worker ${checkpoint.workerRssMiB} MiB, server ${checkpoint.serverRssMiB} MiB`);
      return usage;
    };

    const firstUsage = await sample(0, 0, 0);
    let started = 0;
    let budgetExhausted = false;
    const creationStarted = Date.now();
    for (const checkpoint of CHECKPOINTS.slice(1)) {
      if (Date.now() >= deadline) {
        budgetExhausted = true;
        break;
      }
      const segmentStarted = Date.now();
      const segmentFirst = started;
      // Starts stay at most MAX_AHEAD orders ahead of the worker, so the rate is the end-to-end one
      // and the budget holds: no backlog is left to wait for when time is up.
      let recorded = await recordedOrders();
      let creating = true;
      const watcher = (async () => {
        while (creating) {
          await sleep(250);
          recorded = await recordedOrders();
        }
      })();
      const during = { worker: [] as number[], server: [] as number[] };
      const memorySampler = (async () => {
        while (creating) {
          await sleep(1_000);
          const [workerRss, serverRss] = [await worker.rssMiB(), await rssMiB(environment.temporalPid)];
          if (workerRss !== undefined) during.worker.push(workerRss);
          if (serverRss !== undefined) during.server.push(serverRss);
        }
      })();
      const lanes = Array.from({ length: concurrency }, async () => {
        while (started < checkpoint && Date.now() < deadline) {
          if (started - recorded >= MAX_AHEAD) {
            await sleep(50);
            continue;
          }
          started += 1;
          await startOrderDirectly(environment.client, worker.taskQueue, benchOrder(), startAt);
        }
      });
      await Promise.all(lanes);
      creating = false;
      await Promise.all([watcher, memorySampler]);
      // Recorded by the worker: its activity ran, its workflow sleeps on the timer.
      while ((await recordedOrders()) < started) await sleep(250);
      await sample(started, (Date.now() - segmentStarted) / 1000, started - segmentFirst, during);
      if (started < checkpoint) {
        budgetExhausted = true;
        break;
      }
    }
    const creationSeconds = round((Date.now() - creationStarted) / 1000, 1);

    const heapMiB = firstUsage.heapSizeLimit / 2 ** 20;
    // Until the sticky cache is full, each new order adds a cached workflow: flat means flat past that.
    // Memory that grows with the orders grows when they double, so the baseline is the checkpoint at
    // half the orders of the last (or the nearest below), once the cache has turned over at least
    // once (twice its size). Every checkpoint is in the table.
    const last = checkpoints.at(-1)!;
    const baseline = checkpoints.findLast((c) => c.orders >= 2 * maxCachedWorkflows && c.orders <= last.orders / 2);
    const headlines: Headline[] = [];
    if (baseline && last !== baseline) {
      for (const [name, key] of [
        ['worker', 'workerRssMedianMiB'],
        ['dev server', 'serverRssMedianMiB'],
      ] as const) {
        const [from, to] = [baseline[key], last[key]];
        if (from === undefined || to === undefined) continue;
        headlines.push({
          figure: `${name} RSS (segment median) up to ${last.orders} sleeping orders`,
          value: to,
          unit: 'MiB',
          baseline: { figure: `at ${baseline.orders}`, value: from },
          ratio: ratio(to, from),
          target: `flat (≤ ${FLAT_FACTOR}× while the orders double or more)`,
          met: to / from <= FLAT_FACTOR,
        });
      }
    }
    // A segment the budget cut short is too small to compare rates with.
    const whole = checkpoints.filter((c) => c.orders > 0 && CHECKPOINTS.includes(c.orders));
    if (whole.length > 1) {
      const [firstRate, lastRate] = [whole[0]!.ordersPerSecond ?? 0, whole.at(-1)!.ordersPerSecond ?? 0];
      headlines.push({
        figure: `orders created and recorded/s, up to ${whole.at(-1)!.orders}`,
        value: lastRate,
        unit: '/s',
        baseline: { figure: `up to ${whole[0]!.orders}`, value: firstRate },
        ratio: ratio(lastRate, firstRate),
        target: 'no slow-down (≥ 0.8×)',
        met: lastRate / firstRate >= 0.8,
      });
    }
    headlines.push({ figure: 'sleeping orders reached', value: last.orders, unit: '', target: `${target}`, met: last.orders >= target });

    const cpuPerOrder = (key: 'workerCpuMsPerOrder' | 'serverCpuMsPerOrder') => {
      const segments = checkpoints.filter((c) => c[key] !== null && c.orders > 0);
      const weighted = segments.reduce((sum, c, i) => sum + c[key]! * (c.orders - (i === 0 ? 0 : segments[i - 1]!.orders)), 0);
      return segments.length ? round(weighted / last.orders, 1) : null;
    };
    const [workerCpu, serverCpu] = [cpuPerOrder('workerCpuMsPerOrder'), cpuPerOrder('serverCpuMsPerOrder')];
    const notes = [
      `Sticky cache: WORKER_MAX_CACHED_WORKFLOWS=${maxCachedWorkflows} (the SDK's default for this heap limit of ${Math.round(heapMiB)} MiB would be ${sdkDefaultCacheSize(heapMiB)}); memory grows until the cache is full, then a sleeping order past that is evicted and replayed from history when its timer fires.`,
      `Created ${last.orders} orders in ${creationSeconds} s with up to ${concurrency} starts in flight and at most ${MAX_AHEAD} not yet recorded.`,
      `CPU per order: worker ${workerCpu ?? 'n/a'} ms, dev server ${serverCpu ?? 'n/a'} ms: on ${machine.cpus} cores that bounds creation near ${workerCpu && serverCpu ? Math.round((machine.cpus * 1000) / (workerCpu + serverCpu)) : 'n/a'} orders/s with nothing else running.`,
    ];
    if (!baseline) notes.push(`No checkpoint between twice the sticky cache size (${2 * maxCachedWorkflows}) and half the orders reached: memory is not compared.`);
    if (budgetExhausted) notes.push(`The ${budgetSeconds} s budget ran out at ${last.orders} of ${target} orders: the figures stop there.`);
    const result: BenchResult = {
      bench: 'scale',
      title: 'Scale: sleeping orders on one worker and the dev server',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: {
        targetOrders: target,
        budgetSeconds,
        concurrency,
        checkpoints: CHECKPOINTS,
        maxCachedWorkflows,
        heapSizeLimitMiB: Math.round(heapMiB),
        temporalState: temporalState === 'file' ? 'SQLite file' : 'in memory',
      },
      headlines,
      details: { checkpoints, creationSeconds, budgetExhausted, cpuMsPerOrder: { worker: workerCpu, server: serverCpu } },
      notes,
    };
    printResult(result, [
      {
        title: 'Checkpoints',
        body: table(
          ['sleeping orders', 'segment s', 'orders/s', 'worker RSS MiB: median / at end', 'worker heap MiB', 'worker external MiB', 'server RSS MiB: median / at end', 'worker CPU ms/order', 'server CPU ms/order'],
          checkpoints.map((c) => [
            c.orders,
            c.segmentSeconds,
            c.ordersPerSecond ?? '',
            `${c.workerRssMedianMiB ?? '–'} / ${c.workerRssMiB ?? 'n/a'}`,
            c.workerHeapUsedMiB,
            c.workerExternalMiB,
            `${c.serverRssMedianMiB ?? '–'} / ${c.serverRssMiB ?? 'n/a'}`,
            c.workerCpuMsPerOrder ?? '',
            c.serverCpuMsPerOrder ?? '',
          ]),
        ),
      },
    ]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await worker.stop();
  }
} finally {
  await environment.close();
}
