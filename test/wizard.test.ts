// The wizard of SPEC §3 through HTTP, the real worker, Temporal and PostgreSQL: every path of the seed.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, orgUsers } from '../db/schema/index.js';
import {
  decodedHistoryText,
  eventually,
  type Harness,
  isoDate,
  makeOrder,
  startHarness,
  tokenOf,
  waitForEmail,
  wizardClient,
} from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** An order whose start date has passed: its setup email goes at once. Returns its wizard. */
async function orderWithLink(overrides: Parameters<typeof makeOrder>[0] = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', ...overrides });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const email = await waitForEmail(h, order.orderId, 'setup');
  expect(email.to).toBe(order.provisioningContactEmail);
  return { order, wizard: wizardClient(h, tokenOf(email)) };
}

const uniqueDomain = () => `cust-${Math.random().toString(36).slice(2, 10)}.example`;

describe('the happy path: partner configures a first order', () => {
  it('walks steps 3–10 and provisions once', async () => {
    const { order, wizard } = await orderWithLink({ services: ['messaging', 'meetings', 'calling'] });
    const before = await wizard.view();
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ orderId: order.orderId, status: 'AWAITING_SETUP', nextStep: 'role', session: { active: false } });

    const started = await wizard.start();
    expect(started.statusCode).toBe(201);
    expect(started.json().view).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role', session: { active: true } });

    expect((await wizard.step('role', { role: 'partner' })).json()).toMatchObject({ nextStep: 'configurer', stepNumber: '4' });
    const afterConfigurer = await wizard.step('configurer', { choice: 'self' });
    expect(afterConfigurer.json()).toMatchObject({ nextStep: 'partner-org', partnerOrg: null });

    const domain = uniqueDomain();
    const partnerAdmin = `admin@partner-${domain}`;
    expect(
      (await wizard.step('partner-org', { mode: 'new', name: 'Fjord Networks AS', country: 'NO', address: 'Kaigata 1, Bergen', adminEmail: partnerAdmin })).json(),
    ).toMatchObject({ nextStep: 'customer-admin' });
    const customerAdmin = `it-boss@${domain}`;
    const toOrg = await wizard.step('customer-admin', { email: customerAdmin });
    expect(toOrg.json()).toMatchObject({ nextStep: 'customer-org', customerOrg: { adminBelongsTo: null, candidates: [], defaults: { name: order.customer.name } } });
    expect((await wizard.step('customer-org', { mode: 'new', name: 'Acme Shipping AS', country: 'NO', address: 'Strandkaien 2' })).json()).toMatchObject({
      nextStep: 'confirm',
    });

    const confirmed = await wizard.step('confirm', { confirmed: true });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'ORDER_CONFIGURED', nextStep: 'partner-password', configuration: { newPartnerOrg: true, passwordSet: false } });

    const weak = await wizard.step('partner-password', { password: 'password123' });
    expect(weak.statusCode).toBe(422);
    const password = 'correct horse battery staple fjord';
    const withPassword = await wizard.step('partner-password', { password });
    expect(withPassword.statusCode).toBe(200);
    expect(withPassword.json()).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'subscription' });
    expect(withPassword.json().sections.map((s: { name: string }) => s.name)).toEqual(['subscription', 'calling', 'meetings']);

    const tooEarly = await wizard.step('provision', { confirm: true });
    expect(tooEarly.statusCode).toBe(409);

    expect((await wizard.step('subscription', { reviewed: true })).statusCode).toBe(200);
    const calling = await wizard.step('calling', { country: 'NO', locationName: 'Bergen HQ', timeZone: 'Europe/Oslo', extensionLength: 4 });
    expect(calling.statusCode).toBe(200);
    const subdomain = `acme-${Math.random().toString(36).slice(2, 8)}`;
    expect((await wizard.subdomain(subdomain)).json()).toMatchObject({ available: true });
    const meetings = await wizard.step('meetings', { subdomain });
    expect(meetings.statusCode).toBe(200);
    expect(meetings.json()).toMatchObject({ nextStep: 'provision' });
    expect(meetings.json().sections.every((s: { saved: boolean }) => s.saved)).toBe(true);

    const provisioning = await wizard.step('provision', { confirm: true });
    expect(provisioning.statusCode).toBe(200);
    const done = await eventually(async () => {
      const view = (await wizard.view()).json();
      return view.status === 'PROVISIONED' ? view : undefined;
    });
    expect(done).toMatchObject({ nextStep: null, provisioning: { state: 'done' } });

    // The database holds the orgs and the admin, once.
    const admins = await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, customerAdmin));
    expect(admins).toHaveLength(1);
    const partnerOrgs = await h.database.db.select().from(organizations).where(eq(organizations.partnerId, order.partner.id));
    expect(partnerOrgs).toHaveLength(1);

    // Nothing of the password reached the workflow history.
    const history = await decodedHistoryText(h, order.orderId);
    expect(history).toContain(customerAdmin);
    expect(history).not.toContain(password);
    expect(history).not.toContain(Buffer.from(password).toString('base64'));

    // The timeline is a projection: its last event lands a moment after the live status.
    const detail = await eventually(async () => {
      const body = (await h.repGet(`/api/orders/${order.orderId}`)).json();
      return body.timeline.some((e: { type: string }) => e.type === 'order.provisioned') ? body : undefined;
    });
    expect(detail.status).toBe('PROVISIONED');
    expect(detail.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['order.received', 'order.setup-email', 'wizard.session-started', 'order.configured', 'wizard.partner-password', 'order.provisioned']),
    );
  });
});
