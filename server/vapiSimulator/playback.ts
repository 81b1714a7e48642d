// Plays one call in real time: status-update queued → ringing → in-progress (→ forwarding) →
// ended, the per-turn speech-update and conversation-update while it talks, then the
// end-of-call-report, each posted to the call's server URL. Every message is typed with
// @vapi-ai/server-sdk's ServerMessage* types and carries `call` as it was when created (status
// queued, cost 0), as VAPI does. Webhooks of one call are delivered one after the other (in the
// order VAPI would send them, unless a fault reorders them); lost and duplicated webhooks are
// decided here. Request-response messages (tool-calls, transfer-destination-request) can use
// `request()`, which resolves with the server's answer.
import type { Vapi } from '@vapi-ai/server-sdk';
import { artifactMessages, conversationOf, endCall, type VapiCall } from './callObjects.js';
import type { CredentialStore } from './credentials.js';
import { addStructuredData, toolCallsFields } from './inCallEvents.js';
import type { FaultCounts } from './faults.js';
import { DEFAULT_SERVER_MESSAGES, notify, type SimulatorOptions, type WebhookCredentialPlan } from './options.js';
import { pathOf } from './outcomes.js';
import type { Rng } from './rng.js';
import type { Scheduler } from './scheduler.js';
import type { WebhookSender } from './webhookSender.js';
import type { ScriptedRequest } from './requestMessages.js';

export type CallPlan = {
  endedReason: string;
  /** How long the call stays in its last live status (ringing for unanswered calls, in-progress otherwise). */
  durationMs?: number;
  /** VAPI loses the call after queued: it reads this status from then on, nothing else is sent. */
  lostAs?: 'not-found' | 'deletion-failed';
  /** Tools the assistant calls half-way through the talk (inCallEvents.ts). */
  toolCalls?: readonly string[];
  /** The report's analysis.structuredData. */
  structuredData?: Record<string, unknown>;
  /** Request messages (tool calls, transfers) played during the call (requestMessages.ts). */
  requests?: readonly ScriptedRequest[];
};

export type WebhookRecord = {
  /** When the delivery started (ms epoch). */
  at: number;
  url: string;
  type: string;
  /** message.status for status-updates. */
  status?: string;
  callId: string;
  /** The receiver's HTTP status; null when the delivery failed (timeout, refused, aborted). */
  responseStatus: number | null;
  error?: string;
  durationMs: number;
  /** True for the extra copy of a duplicated webhook. */
  duplicate?: boolean;
  /** The JSON body exactly as sent (JSON.parse it to inspect); absent when recordBodies is false. */
  raw?: string;
  /** The receiver's answer (first 64 KB); absent when recordBodies is false. */
  responseBody?: string;
};

export type LostWebhook = { at: number; type: string; status?: string; callId: string };

type Dependencies = {
  options: () => SimulatorOptions;
  scheduler: Scheduler;
  sender: WebhookSender;
  credentials: CredentialStore;
  counts: FaultCounts;
  webhooksSent: WebhookRecord[];
  webhooksLost: LostWebhook[];
  onEnded: (call: VapiCall) => void;
  /** The call is answered: its scripted request messages start (requestMessages.ts). */
  onInProgress?: (call: VapiCall, plan: CallPlan) => void;
};

/**
 * Each call draws its durations and webhook faults from streams of its own (seeded from the
 * simulator's seed and the call's rank), so a seed replays the same faults on the same calls
 * however the timers of concurrent calls interleave.
 */
export type CallRngs = { timing: Rng; webhooks: Rng };

/** What every message of a call shares (the creation-time Call, customer, phone number). */
type Envelope = Pick<Vapi.ServerMessageStatusUpdate, 'call' | 'customer' | 'timestamp'> & { phoneNumber: { id: string } };

type PlayingCall = { rngs: CallRngs; apiKey: string; created: VapiCall };

export class Playback {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly playing = new Map<string, PlayingCall>();
  private readonly talkListeners: Array<(call: VapiCall, talkMs: number) => void> = [];

  constructor(private readonly deps: Dependencies) {}

