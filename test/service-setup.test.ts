// Step 10 (SPEC §3, 10a–10d) through HTTP with the real worker, Temporal and PostgreSQL: the
// sections each mix of services needs, subdomain availability and races, provisioning that bills
// once, and a permanent Webex refusal that leaves a rep task and bills nothing until retried.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseWebexGateway, type WebexGateway, WebexRejection } from '../activities/provisioning.js';
import { billingStarts, linkTokens, meetingSites, subscriptions } from '../db/schema/index.js';
import { orderWorkflowId, type Service } from '../domain/order.js';
import { eventually, type Harness, outbox, repAction, startHarness, waitForEmail, wizardClient } from './support/harness.js';
import { eventsOf, waitForDetail } from './support/lifecycle.js';
import { freshSubdomain, orderInServiceSetup, saveAllSections, type WizardClient } from './support/wizard-flow.js';

/** Several orders per test each send a few emails: don't let the default 2/s pace the suite. */
const env = { EMAIL_RATE_PER_SECOND: '50' };

/** Webex's billing system refuses this service's orders until a rep has the account fixed. */
let billingAccountOpen = false;

let h: Harness;
let refusing: Harness;
beforeAll(async () => {
  [h, refusing] = await Promise.all([
    startHarness(env),
    startHarness(env, { webex: billingRefusingGateway() }),
  ]);
});
afterAll(async () => {
  await Promise.all([h?.close(), refusing?.close()]);
});

function billingRefusingGateway(): WebexGateway {
  let database: WebexGateway | undefined;
  // The harness opens its database after taking this gateway: reach it through `refusing` lazily.
  const gateway = () => (database ??= createDatabaseWebexGateway({ database: refusing.database }));
  return {
    activateSubscription: (request) => gateway().activateSubscription(request),
    createMeetingSite: (request) => gateway().createMeetingSite(request),
    async startBilling(request) {
      if (!billingAccountOpen) throw new WebexRejection('the customer’s billing account is on hold');
      return gateway().startBilling(request);
    },
  };
}

const rowsOf = (harness: Harness, orderId: string) =>
  Promise.all([
    harness.database.db.select().from(subscriptions).where(eq(subscriptions.orderId, orderId)),
    harness.database.db.select().from(meetingSites).where(eq(meetingSites.orderId, orderId)),
    harness.database.db.select().from(billingStarts).where(eq(billingStarts.orderId, orderId)),
  ]).then(([subscriptionRows, siteRows, billingRows]) => ({ subscriptionRows, siteRows, billingRows }));

type Section = { name: string; required: boolean; saved: boolean; value?: Record<string, unknown> };
const sectionsOf = async (wizard: WizardClient): Promise<Section[]> => (await wizard.view()).json().sections;
const meetingsSection = async (wizard: WizardClient) => (await sectionsOf(wizard)).find((s) => s.name === 'meetings');

describe('the sections each mix of services needs', () => {
  const mixes: Array<[Service[], string[]]> = [
    [['messaging'], ['subscription']],
    [['messaging', 'meetings'], ['subscription', 'meetings']],
    [['messaging', 'calling'], ['subscription', 'calling']],
    [['messaging', 'meetings', 'calling'], ['subscription', 'calling', 'meetings']],
  ];

  it.each(mixes)('%j shows exactly %j and refuses the steps of services not bought', async (services, expected) => {
    const { order, wizard, view } = await orderInServiceSetup(h, services, {
      timezone: 'America/Chicago',
      customer: { name: 'Prairie Freight', country: 'US' },
    });
    expect(view).toMatchObject({ nextStep: 'subscription', sections: expected.map((name) => ({ name, required: true, saved: false })) });
    expect((view.sections as Section[]).map((s) => s.name)).toEqual(expected);

    if (services.includes('calling')) {
      // The calling form starts from the order: the customer's country and the order's time zone.
      expect(view.callingDefaults).toEqual({ country: 'US', locationName: 'Main office', timeZone: 'America/Chicago', extensionLength: 4 });
    } else {
      expect(view).not.toHaveProperty('callingDefaults');
      const calling = await wizard.step('calling', { country: 'US', locationName: 'HQ', timeZone: 'America/Chicago', extensionLength: 4 });
      expect(calling.statusCode).toBe(409);
      expect(calling.json().type).toBe('urn:order-provisioning:problem:not-bought');
    }
    if (!services.includes('meetings')) {
      const meetings = await wizard.step('meetings', { subdomain: freshSubdomain() });
      expect(meetings.statusCode).toBe(409);
      expect(meetings.json().type).toBe('urn:order-provisioning:problem:not-bought');
      expect(await rowsOf(h, order.orderId)).toMatchObject({ siteRows: [] });
    }
    // Refused steps changed nothing.
    expect(await sectionsOf(wizard)).toEqual(expected.map((name) => ({ name, required: true, saved: false })));

    await saveAllSections(wizard, services);
    const saved = (await wizard.view()).json();
    expect(saved).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'provision' });
    expect(saved.sections).toEqual(expected.map((name) => expect.objectContaining({ name, required: true, saved: true })));
    if (services.includes('calling')) {
      expect(saved.sections.find((s: Section) => s.name === 'calling').value).toMatchObject(view.callingDefaults as object);
    }
  });
});

