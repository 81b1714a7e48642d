// The three VAPI endpoints the project uses: POST /call, GET /call/:id, GET /call.
// Each returns what to answer; server.ts does the HTTP.
import { newCall, orgIdFor, type VapiCall } from './callObjects.js';
import { createsCall, countHttpFault, pickHttpFault } from './faults.js';
import { errorBody } from './httpIo.js';
import { notify, type HttpFault, type Outcome } from './options.js';
import { concurrencyBlockedReason, outcomeOf, pickEndedReason, pickWeighted, reasonWeightsOf } from './outcomes.js';
import { validateCreateCredential } from './credentials.js';
import type { CallPlan } from './playback.js';
import type { Dial, SimulatorState } from './state.js';
import { validateCreateCall, validateListCalls } from './validation.js';

export type Answer = {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The injected fault: 'timeout…' withholds the answer, 'reset…' drops the connection, others are answered. */
  fault?: HttpFault;
};

export function createCall(state: SimulatorState, apiKey: string, body: unknown): Answer {
  const validated = validateCreateCall(body);
  if (!validated.ok) return { status: 400, body: errorBody(400, validated.messages) };
  const request = validated.value;
  const options = state.options;
  // A credential the account does not have cannot sign anything (VAPI's answer here is unconfirmed).
  const credentialId = request.assistantOverrides?.server?.credentialId;
  if (credentialId !== undefined && !state.credentials.find(apiKey, credentialId, options.credentials)) {
    return { status: 400, body: errorBody(400, [`assistantOverrides.server.credentialId: no credential ${credentialId} in this account`]) };
  }

  const fault = pickHttpFault(options.faults, state.rng.faults, true);
  if (fault) {
    countHttpFault(state.faultCounts, fault);
    notify(options, 'fault', { fault, customerNumber: request.customer.number });
  }
  if (!createsCall(fault)) return faultAnswer(fault!, options.faults.retryAfterSeconds);

  const limit = state.concurrencyLimitFor(apiKey);
  const live = state.store.liveCount(apiKey);
  const full = live >= limit;
  if (full && options.concurrencyMode === 'reject') {
    state.faultCounts.concurrencyRejected += 1;
    const answer = options.concurrencyErrorBody === 'minimal'
      ? { error: 'Over Concurrency Limit' }
      : { message: 'Over Concurrency Limit', error: 'Over Concurrency Limit', statusCode: 400 };
    return { status: 400, body: answer };
  }

  const now = Date.now();
  const limits = { concurrencyBlocked: full, concurrencyLimit: limit, remainingConcurrentCalls: full ? 0 : limit - live - 1 };
  const call = newCall(request, orgIdFor(apiKey), limits, now);
  const attemptForNumber = state.store.callsTo(request.customer.number) + 1;
  const plan = full ? { endedReason: concurrencyBlockedReason } : planFor(state, apiKey, request, attemptForNumber, body as Record<string, unknown>);
  if (full) state.faultCounts.concurrencyBlocked += 1;
  state.store.add(call, apiKey, now, !full);

  const dial: Dial = {
    at: now,
    callId: call.id,
    apiKey,
    customerNumber: request.customer.number,
    externalId: request.customer.externalId,
    customerName: request.customer.name,
    name: request.name,
    assistantId: request.assistantId,
    phoneNumberId: call.phoneNumberId,
    variableValues: request.assistantOverrides?.variableValues,
    voicemailMessage: request.assistantOverrides?.voicemailMessage,
    attemptForNumber,
    outcome: full ? 'failed' : (plan.outcome ?? outcomeOf(plan.endedReason)),
    endedReason: plan.endedReason,
    concurrencyBlocked: full,
    ...(fault === 'timeout' || fault === 'reset' ? { fault } : {}),
  };
  state.dials.push(dial);
  notify(options, 'dial', {
    callId: call.id,
    customerNumber: dial.customerNumber,
    externalId: dial.externalId,
    endedReason: dial.endedReason,
    live: state.store.liveCount(apiKey),
    blocked: full,
  });
  state.playback.start(call, plan, state.callRngs(state.dials.length - 1), apiKey);
  return { status: 201, body: structuredClone(call), ...(fault === 'timeout' || fault === 'reset' ? { fault } : {}) };
}

