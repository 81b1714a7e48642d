// The POST /call body for one claimed call. Our call id travels as customer.externalId, so a
// call found on VAPI after an ambiguous failure can be tied back to exactly one row.
import type { WebhookAuth } from '../webhooks/authOptions.js';
import type { CreateCallBody, VapiCall, VapiServer } from './types.js';
import { serverMessagesFor } from './serverMessages.js';

export type { WebhookAuth } from '../webhooks/authOptions.js';

export type DialTarget = {
  callId: string;
  tenantId: string;
  phone: string;
  name: string | null;
  assistantId: string;
  phoneNumberId: string;
  variables: Record<string, unknown>;
  /** This attempt's voicemail message (campaign attemptOverrides); undefined: the assistant's own. */
  voicemailMessage?: string;
};

/** VAPI limits customer.name to 40 characters. */
export const MAX_CUSTOMER_NAME = 40;

/**
 * Headers VAPI should send on webhooks for this tenant, in shared-secret mode only. With a VAPI
 * credential (credentialId) VAPI authenticates or signs each request itself, and headers would
 * override it (VAPI's Server.headers docs); HMAC exists only through a credential.
 */
export function webhookHeaders(auth: WebhookAuth): Record<string, string> | undefined {
  if (!auth.secret || auth.credentialId || auth.type === 'hmac') return undefined;
  return auth.type === 'secret' ? { 'X-Vapi-Secret': auth.secret } : { Authorization: `Bearer ${auth.secret}` };
}

/** assistantOverrides.server: our URL, and either the tenant's credentialId or the shared-secret headers. */
export function webhookServer(publicUrl: string, tenantId: string, auth: WebhookAuth): VapiServer & { url: string } {
  const headers = webhookHeaders(auth);
  return {
    url: webhookUrl(publicUrl, tenantId),
    ...(auth.credentialId ? { credentialId: auth.credentialId } : {}),
    ...(headers ? { headers } : {}),
  };
}

export function webhookUrl(publicUrl: string, tenantId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/vapi?tenant=${encodeURIComponent(tenantId)}`;
}

/** VAPI's default server.timeoutSeconds; set explicitly on every call (a relay must answer within it). */
export const DEFAULT_SERVER_TIMEOUT_SECONDS = 20;

/** How this call's messages are asked for: the relay's message list (null: no forward URL) and VAPI's answer timeout. */
export type CallMessaging = { forwarding: { messages: readonly string[] } | null; optOutTool?: boolean; serverTimeoutSeconds: number };

export function createCallBody(
  target: DialTarget,
  publicUrl: string,
  auth: WebhookAuth,
  messaging: CallMessaging = { forwarding: null, serverTimeoutSeconds: DEFAULT_SERVER_TIMEOUT_SECONDS },
): CreateCallBody {
  const name = target.name?.trim();
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
      ...(target.voicemailMessage ? { voicemailMessage: target.voicemailMessage } : {}),
      server: { ...webhookServer(publicUrl, target.tenantId, auth), timeoutSeconds: messaging.serverTimeoutSeconds },
      // Always explicit: without it VAPI sends its default list, per-turn messages included.
      serverMessages: serverMessagesFor(messaging.forwarding, { optOutTool: messaging.optOutTool ?? false }),
    },
  };
}

/** The VAPI call that was created for our row, among calls listed after an ambiguous POST. */
export function findDialedCall(calls: VapiCall[], callId: string, phone: string): VapiCall | undefined {
  return calls.find((call) => call.customer?.externalId === callId && call.customer?.number === phone);
}
