// The reconciliation sweep: calls whose VAPI lookup has come (calls.check_at: a live call a
// minute after its last news, an ended call still missing its report) and claims that lapsed (a
// crash between claim and answer) are settled from what VAPI says (GET /call/{id}). What an
// answer means is decided in SQL (note_lookup, note_call_details, apply_call_result).
import { advanceCallStatus, callsToReconcile, releaseCall, type CallToReconcile } from '../../db/queries/dispatch.js';
import { recordCallDetails } from '../../db/queries/callResults.js';
import { applyCallObjectOptOut, endCall, noteCallDetails, noteLookup } from '../../db/queries/callEnd.js';
import { callObjectDetailsOf } from '../vapi/callDetails.js';
import type { VapiCall } from '../vapi/types.js';
import type { Logger } from '../log.js';
import { resolveDialedOrNot, wallTimeOf, type DialDeps } from './dialCall.js';
import { TenantNotConfigured } from './tenantClients.js';

export type ReconcileSummary = {
  examined: number;
  ended: number;
  advanced: number;
  released: number;
  found: number;
  unresolved: number;
  /** Ended calls whose missing details were read from VAPI. */
  details: number;
  /** Live calls ended as failed because no lookup could settle them (note_lookup). */
  givenUp: number;
};

/** VAPI statuses of a call VAPI no longer has (Call.status). */
const GONE = new Set(['not-found', 'deletion-failed']);

/**
 * An ended Call read from VAPI carries its details once VAPI has post-processed it: `artifact`
 * or `analysis` present. Without either, they may still come (looked up again, with backoff).
 */
const hasDetails = (call: VapiCall) => call.artifact !== undefined || call.analysis !== undefined;

type Deps = Pick<DialDeps, 'pool' | 'clock' | 'settings'> & { log: Logger };

/**
 * An opt-out in the Call (its report was lost): as the receiver does, the number is listed before
 * the result is applied and once more after it, to cancel a retry the result created.
 */
async function optOutOf(deps: Deps, callId: string, call: VapiCall): Promise<void> {
  if (!hasDetails(call)) return;
  const opted = await applyCallObjectOptOut(deps.pool, callId, call, deps.clock.now());
  if (opted.reason !== null && (opted.added || (opted.cancelledCalls ?? 0) > 0)) {
    deps.log.info('reconcile.opt_out', { callId, reason: opted.reason, added: opted.added, cancelledCalls: opted.cancelledCalls });
  }
}

/** Applies an ended VAPI Call object to our row: opt-out, details, result, and where the details stand. */
async function applyEndedCall(deps: Deps, callId: string, tenantId: string, call: VapiCall): Promise<void> {
  const details = callObjectDetailsOf(call);
  await optOutOf(deps, callId, call);
  const end = await endCall(deps.pool, callId, {
    endedReason: details.endedReason,
    endedAt: details.endedAt ? new Date(details.endedAt) : deps.clock.now(),
  });
  if (end.endedClass === 'account') deps.log.warn('vapi.account_problem', { tenantId, callId, endedReason: details.endedReason });
  if (end.nextCallId !== null) await optOutOf(deps, callId, call);
  await recordCallDetails(deps.pool, callId, details, {
    state: hasDetails(call) ? 'received' : 'missing',
    recheckAfterSeconds: deps.settings.reconcileAfterSeconds,
    at: deps.clock.now(),
  });
}

/** Applies a VAPI Call object to our row: details and result when ended, else its status. */
export async function applyVapiCall(deps: Deps, callId: string, tenantId: string, call: VapiCall): Promise<'ended' | 'advanced' | 'unchanged'> {
  if (call.status === 'ended') {
    await applyEndedCall(deps, callId, tenantId, call);
    return 'ended';
  }
  const moved = Boolean(call.status && (await advanceCallStatus(deps.pool, callId, call.status, deps.clock.now())));
  if (!moved) await noteLookup(deps.pool, callId, 'live', null, deps.clock.now());
  return moved ? 'advanced' : 'unchanged';
}

