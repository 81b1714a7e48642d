// Request-response messages: the ones VAPI sends mid-call and then waits on, whose answer steers
// the assistant (tool-calls → {results: [{toolCallId, result | error}]}, transfer-destination-
// request → {destination} or {error}). Each is posted to the call's server like any webhook, the
// answer is read (within server.timeoutSeconds, default 20 s) and recorded, so a test can check
// what the assistant got. Played from a script (`requests`, relative to the call's in-progress)
// or sent at any time with sim.sendRequestMessage(callId, …). Shapes: VAPI's OpenAPI
// (ServerMessageToolCalls, ToolCall, ServerMessageTransferDestinationRequest).
import type { VapiCall } from './callObjects.js';
import { DEFAULT_SERVER_MESSAGES, notify, type SimulatorOptions } from './options.js';
import type { WebhookRecord } from './playback.js';
import type { Scheduler } from './scheduler.js';

export type ToolCallInput = { id?: string; name: string; arguments?: Record<string, unknown> };

export type RequestMessageInput =
  | { type: 'tool-calls'; toolCalls: ToolCallInput[] }
  | { type: 'transfer-destination-request' };

/** A request played during the call, `afterMs` after it went in-progress. */
export type ScriptedRequest = RequestMessageInput & { afterMs: number };

export type RequestMessageRecord = {
  /** When it was sent (ms epoch). */
  at: number;
  callId: string;
  type: RequestMessageInput['type'];
  /** null when nothing was sent (see skipped). */
  url: string | null;
  /** Why nothing was sent: the call has no server URL, or its serverMessages leave the type out. */
  skipped?: 'no server url' | 'not in serverMessages';
  /** The tool call ids sent (tool-calls). */
  toolCallIds?: string[];
  /** The receiver's HTTP status; null when it did not answer (timeout, refused) or nothing was sent. */
  responseStatus: number | null;
  /** The answer: parsed JSON, else the text; undefined when there was none. */
  response?: unknown;
  error?: string;
  durationMs: number;
  /** The body as sent (recordBodies). */
  raw?: string;
};

type Dependencies = {
  options: () => SimulatorOptions;
  scheduler: Scheduler;
  records: RequestMessageRecord[];
  /** Playback.request: posts one message in the call's order, with its credential, and resolves with the answer. */
  request: (call: VapiCall, type: string, fields: Record<string, unknown>) => Promise<WebhookRecord | undefined>;
};

let toolCallSeq = 0;

export class RequestMessages {
  constructor(private readonly deps: Dependencies) {}

  /** The playback hook: schedules the call's scripted requests once it is in progress. */
  play(call: VapiCall, requests: readonly ScriptedRequest[] | undefined): void {
    for (const { afterMs, ...request } of requests ?? []) {
      this.deps.scheduler.after(afterMs, () => {
        if (call.status !== 'ended') void this.send(call, request);
      });
    }
  }

  /** Posts one request message for `call` and resolves with its record once answered (or failed). */
  send(call: VapiCall, input: RequestMessageInput): Promise<RequestMessageRecord> {
    const work = this.deliver(call, input).then((record) => {
      this.deps.records.push(record);
      notify(this.deps.options(), 'request-message', { callId: call.id, type: input.type, responseStatus: record.responseStatus, error: record.error, skipped: record.skipped });
      return record;
    });
    this.deps.scheduler.track(work);
    return work;
  }

  private async deliver(call: VapiCall, input: RequestMessageInput): Promise<RequestMessageRecord> {
    const options = this.deps.options();
    const at = Date.now();
    const base = { at, callId: call.id, type: input.type, responseStatus: null, durationMs: 0 } as const;
    const allowed: readonly string[] = call.assistantOverrides?.serverMessages ?? DEFAULT_SERVER_MESSAGES;
    if (!allowed.includes(input.type)) return { ...base, url: null, skipped: 'not in serverMessages' };
    const { fields, toolCallIds } = messageFields(input);
    const sent = await this.deps.request(call, input.type, { ...fields, artifact: { messages: [] } });
    if (!sent) return { ...base, url: null, skipped: 'no server url' };
    const { responseBody, raw, responseStatus, error, durationMs } = sent;
    return {
      ...base,
      url: sent.url,
      ...(toolCallIds ? { toolCallIds } : {}),
      responseStatus,
      ...(responseBody !== undefined ? { response: parseAnswer(responseBody) } : {}),
      ...(error ? { error } : {}),
      durationMs,
      ...(options.recordBodies && raw ? { raw } : {}),
    };
  }
}

/** The answer as JSON when it parses, else the text. */
function parseAnswer(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The type-specific fields: ToolCall {id, type: 'function', function: {name, arguments (a JSON string)}}. */
function messageFields(input: RequestMessageInput): { fields: Record<string, unknown>; toolCallIds?: string[] } {
  if (input.type === 'transfer-destination-request') return { fields: {} };
  const calls = input.toolCalls.map((tool) => ({
    id: tool.id ?? `call_sim${String(++toolCallSeq).padStart(8, '0')}`,
    type: 'function' as const,
    function: { name: tool.name, arguments: JSON.stringify(tool.arguments ?? {}) },
  }));
  return {
    fields: {
      toolCallList: calls,
      toolWithToolCallList: calls.map((toolCall) => ({ type: 'function', function: { name: toolCall.function.name }, toolCall })),
    },
    toolCallIds: calls.map((call) => call.id),
  };
}
