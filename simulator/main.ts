// `npm run simulate -- --seed <n> --orders <n> [--faults <list>|all|none] [--minutes <n>] [--plan]`
// (SPEC §8.2, docs/simulator.md): draws the plan, starts the world, plays people, reps and faults,
// waits for quiescence, checks the nine invariants and prints one line each, then
// `simulate: seed=<n> plan=<hash> orders=<n> faults=<n> invariants=<held>/<total> held`.
// Exit 0 only if every invariant held.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { orderWorkflowId } from '../domain/order.js';
import { createOrderDataKeys } from '../privacy/data-keys.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { getStateQuery, type OrderState } from '../workflows/definitions.js';
import { Driver, typedAddresses } from './driver.js';
import { FaultInjector } from './faults.js';
import { checkAll, describeVerdict, type OrderSnapshot, type WorldSnapshot } from './invariants.js';
import { describePlan, drawPlan, parseFaults, type Plan, planHash } from './plan.js';
import { INTAKE_SECRET, REP_TOKEN, startWorld, type World } from './world.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** After the last action, how long the world may take to settle before it is checked anyway. */
const QUIESCENCE_TIMEOUT_MS = 4 * 60_000;
/** A snapshot counts when nothing changed while it was read and this long after. */
const SETTLED_FOR_MS = 5000;
/** People keep at it this long after the plan's last action, then leave their orders as they are. */
const PERSON_GRACE_S = 20;

