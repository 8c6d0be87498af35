// Bench 6: worker cold start. A fresh worker process with the prebuilt workflow bundle (what
// `npm run build` makes and a deployment starts from) against one that bundles workflows/ itself at
// start, in the same run: from the process's start until it polls, and until it has done the first
// piece of work (an order that was waiting in its task queue, recorded in the read model).
//
//   npx tsx bench/cold-start.ts [--quick] [--repeats N]
//
// The worker runs from TypeScript through tsx here, as `npm run start:worker` does; the compiled
// `node dist/worker.js` of a deployment skips that transpiling.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { orders } from '../db/schema/index.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { BENCH_START_DATE, benchOrder, startOrderDirectly } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, table, waitFor, writeResult } from './support/report.js';
import { startService } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, repeats: { type: 'string' } }, strict: true });
const quick = args.quick;
const repeats = intArg('repeats', args.repeats, quick ? 1 : 3);
const TARGET_SECONDS = 3;
const MODES = ['prebuilt bundle', 'bundling at start'] as const;
type Mode = (typeof MODES)[number];

interface Start {
  mode: Mode;
  /** fork() → the worker polls, by the bench's clock. */
  readyMs: number;
  /** fork() → the order waiting in the queue is recorded. */
  firstWorkMs: number;
  /** The worker's own clock: milliseconds since its process started at each phase. */
  phases: Record<string, number>;
}

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  const starts: Start[] = [];
  // Alternating modes, so a drift in the machine's load hits both alike.
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    for (const mode of repeat % 2 === 0 ? MODES : [...MODES].reverse()) {
      const taskQueue = `bench-cold-${repeat}-${mode === 'prebuilt bundle' ? 'prebuilt' : 'bundling'}-${Date.now()}`;
      const order = benchOrder();
      await startOrderDirectly(environment.client, taskQueue, order, new Date(`${BENCH_START_DATE}T09:00:00Z`));
      const forkedAt = performance.now();
      const worker = await startService(environment, {
        role: 'worker',
        taskQueue,
        ...(mode === 'prebuilt bundle' ? { workflowBundlePath: environment.workflowBundlePath } : {}),
      });
      try {
        await waitFor(
          'the first order recorded',
          async () => ((await environment.database.db.select({ id: orders.orderId }).from(orders).where(eq(orders.orderId, order.orderId))).length ? true : undefined),
          { timeoutMs: 60_000, intervalMs: 10 },
        );
        starts.push({ mode, readyMs: worker.readyAfterMs, firstWorkMs: Math.round(performance.now() - forkedAt), phases: worker.phases });
        console.error(`[bench] ${mode}: ready after ${worker.readyAfterMs} ms`);
      } finally {
        await worker.stop();
      }
    }
  }

  const summarise = (mode: Mode) => {
    const runs = starts.filter((s) => s.mode === mode);
    const median = (phase: string) => percentiles(runs.map((r) => r.phases[phase] ?? NaN)).p50;
    return {
      ready: percentiles(runs.map((r) => r.readyMs)),
      firstWork: percentiles(runs.map((r) => r.firstWorkMs)),
      medianPhasesMs: { modulesLoaded: median('modulesLoaded'), databaseOpened: median('databaseOpened'), temporalConnected: median('temporalConnected'), workersCreated: median('workersCreated') },
    };
  };
  const summary = { 'prebuilt bundle': summarise('prebuilt bundle'), 'bundling at start': summarise('bundling at start') };
  const prebuilt = summary['prebuilt bundle'];
  const bundling = summary['bundling at start'];
  const headlines: Headline[] = [
    {
      figure: 'cold start to polling, prebuilt bundle (median)',
      value: round(prebuilt.ready.p50 / 1000, 2),
      unit: 's',
      baseline: { figure: 'bundling at start', value: round(bundling.ready.p50 / 1000, 2) },
      ratio: ratio(prebuilt.ready.p50, bundling.ready.p50),
      target: `≤ ${TARGET_SECONDS} s`,
      met: prebuilt.ready.p50 <= TARGET_SECONDS * 1000,
    },
  ];
  const result: BenchResult = {
    bench: 'cold-start',
    title: 'Worker cold start: prebuilt bundle vs bundling at start',
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    settings: { repeats, runtime: 'node --import tsx (TypeScript transpiled at load)' },
    headlines,
    details: { summary, starts },
    notes: [
      'Cold start is until the worker polls. Phases are read by the worker from its own start (performance.now()): Node, tsx and every import, then the database, the Temporal connection, and Worker.create (which bundles when no bundle is given).',
      `The first order waiting in the queue was recorded ${round(prebuilt.firstWork.p50 / 1000, 2)} s after the start with the prebuilt bundle (${round(bundling.firstWork.p50 / 1000, 2)} s bundling): its first workflow task also creates the workflow's context.`,
    ],
  };
  printResult(result, [
    {
      title: 'Cold start (ms from the process start; medians)',
      body: table(
        ['mode', 'runs', 'modules loaded', 'database', 'Temporal', 'workers created', 'polling (fork→ready)', 'first order recorded'],
        MODES.map((mode) => {
          const s = summary[mode];
          return [mode, s.ready.count, s.medianPhasesMs.modulesLoaded, s.medianPhasesMs.databaseOpened, s.medianPhasesMs.temporalConnected, s.medianPhasesMs.workersCreated, s.ready.p50, s.firstWork.p50];
        }),
      ),
    },
  ]);
  console.log(`\nwrote ${await writeResult(result, { quick })}`);
} finally {
  await environment.close();
}
