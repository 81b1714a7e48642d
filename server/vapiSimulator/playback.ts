// Plays one call in real time: status-update queued → ringing → in-progress → ended, then the
// end-of-call-report, each posted to the call's server URL. Webhooks of one call are delivered
// one after the other (in the order VAPI would send them, unless a fault reorders them); lost
// and duplicated webhooks are decided here.
import { endCall, type VapiCall } from './callObjects.js';
import type { FaultCounts } from './faults.js';
import { notify, type SimulatorOptions } from './options.js';
import { pathOf } from './outcomes.js';
import type { Rng } from './rng.js';
import type { Scheduler } from './scheduler.js';
import type { WebhookSender } from './webhookSender.js';
import type { ScriptedRequest } from './requestMessages.js';

export type CallPlan = {
  endedReason: string;
  /** How long the call stays in its last live status (ringing for unanswered calls, in-progress otherwise). */
  durationMs?: number;
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
};

export type LostWebhook = { at: number; type: string; status?: string; callId: string };

type Dependencies = {
  options: () => SimulatorOptions;
  scheduler: Scheduler;
  sender: WebhookSender;
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

export class Playback {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly rngs = new Map<string, CallRngs>();

  constructor(private readonly deps: Dependencies) {}

  start(call: VapiCall, plan: CallPlan, rngs: CallRngs): void {
    this.rngs.set(call.id, rngs);
    const { scheduler } = this.deps;
    const rng = rngs.timing;
    const timing = this.deps.options().timing;
    const path = pathOf(plan.endedReason);
    this.statusUpdate(call);

    const end = () => this.end(call, plan.endedReason);
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
        this.deps.onInProgress?.(call, plan);
        scheduler.after(plan.durationMs ?? rng.millis(timing.talkMs), end);
      });
    });
  }

  private setStatus(call: VapiCall, status: VapiCall['status']): void {
    call.status = status;
    call.updatedAt = new Date().toISOString();
    this.statusUpdate(call);
  }

  private end(call: VapiCall, endedReason: string): void {
    endCall(call, endedReason, Date.now());
    this.deps.onEnded(call);
    const { options, scheduler, counts } = this.deps;
    const reportDelay = this.rngs.get(call.id)!.timing.millis(options().timing.reportDelayMs);
    const [first, last] = options().webhookFaults.reorder
      ? [() => this.endOfCallReport(call), () => this.statusUpdate(call)]
      : [() => this.statusUpdate(call), () => this.endOfCallReport(call)];
    if (options().webhookFaults.reorder) counts.webhookReordered += 1;
    first();
    scheduler.after(reportDelay, () => {
      last();
      this.rngs.delete(call.id);
    });
  }

  private statusUpdate(call: VapiCall): void {
    this.emit(call, 'status-update', {
      status: call.status,
      ...(call.status === 'ended' ? { endedReason: call.endedReason } : {}),
    });
  }

  private endOfCallReport(call: VapiCall): void {
    const durationMs = call.startedAt && call.endedAt ? Date.parse(call.endedAt) - Date.parse(call.startedAt) : undefined;
    this.emit(call, 'end-of-call-report', {
      endedReason: call.endedReason,
      artifact: call.artifact ?? { transcript: '', messages: [] },
      analysis: call.analysis ?? { summary: '', successEvaluation: 'false' },
      cost: call.cost,
      costs: call.costs ?? [],
      costBreakdown: call.costBreakdown,
      ...(call.startedAt ? { startedAt: call.startedAt } : {}),
      endedAt: call.endedAt,
      ...(durationMs !== undefined ? { durationMs, durationSeconds: durationMs / 1000, durationMinutes: durationMs / 60_000 } : {}),
    });
  }

  /** Builds the message now (a snapshot of the call) and queues its delivery behind the call's earlier webhooks. */
  private emit(call: VapiCall, type: string, fields: Record<string, unknown>): void {
    try {
      this.queueWebhook(call, type, fields);
    } catch (error) {
      // e.g. a throwing lose() callback: report it, and let the call play on.
      notify(this.deps.options(), 'error', { message: (error as Error)?.message, callId: call.id, type });
    }
  }

  private queueWebhook(call: VapiCall, type: string, fields: Record<string, unknown>): void {
    const options = this.deps.options();
    const target = webhookTarget(call, options);
    if (!target) return;
    const allowed = call.assistantOverrides?.serverMessages;
    if (Array.isArray(allowed) && !allowed.includes(type)) return;

    const now = Date.now();
    const status = typeof fields.status === 'string' ? fields.status : undefined;
    const { webhookFaults } = options;
    const { counts } = this.deps;
    const rng = this.rngs.get(call.id)!.webhooks;
    const lost = webhookFaults.lose ? webhookFaults.lose(type, call.id) : rng.chance(webhookFaults.loseRate);
    if (lost) {
      counts.webhookLost += 1;
      this.deps.webhooksLost.push({ at: now, type, callId: call.id, ...(status ? { status } : {}) });
      return;
    }
    const duplicated = rng.chance(webhookFaults.duplicateRate);
    if (duplicated) counts.webhookDuplicated += 1;

    const message = {
      type,
      timestamp: options.timestampFormat === 'iso' ? new Date(now).toISOString() : now,
      ...fields,
      call,
      customer: call.customer,
      phoneNumber: { id: call.phoneNumberId },
    };
    // Serialised now: the body is a snapshot of the call at this moment.
    const raw = JSON.stringify({ message });
    const deliver = async (duplicate: boolean) => {
      const at = Date.now();
      const result = await this.deps.sender.send({
        url: target.url,
        headers: target.headers,
        body: raw,
        timeoutMs: target.timeoutMs,
        ...(options.hmacSecret ? { hmacSecret: options.hmacSecret } : {}),
      });
      this.deps.webhooksSent.push({
        at,
        url: target.url,
        type,
        ...(status ? { status } : {}),
        callId: call.id,
        ...result,
        ...(duplicate ? { duplicate: true } : {}),
        ...(options.recordBodies ? { raw } : {}),
      });
      notify(options, 'webhook', { type, status, callId: call.id, responseStatus: result.responseStatus, error: result.error, duplicate });
    };
    const previous = this.chains.get(call.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.deps.scheduler.isClosed) return;
      await deliver(false);
      if (duplicated && !this.deps.scheduler.isClosed) await deliver(true);
    }).catch((error: unknown) => notify(options, 'error', { message: (error as Error)?.message, callId: call.id }));
    this.chains.set(call.id, next);
    this.deps.scheduler.track(next);
    void next.finally(() => {
      if (this.chains.get(call.id) === next) this.chains.delete(call.id);
    });
  }
}

type ServerSetting = { url?: unknown; headers?: unknown; timeoutSeconds?: unknown };

/**
 * Where VAPI would post: the option override, else the per-call server, else the inline
 * assistant's server (not validated on create, hence the type checks).
 */
export function webhookTarget(call: VapiCall, options: SimulatorOptions) {
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
  return { url, headers, timeoutMs: seconds * 1000 };
}
