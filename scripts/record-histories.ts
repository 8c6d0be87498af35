/**
 * Records the workflow histories test/replay.test.ts replays: every path an order can take, run
 * for real (a Temporal dev server of its own, the worker, the API, an embedded PostgreSQL) and written as
 * `test/histories/<release>/<path>.json` (History JSON, as `temporal workflow show --output json`
 * prints it), where <release> is the workflow code's current one (HISTORY_RELEASE).
 *
 *   npx tsx scripts/record-histories.ts          # all paths
 *   npx tsx scripts/record-histories.ts cancel   # only the named ones
 *
 * Until v1.0 ships, a workflow change re-records `v1`. From then on every release that still has
 * orders running keeps its directory, and a change ships through Worker Deployment Versioning
 * (docs/workflow-versions.md): a new release records its own directory next to the older ones.
 * A path whose order continues as new is saved run by run: `<path>-run<k>.json` for each run that
 * handed over, `<path>.json` for the last.
 * Payloads are encrypted as in production, with REPLAY_PAYLOAD_KEYS: a fixed key that is not a
 * secret, because the recorded orders are made up.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDatabaseWebexGateway, WebexRejection } from '../activities/provisioning.js';
import { buildApp } from '../api/app.js';
import { signIntakeBody } from '../api/signature.js';
import { type Config, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { type OrderPayload, orderWorkflowId } from '../domain/order.js';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { orderDataConverter } from '../temporal/data-converter.js';
import { createOrderWorkers } from '../worker.js';
import { ensureTemporalCli } from './temporal-binaries.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

/** The key the recorded payloads are encrypted with; the replay test decrypts with it. Not a secret. */
export const REPLAY_PAYLOAD_KEYS = 'replay:cmVwbGF5LWhpc3Rvcmllcy1hcmUtbWFkZS11cC0wMDE=';
export const HISTORIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/histories');
/** The workflow code's release, as recorded histories know it (docs/workflow-versions.md). */
export const HISTORY_RELEASE = 'v1';
/** The paths of SPEC §2–3 that have a recorded history. */
export const RECORDED_PATHS = ['happy-path', 'delegation', 'hold-resume', 'cancel', 'expiry', 'escalation', 'provisioning-failure', 'continue-as-new'] as const;
type PathName = (typeof RECORDED_PATHS)[number];

export const INTAKE_SECRET = 'record-histories-intake-secret';
export const REP_TOKEN = 'record-histories-rep-token-0123';
export const SECRETS = {
  NODE_ENV: 'test',
  INTAKE_HMAC_SECRET: INTAKE_SECRET,
  REP_API_TOKENS: REP_TOKEN,
  LINK_TOKEN_SECRET: 'record-histories-link-token-secret-0123456789',
  PAYLOAD_ENCRYPTION_KEYS: REPLAY_PAYLOAD_KEYS,
};

/** The data converter the histories were recorded with, and must be replayed with. */
export const replayDataConverter = () => orderDataConverter(loadConfig({ ...SECRETS, DATA_DIR: tmpdir() }));
export const PASSWORD = 'correct horse battery staple fjord';

type App = Awaited<ReturnType<typeof buildApp>>;

