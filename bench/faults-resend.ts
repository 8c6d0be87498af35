// Bench: Resend answering 500 for 10 minutes against a run without the outage, on the same service.
// Each round takes orders in over HTTP with their start date passed, so their setup emails are due
// at once, and has other orders, walked through the wizard beforehand, ask for provisioning. In the
// outage round every email of those orders (setup and provisioned to the contact, escalation to the
// rep) is answered 500 by the Resend stand-in (simulator/stand-ins/resend.ts) from before intake
// until the outage is over. Neither the clock nor provisioning may wait for them: reports each
// order's escalation lateness (the `order.escalated` event against its setup email +
// ESCALATION_AFTER) and each provisioning's time (the `provision` step's request to the
// `order.provisioned` event), p50/p99, outage round against the baseline.
//
//   npx tsx bench/faults-resend.ts [--quick] [--orders N] [--provisionings N] [--outage-seconds N]
import { parseArgs } from 'node:util';
import { and, inArray } from 'drizzle-orm';
import { orderEvents } from '../db/schema/index.js';
import { startResendStandIn } from '../simulator/stand-ins/resend.js';
import { BENCH_OPTIONS, intArg, startEnvironment } from './support/environment.js';
import { benchOrder, inParallel, signedIntake, type WizardUser, wizardUsers } from './support/orders.js';
import { type BenchResult, type Headline, machineInfo, percentiles, printResult, ratio, round, sleep, table, waitFor, writeResult } from './support/report.js';
import { startDeployment } from './support/service.js';

