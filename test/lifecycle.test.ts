// The order lifecycle and the rep API (SPEC §2, §4) through HTTP, the real worker, the Temporal dev
// server and PostgreSQL, with emails sent by the real Resend SDK to the Resend stand-in.
// Start dates in the past send the setup email at once; a start date tomorrow shows that nothing
// goes before its moment (the timer itself, on real durations, is in workflow-time-skipping.test.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations } from '../db/schema/index.js';
import { eventually, isoDate, makeOrder, REP_TOKEN, repAction, wizardClient } from './support/harness.js';
import {
  configureOrder,
  detailOf,
  eventsOf,
  linkToken,
  mailsOf,
  type MailWorld,
  orderWithLink,
  PUBLIC_BASE_URL,
  repActor,
  requestsFor,
  readModelCaughtUp,
  startMailWorld,
  waitForDetail,
  waitForMail,
  waitForMailKey,
  waitForStatus,
  walkToCustomerOrg,
  workflowStatus,
} from './support/lifecycle.js';

const SECOND_REP_TOKEN = 'second-rep-token-0123456789';

/** Default durations (escalation after a day): nothing here escalates behind a test's back. */
let main: MailWorld;
/** ESCALATION_AFTER 2s. */
let fast: MailWorld;

beforeAll(async () => {
  // 10 emails/s on both sides keeps the tests quick and still checks that the worker keeps the pace.
  [main, fast] = await Promise.all([
    startMailWorld({ EMAIL_RATE_PER_SECOND: '10' }, { ratePerSecond: 10 }),
    startMailWorld({ EMAIL_RATE_PER_SECOND: '10', ESCALATION_AFTER: '2s' }, { ratePerSecond: 10 }),
  ]);
});
afterAll(async () => {
  await Promise.all([main?.close(), fast?.close()]);
});

const unknownToken = () => randomBytes(32).toString('base64url');
const wizardGet = (world: MailWorld, token: string) => world.h.app.inject({ method: 'GET', url: `/api/wizard/${token}` });

/**
 * A dead link answers exactly as a token that never existed (SPEC §6). The revocation is a job that
 * follows the action's answer (and the read model's write), so the link dies a moment later.
 */
async function expectDeadLink(world: MailWorld, token: string) {
  const dead = await eventually(async () => {
    const answer = await wizardGet(world, token);
    return answer.statusCode === 200 ? undefined : answer;
  });
  const unknown = await wizardGet(world, unknownToken());
  expect(dead.statusCode).toBe(404);
  // `instance` is the request's own id; everything else is the same.
  const { instance: _dead, ...deadProblem } = dead.json();
  const { instance: _unknown, ...unknownProblem } = unknown.json();
  expect(deadProblem).toEqual(unknownProblem);
  expect((await world.h.app.inject({ method: 'POST', url: `/api/wizard/${token}/sessions` })).statusCode).toBe(404);
}