describe('subdomain availability', () => {
  it('answers free, taken by another order, reserved and malformed, whatever the case', async () => {
    const [holder, asker] = await Promise.all([
      orderInServiceSetup(h, ['messaging', 'meetings']),
      orderInServiceSetup(h, ['messaging', 'meetings']),
    ]);
    const held = freshSubdomain('acme');
    expect((await holder.wizard.step('meetings', { subdomain: held.toUpperCase() })).statusCode).toBe(200);
    expect(await meetingsSection(holder.wizard)).toMatchObject({ saved: true, value: { subdomain: held } });

    const free = freshSubdomain('free');
    expect((await asker.wizard.subdomain(free)).json()).toMatchObject({ available: true, subdomain: free });
    expect((await asker.wizard.subdomain(free.toUpperCase())).json()).toMatchObject({ available: true, subdomain: free });
    for (const name of [held, held.toUpperCase()]) {
      const answer = await asker.wizard.subdomain(name);
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ available: false, reason: 'taken' });
    }
    // The order's own reservation is no conflict for itself.
    expect((await holder.wizard.subdomain(held)).json()).toMatchObject({ available: true, subdomain: held });

    for (const name of ['www', 'admin', 'WWW']) {
      expect((await asker.wizard.subdomain(name)).json()).toMatchObject({ available: false, reason: 'reserved' });
    }
    for (const name of ['-abc', 'ab', 'a'.repeat(64), 'a_b', 'a.b.c', 'ab c']) {
      const answer = await asker.wizard.subdomain(name);
      expect(answer.statusCode, name).toBe(200);
      expect(answer.json(), name).toMatchObject({ available: false, reason: 'malformed' });
    }
    // Saving a name the check calls taken is refused, and the asker's section stays unsaved.
    const taken = await asker.wizard.step('meetings', { subdomain: held.toUpperCase() });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().type).toBe('urn:order-provisioning:problem:subdomain-taken');
    expect(await meetingsSection(asker.wizard)).toMatchObject({ saved: false });
  });
});

