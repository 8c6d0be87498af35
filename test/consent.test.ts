// Consent for existing organizations (SPEC §7.2) through HTTP, the real worker, Temporal and
// PostgreSQL: an existing customer org the partner does not manage is set up only after its admin
// approves by the emailed link or a rep approves; a decline puts the order on hold; a consent link
// answers once, and unknown, used and expired links are refused alike.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentRequests, organizations, orgUsers, repTasks } from '../db/schema/index.js';
import { orderWorkflowId } from '../domain/order.js';
import { getStateQuery, submitStepUpdate } from '../workflows/definitions.js';
import { decodedHistoryText, eventually, type Harness, isoDate, makeOrder, outbox, REP_TOKEN, repAction, startHarness, tokenOf, waitForEmail, wizardClient } from './support/harness.js';
import { accept, problem } from './support/wizard-flow.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const uniq = () => randomUUID().slice(0, 8);
const newDomain = () => `consent-${uniq()}.example`;

/** An existing customer org nobody manages: `admin@` is its full admin, `it@` a plain user. */
async function strangerOrg(name = `Stranger ${uniq()} AS`, { withAdmin = true } = {}) {
  const domain = newDomain();
  const [org] = await h.database.db.insert(organizations).values({ kind: 'customer', name, country: 'SE', address: 'Storgatan 1' }).returning();
  if (withAdmin) await h.database.db.insert(orgUsers).values({ orgId: org!.id, email: `admin@${domain}`, role: 'admin' });
  await h.database.db.insert(orgUsers).values({ orgId: org!.id, email: `it@${domain}`, role: 'user' });
  return { org: org!, admin: `admin@${domain}`, user: `it@${domain}` };
}

