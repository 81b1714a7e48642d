// Every knob of the simulator, its defaults, and how a partial update (configure) merges in.
// Defaults are small so tests and benchmarks run fast; the CLI (scripts/vapiSim.ts) picks
// phone-like durations.
import { VAPI_DEFAULT_SERVER_MESSAGES } from '../vapi/serverMessages.js';
import type { Vapi } from '@vapi-ai/server-sdk';
import type { ScriptedRequest } from './requestMessages.js';

export type Outcome = 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'failed';

/** A milliseconds value, or an inclusive [min, max] range drawn from the seeded RNG. */
export type Millis = number | readonly [number, number];

export type DialInfo = {
  customerNumber: string;
  externalId: string | undefined;
  /** 1 for the first call this simulator receives for the number, 2 for the second, … */
  attemptForNumber: number;
  apiKey: string;
  body: Record<string, unknown>;
};

/**
 * What a test wants to happen to one dial; anything left out comes from the weighted mix.
 * In-call behaviour (server/vapiSimulator/inCallEvents.ts), for calls that reach in-progress:
 * `toolCalls` = tools the assistant calls mid-call (a tool-calls message each), `structuredData`
 * = the report's analysis.structuredData.
 * `lostAs`: VAPI loses the call after it was queued: GET /call/{id} reads this status from then
 * on, no other webhook comes, the slot is freed (for "no slot held forever" tests).
 * `requests`: request-response messages (tool calls, transfers) that wait for the answer (requestMessages.ts).
 */
export type ScriptedCall = {
  outcome?: Outcome;
  endedReason?: string;
  durationMs?: number;
  toolCalls?: string[];
  structuredData?: Record<string, unknown>;
  lostAs?: 'not-found' | 'deletion-failed';
  requests?: ScriptedRequest[];
};

/** A webhook credential as VAPI's POST /credential takes it (CreateWebhookCredentialDTO.authenticationPlan). */
export type WebhookCredentialPlan =
  | Vapi.CreateWebhookCredentialDtoAuthenticationPlan.Hmac
  | Vapi.CreateWebhookCredentialDtoAuthenticationPlan.Bearer;

/** VAPI's default serverMessages (its OpenAPI, 2026-08-19): what is sent when a call names none. */
export const DEFAULT_SERVER_MESSAGES = VAPI_DEFAULT_SERVER_MESSAGES;

/**
 * 'timeout' / 'reset': the call IS created, then the answer is withheld / the connection dropped
 * (the ambiguous case: look it up before dialing again). '…-before-create': the same on the wire,
 * but nothing was created (a retry is the only way the person gets called).
 */
export type HttpFault = '429' | '500' | '503' | 'timeout' | 'reset' | 'timeout-before-create' | 'reset-before-create';

export type FaultOptions = {
  /** Probability (0..1) that a POST /call answers 429 (nothing created). */
  rate429: number;
  /** Sent as Retry-After on 429s when set. */
  retryAfterSeconds?: number;
  /** Probability that a POST /call answers 500 (nothing created). */
  rate500: number;
  /** Probability that a POST /call creates the call, then never answers (see hangMs). */
  timeoutAfterCreate: number;
  /** Probability that a POST /call creates the call, then resets the connection. */
  resetAfterCreate: number;
  /** Probability that a POST /call is withheld (see hangMs) without creating anything. */
  timeoutBeforeCreate: number;
  /** Probability that a POST /call resets the connection without creating anything. */
  resetBeforeCreate: number;
  /** How long a 'timeout' holds the request before destroying the socket; unset = until the client gives up or close(). */
  hangMs?: number;
  /** Deterministic faults for the next POST /call requests, consumed in order before any rate applies. */
  nextResponses: HttpFault[];
  /** 'create' = faults hit POST /call only; 'all' = rate429/rate500 also hit GET requests. */
  scope: 'create' | 'all';
};

export type WebhookFaultOptions = {
  /** Probability that one webhook is never sent. */
  loseRate: number;
  /** Probability that one webhook is sent twice. */
  duplicateRate: number;
  /** Send the end-of-call-report before the `ended` status-update. */
  reorder: boolean;
  /** Decide exactly which webhooks are lost (checked before loseRate). */
  lose?: (type: string, callId: string) => boolean;
};

export type Timing = {
  /** queued → ringing (or → ended for calls that never ring). */
  queuedMs: Millis;
  /** ringing → in-progress (or → ended for unanswered calls). */
  ringingMs: Millis;
  /** in-progress → ended, unless the script gives durationMs. */
  talkMs: Millis;
  /** ended status-update → end-of-call-report (VAPI sends the report after post-processing). */
  reportDelayMs: Millis;
};

