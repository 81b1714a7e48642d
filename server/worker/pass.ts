// One pass of the dialer, the same for the sleeping worker and for `npm run tick` /
// POST /v1/admin/tick: plan occurrences, claim and dial what is due (waiting for every POST to be
// answered), reconcile what is stale, claim again (reconciliation may release calls), then read
// when the next wake-up is. Two passes at once, in one process or many, never dial a call twice:
// claim_calls is atomic and begin_dial lets one of them POST a given row.
import { claimCalls, nextWakeAt, planOccurrences } from '../../db/queries/dispatch.js';
import { dialCall, type DialDeps } from './dialCall.js';
import { reconcile, type ReconcileSummary } from './reconcile.js';
import type { PassRequest } from './lifecycle.js';

export type PassResult = {
  planned: number;
  dialed: number;
  /** Calls the reconciliation sweep settled or moved on (null: no sweep in this pass). */
  reconciled: number | null;
  reconcile: ReconcileSummary | null;
  nextWakeAt: Date | null;
  ms: number;
};

/**
 * Claims and dials until nothing is claimable. Claims are pipelined with dialing: the next batch
 * is claimed as soon as the current one is under way, at most `concurrency` POSTs in flight.
 */
export async function dispatchDue(deps: DialDeps, stopping: () => boolean = () => false): Promise<number> {
  const { pool, clock, settings, log } = deps;
  let dialed = 0;
  const inFlight = new Set<Promise<void>>();
  for (;;) {
    const claimed = await claimCalls(pool, clock.now(), settings.batchSize, settings.leaseSeconds);
    for (const claim of claimed) {
      while (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
      const dial: Promise<void> = dialCall(deps, claim)
        .then((outcome) => {
          if (outcome === 'dialed') dialed++;
        })
        // The claim stays 'dialing' until its lease ends; reconciliation settles it.
        .catch((error) => log.error('dial.failed', { callId: claim.call_id, error }))
        .finally(() => inFlight.delete(dial));
      inFlight.add(dial);
    }
    // A short claim means nothing else is claimable now (tenants another process is claiming are
    // served by it); what becomes claimable later wakes us again.
    if (claimed.length < settings.batchSize || stopping()) break;
  }
  await Promise.all(inFlight);
  return dialed;
}

export async function runPass(deps: DialDeps, request: PassRequest, stopping: () => boolean = () => false): Promise<PassResult> {
  const started = Date.now();
  const planned = request.plan ? await planOccurrences(deps.pool, deps.clock.now()) : 0;
  let dialed = await dispatchDue(deps, stopping);
  let summary: ReconcileSummary | null = null;
  if (request.reconcile && !stopping()) {
    summary = await reconcile(deps);
    dialed += await dispatchDue(deps, stopping); // released by reconciliation: due now
  }
  const next = await nextWakeAt(deps.pool, deps.clock.now());
  return {
    planned,
    dialed,
    reconciled: summary ? summary.ended + summary.advanced + summary.released + summary.found : null,
    reconcile: summary,
    nextWakeAt: next,
    ms: Date.now() - started,
  };
}
