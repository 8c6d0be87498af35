// Every path of the seed's steps 3–9 through HTTP, the real worker, Temporal and PostgreSQL:
// hand-overs, new and existing partner and customer orgs, holds and resumes, the step 8 race,
// restarts, field errors, and a password that never leaves the request that carries it.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokens, orderConfigurations, organizations, orgUsers } from '../db/schema/index.js';
import { verifyPassword } from '../domain/password.js';
import {
  decodedHistoryText,
  eventually,
  type Harness,
  isoDate,
  makeOrder,
  repAction,
  startHarness,
  tokenOf,
  waitForEmail,
  wizardClient,
} from './support/harness.js';
import { readModelCaughtUp } from './support/lifecycle.js';
import { accept, problem } from './support/wizard-flow.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

type Wizard = ReturnType<typeof wizardClient>;
type Order = ReturnType<typeof makeOrder>;
type StepInput = Record<string, unknown>;

const uniq = () => randomUUID().slice(0, 8);
/** A company domain no other test (or test file) uses. */
const newDomain = () => `corp-${uniq()}.example`;
const PARTNER_ORG_NAME = 'Fjord Networks AS';

/** An order whose start date has passed: its setup email goes at once. Returns its wizard. */
async function orderWithLink(overrides: Partial<Order> = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', ...overrides });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const email = await waitForEmail(h, order.orderId, 'setup');
  return { order, token: tokenOf(email), wizard: wizardClient(h, tokenOf(email)) };
}

async function start(wizard: Wizard) {
  const response = await wizard.start();
  expect(response.statusCode, response.body).toBe(201);
  return response.json().view;
}

const newPartnerOrg = (adminEmail: string) => ({ mode: 'new', name: PARTNER_ORG_NAME, country: 'NO', address: 'Kaigata 1, Bergen', adminEmail });
const newCustomerOrg = (name = 'Acme Shipping AS') => ({ mode: 'new', name, country: 'NO', address: 'Strandkaien 2, Bergen' });

/**
 * A first order of a new partner taken through step 8: a partner org with its admin, and a new
 * customer org managed by it whose admin is `customerAdmin`.
 */
async function configuredFirstOrder(customerAdmin = `boss@${newDomain()}`, overrides: Partial<Order> = {}) {
  const { order, wizard } = await orderWithLink(overrides);
  const partnerAdmin = `admin@partner-${newDomain()}`;
  await start(wizard);
  await accept(wizard, 'role', { role: 'partner' });
  await accept(wizard, 'configurer', { choice: 'self' });
  await accept(wizard, 'partner-org', newPartnerOrg(partnerAdmin));
  await accept(wizard, 'customer-admin', { email: customerAdmin });
  await accept(wizard, 'customer-org', newCustomerOrg(`Customer of ${order.orderId}`));
  const configured = await accept(wizard, 'confirm', { confirmed: true });
  expect(configured).toMatchObject({ status: 'ORDER_CONFIGURED', nextStep: 'partner-password' });
  const [customerOrg] = await h.database.db.select().from(organizations).where(and(eq(organizations.createdByOrderId, order.orderId), eq(organizations.kind, 'customer')));
  return { order, wizard, partnerAdmin, customerAdmin, customerOrg: customerOrg! };
}

async function detail(orderId: string) {
  const response = await h.repGet(`/api/orders/${orderId}`);
  expect(response.statusCode).toBe(200);
  return response.json() as {
    status: string;
    timeline: Array<{ type: string; actor: string; data: Record<string, unknown> }>;
    tasks: Array<{ kind: string; status: string }>;
  };
}

const orgsCreatedBy = (orderId: string) => h.database.db.select().from(organizations).where(eq(organizations.createdByOrderId, orderId));
const partnerOrgsOf = (partnerId: string) =>
  h.database.db.select().from(organizations).where(and(eq(organizations.kind, 'partner'), eq(organizations.partnerId, partnerId)));

const unknownToken = () => randomBytes(32).toString('base64url');

