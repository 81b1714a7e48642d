// POST /webhooks/vapi: VAPI's call events. Raw body (HMAC is verified over the exact bytes),
// tenant from ?tenant= (the URL we give VAPI) or else from the call the message is about,
// authenticated with that tenant's method; then stored once (call_events, deduplicated by body
// hash) and applied inline, which is cheap: a few indexed statements, far under VAPI's 20 s.
import express, { type Express, type Request } from 'express';
import type { AppContext } from '../context.js';
import { HttpError, unauthorized } from '../http/errors.js';
import { decryptSecret, sha256 } from '../crypto.js';
import { tenantVapiSettings } from '../../db/queries/tenantVapi.js';
import { callById, callByVapiId, isUuid, type CallRef } from '../../db/queries/callResults.js';
import { markEventApplied, storeCallEvent } from '../../db/queries/callEvents.js';
import { notifyWorker } from '../worker/wake.js';
import { isAuthentic } from './authenticate.js';
import { readWebhookMessage, type WebhookMessage } from './message.js';
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

/** The call a message is about: by VAPI's id, else by our id sent as customer.externalId. */
async function findCall(context: AppContext, message: WebhookMessage): Promise<CallRef | null> {
  if (message.vapiCallId) {
    const byVapiId = await callByVapiId(context.pool, message.vapiCallId);
    if (byVapiId) return byVapiId;
  }
  return message.externalId ? callById(context.pool, message.externalId) : null;
}

export function installWebhooks(app: Express, context: AppContext): void {
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });

  app.post(WEBHOOK_PATH, raw, async (request: Request, response) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const parsed = parseJson(rawBody);
    const message = parsed.ok ? readWebhookMessage(parsed.value) : null;
    const call = message ? await findCall(context, message) : null;

    const tenantParam = typeof request.query.tenant === 'string' ? request.query.tenant : undefined;
    const tenantId = tenantParam ?? call?.tenant_id;
    const tenant = isUuid(tenantId) ? await tenantVapiSettings(context.pool, tenantId) : null;
    if (!tenant) throw unauthorized('unknown tenant');
    const secret = tenant.webhook_secret_encrypted ? decryptSecret(context.secrets.appSecret, tenant.webhook_secret_encrypted) : null;
    if (!isAuthentic({ type: tenant.webhook_auth_type, secret }, request.headers, rawBody)) throw unauthorized('invalid webhook credential');

    // A call of another tenant is not this message's business: keep it, apply nothing.
    const ownCall = call && call.tenant_id === tenant.id ? call : null;
    const event = await storeCallEvent(context.pool, {
      tenantId: tenant.id,
      callId: ownCall?.id ?? null,
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
    if (event.applied_at !== null || !ownCall || !message) {
      response.status(200).json({});
      return;
    }

    try {
      await context.pool.transaction(async (transaction) => {
        const { ended } = await applyWebhook(transaction, context.clock, ownCall.id, message);
        await markEventApplied(transaction, event.id);
        // A slot is free: the worker refills it now (delivered at commit).
        if (ended) await notifyWorker(transaction, 'call-ended');
      });
    } catch (error) {
      context.log.error('webhook.apply_failed', { eventId: event.id, callId: ownCall.id, error });
      await markEventApplied(context.pool, event.id, error instanceof Error ? error.message : String(error)).catch(() => {});
      throw error;
    }
    response.status(200).json({});
  });
}