describe('saving a subdomain', () => {
  it('lets exactly one of two racing orders win; the loser keeps what it had', async () => {
    const pair = await Promise.all([
      orderInServiceSetup(h, ['messaging', 'meetings']),
      orderInServiceSetup(h, ['messaging', 'meetings']),
    ]);

    /** One race for a fresh name; returns the loser, after checking that nothing of it was half-saved. */
    async function race() {
      const before = await Promise.all(pair.map(async ({ wizard }) => (await meetingsSection(wizard))!));
      const contested = freshSubdomain('race');
      const answers = await Promise.all(pair.map(({ wizard }) => wizard.step('meetings', { subdomain: contested })));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      const loser = answers.findIndex((a) => a.statusCode === 409);
      const winner = 1 - loser;
      expect(answers[loser]!.json().type).toBe('urn:order-provisioning:problem:subdomain-taken');

      expect(await meetingsSection(pair[winner]!.wizard)).toMatchObject({ saved: true, value: { subdomain: contested } });
      expect(await meetingsSection(pair[loser]!.wizard)).toEqual(before[loser]);
      expect((await rowsOf(h, pair[winner]!.order.orderId)).siteRows.map((s) => s.subdomain)).toEqual([contested]);
      const loserSites = (await rowsOf(h, pair[loser]!.order.orderId)).siteRows.map((s) => s.subdomain);
      expect(loserSites).toEqual(before[loser]!.saved ? [before[loser]!.value!.subdomain] : []);
      return pair[loser]!;
    }

    // First race: neither order has a subdomain yet, so the loser's section stays unsaved.
    const firstLoser = await race();
    expect(await meetingsSection(firstLoser.wizard)).toMatchObject({ saved: false });
    expect((await firstLoser.wizard.step('meetings', { subdomain: freshSubdomain('own') })).statusCode).toBe(200);
    // Then both hold a name: whoever loses keeps its previous one.
    for (let round = 0; round < 3; round++) await race();
  });

  it('releases the old name when an order changes its choice before provisioning', async () => {
    const [changer, other] = await Promise.all([
      orderInServiceSetup(h, ['messaging', 'meetings']),
      orderInServiceSetup(h, ['messaging', 'meetings']),
    ]);
    const [first, second] = [freshSubdomain('first'), freshSubdomain('second')];
    expect((await changer.wizard.step('meetings', { subdomain: first })).statusCode).toBe(200);
    expect((await other.wizard.subdomain(first)).json()).toMatchObject({ available: false, reason: 'taken' });

    expect((await changer.wizard.step('meetings', { subdomain: second })).statusCode).toBe(200);
    expect(await meetingsSection(changer.wizard)).toMatchObject({ saved: true, value: { subdomain: second } });
    expect((await rowsOf(h, changer.order.orderId)).siteRows.map((s) => s.subdomain)).toEqual([second]);

    expect((await other.wizard.subdomain(first)).json()).toMatchObject({ available: true });
    expect((await other.wizard.step('meetings', { subdomain: first })).statusCode).toBe(200);
    expect(await meetingsSection(other.wizard)).toMatchObject({ saved: true, value: { subdomain: first } });
  });

  it('frees the name of an order that ended without provisioning (here cancelled from Temporal), so another order takes it', async () => {
    const [ended, taker] = await Promise.all([
      orderInServiceSetup(h, ['messaging', 'meetings']),
      orderInServiceSetup(h, ['messaging', 'meetings']),
    ]);
    const name = freshSubdomain('freed');
    expect((await ended.wizard.step('meetings', { subdomain: name })).statusCode).toBe(200);
    expect((await taker.wizard.subdomain(name)).json()).toMatchObject({ available: false, reason: 'taken' });
    expect((await taker.wizard.step('meetings', { subdomain: name })).statusCode).toBe(409);

    await h.client.workflow.getHandle(orderWorkflowId(ended.order.orderId)).cancel();
    // The name is free once the read model has the cancellation (the rep's page shows the live status before).
    await waitForDetail(h, ended.order.orderId, (d) => eventsOf(d, 'order.cancelled').length > 0);

    expect((await taker.wizard.subdomain(name)).json()).toMatchObject({ available: true, subdomain: name });
    const saved = await taker.wizard.step('meetings', { subdomain: name });
    expect(saved.statusCode, saved.body).toBe(200);
    expect((await rowsOf(h, taker.order.orderId)).siteRows.map((s) => s.subdomain)).toEqual([name]);
    expect((await rowsOf(h, ended.order.orderId)).siteRows).toEqual([]);
  });
});

