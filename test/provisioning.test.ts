// Step 10 against the real database: subdomain rules and availability, reservations that race,
// and provisioning that activates, creates and bills exactly once — also when Webex fails.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActivityDeps } from '../activities/index.js';
import {
  createDatabaseWebexGateway,
  createProvisioningActivities,
  INVALID_PROVISIONING_REQUEST,
  NO_SITE_RESERVED,
  PROVISIONING_REJECTED,
  SITE_ALREADY_ACTIVE,
  SUBDOMAIN_INVALID,
  SUBDOMAIN_TAKEN,
  type WebexGateway,
  WebexRejection,
} from '../activities/provisioning.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { checkSubdomainAvailability, findOrderSite } from '../db/queries/sites.js';
import { billingStarts, meetingSites, organizations, subscriptions } from '../db/schema/index.js';
import { defaultCallingSettings, isKnownTimeZone, validateCallingSettings } from '../domain/calling.js';
import { checkSubdomainSyntax, normaliseSubdomain, SUBDOMAIN_PATTERN } from '../domain/subdomain.js';
import { insertOrderRow, makeOrder, openTestDatabase } from './support/harness.js';

let database: Database;
let deps: ActivityDeps;
let activities: ReturnType<typeof createProvisioningActivities>;

beforeAll(async () => {
  database = await openTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    INTAKE_HMAC_SECRET: 'test-intake-secret-0123456789',
    REP_API_TOKENS: 'test-rep-token-0123456789abcdef',
    LINK_TOKEN_SECRET: 'test-link-token-secret-0123456789abcdef',
  });
  deps = { database, config };
  activities = createProvisioningActivities(deps);
});
afterAll(async () => {
  await database?.close();
});

/** An order in the read model, as intake would have projected it. */
async function recordedOrder(): Promise<string> {
  const order = makeOrder();
  await insertOrderRow(database, order, 'SERVICE_SETUP');
  return order.orderId;
}

async function customerOrg(): Promise<string> {
  const [org] = await database.db
    .insert(organizations)
    .values({ kind: 'customer', name: 'Acme Shipping', country: 'NO' })
    .returning({ id: organizations.id });
  return org!.id;
}

/** A subdomain nobody else in this shared database has used. */
const freshName = (prefix = 'site') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** The failure a promise rejected with, or a test failure when it resolved. */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

async function sitesOf(orderId: string) {
  return database.db.select().from(meetingSites).where(eq(meetingSites.orderId, orderId));
}

async function billingRowsOf(orderId: string) {
  return database.db.select().from(billingStarts).where(eq(billingStarts.orderId, orderId));
}

describe('subdomain syntax', () => {
  it.each([
    ['-acme', 'start or end with a hyphen'],
    ['acme-', 'start or end with a hyphen'],
    ['ab', 'at least 3'],
    ['a'.repeat(64), 'at most 63'],
    ['acme_shipping', 'letters a–z, digits and hyphens'],
    ['acme.shipping', 'letters a–z, digits and hyphens'],
    ['xn--acme', 'third and fourth'],
    ['   ', 'Enter a subdomain'],
  ])('refuses %j as malformed', (name, message) => {
    const result = checkSubdomainSyntax(name);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    expect(result.ok === false && result.message).toContain(message);
  });

  it('refuses reserved names whatever their case', () => {
    for (const name of ['www', 'WWW', 'webex', ' Support ', 'login']) {
      expect(checkSubdomainSyntax(name)).toMatchObject({ ok: false, reason: 'reserved' });
    }
  });

  it('accepts 3 and 63 characters and normalises case and spaces', () => {
    expect(checkSubdomainSyntax('a1b')).toEqual({ ok: true, subdomain: 'a1b' });
    expect(checkSubdomainSyntax('a'.repeat(63))).toEqual({ ok: true, subdomain: 'a'.repeat(63) });
    expect(checkSubdomainSyntax('  Acme-Shipping ')).toEqual({ ok: true, subdomain: 'acme-shipping' });
    expect(normaliseSubdomain(' ACME ')).toBe('acme');
    expect(SUBDOMAIN_PATTERN.test('acme-shipping')).toBe(true);
  });
});

