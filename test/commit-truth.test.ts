// "Nothing was changed" is true (issue 23, item 2): step 8's commit runs in a local activity whose
// timeout only abandons the promise. With its advisory lock held elsewhere for longer than the
// activity may take, the wizard gets either 200 with the order configured, or a 503 after which the
// order is provably unchanged and a later confirm succeeds — never a 503 followed by a configuration
// appearing in PostgreSQL.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderConfigurations } from '../db/schema/index.js';
import { type Harness, isoDate, makeOrder, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { walkToCustomerOrg } from './support/lifecycle.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it('a confirm whose commit waits 3 s for the order’s lock answers from what committed', { timeout: 60_000 }, async () => {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
  await walkToCustomerOrg(wizard, `Fjord ${randomUUID().slice(0, 6)}`);
  expect((await wizard.step('customer-org', { mode: 'new', name: 'Acme Shipping AS', country: 'NO', address: 'Strandkaien 2' })).statusCode).toBe(200);

  // What psql would do: hold the lock the commit takes (activities/organizations.ts) in a session of its own.
  const holder = postgres(h.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const lockKey = `order-configuration:${order.orderId}`;
  try {
    await holder`select pg_advisory_lock(hashtextextended(${lockKey}, 0))`;
    const confirming = wizard.step('confirm', { confirmed: true });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await holder`select pg_advisory_unlock(hashtextextended(${lockKey}, 0))`;
    const answer = await confirming;
    expect([200, 503], answer.body).toContain(answer.statusCode);
    // Any attempt still queued for the lock got it at the unlock: taking it again waits until it has ended.
    await holder`select pg_advisory_lock(hashtextextended(${lockKey}, 0))`;
    await holder`select pg_advisory_unlock(hashtextextended(${lockKey}, 0))`;
    const configured = await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, order.orderId));

    if (answer.statusCode === 200) {
      expect(answer.json()).toMatchObject({ status: 'ORDER_CONFIGURED' });
      expect(configured).toHaveLength(1);
      return;
    }
    // 503: nothing was changed, in PostgreSQL as in the workflow, and confirming again works.
    expect(configured).toEqual([]);
    expect((await wizard.view()).json()).toMatchObject({ status: 'IN_PROGRESS' });
    const again = await wizard.step('confirm', { confirmed: true });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ status: 'ORDER_CONFIGURED' });
    expect(await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, order.orderId))).toHaveLength(1);
  } finally {
    await holder.end({ timeout: 5 });
  }
});
