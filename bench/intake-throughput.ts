// Bench 3: intake throughput. Signed orders posted for 60 s by autocannon (each request a new order,
// signed as the commerce system signs it), against two baselines of the same run: the same number of
// callers starting order workflows directly with the Temporal client (what intake costs without the
// API), and `GET /healthz` on the same API process (the bare HTTP ceiling).
//
//   npx tsx bench/intake-throughput.ts [--quick] [--seconds N] [--connections N]
//
// Every accepted order starts its workflow, whose worker records it and puts it to sleep until its
// start date: the worker's share of the work runs during the measurement, as it would in production.
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { count } from 'drizzle-orm';
import { orders } from '../db/schema/index.js';
import { BENCH_OPTIONS, cpuMs, intArg, rssMiB, startEnvironment } from './support/environment.js';
import { BENCH_START_DATE, benchOrder, signedIntake, startOrderDirectly } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, table, waitFor, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, seconds: { type: 'string' }, connections: { type: 'string' } }, strict: true });
const quick = args.quick;
const seconds = intArg('seconds', args.seconds, quick ? 8 : 60);
const connections = intArg('connections', args.connections, 4);
const BASELINE_SECONDS = quick ? 3 : 10;
const HEALTHZ_SECONDS = quick ? 2 : 5;
const TARGET_PER_SECOND = 50;
const TARGET_P99_MS = 100;

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failures: number;
  statusCodes: Record<string, number>;
}

