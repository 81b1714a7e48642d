// Is this webhook really from VAPI, for this tenant? Each tenant has one method (tenants.
// webhook_auth_type) and one secret; every comparison is constant-time, and HMAC is checked
// over the exact bytes received.
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { safeEqual } from '../crypto.js';
import type { WebhookAuth } from '../vapi/callBody.js';

/** Signed requests older (or newer) than this are refused: a captured request cannot be replayed later. */
export const HMAC_MAX_SKEW_MS = 5 * 60_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** x-timestamp as epoch ms: seconds or milliseconds since the epoch, or an ISO string. */
export function signatureTimeOf(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return n < 1e12 ? n * 1000 : n;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function hmacSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export function isAuthentic(auth: WebhookAuth, headers: IncomingHttpHeaders, rawBody: Buffer, nowMs = Date.now()): boolean {
  const secret = auth.secret;
  if (!secret) return false;
  const vapiSecret = header(headers, 'x-vapi-secret');
  const authorization = header(headers, 'authorization');
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  switch (auth.type) {
    case 'secret':
      return vapiSecret !== undefined && safeEqual(vapiSecret, secret);
    case 'bearer':
      // A VAPI bearer credential may also be configured to send its token as X-Vapi-Secret.
      return (bearer !== undefined && safeEqual(bearer, secret)) || (vapiSecret !== undefined && safeEqual(vapiSecret, secret));
    case 'hmac': {
      const signature = header(headers, 'x-signature')?.replace(/^sha256=/i, '').trim().toLowerCase();
      const timestamp = header(headers, 'x-timestamp');
      if (!signature || !timestamp) return false;
      const signedAt = signatureTimeOf(timestamp);
      if (signedAt === undefined || Math.abs(nowMs - signedAt) > HMAC_MAX_SKEW_MS) return false;
      return safeEqual(signature, hmacSignature(secret, timestamp, rawBody));
    }
  }
}