describe('step 4: who configures', () => {
  it('self: the contact goes on to the partner org with the same link', async () => {
    const { wizard } = await orderWithLink();
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    expect(await accept(wizard, 'configurer', { choice: 'self' })).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'partner-org', stepNumber: '5', audience: 'contact' });
    expect((await wizard.view()).json()).toMatchObject({ nextStep: 'partner-org', session: { active: true } });
  });

  it('colleague: a new link goes to the colleague, who starts at step 3; the contact’s link is dead', async () => {
    const { order, wizard } = await orderWithLink();
    const colleague = `kari-${uniq()}@partner.example`;
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    const handedOver = await accept(wizard, 'configurer', { choice: 'colleague', email: colleague.toUpperCase() });
    expect(handedOver).toMatchObject({ status: 'AWAITING_SETUP', nextStep: 'role', session: { active: false }, delegatedToCustomer: false });

    const email = await waitForEmail(h, order.orderId, 'delegated', colleague);
    expect(email.text).toContain(order.provisioningContactEmail);
    const colleagueWizard = wizardClient(h, tokenOf(email));

    // The contact's link answers exactly like a token that never existed, whatever is asked.
    const unknown = problem(await wizardClient(h, unknownToken()).view());
    for (const response of [await wizard.view(), await wizard.start(), await wizard.step('configurer', { choice: 'self' })]) {
      expect(response.statusCode).toBe(404);
      expect(problem(response)).toEqual(unknown);
    }
    await eventually(async () => {
      const [old] = await h.database.db.select().from(linkTokens).where(and(eq(linkTokens.orderId, order.orderId), eq(linkTokens.issueKey, 'link-1')));
      return old?.revokedAt ? old : undefined;
    });

    expect((await colleagueWizard.view()).json()).toMatchObject({ status: 'AWAITING_SETUP', nextStep: 'role', stepNumber: '3', audience: 'colleague' });
    expect(await start(colleagueWizard)).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role', draft: {} });
    await accept(colleagueWizard, 'role', { role: 'partner' });
    expect(await accept(colleagueWizard, 'configurer', { choice: 'self' })).toMatchObject({ nextStep: 'partner-org' });

    const { timeline } = await detail(order.orderId);
    expect(timeline).toContainEqual(expect.objectContaining({ type: 'wizard.delegated', actor: 'contact', data: { to: colleague, audience: 'colleague' } }));
    expect(timeline.filter((e) => e.type === 'wizard.session-started').map((e) => e.actor)).toEqual(['contact', 'colleague']);
  });

  it('customer: the customer’s link takes the customer role, skips the partner org and commits an org no partner manages', async () => {
    const { order, wizard } = await orderWithLink({ services: ['messaging'] });
    const customerAdmin = `it-${uniq()}@${newDomain()}`;
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    expect(await accept(wizard, 'configurer', { choice: 'customer', email: customerAdmin })).toMatchObject({ status: 'AWAITING_SETUP', delegatedToCustomer: true });
    expect((await wizard.view()).statusCode).toBe(404);

    const email = await waitForEmail(h, order.orderId, 'delegated', customerAdmin);
    const customer = wizardClient(h, tokenOf(email));
    expect((await customer.view()).json()).toMatchObject({ nextStep: 'role', audience: 'customer', delegatedToCustomer: true });
    await start(customer);

    const asPartner = await customer.step('role', { role: 'partner' });
    expect(asPartner.statusCode).toBe(422);
    expect(asPartner.json().errors).toEqual([expect.objectContaining({ field: '/body/role' })]);
    await accept(customer, 'role', { role: 'customer' });
    const backToCustomer = await customer.step('configurer', { choice: 'customer', email: `other@${newDomain()}` });
    expect(backToCustomer.statusCode).toBe(422);
    expect(backToCustomer.json().errors[0].field).toBe('/body/choice');
    const afterConfigurer = await accept(customer, 'configurer', { choice: 'self' });
    expect(afterConfigurer).toMatchObject({ nextStep: 'customer-admin', stepNumber: '6' });
    expect(afterConfigurer).not.toHaveProperty('partnerOrg');
    expect((await customer.step('partner-org', newPartnerOrg(`x@${newDomain()}`))).statusCode).toBe(409);

    await accept(customer, 'customer-admin', { email: customerAdmin });
    await accept(customer, 'customer-org', newCustomerOrg());
    const configured = await accept(customer, 'confirm', { confirmed: true });
    // No partner org was created, so there is no password to set: straight to service setup.
    expect(configured).toMatchObject({
      status: 'SERVICE_SETUP',
      nextStep: 'subscription',
      configuration: { partnerOrgName: null, newPartnerOrg: false, adminEmail: customerAdmin },
    });

    const created = await orgsCreatedBy(order.orderId);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ kind: 'customer', managedByOrgId: null });
    expect(await partnerOrgsOf(order.partner.id)).toEqual([]);
    const [configuration] = await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, order.orderId));
    expect(configuration).toMatchObject({ partnerOrgId: null, partnerAdminUserId: null, customerOrgId: created[0]!.id });
  });
});

