// Bench 2: the design's gain. The same wizard step sent as an Update (the order workflow answers
// it) against the old way: a signal, then polling a query until the step's result shows up, on a
// bench-only twin of the workflow (bench/workflows/signal-order.ts) that does the same work per step.
//
//   npx tsx bench/update-vs-signal.ts [--quick] [--rounds N] [--steps-per-round N]
//
// Both run from the same Temporal client on orders in the very same state, served by one worker
// process. Polling is measured at two intervals: back-to-back (the old way's best latency, paid for
// with a query stream) and every 100 ms (what a page polling its API typically does).
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { orderWorkflowId } from '../domain/order.js';
import { submitStepUpdate } from '../workflows/definitions.js';
import { BENCH_OPTIONS, bundleWorkflows, intArg, ROOT, startEnvironment } from './support/environment.js';
import { orderState, type WizardUser, wizardUsers } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, type Percentiles, printResult, ratio, sleep, table, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';
import { signalOrderWorkflow, stepResultQuery, submitStepSignal } from './workflows/signal-order.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, rounds: { type: 'string' }, 'steps-per-round': { type: 'string' } }, strict: true });
const quick = args.quick;
const rounds = intArg('rounds', args.rounds, quick ? 2 : 8);
const stepsPerRound = intArg('steps-per-round', args['steps-per-round'], quick ? 5 : 15);
const WARM_UP_STEPS = 2;
const POLL_INTERVALS_MS = [0, 100] as const;
const TARGET_RATIO = 0.85;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  const benchBundle = await bundleWorkflows(path.join(ROOT, 'bench/workflows/index.ts'), path.join(environment.scratch, 'bench-workflow-bundle.js'));
  const service = await startDeployment(environment, {
    benchWorkflowBundlePath: benchBundle,
    env: { EMAIL_RATE_PER_SECOND: '50' },
  });
  try {
    // A fresh order (and twin) each round: Temporal keeps a record of every Update an execution
    // received, so an order with hundreds of steps behind it answers slower than a real one.
    const users = await wizardUsers(service.baseUrl, environment.client, rounds);
    interface Pair {
      user: WizardUser;
      twin: WorkflowHandle<typeof signalOrderWorkflow>;
    }
    /** The order and its twin, started from the order's very state under an order id of its own. */
    const pairFor = async (user: WizardUser): Promise<Pair> => {
      const state = await orderState(environment.client, user.orderId);
      const twinId = `${user.orderId}-SIG`;
      const twin = await environment.client.workflow.start(signalOrderWorkflow, {
        workflowId: `bench-signal-${twinId}`,
        taskQueue: `${service.taskQueue}-bench`,
        args: [{ ...state, orderId: twinId, order: { ...state.order, orderId: twinId } }],
      });
      return { user, twin };
    };

    const viaUpdate = async ({ user }: Pair) => {
      const handle = environment.client.workflow.getHandle(orderWorkflowId(user.orderId));
      const started = performance.now();
      await handle.executeUpdate(submitStepUpdate, { args: [user.stepRequest] });
      return { ms: performance.now() - started, queries: 0 };
    };
    const viaSignal = (pollMs: number) => async ({ user, twin }: Pair) => {
      const requestId = randomUUID();
      const started = performance.now();
      await twin.signal(submitStepSignal, { requestId, request: user.stepRequest });
      for (let queries = 1; ; queries += 1) {
        const result = await twin.query(stepResultQuery, requestId);
        if (result) {
          if (!result.ok) throw new Error(`the twin refused the step: ${result.refusal.kind}`);
          return { ms: performance.now() - started, queries };
        }
        if (pollMs > 0) await sleep(pollMs);
      }
    };

    const ways = [
      { name: 'Update (executeUpdate)', send: viaUpdate },
      ...POLL_INTERVALS_MS.map((pollMs) => ({ name: pollMs === 0 ? 'signal + query polled back-to-back' : `signal + query polled every ${pollMs} ms`, send: viaSignal(pollMs) })),
    ];
    const samples = new Map(ways.map((way) => [way.name, { latencies: [] as number[], queries: 0 }]));
    const run = async (way: (typeof ways)[number], pair: Pair, steps: number, keep: boolean) => {
      for (let i = 0; i < steps; i += 1) {
        const { ms, queries } = await way.send(pair);
        if (keep) {
          samples.get(way.name)!.latencies.push(ms);
          samples.get(way.name)!.queries += queries;
        }
      }
    };
    for (let round = 0; round < rounds; round += 1) {
      const pair = await pairFor(users[round]!);
      for (const way of ways) await run(way, pair, WARM_UP_STEPS, false);
      // Each round visits the ways in a rotated order, so a drift in the machine's load hits all alike.
      for (let i = 0; i < ways.length; i += 1) await run(ways[(round + i) % ways.length]!, pair, stepsPerRound, true);
    }

    const stats = new Map<string, Percentiles & { queriesPerStep: number }>();
    for (const [name, { latencies, queries }] of samples) stats.set(name, { ...percentiles(latencies), queriesPerStep: Math.round((queries / latencies.length) * 10) / 10 });
    const update = stats.get(ways[0]!.name)!;
    const headlines: Headline[] = ways.slice(1).map((way) => {
      const old = stats.get(way.name)!;
      return {
        figure: `Update p50 vs ${way.name}`,
        value: update.p50,
        unit: 'ms',
        baseline: { figure: `${way.name.replace('signal + query polled ', 'polled ')} p50`, value: old.p50 },
        ratio: ratio(update.p50, old.p50),
        target: `≤ ${TARGET_RATIO}×`,
        met: update.p50 / old.p50 <= TARGET_RATIO,
      };
    });
    const result: BenchResult = {
      bench: 'update-vs-signal',
      title: 'Update vs signal + polling query (the same step)',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { users: 1, rounds, stepsPerRound, warmUpSteps: WARM_UP_STEPS, pollIntervalsMs: POLL_INTERVALS_MS, step: 'subscription (service setup section, re-saved)' },
      headlines,
      details: { latencyMs: Object.fromEntries(stats) },
      notes: [
        'The signal twin applies the same reducer (workflows/wizard.ts) and the same projection (a local activity) per step as the order workflow.',
        'Back-to-back polling is the old way at its fastest; each poll is a query the worker must answer, which a real page would multiply by its visitors.',
      ],
    };
    printResult(result, [
      {
        title: 'Latency (ms) of one step, sent and answered',
        body: table(
          ['way', 'n', 'p50', 'p90', 'p99', 'max', 'queries/step', 'p50 vs Update'],
          ways.map((way) => {
            const s = stats.get(way.name)!;
            return [way.name, s.count, s.p50, s.p90, s.p99, s.max, s.queriesPerStep, `${ratio(s.p50, update.p50)}×`];
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