  start(call: VapiCall, plan: CallPlan, rngs: CallRngs, apiKey: string): void {
    // `message.call` is this snapshot in every webhook: VAPI sends the Call as it was when created.
    this.playing.set(call.id, { rngs, apiKey, created: structuredClone(call) });
    const { scheduler } = this.deps;
    const rng = rngs.timing;
    const timing = this.deps.options().timing;
    const path = pathOf(plan.endedReason);
    this.statusUpdate(call);

    if (plan.lostAs) {
      const lostAs = plan.lostAs;
      scheduler.after(rng.millis(timing.queuedMs), () => {
        call.status = lostAs;
        call.updatedAt = new Date().toISOString();
        this.deps.onEnded(call);
        this.playing.delete(call.id);
      });
      return;
    }
    const end = () => this.end(call, plan.endedReason, plan.structuredData);
    if (path === 'setup-failure' || path === 'not-connected') {
      scheduler.after(rng.millis(timing.queuedMs), end);
      return;
    }
    scheduler.after(rng.millis(timing.queuedMs), () => {
      this.setStatus(call, 'ringing');
      if (path === 'rang') {
        scheduler.after(plan.durationMs ?? rng.millis(timing.ringingMs), end);
        return;
      }
      scheduler.after(rng.millis(timing.ringingMs), () => {
        call.startedAt = new Date().toISOString();
        this.setStatus(call, 'in-progress');
        const talkMs = plan.durationMs ?? rng.millis(timing.talkMs);
        this.playTurns(call, plan.endedReason, talkMs);
        this.deps.onInProgress?.(call, plan);
        for (const name of plan.toolCalls ?? []) scheduler.after(talkMs / 2, () => this.emit(call, 'tool-calls', toolCallsFields(name)));
        for (const listener of this.talkListeners) {
          try {
            listener(call, talkMs);
          } catch (error) {
            notify(this.deps.options(), 'error', { message: (error as Error)?.message, callId: call.id });
          }
        }
        if (path === 'forwarded') {
          // The assistant hands the call on for the last fifth of it.
          scheduler.after(Math.floor(talkMs * 0.8), () => {
            this.setStatus(call, 'forwarding');
            scheduler.after(talkMs - Math.floor(talkMs * 0.8), end);
          });
          return;
        }
        scheduler.after(talkMs, end);
      });
    });
  }

  /**
   * The per-turn messages VAPI sends while a call talks (both in its default serverMessages):
   * speech-update started/stopped for each turn, then conversation-update with the history so far.
   */
  private playTurns(call: VapiCall, endedReason: string, talkMs: number): void {
    const turns = conversationOf(call, endedReason);
    const started = Date.parse(call.startedAt!);
    const slot = talkMs / (turns.length + 1);
    turns.forEach((turn, index) => {
      const role = turn.role === 'bot' ? 'assistant' : 'user';
      this.deps.scheduler.after(Math.floor(slot * index), () => {
        if (call.status === 'ended') return;
        this.emit(call, 'speech-update', { status: 'started', role, turn: index } satisfies Omit<Vapi.ServerMessageSpeechUpdate, 'type'>);
      });
      this.deps.scheduler.after(Math.floor(slot * (index + 1)), () => {
        if (call.status === 'ended') return;
        this.emit(call, 'speech-update', { status: 'stopped', role, turn: index } satisfies Omit<Vapi.ServerMessageSpeechUpdate, 'type'>);
        const messages = artifactMessages(turns, started, started + talkMs, index + 1);
        this.emit(call, 'conversation-update', {
          messages,
          messagesOpenAIFormatted: turns.slice(0, index + 1).map((t) => ({ role: t.role === 'bot' ? 'assistant' : 'user', content: t.message })),
        } satisfies Omit<Vapi.ServerMessageConversationUpdate, 'type'>);
      });
    });
  }

  private setStatus(call: VapiCall, status: VapiCall['status']): void {
    call.status = status;
    call.updatedAt = new Date().toISOString();
    this.statusUpdate(call);
  }

