// Consent links (SPEC §7.2): minted inside the email activity that asks the org's admin, revoked by
// the workflow once the request is answered, withdrawn, or its order ends. Same rules as wizard
// links (activities/links.ts): history holds request keys, never tokens; the database only hashes.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { consentRequests } from '../db/schema/index.js';
import { deriveConsentToken, hashLinkToken } from '../domain/link-token.js';
import type { ActivityDeps } from './deps.js';
import { LINK_ISSUE_CONFLICT } from './links.js';

export interface EnsureConsentInput {
  orderId: string;
  /** Workflow-assigned, e.g. `consent-1`. */
  requestKey: string;
  orgId: string;
  recipientEmail: string;
  /** ISO instant: the order's own expiry, never later. */
  expiresAt: string;
}

/** Creates the consent link of (order, request) once and returns its token; a retry derives the same one. */
export async function ensureConsentRequest(db: Db, secret: string, input: EnsureConsentInput): Promise<{ token: string; expiresAt: string; revoked: boolean }> {
  const id = randomUUID();
  await db
    .insert(consentRequests)
    .values({
      id,
      orderId: input.orderId,
      requestKey: input.requestKey,
      tokenHash: hashLinkToken(deriveConsentToken(secret, id)),
      orgId: input.orgId,
      recipientEmail: input.recipientEmail,
      expiresAt: new Date(input.expiresAt),
    })
    .onConflictDoNothing({ target: [consentRequests.orderId, consentRequests.requestKey] });
  const [row] = await db
    .select()
    .from(consentRequests)
    .where(and(eq(consentRequests.orderId, input.orderId), eq(consentRequests.requestKey, input.requestKey)));
  if (!row) throw new Error(`consent request ${input.requestKey} of order ${input.orderId} vanished right after it was written`);
  const token = deriveConsentToken(secret, row.id);
  if (row.recipientEmail.toLowerCase() !== input.recipientEmail.toLowerCase() || hashLinkToken(token) !== row.tokenHash) {
    throw ApplicationFailure.create({
      type: LINK_ISSUE_CONFLICT,
      message: `Consent request ${input.requestKey} of order ${input.orderId} was made for another recipient or with another LINK_TOKEN_SECRET`,
      nonRetryable: true,
    });
  }
  return { token, expiresAt: row.expiresAt.toISOString(), revoked: row.revokedAt !== null };
}

export function createConsentActivities({ database, clock = () => new Date() }: ActivityDeps) {
  return {
    /** Ends every open consent link of the order. Idempotent: returns how many this call ended. */
    async revokeConsentRequests({ orderId, reason }: { orderId: string; reason: string }): Promise<number> {
      const revoked = await database.db
        .update(consentRequests)
        .set({ revokedAt: clock(), revokedReason: reason })
        .where(and(eq(consentRequests.orderId, orderId), isNull(consentRequests.revokedAt)))
        .returning({ id: consentRequests.id });
      return revoked.length;
    },
  };
}
