// Dials one claimed call: begin_dial, POST /call, then write back what happened (begin_dial and
// record_dialed travel in batches with the process's other dials, see dialSteps.ts). Each outcome
// of the POST has exactly one handling, and none of them sends the POST again: a call row is
// dialed at most once (a later attempt is a new row, or the same row only after proof that
// VAPI never created the call).
import type { DatabasePool } from 'slonik';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { applyCallResult, releaseCall, type ClaimedCall } from '../../db/queries/dispatch.js';
import { blockTenantVapi } from '../../db/queries/callEnd.js';
import { lowerVapiConcurrencyLimit, setVapiConcurrencyLimit } from '../../db/queries/tenantVapi.js';
import { createCallBody } from '../vapi/callBody.js';
import type { VapiCall } from '../vapi/types.js';
import { TenantNotConfigured, vapiSettingsOf, type TenantClients } from './tenantClients.js';
import { tenantVapiSettings } from '../../db/queries/tenantVapi.js';
import { lookUpDialedCall } from './lookup.js';
import type { WorkerSettings } from './settings.js';
import type { DialSteps } from './dialSteps.js';
import type { ForwardingCache } from './forwardingCache.js';
import { events } from '../events/bus.js';

export type DialDeps = {
  pool: DatabasePool;
  clock: Clock;
  log: Logger;
  tenants: TenantClients;
  publicUrl: string;
  settings: WorkerSettings;
  /** begin_dial and record_dialed, batched across this process's dials (createDialSteps). */
  steps: DialSteps;
  /** The concurrency limit last reported per tenant, to skip writing an unchanged value. */
  reportedLimits: Map<string, number>;
  /** Whether the call's messages are relayed (serverMessages of the body). */
  forwarding: ForwardingCache;
};

export type DialOutcome = 'dialed' | 'skipped' | 'released' | 'failed' | 'unresolved';

const later = (clock: Clock, ms: number) => new Date(clock.now().getTime() + ms);

/** An instant of the (possibly test) clock as wall-clock time, as VAPI stamps createdAt. */
export const wallTimeOf = (clock: Clock, instant: Date) => new Date(instant.getTime() - (clock.now().getTime() - Date.now()));

export async function recordCreated(deps: DialDeps, callId: string, tenantId: string, call: VapiCall): Promise<boolean> {
  const recorded = await deps.steps.recordDialed({ callId, vapiCallId: call.id, vapiStatus: call.status ?? null });
  const limits = call.subscriptionLimits;
  if (limits?.concurrencyBlocked) {
    // VAPI holds the call and will end it with the concurrency endedReason, which
    // apply_call_result retries; meanwhile dial no more than VAPI allows.
    const limit = await lowerVapiConcurrencyLimit(deps.pool, tenantId, typeof limits.concurrencyLimit === 'number' ? limits.concurrencyLimit : null);
    deps.log.warn('dial.concurrency_blocked', { callId, vapiCallId: call.id, limit });
    deps.reportedLimits.delete(tenantId);
  } else if (typeof limits?.concurrencyLimit === 'number' && deps.reportedLimits.get(tenantId) !== limits.concurrencyLimit) {
    await setVapiConcurrencyLimit(deps.pool, tenantId, limits.concurrencyLimit);
    deps.reportedLimits.set(tenantId, limits.concurrencyLimit);
  }
  if (!recorded) deps.log.warn('dial.record_refused', { callId, vapiCallId: call.id });
  return recorded;
}

