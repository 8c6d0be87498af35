// Bench: email throughput with several provider requests in flight against the old single lane,
// in the same run. For each provider latency (the Resend stand-in answering every request after
// 150 ms, then after 5 s) and each EMAIL_MAX_IN_FLIGHT (4, then 1: one request out at a time across
// the fleet, as before), a fresh deployment of the service gets orders that share one start moment
// a little ahead, so their setup emails fall due at once; the stand-in allows EMAIL_RATE_PER_SECOND,
// as Resend would. Reports emails per second (the spacing of the requests' arrivals at the provider),
// the most requests it held open at once, and its 429s. The ceiling is min(rate, in flight / latency).
//
//   npx tsx bench/email-throughput.ts [--quick] [--emails N] [--rate N]
import { parseArgs } from 'node:util';
import { startResendStandIn } from '../simulator/stand-ins/resend.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { startOrdersAtOneMoment } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, printResult, ratio, round, table, waitFor, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, emails: { type: 'string' }, rate: { type: 'string' } }, strict: true });
const quick = args.quick;
const emailCount = intArg('emails', args.emails, quick ? 8 : 16);
const rate = intArg('rate', args.rate, 2);
const LATENCIES_MS = [150, 5_000];
const IN_FLIGHT = [4, 1];
const LEAD_SECONDS = quick ? 15 : 30;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });

interface Round {
  latencyMs: number;
  maxInFlight: number;
  emailsPerSecond: number;
  ceiling: number;
  peakInFlight: number;
  rateLimited: number;
  seconds: number;
}

/** Orders earlier rounds left in the run's database. */
let recorded = 0;

async function measure(latencyMs: number, maxInFlight: number): Promise<Round> {
  const standIn = await startResendStandIn({ ratePerSecond: rate });
  const service = await startDeployment(environment, {
    env: { RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: String(rate), EMAIL_MAX_IN_FLIGHT: String(maxInFlight) },
  });
  try {
    standIn.delayNext(latencyMs, emailCount * 2);
    // Every setup email falls due at one moment, after all the orders are in: intake does not pace them.
    await startOrdersAtOneMoment(environment, service.taskQueue, { orderCount: emailCount, leadSeconds: LEAD_SECONDS, alreadyRecorded: recorded });
    recorded += emailCount;
    const deliveries = await waitFor(
      'every setup email',
      async () => {
        const delivered = standIn.deliveries().filter((d) => d.idempotencyKey?.endsWith('/setup/link-1'));
        return delivered.length >= emailCount ? delivered : undefined;
      },
      { timeoutMs: emailCount * (latencyMs + 1_000) + 120_000, intervalMs: 100 },
    );
    const arrivals = deliveries.map((d) => d.at.getTime()).sort((a, b) => a - b);
    const seconds = (arrivals.at(-1)! - arrivals[0]!) / 1000;
    return {
      latencyMs,
      maxInFlight,
      emailsPerSecond: round((arrivals.length - 1) / seconds, 3),
      ceiling: round(Math.min(rate, maxInFlight / (latencyMs / 1000)), 3),
      peakInFlight: standIn.peakInFlight(),
      rateLimited: standIn.rateLimited(),
      seconds: round(seconds, 1),
    };
  } finally {
    await service.stop();
    await standIn.close();
  }
}

try {
  const rounds: Round[] = [];
  for (const latencyMs of LATENCIES_MS) {
    for (const maxInFlight of IN_FLIGHT) {
      rounds.push(await measure(latencyMs, maxInFlight));
      console.error(`[bench] provider ${latencyMs} ms, EMAIL_MAX_IN_FLIGHT=${maxInFlight}: ${rounds.at(-1)!.emailsPerSecond} emails/s`);
    }
  }
  const at = (latencyMs: number, maxInFlight: number) => rounds.find((r) => r.latencyMs === latencyMs && r.maxInFlight === maxInFlight)!;
  const headlines: Headline[] = LATENCIES_MS.map((latencyMs) => {
    const several = at(latencyMs, 4);
    const single = at(latencyMs, 1);
    return {
      figure: `emails/s, provider answering in ${latencyMs} ms, EMAIL_MAX_IN_FLIGHT=4 (rate ${rate}/s)`,
      value: several.emailsPerSecond,
      unit: 'emails/s',
      baseline: { figure: 'the same with one request in flight (the old single lane)', value: single.emailsPerSecond },
      ratio: ratio(several.emailsPerSecond, single.emailsPerSecond),
      target: `≥ 0.9 × min(rate, 4 / latency) = ${round(several.ceiling * 0.9, 2)}, and no 429`,
      met: several.emailsPerSecond >= several.ceiling * 0.9 && several.rateLimited === 0,
    };
  });
  const result: BenchResult = {
    bench: 'email-throughput',
    title: `Email throughput, EMAIL_MAX_IN_FLIGHT=4 against one request in flight, provider answering in ${LATENCIES_MS.join(' and ')} ms`,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    settings: { emailsPerRound: emailCount, ratePerSecond: rate, latenciesMs: LATENCIES_MS, maxInFlight: IN_FLIGHT },
    headlines,
    details: { rounds },
    notes: [
      'Emails per second: (n − 1) over the time from the first to the last setup email’s arrival at the stand-in; the ceiling is min(rate, EMAIL_MAX_IN_FLIGHT / latency).',
      'Each round is a fresh deployment (API and worker processes) on the same dev server and database; the stand-in allows the rate, as Resend does, and counts its 429s.',
    ],
  };
  printResult(result, [
    {
      title: 'Email throughput',
      body: table(
        ['provider latency (ms)', 'EMAIL_MAX_IN_FLIGHT', 'emails/s', 'ceiling', 'peak in flight', '429s', 'seconds'],
        rounds.map((r) => [r.latencyMs, r.maxInFlight, r.emailsPerSecond, r.ceiling, r.peakInFlight, r.rateLimited, r.seconds]),
      ),
    },
  ]);
  console.log(`\nwrote ${await writeResult(result, { quick })}`);
} finally {
  await environment.close();
}
