// The signature on every request pgdialer relays to a tenant's forward URL, so the tenant's server
// can tell it came from pgdialer and was not altered or replayed:
//   X-Pgdialer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// with the tenant's webhook secret (the one VAPI's webhooks are checked with). The scheme is
// Stripe's: a timestamp inside the signed text, several v1= values allowed (a secret rotation).
import { createHmac } from 'node:crypto';
import { safeEqual } from '../crypto.js';

export const FORWARD_SIGNATURE_HEADER = 'x-pgdialer-signature';
/** Signatures older or newer than this are refused by verifyForwardSignature. */
export const FORWARD_SIGNATURE_TOLERANCE_S = 300;

export function forwardSignatureOf(secret: string, timestampSeconds: number, body: Buffer | string): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/** The check a tenant's server makes (see server/webhooks/README.md for a standalone snippet). */
export function verifyForwardSignature(
  secret: string,
  header: string | undefined,
  body: Buffer | string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = FORWARD_SIGNATURE_TOLERANCE_S,
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = forwardSignatureOf(secret, timestamp, body).split('v1=')[1]!;
  return parts.some(([key, value]) => key === 'v1' && value !== undefined && safeEqual(value, expected));
}