/** A start date well in the future and within intake's 366-day limit. */
function monthsAhead(months: number): string {
  const date = new Date();
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One made-up order and the HTTP calls its people make, against one of the apps. */
export function orderOn(app: App, overrides: Partial<OrderPayload> = {}) {
  const id = Math.random().toString(36).slice(2, 10);
  const order: OrderPayload = {
    orderId: `REC-${id}`,
    product: 'A-WX',
    requestedStartDate: yesterday(),
    timezone: 'UTC',
    provisioningContactEmail: `contact-${id}@partner.example`,
    partner: { id: `P-${id}`, name: 'Fjord Networks AS' },
    customer: { name: 'Acme Shipping', country: 'NO' },
    services: ['messaging'],
    rep: { name: 'Rita Rep', email: 'rita.rep@cisco.example' },
    ...overrides,
  };
  const domain = `cust-${id}.example`;
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  const expectOk = async (what: string, answer: Promise<{ status: number; body: Record<string, unknown> }>) => {
    const { status, body } = await answer;
    if (status >= 300) throw new Error(`${order.orderId} ${what}: ${status} ${JSON.stringify(body)}`);
    return body;
  };

  return {
    order,
    domain,
    async post() {
      const raw = JSON.stringify(order);
      const response = await app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: { 'content-type': 'application/json', 'x-signature': signIntakeBody(INTAKE_SECRET, raw, Math.floor(Date.now() / 1000)) },
        payload: raw,
      });
      if (response.statusCode !== 201) throw new Error(`intake ${order.orderId}: ${response.statusCode} ${response.body}`);
    },
    /** The token of the newest email of `purpose` to `to`. */
    async token(purpose: string, to?: string) {
      return until(`${order.orderId} ${purpose} email`, async () => {
        const { body } = await call('GET', `/dev/outbox.json?orderId=${order.orderId}`);
        const email = (body.items as Array<{ purpose: string; to: string; text: string }>).find((e) => e.purpose === purpose && (!to || e.to === to));
        return email && /\/wizard\/([A-Za-z0-9_-]{43})/.exec(email.text)?.[1];
      });
    },
    rep: (action: string, body: Record<string, unknown> = {}) =>
      expectOk(`rep ${action}`, call('POST', `/api/orders/${order.orderId}/actions/${action}`, body, { authorization: `Bearer ${REP_TOKEN}` })),
    status: async () => (await call('GET', `/api/orders/${order.orderId}`, undefined, { authorization: `Bearer ${REP_TOKEN}` })).body.status as string,
    wizard(token: string) {
      let sessionId = '';
      return {
        async start() {
          sessionId = String((await expectOk('session', call('POST', `/api/wizard/${token}/sessions`))).sessionId);
        },
        step: (step: string, input: Record<string, unknown> = {}) => expectOk(step, call('POST', `/api/wizard/${token}/steps/${step}`, { sessionId, ...input })),
      };
    },
  };
}
export type Order = ReturnType<typeof orderOn>;
export type Wizard = ReturnType<Order['wizard']>;