describe('step 5: the partner org', () => {
  it('a second order of a partner reviews its existing org: no new one, no password step', async () => {
    const first = await configuredFirstOrder();
    const [partnerOrg] = await partnerOrgsOf(first.order.partner.id);
    const { order, wizard } = await orderWithLink({ partner: first.order.partner });
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    const review = await accept(wizard, 'configurer', { choice: 'self' });
    expect(review).toMatchObject({
      nextStep: 'partner-org',
      partnerOrg: { orgId: partnerOrg!.id, kind: 'partner', name: PARTNER_ORG_NAME, country: 'NO', address: 'Kaigata 1, Bergen', userCount: 1 },
    });
    expect(Date.parse(review.partnerOrg.createdAt)).toBe(partnerOrg!.createdAt.getTime());

    const second = await wizard.step('partner-org', newPartnerOrg(`admin@${newDomain()}`));
    expect(second.statusCode).toBe(422);
    expect(second.json().errors).toEqual([
      { field: '/body/mode', code: 'partnerOrgExists', values: { org: PARTNER_ORG_NAME, partner: expect.any(String) }, message: expect.stringContaining(PARTNER_ORG_NAME) },
    ]);
    const notBoolean = await wizard.step('partner-org', { mode: 'existing', recognised: 'yes' });
    expect(notBoolean.statusCode).toBe(422);
    expect(notBoolean.json().errors[0].field).toBe('/body/recognised');

    expect(await accept(wizard, 'partner-org', { mode: 'existing', recognised: true })).toMatchObject({
      nextStep: 'customer-admin',
      draft: { partnerOrg: { mode: 'existing', orgId: partnerOrg!.id } },
    });
    await accept(wizard, 'customer-admin', { email: `cto@${newDomain()}` });
    await accept(wizard, 'customer-org', newCustomerOrg('Second Customer AS'));
    expect(await accept(wizard, 'confirm', { confirmed: true })).toMatchObject({
      status: 'SERVICE_SETUP',
      nextStep: 'subscription',
      configuration: { partnerOrgName: PARTNER_ORG_NAME, newPartnerOrg: false, passwordSet: false },
    });
    expect((await wizard.step('partner-password', { password: 'correct horse battery staple fjord' })).statusCode).toBe(409);

    expect(await partnerOrgsOf(order.partner.id)).toHaveLength(1);
    const created = await orgsCreatedBy(order.orderId);
    expect(created).toEqual([expect.objectContaining({ kind: 'customer', name: 'Second Customer AS', managedByOrgId: partnerOrg!.id })]);
  });

  it('an org the user does not recognise puts the order on hold until the rep resumes it', async () => {
    const first = await configuredFirstOrder();
    const { order, wizard } = await orderWithLink({ partner: first.order.partner, services: ['messaging'] });
    await start(wizard);
    const heldSession = wizard.sessionId;
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    const held = await accept(wizard, 'partner-org', { mode: 'existing', recognised: false });
    expect(held).toMatchObject({ status: 'ON_HOLD', nextStep: null, message: expect.stringMatching(/waits for .+, your Cisco account representative, who will contact you/) });
    expect((await wizard.view()).json()).toMatchObject({ status: 'ON_HOLD', nextStep: null, message: expect.stringMatching(/your Cisco account representative/) });

    // Nothing moves while on hold: no step, not even step 3 of a new session.
    for (const [step, input] of [['role', { role: 'partner' }], ['partner-org', { mode: 'existing', recognised: true }], ['customer-admin', { email: 'a@b.example' }]] as const) {
      const refused = await wizard.step(step, input, heldSession);
      expect(refused.statusCode, step).toBe(409);
      expect(problem(refused).type).toMatch(/on-hold$/);
    }
    expect((await wizard.start()).statusCode).toBe(409);

    const repEmail = await waitForEmail(h, order.orderId, 'rep-on-hold', order.rep.email);
    expect(repEmail.subject).toMatch(/partner organization not recognised/);
    const onHold = await eventually(async () => {
      const d = await detail(order.orderId);
      return d.tasks.some((t) => t.kind === 'on-hold' && t.status === 'open') ? d : undefined;
    });
    expect(onHold.timeline).toContainEqual(expect.objectContaining({ type: 'order.on-hold', data: { step: 'partner-org' } }));

    const resumed = await repAction(h, order.orderId, 'resume', { reason: 'the partner confirmed its organization' });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toMatchObject({ orderId: order.orderId, status: 'AWAITING_SETUP' });
    expect((await repAction(h, order.orderId, 'resume', { reason: 'again' })).statusCode).toBe(409);
    await eventually(async () => ((await detail(order.orderId)).tasks.every((t) => t.kind !== 'on-hold' || t.status === 'closed') ? true : undefined));

    // A fresh link by email (the old one is revoked), a new session, and this time to the end.
    expect((await wizard.view()).statusCode).toBe(404);
    const fresh = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'resumed')));
    expect(await start(fresh)).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role', draft: {} });
    await accept(fresh, 'role', { role: 'partner' });
    await accept(fresh, 'configurer', { choice: 'self' });
    await accept(fresh, 'partner-org', { mode: 'existing', recognised: true });
    await accept(fresh, 'customer-admin', { email: `cio@${newDomain()}` });
    await accept(fresh, 'customer-org', newCustomerOrg());
    expect(await accept(fresh, 'confirm', { confirmed: true })).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'subscription' });
    await accept(fresh, 'subscription', { reviewed: true });
    await accept(fresh, 'provision', { confirm: true });
    // The timeline is a projection: its last event lands a moment after the live status.
    const timeline = await eventually(async () => {
      const types = (await detail(order.orderId)).timeline.map((e) => e.type);
      return types.includes('order.provisioned') ? types : undefined;
    });
    expect(timeline).toEqual(expect.arrayContaining(['order.on-hold', 'rep.resume', 'order.configured', 'order.provisioned']));
  });
});

