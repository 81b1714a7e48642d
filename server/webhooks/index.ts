// POST /webhooks/vapi: VAPI's call events. Raw body (HMAC is verified over the exact bytes),
// tenant from ?tenant= (the URL we give VAPI) or else from the call the message is about,
// authenticated with that tenant's method; then stored once (call_events, deduplicated by body
// hash) and applied inline, which is cheap: a few indexed statements, far under VAPI's 20 s.
import type { Express, Request } from 'express';
import type { AppContext } from '../context.js';
import { HttpError, toHttpError, unauthorized } from '../http/errors.js';
import { decryptSecret } from '../crypto.js';
import { webhookTarget } from '../../db/queries/webhookTarget.js';
import { recordDialed } from '../../db/queries/dispatch.js';
import { markEventApplied, markEventAppliedAndNotify, storeCallEvent } from '../../db/queries/callEvents.js';
import { WAKE_CHANNEL } from '../worker/wake.js';
import { isAuthentic } from './authenticate.js';
import { readWebhookMessage } from './message.js';
import { applyWebhook } from './apply.js';
import { applyInCallOptOut, withInCallOptOut, type ToolCallsAnswer } from './optOut.js';
import { redactPayload, redactText } from './redact.js';
import { forwardInbound, type InboundForward } from './forwardInbound.js';
import { readWebhookBody } from './body.js';
import { events } from '../events/bus.js';

export const WEBHOOK_PATH = '/webhooks/vapi';

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function installWebhooks(app: Express, context: AppContext): void {
  app.post(WEBHOOK_PATH, async (request: Request, response) => {
    const receivedAt = performance.now();
    // Streamed, bounded by WEBHOOK_MAX_BYTES (413 beyond), hashed as it arrives.
    const { raw: rawBody, sha256: bodySha256 } = await readWebhookBody(request, context.config.webhookMaxBytes);
    const parsed = parseJson(rawBody);
    const message = parsed.ok ? readWebhookMessage(parsed.value) : null;
    // A tenant that is not a UUID, or unknown, finds nothing: refused like a wrong credential.
    const tenantParam = typeof request.query.tenant === 'string' ? request.query.tenant : null;
    const target = await webhookTarget(context.pool, {
      tenantId: tenantParam,
      vapiCallId: message?.vapiCallId ?? null,
      externalId: message?.externalId ?? null,
    });
    if (!target.tenant_id || !target.webhook_auth_type || (tenantParam !== null && target.tenant_id !== tenantParam.toLowerCase())) {
      throw unauthorized('unknown tenant');
    }
    const secret = target.webhook_secret_encrypted ? decryptSecret(context.secrets.appSecret, target.webhook_secret_encrypted) : null;
    const auth = { type: target.webhook_auth_type, secret, credentialId: target.webhook_credential_id, options: target.webhook_auth_options ?? {} };
    // {url} in an HMAC payload format: the URL VAPI posted to, i.e. ours as given in server.url.
    const line = { method: request.method, url: `${context.config.publicUrl.replace(/\/+$/, '')}${request.originalUrl}` };
    if (!isAuthentic(auth, request.headers, rawBody, Date.now(), line)) throw unauthorized('invalid webhook credential');
    const tenantId = target.tenant_id;
    // Relay to the tenant's server: a request is posted now, while the event is stored (see forwardInbound.ts).
    const forward: InboundForward = forwardInbound(context, { target, tenantId, secret, message, rawBody, receivedAt, response });

    // A call of another tenant is not this message's business: keep the event, apply nothing.
    const ownCallId = target.call_id && target.call_tenant_id === tenantId ? target.call_id : null;
    const event = await storeCallEvent(context.pool, {
      tenantId,
      callId: ownCallId,
      vapiCallId: message?.vapiCallId ?? null,
      type: message?.type ?? null,
      status: message?.status ?? null,
      eventAt: message?.eventAt ?? null,
      bodySha256,
      // Stored without secrets (server.headers, credentials, the tenant's secret): server/webhooks/redact.ts.
      payload: parsed.ok ? redactPayload(parsed.value, secret) : undefined,
      rawBody: parsed.ok ? null : redactText(rawBody.toString('utf8'), secret),
      error: parsed.ok ? null : `invalid JSON: ${parsed.error}`,
    });
    if (!parsed.ok) throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${parsed.error}`);
    await forward.stored(event);
    const optOutContext = { db: context.pool, clock: context.clock, log: context.log };
    if (event.applied_at !== null || !ownCallId || !message) {
      // A redelivered tool call still needs its answer (the opt-out applied again changes nothing).
      const answer = ownCallId && message ? await applyInCallOptOut(optOutContext, { eventId: event.id, callId: ownCallId, message }) : undefined;
      await forward.answer(answer);
      return;
    }

    let answer: ToolCallsAnswer | undefined;
    // Stored first (committed above), then applied in one transaction: one commit instead of one
    // per step (the commits were most of the cost, see bench/REPORT.md, webhooks). If it fails,
    // the event stays unapplied with its error, and a redelivery (or reconciliation) finishes.
    try {
      const { ended, endedClass } = await context.pool.transaction(async (connection) => {
        // Found by our id only: the worker died (or timed out) before recording VAPI's id. Tie
        // them now, so reconciliation and later webhooks find the call by VAPI's id.
        if (message.vapiCallId && target.call_vapi_call_id === null) {
          await recordDialed(connection, ownCallId, message.vapiCallId, null, context.clock.now());
        }
        // An in-call opt-out (optOut.ts) is applied around the result.
        const applied = await withInCallOptOut({ ...optOutContext, db: connection }, { eventId: event.id, callId: ownCallId, message }, () =>
          applyWebhook(connection, context.clock, ownCallId, message, { recheckAfterSeconds: context.config.reconcileAfterSeconds }));
        answer = applied.answer;
        // A slot is free: the worker refills it now (the NOTIFY is delivered at commit).
        await markEventAppliedAndNotify(connection, event.id, WAKE_CHANNEL, applied.result.ended ? 'call-ended' : null);
        return applied.result;
      });
      if (ended) context.log.info('call.ended', { callId: ownCallId, vapiCallId: message.vapiCallId, endedReason: message.message.endedReason ?? null, via: message.type });
      if (endedClass === 'account') context.log.warn('vapi.account_problem', { tenantId, callId: ownCallId, endedReason: message.message.endedReason ?? null });
      if (ended || message.status) events.call(tenantId, ownCallId, ended ? 'ended' : message.status!);
      if (ended) context.wakeWorker?.('call-ended');
    } catch (error) {
      context.log.error('webhook.apply_failed', { eventId: event.id, callId: ownCallId, error });
      await markEventApplied(context.pool, event.id, error instanceof Error ? error.message : String(error)).catch(() => {});
      throw error;
    }
    await forward.answer(answer);
  });
  // One line per refused webhook, saying why (the app's error handler then answers it).
  app.use(WEBHOOK_PATH, (error: unknown, request: Request, _response: unknown, next: (error: unknown) => void) => {
    const refused = toHttpError(error);
    if (refused.status < 500) context.log.warn('webhook.refused', { status: refused.status, why: refused.message, tenant: request.query.tenant ?? null });
    next(error);
  });
}
