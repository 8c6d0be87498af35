// The organization side of the wizard (SPEC §3 steps 5–9) against the real database: look-ups,
// the step 8 commit (idempotent, all or nothing, race-safe) and step 9's password rules and hash.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { count, eq, or, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_EMAIL_TAKEN,
  type CommitInput,
  CONFIGURATION_MISMATCH,
  createOrganizationActivities,
  INVALID_PASSWORD_HASH,
  NO_NEW_PARTNER_ORG,
  UNKNOWN_PASSWORD_REFERENCE,
  PARTNER_ADMIN_EMAIL_TAKEN,
  UNKNOWN_CUSTOMER_ORG,
  UNKNOWN_PARTNER_ORG,
} from '../activities/organizations.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import {
  classifyAdminEmail,
  customerOrgCandidates,
  findPartnerOrg,
  MAX_CUSTOMER_ORG_CANDIDATES,
} from '../db/queries/organizations.js';
import { orderConfigurations, organizations, orgUsers } from '../db/schema/index.js';
import { storePendingPassword } from '../db/queries/partner-passwords.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../domain/password.js';
import { fileDatabaseUrl } from './support/database.js';
import { eventually, insertOrderRow, makeOrder, openTestDatabase } from './support/harness.js';

let database: Database;
let activities: ReturnType<typeof createOrganizationActivities>;

beforeAll(async () => {
  database = await openTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    INTAKE_HMAC_SECRET: 's'.repeat(32),
    REP_API_TOKENS: 't'.repeat(32),
    LINK_TOKEN_SECRET: 'l'.repeat(32),
    DATA_DIR: '/tmp/unused',
  });
  activities = createOrganizationActivities({ database, config });
});
afterAll(async () => {
  await database?.close();
});

const uniq = () => randomUUID().slice(0, 8);
/** A company domain no other test uses. */
const newDomain = () => `corp-${uniq()}.example`;

/** The order in the read model, as intake's projection would write it. */
async function insertOrder(partnerId = `P-${uniq()}`): Promise<string> {
  const order = makeOrder({ partner: { id: partnerId, name: 'Fjord Networks AS' } });
  await insertOrderRow(database, order, 'IN_PROGRESS');
  return order.orderId;
}

const newPartner = (partnerId: string, adminEmail: string) =>
  ({ mode: 'new', partnerId, name: 'Fjord Networks AS', country: 'NO', address: 'Strandgata 1, Bergen', adminEmail }) as const;
const newCustomer = (name = 'Acme Shipping') => ({ mode: 'new', name, country: 'NO', address: 'Kaigata 2, Oslo' }) as const;

/** Commits a customer-configured order: a new customer org with `adminEmail` as its admin. */
async function customerOrgWithAdmin(adminEmail: string, name = 'Acme Shipping') {
  const orderId = await insertOrder();
  return activities.commitOrderConfiguration({ attemptId: randomUUID(), orderId, partner: null, customer: newCustomer(name), admin: { email: adminEmail } });
}

async function rowsCreatedBy(orderId: string) {
  const [orgs] = await database.db.select({ n: count() }).from(organizations).where(eq(organizations.createdByOrderId, orderId));
  const [users] = await database.db.select({ n: count() }).from(orgUsers).where(eq(orgUsers.createdByOrderId, orderId));
  const [configs] = await database.db.select({ n: count() }).from(orderConfigurations).where(eq(orderConfigurations.orderId, orderId));
  return { orgs: orgs!.n, users: users!.n, configurations: configs!.n };
}

async function orgRow(id: string) {
  const [row] = await database.db.select().from(organizations).where(eq(organizations.id, id));
  return row!;
}

async function userRow(id: string) {
  const [row] = await database.db.select().from(orgUsers).where(eq(orgUsers.id, id));
  return row!;
}

const databaseUrl = await fileDatabaseUrl();

/**
 * Holds the step 8 locks of `orderIds` (the advisory lock commitOrderConfiguration takes first)
 * from another connection: commits of those orders then stall inside their transactions, so two
 * commits started together really overlap instead of running one after the other.
 */
