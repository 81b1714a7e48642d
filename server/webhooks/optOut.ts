// In-call opt-out, on the webhook apply path: an end-of-call-report whose structured data says
// so, or a call to the tenant's opt-out tool, puts the call's number on do-not-call and cancels
// its pending calls at once (dialer.apply_in_call_opt_out decides and writes, from the stored
// event). A tool call needs an answer: VAPI gets {results: [{name, toolCallId, result}]} for the
// opt-out tool's calls (ServerMessageResponseToolCalls in VAPI's OpenAPI).
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../../db/zod.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { WebhookMessage } from './message.js';

/** Only these carry an opt-out; other messages cost no statement. */
const carriers = new Set(['end-of-call-report', 'tool-calls']);

/** What the assistant is told (added to its conversation), so it can confirm to the person. */
export const OPT_OUT_TOOL_RESULT = 'Done: this number is on the do-not-call list and will not be called again.';

export type ToolCallsAnswer = { results: Array<{ name: string; toolCallId: string; result: string }> };

const applied = z.object({
  reason: z.string().nullable(),
  phone: z.string().nullable(),
  added: z.boolean().nullable(),
  cancelled_calls: z.number().nullable(),
  tool_calls: z.array(z.object({ toolCallId: z.string(), name: z.string() })),
});

type OptOutEvent = { eventId: number; callId: string; message: WebhookMessage };
type Context = { db: CommonQueryMethods; clock: Clock; log: Logger };

async function applyOnce({ db, clock, log }: Context, event: OptOutEvent): Promise<{ optedOut: boolean; answer: ToolCallsAnswer | undefined }> {
  if (!event.message.type || !carriers.has(event.message.type)) return { optedOut: false, answer: undefined };
  const result = await db.one(sql.type(applied)`
    select reason, phone, added, cancelled_calls, tool_calls
    from dialer.apply_in_call_opt_out(${event.callId},
      (select payload -> 'message' from dialer.call_events where id = ${event.eventId}), ${clock.now().toISOString()})`);
  if (result.reason !== null && (result.added || (result.cancelled_calls ?? 0) > 0)) {
    log.info('webhook.opt_out', { callId: event.callId, reason: result.reason, added: result.added, cancelledCalls: result.cancelled_calls });
  }
  const answer = result.tool_calls.length === 0
    ? undefined
    : { results: result.tool_calls.map((call) => ({ name: call.name, toolCallId: call.toolCallId, result: OPT_OUT_TOOL_RESULT })) };
  return { optedOut: result.reason !== null, answer };
}

/**
 * Applies the opt-out a stored event carries, if any; idempotent, so a redelivered event changes
 * nothing more and still gets its answer. Returns VAPI's answer when the message called the
 * opt-out tool, else undefined.
 */
export async function applyInCallOptOut(context: Context, event: OptOutEvent): Promise<ToolCallsAnswer | undefined> {
  return (await applyOnce(context, event)).answer;
}

/**
 * `apply` (the call's result) wrapped in the opt-out: the number is listed first, so from the
 * moment the call reads ended no claim can dial it; after `apply`, once more when it was an
 * opt-out, to cancel what the result created (a retry of the call).
 */
export async function withInCallOptOut<T>(
  context: Context,
  event: OptOutEvent,
  apply: () => Promise<T>,
): Promise<{ result: T; answer: ToolCallsAnswer | undefined }> {
  const first = await applyOnce(context, event);
  const result = await apply();
  if (first.optedOut && event.message.type === 'end-of-call-report') await applyOnce(context, event);
  return { result, answer: first.answer };
}
