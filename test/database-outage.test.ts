// A PostgreSQL outage is survived, not amplified (issue 14, item 2): the real database stopped for
// 90 s in the middle of a wizard session and of a burst of due timers. While it is down, a wizard
// step is answered 503 with Retry-After at once and changes nothing; when it is back, every order
// continues with nothing lost or doubled. A write that retries holds no lock: an Update to its order
// is answered while the database is still down.
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { emailDeliveries } from '../db/schema/index.js';
import { repActionUpdate } from '../workflows/definitions.js';
import { eventually, type Harness, isoDate, makeOrder, repAction, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { eventsOf, waitForDetail } from './support/lifecycle.js';

const OUTAGE_MS = 90_000;
let dataDir: string;
let server: EmbeddedPostgresServer;
let h: Harness;

beforeAll(async () => {
  // Reachable by the `postgres` user the server runs as when the tests run as root.
  dataDir = await mkdtemp(path.join(tmpdir(), 'orders-outage-'));
  await chmod(dataDir, 0o777);
  server = await startEmbeddedPostgres({ dataDir });
  const database = await openDatabase({ url: server.url(), maxConnections: 5 });
  await database.migrate();
  h = await startHarness({ ESCALATION_AFTER: '4s' }, { database });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

describe('the database stopped for 90 s', () => {
  it('answers 503 with Retry-After within 2 s meanwhile, then every order continues once', { timeout: 300_000 }, async () => {
    // A wizard session under way.
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
    expect((await wizard.start()).statusCode).toBe(201);
    expect((await wizard.step('role', { role: 'partner' })).statusCode).toBe(200);
    // Orders whose escalation falls due during the outage.
    const due = Array.from({ length: 5 }, () => makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' }));
    for (const o of due) expect((await h.postOrder(o)).statusCode).toBe(201);
    for (const o of due) await waitForEmail(h, o.orderId, 'setup');

    // An order taken in just before the outage: its next events (received, setup email, escalation) wait for the database.
    const held = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(held)).statusCode).toBe(201);

    const historyLength = async (orderId: string) => (await h.client.workflow.getHandle(`order-${orderId}`).describe()).historyLength;
    const lengthsBefore = await Promise.all(due.map((o) => historyLength(o.orderId)));
    const port = server.port;
    await server.stop();
    const stoppedAt = Date.now();
    const outageLeft = () => OUTAGE_MS - (Date.now() - stoppedAt);
    const started = Date.now();
    const refused = await wizard.step('configurer', { choice: 'self' });
    const tookMs = Date.now() - started;
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(tookMs).toBeLessThan(2_000);
    // A rep action is refused alike, and changes nothing (the order is found ESCALATED below, not cancelled).
    const repStarted = Date.now();
    const repRefused = await repAction(h, due[0]!.orderId, 'cancel', { reason: 'during the outage' });
    expect(Date.now() - repStarted).toBeLessThan(2_000);
    expect(repRefused.statusCode, repRefused.body).toBe(503);
    expect(repRefused.headers['retry-after']).toBeDefined();

    // The held order's event write falls back to a regular activity, retried by the server until the database is back...
    const heldHandle = h.client.workflow.getHandle(`order-${held.orderId}`);
    await eventually(async () => {
      const { raw } = await heldHandle.describe();
      return raw.pendingActivities?.some((a) => a.activityType?.name === 'recordOrderEvent') || undefined;
    }, { timeoutMs: 30_000 });
    // ...and an Update to that order does not queue behind it: it is answered while the database is still down.
    const update = heldHandle.executeUpdate(repActionUpdate, { args: [{ action: 'cancel', repId: 'rep-outage-test', reason: 'answered during the outage' }] });
    const answered = await Promise.race([update.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), Math.max(0, outageLeft() - 5_000)))]);
    expect(answered, 'the Update was answered before the database came back').toBe(true);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageLeft())));
    // The outage is not amplified: a failed local attempt retries inside its workflow task (no
    // backoff timers), then one regular activity waits; the escalation adds its own few events.
    const added = (await Promise.all(due.map((o) => historyLength(o.orderId)))).map((n, i) => n - lengthsBefore[i]!);
    for (const n of added) expect(n, `history events added during the outage: ${added.join(', ')}`).toBeLessThanOrEqual(12);
    server = await startEmbeddedPostgres({ dataDir, port });

    // The refused step changed nothing: it goes now, once.
    const step = await wizard.step('configurer', { choice: 'self' });
    expect(step.statusCode, step.body).toBe(200);
    for (const o of due) {
      const detail = await waitForDetail(h, o.orderId, (d) => d.status === 'ESCALATED' && d.tasks.some((t) => t.kind === 'escalation'), 90_000);
      expect(eventsOf(detail, 'order.escalated'), o.orderId).toHaveLength(1);
      expect(detail.timeline.map((e) => e.seq)).toEqual(detail.timeline.map((_, i) => i + 1));
    }
    const detail = await waitForDetail(h, order.orderId, (d) => eventsOf(d, 'wizard.configurer').length > 0);
    expect(eventsOf(detail, 'wizard.configurer')).toHaveLength(1);
    // The held order's events, the Update's among them, reached the read model once each, in seq order.
    const heldDetail = await waitForDetail(h, held.orderId, (d) => d.status === 'CANCELLED' && eventsOf(d, 'rep.cancel').length > 0, 90_000);
    expect(eventsOf(heldDetail, 'rep.cancel')).toHaveLength(1);
    expect(heldDetail.timeline.map((e) => e.seq)).toEqual(heldDetail.timeline.map((_, i) => i + 1));
    // No email went twice.
    for (const o of [order, ...due]) {
      const rows = await h.database.db.select().from(emailDeliveries).where(and(eq(emailDeliveries.orderId, o.orderId), eq(emailDeliveries.purpose, 'setup')));
      expect(rows, o.orderId).toHaveLength(1);
    }
  });
});
