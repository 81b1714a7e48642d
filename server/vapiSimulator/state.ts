// Everything one simulator instance knows: its options, random streams, calls, and what it
// recorded (requests, dials, webhooks, injected faults).
import type { IncomingHttpHeaders } from 'node:http';
import { CallStore } from './callStore.js';
import { emptyFaultCounts, type FaultCounts } from './faults.js';
import { defaultOptions, mergeOptions, type HttpFault, type Outcome, type SimulatorOptions, type SimulatorOptionsInput } from './options.js';
import { Playback, type LostWebhook, type WebhookRecord } from './playback.js';
import { createRng, type Rng } from './rng.js';
import { Scheduler } from './scheduler.js';
import { WebhookSender } from './webhookSender.js';

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
  attemptForNumber: number;
  /** What the simulator decided will happen (the project derives its own outcome from endedReason). */
  outcome: Outcome;
  endedReason: string;
  concurrencyBlocked: boolean;
  /** Set when the HTTP answer was withheld (timeout) or the connection reset after creating the call. */
  fault?: 'timeout' | 'reset';
};

/** Separate streams, so e.g. turning a fault rate on does not change which outcomes are drawn. */
type Streams = { outcomes: Rng; faults: Rng; timing: Rng; webhooks: Rng };

function streams(seed: number): Streams {
  return {
    outcomes: createRng(seed),
    faults: createRng(seed ^ 0x9e3779b9),
    timing: createRng(seed ^ 0x85ebca6b),
    webhooks: createRng(seed ^ 0xc2b2ae35),
  };
}

export class SimulatorState {
  options: SimulatorOptions;
  rng: Streams;
  readonly store = new CallStore();
  readonly requests: RecordedRequest[] = [];
  readonly dials: Dial[] = [];
  readonly webhooksSent: WebhookRecord[] = [];
  readonly webhooksLost: LostWebhook[] = [];
  readonly faultCounts: FaultCounts = emptyFaultCounts();
  readonly scheduler: Scheduler;
  readonly sender: WebhookSender;
  readonly playback: Playback;

  constructor(input: SimulatorOptionsInput) {
    this.options = mergeOptions(defaultOptions, input);
    this.rng = streams(this.options.seed);
    this.scheduler = new Scheduler(() => this.store.allEnded());
    this.sender = new WebhookSender(this.scheduler.signal);
    const state = this;
    this.playback = new Playback({
      options: () => this.options,
      // Getters: configure({ seed }) replaces the streams.
      get rng() {
        return state.rng.timing;
      },
      get webhookRng() {
        return state.rng.webhooks;
      },
      scheduler: this.scheduler,
      sender: this.sender,
      counts: this.faultCounts,
      webhooksSent: this.webhooksSent,
      webhooksLost: this.webhooksLost,
      onEnded: (call) => this.store.ended(call.id),
    });
  }

  configure(update: SimulatorOptionsInput): void {
    this.options = mergeOptions(this.options, update);
    if (update.seed !== undefined) this.rng = streams(update.seed);
  }

  concurrencyLimitFor(apiKey: string): number {
    return this.options.concurrencyLimits?.[apiKey] ?? this.options.concurrencyLimit;
  }

  isValidKey(apiKey: string | undefined): apiKey is string {
    if (!apiKey) return false;
    return this.options.apiKeys === undefined || this.options.apiKeys.includes(apiKey);
  }
}
