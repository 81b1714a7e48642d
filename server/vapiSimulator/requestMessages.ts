// Request-response messages: the ones VAPI sends mid-call and then waits on, whose answer steers
// the assistant (tool-calls → {results: [{toolCallId, result | error}]}, transfer-destination-
// request → {destination} or {error}). Each is posted to the call's server like any webhook, the
// answer is read (within server.timeoutSeconds, default 20 s) and recorded, so a test can check
// what the assistant got. Played from a script (`requests`, relative to the call's in-progress)
// or sent at any time with sim.sendRequestMessage(callId, …). Shapes: VAPI's OpenAPI
// (ServerMessageToolCalls, ToolCall, ServerMessageTransferDestinationRequest).
import http from 'node:http';
import https from 'node:https';
import type { VapiCall } from './callObjects.js';
import { notify, type SimulatorOptions } from './options.js';
import { webhookTarget } from './playback.js';
import type { Scheduler } from './scheduler.js';
import { signature } from './webhookSender.js';

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
};

let toolCallSeq = 0;

export class RequestMessages {
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly pending = new Set<http.ClientRequest>();

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
    const target = webhookTarget(call, options);
    if (!target) return { ...base, url: null, skipped: 'no server url' };
    const allowed = call.assistantOverrides?.serverMessages;
    if (Array.isArray(allowed) && !allowed.includes(input.type)) return { ...base, url: null, skipped: 'not in serverMessages' };

    const { fields, toolCallIds } = messageFields(input);
    const raw = JSON.stringify({
      message: {
        type: input.type,
        timestamp: options.timestampFormat === 'iso' ? new Date(at).toISOString() : at,
        ...fields,
        artifact: { messages: [] },
        call,
        customer: call.customer,
        phoneNumber: { id: call.phoneNumberId },
      },
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'pgdialer-vapi-simulator', ...target.headers };
    if (options.hmacSecret) {
      headers['x-timestamp'] = String(at);
      headers['x-signature'] = signature(options.hmacSecret, String(at), raw);
    }
    const answer = await this.post(target.url, headers, raw, target.timeoutMs);
    return {
      ...base,
      url: target.url,
      ...(toolCallIds ? { toolCallIds } : {}),
      ...answer,
      durationMs: Date.now() - at,
      ...(options.recordBodies ? { raw } : {}),
    };
  }

  private post(url: string, headers: Record<string, string>, body: string, timeoutMs: number) {
    return new Promise<{ responseStatus: number | null; response?: unknown; error?: string }>((resolve) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        resolve({ responseStatus: null, error: 'invalid url' });
        return;
      }
      const secure = parsed.protocol === 'https:';
      const request = (secure ? https : http).request(parsed, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: secure ? this.agents.https : this.agents.http,
        timeout: timeoutMs,
      });
      this.pending.add(request);
      const done = (value: { responseStatus: number | null; response?: unknown; error?: string }) => {
        this.pending.delete(request);
        resolve(value);
      };
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error) => done({ responseStatus: null, error: error.message }));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => done({ responseStatus: response.statusCode ?? null, error: error.message }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let value: unknown = text === '' ? undefined : text;
          try {
            value = JSON.parse(text);
          } catch {
            // not JSON: recorded as text
          }
          done({ responseStatus: response.statusCode ?? null, ...(value !== undefined ? { response: value } : {}) });
        });
      });
      request.end(body);
    });
  }

  close(): void {
    for (const request of this.pending) request.destroy(new Error('aborted'));
    this.pending.clear();
    this.agents.http.destroy();
    this.agents.https.destroy();
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
