// The simulated calls of every account: creation, lookup, VAPI's list filters, and how many
// calls each account has live at once (the figure concurrency tests assert on).
import type { VapiCall } from './callObjects.js';
import { withinBounds, type ListCallsQuery } from './validation.js';

type Entry = { call: VapiCall; apiKey: string; createdMs: number; live: boolean; ended: boolean };

export class CallStore {
  /** Call objects by id, in creation order; values are the live objects (GET answers copies). */
  readonly calls = new Map<string, VapiCall>();
  private readonly entries = new Map<string, Entry>();
  private readonly liveByKey = new Map<string, number>();
  private readonly maxByKey = new Map<string, number>();
  private readonly dialsByNumber = new Map<string, number>();
  private notEnded = 0;

  /** Calls occupying a concurrency slot now, for one key or for all. */
  liveCount(apiKey?: string): number {
    if (apiKey === undefined) return [...this.liveByKey.values()].reduce((sum, n) => sum + n, 0);
    return this.liveByKey.get(apiKey) ?? 0;
  }

  /** Highest number of simultaneously live calls seen for one key, or for the busiest key. */
  maxConcurrent(apiKey?: string): number {
    if (apiKey !== undefined) return this.maxByKey.get(apiKey) ?? 0;
    return Math.max(0, ...this.maxByKey.values());
  }

  /** How many calls to this number were created so far. */
  callsTo(number: string): number {
    return this.dialsByNumber.get(number) ?? 0;
  }

  /** Adds a call; `live` = it occupies a concurrency slot until it ends. */
  add(call: VapiCall, apiKey: string, createdMs: number, live: boolean): void {
    this.calls.set(call.id, call);
    this.dialsByNumber.set(call.customer.number, this.callsTo(call.customer.number) + 1);
    this.entries.set(call.id, { call, apiKey, createdMs, live, ended: false });
    this.notEnded += 1;
    if (!live) return;
    const count = this.liveCount(apiKey) + 1;
    this.liveByKey.set(apiKey, count);
    this.maxByKey.set(apiKey, Math.max(count, this.maxByKey.get(apiKey) ?? 0));
  }

  /** Marks the call ended (once) and frees its concurrency slot. */
  ended(callId: string): void {
    const entry = this.entries.get(callId);
    if (!entry || entry.ended) return;
    entry.ended = true;
    this.notEnded -= 1;
    if (!entry.live) return;
    entry.live = false;
    this.liveByKey.set(entry.apiKey, this.liveCount(entry.apiKey) - 1);
  }

  allEnded(): boolean {
    return this.notEnded === 0;
  }

  /** A copy of the call as its account sees it, unless it is still inside the not-found window. */
  find(apiKey: string, id: string, now: number, notFoundWindowMs: number): VapiCall | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.apiKey !== apiKey || now - entry.createdMs < notFoundWindowMs) return undefined;
    return structuredClone(entry.call);
  }

  /** GET /call: newest first, VAPI's filters, at most `limit`. */
  list(apiKey: string, query: ListCallsQuery, now: number, notFoundWindowMs: number): VapiCall[] {
    const found: VapiCall[] = [];
    const newestFirst = [...this.entries.values()].reverse();
    for (const entry of newestFirst) {
      if (found.length >= query.limit) break;
      const call = entry.call;
      if (entry.apiKey !== apiKey || now - entry.createdMs < notFoundWindowMs) continue;
      if (query.id !== undefined && call.id !== query.id) continue;
      if (query.assistantId !== undefined && call.assistantId !== query.assistantId) continue;
      if (query.phoneNumberId !== undefined && call.phoneNumberId !== query.phoneNumberId) continue;
      if (!withinBounds(Date.parse(call.createdAt), query.createdAt)) continue;
      if (!withinBounds(Date.parse(call.updatedAt), query.updatedAt)) continue;
      found.push(structuredClone(call));
    }
    return found;
  }
}
