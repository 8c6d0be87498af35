// The intake ledger (SPEC §8.1): a re-delivery is answered from PostgreSQL, for ever, whatever
// Temporal still remembers; a delivery whose start never went through is started by the next one.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeLedger, orders } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { normaliseOrder, payloadHash } from '../api/order-service.js';
import { eventually, type Harness, makeOrder, outbox, repAction, startHarness, workflowExists } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** `temporal workflow delete`: the same call the CLI makes, then Temporal no longer knows the order. */
async function deleteWorkflow(orderId: string): Promise<void> {
  await h.client.workflowService.deleteWorkflowExecution({
    namespace: h.config.temporal.namespace,
    workflowExecution: { workflowId: orderWorkflowId(orderId) },
  });
  // The server deletes a closed workflow in the background: that takes it some seconds.
  await eventually(async () => ((await workflowExists(h, orderId)) ? undefined : true), { timeoutMs: 90_000, intervalMs: 500 });
}

const readModelStatus = async (orderId: string) => (await h.database.db.select({ status: orders.status }).from(orders).where(eq(orders.orderId, orderId)))[0]?.status;

describe('intake ledger', () => {
  it('answers a re-delivery of a cancelled order Temporal has deleted with 200 and starts nothing; another payload is 409', { timeout: 120_000 }, async () => {
    const order = makeOrder();
    expect((await h.postOrder(order)).statusCode).toBe(201);
    expect((await repAction(h, order.orderId, 'cancel', { reason: 'customer withdrew' })).statusCode).toBe(200);
    await eventually(async () => ((await readModelStatus(order.orderId)) === 'CANCELLED' ? true : undefined));
    const emailsBefore = await outbox(h, order.orderId);
    await deleteWorkflow(order.orderId);

    const again = await h.postOrder(order);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ orderId: order.orderId, status: 'CANCELLED' });
    // No second workflow: nothing can email, bill or bring the order back.
    expect(await workflowExists(h, order.orderId)).toBe(false);
    expect(await readModelStatus(order.orderId)).toBe('CANCELLED');
    expect(await outbox(h, order.orderId)).toEqual(emailsBefore);
    const detail = await h.repGet(`/api/orders/${order.orderId}`);
    expect(detail.json()).toMatchObject({ status: 'CANCELLED', live: false });

    const other = await h.postOrder({ ...order, services: ['calling'] });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ type: expect.stringContaining('order-conflict') });
    expect(await workflowExists(h, order.orderId)).toBe(false);
  });

  it('starts, exactly once, an order whose first delivery was written to the ledger but never started', async () => {
    const order = makeOrder();
    // As if intake crashed between its ledger insert and the workflow start.
    await h.database.db.insert(intakeLedger).values({ orderId: order.orderId, payloadHash: payloadHash(normaliseOrder(order)) });
    expect(await workflowExists(h, order.orderId)).toBe(false);

    const responses = await Promise.all([h.postOrder(order), h.postOrder(order), h.postOrder(order)]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
    expect(await workflowExists(h, order.orderId)).toBe(true);
    const [ledger] = await h.database.db.select().from(intakeLedger).where(eq(intakeLedger.orderId, order.orderId));
    expect(ledger?.startedAt).toBeInstanceOf(Date);
    expect((await h.postOrder({ ...order, services: ['calling'] })).statusCode).toBe(409);
  });
});
