// Read-only organization look-ups for the wizard (SPEC §3 steps 5–7): the API calls them to show
// and check a step before its Update, and activities re-check them at step 8.
import { and, asc, desc, eq, exists, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { organizations, orgUsers } from '../schema/index.js';

export interface OrgSummary {
  orgId: string;
  kind: 'partner' | 'customer';
  name: string;
  /** The details below are absent when the org is shown only as the one an address belongs to (`belongsTo`). */
  country?: string;
  address?: string | null;
  /** ISO instant. */
  createdAt?: string;
  userCount?: number;
  /**
   * Set instead of the details for a customer org the ordering partner does not manage (SPEC §7.2):
   * the address the person entered, and `name` says "the organization that <address> already belongs to".
   */
  belongsTo?: string;
}

export type AdminEmailClass =
  | { kind: 'unknown' }
  | { kind: 'customer-org'; org: OrgSummary }
  | { kind: 'partner-org'; org: OrgSummary }
  /** A partner org other than the ordering partner's, as a link holder may see it: nothing of it (SPEC §8.1). */
  | { kind: 'other-partner-org' };

/** Step 7 shows at most this many candidate orgs. */
export const MAX_CUSTOMER_ORG_CANDIDATES = 20;

/**
 * Free mail providers: sharing one of these domains says nothing about belonging to the same
 * company, so a gmail admin must not be shown strangers' orgs.
 */
const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com', 'googlemail.com',
  'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'passport.com',
  'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it', 'hotmail.es', 'live.co.uk', 'live.fr', 'live.de', 'outlook.fr', 'outlook.de',
  'yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.it', 'yahoo.es', 'yahoo.co.jp', 'yahoo.com.br',
  'icloud.com', 'me.com', 'mac.com',
  'aol.com', 'aim.com',
  'proton.me', 'protonmail.com', 'pm.me', 'tutanota.com', 'tuta.io', 'fastmail.com', 'hey.com', 'zoho.com', 'zohomail.com',
  'gmx.com', 'gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch', 'web.de', 't-online.de', 'freenet.de', 'mail.com', 'email.com',
  'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'libero.it', 'virgilio.it', 'btinternet.com',
  'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net', 'bellsouth.net', 'cox.net', 'charter.net',
  'yandex.ru', 'yandex.com', 'mail.ru', 'bk.ru', 'inbox.ru', 'list.ru', 'rambler.ru',
  'qq.com', '163.com', '126.com', 'sina.com', 'naver.com', 'daum.net', 'hanmail.net', 'rediffmail.com',
  'seznam.cz', 'wp.pl', 'o2.pl', 'interia.pl', 'onet.pl', 'uol.com.br', 'bol.com.br', 'terra.com.br',
]);

const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** The part after the `@`, lower-cased, as the `org_users_domain_idx` index computes it; undefined when there is none. */
export function emailDomain(email: string): string | undefined {
  const [, domain] = normalizeEmail(email).split('@');
  return domain ? domain : undefined;
}

export const isPublicMailDomain = (domain: string): boolean => PUBLIC_MAIL_DOMAINS.has(domain.toLowerCase());

const summaryColumns = {
  orgId: organizations.id,
  kind: organizations.kind,
  name: organizations.name,
  country: organizations.country,
  address: organizations.address,
  createdAt: organizations.createdAt,
  // Qualified by hand: Drizzle leaves columns unqualified in single-table selects, and a bare
  // "id" inside the subquery would be org_users.id.
  userCount: sql<number>`(select count(*)::int from ${orgUsers} where ${orgUsers}.${sql.identifier('org_id')} = ${organizations}.${sql.identifier('id')})`.mapWith(Number),
};

type SummaryRow = Omit<OrgSummary, 'createdAt'> & { createdAt: Date };
const toSummary = (row: SummaryRow): OrgSummary => ({ ...row, createdAt: row.createdAt.toISOString() });

/** Step 5: the partner org of the ordering partner, if one exists. */
export async function findPartnerOrg(db: Db, partnerId: string): Promise<OrgSummary | null> {
  const [row] = await db
    .select(summaryColumns)
    .from(organizations)
    .where(and(eq(organizations.kind, 'partner'), eq(organizations.partnerId, partnerId)));
  return row ? toSummary(row) : null;
}

/** An organization by id, if it is of `kind` (a rep naming the right one when resuming a hold). */
export async function findOrg(db: Db, orgId: string, kind: OrgSummary['kind']): Promise<OrgSummary | null> {
  const [row] = await db.select(summaryColumns).from(organizations).where(and(eq(organizations.id, orgId), eq(organizations.kind, kind)));
  return row ? toSummary(row) : null;
}

