// POST /webhooks/vapi: VAPI's call events. Raw body (HMAC is verified over the exact bytes),
// tenant from ?tenant= (the URL we give VAPI) or else from the call the message is about,
// authenticated with that tenant's method; then stored once (call_events, deduplicated by body
// hash) and applied inline, which is cheap: a few indexed statements, far under VAPI's 20 s.
import express, { type Express, type Request } from 'express';
import type { AppContext } from '../context.js';
import { HttpError, unauthorized } from '../http/errors.js';
import { decryptSecret, sha256 } from '../crypto.js';
import { webhookTarget } from '../../db/queries/webhookTarget.js';
import { recordDialed } from '../../db/queries/dispatch.js';
import { markEventApplied, markEventAppliedAndNotify, storeCallEvent } from '../../db/queries/callEvents.js';
import { WAKE_CHANNEL } from '../worker/wake.js';
import { isAuthentic } from './authenticate.js';
import { readWebhookMessage } from './message.js';
import { applyWebhook } from './apply.js';

export const WEBHOOK_PATH = '/webhooks/vapi';
const BODY_LIMIT = '1mb';

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function installWebhooks(app: Express, context: AppContext): void {
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });

  app.post(WEBHOOK_PATH, raw, async (request: Request, response) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
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
    if (!isAuthentic({ type: target.webhook_auth_type, secret }, request.headers, rawBody)) throw unauthorized('invalid webhook credential');
    const tenantId = target.tenant_id;

    // A call of another tenant is not this message's business: keep the event, apply nothing.
    const ownCallId = target.call_id && target.call_tenant_id === tenantId ? target.call_id : null;
    const event = await storeCallEvent(context.pool, {
      tenantId,
      callId: ownCallId,
      vapiCallId: message?.vapiCallId ?? null,
      type: message?.type ?? null,
      status: message?.status ?? null,
      eventAt: message?.eventAt ?? null,
      bodySha256: sha256(rawBody),
      payload: parsed.ok ? parsed.value : undefined,
      rawBody: parsed.ok ? null : rawBody.toString('utf8'),
      error: parsed.ok ? null : `invalid JSON: ${parsed.error}`,
    });
    if (!parsed.ok) throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${parsed.error}`);
    if (event.applied_at !== null || !ownCallId || !message) {
      response.status(200).json({});
      return;
    }

    // Each step is idempotent, so no transaction: if the process dies half-way, the event
    // stays unapplied and a redelivery (or reconciliation) finishes the job.
    try {
      // Found by our id only: the worker died (or timed out) before recording VAPI's id. Tie
      // them now, so reconciliation and later webhooks find the call by VAPI's id.
      if (message.vapiCallId && target.call_vapi_call_id === null) {
        await recordDialed(context.pool, ownCallId, message.vapiCallId, null, context.clock.now());
      }
      const { ended } = await applyWebhook(context.pool, context.clock, ownCallId, message);
      // A slot is free: the worker refills it now.
      await markEventAppliedAndNotify(context.pool, event.id, WAKE_CHANNEL, ended ? 'call-ended' : null);
      if (ended) context.wakeWorker?.('call-ended');
    } catch (error) {
      context.log.error('webhook.apply_failed', { eventId: event.id, callId: ownCallId, error });
      await markEventApplied(context.pool, event.id, error instanceof Error ? error.message : String(error)).catch(() => {});
      throw error;
    }
    response.status(200).json({});
  });
}
