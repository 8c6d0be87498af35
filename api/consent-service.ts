// The consent link behind `/api/consent/:token` (SPEC §7.2): the admin of an existing customer org
// sees what is asked and answers once. Unknown, used (answered or withdrawn) and expired links all
// answer the same 410, so the page tells nobody which links ever existed.
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { consentRequests, organizations } from '../db/schema/index.js';
import { hashLinkToken, LINK_TOKEN_PATTERN } from '../domain/link-token.js';
import { orderLocale } from '../domain/locale.js';
import { CONSENT_LINK_GONE } from '../workflows/wizard.js';
import { ProblemError } from './problem.js';
import type { ConsentOutcome, ConsentView } from './schemas.js';
import type { WorkflowCalls } from './workflow-calls.js';

export const consentGone = () => new ProblemError(410, 'consent-link-gone', 'Consent link no longer valid', CONSENT_LINK_GONE);

export function createConsentService({ database, calls, clock }: { database: Database; calls: WorkflowCalls; clock: () => Date }) {
  const { db } = database;

  /** The open request a token names, with its order's live state; anything else is gone. */
  async function open(token: string) {
    if (!LINK_TOKEN_PATTERN.test(token)) throw consentGone();
    const [row] = await db.select().from(consentRequests).where(eq(consentRequests.tokenHash, hashLinkToken(token))).limit(1);
    if (!row || row.revokedAt !== null || row.expiresAt.getTime() <= clock().getTime()) throw consentGone();
    const state = await calls.queryOrUnavailable(row.orderId);
    // The workflow is the judge: a request it no longer holds open was answered or withdrawn.
    if (state.status !== 'AWAITING_CONSENT' || state.consent?.requestKey !== row.requestKey) throw consentGone();
    return { row, state };
  }

  return {
    async show(token: string): Promise<ConsentView> {
      const { row, state } = await open(token);
      const [org] = await db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, row.orgId));
      return {
        orderId: state.orderId,
        locale: orderLocale(state.order),
        organization: { name: org?.name ?? '' },
        partner: { name: state.order.partner.name },
        attachPartner: !state.delegatedToCustomer,
        newAdminEmail: state.consent!.draft.customerAdmin!.email,
        order: { product: state.order.product, services: state.order.services, customer: state.order.customer },
        expiresAt: row.expiresAt.toISOString(),
      };
    },

    async answer(token: string, decision: 'approve' | 'decline', updateId: string): Promise<ConsentOutcome> {
      const { row } = await open(token);
      try {
        const state = await calls.consentAnswer(row.orderId, { requestKey: row.requestKey, decision }, updateId);
        return { decision, orderStatus: state.status };
      } catch (error) {
        // A second answer racing the first is refused by the workflow as a gone link, or the order has ended.
        if (error instanceof ProblemError && (error.status === 404 || error.status === 409)) throw consentGone();
        throw error;
      }
    },
  };
}

export type ConsentService = ReturnType<typeof createConsentService>;