async function lookUpLive(deps: DialDeps, row: CallToReconcile & { vapi_call_id: string }, summary: ReconcileSummary): Promise<void> {
  const now = deps.clock.now();
  const tenant = await deps.tenants.get(deps.pool, row.tenant_id);
  let call: VapiCall | null;
  try {
    call = await tenant.client.getCall(row.vapi_call_id);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (row.status === 'ended') await noteCallDetails(deps.pool, row.call_id, 'missing', deps.settings.reconcileAfterSeconds, now);
    else if ((await noteLookup(deps.pool, row.call_id, 'unresolved', message, now)) === 'ended') summary.givenUp++;
    deps.log.warn('reconcile.lookup_failed', { callId: row.call_id, vapiCallId: row.vapi_call_id, error: message });
    summary.unresolved++;
    return;
  }

  if (row.status === 'ended') {
    // Only the details are missing.
    if (call?.status === 'ended' && hasDetails(call)) {
      await optOutOf(deps, row.call_id, call);
      await recordCallDetails(deps.pool, row.call_id, callObjectDetailsOf(call), { state: 'received', recheckAfterSeconds: deps.settings.reconcileAfterSeconds, at: now });
      summary.details++;
    } else {
      await noteCallDetails(deps.pool, row.call_id, 'missing', deps.settings.reconcileAfterSeconds, now);
      summary.unresolved++;
    }
    return;
  }

  if (!call || (call.status && GONE.has(call.status))) {
    const status = call?.status ?? 'not-found (HTTP 404)';
    const noted = await noteLookup(deps.pool, row.call_id, 'gone', call?.status ?? 'not-found', now);
    deps.log.warn('reconcile.vapi_unknown_call', { callId: row.call_id, vapiCallId: row.vapi_call_id, status, endedNow: noted === 'ended' });
    if (noted === 'ended') summary.givenUp++;
    else summary.unresolved++;
    return;
  }
  const applied = await applyVapiCall(deps, row.call_id, row.tenant_id, call);
  if (applied === 'ended') summary.ended++;
  else if (applied === 'advanced') summary.advanced++;
}

async function reconcileOne(deps: DialDeps, row: CallToReconcile, summary: ReconcileSummary): Promise<void> {
  const now = deps.clock.now();
  if (row.vapi_call_id) return lookUpLive(deps, { ...row, vapi_call_id: row.vapi_call_id }, summary);
  if (row.status !== 'dialing') return;
  if (!row.dial_started_at) {
    // Claimed, never sent: nobody dialed it.
    await releaseCall(deps.pool, row.call_id, now, 'claim expired before dialing');
    summary.released++;
    return;
  }
  const outcome = await resolveDialedOrNot(
    deps,
    { callId: row.call_id, tenantId: row.tenant_id, phone: row.phone, phoneNumberId: row.phone_number_id },
    wallTimeOf(deps.clock, new Date(row.dial_started_at)),
    'claim expired mid-dial',
  );
  if (outcome === 'dialed') summary.found++;
  else if (outcome === 'released') summary.released++;
  else summary.unresolved++;
}

export async function reconcile(deps: DialDeps): Promise<ReconcileSummary> {
  const rows = await callsToReconcile(deps.pool, deps.clock.now());
  const summary: ReconcileSummary = { examined: rows.length, ended: 0, advanced: 0, released: 0, found: 0, unresolved: 0, details: 0, givenUp: 0 };
  for (const row of rows) {
    try {
      await reconcileOne(deps, row, summary);
    } catch (error) {
      summary.unresolved++;
      // The lookup was due and failed before it was noted: look again in a minute, not at every sweep.
      await noteFailure(deps, row, error).catch(() => {});
      if (error instanceof TenantNotConfigured) deps.log.warn('reconcile.tenant_not_configured', { callId: row.call_id });
      else deps.log.error('reconcile.failed', { callId: row.call_id, error });
    }
  }
  if (rows.length > 0) deps.log.info('reconcile.done', summary);
  return summary;
}

async function noteFailure(deps: DialDeps, row: CallToReconcile, error: unknown): Promise<void> {
  if (!row.vapi_call_id) return;
  const now = deps.clock.now();
  if (row.status === 'ended') await noteCallDetails(deps.pool, row.call_id, 'missing', deps.settings.reconcileAfterSeconds, now);
  else await noteLookup(deps.pool, row.call_id, 'unresolved', error instanceof Error ? error.message : String(error), now);
}