describe('provisioning', () => {
  it('is refused while a section is missing, then activates, creates the site and bills once', async () => {
    const services: Service[] = ['messaging', 'meetings', 'calling'];
    const { order, token, wizard } = await orderInServiceSetup(h, services);

    const refused = await wizard.step('provision', { confirm: true });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('urn:order-provisioning:problem:sections-missing');
    expect((await wizard.step('subscription', { reviewed: true })).statusCode).toBe(200);
    const stillMissing = await wizard.step('provision', { confirm: true });
    expect(stillMissing.statusCode).toBe(409);
    expect(stillMissing.json().detail).toContain('calling, meetings');
    expect(await rowsOf(h, order.orderId)).toMatchObject({ subscriptionRows: [], billingRows: [] });

    const subdomain = freshSubdomain('prov');
    await saveAllSections(wizard, services, subdomain);
    const provisioning = await wizard.step('provision', { confirm: true });
    expect(provisioning.statusCode).toBe(200);
    expect(provisioning.json()).toMatchObject({ nextStep: null });
    // Provisioning has started: the sections can no longer change.
    expect((await wizard.step('meetings', { subdomain: freshSubdomain() })).statusCode).toBe(409);

    const done = await eventually(async () => {
      const view = (await wizard.view()).json();
      return view.status === 'PROVISIONED' ? view : undefined;
    });
    expect(done).toMatchObject({ nextStep: null, provisioning: { state: 'done' } });

    const { subscriptionRows, siteRows, billingRows } = await rowsOf(h, order.orderId);
    expect(subscriptionRows).toHaveLength(1);
    expect([...subscriptionRows[0]!.services].sort()).toEqual(['calling', 'meetings', 'messaging']);
    expect(siteRows).toMatchObject([{ subdomain, status: 'active' }]);
    expect(billingRows).toMatchObject([{ subscriptionId: subscriptionRows[0]!.id }]);
    expect(billingRows[0]!.startedAt.toISOString()).toBe(done.provisioning.billingStartedAt);

    await waitForEmail(h, order.orderId, 'provisioned', order.provisioningContactEmail);
    await waitForEmail(h, order.orderId, 'provisioned', order.rep.email);
    const handle = h.client.workflow.getHandle(orderWorkflowId(order.orderId));
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));

    // Opening the link again shows the final state, and nothing more can be done with it.
    const again = wizardClient(h, token);
    const final = await again.view();
    expect(final.statusCode).toBe(200);
    expect(final.json()).toMatchObject({
      status: 'PROVISIONED',
      nextStep: null,
      provisioning: { state: 'done' },
      sections: [
        { name: 'subscription', saved: true },
        { name: 'calling', saved: true },
        { name: 'meetings', saved: true, value: { subdomain } },
      ],
    });
    expect((await again.start()).statusCode).toBe(409);
    // SPEC §7.1: links work until provisioned. The holder's open page and the emailed link show the result
    // for a week; then the link ends (the read model's link row and the rep detail say until when).
    const links = await h.database.db.select().from(linkTokens).where(eq(linkTokens.orderId, order.orderId));
    const aWeekAfterBilling = Date.parse(done.provisioning.billingStartedAt) + 7 * 86_400_000;
    for (const link of links.filter((l) => l.revokedAt === null)) {
      expect(link.expiresAt?.getTime()).toBeGreaterThanOrEqual(aWeekAfterBilling - 60_000);
      expect(link.expiresAt!.getTime()).toBeLessThanOrEqual(aWeekAfterBilling + 60_000);
    }
    expect(Date.parse((await h.repGet(`/api/orders/${order.orderId}`)).json().link.expiresAt)).toBe(links.find((l) => l.revokedAt === null)!.expiresAt!.getTime());
    // The timeline is a projection: its last event lands a moment after the live status.
    const detail = await eventually(async () => {
      const body = (await h.repGet(`/api/orders/${order.orderId}`)).json();
      return body.timeline.some((e: { type: string }) => e.type === 'order.provisioned') ? body : undefined;
    });
    expect(detail.status).toBe('PROVISIONED');
    expect(detail.timeline.filter((e: { type: string }) => e.type === 'order.provisioned')).toHaveLength(1);
  });

  it('a messaging-only order gets a subscription and billing, and no site', async () => {
    const { order, wizard } = await orderInServiceSetup(h, ['messaging']);
    await saveAllSections(wizard, ['messaging']);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    await eventually(async () => ((await wizard.view()).json().status === 'PROVISIONED' ? true : undefined));
    const { subscriptionRows, siteRows, billingRows } = await rowsOf(h, order.orderId);
    expect(subscriptionRows).toMatchObject([{ services: ['messaging'] }]);
    expect(siteRows).toEqual([]);
    expect(billingRows).toHaveLength(1);
  });
});

describe('when Webex refuses for good', () => {
  it('leaves a rep task and no billing; the user provisions again once the rep fixed it', async () => {
    billingAccountOpen = false;
    const services: Service[] = ['messaging', 'meetings'];
    const { order, token, wizard } = await orderInServiceSetup(refusing, services);
    await saveAllSections(wizard, services);
    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);

    const failed = await eventually(async () => {
      const view = (await wizard.view()).json();
      return view.provisioning?.state === 'failed' ? view : undefined;
    });
    expect(failed).toMatchObject({ status: 'SERVICE_SETUP', nextStep: 'provision' });
    expect(failed.provisioning.message).toContain('nothing was billed');
    expect((await rowsOf(refusing, order.orderId)).billingRows).toEqual([]);
    const task = await eventually(async () => {
      const detail = (await refusing.repGet(`/api/orders/${order.orderId}`)).json();
      return detail.tasks.find((t: { kind: string }) => t.kind === 'provisioning-failed');
    });
    expect(task).toMatchObject({ status: 'open' });
    expect(task.detail).toContain('billing account is on hold');
    await waitForEmail(refusing, order.orderId, 'rep-provisioning-failed', order.rep.email);

    // The rep has the account fixed; the contact opens the link again and provisions.
    billingAccountOpen = true;
    const again = wizardClient(refusing, token);
    expect((await again.start()).statusCode).toBe(201);
    expect((await again.view()).json()).toMatchObject({ nextStep: 'provision', provisioning: { state: 'failed' } });
    expect((await again.step('provision', { confirm: true })).statusCode).toBe(200);
    await eventually(async () => ((await again.view()).json().status === 'PROVISIONED' ? true : undefined));

    const { subscriptionRows, siteRows, billingRows } = await rowsOf(refusing, order.orderId);
    expect(subscriptionRows).toHaveLength(1);
    expect(siteRows).toMatchObject([{ status: 'active' }]);
    expect(billingRows).toMatchObject([{ subscriptionId: subscriptionRows[0]!.id }]);
    const tasks = await eventually(async () => {
      const detail = (await refusing.repGet(`/api/orders/${order.orderId}`)).json();
      return detail.tasks.every((t: { status: string }) => t.status === 'closed') ? detail.tasks : undefined;
    });
    expect(tasks.map((t: { kind: string }) => t.kind)).toContain('provisioning-failed');
  });
});

