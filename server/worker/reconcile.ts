// The reconciliation sweep: calls that stayed non-terminal too long (a lost webhook) or whose
// claim lapsed (a crash between claim and answer) are settled from what VAPI says.
import { advanceCallStatus, applyCallResult, callsToReconcile, releaseCall, type CallToReconcile } from '../../db/queries/dispatch.js';
import { recordCallDetails } from '../../db/queries/callResults.js';
import { callObjectDetailsOf } from '../vapi/callDetails.js';
import type { VapiCall } from '../vapi/types.js';
import { resolveDialedOrNot, wallTimeOf, type DialDeps } from './dialCall.js';
import { TenantNotConfigured } from './tenantClients.js';

export type ReconcileSummary = { examined: number; ended: number; advanced: number; released: number; found: number; unresolved: number };

/** Applies a VAPI Call object to our row: details and result when ended, else its status. */
export async function applyVapiCall(deps: Pick<DialDeps, 'pool' | 'clock'>, callId: string, call: VapiCall): Promise<'ended' | 'advanced' | 'unchanged'> {
  if (call.status === 'ended') {
    const details = callObjectDetailsOf(call);
    await recordCallDetails(deps.pool, callId, details);
    await applyCallResult(deps.pool, callId, {
      endedReason: details.endedReason,
      endedAt: details.endedAt ? new Date(details.endedAt) : deps.clock.now(),
    });
    return 'ended';
  }
  if (call.status && (await advanceCallStatus(deps.pool, callId, call.status, deps.clock.now()))) return 'advanced';
  return 'unchanged';
}

async function reconcileOne(deps: DialDeps, row: CallToReconcile, summary: ReconcileSummary): Promise<void> {
  const now = deps.clock.now();
  if (row.vapi_call_id) {
    const tenant = await deps.tenants.get(deps.pool, row.tenant_id);
    const call = await tenant.client.getCall(row.vapi_call_id);
    if (!call) {
      deps.log.warn('reconcile.vapi_unknown_call', { callId: row.call_id, vapiCallId: row.vapi_call_id });
      summary.unresolved++;
      return;
    }
    const applied = await applyVapiCall(deps, row.call_id, call);
    if (applied === 'ended') summary.ended++;
    else if (applied === 'advanced') summary.advanced++;
    return;
  }
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
  const rows = await callsToReconcile(deps.pool, deps.clock.now(), deps.settings.reconcileAfterSeconds);
  const summary: ReconcileSummary = { examined: rows.length, ended: 0, advanced: 0, released: 0, found: 0, unresolved: 0 };
  for (const row of rows) {
    try {
      await reconcileOne(deps, row, summary);
    } catch (error) {
      summary.unresolved++;
      if (error instanceof TenantNotConfigured) deps.log.warn('reconcile.tenant_not_configured', { callId: row.call_id });
      else deps.log.error('reconcile.failed', { callId: row.call_id, error });
    }
  }
  if (rows.length > 0) deps.log.info('reconcile.done', summary);
  return summary;
}