describe('step 6: the customer admin', () => {
  it('an unknown address leads to a new org with the order’s customer as defaults', async () => {
    const { wizard } = await orderWithLink({ customer: { name: 'Nordlys Fisk AS', country: 'SE' } });
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', newPartnerOrg(`admin@${newDomain()}`));
    expect(await accept(wizard, 'customer-admin', { email: `anna@${newDomain()}` })).toMatchObject({
      nextStep: 'customer-org',
      customerOrg: { adminBelongsTo: null, candidates: [], defaults: { name: 'Nordlys Fisk AS', country: 'SE' } },
    });
  });

  it('an address already in another company’s customer org offers only that org, unnamed, and waits for its consent', async () => {
    const earlier = await configuredFirstOrder();
    const { order, wizard } = await orderWithLink();
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', newPartnerOrg(`admin@${newDomain()}`));
    const view = await accept(wizard, 'customer-admin', { email: earlier.customerAdmin.toUpperCase() });
    // Another partner manages it: shown only as the org the address belongs to (SPEC §7.2).
    const unnamed = { orgId: earlier.customerOrg.id, kind: 'customer', name: `the organization that ${earlier.customerAdmin} already belongs to`, belongsTo: earlier.customerAdmin };
    expect(view.customerOrg.adminBelongsTo).toEqual(unnamed);
    expect(view.customerOrg.candidates).toEqual([unnamed]);
    expect(JSON.stringify(view)).not.toContain(earlier.customerOrg.name);

    const refusedNew = await wizard.step('customer-org', newCustomerOrg());
    expect(refusedNew.statusCode).toBe(422);
    expect(refusedNew.json().errors).toEqual([
      { field: '/body/mode', code: 'adminOrgFixed', values: { admin: earlier.customerAdmin }, message: expect.stringContaining(earlier.customerAdmin) },
    ]);
    expect(refusedNew.body).not.toContain(earlier.customerOrg.name);
    await accept(wizard, 'customer-org', { mode: 'existing', recognised: true, orgId: earlier.customerOrg.id });
    expect(await accept(wizard, 'confirm', { confirmed: true })).toMatchObject({ status: 'AWAITING_CONSENT', nextStep: null });
    expect(await orgsCreatedBy(order.orderId)).toEqual([]);

    const approved = await repAction(h, order.orderId, 'approve-consent', { reason: 'The customer agreed by phone' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'ORDER_CONFIGURED' });
    // The admin stays one user in one org; this order created only its partner org.
    const users = await h.database.db.select().from(orgUsers).where(sql`lower(${orgUsers.email}) = ${earlier.customerAdmin}`);
    expect(users).toEqual([expect.objectContaining({ orgId: earlier.customerOrg.id, role: 'admin' })]);
    expect((await orgsCreatedBy(order.orderId)).map((o) => o.kind)).toEqual(['partner']);
  });

  it('an address in another partner’s org is refused without naming that org or partner (SPEC §8.1)', async () => {
    const stranger = { id: `P-${uniq()}`, name: 'Stranger Telecom AS' };
    const earlier = await configuredFirstOrder(undefined, { partner: stranger });
    const { wizard } = await orderWithLink();
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', newPartnerOrg(`admin@${newDomain()}`));
    const before = (await wizard.view()).json();
    const refused = await wizard.step('customer-admin', { email: earlier.partnerAdmin });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      { field: '/body/email', code: 'adminInOtherPartnerOrg', message: expect.stringMatching(/another partner’s Webex organization/) },
    ]);
    for (const secret of [PARTNER_ORG_NAME, stranger.name, stranger.id]) expect(refused.body).not.toContain(secret);
    expect((await wizard.view()).json()).toEqual(before);
  });

  it('an address in the ordering partner’s own org is refused with that org’s name', async () => {
    const partner = { id: `P-${uniq()}`, name: 'Fjord Networks AS' };
    const earlier = await configuredFirstOrder(undefined, { partner });
    const { wizard } = await orderWithLink({ partner });
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', { mode: 'existing', recognised: true });
    const refused = await wizard.step('customer-admin', { email: earlier.partnerAdmin });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      {
        field: '/body/email',
        code: 'adminInPartnerOrg',
        values: { org: PARTNER_ORG_NAME },
        message: expect.stringMatching(new RegExp(`partner organization ${PARTNER_ORG_NAME}.*one Webex organization`)),
      },
    ]);
  });
});

