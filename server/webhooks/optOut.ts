// In-call opt-out, on the webhook apply path: an end-of-call-report whose structured data says
// so, or a call to the tenant's opt-out tool, puts the call's number on do-not-call and cancels
// its pending calls at once. dialer.apply_in_call_opt_out decides and writes, from the message as
// stored, inside dialer.receive_webhooks (listed before the call's result, and once more after a
// report's, to cancel a retry it created). A tool call needs an answer: VAPI gets
// {results: [{name, toolCallId, result}]} for the opt-out tool's calls
// (ServerMessageResponseToolCalls in VAPI's OpenAPI), redelivered ones too.

/** What the assistant is told (added to its conversation), so it can confirm to the person. */
export const OPT_OUT_TOOL_RESULT = 'Done: this number is on the do-not-call list and will not be called again.';

export type ToolCallsAnswer = { results: Array<{ name: string; toolCallId: string; result: string }> };

/** VAPI's answer for the opt-out tool's calls of a message, or undefined when it called none. */
export function optOutAnswer(toolCalls: ReadonlyArray<{ toolCallId: string; name: string }>): ToolCallsAnswer | undefined {
  if (toolCalls.length === 0) return undefined;
  return { results: toolCalls.map((call) => ({ name: call.name, toolCallId: call.toolCallId, result: OPT_OUT_TOOL_RESULT })) };
}
