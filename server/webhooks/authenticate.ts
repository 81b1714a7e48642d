// Is this webhook really from VAPI, for this tenant? Each tenant has one method (tenants.
// webhook_auth_type), one secret and, with a VAPI credential, that credential's options
// (server/webhooks/authOptions.ts): the receiver checks exactly what the credential sends.
// Every comparison is constant-time, and HMAC is checked over the exact bytes received.
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { safeEqual } from '../crypto.js';
import { bearerPlanOf, hmacPlanOf, type HmacPlan, type WebhookAuth } from './authOptions.js';

/** Signed requests older (or newer) than this are refused: a captured request cannot be replayed later. */
export const HMAC_MAX_SKEW_MS = 5 * 60_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
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

export type SignedRequest = { rawBody: Buffer; timestamp?: string; method?: string; url?: string; messageId?: string };

/**
 * The signature a credential with `plan` sends for this request (without its prefix). The payload
 * follows plan.payloadFormat: {body} the raw bytes, {timestamp}, {method}, {url}, {svix-id}.
 */
export function hmacSignature(secret: string, plan: HmacPlan, request: SignedRequest): string {
  const key = plan.secretIsBase64 ? Buffer.from(secret, 'base64') : secret;
  const hmac = createHmac(plan.algorithm, key);
  const values: Record<string, string> = {
    timestamp: request.timestamp ?? '',
    method: request.method ?? 'POST',
    url: request.url ?? '',
    'svix-id': request.messageId ?? '',
  };
  // Split around {body} so the body is hashed as received, never re-encoded.
  const parts = plan.payloadFormat.split('{body}');
  parts.forEach((part, index) => {
    if (index > 0) hmac.update(request.rawBody);
    hmac.update(part.replace(/\{(timestamp|method|url|svix-id)\}/g, (_, name: string) => values[name]!));
  });
  return hmac.digest(plan.signatureEncoding);
}

/** Where the request came in, for payload formats that sign {url}/{method}. */
export type RequestLine = { method?: string; url?: string };

/** A token as sent, with or without the `Bearer ` prefix (a bearer credential's default). */
const withoutBearer = (value: string | undefined) => value?.replace(/^Bearer\s+/i, '').trim();

export function isAuthentic(auth: WebhookAuth, headers: IncomingHttpHeaders, rawBody: Buffer, nowMs = Date.now(), line: RequestLine = {}): boolean {
  const secret = auth.secret;
  if (!secret) return false;
  const vapiSecret = withoutBearer(header(headers, 'x-vapi-secret'));
  switch (auth.type) {
    case 'secret':
      // The legacy header, as given or with a bearer credential's prefix (`X-Vapi-Secret: Bearer …`).
      return vapiSecret !== undefined && safeEqual(vapiSecret, secret);
    case 'bearer': {
      // A bearer credential sends its token in its header (Authorization by default), with the
      // `Bearer ` prefix unless turned off; one configured to send X-Vapi-Secret does that.
      const plan = bearerPlanOf(auth.options);
      const sent = header(headers, plan.headerName);
      const token = plan.bearerPrefixEnabled ? sent?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() : sent?.trim();
      const authorization = header(headers, 'authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      return [token, authorization, vapiSecret].some((candidate) => candidate !== undefined && candidate !== '' && safeEqual(candidate, secret));
    }
    case 'hmac': {
      const plan = hmacPlanOf(auth.options);
      let signature = header(headers, plan.signatureHeader)?.trim();
      if (!signature) return false;
      if (plan.signaturePrefix) {
        if (!signature.startsWith(plan.signaturePrefix)) return false;
        signature = signature.slice(plan.signaturePrefix.length);
      }
      let timestamp: string | undefined;
      if (plan.includeTimestamp) {
        timestamp = header(headers, plan.timestampHeader);
        if (!timestamp) return false;
        const signedAt = signatureTimeOf(timestamp);
        if (signedAt === undefined || Math.abs(nowMs - signedAt) > HMAC_MAX_SKEW_MS) return false;
      }
      const messageId = plan.messageIdHeader ? header(headers, plan.messageIdHeader) : undefined;
      const expected = hmacSignature(secret, plan, { rawBody, timestamp, method: line.method, url: line.url, messageId });
      // hex is compared case-insensitively; base64 exactly.
      return plan.signatureEncoding === 'hex' ? safeEqual(signature.toLowerCase(), expected) : safeEqual(signature, expected);
    }
  }
}