describe('step 7: existing customer orgs by domain', () => {
  it('lists the partner’s orgs with users on the admin’s domain, refuses others, and holds when none is recognised', async () => {
    const domain = newDomain();
    const partner = { id: `P-${uniq()}`, name: PARTNER_ORG_NAME };
    const earlier = await configuredFirstOrder(`boss@${domain}`, { partner });
    const { order, wizard: firstLink } = await orderWithLink({ services: ['messaging'], partner });
    // A resume sends a fresh link: the steps after it go through that one.
    let wizard = firstLink;
    const walkToCustomerOrg = async () => {
      await accept(wizard, 'role', { role: 'partner' });
      await accept(wizard, 'configurer', { choice: 'self' });
      await accept(wizard, 'partner-org', { mode: 'existing', recognised: true });
      return accept(wizard, 'customer-admin', { email: `cfo@${domain}` });
    };
    await start(wizard);
    const view = await walkToCustomerOrg();
    expect(view.customerOrg.adminBelongsTo).toBeNull();
    expect(view.customerOrg.candidates).toEqual([
      {
        orgId: earlier.customerOrg.id,
        kind: 'customer',
        name: earlier.customerOrg.name,
        country: 'NO',
        address: 'Strandkaien 2, Bergen',
        createdAt: earlier.customerOrg.createdAt.toISOString(),
        userCount: 1,
      },
    ]);
    expect(view.customerOrg.defaults).toEqual({ name: order.customer.name, country: order.customer.country });

    const unlisted = await wizard.step('customer-org', { mode: 'existing', recognised: true, orgId: randomUUID() });
    expect(unlisted.statusCode).toBe(422);
    expect(unlisted.json().errors[0].field).toBe('/body/orgId');

    expect(await accept(wizard, 'customer-org', { mode: 'existing', recognised: false })).toMatchObject({ status: 'ON_HOLD', nextStep: null });
    await waitForEmail(h, order.orderId, 'rep-on-hold', order.rep.email);
    const held = await detail(order.orderId);
    expect(held.timeline).toContainEqual(expect.objectContaining({ type: 'order.on-hold', data: { step: 'customer-org' } }));
    expect((await orgsCreatedBy(order.orderId))).toEqual([]);

    expect((await repAction(h, order.orderId, 'resume', { reason: 'the customer checked its organizations' })).statusCode).toBe(200);
    wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'resumed')));
    await start(wizard);
    await walkToCustomerOrg();
    await accept(wizard, 'customer-org', { mode: 'existing', recognised: true, orgId: earlier.customerOrg.id });
    // The partner manages that org already: no consent is asked.
    expect(await accept(wizard, 'confirm', { confirmed: true })).toMatchObject({ status: 'SERVICE_SETUP' });
    const [joined] = await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, `cfo@${domain}`));
    expect(joined?.orgId).toBe(earlier.customerOrg.id);
  });

  it('never lists another company’s orgs by domain (SPEC §7.2)', async () => {
    const domain = newDomain();
    await configuredFirstOrder(`boss@${domain}`);
    const { wizard } = await orderWithLink();
    await start(wizard);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', newPartnerOrg(`admin@partner-${newDomain()}`));
    const view = await accept(wizard, 'customer-admin', { email: `cfo@${domain}` });
    expect(view.customerOrg).toMatchObject({ adminBelongsTo: null, candidates: [] });
  });
});

