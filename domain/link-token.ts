// Wizard link tokens. A token is HMAC(LINK_TOKEN_SECRET, link id): the database keeps only the id
// and a hash of the token, so a retried activity derives the same token again, and a database
// leak alone yields no working link. Uses node:crypto, so workflows must not import this module.
import { createHash, createHmac } from 'node:crypto';

/** base64url of 32 bytes, without padding. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** 256 bits: base64url(HMAC-SHA256(secret, linkId)). */
export function deriveLinkToken(secret: string, linkId: string): string {
  return createHmac('sha256', secret).update(linkId).digest('base64url');
}

/** What the database stores and looks tokens up by: sha256 of the token, hex. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The address in the email: `<PUBLIC_BASE_URL>/wizard/<token>`. */
export function linkUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/wizard/${token}`;
}

/**
 * Consent links (SPEC §7.2) follow the same rules under their own derivation, so a consent token
 * can never equal a wizard token even if a row id were reused across the two tables.
 */
export function deriveConsentToken(secret: string, requestId: string): string {
  return createHmac('sha256', secret).update(`consent:${requestId}`).digest('base64url');
}

/** The address in the consent email: `<PUBLIC_BASE_URL>/consent/<token>`. */
export function consentUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/consent/${token}`;
}