async function load(options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon(options);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));
  const requests = result['2xx'] + result.non2xx;
  const { p50, p90, p99, max } = result.latency;
  return { requests, perSecond: round(requests / result.duration, 1), p50, p90, p99, max, failures: result.errors + result.timeouts + result.non2xx, statusCodes };
}

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  const service = await startDeployment(environment);
  try {
    const recordedOrders = async () => (await environment.database.db.select({ n: count() }).from(orders))[0]!.n;
    /** Waits until the worker has recorded `expected` orders; seconds it took. */
    const drained = async (expected: number) => {
      const began = Date.now();
      await waitFor('the worker to record every order', async () => ((await recordedOrders()) >= expected ? true : undefined), { timeoutMs: 600_000, intervalMs: 250 });
      return round((Date.now() - began) / 1000, 1);
    };
    const cpu = async () => ({ api: await service.api.cpuMs(), worker: await service.worker.cpuMs(), server: await cpuMs(environment.temporalPid) });

    const healthz = await load({ url: `${service.baseUrl}/healthz`, connections, duration: HEALTHZ_SECONDS });

    // Baseline: as many callers starting the same workflows straight through the Temporal client.
    const directLatencies: number[] = [];
    const directEnds = Date.now() + BASELINE_SECONDS * 1000;
    const directBegan = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < directEnds) {
          const began = performance.now();
          await startOrderDirectly(environment.client, service.taskQueue, benchOrder(), new Date(`${BENCH_START_DATE}T09:00:00Z`));
          directLatencies.push(performance.now() - began);
        }
      }),
    );
    const direct = { ...percentiles(directLatencies), perSecond: round(directLatencies.length / ((performance.now() - directBegan) / 1000), 1) };
    await drained(directLatencies.length);

    const memoryBefore = { api: await service.api.rssMiB(), worker: await service.worker.rssMiB(), temporal: await rssMiB(environment.temporalPid) };
    const cpuBefore = await cpu();
    const intake = await load({
      url: `${service.baseUrl}/api/orders`,
      connections,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          // A new order per request, signed the moment it is sent.
          setupRequest: (request) => ({ ...request, ...signedIntake(benchOrder()) }),
        },
      ],
    });
    const cpuAtLoadEnd = await cpu();
    const memoryAfter = { api: await service.api.rssMiB(), worker: await service.worker.rssMiB(), temporal: await rssMiB(environment.temporalPid) };
    const accepted = intake.statusCodes['201'] ?? 0;
    // The worker's share: every accepted order recorded, and how long that took after the load stopped.
    const workerBacklogSeconds = await drained(directLatencies.length + accepted);
    const cpuAfter = await cpu();
    const perOrder = (after: number | undefined, before: number | undefined) =>
      after === undefined || before === undefined || accepted === 0 ? null : round((after - before) / accepted, 1);
    const cpuMsPerOrder = {
      api: perOrder(cpuAtLoadEnd.api, cpuBefore.api),
      worker: perOrder(cpuAfter.worker, cpuBefore.worker),
      server: perOrder(cpuAfter.server, cpuBefore.server),
    };

    // What the whole service sustains: accepted orders over the time until the last one was recorded.
    const recordedPerSecond = round(accepted / (seconds + workerBacklogSeconds), 1);
    const headlines: Headline[] = [
      {
        figure: 'signed orders/s over HTTP',
        value: intake.perSecond,
        unit: '/s',
        baseline: { figure: 'direct workflow starts/s', value: direct.perSecond },
        ratio: ratio(intake.perSecond, direct.perSecond),
        target: `≥ ${TARGET_PER_SECOND}/s`,
        met: intake.perSecond >= TARGET_PER_SECOND,
      },
      {
        figure: 'intake p99',
        value: intake.p99,
        unit: 'ms',
        baseline: { figure: 'direct start p99', value: direct.p99 },
        ratio: ratio(intake.p99, direct.p99),
        target: `≤ ${TARGET_P99_MS} ms`,
        met: intake.p99 <= TARGET_P99_MS,
      },
      {
        figure: 'orders recorded by the worker/s, end to end',
        value: recordedPerSecond,
        unit: '/s',
        baseline: { figure: 'accepted/s', value: intake.perSecond },
        ratio: ratio(recordedPerSecond, intake.perSecond),
        target: `≥ ${TARGET_PER_SECOND}/s`,
        met: recordedPerSecond >= TARGET_PER_SECOND,
      },
      { figure: 'intake errors (incl. non-2xx)', value: intake.failures, unit: '', target: '0', met: intake.failures === 0 },
    ];
    const result: BenchResult = {
      bench: 'intake-throughput',
      title: 'Intake throughput: signed orders for a sustained run',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: {
        seconds,
        baselineSeconds: BASELINE_SECONDS,
        healthzSeconds: HEALTHZ_SECONDS,
        connections,
        processes: 'API and worker apart, as docker-compose.yml runs them; request logging at info',
      },
      headlines,
      details: { intake, direct, healthz, acceptedOrders: accepted, workerBacklogSeconds, recordedPerSecond, cpuMsPerOrder, rssMiB: { before: memoryBefore, after: memoryAfter } },
      notes: [
        `autocannon keeps ${connections} connections busy (a closed loop): the rate is the most the service took, the latency what each order waited at that rate.`,
        `CPU per accepted order: API ${cpuMsPerOrder.api ?? 'n/a'} ms, worker ${cpuMsPerOrder.worker ?? 'n/a'} ms, dev server ${cpuMsPerOrder.server ?? 'n/a'} ms (worker and server until the backlog was recorded).`,
        `The worker recorded the last accepted order ${workerBacklogSeconds} s after the load stopped.`,
      ],
    };
    printResult(result, [
      {
        title: 'Load (latency in ms)',
        body: table(
          ['request', 'seconds', 'requests', 'per second', 'p50', 'p90', 'p99', 'max', 'failures'],
          [
            ['GET /healthz', HEALTHZ_SECONDS, healthz.requests, healthz.perSecond, healthz.p50, healthz.p90, healthz.p99, healthz.max, healthz.failures],
            ['direct workflow start (client)', BASELINE_SECONDS, direct.count, direct.perSecond, direct.p50, direct.p90, direct.p99, direct.max, 0],
            ['POST /api/orders (signed)', seconds, intake.requests, intake.perSecond, intake.p50, intake.p90, intake.p99, intake.max, intake.failures],
          ],
        ),
      },
      {
        title: 'Per process: CPU per accepted order, memory (RSS) before and after the intake run',
        body: table(
          ['process', 'CPU ms/order', 'RSS before MiB', 'RSS after MiB'],
          (['api', 'worker', 'server'] as const).map((name) => {
            const rss = name === 'server' ? 'temporal' : name;
            return [name === 'server' ? 'dev server' : name, cpuMsPerOrder[name] ?? 'n/a', memoryBefore[rss] ?? 'n/a', memoryAfter[rss] ?? 'n/a'];
          }),
        ),
      },
    ]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await environment.close();
}