  private end(call: VapiCall, endedReason: string, structuredData: Record<string, unknown> | undefined): void {
    const { options, scheduler, counts } = this.deps;
    endCall(call, endedReason, Date.now(), { deprecatedFields: options().deprecatedFields });
    if (structuredData && call.startedAt) addStructuredData(call, structuredData);
    this.deps.onEnded(call);
    const reportDelay = this.playing.get(call.id)!.rngs.timing.millis(options().timing.reportDelayMs);
    const [first, last] = options().webhookFaults.reorder
      ? [() => this.endOfCallReport(call), () => this.statusUpdate(call)]
      : [() => this.statusUpdate(call), () => this.endOfCallReport(call)];
    if (options().webhookFaults.reorder) counts.webhookReordered += 1;
    first();
    scheduler.after(reportDelay, () => {
      last();
      this.playing.delete(call.id);
    });
  }

  private statusUpdate(call: VapiCall): void {
    this.emit(call, 'status-update', {
      status: call.status,
      ...(call.status === 'ended' ? { endedReason: call.endedReason } : {}),
      ...(call.status === 'forwarding' ? { messages: call.artifact?.messages ?? [] } : {}),
    } satisfies Omit<Vapi.ServerMessageStatusUpdate, 'type'>);
  }

  /** What VAPI's end-of-call-report carries: cost and costs[], no costBreakdown, no duration fields. */
  private endOfCallReport(call: VapiCall): void {
    const deprecated = this.deps.options().deprecatedFields;
    this.emit(call, 'end-of-call-report', {
      endedReason: call.endedReason!,
      artifact: call.artifact ?? { transcript: '', messages: [] },
      analysis: call.analysis ?? { summary: '', successEvaluation: 'false' },
      cost: call.cost,
      costs: call.costs ?? [],
      ...(call.startedAt ? { startedAt: call.startedAt } : {}),
      endedAt: call.endedAt,
      ...(deprecated && call.transcript ? { transcript: call.transcript, recordingUrl: call.recordingUrl, summary: call.summary } : {}),
    } satisfies Omit<Vapi.ServerMessageEndOfCallReport, 'type'> & Record<string, unknown>);
  }

  /** Builds the message now (a snapshot) and queues its delivery behind the call's earlier webhooks. */
  private emit(call: VapiCall, type: string, fields: Record<string, unknown>): void {
    try {
      this.queueWebhook(call, type, fields);
    } catch (error) {
      // e.g. a throwing lose() callback: report it, and let the call play on.
      notify(this.deps.options(), 'error', { message: (error as Error)?.message, callId: call.id, type });
    }
  }

  /**
   * Called when a call starts talking (in-progress), with how long it will talk: where a module
   * playing request-response messages schedules them (with `scheduler` and `request()`).
   */
  onTalk(listener: (call: VapiCall, talkMs: number) => void): void {
    this.talkListeners.push(listener);
  }

  /**
   * The hook for request-response messages (tool-calls, transfer-destination-request, …): sends
   * `type` with `fields` in the call's order and with its credential, and resolves with the
   * delivery record (responseStatus, responseBody), or undefined when nothing was sent (type
   * not in serverMessages, no URL, lost).
   */
  request(call: VapiCall, type: string, fields: Record<string, unknown>): Promise<WebhookRecord | undefined> {
    return new Promise((resolve) => {
      try {
        if (!this.queueWebhook(call, type, fields, resolve)) resolve(undefined);
      } catch (error) {
        notify(this.deps.options(), 'error', { message: (error as Error)?.message, callId: call.id, type });
        resolve(undefined);
      }
    });
  }

