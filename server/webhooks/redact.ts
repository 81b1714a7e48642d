// No secret stored in clear (issue #9, item 9). A webhook echoes what we sent VAPI: the Call in
// `message.call` carries `assistantOverrides.server.headers` (our shared secret), and an inline
// assistant or squad may carry credentials. Before a payload is stored (call_events) it loses
// every `server.headers` object and every credential-looking field, and any occurrence of the
// tenant's own webhook secret is replaced, wherever it appears (raw bodies included).
export const REDACTED = '[redacted]';

// Field names that hold credential material in VAPI's schemas (BearerAuthenticationPlan.token,
// HMACAuthenticationPlan.secretKey, OAuth2 clientSecret, provider credentials' apiKey, Twilio's
// auth token and API secret, the legacy server.secret, …). Compared case-insensitively.
const secretKeys = new Set(
  ['secret', 'secretKey', 'token', 'apiKey', 'apiSecret', 'authToken', 'password', 'clientSecret', 'privateKey', 'twilioAuthToken', 'twilioApiSecret', 'authorization', 'x-vapi-secret', 'credentials'].map(
    (key) => key.toLowerCase(),
  ),
);

// Returns `value` itself when nothing under it is a secret (the common case: no copy, and the
// body is stored as received, see redactedJson); a copy of only what changed otherwise.
function walk(value: unknown, secret: string | null, parentKey: string | null): unknown {
  if (typeof value === 'string') return secret && value.includes(secret) ? value.replaceAll(secret, REDACTED) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const inner = walk(value[i], secret, parentKey);
      if (inner !== value[i] && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(inner);
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const inner = source[key];
    // server.headers: stripped (what we sent VAPI, e.g. X-Vapi-Secret); other headers objects keep their names.
    const dropped = key === 'headers' && parentKey === 'server';
    const next = dropped
      ? undefined
      : secretKeys.has(key.toLowerCase()) && inner !== null && inner !== undefined && inner !== ''
        ? REDACTED
        : walk(inner, secret, key);
    if ((dropped || next !== inner) && copy === null) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = source[keys[j]!];
    }
    if (copy !== null && !dropped) copy[key] = next;
  }
  return copy ?? value;
}

/** A copy of a parsed webhook body without secrets (the body itself when it holds none). */
export function redactPayload(payload: unknown, tenantSecret: string | null): unknown {
  return walk(payload, tenantSecret && tenantSecret.length >= 4 ? tenantSecret : null, null);
}

/**
 * The body to store as JSON text: `text` itself (the bytes received, parsed as `payload`) when it
 * holds no secret, so nothing is copied or serialised again; else the redacted copy serialised.
 */
export function redactedJson(text: string, payload: unknown, tenantSecret: string | null): string {
  const redacted = redactPayload(payload, tenantSecret);
  return redacted === payload ? text : JSON.stringify(redacted);
}

/** A raw (unparsable) body with the tenant's secret replaced. */
export function redactText(text: string, tenantSecret: string | null): string {
  return tenantSecret && tenantSecret.length >= 4 ? text.replaceAll(tenantSecret, REDACTED) : text;
}
