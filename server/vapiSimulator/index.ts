// startVapiSimulator: a local stand-in for VAPI's call API and webhooks, for tests, benchmarks
// and demos. See README.md beside this file.
import type { Server } from 'node:http';
import type { VapiCall } from './callObjects.js';
import type { FaultCounts } from './faults.js';
import type { SimulatorOptionsInput } from './options.js';
import type { LostWebhook, WebhookRecord } from './playback.js';
import { createSimulatorServer } from './server.js';
import { SimulatorState, type Dial, type RecordedRequest } from './state.js';
import type { RequestMessageInput, RequestMessageRecord } from './requestMessages.js';

export type { VapiCall } from './callObjects.js';
export type { FaultCounts } from './faults.js';
export type { DialInfo, HttpFault, Outcome, ScriptedCall, SimulatorOptions, SimulatorOptionsInput, WebhookCredentialPlan } from './options.js';
export { DEFAULT_SERVER_MESSAGES } from './options.js';
export type { LostWebhook, WebhookRecord } from './playback.js';
export type { Dial, RecordedRequest } from './state.js';
export { credentialHeaders } from './credentials.js';
export type { RequestMessageInput, RequestMessageRecord, ScriptedRequest, ToolCallInput } from './requestMessages.js';

export type VapiSimulator = {
  /** 'http://127.0.0.1:PORT': the VAPI base URL to give a tenant. */
  url: string;
  port: number;
  /** Every HTTP request received, in arrival order. */
  requests: readonly RecordedRequest[];
  /** Every call created, by id, in creation order (live objects: they change as calls play). */
  calls: ReadonlyMap<string, VapiCall>;
  /** POST /call requests that created a call. */
  dials(): Dial[];
  /** Highest number of simultaneously live calls seen for `apiKey`, or for the busiest key. */
  maxConcurrent(apiKey?: string): number;
  /** Calls live right now for `apiKey`, or for all keys together. */
  liveCalls(apiKey?: string): number;
  configure(update: SimulatorOptionsInput): void;
  /** Every webhook delivery attempt (duplicates included), in the order they finished. */
  webhooksSent: readonly WebhookRecord[];
  /** Webhooks dropped by the loseRate / lose faults. */
  webhooksLost: readonly LostWebhook[];
  /** How many of each fault were injected so far. */
  faults: Readonly<FaultCounts>;
  /** Every request message sent (tool-calls, transfer-destination-request) with the answer it got. */
  requestMessages: readonly RequestMessageRecord[];
  /** Sends a request message for a live call now; resolves with its record once answered. */
  sendRequestMessage(callId: string, message: RequestMessageInput): Promise<RequestMessageRecord>;
  /** Resolves when every call has ended and every webhook delivery has finished (or on close). */
  idle(): Promise<void>;
  /** Stops listening, drops open connections, clears every timer and aborts pending deliveries. */
  close(): Promise<void>;
};

export async function startVapiSimulator(options: SimulatorOptionsInput = {}): Promise<VapiSimulator> {
  const state = new SimulatorState(options);
  const server = createSimulatorServer(state);
  await listen(server, state.options.port, state.options.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : state.options.port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${state.options.host === '0.0.0.0' ? '127.0.0.1' : state.options.host}:${port}`,
    port,
    requests: state.requests,
    calls: state.store.calls,
    dials: () => [...state.dials],
    maxConcurrent: (apiKey) => state.store.maxConcurrent(apiKey),
    liveCalls: (apiKey) => state.store.liveCount(apiKey),
    configure: (update) => state.configure(update),
    webhooksSent: state.webhooksSent,
    webhooksLost: state.webhooksLost,
    faults: state.faultCounts,
    requestMessages: state.requestMessageRecords,
    sendRequestMessage(callId, message) {
      const call = state.store.calls.get(callId);
      if (!call) return Promise.reject(new Error(`no call ${callId}`));
      return state.requestMessages.send(call, message);
    },
    idle: () => state.scheduler.idle(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.scheduler.close();
        state.sender.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