async function holdOrders(orderIds: string[]) {
  // Two connections: one holds the lock, the other watches who waits for it.
  const client = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const held = await client.reserve();
  for (const orderId of orderIds) await held`select pg_advisory_lock(hashtextextended(${`order-configuration:${orderId}`}, 0))`;
  const [{ pid }] = (await held`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  return {
    /** Waits until `count` sessions wait behind the held rows, directly or behind another waiter. */
    async waitForWaiters(count: number) {
      await eventually(async () => {
        const [{ waiting }] = (await client`
          with recursive chain(pid) as (
            select ${pid}::int
            union
            select a.pid from pg_stat_activity a, chain c where c.pid = any(pg_blocking_pids(a.pid))
          )
          select count(*)::int - 1 as waiting from chain`) as unknown as [{ waiting: number }];
        return waiting >= count ? true : undefined;
      });
    },
    async release() {
      await held`select pg_advisory_unlock_all()`;
      held.release();
      await client.end({ timeout: 5 });
    },
  };
}

/** The ApplicationFailure a promise rejects with (fails the test when it resolves or throws anything else). */
async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('classifyAdminEmail and findPartnerOrg', () => {
  it('knows nothing of an address in no org', async () => {
    expect(await classifyAdminEmail(database.db, `nobody-${uniq()}@${newDomain()}`)).toEqual({ kind: 'unknown' });
  });

  it('finds the customer org of an address, whatever its case', async () => {
    const domain = newDomain();
    const committed = await customerOrgWithAdmin(`Anna.Larsen@${domain}`, 'Acme Shipping');
    const found = await classifyAdminEmail(database.db, `  anna.LARSEN@${domain.toUpperCase()} `);
    expect(found).toEqual({
      kind: 'customer-org',
      org: {
        orgId: committed.customerOrgId,
        kind: 'customer',
        name: 'Acme Shipping',
        country: 'NO',
        address: 'Kaigata 2, Oslo',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        userCount: 1,
      },
    });
  });

  it('finds the partner org of a partner admin, and the partner org by commerce partner id', async () => {
    const partnerId = `P-${uniq()}`;
    const partnerAdmin = `Admin-${uniq()}@fjord-${uniq()}.example`;
    expect(await findPartnerOrg(database.db, partnerId)).toBeNull();
    const orderId = await insertOrder(partnerId);
    const committed = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId,
      partner: newPartner(partnerId, partnerAdmin),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    });
    const classified = await classifyAdminEmail(database.db, partnerAdmin.toUpperCase());
    expect(classified).toMatchObject({ kind: 'partner-org', org: { orgId: committed.partnerOrgId, kind: 'partner', userCount: 1 } });
    expect(await findPartnerOrg(database.db, partnerId)).toMatchObject({
      orgId: committed.partnerOrgId,
      kind: 'partner',
      name: 'Fjord Networks AS',
      country: 'NO',
      address: 'Strandgata 1, Bergen',
      userCount: 1,
    });
  });
});

/** Commits a partner-configured order: a new customer org with `adminEmail` as its admin, managed by partner `partnerId`'s org. */
async function managedCustomerOrg(partnerId: string, adminEmail: string, name = 'Acme Shipping') {
  return activities.commitOrderConfiguration({
      attemptId: randomUUID(),
    orderId: await insertOrder(partnerId),
    partner: newPartner(partnerId, `partner-admin-${partnerId.toLowerCase()}@${newDomain()}`),
    customer: newCustomer(name),
    admin: { email: adminEmail },
  });
}

describe('customerOrgCandidates', () => {
  it('offers only the org the admin already belongs to: in full when the partner manages it', async () => {
    const domain = newDomain();
    const partnerId = `P-${uniq()}`;
    await managedCustomerOrg(partnerId, `first@${domain}`, 'Acme One');
    const own = await managedCustomerOrg(partnerId, `second@${domain}`, 'Acme Two');
    const candidates = await customerOrgCandidates(database.db, `SECOND@${domain}`, own.partnerOrgId);
    expect(candidates).toEqual([expect.objectContaining({ orgId: own.customerOrgId, name: 'Acme Two', country: 'NO', userCount: 1 })]);
  });

  it('shows another company’s org only as the one the address belongs to: no name, country, size or age (SPEC §7.2)', async () => {
    const domain = newDomain();
    const stranger = await customerOrgWithAdmin(`boss@${domain}`, 'Stranger Ltd');
    const otherPartner = await managedCustomerOrg(`P-${uniq()}`, `cfo@${domain}`, 'Other Partner’s Customer');
    const ours = await managedCustomerOrg(`P-${uniq()}`, `x@${newDomain()}`);
    for (const manager of [ours.partnerOrgId, null]) {
      expect(await customerOrgCandidates(database.db, `BOSS@${domain}`, manager)).toEqual([
        { orgId: stranger.customerOrgId, kind: 'customer', name: `the organization that boss@${domain} already belongs to`, belongsTo: `boss@${domain}` },
      ]);
      expect(await customerOrgCandidates(database.db, `cfo@${domain}`, manager)).toEqual([
        { orgId: otherPartner.customerOrgId, kind: 'customer', name: `the organization that cfo@${domain} already belongs to`, belongsTo: `cfo@${domain}` },
      ]);
    }
  });

  it('by domain offers only the orgs the partner manages, newest first: never other companies’ orgs, nor any to a customer configuring', async () => {
    const domain = newDomain();
    const partnerId = `P-${uniq()}`;
    const older = await managedCustomerOrg(partnerId, `ole@${domain}`, 'Acme Old');
    const newer = await managedCustomerOrg(partnerId, `nina@${domain.toUpperCase()}`, 'Acme New');
    // Same domain, not ours: an unmanaged org, another partner's customer, and a partner org.
    await customerOrgWithAdmin(`stranger@${domain}`, 'Stranger Ltd');
    await managedCustomerOrg(`P-${uniq()}`, `rival@${domain}`, 'Rival’s Customer');
    const partnerOfDomain = `P-${uniq()}`;
    await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(partnerOfDomain),
      partner: newPartner(partnerOfDomain, `partner-admin@${domain}`),
      customer: newCustomer(),
      admin: { email: `someone@${newDomain()}` },
    });
    await database.db.insert(orgUsers).values({ orgId: older.customerOrgId, email: `olga@${domain}`, role: 'user' });

    const candidates = await customerOrgCandidates(database.db, `newcomer@${domain.toUpperCase()}`, older.partnerOrgId);
    expect(candidates.map((org) => [org.orgId, org.name, org.userCount])).toEqual([
      [newer.customerOrgId, 'Acme New', 1],
      [older.customerOrgId, 'Acme Old', 2],
    ]);
    expect(await customerOrgCandidates(database.db, `newcomer@${domain}`, null)).toEqual([]);
  });

  it(`offers at most ${MAX_CUSTOMER_ORG_CANDIDATES} orgs`, async () => {
    const domain = newDomain();
    const partnerId = `P-${uniq()}`;
    let manager: string | null = null;
    for (let i = 0; i <= MAX_CUSTOMER_ORG_CANDIDATES; i++) manager = (await managedCustomerOrg(partnerId, `user${i}@${domain}`, `Org ${i}`)).partnerOrgId;
    const candidates = await customerOrgCandidates(database.db, `newcomer@${domain}`, manager);
    expect(candidates).toHaveLength(MAX_CUSTOMER_ORG_CANDIDATES);
    // The oldest one is left out.
    expect(candidates.map((org) => org.name)).not.toContain('Org 0');
  });

  it('shows a public mail domain nobody else’s org, but still the admin’s own', async () => {
    const partnerId = `P-${uniq()}`;
    const email = `stranger-${uniq()}@gmail.com`;
    const stranger = await managedCustomerOrg(partnerId, email, 'Stranger Ltd');
    expect(await customerOrgCandidates(database.db, `me-${uniq()}@Gmail.com`, stranger.partnerOrgId)).toEqual([]);
    expect(await customerOrgCandidates(database.db, `me-${uniq()}@outlook.com`, stranger.partnerOrgId)).toEqual([]);
    const own = await customerOrgCandidates(database.db, email, stranger.partnerOrgId);
    expect(own.map((org) => org.orgId)).toEqual([stranger.customerOrgId]);
  });

  it('offers nothing to an address of a partner org, or without a domain', async () => {
    const partnerId = `P-${uniq()}`;
    const domain = newDomain();
    const ours = await managedCustomerOrg(partnerId, `customer@${domain}`);
    const other = `P-${uniq()}`;
    await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(other),
      partner: newPartner(other, `partner@${domain}`),
      customer: newCustomer(),
      admin: { email: `x@${newDomain()}` },
    });
    expect(await customerOrgCandidates(database.db, `partner@${domain}`, ours.partnerOrgId)).toEqual([]);
    expect(await customerOrgCandidates(database.db, 'no-domain', ours.partnerOrgId)).toEqual([]);
  });
});

describe('commitOrderConfiguration', () => {
  it('creates a new partner org with its admin and a new partner-managed customer org with its admin', async () => {
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const adminEmail = `Kari@${newDomain()}`;
    const partnerAdminEmail = `boss@fjord-${uniq()}.example`;
    const result = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId,
      partner: newPartner(partnerId, partnerAdminEmail),
      customer: newCustomer('Acme Shipping'),
      admin: { email: ` ${adminEmail} ` },
    });
    expect(result).toEqual({
      partnerOrgId: expect.any(String),
      customerOrgId: expect.any(String),
      adminUserId: expect.any(String),
      newPartnerOrg: true,
      partnerAdminUserId: expect.any(String),
      customerOrgName: 'Acme Shipping',
    });
    expect(await orgRow(result.partnerOrgId!)).toMatchObject({ kind: 'partner', partnerId, managedByOrgId: null, createdByOrderId: orderId });
    expect(await orgRow(result.customerOrgId)).toMatchObject({
      kind: 'customer',
      name: 'Acme Shipping',
      partnerId: null,
      managedByOrgId: result.partnerOrgId,
      createdByOrderId: orderId,
    });
    expect(await userRow(result.adminUserId)).toMatchObject({ orgId: result.customerOrgId, email: adminEmail, role: 'admin', passwordHash: null });
    expect(await userRow(result.partnerAdminUserId!)).toMatchObject({ orgId: result.partnerOrgId, email: partnerAdminEmail, role: 'admin' });
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 2, users: 2, configurations: 1 });
  });

  it('answers a retry with the committed ids and creates nothing; a late commit with other organizations is refused, not merged', async () => {
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const input: CommitInput = {
      attemptId: randomUUID(),
      orderId,
      partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    };
    const first = await activities.commitOrderConfiguration(input);
    // The same choices again, emails spelled in another case: the same commit.
    const again = await activities.commitOrderConfiguration({ ...input, admin: { email: input.admin.email.toUpperCase() } });
    expect(again).toEqual(first);
    for (const changed of [
      { ...input, partner: null, admin: { email: `other-${uniq()}@${newDomain()}` } },
      { ...input, customer: newCustomer('Another Shipping AS') },
      { ...input, admin: { email: `other-${uniq()}@${newDomain()}` } },
    ]) {
      const failure = await refusal(activities.commitOrderConfiguration(changed));
      expect(failure).toMatchObject({ type: CONFIGURATION_MISMATCH, nonRetryable: true });
    }
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 2, users: 2, configurations: 1 });
  });

  it('commits once when two attempts of the same order run at the same time', async () => {
    const orderId = await insertOrder();
    const input: CommitInput = { attemptId: randomUUID(), orderId, partner: null, customer: newCustomer(), admin: { email: `admin-${uniq()}@${newDomain()}` } };
    const hold = await holdOrders([orderId]);
    const attempts = Promise.allSettled([activities.commitOrderConfiguration(input), activities.commitOrderConfiguration(input)]);
    await hold.waitForWaiters(2);
    await hold.release();
    const [a, b] = await attempts;
    expect(a).toMatchObject({ status: 'fulfilled' });
    expect(b).toEqual(a);
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 1, users: 1, configurations: 1 });
  });

  it('links an existing partner org and takes over an unmanaged customer org, making one of its users the admin', async () => {
    const partnerId = `P-${uniq()}`;
    const domain = newDomain();
    const partnerSide = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(partnerId),
      partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
      customer: newCustomer('Earlier customer'),
      admin: { email: `first@${newDomain()}` },
    });
    const unmanaged = await customerOrgWithAdmin(`founder@${domain}`, 'Acme Self-Made');
    const [colleague] = await database.db
      .insert(orgUsers)
      .values({ orgId: unmanaged.customerOrgId, email: `Colleague@${domain}`, role: 'user' })
      .returning();

    const orderId = await insertOrder(partnerId);
    const result = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId,
      partner: { mode: 'existing', orgId: partnerSide.partnerOrgId! },
      customer: { mode: 'existing', orgId: unmanaged.customerOrgId },
      admin: { email: `colleague@${domain.toUpperCase()}` },
    });
    expect(result).toEqual({
      partnerOrgId: partnerSide.partnerOrgId,
      customerOrgId: unmanaged.customerOrgId,
      adminUserId: colleague!.id,
      newPartnerOrg: false,
      partnerAdminUserId: null,
      // Its own name, which the link holder's draft may not have had (SPEC §7.2).
      customerOrgName: 'Acme Self-Made',
    });
    expect(await userRow(colleague!.id)).toMatchObject({ role: 'admin', orgId: unmanaged.customerOrgId });
    expect((await orgRow(unmanaged.customerOrgId)).managedByOrgId).toBe(partnerSide.partnerOrgId);
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 0, users: 0, configurations: 1 });
  });

  it('leaves a customer org managed by another partner with that partner', async () => {
    const [partnerA, partnerB] = [`P-${uniq()}`, `P-${uniq()}`];
    const managedByA = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(partnerA),
      partner: newPartner(partnerA, `a-${uniq()}@fjord.example`),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    });
    const byB = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(partnerB),
      partner: newPartner(partnerB, `b-${uniq()}@fjord.example`),
      customer: { mode: 'existing', orgId: managedByA.customerOrgId },
      admin: { email: `second-admin-${uniq()}@${newDomain()}` },
    });
    expect(byB.customerOrgId).toBe(managedByA.customerOrgId);
    expect((await orgRow(managedByA.customerOrgId)).managedByOrgId).toBe(managedByA.partnerOrgId);
  });

  it('links to the partner org another order of the same partner created meanwhile', async () => {
    const partnerId = `P-${uniq()}`;
    const [first, second] = [await insertOrder(partnerId), await insertOrder(partnerId)];
    const commit = (orderId: string) =>
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId,
        partner: newPartner(partnerId, `boss-${orderId}@fjord.example`),
        customer: newCustomer(),
        admin: { email: `admin-${orderId}@${newDomain()}` },
      });
    const hold = await holdOrders([first, second]);
    const commits = Promise.all([commit(first), commit(second)]);
    await hold.waitForWaiters(2);
    await hold.release();
    const results = await commits;
    expect(results[0].partnerOrgId).toBe(results[1].partnerOrgId);
    expect(results.map((r) => r.newPartnerOrg).sort()).toEqual([false, true]);
    const loser = results.find((r) => !r.newPartnerOrg)!;
    expect(loser.partnerAdminUserId).toBeNull();
    const [partnerOrgs] = await database.db
      .select({ n: count() })
      .from(organizations)
      .where(sql`${organizations.partnerId} = ${partnerId}`);
    expect(partnerOrgs!.n).toBe(1);
    // Only the winner's admin joined the partner org; the loser's admin address stays free.
    const bosses = await database.db
      .select()
      .from(orgUsers)
      .where(or(eq(orgUsers.email, `boss-${first}@fjord.example`), eq(orgUsers.email, `boss-${second}@fjord.example`)));
    expect(bosses.map((u) => u.id)).toEqual([results.find((r) => r.newPartnerOrg)!.partnerAdminUserId]);
  });

  it('lets the customer configure alone: no partner org, not partner-managed', async () => {
    const orderId = await insertOrder();
    const result = await activities.commitOrderConfiguration({ attemptId: randomUUID(), orderId, partner: null, customer: newCustomer(), admin: { email: `solo-${uniq()}@${newDomain()}` } });
    expect(result).toMatchObject({ partnerOrgId: null, newPartnerOrg: false, partnerAdminUserId: null });
    expect((await orgRow(result.customerOrgId)).managedByOrgId).toBeNull();
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 1, users: 1, configurations: 1 });
  });

  it('refuses an admin address of another org and creates nothing', async () => {
    const taken = await customerOrgWithAdmin(`taken-${uniq()}@${newDomain()}`);
    const takenEmail = (await userRow(taken.adminUserId)).email;
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const failure = await refusal(
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId,
        partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
        customer: newCustomer(),
        admin: { email: takenEmail.toUpperCase() },
      }),
    );
    expect(failure).toMatchObject({ type: ADMIN_EMAIL_TAKEN, nonRetryable: true });
    expect(failure.message).toBe(`${takenEmail.toUpperCase()} already belongs to another Webex organization`);
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 0, users: 0, configurations: 0 });
    expect(await findPartnerOrg(database.db, partnerId)).toBeNull();
  });

  it('refuses one address as both partner admin and customer admin', async () => {
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const email = `both-${uniq()}@fjord.example`;
    const failure = await refusal(
      activities.commitOrderConfiguration({ attemptId: randomUUID(), orderId, partner: newPartner(partnerId, email), customer: newCustomer(), admin: { email } }),
    );
    expect(failure.type).toBe(ADMIN_EMAIL_TAKEN);
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 0, users: 0, configurations: 0 });
  });

  it('refuses a new partner admin address that is in another org and creates nothing', async () => {
    const taken = await customerOrgWithAdmin(`someone-${uniq()}@${newDomain()}`);
    const takenEmail = (await userRow(taken.adminUserId)).email;
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const failure = await refusal(
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId,
        partner: newPartner(partnerId, takenEmail),
        customer: newCustomer(),
        admin: { email: `admin-${uniq()}@${newDomain()}` },
      }),
    );
    expect(failure).toMatchObject({ type: PARTNER_ADMIN_EMAIL_TAKEN, nonRetryable: true });
    expect(failure.message).toContain(takenEmail);
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 0, users: 0, configurations: 0 });
  });

  it('refuses org ids of the wrong kind', async () => {
    const partnerId = `P-${uniq()}`;
    const withPartner = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId: await insertOrder(partnerId),
      partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    });
    const orderId = await insertOrder(partnerId);
    const notCustomer = await refusal(
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId,
        partner: null,
        customer: { mode: 'existing', orgId: withPartner.partnerOrgId! },
        admin: { email: `x-${uniq()}@${newDomain()}` },
      }),
    );
    expect(notCustomer).toMatchObject({ type: UNKNOWN_CUSTOMER_ORG, nonRetryable: true });
    const notPartner = await refusal(
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId,
        partner: { mode: 'existing', orgId: withPartner.customerOrgId },
        customer: newCustomer(),
        admin: { email: `x-${uniq()}@${newDomain()}` },
      }),
    );
    expect(notPartner).toMatchObject({ type: UNKNOWN_PARTNER_ORG, nonRetryable: true });
    expect(await rowsCreatedBy(orderId)).toEqual({ orgs: 0, users: 0, configurations: 0 });
  });

  it('lets exactly one of two orders racing for one new admin address win; the other leaves no trace', async () => {
    const email = `contested-${uniq()}@${newDomain()}`;
    const [partnerA, partnerB] = [`P-${uniq()}`, `P-${uniq()}`];
    const [orderA, orderB] = [await insertOrder(partnerA), await insertOrder(partnerB)];
    const hold = await holdOrders([orderA, orderB]);
    const racing = Promise.allSettled([
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId: orderA,
        partner: newPartner(partnerA, `boss-${uniq()}@a.example`),
        customer: newCustomer('Contested A'),
        admin: { email },
      }),
      activities.commitOrderConfiguration({
      attemptId: randomUUID(),
        orderId: orderB,
        partner: newPartner(partnerB, `boss-${uniq()}@b.example`),
        customer: newCustomer('Contested B'),
        admin: { email: email.toUpperCase() },
      }),
    ]);
    await hold.waitForWaiters(2);
    await hold.release();
    const outcomes = await racing;
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ApplicationFailure);
    expect(lost[0]!.reason).toMatchObject({ type: ADMIN_EMAIL_TAKEN, nonRetryable: true });

    const [winnerOrder, loserOrder, loserPartner] = outcomes[0]!.status === 'fulfilled' ? [orderA, orderB, partnerB] : [orderB, orderA, partnerA];
    expect(await rowsCreatedBy(winnerOrder)).toEqual({ orgs: 2, users: 2, configurations: 1 });
    expect(await rowsCreatedBy(loserOrder)).toEqual({ orgs: 0, users: 0, configurations: 0 });
    expect(await findPartnerOrg(database.db, loserPartner)).toBeNull();
    const holders = await database.db.select().from(orgUsers).where(or(eq(orgUsers.email, email), eq(orgUsers.email, email.toUpperCase())));
    expect(holders).toHaveLength(1);
  });
});

describe('setPartnerAdminPassword', () => {
  it('stores the hash on the admin of the partner org the order created, idempotently', async () => {
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const committed = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId,
      partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    });
    const passwordHash = await hashPassword('violet tractor sings under 7 moons');
    const abandoned = await storePendingPassword(database.db, orderId, await hashPassword('an earlier try, never applied'));
    const passwordRef = await storePendingPassword(database.db, orderId, passwordHash);
    await activities.setPartnerAdminPassword({ orderId, passwordRef });
    await activities.setPartnerAdminPassword({ orderId, passwordRef });
    const partnerAdmin = await userRow(committed.partnerAdminUserId!);
    expect(partnerAdmin.passwordHash).toBe(passwordHash);
    // Only the applied hash is kept, for a retry; the abandoned one is gone.
    expect(await refusal(activities.setPartnerAdminPassword({ orderId, passwordRef: abandoned }))).toMatchObject({ type: UNKNOWN_PASSWORD_REFERENCE, nonRetryable: true });
    // A reference works for its own order only.
    const other = await insertOrder();
    expect(await refusal(activities.setPartnerAdminPassword({ orderId: other, passwordRef }))).toMatchObject({ type: UNKNOWN_PASSWORD_REFERENCE, nonRetryable: true });
    expect(await verifyPassword('violet tractor sings under 7 moons', partnerAdmin.passwordHash!)).toBe(true);
    // The customer admin gets no password from step 9.
    expect((await userRow(committed.adminUserId)).passwordHash).toBeNull();
  });

  it('refuses an order that created no partner org, or has not committed', async () => {
    const passwordHash = await hashPassword('violet tractor sings under 7 moons');
    const customerOnly = await insertOrder();
    await activities.commitOrderConfiguration({ attemptId: randomUUID(), orderId: customerOnly, partner: null, customer: newCustomer(), admin: { email: `a-${uniq()}@${newDomain()}` } });
    const customerOnlyRef = await storePendingPassword(database.db, customerOnly, passwordHash);
    expect(await refusal(activities.setPartnerAdminPassword({ orderId: customerOnly, passwordRef: customerOnlyRef }))).toMatchObject({ type: NO_NEW_PARTNER_ORG, nonRetryable: true });
    const uncommitted = await insertOrder();
    const uncommittedRef = await storePendingPassword(database.db, uncommitted, passwordHash);
    expect(await refusal(activities.setPartnerAdminPassword({ orderId: uncommitted, passwordRef: uncommittedRef }))).toMatchObject({ type: NO_NEW_PARTNER_ORG, nonRetryable: true });
  });

  it('refuses to store anything that is not a password hash', async () => {
    const partnerId = `P-${uniq()}`;
    const orderId = await insertOrder(partnerId);
    const committed = await activities.commitOrderConfiguration({
      attemptId: randomUUID(),
      orderId,
      partner: newPartner(partnerId, `boss-${uniq()}@fjord.example`),
      customer: newCustomer(),
      admin: { email: `admin-${uniq()}@${newDomain()}` },
    });
    const passwordRef = await storePendingPassword(database.db, orderId, 'violet tractor sings under 7 moons');
    const failure = await refusal(activities.setPartnerAdminPassword({ orderId, passwordRef }));
    expect(failure).toMatchObject({ type: INVALID_PASSWORD_HASH, nonRetryable: true });
    expect(failure.message).not.toContain('violet');
    expect((await userRow(committed.partnerAdminUserId!)).passwordHash).toBeNull();
  });
});

describe('checkPasswordPolicy', () => {
  const context = { orgName: 'Acme Shipping', email: 'anna.larsen@acme.example' };
  const messages = (password: string, ctx = context) => checkPasswordPolicy(password, ctx).map((e) => e.message);

  it('accepts a long passphrase with no composition rules', () => {
    expect(checkPasswordPolicy('violet tractor sings under 7 moons', context)).toEqual([]);
    expect(checkPasswordPolicy('only lowercase letters here', context)).toEqual([]);
  });

  it('refuses fewer than 12 and more than 128 characters, on /body/password', () => {
    expect(checkPasswordPolicy('short pass', context)).toEqual([
      { field: '/body/password', message: 'must be at least 12 characters long', code: 'passwordShort', values: { min: 12 } },
    ]);
    const longest = randomBytes(64).toString('hex');
    expect(longest).toHaveLength(128);
    expect(checkPasswordPolicy(longest, context)).toEqual([]);
    expect(checkPasswordPolicy(`${longest}x`, context)).toEqual([
      { field: '/body/password', message: 'must be at most 128 characters long', code: 'passwordLong', values: { max: 128 } },
    ]);
  });

  it('counts Unicode characters, not UTF-16 units', () => {
    const eleven = '🦊🐻🐼🐨🐯🦁🐮🐷🐸🐵🐔';
    expect(eleven.length).toBe(22);
    expect(messages(eleven)).toEqual(['must be at least 12 characters long']);
    expect(messages(`${eleven}🐧`)).toEqual([]);
    // A combining accent and its letter are one character once normalised.
    expect(messages('cafe\u0301 au lai')).toEqual(['must be at least 12 characters long']);
  });

  it.each(['password1234', 'Password1234', 'QWERTY123456', 'correct horse battery staple', 'Monkey!!!!!!!!!1', 'iloveyouiloveyou', 'Welcome2024!!'])(
    'refuses the common password %s',
    (password) => {
      expect(messages(password)).toContain('is too common: choose a password that is not on lists of frequently used passwords');
    },
  );

  it.each(['aaaaaaaaaaaa', 'ZZZZZZZZZZZZZZZZ', 'abcabcabcabc'])('refuses the repetition %s', (password) => {
    expect(messages(password)).toContain('must not be a repeated character or pattern');
  });

  it.each(['123456789012', 'abcdefghijklm', '210987654321', 'qwertyuiopas', 'ZYXWVUTSRQPONM'])('refuses the sequence %s', (password) => {
    expect(messages(password)).toContain('must not be a simple sequence of characters');
  });

  it('refuses passwords made of the organization name', () => {
    expect(messages('Acme Shipping')).toContain('must not contain the organization name');
    expect(messages('I work at ACME SHIPPING now')).toContain('must not contain the organization name');
    expect(messages('AcmeShipping#2024')).toContain('must not contain the organization name');
  });

  it('refuses passwords made of the email address or its local part', () => {
    expect(messages('anna.larsen@acme.example')).toContain('must not contain the email address');
    expect(messages('Anna.Larsen likes tea')).toContain('must not contain the email address');
    expect(messages('annalarsen-2024-xyz')).toContain('must not contain the email address');
    // A very short local part only counts as the whole password.
    expect(messages('bo rides a bicycle', { orgName: 'Acme', email: 'bo@acme.example' })).toEqual([]);
  });
});

describe('hashPassword and verifyPassword', () => {
  it('round-trips, refuses a wrong password, and never contains the password', async () => {
    const password = 'violet tractor sings under 7 moons';
    const hash = await hashPassword(password);
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hash).not.toContain(password);
    expect(hash).not.toContain(Buffer.from(password).toString('base64').slice(0, 12));
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword('violet tractor sings under 8 moons', hash)).toBe(false);
    // A fresh salt each time.
    expect(await hashPassword(password)).not.toBe(hash);
  });

  it('verifies the normalised form and rejects malformed hashes', async () => {
    const hash = await hashPassword('cafe\u0301 with a long tail');
    expect(await verifyPassword('caf\u00e9 with a long tail', hash)).toBe(true);
    expect(await verifyPassword('anything', 'plaintext')).toBe(false);
    expect(await verifyPassword('anything', hash.replace('ln=17', 'ln=40'))).toBe(false);
  });
});