/** A new partner's order whose step 6 names `adminEmail` (a user of an existing org) and step 8 is confirmed. */
async function confirmedIntoExistingOrg(adminEmail: string, orgId: string, overrides: Parameters<typeof makeOrder>[0] = {}) {
  const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', ...overrides });
  expect((await h.postOrder(order)).statusCode).toBe(201);
  const token = tokenOf(await waitForEmail(h, order.orderId, 'setup'));
  const wizard = wizardClient(h, token);
  expect((await wizard.start()).statusCode).toBe(201);
  await accept(wizard, 'role', { role: 'partner' });
  await accept(wizard, 'configurer', { choice: 'self' });
  await accept(wizard, 'partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${newDomain()}` });
  const atOrg = await accept(wizard, 'customer-admin', { email: adminEmail });
  await accept(wizard, 'customer-org', { mode: 'existing', recognised: true, orgId });
  const confirmed = await accept(wizard, 'confirm', { confirmed: true });
  return { order, wizard, token, atOrg, confirmed };
}

const consent = (token: string) => ({
  show: () => h.app.inject({ method: 'GET', url: `/api/consent/${token}` }),
  answer: (decision: unknown) => h.app.inject({ method: 'POST', url: `/api/consent/${token}`, payload: { decision } }),
});

function consentTokenOf(text: string): string {
  const match = /\/consent\/([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error('no consent link in the email');
  return match[1]!;
}

async function detail(orderId: string) {
  const response = await h.repGet(`/api/orders/${orderId}`);
  expect(response.statusCode).toBe(200);
  return response.json();
}

const usersOf = (orgId: string) => h.database.db.select({ email: orgUsers.email, role: orgUsers.role }).from(orgUsers).where(eq(orgUsers.orgId, orgId)).orderBy(orgUsers.email);
const openTasks = async (orderId: string) =>
  (await h.database.db.select().from(repTasks).where(and(eq(repTasks.orderId, orderId), eq(repTasks.status, 'open')))).map((t) => t.kind);

describe('an existing customer org the partner does not manage', () => {
  it('is shown unnamed, waits for its admin’s approval by email link, then commits; the link answers once', async () => {
    const stranger = await strangerOrg();
    const { order, wizard, atOrg, confirmed } = await confirmedIntoExistingOrg(stranger.user, stranger.org.id);
    // Step 7 named neither the org nor anything about it (SPEC §7.2).
    expect(JSON.stringify(atOrg)).not.toContain(stranger.org.name);
    expect(atOrg.customerOrg.candidates).toEqual([{ orgId: stranger.org.id, kind: 'customer', name: `the organization that ${stranger.user} already belongs to`, belongsTo: stranger.user }]);
    expect(confirmed).toMatchObject({ status: 'AWAITING_CONSENT', nextStep: null, message: expect.stringContaining('must approve') });
    expect(JSON.stringify(confirmed)).not.toContain(stranger.admin);
    // Nothing is committed yet; a new session cannot discard the confirmed choices.
    expect(await usersOf(stranger.org.id)).toEqual([{ email: stranger.admin, role: 'admin' }, { email: stranger.user, role: 'user' }]);
    const restarted = await wizard.start();
    expect(restarted.statusCode).toBe(409);
    expect(problem(restarted).type).toMatch(/awaiting-consent$/);

    const asked = await detail(order.orderId);
    expect(asked).toMatchObject({ status: 'AWAITING_CONSENT', waitingOn: { party: 'customer-admin', email: stranger.admin } });
    expect(asked.nextDeadline.what).toMatch(/reminded/);
    expect(asked.timeline).toContainEqual(expect.objectContaining({ type: 'order.awaiting-consent', data: { orgId: stranger.org.id, asked: stranger.admin } }));
    const listed = await h.repGet(`/api/orders?status=AWAITING_CONSENT&q=${order.orderId}`);
    expect(listed.json().items).toEqual([expect.objectContaining({ orderId: order.orderId, status: 'AWAITING_CONSENT' })]);

    const email = await waitForEmail(h, order.orderId, 'consent-request', stranger.admin);
    expect(email.text).toContain(`${order.partner.name}, a Cisco partner, asks to manage your Webex organization`);
    expect(email.text).toContain(stranger.user);
    const token = consentTokenOf(email.text);
    expect(email.text).toContain(`/consent/${token}?decision=approve`);
    // Stored only as a hash.
    const [row] = await h.database.db.select().from(consentRequests).where(eq(consentRequests.orderId, order.orderId));
    expect(JSON.stringify(row)).not.toContain(token);

    const shown = await consent(token).show();
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json()).toMatchObject({
      orderId: order.orderId,
      organization: { name: stranger.org.name },
      partner: { name: order.partner.name },
      attachPartner: true,
      newAdminEmail: stranger.user,
    });

    const invalid = await consent(token).answer('maybe');
    expect(invalid.statusCode).toBe(422);
    const approved = await consent(token).answer('approve');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toEqual({ decision: 'approve', orderStatus: 'ORDER_CONFIGURED' });
    expect(await usersOf(stranger.org.id)).toEqual([{ email: stranger.admin, role: 'admin' }, { email: stranger.user, role: 'admin' }]);
    const [attached] = await h.database.db.select().from(organizations).where(eq(organizations.id, stranger.org.id));
    expect(attached!.managedByOrgId).not.toBeNull();

    // Used: refused like an unknown or malformed link, and nothing changes.
    const unknown = randomBytes(32).toString('base64url');
    const answers = await Promise.all([consent(token).answer('decline'), consent(token).show(), consent(unknown).answer('approve'), consent(unknown).show(), consent('not-a-token').show()]);
    expect(answers.map((a) => a.statusCode)).toEqual([410, 410, 410, 410, 410]);
    expect(new Set(answers.map((a) => JSON.stringify(problem(a)))).size).toBe(1);
    const after = await detail(order.orderId);
    expect(after.status).toBe('ORDER_CONFIGURED');
    const types = after.timeline.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t.startsWith('consent.'))).toEqual(['consent.approved']);
    expect(after.timeline).toContainEqual(expect.objectContaining({ type: 'consent.approved', actor: 'org-admin' }));
    // The link holder hears the order is configured, and may continue.
    await waitForEmail(h, order.orderId, 'order-configured', order.provisioningContactEmail);
    expect((await wizard.start()).statusCode).toBe(201);
    // The answered link is revoked in the database too.
    await eventually(async () => ((await h.database.db.select().from(consentRequests).where(eq(consentRequests.orderId, order.orderId)))[0]?.revokedAt ? true : undefined));
    // The token is in no log line and not in the workflow's history.
    const logs = h.logLines.map((line) => JSON.stringify(line)).join('\n');
    expect(logs).toContain('/api/consent/[redacted]');
    expect(logs).not.toContain(token);
    expect(await decodedHistoryText(h, order.orderId)).not.toContain(token);
  });

  it('once it consented, the order and its emails name the org itself, in the order’s language', async () => {
    const stranger = await strangerOrg();
    const { order } = await confirmedIntoExistingOrg(stranger.user, stranger.org.id, { locale: 'nb' });
    expect((await repAction(h, order.orderId, 'approve-consent')).statusCode).toBe(200);
    const email = await waitForEmail(h, order.orderId, 'order-configured', order.provisioningContactEmail);
    expect(email.text).toContain(stranger.org.name);
    // Not the English stand-in the unnamed org had in the draft.
    expect(email.text).not.toContain('already belongs to');
    expect((await detail(order.orderId)).configuration).toMatchObject({ customerOrgName: stranger.org.name });
  });

  it('a confirm whose consent facts are of a draft since changed is refused, so a race cannot skip consent', async () => {
    const stranger = await strangerOrg();
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    expect((await h.postOrder(order)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, order.orderId, 'setup')));
    expect((await wizard.start()).statusCode).toBe(201);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', { mode: 'new', name: order.partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${newDomain()}` });
    await accept(wizard, 'customer-admin', { email: stranger.user });
    await accept(wizard, 'customer-org', { mode: 'existing', recognised: true, orgId: stranger.org.id });
    // The confirm as the API sends it when it read the draft before step 7 chose this org: the
    // facts say "no existing org" (null). The Update is sent directly to make the race certain.
    const handle = h.client.workflow.getHandle(orderWorkflowId(order.orderId));
    const { link } = await handle.query(getStateQuery);
    const stale = handle.executeUpdate(submitStepUpdate, {
      args: [{ sessionId: wizard.sessionId, linkIssueKey: link!.issueKey, step: 'confirm', input: { confirmed: true }, context: { consent: null } }],
    });
    await expect(stale).rejects.toMatchObject({ cause: { details: ['stale-draft'] } });
    expect((await handle.query(getStateQuery)).status).toBe('IN_PROGRESS');
    expect(await usersOf(stranger.org.id)).toEqual([{ email: stranger.admin, role: 'admin' }, { email: stranger.user, role: 'user' }]);
    // Through the API the facts match the draft: the org is asked.
    expect(await accept(wizard, 'confirm', { confirmed: true })).toMatchObject({ status: 'AWAITING_CONSENT' });
  });

  it('declined: the order goes on hold with a rep task, the holder is told, nothing is written to the org', async () => {
    const stranger = await strangerOrg();
    const { order } = await confirmedIntoExistingOrg(stranger.user, stranger.org.id);
    const token = consentTokenOf((await waitForEmail(h, order.orderId, 'consent-request', stranger.admin)).text);
    const declined = await consent(token).answer('decline');
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toEqual({ decision: 'decline', orderStatus: 'ON_HOLD' });
    expect((await consent(token).answer('approve')).statusCode).toBe(410);

    const told = await waitForEmail(h, order.orderId, 'consent-declined', order.provisioningContactEmail);
    expect(told.text).toContain(order.rep.email);
    expect((await waitForEmail(h, order.orderId, 'rep-on-hold', order.rep.email)).subject).toMatch(/declined/);
    expect(await eventually(async () => ((await openTasks(order.orderId)).includes('on-hold') ? openTasks(order.orderId) : undefined))).toEqual(['on-hold']);
    expect(await usersOf(stranger.org.id)).toEqual([{ email: stranger.admin, role: 'admin' }, { email: stranger.user, role: 'user' }]);
    const [org] = await h.database.db.select().from(organizations).where(eq(organizations.id, stranger.org.id));
    expect(org!.managedByOrgId).toBeNull();
    const held = await detail(order.orderId);
    expect(held.timeline).toContainEqual(expect.objectContaining({ type: 'order.on-hold', actor: 'org-admin', data: { step: 'customer-org', reason: 'consent-declined' } }));
    // A rep approval no longer applies; resume starts the setup over.
    expect((await repAction(h, order.orderId, 'approve-consent')).statusCode).toBe(409);
    expect((await repAction(h, order.orderId, 'resume', { reason: 'the customer will use a new organization' })).json()).toMatchObject({ status: 'AWAITING_SETUP' });
    // The new link's email says why it was held: the decline, not an org the holder did not recognise.
    const resumed = await waitForEmail(h, order.orderId, 'resumed', order.provisioningContactEmail);
    expect(resumed.text).toContain('declined to approve the order: the customer will use a new organization');
    expect(resumed.text).not.toContain('did not recognise');
  });

  it('without an admin to ask, a rep task opens at once and the rep approves (also in bulk, unknown orders refused per order)', async () => {
    const adminless = await strangerOrg(undefined, { withAdmin: false });
    const { order } = await confirmedIntoExistingOrg(adminless.user, adminless.org.id);
    expect(await eventually(async () => ((await openTasks(order.orderId)).length ? openTasks(order.orderId) : undefined))).toEqual(['awaiting-consent']);
    expect((await detail(order.orderId)).waitingOn).toMatchObject({ party: 'rep' });
    const desk = await h.repGet('/api/tasks?kind=awaiting-consent&status=open');
    expect(desk.json().items).toContainEqual(expect.objectContaining({ orderId: order.orderId, reason: 'awaiting-consent', orderStatus: 'AWAITING_CONSENT' }));
    expect((await outbox(h, order.orderId)).map((e) => e.purpose)).not.toContain('consent-request');

    const unknown = `CCW-${uniq()}`;
    const bulk = await h.app.inject({
      method: 'POST',
      url: '/api/orders/actions/approve-consent',
      headers: { authorization: `Bearer ${REP_TOKEN}` },
      payload: { orderIds: [order.orderId, unknown], reason: 'The customer’s IT manager agreed on the phone' },
    });
    expect(bulk.statusCode, bulk.body).toBe(200);
    expect(bulk.json().results).toEqual([
      { orderId: order.orderId, ok: true, order: expect.objectContaining({ status: 'ORDER_CONFIGURED' }) },
      { orderId: unknown, ok: false, problem: expect.objectContaining({ status: 404 }) },
    ]);
    const users = await h.database.db.select().from(orgUsers).where(sql`lower(${orgUsers.email}) = ${adminless.user}`);
    expect(users).toEqual([expect.objectContaining({ role: 'admin', orgId: adminless.org.id })]);
    const approved = await detail(order.orderId);
    expect(approved.timeline).toContainEqual(expect.objectContaining({ type: 'consent.approved', actor: expect.stringMatching(/^rep:/), data: expect.objectContaining({ reason: expect.stringContaining('agreed') }) }));
    await eventually(async () => ((await openTasks(order.orderId)).length === 0 ? true : undefined));
    // Approved once: again is refused, nothing changed.
    const again = await repAction(h, order.orderId, 'approve-consent');
    expect(again.statusCode).toBe(409);
  });

  it('a partner’s own customer org needs no consent and is listed in full', async () => {
    const partner = { id: `P-${uniq()}`, name: 'Fjord Networks AS' };
    const domain = newDomain();
    const first = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', partner });
    expect((await h.postOrder(first)).statusCode).toBe(201);
    const wizard = wizardClient(h, tokenOf(await waitForEmail(h, first.orderId, 'setup')));
    expect((await wizard.start()).statusCode).toBe(201);
    await accept(wizard, 'role', { role: 'partner' });
    await accept(wizard, 'configurer', { choice: 'self' });
    await accept(wizard, 'partner-org', { mode: 'new', name: partner.name, country: 'NO', address: 'Kaigata 1', adminEmail: `admin@partner-${newDomain()}` });
    await accept(wizard, 'customer-admin', { email: `boss@${domain}` });
    await accept(wizard, 'customer-org', { mode: 'new', name: 'Own Customer AS', country: 'NO', address: 'Strandkaien 2' });
    await accept(wizard, 'confirm', { confirmed: true });

    const second = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC', partner });
    expect((await h.postOrder(second)).statusCode).toBe(201);
    const next = wizardClient(h, tokenOf(await waitForEmail(h, second.orderId, 'setup')));
    expect((await next.start()).statusCode).toBe(201);
    await accept(next, 'role', { role: 'partner' });
    await accept(next, 'configurer', { choice: 'self' });
    await accept(next, 'partner-org', { mode: 'existing', recognised: true });
    const view = await accept(next, 'customer-admin', { email: `cfo@${domain}` });
    expect(view.customerOrg.candidates).toEqual([expect.objectContaining({ name: 'Own Customer AS', country: 'NO', userCount: 1 })]);
    await accept(next, 'customer-org', { mode: 'existing', recognised: true, orgId: view.customerOrg.candidates[0].orgId });
    expect(await accept(next, 'confirm', { confirmed: true })).toMatchObject({ status: 'SERVICE_SETUP' });
  });
});