const { values: args } = parseArgs({ options: { ...BENCH_OPTIONS, orders: { type: 'string' }, provisionings: { type: 'string' }, 'outage-seconds': { type: 'string' } }, strict: true });
const quick = args.quick;
const orderCount = intArg('orders', args.orders, quick ? 10 : 50);
const provisioningCount = intArg('provisionings', args.provisionings, quick ? 4 : 20);
const outageMs = intArg('outage-seconds', args['outage-seconds'], quick ? 45 : 600) * 1000;
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

    /** The setup email as the stand-in received it (accepted or not: an outage answers after reading it). */
    const setupEmailText = async (order: { provisioningContactEmail: string }) =>
      standIn.requests
        .map((r) => r.body as { to?: string[] | string; subject?: string; text?: string })
        .find((b) => [b.to].flat().includes(order.provisioningContactEmail) && /\/wizard\//.test(b.text ?? ''))?.text;

    /** Every section saved: the next step a user sends is `provision`. */
    async function readyToProvision(count: number): Promise<WizardUser[]> {
      const users = await wizardUsers(service.baseUrl, environment.client, count, setupEmailText);
      await inParallel(users, 4, async (user) => {
        for (const [step, input] of [['subscription', { reviewed: true }], ['meetings', { subdomain: `site-${user.orderId.slice(4).toLowerCase()}` }]] as const) {
          const response = await fetch(`${service.baseUrl}/api/wizard/${user.token}/steps/${step}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: user.sessionId, ...input }) });
          if (response.status !== 200) throw new Error(`step ${step} answered ${response.status}: ${await response.text()}`);
        }
      });
      return users;
    }

    const eventTimes = async (ids: string[], types: string[]) =>
      db
        .select({ orderId: orderEvents.orderId, type: orderEvents.type, occurredAt: orderEvents.occurredAt })
        .from(orderEvents)
        .where(and(inArray(orderEvents.orderId, ids), inArray(orderEvents.type, types)));

    /**
     * Takes `orderCount` orders in and has `provisioningCount` others ask for provisioning; answers
     * each escalation's lateness and each provisioning's time (ms).
     */
    async function round_(outage: boolean): Promise<{ latenessMs: number[]; provisioningMs: number[]; failedRequests: number }> {
      const provisioning = await readyToProvision(provisioningCount);
      const payloads = Array.from({ length: orderCount }, () => benchOrder({ requestedStartDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), timezone: 'UTC' }));
      const addresses = [...new Set([...payloads.flatMap((o) => [o.provisioningContactEmail, o.rep.email]), ...provisioning.map((u) => u.contactEmail)])];
      const requestsBefore = standIn.requests.length;
      const outageStarted = Date.now();
      if (outage) for (const address of addresses) standIn.failFor(address, 500);
      await inParallel(payloads, 8, async (order) => {
        const intake = signedIntake(order);
        const response = await fetch(`${service.baseUrl}/api/orders`, { method: 'POST', headers: intake.headers, body: intake.body });
        if (response.status !== 201) throw new Error(`intake answered ${response.status}: ${await response.text()}`);
      });
      const askedAt = new Map<string, number>();
      await inParallel(provisioning, 4, async (user) => {
        askedAt.set(user.orderId, Date.now());
        const response = await fetch(`${service.baseUrl}/api/wizard/${user.token}/steps/provision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: user.sessionId, confirm: true }) });
        if (response.status !== 200) throw new Error(`step provision answered ${response.status}: ${await response.text()}`);
      });
      const provisioned = await waitFor(
        'every provisioning',
        async () => {
          const rows = await eventTimes([...askedAt.keys()], ['order.provisioned']);
          return rows.length >= provisioning.length ? rows : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 500 },
      );
      const ids = payloads.map((o) => o.orderId);
      const events = await waitFor(
        'every escalation',
        async () => {
          const rows = await eventTimes(ids, ['order.setup-email', 'order.escalated']);
          return rows.filter((r) => r.type === 'order.escalated').length >= orderCount ? rows : undefined;
        },
        { timeoutMs: ESCALATION_AFTER_S * 1000 + 120_000, intervalMs: 500 },
      );
      const at = (orderId: string, type: string) => events.find((e) => e.orderId === orderId && e.type === type)!.occurredAt.getTime();
      const latenessMs = ids.map((id) => at(id, 'order.escalated') - (at(id, 'order.setup-email') + ESCALATION_AFTER_S * 1000));
      const provisioningMs = provisioned.map((e) => e.occurredAt.getTime() - askedAt.get(e.orderId)!);
      if (outage) {
        const lastEvent = Math.max(...ids.map((id) => at(id, 'order.escalated')), ...provisioned.map((e) => e.occurredAt.getTime()));
        if (lastEvent > outageStarted + outageMs) throw new Error('an escalation or provisioning ended after the outage: lengthen --outage-seconds');
        await sleep(Math.max(0, outageStarted + outageMs - Date.now()));
        for (const address of addresses) standIn.failFor(address, null);
      }
      const failedRequests = standIn.requests.slice(requestsBefore).filter((r) => r.outcome === 'scripted-failure').length;
      return { latenessMs, provisioningMs, failedRequests };
    }

    const baseline = await round_(false);
    console.error(`[bench] baseline round done; Resend answers 500 for ${outageMs / 1000} s`);
    const outage = await round_(true);
    const b = percentiles(baseline.latenessMs);
    const o = percentiles(outage.latenessMs);
    const bp = percentiles(baseline.provisioningMs);
    const op = percentiles(outage.provisioningMs);
    const headlines: Headline[] = (
      [
        ['escalation lateness', o, b],
        ['provisioning time', op, bp],
      ] as const
    ).flatMap(([what, during, without]) =>
      (['p50', 'p99'] as const).map((p) => ({
        figure: `${what} ${p}, Resend answering 500 for ${outageMs / 1000} s`,
        value: round(during[p], 0),
        unit: 'ms',
        baseline: { figure: 'the same without the outage', value: round(without[p], 0) },
        ratio: ratio(during[p], without[p]),
        target: `≤ ${TARGET_RATIO}×`,
        met: during[p] <= without[p] * TARGET_RATIO,
      })),
    );
    const result: BenchResult = {
      bench: 'faults-resend',
      title: `Resend answering 500 for ${outageMs / 1000} s: timer lateness and provisioning time against a run without`,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine,
      settings: { ordersPerRound: orderCount, provisioningsPerRound: provisioningCount, outageSeconds: outageMs / 1000, escalationAfterSeconds: ESCALATION_AFTER_S },
      headlines,
      details: {
        baseline: { latenessMs: b, provisioningMs: bp, failedEmailRequests: baseline.failedRequests },
        outage: { latenessMs: o, provisioningMs: op, failedEmailRequests: outage.failedRequests },
      },
      notes: [
        'Every escalation and provisioning of the outage round ends inside the outage (the bench refuses otherwise).',
        'Lateness: the order.escalated event’s time against its order.setup-email event + ESCALATION_AFTER. Provisioning time: from the provision step’s request to the order.provisioned event. Every email of the outage round’s orders is answered 500 meanwhile (failedEmailRequests counts them).',
      ],
    };
    printResult(result, [
      {
        title: 'Escalation lateness and provisioning time (ms)',
        body: table(
          ['round', 'what', 'n', 'p50', 'p90', 'p99', 'max', 'email requests answered 500'],
          [
            ['without outage', 'escalation', b.count, b.p50, b.p90, b.p99, b.max, baseline.failedRequests],
            ['without outage', 'provisioning', bp.count, bp.p50, bp.p90, bp.p99, bp.max, ''],
            ['Resend 500', 'escalation', o.count, o.p50, o.p90, o.p99, o.max, outage.failedRequests],
            ['Resend 500', 'provisioning', op.count, op.p50, op.p90, op.p99, op.max, ''],
          ],
        ),
      },
    ]);
    console.log(`\nwrote ${await writeResult(result, { quick })}`);
  } finally {
    await service.stop();
  }
} finally {
  await standIn.close();
  await environment.close();
}
