// A tenant's webhook credential as VAPI defines it (HMACAuthenticationPlan and
// BearerAuthenticationPlan in VAPI's OpenAPI, the same names in @vapi-ai/server-sdk), with VAPI's
// defaults for what the tenant left out. The secret itself is kept apart (encrypted at rest).
import type { Vapi } from '@vapi-ai/server-sdk';

export type WebhookAuthType = 'secret' | 'bearer' | 'hmac';

/** The options stored in tenants.webhook_auth_options: only what the tenant gave. */
export type HmacOptions = Partial<Omit<Vapi.HmacAuthenticationPlan, 'secretKey'>>;
export type BearerOptions = Partial<Omit<Vapi.BearerAuthenticationPlan, 'token'>>;
export type WebhookAuthOptions = HmacOptions & BearerOptions;

export type WebhookAuth = {
  type: WebhookAuthType;
  secret: string | null;
  /** The VAPI credential that sends it; null = shared-secret mode (server.headers per call). */
  credentialId?: string | null;
  options?: WebhookAuthOptions;
};

export const HMAC_OPTION_KEYS = [
  'algorithm',
  'signatureEncoding',
  'signatureHeader',
  'timestampHeader',
  'signaturePrefix',
  'includeTimestamp',
  'payloadFormat',
  'messageIdHeader',
  'secretIsBase64',
] as const satisfies readonly (keyof HmacOptions)[];
export const BEARER_OPTION_KEYS = ['headerName', 'bearerPrefixEnabled'] as const satisfies readonly (keyof BearerOptions)[];

export type HmacPlan = Required<HmacOptions>;

/**
 * VAPI's defaults (its OpenAPI descriptions): sha256, hex, `x-signature`, `x-timestamp`, no
 * prefix, timestamp included, payload `{timestamp}.{body}`, secret used as text. Without the
 * timestamp the payload defaults to the body alone (VAPI does not say; to confirm on an account).
 * messageIdHeader: none unless given (the header whose value {svix-id} stands for).
 */
export function hmacPlanOf(options: WebhookAuthOptions = {}): HmacPlan {
  const includeTimestamp = options.includeTimestamp ?? true;
  return {
    algorithm: options.algorithm ?? 'sha256',
    signatureEncoding: options.signatureEncoding ?? 'hex',
    signatureHeader: (options.signatureHeader ?? 'x-signature').toLowerCase(),
    timestampHeader: (options.timestampHeader ?? 'x-timestamp').toLowerCase(),
    signaturePrefix: options.signaturePrefix ?? '',
    includeTimestamp,
    payloadFormat: options.payloadFormat ?? (includeTimestamp ? '{timestamp}.{body}' : '{body}'),
    messageIdHeader: (options.messageIdHeader ?? '').toLowerCase(),
    secretIsBase64: options.secretIsBase64 ?? false,
  };
}

export type BearerPlan = Required<BearerOptions>;

/** VAPI's defaults: header `Authorization`, `Bearer ` prefix on. */
export function bearerPlanOf(options: WebhookAuthOptions = {}): BearerPlan {
  return { headerName: (options.headerName ?? 'Authorization').toLowerCase(), bearerPrefixEnabled: options.bearerPrefixEnabled ?? true };
}

/** The options that apply to the type, resolved with VAPI's defaults (what GET /v1/settings shows). */
export function effectiveOptions(type: WebhookAuthType, options: WebhookAuthOptions = {}): Record<string, unknown> {
  if (type === 'hmac') return hmacPlanOf(options);
  if (type === 'bearer') return bearerPlanOf(options);
  return {};
}

/** Only the keys of the type (a PUT may not carry the other type's options). */
export function optionsOf(type: WebhookAuthType, given: Record<string, unknown>): WebhookAuthOptions {
  const keys: readonly string[] = type === 'hmac' ? HMAC_OPTION_KEYS : type === 'bearer' ? BEARER_OPTION_KEYS : [];
  return Object.fromEntries(Object.entries(given).filter(([key, value]) => keys.includes(key) && value !== undefined)) as WebhookAuthOptions;
}
