// A bulk action answers one result per order in every case (SPEC §8.1): an order whose action
// fails because a dependency is unavailable answers 503 in its own slot while the others act, and
// the request as a whole never fails after some of its orders acted.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDeskService } from '../api/desk-service.js';
import { createOrderService, type OrderService } from '../api/order-service.js';
import { createWorkflowCalls } from '../api/workflow-calls.js';
import { type Database, openDatabase } from '../db/client.js';
import { type Harness, makeOrder, startHarness } from './support/harness.js';

let h: Harness;
let unreachable: Database;
beforeAll(async () => {
  h = await startHarness();
  // A PostgreSQL nobody listens on: every query fails as a refused connection does in an outage.
  unreachable = await openDatabase({ url: 'postgres://nobody@127.0.0.1:1/none', maxConnections: 1 });
});
afterAll(async () => {
  await unreachable?.close();
  await h?.close();
});

it('a bulk cancel answers 503 in the slot of the order whose database is unreachable and cancels the others', async () => {
  const orders = [makeOrder(), makeOrder(), makeOrder()];
  for (const order of orders) expect((await h.postOrder(order)).statusCode).toBe(201);
  const [broken, ...healthy] = orders.map((o) => o.orderId) as [string, ...string[]];
  const deps = { config: h.config, temporal: h.client, calls: createWorkflowCalls(h.client) };
  const working = createOrderService({ ...deps, database: h.database });
  const failing = createOrderService({ ...deps, database: unreachable });
  // One service per order, as the fault falls: the broken order's action meets the outage.
  const orderService: OrderService = { ...working, act: (orderId, ...rest) => (orderId === broken ? failing : working).act(orderId, ...rest) };
  const desk = createDeskService({ database: h.database, orderService, clock: () => new Date() });
  const logged: unknown[] = [];
  const log = { warn: (entry: unknown) => logged.push(entry), error: (entry: unknown) => logged.push(entry), child: () => log } as never;

  const { results } = await desk.bulk('cancel', [broken, ...healthy], { reason: 'customer withdrew' }, 'rita', 'bulk-1', log);

  expect(results.map((r) => r.orderId)).toEqual([broken, ...healthy]);
  expect(results[0]).toMatchObject({ ok: false, problem: { status: 503, type: expect.stringContaining('unavailable') } });
  for (const result of results.slice(1)) expect(result).toMatchObject({ ok: true, order: { status: 'CANCELLED' } });
  expect(logged).toHaveLength(1);
  expect((await h.repGet(`/api/orders/${broken}`)).json()).toMatchObject({ status: 'SCHEDULED' });
});
