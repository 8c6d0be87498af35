// Bench: a wizard step against the physical floor. The floor is a no-op Update on a trivial
// workflow (bench/workflows/floor.ts) served by the same worker process on the same dev server; the
// step is sent as a raw executeUpdate and over HTTP (1 user). Reports p50s, the ratios, the worker's
// CPU per step, and what a step adds to the order's history: events, bytes, and the Update's answer
// (WizardState) against the whole OrderState earlier releases answered with.
//
//   npx tsx bench/update-floor.ts [--quick] [--rounds N] [--steps-per-round N]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import protoPkg from '@temporalio/proto';
import { orderWorkflowId } from '../domain/order.js';
import { getStateQuery, submitStepUpdate } from '../workflows/definitions.js';
import { BENCH_OPTIONS, bundleWorkflows, intArg, ROOT, startEnvironment } from './support/environment.js';
import { type WizardUser, wizardUsers } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, table, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';
import { floorWorkflow, noopUpdate } from './workflows/floor.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, rounds: { type: 'string' }, 'steps-per-round': { type: 'string' } }, strict: true });
const quick = args.quick;
const rounds = intArg('rounds', args.rounds, quick ? 2 : 4);
const stepsPerRound = intArg('steps-per-round', args['steps-per-round'], quick ? 10 : 25);
const WARM_UP_STEPS = 3;
// CommonJS: its namespaces hang off the default export under ESM.
const { temporal } = protoPkg;
const TARGET_RATIO = 2;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  const benchBundle = await bundleWorkflows(path.join(ROOT, 'bench/workflows/index.ts'), path.join(environment.scratch, 'bench-workflow-bundle.js'));
  const service = await startDeployment(environment, { benchWorkflowBundlePath: benchBundle, env: { EMAIL_RATE_PER_SECOND: '50' } });
  try {
    const users = await wizardUsers(service.baseUrl, environment.client, rounds);
    const { client } = environment;

    type Way = 'floor' | 'update' | 'http';
    const send: Record<Way, (user: WizardUser, floorId: string) => Promise<void>> = {
      floor: async (_, floorId) => void (await client.workflow.getHandle(floorId).executeUpdate(noopUpdate)),
      update: async (user) => void (await client.workflow.getHandle(orderWorkflowId(user.orderId)).executeUpdate(submitStepUpdate, { args: [user.stepRequest] })),
      http: async (user) => {
        const response = await fetch(user.stepUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: user.stepBody });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`the step answered ${response.status}`);
      },
    };
    const latencies: Record<Way, number[]> = { floor: [], update: [], http: [] };
    const workerCpuMs: Record<Way, number> = { floor: 0, update: 0, http: 0 };

    for (const [index, user] of users.entries()) {
      // A fresh trivial workflow per round, beside the round's fresh order.
      const floor = await client.workflow.start(floorWorkflow, { workflowId: `bench-floor-${randomUUID()}`, taskQueue: `${service.taskQueue}-bench` });
      for (const way of ['floor', 'update', 'http'] as const) for (let i = 0; i < WARM_UP_STEPS; i += 1) await send[way](user, floor.workflowId);
      // Rounds rotate which way goes first, so a drift in the machine's load hits all alike.
      const ways = (['floor', 'update', 'http'] as const).map((_, i, all) => all[(i + index) % all.length]!);
      for (const way of ways) {
        const cpuBefore = (await service.worker.cpuMs()) ?? NaN;
        for (let i = 0; i < stepsPerRound; i += 1) {
          const started = performance.now();
          await send[way](user, floor.workflowId);
          latencies[way].push(performance.now() - started);
        }
        workerCpuMs[way] += ((await service.worker.cpuMs()) ?? NaN) - cpuBefore;
      }
      await floor.terminate('bench round done');
    }

    // What one step adds to the order's history, from the last round's order: its steps are all alike.
    const user = users.at(-1)!;
    const handle = client.workflow.getHandle(orderWorkflowId(user.orderId));
    const before = (await handle.fetchHistory()).events ?? [];
    const measuredSteps = 10;
    for (let i = 0; i < measuredSteps; i += 1) await send.update(user, '');
    const added = ((await handle.fetchHistory()).events ?? []).slice(before.length);
    const eventBytes = added.reduce((sum, event) => sum + temporal.api.history.v1.HistoryEvent.encode(event).finish().length, 0);
    const answers = added.flatMap((event) => event.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads ?? []);
    const payloadBytes = (payload: protoPkg.temporal.api.common.v1.IPayload) => temporal.api.common.v1.Payload.encode(payload).finish().length;
    const answerBytes = round(answers.reduce((sum, p) => sum + payloadBytes(p), 0) / answers.length, 0);
    // The whole state, encoded as the client encodes payloads (JSON, then the encryption codec), as earlier releases answered.
    const state = await handle.query(getStateQuery);
    const converter = client.options.loadedDataConverter;
    let encoded = [converter.payloadConverter.toPayload(state)];
    for (const codec of converter.payloadCodecs) encoded = await codec.encode(encoded);
    const wholeStateBytes = payloadBytes(encoded[0]!);

    const summary = (way: Way) => ({ ...percentiles(latencies[way]), workerCpuMsPerStep: round(workerCpuMs[way] / latencies[way].length, 2) });
    const measured = { floor: summary('floor'), update: summary('update'), http: summary('http') };
    const headlines: Headline[] = [
      {
        figure: 'HTTP step p50, 1 user',
        value: measured.http.p50,
        unit: 'ms',
        baseline: { figure: 'no-op Update p50 (floor)', value: measured.floor.p50 },
        ratio: ratio(measured.http.p50, measured.floor.p50),
        target: `≤ ${TARGET_RATIO}×`,
        met: measured.http.p50 / measured.floor.p50 <= TARGET_RATIO,
      },
      {
        figure: 'raw wizard-step Update p50',
        value: measured.update.p50,
        unit: 'ms',
        baseline: { figure: 'no-op Update p50 (floor)', value: measured.floor.p50 },
        ratio: ratio(measured.update.p50, measured.floor.p50),
        target: 'report',
        met: true,
      },
      {
        figure: 'Update answer per step',
        value: answerBytes,
        unit: 'bytes',
        baseline: { figure: 'whole OrderState (earlier answer)', value: wholeStateBytes },
        ratio: ratio(answerBytes, wholeStateBytes),
        target: 'smaller than the whole state',
        met: answerBytes < wholeStateBytes,
      },
    ];
    const rows = (['floor', 'update', 'http'] as const).map((way) => {
      const m = measured[way];
      return [{ floor: 'no-op Update (floor)', update: 'raw executeUpdate (step)', http: 'HTTP step' }[way], m.count, m.p50, m.p90, m.p99, m.max, m.workerCpuMsPerStep, `${ratio(m.p50, measured.floor.p50)}×`];
    });
    const result: BenchResult = {
      bench: 'update-floor',
      title: 'Wizard step against the floor (a no-op Update)',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { rounds, stepsPerRound, warmUpStepsPerWay: WARM_UP_STEPS, step: 'subscription (service setup section, re-saved)', users: 1 },
      headlines,
      details: {
        latencyMs: measured,
        historyPerStep: {
          steps: measuredSteps,
          eventsPerStep: round(added.length / measuredSteps, 2),
          bytesPerStep: round(eventBytes / measuredSteps, 0),
          eventTypes: [...new Set(added.map((event) => temporal.api.enums.v1.EventType[event.eventType ?? 0]))],
          updateAnswerBytes: answerBytes,
          wholeStateBytes,
        },
      },
      notes: [
        'The floor is a no-op Update (no handler work, no answer) on a trivial workflow in the same worker process, on the same dev server: Temporal’s own round trip.',
        'Worker CPU per step: the worker process’s CPU time over the measured steps of each way, divided by the steps.',
        'History per step: events and their encoded bytes added by 10 raw step Updates; the Update answer is the encrypted payload kept in WorkflowExecutionUpdateCompleted, against the whole OrderState encoded the same way (what releases before WizardState answered).',
      ],
    };
    printResult(result, [{ title: 'Latency (ms) and worker CPU', body: table(['way', 'n', 'p50', 'p90', 'p99', 'max', 'worker CPU ms/step', 'p50 / floor'], rows) }]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await environment.close();
}
