// Wizard links: minted inside the email activity (ensureLink), revoked by the workflow on resend,
// contact change, delegation and when the order ends. Workflow history holds issue keys, never tokens.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, gt, isNull, ne, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { linkTokens } from '../db/schema/index.js';
import { deriveLinkToken, hashLinkToken } from '../domain/link-token.js';
import type { ActivityDeps } from './deps.js';

/** An issue key was reused for another recipient, or the token secret changed under a live link. */
export const LINK_ISSUE_CONFLICT = 'LinkIssueConflict';

export type LinkAudience = 'contact' | 'colleague' | 'customer';

export interface EnsureLinkInput {
  orderId: string;
  /** Workflow-assigned, e.g. `link-1`: one link per issue, whatever the retries. */
  issueKey: string;
  /** The workflow's history branch (order_events.branch; unset: the order's own): a reset's `link-1` is another link than the abandoned branch's. */
  branch?: string;
  audience: LinkAudience;
  recipientEmail: string;
  /** ISO instant; null: no deadline (after the point of no return). */
  expiresAt: string | null;
}

export interface EnsuredLink {
  linkId: string;
  /** The secret part of the URL: never log it, never return it to a workflow. */
  token: string;
  expiresAt: string | null;
  /** Revoked before this call: the email that would carry it must not go. */
  revoked: boolean;
}

/**
 * Creates the link for (order, issue) once and returns its token. A retry finds the row and
 * derives the same token from its id, so a resent email carries the same working link.
 */
export async function ensureLink(db: Db, secret: string, input: EnsureLinkInput): Promise<EnsuredLink> {
  const id = randomUUID();
  const branch = input.branch ?? '';
  await db
    .insert(linkTokens)
    .values({
      id,
      orderId: input.orderId,
      issueKey: input.issueKey,
      branch,
      tokenHash: hashLinkToken(deriveLinkToken(secret, id)),
      recipientEmail: input.recipientEmail,
      audience: input.audience,
      expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt),
    })
    .onConflictDoNothing({ target: [linkTokens.orderId, linkTokens.issueKey, linkTokens.branch] });
  const [row] = await db
    .select()
    .from(linkTokens)
    .where(and(eq(linkTokens.orderId, input.orderId), eq(linkTokens.issueKey, input.issueKey), eq(linkTokens.branch, branch)));
  if (!row) throw new Error(`link ${input.issueKey} of order ${input.orderId} vanished right after it was written`);

  if (row.recipientEmail.toLowerCase() !== input.recipientEmail.toLowerCase()) {
    throw ApplicationFailure.create({
      type: LINK_ISSUE_CONFLICT,
      message: `Link ${input.issueKey} of order ${input.orderId} was issued to another recipient`,
      nonRetryable: true,
    });
  }
  const token = deriveLinkToken(secret, row.id);
  if (hashLinkToken(token) !== row.tokenHash) {
    throw ApplicationFailure.create({
      type: LINK_ISSUE_CONFLICT,
      message: `Link ${input.issueKey} of order ${input.orderId} was made with another LINK_TOKEN_SECRET`,
      nonRetryable: true,
    });
  }
  return { linkId: row.id, token, expiresAt: row.expiresAt?.toISOString() ?? null, revoked: row.revokedAt !== null };
}

export interface LimitLinksInput {
  orderId: string;
  /** ISO instant. */
  until: string;
}

export interface RevokeLinksInput {
  orderId: string;
  /** The link just issued, which stays valid (resend, contact change, delegation). */
  exceptIssueKey?: string;
  /** Kept with the link for the audit: `resend`, `contact-changed`, `delegated`, … */
  reason: string;
}

export function createLinkActivities({ database, clock = () => new Date() }: ActivityDeps) {
  const { db } = database;

  async function revoke(orderId: string, reason: string, exceptIssueKey?: string): Promise<number> {
    const revoked = await db
      .update(linkTokens)
      .set({ revokedAt: clock(), revokedReason: reason })
      .where(
        and(
          eq(linkTokens.orderId, orderId),
          isNull(linkTokens.revokedAt),
          exceptIssueKey === undefined ? undefined : ne(linkTokens.issueKey, exceptIssueKey),
        ),
      )
      .returning({ id: linkTokens.id });
    return revoked.length;
  }

  return {
    /**
     * Ends every working link of the order at `until` at the latest (a provisioned order's links). Idempotent:
     * a link that already ends sooner keeps its deadline. Returns how many links this call changed.
     */
    async limitLinks({ orderId, until }: LimitLinksInput): Promise<number> {
      const deadline = new Date(until);
      const limited = await db
        .update(linkTokens)
        .set({ expiresAt: deadline })
        .where(and(eq(linkTokens.orderId, orderId), isNull(linkTokens.revokedAt), or(isNull(linkTokens.expiresAt), gt(linkTokens.expiresAt, deadline))))
        .returning({ id: linkTokens.id });
      return limited.length;
    },
    /**
     * Revokes every working link of the order but `exceptIssueKey`. Idempotent: a retry finds
     * them revoked and answers 0. Returns how many links this call revoked.
     */
    async revokeLinks({ orderId, exceptIssueKey, reason }: RevokeLinksInput): Promise<number> {
      return revoke(orderId, reason, exceptIssueKey);
    },
  };
}
