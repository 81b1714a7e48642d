// Webhook credentials, as VAPI keeps them: created with POST /credential (CreateWebhookCredentialDTO:
// `{provider: "webhook", authenticationPlan: {type: "hmac" | "bearer", …}, name?}`, see VAPI's
// OpenAPI and docs.vapi.ai/server-url/server-authentication), one set per account, or given to the
// simulator as the `credentials` option. A call's server names one by `credentialId`; every
// webhook of that call is then signed or authenticated the way the credential says. (OAuth2
// credentials are not simulated.)
import { createHmac, randomUUID } from 'node:crypto';
import type { Vapi } from '@vapi-ai/server-sdk';
import type { WebhookCredentialPlan } from './options.js';

type Validated<T> = { ok: true; value: T } | { ok: false; messages: string[] };
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const hmacFields = new Set(['type', 'secretKey', 'algorithm', 'signatureHeader', 'timestampHeader', 'signaturePrefix', 'includeTimestamp', 'payloadFormat', 'messageIdHeader', 'signatureEncoding', 'secretIsBase64']);
const bearerFields = new Set(['type', 'token', 'headerName', 'bearerPrefixEnabled']);

/** NestJS-style validation of a CreateWebhookCredentialDTO (hmac and bearer plans). */
export function validateCreateCredential(body: unknown): Validated<{ plan: WebhookCredentialPlan; name?: string }> {
  if (!isObject(body)) return { ok: false, messages: ['body must be an object'] };
  const messages: string[] = [];
  for (const key of Object.keys(body)) if (!['provider', 'authenticationPlan', 'name'].includes(key)) messages.push(`property ${key} should not exist`);
  if (body.provider !== 'webhook') messages.push('provider must be one of the following values: webhook');
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 40)) {
    messages.push('name must be shorter than or equal to 40 characters');
  }
  const plan = body.authenticationPlan;
  if (!isObject(plan)) {
    messages.push('authenticationPlan must be an object');
  } else if (plan.type === 'hmac') {
    for (const key of Object.keys(plan)) if (!hmacFields.has(key)) messages.push(`authenticationPlan.property ${key} should not exist`);
    if (typeof plan.secretKey !== 'string' || plan.secretKey === '') messages.push('authenticationPlan.secretKey must be a string');
    if (!['sha256', 'sha512', 'sha1'].includes(plan.algorithm as string)) messages.push('authenticationPlan.algorithm must be one of the following values: sha256, sha512, sha1');
    if (plan.signatureEncoding !== undefined && !['hex', 'base64'].includes(plan.signatureEncoding as string)) {
      messages.push('authenticationPlan.signatureEncoding must be one of the following values: hex, base64');
    }
    for (const key of ['signatureHeader', 'timestampHeader', 'signaturePrefix', 'payloadFormat', 'messageIdHeader']) {
      if (plan[key] !== undefined && typeof plan[key] !== 'string') messages.push(`authenticationPlan.${key} must be a string`);
    }
    for (const key of ['includeTimestamp', 'secretIsBase64']) {
      if (plan[key] !== undefined && typeof plan[key] !== 'boolean') messages.push(`authenticationPlan.${key} must be a boolean value`);
    }
  } else if (plan.type === 'bearer') {
    for (const key of Object.keys(plan)) if (!bearerFields.has(key)) messages.push(`authenticationPlan.property ${key} should not exist`);
    if (typeof plan.token !== 'string' || plan.token === '') messages.push('authenticationPlan.token must be a string');
    if (plan.headerName !== undefined && typeof plan.headerName !== 'string') messages.push('authenticationPlan.headerName must be a string');
    if (plan.bearerPrefixEnabled !== undefined && typeof plan.bearerPrefixEnabled !== 'boolean') {
      messages.push('authenticationPlan.bearerPrefixEnabled must be a boolean value');
    }
  } else {
    messages.push('authenticationPlan.type must be one of the following values: hmac, bearer (oauth2 is not simulated)');
  }
  if (messages.length > 0) return { ok: false, messages };
  return { ok: true, value: { plan: plan as WebhookCredentialPlan, ...(typeof body.name === 'string' ? { name: body.name } : {}) } };
}

export class CredentialStore {
  private readonly byAccount = new Map<string, Map<string, Vapi.WebhookCredential>>();

  create(apiKey: string, orgId: string, plan: WebhookCredentialPlan, name: string | undefined, now: number): Vapi.WebhookCredential {
    const at = new Date(now).toISOString();
    const credential: Vapi.WebhookCredential = {
      provider: 'webhook',
      authenticationPlan: plan,
      id: randomUUID(),
      orgId,
      createdAt: at,
      updatedAt: at,
      authenticationSession: {},
      ...(name !== undefined ? { name } : {}),
    };
    const account = this.byAccount.get(apiKey) ?? new Map<string, Vapi.WebhookCredential>();
    account.set(credential.id, credential);
    this.byAccount.set(apiKey, account);
    return credential;
  }

  /** The account's credential, else one given as the `credentials` option. */
  find(apiKey: string, id: string, fromOptions: Record<string, WebhookCredentialPlan> | undefined): WebhookCredentialPlan | undefined {
    const created = this.byAccount.get(apiKey)?.get(id)?.authenticationPlan;
    if (created && (created.type === 'hmac' || created.type === 'bearer')) return created as WebhookCredentialPlan;
    return fromOptions?.[id];
  }
}

/**
 * The headers a credential adds to one delivery, with VAPI's defaults (x-signature, x-timestamp,
 * hex, '{timestamp}.{body}'; Authorization with the `Bearer ` prefix).
 */
export function credentialHeaders(plan: WebhookCredentialPlan, rawBody: string, url: string, now = Date.now()): Record<string, string> {
  if (plan.type === 'bearer') {
    return { [plan.headerName ?? 'Authorization']: `${plan.bearerPrefixEnabled === false ? '' : 'Bearer '}${plan.token}` };
  }
  const includeTimestamp = plan.includeTimestamp !== false;
  const timestamp = String(now);
  const messageId = plan.messageIdHeader ? `msg_${randomUUID()}` : '';
  const format = plan.payloadFormat ?? (includeTimestamp ? '{timestamp}.{body}' : '{body}');
  const payload = format
    .replaceAll('{timestamp}', timestamp)
    .replaceAll('{method}', 'POST')
    .replaceAll('{url}', url)
    .replaceAll('{svix-id}', messageId)
    .replaceAll('{body}', rawBody);
  const key = plan.secretIsBase64 ? Buffer.from(plan.secretKey, 'base64') : plan.secretKey;
  const signature = createHmac(plan.algorithm, key).update(payload).digest(plan.signatureEncoding ?? 'hex');
  return {
    [plan.signatureHeader ?? 'x-signature']: `${plan.signaturePrefix ?? ''}${signature}`,
    ...(includeTimestamp ? { [plan.timestampHeader ?? 'x-timestamp']: timestamp } : {}),
    ...(plan.messageIdHeader ? { [plan.messageIdHeader]: messageId } : {}),
  };
}
