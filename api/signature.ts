// Intake signatures: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signIntakeBody(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyIntakeSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowUnixSeconds: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'The X-Signature header is missing.' };
  let timestamp: number | undefined;
  const macs: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) macs.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || macs.length === 0) {
    return { ok: false, reason: 'The X-Signature header must be `t=<unix seconds>,v1=<hex HMAC-SHA256>`.' };
  }
  if (Math.abs(nowUnixSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: `The signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from now.` };
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  // Several v1 values let the commerce system sign with an old and a new key while rotating.
  const valid = macs.some((mac) => timingSafeEqual(mac, expected));
  return valid ? { ok: true } : { ok: false, reason: 'The signature does not match the body.' };
}