describe('step 8: two orders racing for one new admin address', () => {
  it('lets exactly one win; the other is sent back to step 6 and leaves no org behind', async () => {
    const admin = `shared-admin@${newDomain()}`;
    const racers = await Promise.all(
      [0, 1].map(async () => {
        const { order, wizard } = await orderWithLink();
        await start(wizard);
        await accept(wizard, 'role', { role: 'partner' });
        await accept(wizard, 'configurer', { choice: 'self' });
        await accept(wizard, 'partner-org', newPartnerOrg(`admin@${newDomain()}`));
        await accept(wizard, 'customer-admin', { email: admin });
        await accept(wizard, 'customer-org', newCustomerOrg(`Org of ${order.orderId}`));
        return { order, wizard };
      }),
    );

    const answers = await Promise.all(racers.map(({ wizard }) => wizard.step('confirm', { confirmed: true })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const winner = racers[answers.findIndex((a) => a.statusCode === 200)]!;
    const loserIndex = answers.findIndex((a) => a.statusCode === 409);
    const loser = racers[loserIndex]!;
    expect(problem(answers[loserIndex]!)).toMatchObject({ type: expect.stringMatching(/admin-email-taken$/), detail: expect.stringContaining(admin) });

    const loserView = (await loser.wizard.view()).json();
    expect(loserView).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'customer-admin', session: { active: true } });
    expect(loserView.draft.partnerOrg).toMatchObject({ mode: 'new' });
    expect(loserView.draft).not.toHaveProperty('customerAdmin');

    expect(await orgsCreatedBy(loser.order.orderId)).toEqual([]);
    expect(await h.database.db.select().from(orderConfigurations).where(eq(orderConfigurations.orderId, loser.order.orderId))).toEqual([]);
    const [winnerCustomerOrg] = (await orgsCreatedBy(winner.order.orderId)).filter((o) => o.kind === 'customer');
    expect(await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, admin))).toEqual([expect.objectContaining({ orgId: winnerCustomerOrg!.id })]);
    expect((await readModelCaughtUp(h, loser.order.orderId)).timeline).toContainEqual(expect.objectContaining({ type: 'wizard.confirm-refused', data: { reason: 'admin-email-taken' } }));

    // Step 6 now knows the address: it offers only the winner's org, and the loser can finish with it.
    const again = await accept(loser.wizard, 'customer-admin', { email: admin });
    expect(again.customerOrg.candidates).toEqual([expect.objectContaining({ orgId: winnerCustomerOrg!.id })]);
    await accept(loser.wizard, 'customer-org', { mode: 'existing', recognised: true, orgId: winnerCustomerOrg!.id });
    // The winner's partner manages that org: the loser's partner needs its consent first.
    expect(await accept(loser.wizard, 'confirm', { confirmed: true })).toMatchObject({ status: 'AWAITING_CONSENT' });
    expect((await repAction(h, loser.order.orderId, 'approve-consent')).json()).toMatchObject({ status: 'ORDER_CONFIGURED' });
  });
});

describe('leaving the wizard and coming back', () => {
  it('discards the draft, refuses the old session and steps out of order, and resumes after the point of no return', async () => {
    const { token, wizard } = await orderWithLink({ services: ['messaging', 'meetings'] });
    await start(wizard);
    const firstSession = wizard.sessionId;
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });

    expect(await start(wizard)).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role', draft: {}, session: { active: true } });
    expect(wizard.sessionId).not.toBe(firstSession);
    const stale = await wizard.step('partner-org', newPartnerOrg(`admin@${newDomain()}`), firstSession);
    expect(stale.statusCode).toBe(409);
    expect(problem(stale).type).toMatch(/stale-session$/);
    expect((await wizard.view()).json()).toMatchObject({ nextStep: 'role', draft: {} });
    // The old session sees the order but no draft of its own.
    const asOldSession = await h.app.inject({ method: 'GET', url: `/api/wizard/${token}?sessionId=${firstSession}` });
    expect(asOldSession.json()).toMatchObject({ session: { active: false }, draft: null });

    const outOfOrder = await wizard.step('customer-admin', { email: `a@${newDomain()}` });
    expect(outOfOrder.statusCode).toBe(409);
    expect(problem(outOfOrder)).toMatchObject({ type: expect.stringMatching(/out-of-order$/), detail: expect.stringContaining('role') });
    const unknownStep = await wizard.step('launch-rockets', {});
    expect(unknownStep.statusCode).toBe(400);
    expect(problem(unknownStep).errors[0].field).toMatch(/^\/params\/step/);

    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', newPartnerOrg(`admin@${newDomain()}`));
    await accept(wizard, 'customer-admin', { email: `boss@${newDomain()}` });
    await accept(wizard, 'customer-org', newCustomerOrg());
    await accept(wizard, 'confirm', { confirmed: true });
    for (const [step, input] of [['role', { role: 'partner' }], ['customer-admin', { email: `x@${newDomain()}` }], ['confirm', { confirmed: true }]] as const) {
      const late = await wizard.step(step, input);
      expect(late.statusCode, step).toBe(409);
      expect(problem(late).type).toMatch(/already-configured$/);
    }

    // Reopening the link after step 8 resumes at step 9, then at step 10 with saved sections kept.
    const configuredSession = wizard.sessionId;
    expect(await start(wizard)).toMatchObject({ status: 'ORDER_CONFIGURED', nextStep: 'partner-password', stepNumber: '9' });
    expect((await wizard.step('partner-password', { password: 'correct horse battery staple fjord' }, configuredSession)).statusCode).toBe(409);
    await accept(wizard, 'partner-password', { password: 'correct horse battery staple fjord' });
    await accept(wizard, 'subscription', { reviewed: true });
    const reopened = await start(wizard);
    expect(reopened).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'meetings', stepNumber: '10c' });
    expect(reopened.sections).toEqual([
      expect.objectContaining({ name: 'subscription', saved: true }),
      expect.objectContaining({ name: 'meetings', saved: false }),
    ]);
  });
});