describe('calling settings', () => {
  const valid = { country: 'NO', locationName: 'Oslo HQ', timeZone: 'Europe/Oslo', extensionLength: 4 };

  it('derives valid defaults from the order', () => {
    const defaults = defaultCallingSettings({ customer: { country: 'NO' }, timezone: 'Europe/Oslo' });
    expect(defaults).toEqual({ country: 'NO', locationName: 'Main office', timeZone: 'Europe/Oslo', extensionLength: 4 });
    expect(validateCallingSettings(defaults)).toEqual([]);
    expect(validateCallingSettings(valid)).toEqual([]);
  });

  it('names each bad field with a JSON pointer', () => {
    const errors = validateCallingSettings({ country: 'UK', locationName: '  ', timeZone: 'Oslo time', extensionLength: 7 });
    expect(errors.map((e) => e.field)).toEqual(['/body/country', '/body/locationName', '/body/timeZone', '/body/extensionLength']);
    expect(errors[0]!.message).toContain('GB');
    expect(validateCallingSettings({ ...valid, extensionLength: 2.5 }, '/settings')).toEqual([
      { field: '/settings/extensionLength', message: 'must be a whole number from 2 to 6', code: 'extensionLength', values: { min: 2, max: 6 } },
    ]);
    expect(validateCallingSettings({ ...valid, country: 'no' })).toHaveLength(1);
    expect(validateCallingSettings({ ...valid, country: 'XX' })).toHaveLength(1);
    expect(validateCallingSettings({ ...valid, locationName: 'x'.repeat(81) })).toHaveLength(1);
    expect(validateCallingSettings({ ...valid, locationName: ` ${'x'.repeat(80)} ` })).toEqual([]);
    expect(validateCallingSettings(null)).toHaveLength(1);
  });

  it('knows real IANA zones only outside the shape check', () => {
    expect(isKnownTimeZone('Europe/Oslo')).toBe(true);
    expect(isKnownTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    // Well-shaped but unknown: the pure validator lets it through, the tz database does not.
    expect(validateCallingSettings({ ...valid, timeZone: 'Europe/Atlantis' })).toEqual([]);
    expect(isKnownTimeZone('Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('+01:00')).toBe(false);
  });
});

describe('checkSubdomainAvailability', () => {
  it('answers free, taken, reserved and malformed', async () => {
    const holder = await recordedOrder();
    const asker = await recordedOrder();
    const held = freshName();
    await activities.reserveSubdomain({ orderId: holder, subdomain: held });

    expect(await checkSubdomainAvailability(database.db, freshName(), asker)).toMatchObject({ available: true });
    expect(await checkSubdomainAvailability(database.db, held, asker)).toMatchObject({ available: false, reason: 'taken' });
    expect(await checkSubdomainAvailability(database.db, held.toUpperCase())).toMatchObject({ available: false, reason: 'taken' });
    expect(await checkSubdomainAvailability(database.db, 'admin', asker)).toMatchObject({ available: false, reason: 'reserved' });
    for (const name of ['-acme', 'ab', 'a'.repeat(64), 'acme_shipping']) {
      expect(await checkSubdomainAvailability(database.db, name, asker)).toMatchObject({ available: false, reason: 'malformed' });
    }
  });

  it('normalises the name and counts the order’s own reservation as available to it', async () => {
    const orderId = await recordedOrder();
    const name = freshName();
    await activities.reserveSubdomain({ orderId, subdomain: name });
    expect(await checkSubdomainAvailability(database.db, ` ${name.toUpperCase()} `, orderId)).toEqual({ available: true, subdomain: name });
  });
});

describe('reserveSubdomain', () => {
  it('lets exactly one of two racing orders win; the loser keeps its previous reservation', async () => {
    for (let round = 0; round < 5; round++) {
      const [first, second] = [await recordedOrder(), await recordedOrder()];
      const previous = { [first]: freshName('prev'), [second]: freshName('prev') };
      await activities.reserveSubdomain({ orderId: first, subdomain: previous[first]! });
      await activities.reserveSubdomain({ orderId: second, subdomain: previous[second]! });

      const contested = freshName('race');
      const results = await Promise.allSettled([first, second].map((orderId) => activities.reserveSubdomain({ orderId, subdomain: contested })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loserIndex = results.findIndex((r) => r.status === 'rejected');
      const failure = (results[loserIndex] as PromiseRejectedResult).reason;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: SUBDOMAIN_TAKEN, nonRetryable: true });

      const winner = loserIndex === 0 ? second : first;
      const loser = loserIndex === 0 ? first : second;
      expect((await sitesOf(winner)).map((s) => s.subdomain)).toEqual([contested]);
      expect((await sitesOf(loser)).map((s) => s.subdomain)).toEqual([previous[loser]]);
    }
  });

  it('releases the old name when an order changes its choice', async () => {
    const [orderId, other] = [await recordedOrder(), await recordedOrder()];
    const [oldName, newName] = [freshName(), freshName()];
    await activities.reserveSubdomain({ orderId, subdomain: oldName });
    expect(await checkSubdomainAvailability(database.db, oldName, other)).toMatchObject({ available: false, reason: 'taken' });

    expect(await activities.reserveSubdomain({ orderId, subdomain: newName.toUpperCase() })).toEqual({ subdomain: newName });
    expect((await sitesOf(orderId)).map((s) => s.subdomain)).toEqual([newName]);
    expect(await activities.reserveSubdomain({ orderId: other, subdomain: oldName })).toEqual({ subdomain: oldName });
  });

  it('is idempotent for the name the order holds', async () => {
    const orderId = await recordedOrder();
    const name = freshName();
    await Promise.all([1, 2, 3].map(() => activities.reserveSubdomain({ orderId, subdomain: name })));
    expect(await activities.reserveSubdomain({ orderId, subdomain: name })).toEqual({ subdomain: name });
    expect(await sitesOf(orderId)).toHaveLength(1);
  });

  it('refuses a malformed or reserved name and saves nothing', async () => {
    const orderId = await recordedOrder();
    expect(await failureOf(activities.reserveSubdomain({ orderId, subdomain: '-bad' }))).toMatchObject({
      type: SUBDOMAIN_INVALID,
      nonRetryable: true,
      details: [{ reason: 'malformed' }],
    });
    expect(await failureOf(activities.reserveSubdomain({ orderId, subdomain: 'www' }))).toMatchObject({
      type: SUBDOMAIN_INVALID,
      details: [{ reason: 'reserved' }],
    });
    expect(await sitesOf(orderId)).toEqual([]);
  });

  it('keeps an active site: another name is refused, the same name is fine, release leaves it', async () => {
    const orderId = await recordedOrder();
    const name = freshName();
    await activities.reserveSubdomain({ orderId, subdomain: name });
    await activities.createMeetingSite({ orderId });

    expect(await failureOf(activities.reserveSubdomain({ orderId, subdomain: freshName() }))).toMatchObject({
      type: SITE_ALREADY_ACTIVE,
      nonRetryable: true,
    });
    expect(await activities.reserveSubdomain({ orderId, subdomain: name })).toEqual({ subdomain: name });
    expect(await activities.releaseSubdomain({ orderId })).toEqual({ released: false });
    expect(await sitesOf(orderId)).toMatchObject([{ subdomain: name, status: 'active' }]);
  });

  it('releaseSubdomain frees a reservation for other orders, once', async () => {
    const [orderId, other] = [await recordedOrder(), await recordedOrder()];
    const name = freshName();
    await activities.reserveSubdomain({ orderId, subdomain: name });
    expect(await activities.releaseSubdomain({ orderId })).toEqual({ released: true });
    expect(await activities.releaseSubdomain({ orderId })).toEqual({ released: false });
    expect(await sitesOf(orderId)).toEqual([]);
    expect(await activities.reserveSubdomain({ orderId: other, subdomain: name })).toEqual({ subdomain: name });
  });
});

describe('provisioning', () => {
  async function reservedOrder() {
    const orderId = await recordedOrder();
    const subdomain = freshName();
    await activities.reserveSubdomain({ orderId, subdomain });
    return { orderId, subdomain, customerOrgId: await customerOrg() };
  }

  it('activates, creates the site and starts billing once, however often it is called', async () => {
    const { orderId, subdomain, customerOrgId } = await reservedOrder();
    const services = ['meetings', 'messaging'] as const;

    const activations = await Promise.all(
      [1, 2, 3].map(() => activities.activateSubscription({ orderId, customerOrgId, services: [...services] })),
    );
    const { subscriptionId } = activations[0]!;
    expect(activations).toEqual(activations.map(() => ({ subscriptionId })));
    const subscriptionRows = await database.db.select().from(subscriptions).where(eq(subscriptions.orderId, orderId));
    expect(subscriptionRows).toMatchObject([{ id: subscriptionId, customerOrgId, services: ['messaging', 'meetings'] }]);

    const sites = await Promise.all([1, 2, 3].map(() => activities.createMeetingSite({ orderId })));
    expect(new Set(sites.map((s) => s.siteId)).size).toBe(1);
    expect(sites[0]).toMatchObject({ subdomain });
    expect(await sitesOf(orderId)).toMatchObject([{ id: sites[0]!.siteId, subdomain, status: 'active' }]);
    expect((await sitesOf(orderId))[0]!.activatedAt).toBeInstanceOf(Date);

    const startedAt = '2030-02-01T10:00:00.000Z';
    const starts = await Promise.all([1, 2, 3].map(() => activities.startBilling({ orderId, subscriptionId, startedAt })));
    expect(starts.filter((s) => !s.alreadyStarted)).toHaveLength(1);
    expect(starts.map((s) => s.startedAt)).toEqual([startedAt, startedAt, startedAt]);
    // A later call with another instant still answers with the first start.
    expect(await activities.startBilling({ orderId, subscriptionId, startedAt: '2031-01-01T00:00:00Z' })).toEqual({
      startedAt,
      alreadyStarted: true,
    });
    expect(await billingRowsOf(orderId)).toMatchObject([{ subscriptionId, startedAt: new Date(startedAt) }]);
  });

  it('refuses to create a site for an order without a reservation', async () => {
    const orderId = await recordedOrder();
    expect(await failureOf(activities.createMeetingSite({ orderId }))).toMatchObject({ type: NO_SITE_RESERVED, nonRetryable: true });
  });

  it('refuses impossible requests without retrying', async () => {
    const { orderId, customerOrgId } = await reservedOrder();
    expect(await failureOf(activities.activateSubscription({ orderId, customerOrgId, services: [] }))).toMatchObject({
      type: INVALID_PROVISIONING_REQUEST,
      nonRetryable: true,
    });
    expect(await failureOf(activities.activateSubscription({ orderId, customerOrgId: 'org-1', services: ['messaging'] }))).toMatchObject({
      type: INVALID_PROVISIONING_REQUEST,
    });
    // An organization that does not exist: the (database) Webex refuses it for good.
    expect(await failureOf(activities.activateSubscription({ orderId, customerOrgId: randomUUID(), services: ['messaging'] }))).toMatchObject({
      type: PROVISIONING_REJECTED,
      nonRetryable: true,
    });
  });

  it('bills only the order’s own subscription', async () => {
    const first = await reservedOrder();
    const second = await reservedOrder();
    const { subscriptionId } = await activities.activateSubscription({ ...first, services: ['meetings'] });
    expect(
      await failureOf(activities.startBilling({ orderId: second.orderId, subscriptionId, startedAt: '2030-02-01T10:00:00Z' })),
    ).toMatchObject({ type: PROVISIONING_REJECTED, nonRetryable: true });
    expect(await billingRowsOf(second.orderId)).toEqual([]);
  });

  describe('when billing fails', () => {
    const startedAt = '2030-03-01T09:00:00.000Z';

    /** The database gateway with `startBilling` replaced. */
    function gatewayWith(startBilling: WebexGateway['startBilling']): WebexGateway {
      return { ...createDatabaseWebexGateway(deps), startBilling };
    }

    async function subscribedOrder() {
      const { orderId, customerOrgId } = await reservedOrder();
      const { subscriptionId } = await activities.activateSubscription({ orderId, customerOrgId, services: ['messaging'] });
      return { orderId, subscriptionId };
    }

    it('a permanent refusal is non-retryable and bills nothing', async () => {
      const { orderId, subscriptionId } = await subscribedOrder();
      const refusing = createProvisioningActivities({
        ...deps,
        webex: gatewayWith(async () => {
          throw new WebexRejection('billing account closed');
        }),
      });
      const failure = await failureOf(refusing.startBilling({ orderId, subscriptionId, startedAt }));
      expect(failure).toMatchObject({ type: PROVISIONING_REJECTED, nonRetryable: true });
      expect(failure.message).toContain('billing account closed');
      expect(await billingRowsOf(orderId)).toEqual([]);
    });

    it('a transient failure is retryable, bills nothing, and a later attempt bills once', async () => {
      const { orderId, subscriptionId } = await subscribedOrder();
      const database_ = createDatabaseWebexGateway(deps);
      let outages = 2;
      const flaky = createProvisioningActivities({
        ...deps,
        webex: gatewayWith(async (request) => {
          if (outages-- > 0) throw new Error('billing system unavailable (503)');
          return database_.startBilling(request);
        }),
      });
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await flaky.startBilling({ orderId, subscriptionId, startedAt }).catch((e: unknown) => e);
        // A plain error: Temporal retries it under the activity's retry policy.
        expect(error).not.toBeInstanceOf(ApplicationFailure);
        expect(error).toBeInstanceOf(Error);
        expect(await billingRowsOf(orderId)).toEqual([]);
      }
      expect(await flaky.startBilling({ orderId, subscriptionId, startedAt })).toEqual({ startedAt, alreadyStarted: false });
      expect(await billingRowsOf(orderId)).toHaveLength(1);
    });

    it('an answer lost after billing started is found again by the retry, not billed twice', async () => {
      const { orderId, subscriptionId } = await subscribedOrder();
      const database_ = createDatabaseWebexGateway(deps);
      let answersLost = 1;
      const lossy = createProvisioningActivities({
        ...deps,
        webex: gatewayWith(async (request) => {
          const result = await database_.startBilling(request);
          if (answersLost-- > 0) throw new Error('connection reset after the request was sent');
          return result;
        }),
      });
      await expect(lossy.startBilling({ orderId, subscriptionId, startedAt })).rejects.toThrow('connection reset');
      expect(await lossy.startBilling({ orderId, subscriptionId, startedAt })).toEqual({ startedAt, alreadyStarted: true });
      expect(await billingRowsOf(orderId)).toHaveLength(1);
    });
  });

  it('findOrderSite returns the order’s site', async () => {
    const { orderId, subdomain } = await reservedOrder();
    expect(await findOrderSite(database.db, orderId)).toMatchObject({ orderId, subdomain, status: 'reserved', activatedAt: null });
    expect(await findOrderSite(database.db, await recordedOrder())).toBeUndefined();
  });
});
