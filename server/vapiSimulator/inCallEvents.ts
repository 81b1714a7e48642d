// What a scripted call says during the conversation, for tests of in-call behaviour (an opt-out):
// tools the assistant calls (one tool-calls message each, while the call is in progress) and the
// structured data the report's analysis carries. Shapes from VAPI's OpenAPI document:
// ServerMessageToolCalls {toolCallList: ToolCall[], toolWithToolCallList: FunctionToolWithToolCall[]},
// ToolCall {id, type: "function", function: {name, arguments (a JSON string)}}; Analysis.structuredData.
import { randomUUID } from 'node:crypto';
import type { VapiCall } from './callObjects.js';

/** The fields of one tool-calls message calling `name` with no arguments. */
export function toolCallsFields(name: string): Record<string, unknown> {
  const toolCall = { id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, type: 'function', function: { name, arguments: '{}' } };
  return {
    toolCallList: [toolCall],
    toolWithToolCallList: [{ type: 'function', function: { name, parameters: { type: 'object', properties: {} } }, toolCall }],
  };
}

/** Puts the scripted structured data in the ended call's analysis (and so in its report and GET /call). */
export function addStructuredData(call: VapiCall, structuredData: Record<string, unknown>): void {
  const analysis = { ...(call.analysis ?? { summary: '', successEvaluation: 'false' }), structuredData };
  call.analysis = analysis;
}