describe('field errors of steps 3–9', () => {
  it('refuses a field the step does not take with 400, and stores it nowhere (SPEC §8.1)', async () => {
    const { order, wizard } = await orderWithLink();
    await start(wizard);
    const before = (await wizard.view()).json();
    const marker = `smuggled-${uniq()}`;
    const cases: Array<[string, StepInput, string]> = [
      ['role', { role: 'partner', notes: `${marker} ${'x'.repeat(60_000)}` }, '/body/notes'],
      ['role', { role: 'partner', password: marker }, '/body/password'],
      ['configurer', { choice: 'self', orgId: marker }, '/body/orgId'],
    ];
    for (const [step, input, field] of cases) {
      const response = await wizard.step(step, input);
      expect(response.statusCode, `${step}: ${response.body.slice(0, 300)}`).toBe(400);
      expect(problem(response)).toMatchObject({ status: 400, errors: [{ field, message: 'is not a field of this step' }] });
    }
    expect((await wizard.view()).json()).toEqual(before);
    expect(await decodedHistoryText(h, order.orderId)).not.toContain(marker);
    expect(JSON.stringify((await detail(order.orderId)).timeline)).not.toContain(marker);
    // The same steps without the extra fields go through.
    await accept(wizard, 'role', { role: 'partner' });
  });

  type Case = [input: StepInput, field: string];

  /** Each input is refused with 422 naming its field, and neither the view nor the timeline moves. */
  async function expectFieldErrors(wizard: Wizard, orderId: string, step: string, cases: Case[]) {
    const before = (await wizard.view()).json();
    const eventsBefore = (await detail(orderId)).timeline.length;
    for (const [input, field] of cases) {
      const what = `${step} ${JSON.stringify(input)}`;
      const response = await wizard.step(step, input);
      expect(response.statusCode, `${what}: ${response.body}`).toBe(422);
      const body = problem(response);
      expect(body).toMatchObject({ status: 422, type: expect.stringMatching(/invalid-step$/) });
      expect(body.errors.map((e: { field: string }) => e.field), what).toContain(field);
      for (const error of body.errors) expect(error.message).toEqual(expect.any(String));
      expect((await wizard.view()).json(), what).toEqual(before);
    }
    expect((await detail(orderId)).timeline).toHaveLength(eventsBefore);
  }

  it('answers every bad field with 422 naming it, and changes nothing', async () => {
    const { order, token, wizard } = await orderWithLink();
    const partnerAdmin = `admin@partner-${newDomain()}`;
    const refused = (step: string, cases: Case[]) => expectFieldErrors(wizard, order.orderId, step, cases);
    await start(wizard);

    // The body's own shape.
    const noSession = await h.app.inject({ method: 'POST', url: `/api/wizard/${token}/steps/role`, payload: { role: 'partner' } });
    expect(noSession.statusCode).toBe(422);
    expect(noSession.json().errors).toContainEqual(expect.objectContaining({ field: '/body/sessionId' }));

    await refused('role', [
      [{}, '/body/role'],
      [{ role: 'admin' }, '/body/role'],
      [{ role: 7 }, '/body/role'],
      [{ role: 'customer' }, '/body/role'],
    ]);
    await accept(wizard, 'role', { role: 'partner' });

    await refused('configurer', [
      [{}, '/body/choice'],
      [{ choice: 'someone' }, '/body/choice'],
      [{ choice: 'colleague' }, '/body/email'],
      [{ choice: 'colleague', email: 'kari@' }, '/body/email'],
      [{ choice: 'colleague', email: 'kari partner.example' }, '/body/email'],
      [{ choice: 'customer', email: `${'x'.repeat(250)}@acme.example` }, '/body/email'],
      [{ choice: 'colleague', email: order.provisioningContactEmail }, '/body/email'],
    ]);
    await accept(wizard, 'configurer', { choice: 'self' });

    const good = newPartnerOrg(partnerAdmin);
    await refused('partner-org', [
      [{}, '/body/mode'],
      [{ mode: 'existing', recognised: true }, '/body/mode'],
      ...['name', 'country', 'address', 'adminEmail'].map((field): Case => [{ mode: 'new' }, `/body/${field}`]),
      [{ ...good, name: '  ' }, '/body/name'],
      [{ ...good, name: 'x'.repeat(201) }, '/body/name'],
      [{ ...good, country: 'Norway' }, '/body/country'],
      [{ ...good, country: 'no' }, '/body/country'],
      [{ ...good, address: '' }, '/body/address'],
      [{ ...good, adminEmail: 'admin at partner' }, '/body/adminEmail'],
    ]);
    await accept(wizard, 'partner-org', good);

    await refused('customer-admin', [
      [{}, '/body/email'],
      [{ email: 'boss' }, '/body/email'],
      [{ email: 'boss@@acme.example' }, '/body/email'],
      [{ email: ['boss@acme.example'] }, '/body/email'],
      [{ email: partnerAdmin }, '/body/email'],
    ]);
    await accept(wizard, 'customer-admin', { email: `boss@${newDomain()}` });

    await refused('customer-org', [
      [{}, '/body/mode'],
      [{ mode: 'merge' }, '/body/mode'],
      ...['name', 'country', 'address'].map((field): Case => [{ mode: 'new' }, `/body/${field}`]),
      [{ ...newCustomerOrg(), country: 'NOR' }, '/body/country'],
      [{ mode: 'existing', recognised: 'false' }, '/body/recognised'],
      [{ mode: 'existing', recognised: true, orgId: randomUUID() }, '/body/orgId'],
    ]);
    await accept(wizard, 'customer-org', newCustomerOrg());

    await refused('confirm', [
      [{}, '/body/confirmed'],
      [{ confirmed: false }, '/body/confirmed'],
      [{ confirmed: 'true' }, '/body/confirmed'],
    ]);
    await accept(wizard, 'confirm', { confirmed: true });

    await refused('partner-password', [
      [{}, '/body/password'],
      [{ password: 12345678901234 }, '/body/password'],
      [{ password: 'Sh0rt!pw' }, '/body/password'],
      [{ password: 'password1234' }, '/body/password'],
      [{ password: `our ${PARTNER_ORG_NAME} 2030!` }, '/body/password'],
    ]);
    expect(await accept(wizard, 'partner-password', { password: 'lighthouse keeper on a windy skerry' })).toMatchObject({ status: 'SERVICE_SETUP' });
  });
});

