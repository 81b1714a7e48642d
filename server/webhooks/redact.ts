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

function walk(value: unknown, secret: string | null, parentKey: string | null): unknown {
  if (typeof value === 'string') return secret && value.includes(secret) ? value.replaceAll(secret, REDACTED) : value;
  if (Array.isArray(value)) return value.map((item) => walk(item, secret, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // server.headers: stripped (what we sent VAPI, e.g. X-Vapi-Secret); other headers objects keep their names.
    if (key === 'headers' && parentKey === 'server') continue;
    if (secretKeys.has(key.toLowerCase()) && inner !== null && inner !== undefined && inner !== '') {
      result[key] = REDACTED;
      continue;
    }
    result[key] = walk(inner, secret, key);
  }
  return result;
}

/** A copy of a parsed webhook body without secrets. */
export function redactPayload(payload: unknown, tenantSecret: string | null): unknown {
  return walk(payload, tenantSecret && tenantSecret.length >= 4 ? tenantSecret : null, null);
}

/** A raw (unparsable) body with the tenant's secret replaced. */
export function redactText(text: string, tenantSecret: string | null): string {
  return tenantSecret && tenantSecret.length >= 4 ? text.replaceAll(tenantSecret, REDACTED) : text;
}
