// The synchronous relay: a request-response message (tool-calls, transfer-destination-request, …)
// is posted to the call's forward URL while VAPI waits, and the target's answer is VAPI's answer.
// Whatever goes wrong (no forward URL, the target down, slow, answering non-2xx or non-JSON),
// VAPI still gets a well-formed answer of the message's type (requestAnswers.ts), before its
// server timeout runs out.
import type { ForwardResult } from '../../db/queries/forwards.js';
import type { RequestMessageType } from '../vapi/serverMessages.js';
import { postForward } from './forwardPost.js';
import { requestErrorAnswer } from './requestAnswers.js';

/**
 * How long the relay may take of VAPI's server timeout: all of it but a margin for our own work
 * and the network back to VAPI (2 s, or a quarter of a short timeout).
 */
export function relayBudgetMs(serverTimeoutSeconds: number): number {
  const timeoutMs = serverTimeoutSeconds * 1000;
  return timeoutMs - Math.min(2_000, timeoutMs / 4);
}

export type RelayRequest = {
  type: RequestMessageType;
  /** The body's `message` object (for the error answer's tool call ids). */
  message: Record<string, unknown>;
  rawBody: Buffer;
  url: string | null;
  secret: string | null;
  /** Time left for the relay (relayBudgetMs less what was spent already). */
  timeoutMs: number;
  headers: Record<string, string>;
};

/** `answer`: the body for VAPI; `result`: what to record (null when nothing was relayed). */
export type RelayOutcome = { answer: Buffer; result: ForwardResult | null };

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function isJsonObject(body: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

export async function relayRequest(request: RelayRequest): Promise<RelayOutcome> {
  const failed = (error: string, result: ForwardResult | null): RelayOutcome => ({
    answer: json(requestErrorAnswer(request.type, request.message, error)),
    result,
  });
  if (!request.url) return failed('no tool server is configured for this call (pgdialer has no forward URL)', null);
  if (!request.secret) return failed('the relay is not configured (no webhook secret to sign with)', { status: null, error: 'no webhook secret to sign with', durationMs: 0 });
  const answer = await postForward({
    url: request.url,
    body: request.rawBody,
    secret: request.secret,
    timeoutMs: Math.max(1, request.timeoutMs),
    headers: request.headers,
  });
  if (!answer.ok) {
    return failed(`the tool server failed: ${answer.error}`, { status: answer.status, error: answer.error, durationMs: answer.durationMs });
  }
  if (!isJsonObject(answer.body)) {
    const error = 'the target answered something that is not a JSON object';
    return failed(`the tool server failed: ${error}`, { status: answer.status, error, durationMs: answer.durationMs });
  }
  return { answer: answer.body, result: { status: answer.status, error: null, durationMs: answer.durationMs } };
}