export type SimulatorOptions = {
  port: number;
  host: string;
  /** Valid API keys; undefined = any non-empty bearer token. Each key is one account. */
  apiKeys?: string[];
  concurrencyLimit: number;
  /** Per-key limits overriding concurrencyLimit. */
  concurrencyLimits?: Record<string, number>;
  concurrencyMode: 'reject' | 'block';
  /** Body of the over-limit 400: 'full' {message, error, statusCode} or 'minimal' {error} (VAPI's docs example). */
  concurrencyErrorBody: 'full' | 'minimal';
  outcomes: Record<Outcome, number>;
  /**
   * endedReason weights over any of VAPI's values (server/vapi/endedReasons.ts), or 'all' for
   * every value alike; when set, the reason is drawn from these instead of from `outcomes`.
   */
  endedReasons?: Record<string, number> | 'all';
  script?: (dial: DialInfo) => ScriptedCall | undefined;
  seed: number;
  timing: Timing;
  /** Delay before answering any HTTP request. */
  responseLatencyMs: Millis;
  /** GET /call/:id answers 404 (and GET /call omits the call) for this long after creation. */
  notFoundWindowMs: number;
  /** Inside notFoundWindowMs: '404' (default), or 'status' = 200 with the Call reading status `not-found`. */
  notFoundAs: '404' | 'status';
  /** Webhook URL for every call, overriding assistantOverrides.server.url. */
  webhookUrl?: string;
  /** false: no webhook is posted at all (calls still play); for benchmarks of dialing alone. */
  sendWebhooks: boolean;
  /**
   * Webhook credentials by id, for every account (POST /credential adds more, per account). A call
   * whose server names one by credentialId has its webhooks signed (HMAC) or authenticated
   * (bearer) the way the credential says; that is the only way webhooks get signed, as with VAPI.
   */
  credentials?: Record<string, WebhookCredentialPlan>;
  /** Also send the deprecated fields (artifact.recordingUrl/stereoRecordingUrl, top-level transcript/recordingUrl/summary on the Call). */
  deprecatedFields: boolean;
  /** message.timestamp as epoch ms (current VAPI) or an ISO string (2024 payloads). */
  timestampFormat: 'epoch-ms' | 'iso';
  faults: FaultOptions;
  webhookFaults: WebhookFaultOptions;
  /**
   * Keep request bodies, headers and answers in `requests`, and webhook bodies in `webhooksSent`.
   * false for long runs (the CLI, big benchmarks): the records keep only their small fields.
   */
  recordBodies: boolean;
  /** Called for each notable event (dial, webhook, fault); the CLI prints them. */
  onEvent?: (event: string, fields: Record<string, unknown>) => void;
};

/** Calls options.onEvent; a throwing listener must not break the simulator. */
export function notify(options: SimulatorOptions, event: string, fields: Record<string, unknown>): void {
  try {
    options.onEvent?.(event, fields);
  } catch {
    // the listener's problem, not the simulated call's
  }
}

export type SimulatorOptionsInput = Partial<
  Omit<SimulatorOptions, 'timing' | 'faults' | 'webhookFaults' | 'outcomes'> & {
    timing: Partial<Timing>;
    faults: Partial<FaultOptions>;
    webhookFaults: Partial<WebhookFaultOptions>;
    outcomes: Partial<Record<Outcome, number>>;
  }
>;

export const defaultOptions: SimulatorOptions = {
  port: 0,
  host: '127.0.0.1',
  concurrencyLimit: 10,
  concurrencyMode: 'reject',
  concurrencyErrorBody: 'full',
  outcomes: { answered: 60, no_answer: 20, busy: 5, voicemail: 10, failed: 5 },
  seed: 1,
  timing: { queuedMs: 10, ringingMs: 30, talkMs: [40, 80], reportDelayMs: 10 },
  responseLatencyMs: 0,
  notFoundWindowMs: 0,
  notFoundAs: '404',
  deprecatedFields: false,
  timestampFormat: 'epoch-ms',
  sendWebhooks: true,
  recordBodies: true,
  faults: { rate429: 0, rate500: 0, timeoutAfterCreate: 0, resetAfterCreate: 0, timeoutBeforeCreate: 0, resetBeforeCreate: 0, nextResponses: [], scope: 'create' },
  webhookFaults: { loseRate: 0, duplicateRate: 0, reorder: false },
};

/**
 * Merges a partial update: nested groups merge key by key; `outcomes`, when given, replaces the
 * mix. A key given as undefined goes back to its default: optional settings are cleared
 * (configure({ script: undefined }), configure({ faults: { retryAfterSeconds: undefined } })).
 */
export function mergeOptions(base: SimulatorOptions, update: SimulatorOptionsInput): SimulatorOptions {
  const { timing, faults, webhookFaults, outcomes, ...flat } = update;
  const merged: SimulatorOptions = {
    ...overlay(base, flat, defaultOptions),
    timing: overlay(base.timing, timing, defaultOptions.timing),
    faults: overlay(base.faults, faults, defaultOptions.faults),
    webhookFaults: overlay(base.webhookFaults, webhookFaults, defaultOptions.webhookFaults),
    outcomes: outcomes ? { answered: 0, no_answer: 0, busy: 0, voicemail: 0, failed: 0, ...outcomes } : base.outcomes,
  };
  merged.faults.nextResponses = [...merged.faults.nextResponses];
  validateOptions(merged);
  return merged;
}

function overlay<T extends object>(base: T, update: Partial<T> | undefined, defaults: T): T {
  const result = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(update ?? {})) {
    if (value !== undefined) result[key] = value;
    else if (key in defaults) result[key] = (defaults as Record<string, unknown>)[key];
    else delete result[key];
  }
  return result as T;
}

function validateOptions(options: SimulatorOptions): void {
  const rates = [
    options.faults.rate429,
    options.faults.rate500,
    options.faults.timeoutAfterCreate,
    options.faults.resetAfterCreate,
    options.faults.timeoutBeforeCreate,
    options.faults.resetBeforeCreate,
    options.webhookFaults.loseRate,
    options.webhookFaults.duplicateRate,
  ];
  if (rates.some((rate) => !(rate >= 0 && rate <= 1))) throw new RangeError('fault rates must be between 0 and 1');
  if (!(options.concurrencyLimit >= 0)) throw new RangeError('concurrencyLimit must be >= 0');
  const weights = Object.values(options.outcomes);
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) {
    throw new RangeError('outcomes weights must be >= 0 and not all zero');
  }
  if (options.endedReasons && options.endedReasons !== 'all') {
    const reasonWeights = Object.values(options.endedReasons);
    if (reasonWeights.some((w) => !(w >= 0)) || reasonWeights.every((w) => w === 0)) {
      throw new RangeError('endedReasons weights must be >= 0 and not all zero');
    }
  }
}
