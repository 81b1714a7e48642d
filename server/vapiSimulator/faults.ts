// Decides which injected fault (if any) hits a request, and counts every fault injected so
// tests and benchmarks can compare what the project saw with what was thrown at it.
import type { FaultOptions, HttpFault } from './options.js';
import type { Rng } from './rng.js';

export type FaultCounts = {
  http429: number;
  http500: number;
  http503: number;
  timeout: number;
  reset: number;
  timeoutBeforeCreate: number;
  resetBeforeCreate: number;
  webhookLost: number;
  webhookDuplicated: number;
  webhookReordered: number;
  concurrencyRejected: number;
  concurrencyBlocked: number;
};

export function emptyFaultCounts(): FaultCounts {
  return {
    http429: 0,
    http500: 0,
    http503: 0,
    timeout: 0,
    reset: 0,
    timeoutBeforeCreate: 0,
    resetBeforeCreate: 0,
    webhookLost: 0,
    webhookDuplicated: 0,
    webhookReordered: 0,
    concurrencyRejected: 0,
    concurrencyBlocked: 0,
  };
}

/** The fault for one request: the queued ones first (POST /call only), then the rates. */
export function pickHttpFault(faults: FaultOptions, rng: Rng, isCreate: boolean): HttpFault | undefined {
  if (isCreate) {
    const queued = faults.nextResponses.shift();
    if (queued) return queued;
  } else if (faults.scope !== 'all') {
    return undefined;
  }
  if (rng.chance(faults.rate429)) return '429';
  if (rng.chance(faults.rate500)) return '500';
  if (!isCreate) return undefined;
  if (rng.chance(faults.timeoutAfterCreate)) return 'timeout';
  if (rng.chance(faults.resetAfterCreate)) return 'reset';
  if (rng.chance(faults.timeoutBeforeCreate)) return 'timeout-before-create';
  if (rng.chance(faults.resetBeforeCreate)) return 'reset-before-create';
  return undefined;
}

export function countHttpFault(counts: FaultCounts, fault: HttpFault): void {
  const key = (
    {
      '429': 'http429',
      '500': 'http500',
      '503': 'http503',
      timeout: 'timeout',
      reset: 'reset',
      'timeout-before-create': 'timeoutBeforeCreate',
      'reset-before-create': 'resetBeforeCreate',
    } as const
  )[fault];
  counts[key] += 1;
}

/** True when the request creates the call: no fault, or the faults that hit after creation. */
export function createsCall(fault: HttpFault | undefined): boolean {
  return fault === undefined || fault === 'timeout' || fault === 'reset';
}