describe('rep action retry-provisioning', () => {
  it('after a failure the holder is told the rep is on it; the rep runs provisioning again, billing once, and the holder hears when it is done', async () => {
    billingAccountOpen = false;
    const services: Service[] = ['messaging', 'meetings'];
    const { order, wizard } = await orderInServiceSetup(refusing, services);
    await saveAllSections(wizard, services);

    // Not failed (provisioning not even asked for): 409, and nothing changed.
    const early = await repAction(refusing, order.orderId, 'retry-provisioning', { reason: 'too soon' });
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json().type).toContain('not-failed');
    const untouched = (await refusing.repGet(`/api/orders/${order.orderId}`)).json();
    expect(untouched).toMatchObject({ status: 'SERVICE_SETUP', provisioning: null });
    expect(untouched.timeline.map((e: { type: string }) => e.type)).not.toContain('rep.retry-provisioning');

    expect((await wizard.step('provision', { confirm: true })).statusCode).toBe(200);
    const told = await waitForEmail(refusing, order.orderId, 'provisioning-failed', order.provisioningContactEmail);
    expect(told.text).toContain('will finish it');
    expect(told.text).toContain('Nothing was billed');
    const openFailures = async () =>
      (await refusing.repGet(`/api/orders/${order.orderId}`)).json().tasks.filter((t: { kind: string; status: string }) => t.kind === 'provisioning-failed' && t.status === 'open');
    await eventually(async () => ((await openFailures()).length === 1 ? true : undefined));

    // The rep retries before the account is fixed: it fails again, a new task replaces the old one.
    const tooEarly = await repAction(refusing, order.orderId, 'retry-provisioning', { reason: 'try once more' });
    expect(tooEarly.statusCode, tooEarly.body).toBe(200);
    await eventually(async () => {
      const detail = (await refusing.repGet(`/api/orders/${order.orderId}`)).json();
      return detail.timeline.filter((e: { type: string }) => e.type === 'provisioning.failed').length === 2 ? true : undefined;
    });
    await eventually(async () => ((await openFailures()).length === 1 ? true : undefined));

    // The account is fixed: the rep's retry provisions, bills once, closes the task, tells the holder.
    billingAccountOpen = true;
    const retried = await repAction(refusing, order.orderId, 'retry-provisioning', { reason: 'billing account reopened' });
    expect(retried.statusCode, retried.body).toBe(200);
    await eventually(async () => ((await wizard.view()).json().status === 'PROVISIONED' ? true : undefined));
    const { subscriptionRows, siteRows, billingRows } = await rowsOf(refusing, order.orderId);
    expect(subscriptionRows).toHaveLength(1);
    expect(siteRows).toMatchObject([{ status: 'active' }]);
    expect(billingRows).toHaveLength(1);
    await waitForEmail(refusing, order.orderId, 'provisioned', order.provisioningContactEmail);
    expect((await outbox(refusing, order.orderId)).filter((e) => e.purpose === 'provisioning-failed')).toHaveLength(2);
    const detail = await eventually(async () => {
      const body = (await refusing.repGet(`/api/orders/${order.orderId}`)).json();
      return body.tasks.every((t: { status: string }) => t.status === 'closed') ? body : undefined;
    });
    expect(detail.timeline.filter((e: { type: string; actor: string }) => e.type === 'rep.retry-provisioning')).toHaveLength(2);

    // Provisioned: nothing to retry.
    const after = await repAction(refusing, order.orderId, 'retry-provisioning', {});
    expect(after.statusCode).toBe(409);
  });
});
