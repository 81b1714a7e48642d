// Which of VAPI's server messages pgdialer asks for, which it relays and how. Facts from VAPI's
// OpenAPI document (VapiAI/docs fern/apis/api/openapi.json, commit eabfa53 of 2026-08-20:
// AssistantOverrides.serverMessages, ServerMessage*, ServerMessageResponse*) and its "Server
// events" page (fern/server-url/events.mdx).
import type { Vapi } from '@vapi-ai/server-sdk';

/** Every value AssistantOverrides.serverMessages accepts (the OpenAPI's enum, in its order). */
export const SERVER_MESSAGE_TYPES = [
  'assistant.started',
  'assistant.speechStarted',
  'conversation-update',
  'end-of-call-report',
  'function-call',
  'hang',
  'language-changed',
  'language-change-detected',
  'model-output',
  'phone-call-control',
  'speech-update',
  'status-update',
  'transcript',
  'transcript[transcriptType="final"]',
  'tool-calls',
  'transfer-destination-request',
  'handoff-destination-request',
  'transfer-update',
  'user-interrupted',
  'voice-input',
  'chat.created',
  'chat.deleted',
  'session.created',
  'session.updated',
  'session.deleted',
  'call.deleted',
  'call.delete.failed',
  'call.artifact.upload',
] as const satisfies readonly Vapi.AssistantOverridesServerMessagesItem[];
export type ServerMessageType = (typeof SERVER_MESSAGE_TYPES)[number];

/** What VAPI sends when serverMessages is not given (the OpenAPI's description of the field). */
export const VAPI_DEFAULT_SERVER_MESSAGES: readonly ServerMessageType[] = [
  'conversation-update',
  'end-of-call-report',
  'function-call',
  'hang',
  'speech-update',
  'status-update',
  'tool-calls',
  'transfer-destination-request',
  'handoff-destination-request',
  'user-interrupted',
  'assistant.started',
];

/**
 * Sent once or more per turn of the conversation (conversation-update carries the whole history
 * every time): asked for only when a tenant lists them. assistant.speechStarted (per spoken
 * segment) and voice-input (per generation) are as frequent, so they count too.
 */
export const PER_TURN_MESSAGES: readonly ServerMessageType[] = [
  'conversation-update',
  'speech-update',
  'transcript',
  'transcript[transcriptType="final"]',
  'model-output',
  'assistant.speechStarted',
  'voice-input',
];

/** What pgdialer itself needs of every call. */
export const DIALER_MESSAGES: readonly ServerMessageType[] = ['status-update', 'end-of-call-report'];

/**
 * Messages VAPI waits on for an answer (a ServerMessageResponse* shape): relayed synchronously.
 * assistant-request and knowledge-base-request are not serverMessages values (VAPI sends them
 * whenever the configuration calls for them), but they reach the overridden server all the same.
 * function-call is the legacy form of tool-calls (no response schema left in the OpenAPI).
 */
export const REQUEST_MESSAGES = [
  'tool-calls',
  'transfer-destination-request',
  'handoff-destination-request',
  'function-call',
  'assistant-request',
  'knowledge-base-request',
] as const;
export type RequestMessageType = (typeof REQUEST_MESSAGES)[number];

export const isRequestMessage = (type: string | null | undefined): type is RequestMessageType =>
  typeof type === 'string' && (REQUEST_MESSAGES as readonly string[]).includes(type);

/** The tenant's forwardMessages when it has set none: VAPI's default list minus the per-turn types. */
export const DEFAULT_FORWARD_MESSAGES: readonly ServerMessageType[] = VAPI_DEFAULT_SERVER_MESSAGES.filter(
  (type) => !PER_TURN_MESSAGES.includes(type),
);

/** The types relayed for a tenant with a forward URL (its own list, or the default). */
export function forwardMessagesOf(listed: readonly string[] | null | undefined): readonly string[] {
  return listed ?? DEFAULT_FORWARD_MESSAGES;
}

/**
 * assistantOverrides.serverMessages for one call. Without a forward URL: only what pgdialer needs.
 * With one: also the request types VAPI accepts in the list (so the tenant's tools and transfers
 * keep working) and whatever the tenant relays. A tenant that names an opt-out tool
 * (server/webhooks/optOut.ts) also gets tool-calls: pgdialer answers that tool itself. In the
 * enum's order, without repeats.
 */
export function serverMessagesFor(forwarding: { messages: readonly string[] } | null, own: { optOutTool: boolean } = { optOutTool: false }): ServerMessageType[] {
  const wanted = new Set<string>(DIALER_MESSAGES);
  if (own.optOutTool) wanted.add('tool-calls');
  if (forwarding) {
    for (const type of REQUEST_MESSAGES) wanted.add(type);
    for (const type of forwarding.messages) wanted.add(type);
  }
  return SERVER_MESSAGE_TYPES.filter((type) => wanted.has(type));
}

/**
 * Should this message, received for a tenant relaying `messages`, be queued for asynchronous
 * delivery? Request types never are (they are relayed while VAPI waits).
 */
export function isForwardedAsync(type: string | null, messages: readonly string[]): boolean {
  return type !== null && !isRequestMessage(type) && messages.includes(type);
}