describe('the partner password stays in the request that carries it', () => {
  /**
   * The workflow's history as text: every payload decoded through the client's own codecs (the
   * same a worker uses) and its bytes read as UTF-8, so a plaintext anywhere in it would show.
   */

  /** Rows of a raw query. */
  async function query<T>(statement: ReturnType<typeof sql>): Promise<T[]> {
    return (await h.database.db.execute(statement)) as unknown as T[];
  }

  /** Every row of every table, as text. */
  async function databaseText(): Promise<string> {
    const tables = await query<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    const rows: string[] = [];
    for (const { table_name } of tables) {
      rows.push(...(await query<{ row: string }>(sql`select t::text as row from ${sql.identifier(table_name)} t`)).map((r) => r.row));
    }
    return rows.join('\n');
  }

  it('is not in the workflow history, the API’s logs or the database; only its hash is stored', async () => {
    const first = await configuredFirstOrder();
    const refusedPassword = `${PARTNER_ORG_NAME} staff password`;
    const password = `tidewater ${uniq()} lantern orchard`;
    expect((await first.wizard.step('partner-password', { password: refusedPassword })).statusCode).toBe(422);
    expect(await accept(first.wizard, 'partner-password', { password })).toMatchObject({ status: 'SERVICE_SETUP', configuration: { passwordSet: true } });
    // Sent again along with a later step (a form that kept the field): refused as a field the step does not take, stored nowhere.
    const resent = await first.wizard.step('subscription', { reviewed: true, password });
    expect(resent.statusCode).toBe(400);
    expect(resent.json().errors).toEqual([{ field: '/body/password', message: 'is not a field of this step' }]);
    await accept(first.wizard, 'subscription', { reviewed: true });

    const [admin] = await h.database.db.select().from(orgUsers).where(eq(orgUsers.email, first.partnerAdmin));
    expect(admin?.passwordHash).toMatch(/^\$scrypt\$/);
    // Every payload of the history as any rep can decode it through the codec: no password, no hash (SPEC §8.1).
    const history = await decodedHistoryText(h, first.order.orderId);
    // The search can see step inputs: the partner admin's address is in there.
    expect(history).toContain(first.partnerAdmin);
    expect(history).not.toContain('$scrypt$');
    for (const secret of [password, refusedPassword, admin!.passwordHash!, admin!.passwordHash!.split('$').at(-1)!]) {
      expect(history).not.toContain(secret);
      expect(history).not.toContain(Buffer.from(secret).toString('base64'));
    }

    const logs = JSON.stringify(h.logLines);
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(refusedPassword);
    // Nor the link tokens that carried it: URLs are logged without them.
    expect(logs).not.toMatch(/\/wizard\/[A-Za-z0-9_-]{43}/);

    const stored = await databaseText();
    expect(stored).toContain(first.partnerAdmin);
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(refusedPassword);
    expect(await verifyPassword(password, admin!.passwordHash!)).toBe(true);

    const { timeline } = await detail(first.order.orderId);
    expect(timeline.find((e) => e.type === 'wizard.partner-password')?.data).toEqual({});
  });
});
