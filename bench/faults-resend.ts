// Bench: Resend answering 500 for a while (2 minutes, shortened from the 10 to keep the run
// short) against a run without the outage, on the same service. Each round takes orders in over HTTP
// with their start date passed, so their setup emails are due at once; in the outage round every
// email of those orders (setup to the contact, escalation to the rep) is answered 500 by the Resend
// stand-in (test/support/resend-stand-in.ts) from before intake until the 2 minutes are over. The
// clock must not wait for them: reports each order's escalation lateness (the `order.escalated`
// event against its setup email + ESCALATION_AFTER), p50/p99, outage round against the baseline.
//
//   npx tsx bench/faults-resend.ts [--quick] [--orders N] [--outage-seconds N]
import { parseArgs } from 'node:util';
import { and, inArray } from 'drizzle-orm';
import { orderEvents } from '../db/schema/index.js';
import { startResendStandIn } from '../test/support/resend-stand-in.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { benchOrder, inParallel, signedIntake } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, sleep, table, waitFor, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' }, 'outage-seconds': { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 10 : 50);
const outageMs = intArg('outage-seconds', args['outage-seconds'], quick ? 45 : 120) * 1000;
/** Escalations fall due this long after each setup email: inside the outage. */
const ESCALATION_AFTER_S = Math.round(outageMs / 1000 / 4);
const TARGET_RATIO = 1.1;

const machine = machineInfo();
const startedAt = new Date();
const environment = await startEnvironment({ adminUrl: args['database-url'], workflowBundle: args['workflow-bundle'] });
const standIn = await startResendStandIn({ ratePerSecond: 100 });
try {
  const service = await startDeployment(environment, {
    env: { RESEND_API_KEY: standIn.apiKey, RESEND_BASE_URL: standIn.url, EMAIL_RATE_PER_SECOND: '100', ESCALATION_AFTER: `${ESCALATION_AFTER_S}s` },
  });
  try {
    const { db } = environment.database;

    /** Takes `orderCount` orders in and answers each one's escalation lateness (ms). */
    async function round_(outage: boolean): Promise<{ latenessMs: number[]; failedRequests: number }> {
      const payloads = Array.from({ length: orderCount }, () => benchOrder({ requestedStartDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), timezone: 'UTC' }));
      const addresses = [...new Set(payloads.flatMap((o) => [o.provisioningContactEmail, o.rep.email]))];
      const requestsBefore = standIn.requests.length;
      const outageStarted = Date.now();
      if (outage) for (const address of addresses) standIn.failFor(address, 500);
      await inParallel(payloads, 8, async (order) => {
        const intake = signedIntake(order);
        const response = await fetch(`${service.baseUrl}/api/orders`, { method: 'POST', headers: intake.headers, body: intake.body });
        if (response.status !== 201) throw new Error(`intake answered ${response.status}: ${await response.text()}`);
      });
      const ids = payloads.map((o) => o.orderId);
      const events = await waitFor(
        'every escalation',
        async () => {
          const rows = await db
            .select({ orderId: orderEvents.orderId, type: orderEvents.type, occurredAt: orderEvents.occurredAt })
            .from(orderEvents)
            .where(and(inArray(orderEvents.orderId, ids), inArray(orderEvents.type, ['order.setup-email', 'order.escalated'])));
          return rows.filter((r) => r.type === 'order.escalated').length >= orderCount ? rows : undefined;
        },
        { timeoutMs: ESCALATION_AFTER_S * 1000 + 120_000, intervalMs: 500 },
      );
      const at = (orderId: string, type: string) => events.find((e) => e.orderId === orderId && e.type === type)!.occurredAt.getTime();
      const latenessMs = ids.map((id) => at(id, 'order.escalated') - (at(id, 'order.setup-email') + ESCALATION_AFTER_S * 1000));
      if (outage) {
        const lastEscalation = Math.max(...ids.map((id) => at(id, 'order.escalated')));
        if (lastEscalation > outageStarted + outageMs) throw new Error('an escalation fell due after the outage: lengthen --outage-seconds');
        await sleep(Math.max(0, outageStarted + outageMs - Date.now()));
        for (const address of addresses) standIn.failFor(address, null);
      }
      const failedRequests = standIn.requests.slice(requestsBefore).filter((r) => r.outcome === 'scripted-failure').length;
      return { latenessMs, failedRequests };
    }

    const baseline = await round_(false);
    console.error(`[bench] baseline round done; Resend answers 500 for ${outageMs / 1000} s`);
    const outage = await round_(true);
    const b = percentiles(baseline.latenessMs);
    const o = percentiles(outage.latenessMs);
    const headlines: Headline[] = (['p50', 'p99'] as const).map((p) => ({
      figure: `escalation lateness ${p}, Resend answering 500 for ${outageMs / 1000} s`,
      value: round(o[p], 0),
      unit: 'ms',
      baseline: { figure: 'the same without the outage', value: round(b[p], 0) },
      ratio: ratio(o[p], b[p]),
      target: `≤ ${TARGET_RATIO}×`,
      met: o[p] <= b[p] * TARGET_RATIO,
    }));
    const result: BenchResult = {
      bench: 'faults-resend',
      title: `Resend answering 500 for ${outageMs / 1000} s: timer lateness against a run without`,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { ordersPerRound: orderCount, outageSeconds: outageMs / 1000, escalationAfterSeconds: ESCALATION_AFTER_S },
      headlines,
      details: { baseline: { latenessMs: b, failedEmailRequests: baseline.failedRequests }, outage: { latenessMs: o, failedEmailRequests: outage.failedRequests } },
      notes: [
        'Shortened from the issue’s 10 minutes to 2 to keep the run short; every escalation of the outage round falls due inside the outage (the bench refuses otherwise).',
        'Lateness: the order.escalated event’s time against its order.setup-email event + ESCALATION_AFTER. Every email of the outage round’s orders is answered 500 meanwhile (failedEmailRequests counts them).',
        'Provisioning lateness is not measured here: it needs each order walked through the wizard.',
      ],
    };
    printResult(result, [{ title: 'Escalation lateness (ms)', body: table(['round', 'n', 'p50', 'p90', 'p99', 'max', 'email requests answered 500'], [['without outage', b.count, b.p50, b.p90, b.p99, b.max, baseline.failedRequests], ['Resend 500', o.count, o.p50, o.p90, o.p99, o.max, outage.failedRequests]]) }]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await standIn.close();
  await environment.close();
}
