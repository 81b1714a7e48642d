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
  /** server.timeoutSeconds of every call (VAPI_SERVER_TIMEOUT_SECONDS). */
  serverTimeoutSeconds: number;
  /** Forward deliveries (forwardDeliveries.ts): claimed per round, in flight at once, timeout of one POST. */
  forwardBatchSize: number;
  forwardConcurrency: number;
  forwardTimeoutMs: number;
  /** Retry delay after a failed delivery: base × 2^(attempt−1), at most max; given up this long after it was queued. */
  forwardRetryBaseMs: number;
  forwardRetryMaxMs: number;
  forwardGiveUpAfterMs: number;
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
  serverTimeoutSeconds: 20,
  forwardBatchSize: 20,
  forwardConcurrency: 10,
  forwardTimeoutMs: 10_000,
  forwardRetryBaseMs: 5_000,
  forwardRetryMaxMs: 5 * 60_000,
  forwardGiveUpAfterMs: 24 * 60 * 60_000,
};
