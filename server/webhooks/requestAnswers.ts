// What VAPI gets when a request-response message cannot be answered by the tenant's server (no
// forward URL, the target failed, timed out, or answered something that is not JSON). Never `{}`:
// each answer has the ServerMessageResponse* shape of its type in VAPI's OpenAPI, with the error
// where that shape has one, so the assistant says "that did not work" instead of stalling.
import type { RequestMessageType } from '../vapi/serverMessages.js';

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The tool calls of a tool-calls message: toolCallList[] items are ToolCall {id, type, function:
 * {name, arguments}} in the OpenAPI, {id, name, parameters} in the docs' example; toolWithToolCallList
 * [] items carry {name?, function?: {name}, toolCall: {id}}. Both are read, ids deduplicated.
 */
export function toolCallsOf(message: Record<string, unknown>): Array<{ toolCallId: string; name: string }> {
  const calls = new Map<string, string>();
  const list = Array.isArray(message.toolCallList) ? message.toolCallList : [];
  for (const item of list.map(record)) {
    const id = text(item.id);
    if (id && !calls.has(id)) calls.set(id, text(record(item.function).name) ?? text(item.name) ?? '');
  }
  const withTools = Array.isArray(message.toolWithToolCallList) ? message.toolWithToolCallList : [];
  for (const item of withTools.map(record)) {
    const toolCall = record(item.toolCall);
    const id = text(toolCall.id);
    if (id && !calls.has(id)) {
      calls.set(id, text(record(toolCall.function).name) ?? text(record(item.function).name) ?? text(item.name) ?? '');
    }
  }
  return [...calls].map(([toolCallId, name]) => ({ toolCallId, name }));
}

/** The error answer for `type` (message = the body's `message` object). */
export function requestErrorAnswer(type: RequestMessageType, message: Record<string, unknown>, error: string): Record<string, unknown> {
  switch (type) {
    case 'tool-calls':
      // ToolCallResult requires name and toolCallId; `error` is added to the conversation.
      return { results: toolCallsOf(message).map((call) => ({ ...call, error })) };
    case 'knowledge-base-request':
      // ServerMessageResponseKnowledgeBaseRequest has no error field: no documents, the model goes on.
      return { documents: [] };
    case 'transfer-destination-request': // {destination?, message?, error}: "if the transfer should not be made"
    case 'handoff-destination-request': // {destination (required), error}: an error answer carries no destination
    case 'assistant-request': // {error}: spoken to the caller, the call is not accepted
    case 'function-call': // legacy; no response schema left in the OpenAPI
      return { error };
  }
}
