// The simulator's HTTP server (plain node:http, so faults can withhold an answer or drop the
// connection): records every request, applies latency and auth, routes, and never crashes on
// bad input.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createCall, createCredential, getCall, getFault, listCalls, type Answer } from './callRoutes.js';
import { bearerToken, errorBody, invalidKeyBody, readBody, sendJson } from './httpIo.js';
import { notify } from './options.js';
import type { RecordedRequest, SimulatorState } from './state.js';

export function createSimulatorServer(state: SimulatorState): Server {
  const server = createServer((request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      notify(state.options, 'error', { message: (error as Error)?.message });
      sendJson(response, 500, errorBody(500, 'Internal server error'));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  server.keepAliveTimeout = 5_000;
  return server;
}

async function handle(state: SimulatorState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://simulator');
  const record: RecordedRequest = {
    at: Date.now(),
    method: request.method ?? 'GET',
    path: url.pathname,
    query: url.search.slice(1),
    headers: state.options.recordBodies ? request.headers : {},
    body: undefined,
    status: null,
  };
  state.requests.push(record);
  const parsed = await readBody(request);
  if (state.options.recordBodies) record.body = parsed.ok ? parsed.body : parsed.raw || undefined;

  const latency = state.rng.latency.millis(state.options.responseLatencyMs);
  if (latency > 0) await new Promise<void>((resolve) => state.scheduler.afterUntracked(latency, resolve));
  if (state.scheduler.isClosed) {
    response.destroy();
    return;
  }

  const answer = route(state, request, url, parsed);
  if (answer.fault) record.fault = answer.fault;
  if (answer.fault === 'reset' || answer.fault === 'reset-before-create') {
    response.socket?.destroy();
    return;
  }
  if (answer.fault === 'timeout' || answer.fault === 'timeout-before-create') {
    const hangMs = state.options.faults.hangMs;
    if (hangMs !== undefined) state.scheduler.afterUntracked(hangMs, () => response.socket?.destroy());
    return;
  }
  record.status = answer.status;
  if (state.options.recordBodies) record.response = answer.body;
  sendJson(response, answer.status, answer.body, answer.headers);
}

function route(state: SimulatorState, request: IncomingMessage, url: URL, parsed: Awaited<ReturnType<typeof readBody>>): Answer {
  const method = request.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET' && path === statsPath) return { status: 200, body: stats(state) };
  const known = path === '/call' || /^\/call\/[^/]+$/.test(path) || (path === '/credential' && method === 'POST');
  if (!known || (method !== 'GET' && method !== 'POST') || (method === 'POST' && path !== '/call' && path !== '/credential')) {
    return { status: 404, body: errorBody(404, `Cannot ${method} ${url.pathname}`) };
  }
  const apiKey = bearerToken(request);
  if (!state.isValidKey(apiKey)) return { status: 401, body: invalidKeyBody };
  if (!parsed.ok) return { status: parsed.status, body: errorBody(parsed.status, parsed.message) };
  if (path === '/credential') return createCredential(state, apiKey, parsed.body);

  if (method === 'POST') return createCall(state, apiKey, parsed.body);
  const fault = getFault(state);
  if (fault) return fault;
  if (path === '/call') return listCalls(state, apiKey, url.searchParams);
  return getCall(state, apiKey, safeDecode(path.slice('/call/'.length)));
}

/** Not VAPI's: what the simulator has done so far, for demos (no key needed). */
export const statsPath = '/__simulator/stats';

function stats(state: SimulatorState) {
  const webhooks = state.webhooksSent;
  return {
    dials: state.dials.length,
    liveCalls: state.store.liveCount(),
    maxConcurrent: state.store.maxConcurrent(),
    endedReasons: countBy(state.dials.map((dial) => dial.endedReason)),
    webhooks: {
      sent: webhooks.length,
      failed: webhooks.filter((w) => w.responseStatus === null || w.responseStatus >= 300).length,
      lost: state.webhooksLost.length,
    },
    faults: state.faultCounts,
  };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape is simply an id no call has
  }
}