const log = (line: string) => process.stderr.write(`[simulate] ${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      orders: { type: 'string', default: '10' },
      faults: { type: 'string', default: 'none' },
      minutes: { type: 'string', default: '2' },
      plan: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const whole = (name: string, value: string) => {
    if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number (got "${value}")`);
    return Number(value);
  };
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number (got "${values.minutes}")`);
  return { seed: whole('seed', values.seed), orders: whole('orders', values.orders), faults: parseFaults(values.faults), minutes, planOnly: values.plan };
}

/** Every running order has no activity or workflow task pending and its read model has caught up. */
async function quiescent(client: Client, sql: postgres.Sql, plan: Plan): Promise<string[]> {
  const busy: string[] = [];
  const rows = await sql<Array<{ order_id: string; last_seq: number }>>`select order_id, last_seq from orders`;
  const lastSeq = new Map(rows.map((r) => [r.order_id, r.last_seq]));
  for (const order of plan.orders) {
    if (!lastSeq.has(order.orderId)) continue; // never taken in
    const handle = client.workflow.getHandle(orderWorkflowId(order.orderId));
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') continue;
    const { pendingActivities, pendingWorkflowTask } = description.raw;
    const state = await handle.query(getStateQuery);
    if (pendingActivities?.length || pendingWorkflowTask || lastSeq.get(order.orderId) !== state.seq) busy.push(order.orderId);
  }
  return busy;
}

/** What changes when anything happens: each order's last seq, the emails sent, the webhooks received. */
async function fingerprint(world: World, sql: postgres.Sql): Promise<string> {
  const rows = await sql<Array<{ order_id: string; last_seq: number }>>`select order_id, last_seq from orders order by order_id`;
  return `${rows.map((r) => `${r.order_id}:${r.last_seq}`).join(',')} emails=${world.resend.deliveries().length} webhooks=${world.webhooks().length}`;
}

/**
 * Waits for quiescence, then looks at the world, and looks again if it moved meanwhile (a timer
 * fired while the snapshot was being read): the checkers see one settled world, not a torn one.
 */
async function settledSnapshot(world: World, driver: Driver, client: Client, sql: postgres.Sql, plan: Plan): Promise<WorldSnapshot> {
  const settleBy = Date.now() + QUIESCENCE_TIMEOUT_MS;
  for (;;) {
    let busy = plan.orders.map((order) => order.orderId);
    for (;;) {
      // A dependency still coming back (a fault's restart) is asked again on the next round.
      busy = await quiescent(client, sql, plan).catch(() => busy);
      if (busy.length === 0 || Date.now() > settleBy) break;
      await sleep(2000);
    }
    if (busy.length) log(`not quiescent after ${QUIESCENCE_TIMEOUT_MS / 60_000} minutes: ${busy.join(', ')} still busy; checking anyway`);
    const before = await fingerprint(world, sql);
    const taken = await snapshot(world, driver, client, sql, plan);
    await sleep(SETTLED_FOR_MS);
    if ((await fingerprint(world, sql)) === before || Date.now() > settleBy) return taken;
    log('the world moved while it was being looked at: looking again');
  }
}

/** Every string and byte string in a raw history, as text: what someone reading the history would see. */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value && typeof value === 'object') for (const inner of Object.values(value)) historyText(inner, out);
  return out;
}

async function snapshot(world: World, driver: Driver, client: Client, sql: postgres.Sql, plan: Plan): Promise<WorldSnapshot> {
  const orders: OrderSnapshot[] = [];
  for (const order of plan.orders) {
    const { orderId } = order;
    const [row] = await sql<Array<{ status: string }>>`select status from orders where order_id = ${orderId}`;
    if (!row) continue;
    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    const state = await handle.query(getStateQuery).catch(() => undefined as OrderState | undefined);
    const raw: unknown[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: orderWorkflowId(orderId) }, nextPageToken });
      raw.push(page.history);
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const detail = await driver.detail(orderId);
    const events = await sql<Array<{ seq: number; type: string; status: string; data: Record<string, unknown>; occurred_at: Date }>>`
      select seq, type, status, data, occurred_at from order_events where order_id = ${orderId} order by seq`;
    const emails = await sql<Array<{ idempotency_key: string; purpose: string; status: string; subject: string; recipient: string }>>`
      select idempotency_key, purpose, status, subject, recipient from email_deliveries where order_id = ${orderId}`;
    const tasks = await sql<Array<{ kind: string }>>`select kind from rep_tasks where order_id = ${orderId} and status = 'open'`;
    const links = await sql<Array<{ token_hash: string; expires_at: Date | null; revoked_at: Date | null }>>`
      select token_hash, expires_at, revoked_at from link_tokens where order_id = ${orderId}`;
    const [counts] = await sql<Array<{ subscriptions: number; billing: number }>>`
      select (select count(*)::int from subscriptions where order_id = ${orderId}) as subscriptions,
             (select count(*)::int from billing_starts where order_id = ${orderId}) as billing`;
    const nextDeadline = (detail.body.nextDeadline as { at?: string } | null | undefined)?.at ?? null;
    orders.push({
      orderId,
      readModelStatus: row.status,
      workflowStatus: state?.status ?? null,
      nextDeadlineAt: nextDeadline,
      openTasks: tasks.map((t) => t.kind),
      events: events.map((e) => ({ seq: e.seq, type: e.type, status: e.status, data: e.data, occurredAt: e.occurred_at.toISOString() })),
      emailRows: emails.map((e) => ({ idempotencyKey: e.idempotency_key, purpose: e.purpose, status: e.status, subject: e.subject, recipient: e.recipient })),
      subscriptions: counts!.subscriptions,
      billingStarts: counts!.billing,
      links: links.map((l) => ({ tokenHash: l.token_hash, expiresAt: l.expires_at?.toISOString() ?? null, revokedAt: l.revoked_at?.toISOString() ?? null })),
      historyText: historyText(raw).join('\n'),
      personalData: personalData(plan, order.index),
    });
  }
  return {
    takenAt: new Date().toISOString(),
    orders,
    emails: world.resend.deliveries().map((d) => ({ idempotencyKey: d.idempotencyKey ?? null, subject: d.subject, to: d.to })),
    webhooks: world.webhooks().map((w) => ({ webhookId: String(w.headers['webhook-id']), orderId: w.event.data.orderId, seq: w.event.data.seq, status: w.event.data.status, previousStatus: w.event.data.previousStatus })),
    requests: driver.requests,
  };
}

/** The addresses and street addresses the plan gave an order: none may be readable in its history. */
function personalData(plan: Plan, index: number): string[] {
  const order = plan.orders[index]!;
  return [
    order.contactEmail,
    order.person.customerAdminEmail,
    ...Object.values(typedAddresses(order)),
    ...(order.person.handOver ? [order.person.handOver.email] : []),
    ...plan.repActions.filter((a) => a.email && a.orderIndexes.includes(index)).map((a) => a.email!),
    'sim.rep@cisco.example',
    'Kaigata 1, Bergen',
    'Strandkaien 2',
  ];
}

async function main(): Promise<number> {
  const opts = options();
  const plan = drawPlan({ seed: opts.seed, orders: opts.orders, faults: opts.faults, minutes: opts.minutes });
  const hash = planHash(plan);
  if (opts.planOnly) {
    for (const line of describePlan(plan)) console.log(line);
    return 0;
  }
  log(`seed=${opts.seed} plan=${hash}: ${plan.orders.length} orders, ${plan.repActions.length} rep actions, ${plan.faults.length} faults over ${plan.seconds}s`);
  const world = await startWorld(log);
  let keep = false;
  try {
    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;
    const at = (seconds: number) => sleep(Math.max(0, seconds - elapsed()) * 1000);
    const faults = new FaultInjector(world, plan, elapsed, log);
    const driver = new Driver({ apiUrl: world.apiUrl, repToken: REP_TOKEN, intakeSecret: INTAKE_SECRET, resend: world.resend, elapsed, beforeConfirm: (order) => faults.beforeConfirm(order), log });
    const today = new Date();
    await Promise.all([
      faults.play(),
      ...plan.orders.map(async (order) => {
        await at(order.intakeAt);
        await driver.intake(order, today);
        await driver.person(order, started + (plan.seconds + PERSON_GRACE_S) * 1000);
      }),
      ...plan.repActions.map(async (action) => {
        await at(action.at);
        await driver.rep(action, plan);
      }),
    ]);
    log(`plan played in ${Math.round(elapsed())}s; waiting for quiescence`);

    const connection = await Connection.connect({ address: world.temporalAddress });
    const config = loadConfig(world.env);
    // An order's payloads are sealed with its own data key, kept in the service's database.
    const keys = await openDatabase({ url: world.postgresUrl(), maxConnections: 2 });
    const client = new Client({ connection, dataConverter: orderDataConverter(config, createOrderDataKeys(keys.db, config.payloadEncryptionKeys)) });
    const sql = postgres(world.postgresUrl(), { max: 2, onnotice: () => {} });
    try {
      const world_ = await settledSnapshot(world, driver, client, sql, plan);
      const verdicts = checkAll(world_);
      const byStatus = new Map<string, number>();
      for (const order of world_.orders) byStatus.set(order.workflowStatus ?? 'unknown', (byStatus.get(order.workflowStatus ?? 'unknown') ?? 0) + 1);
      console.log(`orders: ${[...byStatus].map(([status, count]) => `${status} ${count}`).join(', ')}; requests: ${driver.requests.length}; emails: ${world_.emails.length}; webhooks: ${world_.webhooks.length}`);
      const answers = new Map<string, number>();
      for (const request of driver.requests) answers.set(String(request.status ?? 'none'), (answers.get(String(request.status ?? 'none')) ?? 0) + 1);
      console.log(`answers: ${[...answers].sort().map(([status, count]) => `${status} ${count}`).join(', ')}`);
      for (const fault of faults.injected) console.log(`fault at ${fault.at}s: ${fault.kind} (${fault.detail})`);
      for (const verdict of verdicts) for (const line of describeVerdict(verdict)) console.log(line);
      for (const exit of world.unexpectedExits()) console.log(`note: ${exit}`);
      const held = verdicts.filter((v) => v.breaches.length === 0).length;
      const broken = [...new Set(verdicts.flatMap((v) => v.breaches.map((b) => b.orderId)))].filter((id) => plan.orders.some((o) => o.orderId === id));
      if (broken.length) {
        keep = true;
        const dir = path.join(world.dataDir, 'histories');
        await mkdir(dir, { recursive: true });
        for (const orderId of broken) {
          const file = path.join(dir, `order-${orderId}.json`);
          const { stdout } = await run(world.temporalCli, ['workflow', 'show', '-w', orderWorkflowId(orderId), '--address', world.temporalAddress, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
          await writeFile(file, stdout);
          console.log(`seed=${opts.seed} order=${orderId}: history saved to ${file}`);
          console.log(`  replay it: cp ${file} ${path.join(root, 'test/histories/v1', `simulator-seed-${opts.seed}-${orderId}.json`)} && npx vitest run test/replay.test.ts`);
        }
        console.log(`  (while a world runs: npm run temporal -- workflow show -w order-<id> --address <address> --output json > test/histories/v1/<name>.json)`);
      }
      console.log(`simulate: seed=${opts.seed} plan=${hash} orders=${plan.orders.length} faults=${faults.injected.length} invariants=${held}/${verdicts.length} held`);
      return held === verdicts.length ? 0 : 1;
    } finally {
      await sql.end({ timeout: 2 });
      await keys.close();
      await connection.close();
    }
  } finally {
    if (keep) log(`the world's data and logs are kept in ${world.dataDir}`);
    await world.stop(keep);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
