// Turns the token in a wizard URL into the link it names. Unknown, revoked and expired tokens all
// answer the same `gone` (SPEC §6), so a caller learns nothing about which links ever existed.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { linkTokens } from '../db/schema/index.js';
import { hashLinkToken, LINK_TOKEN_PATTERN } from '../domain/link-token.js';

export type LinkResolution =
  | {
      state: 'valid';
      linkId: string;
      orderId: string;
      issueKey: string;
      audience: 'contact' | 'colleague' | 'customer';
      recipientEmail: string;
      /** ISO instant; null: no deadline (the order is past the point of no return). */
      expiresAt: string | null;
    }
  | { state: 'gone' };

export async function resolveLinkToken(db: Db, token: string, now: Date): Promise<LinkResolution> {
  // A token that cannot be one of ours never reaches the database.
  if (!LINK_TOKEN_PATTERN.test(token)) return { state: 'gone' };
  // Looked up by its hash: a well-formed token costs one indexed query whatever it names.
  const [row] = await db.select().from(linkTokens).where(eq(linkTokens.tokenHash, hashLinkToken(token))).limit(1);
  if (!row || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime())) return { state: 'gone' };
  return {
    state: 'valid',
    linkId: row.id,
    orderId: row.orderId,
    issueKey: row.issueKey,
    audience: row.audience,
    recipientEmail: row.recipientEmail,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}
