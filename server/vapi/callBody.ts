// The POST /call body for one claimed call. Our call id travels as customer.externalId, so a
// call found on VAPI after an ambiguous failure can be tied back to exactly one row.
import type { CreateCallBody, VapiCall } from './types.js';
import { serverMessagesFor } from './serverMessages.js';

export type WebhookAuth = { type: 'secret' | 'bearer' | 'hmac'; secret: string | null };

export type DialTarget = {
  callId: string;
  tenantId: string;
  phone: string;
  name: string | null;
  assistantId: string;
  phoneNumberId: string;
  variables: Record<string, unknown>;
};

/** VAPI limits customer.name to 40 characters. */
export const MAX_CUSTOMER_NAME = 40;

/**
 * Headers VAPI should send on webhooks for this tenant. HMAC sends none: the HMAC credential
 * lives on VAPI's side (a "webhook credential" the tenant creates in VAPI) and signs each request.
 */
export function webhookHeaders(auth: WebhookAuth): Record<string, string> | undefined {
  if (!auth.secret || auth.type === 'hmac') return undefined;
  return auth.type === 'secret' ? { 'X-Vapi-Secret': auth.secret } : { Authorization: `Bearer ${auth.secret}` };
}

export function webhookUrl(publicUrl: string, tenantId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/vapi?tenant=${encodeURIComponent(tenantId)}`;
}

/** VAPI's default server.timeoutSeconds; set explicitly on every call (a relay must answer within it). */
export const DEFAULT_SERVER_TIMEOUT_SECONDS = 20;

/** How this call's messages are asked for: the relay's message list (null: no forward URL) and VAPI's answer timeout. */
export type CallMessaging = { forwarding: { messages: readonly string[] } | null; serverTimeoutSeconds: number };

export function createCallBody(
  target: DialTarget,
  publicUrl: string,
  auth: WebhookAuth,
  messaging: CallMessaging = { forwarding: null, serverTimeoutSeconds: DEFAULT_SERVER_TIMEOUT_SECONDS },
): CreateCallBody {
  const name = target.name?.trim();
  const headers = webhookHeaders(auth);
  return {
    assistantId: target.assistantId,
    phoneNumberId: target.phoneNumberId,
    customer: {
      number: target.phone,
      ...(name ? { name: Array.from(name).slice(0, MAX_CUSTOMER_NAME).join('') } : {}),
      externalId: target.callId,
    },
    assistantOverrides: {
      variableValues: target.variables,
      server: {
        url: webhookUrl(publicUrl, target.tenantId),
        timeoutSeconds: messaging.serverTimeoutSeconds,
        ...(headers ? { headers } : {}),
      },
      // Always explicit: without it VAPI sends its default list, per-turn messages included.
      serverMessages: serverMessagesFor(messaging.forwarding),
    },
  };
}

/** The VAPI call that was created for our row, among calls listed after an ambiguous POST. */
export function findDialedCall(calls: VapiCall[], callId: string, phone: string): VapiCall | undefined {
  return calls.find((call) => call.customer?.externalId === callId && call.customer?.number === phone);
}