export async function dialCall(deps: DialDeps, claim: ClaimedCall): Promise<DialOutcome> {
  const { pool, clock, log, settings } = deps;
  const callId = claim.call_id;
  let tenant;
  try {
    tenant = await deps.tenants.get(pool, claim.tenant_id);
  } catch (error) {
    if (!(error instanceof TenantNotConfigured)) throw error;
    if (error.accountProblem) {
      // No key: every call of the account would fail alike. Stopped until a key is set.
      const stopped = await blockTenantVapi(pool, claim.tenant_id, error.message, clock.now());
      await releaseCall(pool, callId, clock.now(), error.message);
      log.warn('vapi.account_problem', { tenantId: claim.tenant_id, callId, error: error.message, stoppedNow: stopped });
      return 'released';
    }
    await applyCallResult(pool, callId, { endedReason: null, endedAt: clock.now(), outcome: 'failed', error: error.message });
    log.warn('dial.tenant_not_configured', { callId, error: error.message });
    return 'failed';
  }

  const messages = await deps.forwarding.get(pool, claim.tenant_id, claim.campaign_id, callId);
  if (!(await deps.steps.beginDial(callId))) return 'skipped';
  const body = createCallBody(
    {
      callId,
      tenantId: claim.tenant_id,
      phone: claim.phone,
      name: claim.name,
      assistantId: claim.assistant_id,
      phoneNumberId: claim.phone_number_id,
      variables: claim.variables ?? {},
      ...(claim.voicemail_message ? { voicemailMessage: claim.voicemail_message } : {}),
    },
    deps.publicUrl,
    tenant.webhookAuth,
    { ...messages, serverTimeoutSeconds: settings.serverTimeoutSeconds },
  );
  const dialStartedWall = new Date();
  const result = await tenant.client.createCall(body);

  switch (result.kind) {
    case 'created':
      log.info('dial.sent', { callId, vapiCallId: result.call.id, campaignId: claim.campaign_id, attempt: claim.attempt });
      await recordCreated(deps, callId, claim.tenant_id, result.call);
      events.call(claim.tenant_id, callId, result.call.status ?? 'queued', claim.campaign_id);
      return 'dialed';
    case 'over_concurrency': {
      const limit = await lowerVapiConcurrencyLimit(pool, claim.tenant_id, result.concurrencyLimit ?? null);
      deps.reportedLimits.delete(claim.tenant_id);
      await releaseCall(pool, callId, later(clock, settings.concurrencyRetryDelayMs), `VAPI: ${result.message}`);
      log.warn('dial.over_concurrency', { callId, limit });
      return 'released';
    }
    case 'retry_later': {
      const delay = Math.min(result.retryAfterMs ?? settings.retryDelayMs, settings.maxRetryAfterMs);
      await releaseCall(pool, callId, later(clock, delay), `VAPI ${result.status}: ${result.message}`);
      log.warn('dial.retry_later', { callId, status: result.status, delayMs: delay });
      return 'released';
    }
    case 'not_sent':
      await releaseCall(pool, callId, later(clock, settings.retryDelayMs), `VAPI unreachable: ${result.message}`);
      log.warn('dial.not_sent', { callId, error: result.message });
      return 'released';
    case 'rejected':
      if (result.status === 401 || result.status === 403) {
        // The key is wrong or revoked: every call of the account would be refused alike. Stop
        // the tenant (until its VAPI settings change or an operator clears it) and put the call
        // back, its attempt unused: VAPI created nothing.
        // A key replaced since this client was built is not the one refused: just try again.
        deps.tenants.forget(claim.tenant_id);
        const current = await tenantVapiSettings(pool, claim.tenant_id);
        const stillCurrent = current !== null && vapiSettingsOf(current) === tenant.vapiSettings;
        const stopped = stillCurrent && (await blockTenantVapi(pool, claim.tenant_id, `VAPI ${result.status}: ${result.message}`, clock.now()));
        await releaseCall(pool, callId, clock.now(), `VAPI ${result.status}: ${result.message}`);
        log.warn('vapi.account_problem', { tenantId: claim.tenant_id, callId, status: result.status, error: result.message, stoppedNow: stopped });
        return 'released';
      }
      await applyCallResult(pool, callId, {
        endedReason: null,
        endedAt: clock.now(),
        outcome: 'failed',
        error: `VAPI ${result.status}: ${result.message}`,
      });
      log.warn('dial.rejected', { callId, status: result.status, error: result.message });
      return 'failed';
    case 'ambiguous':
      log.warn('dial.ambiguous', { callId, error: result.message });
      await sleep(settings.ambiguousLookupDelayMs);
      return resolveDialedOrNot(deps, { callId, tenantId: claim.tenant_id, phone: claim.phone, phoneNumberId: claim.phone_number_id }, dialStartedWall, result.message);
  }
}

/**
 * A call whose POST may have reached VAPI: found there → it is dialed; proven absent → back
 * to scheduled, due now; unknown (VAPI unreachable, listing inconclusive) → left as it is for
 * the next reconciliation, never dialed on a guess.
 */
export async function resolveDialedOrNot(
  deps: DialDeps,
  target: { callId: string; tenantId: string; phone: string; phoneNumberId: string | null },
  dialStartedWall: Date,
  reason: string,
): Promise<DialOutcome> {
  const tenant = await deps.tenants.get(deps.pool, target.tenantId);
  const lookup = await lookUpDialedCall(tenant.client, target, dialStartedWall, {
    marginMs: deps.settings.lookupMarginMs,
    requestTimeoutMs: deps.settings.requestTimeoutMs,
  });
  if (lookup.kind === 'found') {
    await recordCreated(deps, target.callId, target.tenantId, lookup.call);
    deps.log.info('dial.found_after_ambiguity', { callId: target.callId, vapiCallId: lookup.call.id });
    return 'dialed';
  }
  if (lookup.kind === 'absent') {
    await releaseCall(deps.pool, target.callId, deps.clock.now(), `not created on VAPI after: ${reason}`);
    deps.log.info('dial.absent_after_ambiguity', { callId: target.callId });
    return 'released';
  }
  deps.log.warn('dial.unresolved', { callId: target.callId, error: lookup.message });
  return 'unresolved';
}

const sleep = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
