// The worker's tuning knobs, with the defaults production uses. Tests shorten the delays.
export type WorkerSettings = {
  /** Calls claimed per claim_calls round. */
  batchSize: number;
  /** VAPI requests in flight at once per worker process. */
  concurrency: number;
  /** How long a claim is ours; past it, reconciliation resolves the call. */
  leaseSeconds: number;
  /** An ended call whose report has not come this long after its end is read from VAPI (RECONCILE_AFTER_SECONDS); live calls: pgdialer.live_check_seconds. */
  reconcileAfterSeconds: number;
  /** Timeout of one VAPI request; a POST that exceeds it is "ambiguous". */
  requestTimeoutMs: number;
  /** Delay before a call is offered again after VAPI said "later" without Retry-After (429/5xx, refused). */
  retryDelayMs: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs: number;
  /** Delay before a call refused for concurrency is offered again. */
  concurrencyRetryDelayMs: number;
  /** Wait before looking up an ambiguous POST on VAPI, so a slow VAPI has created the call. */
  ambiguousLookupDelayMs: number;
  /** Clock skew allowed between us and VAPI when listing calls by createdAt. */
  lookupMarginMs: number;
  /** Sleep only when the next wake-up is at least this far away. */
  minSleepMs: number;
};

export const defaultWorkerSettings: WorkerSettings = {
  batchSize: 100,
  concurrency: 50,
  leaseSeconds: 300,
  reconcileAfterSeconds: 600,
  requestTimeoutMs: 15_000,
  retryDelayMs: 30_000,
  maxRetryAfterMs: 15 * 60_000,
  concurrencyRetryDelayMs: 10_000,
  ambiguousLookupDelayMs: 2_000,
  lookupMarginMs: 60_000,
  minSleepMs: 2_000,
};
