// Everything one simulator instance knows: its options, random streams, calls, and what it
// recorded (requests, dials, webhooks, injected faults).
import type { IncomingHttpHeaders } from 'node:http';
import { CallStore } from './callStore.js';
import { CredentialStore } from './credentials.js';
import { emptyFaultCounts, type FaultCounts } from './faults.js';
import { defaultOptions, mergeOptions, notify, type HttpFault, type Outcome, type SimulatorOptions, type SimulatorOptionsInput } from './options.js';
import { Playback, type CallRngs, type LostWebhook, type WebhookRecord } from './playback.js';
import { createRng, deriveSeed, type Rng } from './rng.js';
import { Scheduler } from './scheduler.js';
import { WebhookSender } from './webhookSender.js';
import { RequestMessages, type RequestMessageRecord } from './requestMessages.js';

export type RecordedRequest = {
  /** Arrival time (ms epoch). */
  at: number;
  method: string;
  path: string;
  /** The query string without '?', '' when none. */
  query: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /** HTTP status answered; null while pending or when no answer was given (timeout, reset). */
  status: number | null;
  /** The answer's body, when one was sent. */
  response?: unknown;
  fault?: HttpFault;
};

export type Dial = {
  at: number;
  callId: string;
  apiKey: string;
  customerNumber: string;
  externalId: string | undefined;
  customerName: string | undefined;
  name: string | undefined;
  assistantId: string | undefined;
  phoneNumberId: string;
  variableValues: Record<string, unknown> | undefined;
  /** assistantOverrides.voicemailMessage as received. */
  voicemailMessage: string | undefined;
  attemptForNumber: number;
  /** What the simulator decided will happen (the project derives its own outcome from endedReason). */
  outcome: Outcome;
  endedReason: string;
  concurrencyBlocked: boolean;
  /** Set when the HTTP answer was withheld (timeout) or the connection reset after creating the call. */
  fault?: 'timeout' | 'reset';
};

/**
 * Separate streams, so e.g. turning a fault rate on does not change which outcomes are drawn.
 * Durations and webhook faults have one stream per call (callRngs).
 */
type Streams = { outcomes: Rng; faults: Rng; latency: Rng };

function streams(seed: number): Streams {
  return { outcomes: createRng(deriveSeed(seed, 1)), faults: createRng(deriveSeed(seed, 2)), latency: createRng(deriveSeed(seed, 3)) };
}

export class SimulatorState {
  options: SimulatorOptions;
  rng: Streams;
  private seed: number;
  readonly store = new CallStore();
  readonly credentials = new CredentialStore();
  readonly requests: RecordedRequest[] = [];
  readonly dials: Dial[] = [];
  readonly webhooksSent: WebhookRecord[] = [];
  readonly webhooksLost: LostWebhook[] = [];
  readonly faultCounts: FaultCounts = emptyFaultCounts();
  readonly scheduler: Scheduler;
  readonly sender: WebhookSender;
  readonly playback: Playback;
  readonly requestMessageRecords: RequestMessageRecord[] = [];
  readonly requestMessages: RequestMessages;

  constructor(input: SimulatorOptionsInput) {
    this.options = mergeOptions(defaultOptions, input);
    this.seed = this.options.seed;
    this.rng = streams(this.seed);
    this.scheduler = new Scheduler(
      () => this.store.allEnded(),
      (error) => notify(this.options, 'error', { message: (error as Error)?.message }),
    );
    this.sender = new WebhookSender();
        this.playback = new Playback({
      options: () => this.options,
      scheduler: this.scheduler,
      sender: this.sender,
      credentials: this.credentials,
      counts: this.faultCounts,
      webhooksSent: this.webhooksSent,
      webhooksLost: this.webhooksLost,
      onEnded: (call) => this.store.ended(call.id),
      onInProgress: (call, plan) => this.requestMessages.play(call, plan.requests),
    });
    this.requestMessages = new RequestMessages({
      options: () => this.options,
      scheduler: this.scheduler,
      records: this.requestMessageRecords,
      request: (call, type, fields) => this.playback.request(call, type, fields),
    });
  }

  /** The streams of the `rank`-th call created (0-based). */
  callRngs(rank: number): CallRngs {
    return { timing: createRng(deriveSeed(this.seed, 4, rank)), webhooks: createRng(deriveSeed(this.seed, 5, rank)) };
  }

  configure(update: SimulatorOptionsInput): void {
    this.options = mergeOptions(this.options, update);
    if (update.seed !== undefined) {
      this.seed = update.seed;
      this.rng = streams(update.seed);
    }
  }

  concurrencyLimitFor(apiKey: string): number {
    return this.options.concurrencyLimits?.[apiKey] ?? this.options.concurrencyLimit;
  }

  isValidKey(apiKey: string | undefined): apiKey is string {
    if (!apiKey) return false;
    return this.options.apiKeys === undefined || this.options.apiKeys.includes(apiKey);
  }
}