/** Steps 3–8 as the partner, creating a partner org and a customer org. */
export async function partnerConfigures(o: Order, w: Wizard) {
  await w.start();
  await w.step('role', { role: 'partner' });
  await w.step('configurer', { choice: 'self' });
  await w.step('partner-org', { mode: 'new', name: o.order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${o.domain}` });
  await w.step('customer-admin', { email: `it@${o.domain}` });
  await w.step('customer-org', { mode: 'new', name: o.order.customer.name, country: 'NO', address: 'Strandkaien 2' });
  await w.step('confirm', { confirmed: true });
}

/** Step 10 for the services of the order, then provisioning. */
export async function serviceSetupAndProvision(o: Order, w: Wizard) {
  await w.step('subscription', { reviewed: true });
  if (o.order.services.includes('calling')) await w.step('calling', { country: 'NO', locationName: 'Bergen HQ', timeZone: 'Europe/Oslo', extensionLength: 4 });
  if (o.order.services.includes('meetings')) await w.step('meetings', { subdomain: `site-${o.order.orderId.slice(4).toLowerCase()}` });
  await w.step('provision', { confirm: true });
}

interface Apps {
  normal: App;
  /** Escalation after 2 s, expiry after 8 s. */
  expiring: App;
  /** Escalation after 1 s. */
  escalating: App;
  /** Continues as new past 60 history events. */
  continuing: App;
}

/** An order of every service, set up by the partner with a new partner org, then provisioned. */
async function everyServiceProvisioned(app: App): Promise<string> {
  const o = orderOn(app, { services: ['messaging', 'meetings', 'calling'] });
  await o.post();
  const w = o.wizard(await o.token('setup'));
  await partnerConfigures(o, w);
  await w.step('partner-password', { password: PASSWORD });
  await serviceSetupAndProvision(o, w);
  return o.order.orderId;
}

/** Each path runs its order to the end and returns the order's id. */
const PATHS: Record<PathName, (apps: Apps, failActivationOnce: Set<string>) => Promise<string>> = {
  'happy-path': ({ normal }) => everyServiceProvisioned(normal),

  async delegation({ normal }) {
    const o = orderOn(normal);
    await o.post();
    const contact = o.wizard(await o.token('setup'));
    await contact.start();
    await contact.step('role', { role: 'partner' });
    const customerAdmin = `it@${o.domain}`;
    await contact.step('configurer', { choice: 'customer', email: customerAdmin });
    const customer = o.wizard(await o.token('delegated', customerAdmin));
    await customer.start();
    await customer.step('role', { role: 'customer' });
    await customer.step('configurer', { choice: 'self' });
    await customer.step('customer-admin', { email: customerAdmin });
    await customer.step('customer-org', { mode: 'new', name: o.order.customer.name, country: 'NO', address: 'Strandkaien 2' });
    await customer.step('confirm', { confirmed: true });
    await serviceSetupAndProvision(o, customer);
    return o.order.orderId;
  },

  async 'hold-resume'({ normal }) {
    const o = orderOn(normal);
    await o.post();
    const token = await o.token('setup');
    const first = o.wizard(token);
    await first.start();
    await first.step('role', { role: 'partner' });
    await first.step('configurer', { choice: 'self' });
    await first.step('partner-org', { mode: 'new', name: o.order.partner.name, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: `admin@partner-${o.domain}` });
    await first.step('customer-admin', { email: `it@${o.domain}` });
    await first.step('customer-org', { mode: 'existing', recognised: false });
    await until('ON_HOLD', async () => ((await o.status()) === 'ON_HOLD' ? true : undefined));
    await o.rep('resume', { reason: 'the rep checked the organization' });
    // Resuming sends a fresh link; the first one stops working.
    const again = o.wizard(await o.token('resumed'));
    await partnerConfigures(o, again);
    await again.step('partner-password', { password: PASSWORD });
    await serviceSetupAndProvision(o, again);
    return o.order.orderId;
  },

  async cancel({ normal }) {
    const o = orderOn(normal, { requestedStartDate: monthsAhead(6) });
    await o.post();
    await o.rep('reschedule', { requestedStartDate: yesterday() });
    await o.token('setup');
    await o.rep('resend-link');
    await o.rep('change-contact', { email: `new-contact@${o.domain}` });
    await o.token('setup', `new-contact@${o.domain}`);
    await o.rep('cancel', { reason: 'The customer withdrew the order.' });
    return o.order.orderId;
  },

  async expiry({ expiring }) {
    const o = orderOn(expiring);
    await o.post();
    await o.token('setup');
    // Nobody comes: escalation after 2 s, expiry after 8 s.
    return o.order.orderId;
  },

  async escalation({ escalating }) {
    const o = orderOn(escalating);
    await o.post();
    const token = await o.token('setup');
    await until('ESCALATED', async () => ((await o.status()) === 'ESCALATED' ? true : undefined));
    const w = o.wizard(token);
    await partnerConfigures(o, w);
    await w.step('partner-password', { password: PASSWORD });
    await serviceSetupAndProvision(o, w);
    return o.order.orderId;
  },

  async 'provisioning-failure'({ normal }, failActivationOnce) {
    const o = orderOn(normal);
    failActivationOnce.add(o.order.orderId);
    await o.post();
    const w = o.wizard(await o.token('setup'));
    await partnerConfigures(o, w);
    await w.step('partner-password', { password: PASSWORD });
    await serviceSetupAndProvision(o, w);
    await until('the provisioning failure', async () => (!failActivationOnce.has(o.order.orderId) && (await o.status()) === 'SERVICE_SETUP' ? true : undefined));
    // The rep has fixed it; the person provisions again.
    await until('provisioning to be offered again', async () => w.step('provision', { confirm: true }).then(() => true));
    return o.order.orderId;
  },

  // The happy path on an app whose orders continue as new, twice along the way.
  'continue-as-new': ({ continuing }) => everyServiceProvisioned(continuing),
};

async function main(only: string[]) {
  const unknown = only.filter((name) => !(RECORDED_PATHS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown path ${unknown.join(', ')}; known: ${RECORDED_PATHS.join(', ')}`);
  const selected = RECORDED_PATHS.filter((name) => !only.length || only.includes(name));

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTemporalDevServer({ cliPath: await ensureTemporalCli(), searchAttributes: SEARCH_ATTRIBUTES, log: () => {} });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'record-histories-'));
  const cleanups: Array<() => Promise<unknown>> = [() => server.stop(), () => rm(dataDir, { recursive: true, force: true })];
  try {
    const env = {
      ...SECRETS,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: 'record-histories',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    };
    const configs: Record<keyof Apps, Config> = {
      normal: loadConfig(env),
      expiring: loadConfig({ ...env, ESCALATION_AFTER: '2s', ORDER_EXPIRES_AFTER: '8s' }),
      escalating: loadConfig({ ...env, ESCALATION_AFTER: '1s' }),
      continuing: loadConfig({ ...env, CONTINUE_AS_NEW_AFTER_EVENTS: '60' }),
    };
    // As root PostgreSQL runs as the `postgres` user, which must reach its data directory.
    await chmod(dataDir, 0o755);
    const postgresServer = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') });
    cleanups.unshift(() => postgresServer.stop());
    const database = await openDatabase({ url: postgresServer.url() });
    cleanups.unshift(() => database.close());
    await database.migrate();

    // Webex refuses one activation of the orders listed, as a closed account would until a rep fixes it.
    const failActivationOnce = new Set<string>();
    const gateway = createDatabaseWebexGateway({ database });
    const webex = {
      ...gateway,
      async activateSubscription(request: Parameters<typeof gateway.activateSubscription>[0]) {
        if (failActivationOnce.delete(request.orderId)) throw new WebexRejection('The customer organization is not known to Webex yet');
        return gateway.activateSubscription(request);
      },
    };
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanups.unshift(() => nativeConnection.close());
    // Payloads with the test keys alone, not the orders' data keys: the recorded histories replay without this database.
    const workers = await createOrderWorkers({ config: configs.normal, database, connection: nativeConnection, webex, orderDataKeys: false });
    const running = workers.run();
    cleanups.unshift(async () => {
      workers.shutdown();
      await running;
    });

    const connection = await Connection.connect({ address: server.address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection, dataConverter: replayDataConverter() });
    const apps = {} as Apps;
    for (const [name, config] of Object.entries(configs) as Array<[keyof Apps, Config]>) {
      apps[name] = await buildApp({ config, database, temporal: client, logger: false });
      cleanups.unshift(() => apps[name].close());
    }

    await Promise.all(
      selected.map(async (name) => {
        const orderId = await PATHS[name](apps, failActivationOnce);
        const workflowId = orderWorkflowId(orderId);
        const handle = client.workflow.getHandle(workflowId);
        const final = await handle.result();
        const history = await handle.fetchHistory();
        const directory = path.join(HISTORIES_DIR, HISTORY_RELEASE);
        await mkdir(directory, { recursive: true });
        // Visibility lags the runs a little: the last run's start is listed once it lists every earlier one.
        const runs = await until(`${orderId}'s runs`, async () => {
          const listed: Array<{ runId: string; startTime: Date }> = [];
          for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push({ runId: execution.runId, startTime: execution.startTime });
          const continuedFrom = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
          return !continuedFrom || listed.some((run) => run.runId === continuedFrom) ? listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()) : undefined;
        });
        // A re-recording may hand over fewer times: no run file of an earlier recording stays.
        for (const stale of (await readdir(directory)).filter((file) => file.startsWith(`${name}-run`))) await rm(path.join(directory, stale));
        for (const [index, run] of runs.slice(0, -1).entries()) {
          await writeFile(path.join(directory, `${name}-run${index + 1}.json`), `${historyToJSON(await client.workflow.getHandle(workflowId, run.runId).fetchHistory())}\n`);
        }
        await writeFile(path.join(directory, `${name}.json`), `${historyToJSON(history)}\n`);
        console.log(`[record] ${name}: ${final.status}, ${history.events?.length ?? 0} events`);
      }),
    );
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error('[record] while stopping:', error));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
