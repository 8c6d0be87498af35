// Bench 1: how long one wizard step takes over HTTP (API → Update → reply) at 1 and 10 concurrent
// users, against the same step sent as a raw executeUpdate from a Temporal client, in the same run.
//
//   npx tsx bench/wizard-latency.ts [--quick] [--rounds N] [--steps-per-round N]
//
// Each user is an order in service setup; the step is saving its subscription section, which can be
// sent again and again and does the same work each time (reducer, projection, reply).
// At 10 users it runs twice: back-to-back (saturation: what the CPU per step allows) and at a
// person's pace (each user pauses 0.2–1 s between steps, as people in a wizard do, and more).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { orderWorkflowId } from '../domain/order.js';
import { submitStepUpdate } from '../workflows/definitions.js';
import { BENCH_OPTIONS, cpuMs, intArg, startEnvironment } from './support/environment.js';
import { type WizardUser, wizardUsers } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, table, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, rounds: { type: 'string' }, 'steps-per-round': { type: 'string' } }, strict: true });
const quick = args.quick;
const rounds = intArg('rounds', args.rounds, quick ? 2 : 8);
const stepsPerRound = intArg('steps-per-round', args['steps-per-round'], quick ? 5 : 20);
const CONCURRENCY = [1, 10] as const;
/** A person reads and clicks between steps; a random pause keeps the users from moving in lockstep. */
const PAUSE_MS = { min: 200, max: 1_000 };
const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS.min + Math.random() * (PAUSE_MS.max - PAUSE_MS.min)));
/** Rounds at each concurrency: 10 users make ten times the samples per round. */
const ROUNDS: Record<(typeof CONCURRENCY)[number], number> = { 1: rounds, 10: Math.max(1, Math.round(rounds / 4)) };
const WARM_UP_STEPS = 3;
const TARGET_RATIO = 1.3;
const TARGET_P99_MS = 40;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
try {
  // Emails are not what this bench measures: the setup emails go at once.
  const service = await startDeployment(environment, { env: { EMAIL_RATE_PER_SECOND: '50' } });
  try {
    // Fresh orders each round: Temporal keeps a record of every Update an execution received, so
    // an order with hundreds of steps behind it answers slower than a real one (a wizard takes ~15).
    const pool = await wizardUsers(service.baseUrl, environment.client, CONCURRENCY.reduce((sum, c) => sum + c * ROUNDS[c], 0) + 10 * ROUNDS[10]);
    console.error(`[bench] ${pool.length} orders in service setup`);
    const takeUsers = (count: number) => pool.splice(0, count);

    const viaHttp = async (user: WizardUser) => {
      const started = performance.now();
      const response = await fetch(user.stepUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: user.stepBody });
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`the step answered ${response.status}`);
      return ms;
    };
    const viaUpdate = async (user: WizardUser) => {
      const handle = environment.client.workflow.getHandle(orderWorkflowId(user.orderId));
      const started = performance.now();
      await handle.executeUpdate(submitStepUpdate, { args: [user.stepRequest] });
      return performance.now() - started;
    };

    const processes = {
      api: () => service.api.cpuMs(),
      worker: () => service.worker.cpuMs(),
      server: () => cpuMs(environment.temporalPid),
    };
    type ProcessName = keyof typeof processes;
    const cpuNow = async () => {
      const now: Partial<Record<ProcessName, number>> = {};
      for (const [name, read] of Object.entries(processes) as Array<[ProcessName, () => Promise<number | undefined>]>) now[name] = await read();
      return now;
    };

    /** One way of sending the step, measured over all its rounds: latencies, wall time, CPU per process. */
    class Tally {
      latencies: number[] = [];
      seconds = 0;
      cpu: Record<ProcessName, number> = { api: 0, worker: 0, server: 0 };
      /** Each user sends `steps` steps one after another (pausing between them if `paced`), all users at once. */
      async burst(users: WizardUser[], steps: number, send: (user: WizardUser) => Promise<number>, paced = false) {
        const cpuBefore = await cpuNow();
        const started = performance.now();
        await Promise.all(
          users.map(async (user) => {
            for (let i = 0; i < steps; i += 1) {
              if (paced) await pause();
              this.latencies.push(await send(user));
            }
          }),
        );
        this.seconds += (performance.now() - started) / 1000;
        const cpuAfter = await cpuNow();
        for (const name of Object.keys(this.cpu) as ProcessName[]) this.cpu[name] += (cpuAfter[name] ?? NaN) - (cpuBefore[name] ?? NaN);
      }
      summary() {
        const perStep = (ms: number) => round(ms / this.latencies.length, 2);
        return {
          ...percentiles(this.latencies),
          stepsPerSecond: round(this.latencies.length / this.seconds, 1),
          cpuMsPerStep: { api: perStep(this.cpu.api), worker: perStep(this.cpu.worker), server: perStep(this.cpu.server) },
        };
      }
    }
    type Summary = ReturnType<Tally['summary']>;

    /** Both ways at one concurrency over its rounds, with fresh orders each round. */
    async function measure(concurrency: (typeof CONCURRENCY)[number], paced: boolean) {
      const http = new Tally();
      const update = new Tally();
      for (let round = 0; round < ROUNDS[concurrency]; round += 1) {
        const users = takeUsers(concurrency);
        const warmUp = new Tally(); // connections, caches, JIT
        await warmUp.burst(users, WARM_UP_STEPS, viaHttp);
        await warmUp.burst(users, WARM_UP_STEPS, viaUpdate);
        // Rounds alternate which way goes first, so a drift in the machine's load hits both alike.
        const order = round % 2 === 0 ? ([http, update] as const) : ([update, http] as const);
        for (const way of order) await way.burst(users, stepsPerRound, way === http ? viaHttp : viaUpdate, paced);
      }
      return { http: http.summary(), update: update.summary() };
    }
    const measured: Record<number, { http: Summary; update: Summary }> = {};
    for (const concurrency of CONCURRENCY) measured[concurrency] = await measure(concurrency, false);
    const paced = await measure(10, true);

    const headlines: Headline[] = [];
    for (const concurrency of CONCURRENCY) {
      const { http, update } = measured[concurrency]!;
      headlines.push({
        figure: `HTTP step p50, ${concurrency} user${concurrency > 1 ? 's' : ''}`,
        value: http.p50,
        unit: 'ms',
        baseline: { figure: 'raw Update p50', value: update.p50 },
        ratio: ratio(http.p50, update.p50),
        target: `≤ ${TARGET_RATIO}×`,
        met: http.p50 / update.p50 <= TARGET_RATIO,
      });
    }
    for (const [label, m] of [
      ['10 users at a person’s pace', paced],
      ['10 users back-to-back', measured[10]!],
    ] as const) {
      headlines.push({
        figure: `HTTP step p99, ${label}`,
        value: m.http.p99,
        unit: 'ms',
        baseline: { figure: 'raw Update p99', value: m.update.p99 },
        ratio: ratio(m.http.p99, m.update.p99),
        target: `≤ ${TARGET_P99_MS} ms`,
        met: m.http.p99 <= TARGET_P99_MS,
      });
    }

    const cpuCells = (m: Summary) => `${m.cpuMsPerStep.api} / ${m.cpuMsPerStep.worker} / ${m.cpuMsPerStep.server}`;
    const runs = [...CONCURRENCY.map((concurrency) => [`${concurrency}`, measured[concurrency]!] as const), ['10 paced', paced] as const];
    const rows = runs.flatMap(([users, m]) => {
      return [
        [users, 'HTTP (API → Update)', m.http.count, m.http.p50, m.http.p90, m.http.p99, m.http.max, m.http.stepsPerSecond, cpuCells(m.http)],
        [users, 'raw executeUpdate', m.update.count, m.update.p50, m.update.p90, m.update.p99, m.update.max, m.update.stepsPerSecond, cpuCells(m.update)],
        [
          users,
          'ratio HTTP / raw',
          '',
          `${ratio(m.http.p50, m.update.p50)}×`,
          `${ratio(m.http.p90, m.update.p90)}×`,
          `${ratio(m.http.p99, m.update.p99)}×`,
          '',
          '',
          '',
        ],
      ];
    });
    const result: BenchResult = {
      bench: 'wizard-latency',
      title: 'Wizard step latency: HTTP vs raw Update',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { users: CONCURRENCY, pacedUsers: 10, pauseMs: PAUSE_MS, rounds: ROUNDS, stepsPerRound, warmUpStepsPerOrder: 2 * WARM_UP_STEPS, stepsPerOrder: 2 * (WARM_UP_STEPS + stepsPerRound), step: 'subscription (service setup section, re-saved)', processes: 'API and worker apart, as docker-compose.yml runs them; request logging at info' },
      headlines,
      details: { latencyMs: { ...measured, '10-paced': paced } },
      notes: [
        'Each HTTP step resolves the link in PostgreSQL, then sends the Update (only partner-org, customer-org and partner-password query the workflow first); the raw Update skips the link.',
        'CPU per step is the CPU time of each process over the measured rounds divided by the steps: with 10 users sending back-to-back the machine is saturated, so latency there is what the CPU per step allows.',
        `At a person's pace each of the 10 users pauses ${PAUSE_MS.min}–${PAUSE_MS.max} ms before each step: the machine has CPU to spare, so the latency is the step's own.`,
      ],
    };
    printResult(result, [{ title: 'Latency (ms) and steps/s', body: table(['users', 'way', 'n', 'p50', 'p90', 'p99', 'max', 'steps/s', 'CPU ms/step api / worker / server'], rows) }]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await environment.close();
}