  private queueWebhook(call: VapiCall, type: string, fields: Record<string, unknown>, answered?: (record: WebhookRecord) => void): boolean {
    const options = this.deps.options();
    const playing = this.playing.get(call.id);
    const target = webhookTarget(call, options, (id) => (playing ? this.deps.credentials.find(playing.apiKey, id, options.credentials) : undefined));
    if (!target || !playing) return false;
    const allowed: readonly string[] = call.assistantOverrides?.serverMessages ?? DEFAULT_SERVER_MESSAGES;
    if (!allowed.includes(type)) return false;

    const now = Date.now();
    const status = typeof fields.status === 'string' ? fields.status : undefined;
    const { webhookFaults } = options;
    const { counts } = this.deps;
    const rng = playing.rngs.webhooks;
    const lost = webhookFaults.lose ? webhookFaults.lose(type, call.id) : rng.chance(webhookFaults.loseRate);
    if (lost) {
      counts.webhookLost += 1;
      this.deps.webhooksLost.push({ at: now, type, callId: call.id, ...(status ? { status } : {}) });
      return false;
    }
    const duplicated = rng.chance(webhookFaults.duplicateRate);
    if (duplicated) counts.webhookDuplicated += 1;

    const envelope: Envelope = {
      timestamp: (options.timestampFormat === 'iso' ? new Date(now).toISOString() : now) as number,
      call: playing.created,
      customer: call.customer,
      // VAPI sends the whole phone number object; its id is what a receiver needs.
      phoneNumber: { id: call.phoneNumberId },
    };
    const message = { type, timestamp: envelope.timestamp, ...fields, call: envelope.call, customer: envelope.customer, phoneNumber: envelope.phoneNumber };
    // Serialised now: the body is a snapshot at this moment.
    const raw = JSON.stringify({ message });
    const deliver = async (duplicate: boolean) => {
      const at = Date.now();
      const result = await this.deps.sender.send({
        url: target.url,
        headers: target.headers,
        body: raw,
        timeoutMs: target.timeoutMs,
        ...(target.credential ? { credential: target.credential } : {}),
      });
      const { responseBody, ...outcome } = result;
      const record: WebhookRecord = {
        at,
        url: target.url,
        type,
        ...(status ? { status } : {}),
        callId: call.id,
        ...outcome,
        ...(duplicate ? { duplicate: true } : {}),
        ...(options.recordBodies ? { raw, ...(responseBody !== undefined ? { responseBody } : {}) } : {}),
      };
      this.deps.webhooksSent.push(record);
      notify(options, 'webhook', { type, status, callId: call.id, responseStatus: result.responseStatus, error: result.error, duplicate });
      if (!duplicate) answered?.({ ...record, ...(responseBody !== undefined ? { responseBody } : {}) });
    };
    const previous = this.chains.get(call.id) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (this.deps.scheduler.isClosed) return;
        await deliver(false);
        if (duplicated && !this.deps.scheduler.isClosed) await deliver(true);
      })
      .catch((error: unknown) => notify(options, 'error', { message: (error as Error)?.message, callId: call.id }));
    this.chains.set(call.id, next);
    this.deps.scheduler.track(next);
    void next.finally(() => {
      if (this.chains.get(call.id) === next) this.chains.delete(call.id);
    });
    return true;
  }
}

type ServerSetting = { url?: unknown; headers?: unknown; timeoutSeconds?: unknown; credentialId?: unknown };

/**
 * Where VAPI would post, and how: the option override, else the per-call server, else the inline
 * assistant's server (not validated on create, hence the type checks); its headers as given, and
 * its credential (by credentialId) when it names one the account has.
 */
function webhookTarget(call: VapiCall, options: SimulatorOptions, credentialById: (id: string) => WebhookCredentialPlan | undefined) {
  if (!options.sendWebhooks) return undefined;
  const candidates = [call.assistantOverrides?.server, call.assistant?.server] as Array<ServerSetting | undefined>;
  const source = candidates.find((server) => typeof server?.url === 'string');
  const url = options.webhookUrl ?? (source?.url as string | undefined);
  if (!url) return undefined;
  const headers = Object.fromEntries(
    Object.entries(typeof source?.headers === 'object' && source.headers !== null ? source.headers : {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  const seconds = typeof source?.timeoutSeconds === 'number' && source.timeoutSeconds > 0 ? source.timeoutSeconds : 20;
  const credential = typeof source?.credentialId === 'string' ? credentialById(source.credentialId) : undefined;
  return { url, headers, timeoutMs: seconds * 1000, ...(credential ? { credential } : {}) };
}