/** Step 6: which org, if any, an address already belongs to (a user belongs to one org). */
export async function classifyAdminEmail(db: Db, email: string): Promise<AdminEmailClass> {
  const [row] = await db
    .select(summaryColumns)
    .from(orgUsers)
    .innerJoin(organizations, eq(organizations.id, orgUsers.orgId))
    .where(sql`lower(${orgUsers.email}) = ${normalizeEmail(email)}`);
  if (!row) return { kind: 'unknown' };
  const org = toSummary(row);
  return org.kind === 'partner' ? { kind: 'partner-org', org } : { kind: 'customer-org', org };
}

/**
 * A customer org as a link holder may see it (SPEC §7.2): in full when `managerOrgId` (the ordering
 * partner's org; null when the customer configures) manages it, else only as the org the address
 * belongs to — no name, country, size or age of another company's organization.
 */
async function asSeenBy(db: Db, org: OrgSummary, email: string, managerOrgId: string | null): Promise<OrgSummary> {
  if (managerOrgId !== null) {
    const [row] = await db.select({ managedByOrgId: organizations.managedByOrgId }).from(organizations).where(eq(organizations.id, org.orgId));
    if (row?.managedByOrgId === managerOrgId) return org;
  }
  const address = normalizeEmail(email);
  return { orgId: org.orgId, kind: org.kind, name: `the organization that ${address} already belongs to`, belongsTo: address };
}

/** Who looks: the org that may see customer orgs in full (`asSeenBy`), and the ordering partner's own org. */
export interface OrgViewer {
  managerOrgId: string | null;
  ownPartnerOrgId: string | null;
}

/**
 * Step 6 for a link holder: where the address is, a customer org shown as `asSeenBy` allows, and
 * a partner org named only when it is the ordering partner's own — never another partner's.
 */
export async function classifyAdminEmailFor(db: Db, email: string, viewer: OrgViewer): Promise<AdminEmailClass> {
  const found = await classifyAdminEmail(db, email);
  if (found.kind === 'customer-org') return { kind: 'customer-org', org: await asSeenBy(db, found.org, email, viewer.managerOrgId) };
  if (found.kind === 'partner-org' && found.org.orgId !== viewer.ownPartnerOrgId) return { kind: 'other-partner-org' };
  return found;
}

/**
 * Step 7: the orgs the wizard offers for the customer admin's email. The admin's own customer org
 * alone when the address is already in one (shown as `asSeenBy` allows); otherwise the customer
 * orgs the ordering partner manages with users on the same (non-public) domain, newest first —
 * never another company's orgs by domain (SPEC §7.2). An address in a partner org gets none.
 */
export async function customerOrgCandidates(db: Db, email: string, managerOrgId: string | null): Promise<OrgSummary[]> {
  const current = await classifyAdminEmail(db, email);
  if (current.kind === 'customer-org') return [await asSeenBy(db, current.org, email, managerOrgId)];
  if (current.kind !== 'unknown' || managerOrgId === null) return [];
  const domain = emailDomain(email);
  if (!domain || isPublicMailDomain(domain)) return [];
  const rows = await db
    .select(summaryColumns)
    .from(organizations)
    .where(
      and(
        eq(organizations.kind, 'customer'),
        eq(organizations.managedByOrgId, managerOrgId),
        exists(
          db
            .select({ one: sql`1` })
            .from(orgUsers)
            .where(and(eq(orgUsers.orgId, organizations.id), sql`lower(split_part(${orgUsers.email}, '@', 2)) = ${domain}`)),
        ),
      ),
    )
    .orderBy(desc(organizations.createdAt), desc(organizations.id))
    .limit(MAX_CUSTOMER_ORG_CANDIDATES);
  return rows.map(toSummary);
}

/** Step 8 with an existing customer org: who manages it now, and its oldest full admin (whom consent is asked of). */
export async function consentFacts(db: Db, orgId: string): Promise<{ orgId: string; managedByOrgId: string | null; adminEmail: string | null }> {
  const [org] = await db.select({ managedByOrgId: organizations.managedByOrgId }).from(organizations).where(eq(organizations.id, orgId));
  const [admin] = await db
    .select({ email: orgUsers.email })
    .from(orgUsers)
    .where(and(eq(orgUsers.orgId, orgId), eq(orgUsers.role, 'admin')))
    .orderBy(asc(orgUsers.createdAt), asc(orgUsers.id))
    .limit(1);
  return { orgId, managedByOrgId: org?.managedByOrgId ?? null, adminEmail: admin?.email ?? null };
}