function planFor(
  state: SimulatorState,
  apiKey: string,
  request: { customer: { number: string; externalId?: string } },
  attemptForNumber: number,
  body: Record<string, unknown>,
): CallPlan & { outcome?: Outcome } {
  const scripted = state.options.script?.({
    customerNumber: request.customer.number,
    externalId: request.customer.externalId,
    attemptForNumber,
    apiKey,
    body,
  });
  const rng = state.rng.outcomes;
  // Always draw twice per dial, so a script answering for some dials leaves the others' draws unchanged.
  const drawn = rng.weighted(state.options.outcomes);
  const reasonRoll = rng.next();
  const reasonWeights = reasonWeightsOf(state.options.endedReasons);
  // With endedReasons weights the reason is drawn from them (the same roll), not from the outcome mix.
  const weightedReason = !scripted?.endedReason && !scripted?.outcome && reasonWeights ? pickWeighted(reasonWeights, reasonRoll) : undefined;
  const outcome = scripted?.outcome ?? (scripted?.endedReason || weightedReason ? undefined : drawn);
  const endedReason = scripted?.endedReason ?? weightedReason ?? pickEndedReason(outcome ?? drawn, reasonRoll);
  return {
    endedReason,
    ...(outcome ? { outcome } : {}),
    ...(scripted?.durationMs !== undefined ? { durationMs: scripted.durationMs } : {}),
    ...(scripted?.toolCalls ? { toolCalls: scripted.toolCalls } : {}),
    ...(scripted?.structuredData ? { structuredData: scripted.structuredData } : {}),
    ...(scripted?.lostAs ? { lostAs: scripted.lostAs } : {}),
    ...(scripted?.requests ? { requests: scripted.requests } : {}),
  };
}

function faultAnswer(fault: HttpFault, retryAfterSeconds: number | undefined): Answer {
  if (fault === 'timeout-before-create' || fault === 'reset-before-create') return { status: 0, body: undefined, fault };
  if (fault === '429') {
    return {
      fault,
      status: 429,
      body: errorBody(429, 'ThrottlerException: Too Many Requests'),
      ...(retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}),
    };
  }
  if (fault === '503') return { fault, status: 503, body: errorBody(503, 'Service Unavailable') };
  return { fault, status: 500, body: errorBody(500, 'Internal server error') };
}

export function getCall(state: SimulatorState, apiKey: string, id: string): Answer {
  const now = Date.now();
  const call = state.store.find(apiKey, id, now, state.options.notFoundWindowMs);
  if (call) return { status: 200, body: call };
  // Inside the not-found window VAPI may answer the call with status not-found (notFoundAs: 'status').
  const young = state.options.notFoundAs === 'status' ? state.store.find(apiKey, id, now, 0) : undefined;
  if (young) return { status: 200, body: { ...young, status: 'not-found' } };
  return { status: 404, body: errorBody(404, 'Call not found') };
}

/** POST /credential: a webhook credential of the caller's account (hmac or bearer). */
export function createCredential(state: SimulatorState, apiKey: string, body: unknown): Answer {
  const validated = validateCreateCredential(body);
  if (!validated.ok) return { status: 400, body: errorBody(400, validated.messages) };
  const credential = state.credentials.create(apiKey, orgIdFor(apiKey), validated.value.plan, validated.value.name, Date.now());
  return { status: 201, body: credential };
}

export function listCalls(state: SimulatorState, apiKey: string, params: URLSearchParams): Answer {
  const validated = validateListCalls(params);
  if (!validated.ok) return { status: 400, body: errorBody(400, validated.messages) };
  const calls: VapiCall[] = state.store.list(apiKey, validated.value, Date.now(), state.options.notFoundWindowMs);
  return { status: 200, body: calls };
}

/** Rate faults for GET requests when faults.scope is 'all'. */
export function getFault(state: SimulatorState): Answer | undefined {
  const fault = pickHttpFault(state.options.faults, state.rng.faults, false);
  if (!fault) return undefined;
  countHttpFault(state.faultCounts, fault);
  return faultAnswer(fault, state.options.faults.retryAfterSeconds);
}