describe('the setup email', () => {
  it('goes once at the start moment, in HTML and text, with a Configure now link that opens the wizard', async () => {
    const { order, setup, token } = await orderWithLink(main);

    const url = `${PUBLIC_BASE_URL}/wizard/${token}`;
    expect(setup).toMatchObject({ key: 'setup/link-1', to: [order.provisioningContactEmail] });
    expect(setup.subject).toContain(order.orderId);
    expect(setup.text).toContain(`Configure now: ${url}`);
    expect(setup.html).toContain(`href="${url}"`);
    expect(setup.html).toMatch(/<a [^>]*>Configure now<\/a>/);

    const view = await wizardGet(main, token);
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({ orderId: order.orderId, status: 'AWAITING_SETUP', nextStep: 'role' });

    const detail = await detailOf(main.h, order.orderId);
    const [sent] = eventsOf(detail, 'order.setup-email');
    expect(sent).toMatchObject({ actor: 'system', data: { to: order.provisioningContactEmail } });
    expect(Date.parse(sent!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(detail.startAt));
    // One request, one delivery: no retry, nothing sent twice.
    expect(requestsFor(main.standIn, order.orderId, 'setup/link-1')).toHaveLength(1);
    expect(mailsOf(main.standIn, order.orderId)).toHaveLength(1);
  });

  it('does not go before its moment: an order starting tomorrow stays SCHEDULED with no email', async () => {
    const tomorrow = makeOrder({ requestedStartDate: isoDate(1), timezone: 'UTC' });
    const intake = await main.h.postOrder(tomorrow);
    expect(intake.statusCode).toBe(201);
    expect(intake.json()).toMatchObject({ status: 'SCHEDULED', startAt: `${isoDate(1)}T09:00:00.000Z` });
    // An order received after it, due at once, has had its email: the worker is not lagging behind.
    await orderWithLink(main);

    const detail = await detailOf(main.h, tomorrow.orderId);
    expect(detail.status).toBe('SCHEDULED');
    expect(eventsOf(detail, 'order.setup-email')).toEqual([]);
    expect(mailsOf(main.standIn, tomorrow.orderId)).toEqual([]);
  });
});

describe('escalation', () => {
  it('escalates once when nobody opens the wizard, keeps the order open, and closes the task when the wizard is opened', async () => {
    const { order, token } = await orderWithLink(fast);
    // Looking at the wizard is not starting it (SPEC §2: "started" means a session was opened).
    expect((await wizardGet(fast, token)).statusCode).toBe(200);

    const escalated = await waitForStatus(fast.h, order.orderId, 'ESCALATED');
    expect(escalated.escalated).toBe(true);
    const repMail = await waitForMail(fast.standIn, order.orderId, 'rep-escalation', order.rep.email);
    expect(repMail.text).toContain(order.provisioningContactEmail);
    const reminder = await waitForMail(fast.standIn, order.orderId, 'reminder-escalation', order.provisioningContactEmail);
    expect(linkToken(reminder)).toBe(token);
    const withTask = await waitForDetail(fast.h, order.orderId, (d) => d.tasks.length > 0);
    expect(withTask.tasks).toEqual([expect.objectContaining({ kind: 'escalation', status: 'open' })]);

    const listed = (await fast.h.repGet(`/api/orders?q=${order.orderId}`)).json();
    expect(listed.items).toEqual([expect.objectContaining({ orderId: order.orderId, status: 'ESCALATED', escalated: true })]);
    expect((await fast.h.repGet(`/api/orders?escalated=true&q=${order.orderId}`)).json().items).toHaveLength(1);
    expect((await fast.h.repGet(`/api/orders?escalated=false&q=${order.orderId}`)).json().items).toHaveLength(0);

    // A second order received now escalates ESCALATION_AFTER later: by then a second escalation
    // of the first one would have happened too.
    const { order: later } = await orderWithLink(fast);
    await waitForMail(fast.standIn, later.orderId, 'rep-escalation');
    const stillOpen = await detailOf(fast.h, order.orderId);
    expect(stillOpen.status).toBe('ESCALATED');
    expect(eventsOf(stillOpen, 'order.escalated')).toHaveLength(1);
    expect(mailsOf(fast.standIn, order.orderId).map((m) => m.purpose).sort()).toEqual(['reminder-escalation', 'rep-escalation', 'setup']);
    expect(await workflowStatus(fast.h, order.orderId)).toBe('RUNNING');

    const wizard = wizardClient(fast.h, token);
    const started = await wizard.start();
    expect(started.statusCode).toBe(201);
    expect(started.json().view).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role' });
    const opened = await waitForDetail(fast.h, order.orderId, (d) => d.tasks.every((t) => t.status === 'closed'));
    expect(opened).toMatchObject({ status: 'IN_PROGRESS', escalated: false });
    expect(opened.tasks).toEqual([expect.objectContaining({ kind: 'escalation', status: 'closed', closedReason: 'the wizard was opened' })]);
    expect(eventsOf(opened, 'wizard.session-started')).toEqual([expect.objectContaining({ actor: 'contact' })]);
  });
});

describe('rep actions', () => {
  /** Checks the action's timeline entry: the rep who acted and what they said. */
  async function expectAudited(orderId: string, action: string, data: Record<string, unknown>, token = REP_TOKEN) {
    // The read model lags the answer when a wizard step's write is still ahead of the action's.
    const events = eventsOf(await readModelCaughtUp(main.h, orderId), `rep.${action}`);
    expect(events).toEqual([expect.objectContaining({ actor: repActor(token), data: expect.objectContaining(data) })]);
  }

  it('refuses a missing or wrong rep token with 401 and changes nothing', async () => {
    const { order, token } = await orderWithLink(main);
    for (const authorization of [undefined, 'Bearer not-a-rep-token-at-all', `Basic ${REP_TOKEN}`, REP_TOKEN]) {
      const headers = authorization === undefined ? {} : { authorization };
      for (const request of [
        { method: 'GET' as const, url: '/api/orders' },
        { method: 'GET' as const, url: `/api/orders/${order.orderId}` },
        { method: 'POST' as const, url: `/api/orders/${order.orderId}/actions/cancel`, payload: { reason: 'not allowed' } },
      ]) {
        const response = await main.h.app.inject({ ...request, headers });
        expect(response.statusCode, `${request.method} ${request.url} with ${authorization}`).toBe(401);
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
    }
    const detail = await detailOf(main.h, order.orderId);
    expect(detail.status).toBe('AWAITING_SETUP');
    expect(detail.timeline.filter((e) => e.type.startsWith('rep.'))).toEqual([]);
    expect((await wizardGet(main, token)).statusCode).toBe(200);
  });

  it('answers 404 for an unknown order', async () => {
    const missing = `CCW-missing-${randomUUID().slice(0, 8)}`;
    expect((await main.h.repGet(`/api/orders/${missing}`)).statusCode).toBe(404);
    expect((await repAction(main.h, missing, 'resend-link')).statusCode).toBe(404);
    expect((await repAction(main.h, missing, 'reschedule', { requestedStartDate: isoDate(3) })).statusCode).toBe(404);
  });

  describe('resend-link', () => {
    it('sends a new link that works; the old one answers like an unknown token, and an open session ends', async () => {
      const { order, token: oldToken } = await orderWithLink(main);
      const oldWizard = wizardClient(main.h, oldToken);
      expect((await oldWizard.start()).statusCode).toBe(201);

      const resent = await repAction(main.h, order.orderId, 'resend-link', { reason: 'the contact deleted the email' });
      expect(resent.statusCode, resent.body).toBe(200);
      expect(resent.json()).toMatchObject({ orderId: order.orderId, status: 'AWAITING_SETUP' });

      const again = await waitForMailKey(main.standIn, order.orderId, 'setup/link-2');
      expect(again.to).toEqual([order.provisioningContactEmail]);
      const newToken = linkToken(again);
      expect(newToken).not.toBe(oldToken);
      expect((await wizardGet(main, newToken)).json()).toMatchObject({ orderId: order.orderId, status: 'AWAITING_SETUP' });
      await expectDeadLink(main, oldToken);
      expect((await oldWizard.step('role', { role: 'partner' })).statusCode).toBe(404);
      await expectAudited(order.orderId, 'resend-link', { reason: 'the contact deleted the email' });
    });

    it('is refused with 409 while the order is SCHEDULED', async () => {
      const order = makeOrder();
      expect((await main.h.postOrder(order)).statusCode).toBe(201);
      const refused = await repAction(main.h, order.orderId, 'resend-link');
      expect(refused.statusCode).toBe(409);
      expect(refused.json().type).toContain('not-sent-yet');
      expect(eventsOf(await detailOf(main.h, order.orderId), 'rep.resend-link')).toEqual([]);
    });
  });

  describe('change-contact', () => {
    it('sends the setup email to the new contact and kills the old link', async () => {
      const { order, token: oldToken } = await orderWithLink(main);
      const newContact = `new-${randomUUID().slice(0, 8)}@partner.example`;

      const changed = await repAction(main.h, order.orderId, 'change-contact', { email: newContact, reason: 'the contact left the company' });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json()).toMatchObject({ status: 'AWAITING_SETUP', provisioningContactEmail: newContact });

      const mail = await waitForMail(main.standIn, order.orderId, 'setup', newContact);
      expect(mail.key).toBe('setup/link-2');
      expect((await wizardGet(main, linkToken(mail))).json()).toMatchObject({ orderId: order.orderId, audience: 'contact' });
      await expectDeadLink(main, oldToken);
      await expectAudited(order.orderId, 'change-contact', { email: newContact, reason: 'the contact left the company' });
    });

    it('refuses an invalid address or the current one with 422 and changes nothing', async () => {
      const { order, token } = await orderWithLink(main);
      for (const email of ['not-an-address', order.provisioningContactEmail]) {
        const refused = await repAction(main.h, order.orderId, 'change-contact', { email });
        expect(refused.statusCode, email).toBe(422);
        expect(refused.json().errors).toEqual([expect.objectContaining({ field: '/body/email' })]);
      }
      expect((await repAction(main.h, order.orderId, 'change-contact', {})).statusCode).toBe(422);
      expect((await wizardGet(main, token)).statusCode).toBe(200);
      expect(eventsOf(await detailOf(main.h, order.orderId), 'rep.change-contact')).toEqual([]);
    });

    it('before the start date changes only the address: the setup email later goes to the new contact', async () => {
      const order = makeOrder({ timezone: 'UTC' });
      expect((await main.h.postOrder(order)).statusCode).toBe(201);
      const newContact = `new-${randomUUID().slice(0, 8)}@partner.example`;
      const changed = await repAction(main.h, order.orderId, 'change-contact', { email: newContact });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json()).toMatchObject({ status: 'SCHEDULED', provisioningContactEmail: newContact });

      // Bring the start date forward so the email goes now: to the new address, and only there.
      expect((await repAction(main.h, order.orderId, 'reschedule', { requestedStartDate: isoDate(-1) })).statusCode).toBe(200);
      await waitForMail(main.standIn, order.orderId, 'setup', newContact);
      expect(mailsOf(main.standIn, order.orderId).map((m) => m.to)).toEqual([[newContact]]);
      await expectAudited(order.orderId, 'change-contact', { email: newContact });
    });
  });

  describe('reschedule', () => {
    it('moves the pending start: the setup email then goes at the new moment, and after that the date is fixed (409)', async () => {
      const [first, second] = [isoDate(100), isoDate(131)];
      const order = makeOrder({ requestedStartDate: first, timezone: 'UTC' });
      const intake = await main.h.postOrder(order);
      expect(intake.json()).toMatchObject({ status: 'SCHEDULED', startAt: `${first}T09:00:00.000Z` });

      const later = await repAction(main.h, order.orderId, 'reschedule', { requestedStartDate: second, reason: 'customer asked for April' });
      expect(later.statusCode, later.body).toBe(200);
      expect(later.json()).toMatchObject({ status: 'SCHEDULED', requestedStartDate: second, startAt: `${second}T09:00:00.000Z` });

      const yesterday = isoDate(-1);
      const now = await repAction(main.h, order.orderId, 'reschedule', { requestedStartDate: yesterday }, SECOND_REP_TOKEN);
      expect(now.statusCode, now.body).toBe(200);
      expect(now.json()).toMatchObject({ requestedStartDate: yesterday, startAt: `${yesterday}T09:00:00.000Z` });
      const mail = await waitForMail(main.standIn, order.orderId, 'setup', order.provisioningContactEmail);
      expect(mail.text).toContain(`${PUBLIC_BASE_URL}/wizard/`);
      const sent = await waitForStatus(main.h, order.orderId, 'AWAITING_SETUP');
      expect(sent.requestedStartDate).toBe(yesterday);

      const tooLate = await repAction(main.h, order.orderId, 'reschedule', { requestedStartDate: isoDate(5) });
      expect(tooLate.statusCode).toBe(409);
      expect(tooLate.json().type).toContain('already-sent');

      const events = eventsOf(await detailOf(main.h, order.orderId), 'rep.reschedule');
      expect(events).toEqual([
        expect.objectContaining({ actor: repActor(), data: expect.objectContaining({ requestedStartDate: second, reason: 'customer asked for April' }) }),
        expect.objectContaining({ actor: repActor(SECOND_REP_TOKEN), data: expect.objectContaining({ requestedStartDate: yesterday }) }),
      ]);
      expect(repActor(SECOND_REP_TOKEN)).not.toBe(repActor());
    });

    it('refuses a date that is not a calendar date, more than 366 days ahead, or none, with 422', async () => {
      const order = makeOrder();
      expect((await main.h.postOrder(order)).statusCode).toBe(201);
      // 368 days by UTC's calendar: more than 366 even from the latest today anywhere (UTC+14), which a reschedule counts from.
      const tooFar = await repAction(main.h, order.orderId, 'reschedule', { requestedStartDate: isoDate(368) });
      expect(tooFar.statusCode, tooFar.body).toBe(422);
      expect(tooFar.json().errors).toEqual([{ field: '/body/requestedStartDate', message: 'must be at most 366 days ahead' }]);
      for (const body of [{ requestedStartDate: '2031-02-30' }, { requestedStartDate: 'tomorrow' }, {}]) {
        expect((await repAction(main.h, order.orderId, 'reschedule', body)).statusCode, JSON.stringify(body)).toBe(422);
      }
      expect((await detailOf(main.h, order.orderId)).requestedStartDate).toBe(order.requestedStartDate);
    });
  });

  describe('cancel', () => {
    it('needs a reason, then ends the order: CANCELLED, links dead, further actions refused', async () => {
      const { order, token } = await orderWithLink(main);
      for (const body of [{}, { reason: '   ' }]) {
        const refused = await repAction(main.h, order.orderId, 'cancel', body);
        expect(refused.statusCode).toBe(422);
        expect(refused.json().errors).toEqual([expect.objectContaining({ field: '/body/reason' })]);
      }
      expect((await detailOf(main.h, order.orderId)).status).toBe('AWAITING_SETUP');

      const cancelled = await repAction(main.h, order.orderId, 'cancel', { reason: 'the customer withdrew the order' });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      expect(cancelled.json()).toMatchObject({ orderId: order.orderId, status: 'CANCELLED' });
      await expectDeadLink(main, token);
      await expectAudited(order.orderId, 'cancel', { reason: 'the customer withdrew the order' });
      await eventually(async () => ((await workflowStatus(main.h, order.orderId)) === 'COMPLETED' ? true : undefined));

      for (const [action, body] of [['resend-link', {}], ['cancel', { reason: 'again' }], ['resume', { reason: 'again' }]] as const) {
        expect((await repAction(main.h, order.orderId, action, body)).statusCode, action).toBe(409);
      }
      expect((await detailOf(main.h, order.orderId)).status).toBe('CANCELLED');
      expect(mailsOf(main.standIn, order.orderId).map((m) => m.purpose)).toEqual(['setup']);
    });

    it('cancels a SCHEDULED order before any email goes', async () => {
      const order = makeOrder();
      expect((await main.h.postOrder(order)).statusCode).toBe(201);
      expect((await repAction(main.h, order.orderId, 'cancel', { reason: 'ordered twice' })).json()).toMatchObject({ status: 'CANCELLED' });
      await eventually(async () => ((await workflowStatus(main.h, order.orderId)) === 'COMPLETED' ? true : undefined));
      expect(mailsOf(main.standIn, order.orderId)).toEqual([]);
    });

    it('is refused with 409 after the point of no return', async () => {
      const { order, token } = await orderWithLink(main);
      await configureOrder(wizardClient(main.h, token), order.partner.name);

      const refused = await repAction(main.h, order.orderId, 'cancel', { reason: 'too late' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().type).toContain('past-point-of-no-return');
      const detail = await detailOf(main.h, order.orderId);
      expect(detail.status).toBe('ORDER_CONFIGURED');
      expect(eventsOf(detail, 'rep.cancel')).toEqual([]);
      expect((await wizardGet(main, token)).statusCode).toBe(200);
    });
  });

  describe('resume', () => {
    it('is refused unless the order is ON_HOLD', async () => {
      const { order } = await orderWithLink(main);
      const refused = await repAction(main.h, order.orderId, 'resume', { reason: 'checked' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().type).toContain('not-on-hold');
    });

    it('takes an order put on hold at step 7 back to AWAITING_SETUP; a fresh link by email opens a new session, the old one is gone', async () => {
      const { order, token } = await orderWithLink(main);
      const wizard = wizardClient(main.h, token);
      await walkToCustomerOrg(wizard, order.partner.name);
      const held = await wizard.step('customer-org', { mode: 'existing', recognised: false });
      expect(held.statusCode, held.body).toBe(200);
      expect(held.json()).toMatchObject({ status: 'ON_HOLD', nextStep: null });

      const onHold = await waitForDetail(main.h, order.orderId, (d) => d.tasks.some((t) => t.kind === 'on-hold'));
      expect(onHold.tasks).toEqual([expect.objectContaining({ kind: 'on-hold', status: 'open' })]);
      await waitForMail(main.standIn, order.orderId, 'rep-on-hold', order.rep.email);
      expect((await wizard.start()).statusCode).toBe(409);

      const resumed = await repAction(main.h, order.orderId, 'resume', { reason: 'the customer org was checked with the customer' });
      expect(resumed.statusCode, resumed.body).toBe(200);
      expect(resumed.json()).toMatchObject({ status: 'AWAITING_SETUP' });
      await expectAudited(order.orderId, 'resume', { reason: 'the customer org was checked with the customer' });
      const closed = await waitForDetail(main.h, order.orderId, (d) => d.tasks.every((t) => t.status === 'closed'));
      expect(closed.tasks).toEqual([expect.objectContaining({ kind: 'on-hold', closedReason: 'a rep resumed the order' })]);

      const fresh = await waitForMailKey(main.standIn, order.orderId, 'resumed/link-2');
      expect(fresh.to).toEqual([order.provisioningContactEmail]);
      expect(fresh.text).toContain('the customer org was checked with the customer');
      expect((await wizard.start()).statusCode).toBe(404);
      const again = await wizardClient(main.h, linkToken(fresh)).start();
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json().view).toMatchObject({ status: 'IN_PROGRESS', nextStep: 'role', draft: {} });
      expect((await repAction(main.h, order.orderId, 'resume', { reason: 'again' })).statusCode).toBe(409);
    });

    it('takes the organization the rep names (validated), emails a fresh link saying so, and step 7 proposes it', async () => {
      const { order, token } = await orderWithLink(main);
      const wizard = wizardClient(main.h, token);
      await walkToCustomerOrg(wizard, order.partner.name);
      expect((await wizard.step('customer-org', { mode: 'existing', recognised: false })).statusCode).toBe(200);
      await waitForStatus(main.h, order.orderId, 'ON_HOLD');

      const name = `Acme Named ${randomUUID().slice(0, 6)} AS`;
      const [named] = await main.h.database.db.insert(organizations).values({ kind: 'customer', name, country: 'NO', address: 'Kaia 1' }).returning();
      const [partner] = await main.h.database.db.insert(organizations).values({ kind: 'partner', name: 'Other Partner AS', country: 'NO', partnerId: `P-${randomUUID()}` }).returning();

      // Refusals change nothing: no reason, an unknown org, an org of the other kind, ids on another action.
      for (const [body, field] of [
        [{ customerOrgId: named!.id }, '/body/reason'],
        [{ reason: 'checked', customerOrgId: randomUUID() }, '/body/customerOrgId'],
        [{ reason: 'checked', customerOrgId: partner!.id }, '/body/customerOrgId'],
        [{ reason: 'checked', partnerOrgId: named!.id }, '/body/partnerOrgId'],
        [{ reason: 'checked', customerOrgId: 'not-a-uuid' }, '/body/customerOrgId'],
      ] as const) {
        const refused = await repAction(main.h, order.orderId, 'resume', body);
        expect(refused.statusCode, JSON.stringify(body)).toBe(422);
        expect(refused.json().errors.map((e: { field: string }) => e.field), JSON.stringify(body)).toContain(field);
      }
      expect((await repAction(main.h, order.orderId, 'resend-link', { reason: 'x', customerOrgId: named!.id })).statusCode).toBe(422);
      expect((await detailOf(main.h, order.orderId)).status).toBe('ON_HOLD');
      expect(eventsOf(await detailOf(main.h, order.orderId), 'rep.resume')).toEqual([]);

      const resumed = await repAction(main.h, order.orderId, 'resume', { reason: 'the customer uses its other organization', customerOrgId: named!.id });
      expect(resumed.statusCode, resumed.body).toBe(200);
      await expectAudited(order.orderId, 'resume', { reason: 'the customer uses its other organization', customerOrgId: named!.id, customerOrgName: name });
      const fresh = await waitForMailKey(main.standIn, order.orderId, 'resumed/link-2');
      expect(fresh.text).toContain('the customer uses its other organization');
      expect(fresh.text).toContain(`Customer organization: ${name}`);

      const next = wizardClient(main.h, linkToken(fresh));
      await walkToCustomerOrg(next, order.partner.name);
      const atStep7 = (await next.view()).json();
      expect(atStep7.customerOrg.candidates).toEqual([expect.objectContaining({ orgId: named!.id, name })]);
      expect((await next.step('customer-org', { mode: 'existing', recognised: true, orgId: named!.id })).statusCode).toBe(200);
      // Naming it is not the organization's consent (SPEC §7.2): the partner does not manage it, so it is asked, or a rep approves.
      const confirmed = await next.step('confirm', { confirmed: true });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(confirmed.json()).toMatchObject({ status: 'AWAITING_CONSENT' });
      const approved = await repAction(main.h, order.orderId, 'approve-consent', { reason: 'the customer confirmed by phone' });
      expect(approved.statusCode, approved.body).toBe(200);
      expect((await waitForStatus(main.h, order.orderId, 'ORDER_CONFIGURED')).status).toBe('ORDER_CONFIGURED');
      expect((await next.view()).json()).toMatchObject({ configuration: { customerOrgName: name } });
    });
  });
});

describe('the rep list', () => {
  const tag = randomUUID().slice(0, 8);
  const list = async (query: string) => {
    const response = await main.h.repGet(`/api/orders?${query}`);
    expect(response.statusCode, `${query}: ${response.body}`).toBe(200);
    return response.json() as { items: Array<{ orderId: string; status: string }>; nextCursor: string | null };
  };
  const ids = async (query: string) => (await list(query)).items.map((i) => i.orderId);

  /** Orders CCW-<tag>-1…5, received in that order; 1–3 are due at once, 4–5 start in 200 days. */
  const orderIds = [1, 2, 3, 4, 5].map((n) => `CCW-${tag}-${n}`);

  beforeAll(async () => {
    const special = [
      { partner: { id: `P-${tag}-1`, name: `Fjord P${tag} AS` } },
      { customer: { name: `Acme C${tag} Shipping`, country: 'NO' } },
      { provisioningContactEmail: `m${tag}@contact.example` },
      {},
      {},
    ];
    for (const [i, orderId] of orderIds.entries()) {
      const due = i < 3 ? { requestedStartDate: isoDate(-1), timezone: 'UTC' } : {};
      const response = await main.h.postOrder(makeOrder({ orderId, ...due, ...special[i] }));
      expect(response.statusCode).toBe(201);
    }
    // The workflows write the read model: wait until all five are there, 1–3 past their setup email.
    await eventually(async () => ((await ids(`q=${tag}&status=AWAITING_SETUP`)).length === 3 && (await ids(`q=${tag}`)).length === 5 ? true : undefined));
  });

  it('searches order id, partner, customer and contact, case-insensitively and literally', async () => {
    expect(await ids(`q=${orderIds[3]}`)).toEqual([orderIds[3]]);
    expect(await ids(`q=p${tag.toUpperCase()}`)).toEqual([orderIds[0]]);
    expect(await ids(`q=P-${tag}-1`)).toEqual([orderIds[0]]);
    expect(await ids(`q=c${tag}`)).toEqual([orderIds[1]]);
    expect(await ids(`q=${encodeURIComponent(`m${tag}@contact`)}`)).toEqual([orderIds[2]]);
    // % and _ are characters to find, not wildcards.
    expect(await ids(`q=${encodeURIComponent(`${tag}%`)}`)).toEqual([]);
    expect(await ids(`q=${encodeURIComponent(`CCW-${tag}-_`)}`)).toEqual([]);
  });

  it('filters by status (one or several), newest first', async () => {
    expect(await ids(`q=${tag}&status=SCHEDULED`)).toEqual([orderIds[4], orderIds[3]]);
    expect(await ids(`q=${tag}&status=AWAITING_SETUP`)).toEqual([orderIds[2], orderIds[1], orderIds[0]]);
    expect(await ids(`q=${tag}&status=SCHEDULED,AWAITING_SETUP`)).toEqual([...orderIds].reverse());
    expect(await ids(`q=${tag}&status=ESCALATED`)).toEqual([]);
    expect(await ids(`q=${tag}&escalated=false`)).toEqual([...orderIds].reverse());
  });

  it('pages with a cursor without duplicates or gaps, also when orders arrive meanwhile', async () => {
    const first = await list(`q=${tag}&limit=2`);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    // A newer order arrives between pages: it belongs before page one, so later pages do not shift.
    const newcomer = `CCW-${tag}-6`;
    expect((await main.h.postOrder(makeOrder({ orderId: newcomer }))).statusCode).toBe(201);

    const seen = first.items.map((i) => i.orderId);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await list(`q=${tag}&limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.items.map((i) => i.orderId));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...orderIds].reverse());
    // The read model catches up with intake a moment later.
    await eventually(async () => ((await ids(`q=${tag}&limit=100`))[0] === newcomer ? true : undefined));
  });

  it('answers 400 for an unknown status, a forged cursor or a bad limit', async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: Array<[string, string]> = [
      ['status=SCHEDULED,SHIPPED', '/querystring/status'],
      ['status=scheduled', '/querystring/status'],
      ['cursor=not-a-cursor', '/querystring/cursor'],
      [`cursor=${forged({ createdAt: '2030-01-01' })}`, '/querystring/cursor'],
      [`cursor=${forged(['yesterday', 'CCW-1'])}`, '/querystring/cursor'],
      [`cursor=${forged(['2030-01-01T00:00:00.000Z', 42])}`, '/querystring/cursor'],
    ];
    for (const [query, field] of cases) {
      const response = await main.h.repGet(`/api/orders?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().errors, query).toEqual([expect.objectContaining({ field })]);
    }
    for (const query of ['limit=0', 'limit=101', 'escalated=yes']) {
      expect((await main.h.repGet(`/api/orders?${query}`)).statusCode, query).toBe(400);
    }
  });
});
