// POST /webhooks/vapi: VAPI's call events. Raw body (HMAC is verified over the exact bytes),
// tenant from ?tenant= (the URL we give VAPI) or else from the call the message is about,
// authenticated with that tenant's method; then stored once (call_events, deduplicated by body
// hash) and applied by dialer.receive_webhooks (sql/056_webhook_ingest.sql). Webhooks arriving
// while others are being stored share the next statement (one round trip, one commit: stored in one INSERT, their
// status moves in one UPDATE, every other apply in its own subtransaction): far under VAPI's 20 s (bench/REPORT.md, webhooks).
import type { Express, Request } from 'express';
import type { AppContext } from '../context.js';
import { HttpError, toHttpError, unauthorized } from '../http/errors.js';
import { webhookTarget, type WebhookTarget } from '../../db/queries/webhookTarget.js';
import { receiveWebhooks, type ReceivedWebhook, type ReceiveOutcome } from '../../db/queries/callEvents.js';
import { createBatcher } from '../worker/batcher.js';
import { WAKE_CHANNEL } from '../worker/wake.js';
import { isRequestMessage } from '../vapi/serverMessages.js';
import { isAuthentic } from './authenticate.js';
import { readWebhookMessage, type WebhookMessage } from './message.js';
import { webhookEffect } from './apply.js';
import { optOutAnswer } from './optOut.js';
import { redactedJson, redactText } from './redact.js';
import { forwardInbound } from './forwardInbound.js';
import { readWebhookBody } from './body.js';
import { createCredentialCache, credentialOf, CREDENTIAL_TTL_MS, type WebhookCredential } from './credentials.js';
import { events } from '../events/bus.js';

export const WEBHOOK_PATH = '/webhooks/vapi';

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** receive_webhooks answered stale this many times in a row (credentials changing meanwhile): refused. */
const MAX_STALE = 3;

/** Bodies larger than this are stored in a statement of their own. */
const ALONE_ABOVE_CHARS = 1024 * 1024;

type Received = { ok: true; value: ReceiveOutcome } | { ok: false; error: unknown };

export function installWebhooks(app: Express, context: AppContext): void {
  const credentials = createCredentialCache(CREDENTIAL_TTL_MS);
  // Two batches of at most eight stored at a time: a batch's webhooks run one after the other in
  // one backend, so a batch of all that wait would leave the other slot (and core) idle
  // (bench/REPORT.md, webhooks: 21 % of bare with batches of 64, 28 % with 8). Should a batch's
  // statement fail (a body Postgres refuses, a deadlock), its webhooks are stored one by one, so
  // each fails or succeeds alone.
  const receive = createBatcher<ReceivedWebhook, Received>(async (batch) => {
    try {
      return (await receiveWebhooks(context.pool, batch)).map((value) => ({ ok: true, value }));
    } catch (error) {
      if (batch.length === 1) return [{ ok: false, error }];
      const alone: Received[] = [];
      for (const event of batch) alone.push(await receiveWebhooks(context.pool, [event]).then(([value]) => ({ ok: true as const, value: value! }), (error: unknown) => ({ ok: false as const, error })));
      return alone;
    }
  }, 8, 2);
  const receiveOne = async (event: ReceivedWebhook): Promise<ReceiveOutcome> => {
    // A large body (an hour-long call's report) goes alone: it would only slow a batch down.
    if ((event.payloadJson?.length ?? 0) + (event.rawBody?.length ?? 0) > ALONE_ABOVE_CHARS) return (await receiveWebhooks(context.pool, [event]))[0]!;
    const received = await receive(event);
    if (!received.ok) throw received.error;
    return received.value;
  };

  app.post(WEBHOOK_PATH, async (request: Request, response) => {
    const receivedAt = performance.now();
    // Streamed, bounded by WEBHOOK_MAX_BYTES (413 beyond), hashed as it arrives.
    const { raw: rawBody, sha256: bodySha256 } = await readWebhookBody(request, context.config.webhookMaxBytes);
    const text = rawBody.toString('utf8');
    const parsed = parseJson(text);
    const message: WebhookMessage | null = parsed.ok ? readWebhookMessage(parsed.value) : null;
    // A tenant that is not a UUID, or unknown, finds nothing: refused like a wrong credential.
    const tenantParam = typeof request.query.tenant === 'string' ? request.query.tenant : null;
    const lookup = async (): Promise<{ target: WebhookTarget; credential: WebhookCredential | null }> => {
      const target = await webhookTarget(context.pool, { tenantId: tenantParam, vapiCallId: message?.vapiCallId ?? null, externalId: message?.externalId ?? null });
      const credential = credentialOf(context.secrets.appSecret, target);
      if (credential) credentials.put(credential);
      else if (tenantParam !== null) credentials.forget(tenantParam.toLowerCase());
      return { target, credential };
    };
    // The full lookup (tenant and call) when the tenant is not named, or for a request message
    // (its relay needs the call's forward URL at once); else the tenant's credential, kept briefly.
    const fullLookup = tenantParam === null || isRequestMessage(message?.type ?? null);
    let target: WebhookTarget | null = null;
    let credential: WebhookCredential | null;
    let fresh = fullLookup;
    if (fullLookup) ({ target, credential } = await lookup());
    else
      credential = await credentials.get(tenantParam.toLowerCase(), async () => {
        fresh = true;
        return (await lookup()).credential;
      });

    // {url} in an HMAC payload format: the URL VAPI posted to, i.e. ours as given in server.url.
    const line = { method: request.method, url: `${context.config.publicUrl.replace(/\/+$/, '')}${request.originalUrl}` };
    const authenticate = async (): Promise<WebhookCredential> => {
      const known = (found: WebhookCredential | null): found is WebhookCredential =>
        found !== null && (tenantParam === null || found.tenantId === tenantParam.toLowerCase());
      if (known(credential) && isAuthentic(credential.auth, request.headers, rawBody, Date.now(), line)) return credential;
      // A kept credential may be older than the tenant's secret: refused only by a fresh one.
      if (!fresh) {
        fresh = true;
        credential = (await lookup()).credential;
        return authenticate();
      }
      throw known(credential) ? unauthorized('invalid webhook credential') : unauthorized('unknown tenant');
    };
    let current = await authenticate();

    const tenantId = current.tenantId;
    // Relay to the tenant's server: a request is posted now, while the event is stored (see forwardInbound.ts).
    const forward = forwardInbound(context, { target, tenantId, forwardMessages: current.forwardMessages, secret: current.auth.secret, message, rawBody, receivedAt, response });
    const effect = message ? webhookEffect(context.clock, message) : { advanceTo: null, end: null };
    const receiveAs = (credential: WebhookCredential) =>
      receiveOne({
        tenantId: credential.tenantId,
        credentialVersion: credential.version,
        vapiCallId: message?.vapiCallId ?? null,
        externalId: message?.externalId ?? null,
        type: message?.type ?? null,
        status: message?.status ?? null,
        eventAt: message?.eventAt ?? null,
        bodySha256,
        // Stored without secrets (server.headers, credentials, the tenant's secret): server/webhooks/redact.ts.
        payloadJson: parsed.ok ? redactedJson(text, parsed.value, credential.auth.secret) : null,
        rawBody: parsed.ok ? null : redactText(text, credential.auth.secret),
        error: parsed.ok ? null : `invalid JSON: ${parsed.error}`,
        forward: forward.forwardAsync,
        effect,
        recheckAfterSeconds: context.config.reconcileAfterSeconds,
        wakeChannel: WAKE_CHANNEL,
        at: context.clock.now(),
      });
    let result: ReceiveOutcome = await receiveAs(current);
    // The credential changed since it was read: read it again, authenticate again, store then.
    for (let stale = 1; result.outcome === 'stale'; stale++) {
      if (stale >= MAX_STALE) throw new HttpError(503, 'unavailable', 'the tenant\'s webhook credential keeps changing; try again');
      fresh = true;
      credential = (await lookup()).credential;
      current = await authenticate();
      if (current.tenantId !== tenantId) throw unauthorized('unknown tenant');
      result = await receiveAs(current);
    }
    if (result.outcome === 'invalid') throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${parsed.ok ? '' : parsed.error}`);
    forward.stored({ eventId: result.event_id, forwardQueued: result.forward_queued });
    const callId = result.call_id;
    if (result.opt_out_reason !== null && (result.opt_out_added || (result.opt_out_cancelled ?? 0) > 0)) {
      context.log.info('webhook.opt_out', { callId, reason: result.opt_out_reason, added: result.opt_out_added, cancelledCalls: result.opt_out_cancelled });
    }
    // Stored (committed), not applied: the event keeps its error, and a redelivery (or reconciliation) finishes.
    if (result.outcome === 'failed') {
      context.log.error('webhook.apply_failed', { eventId: result.event_id, callId, error: result.error });
      throw new Error(`webhook not applied: ${result.error}`);
    }
    if (result.outcome === 'applied' && message && callId) {
      const endedReason = message.message.endedReason ?? null;
      if (result.ended) context.log.info('call.ended', { callId, vapiCallId: message.vapiCallId, endedReason, via: message.type });
      if (result.ended_class === 'account') context.log.warn('vapi.account_problem', { tenantId, callId, endedReason });
      if (result.ended || message.status) events.call(tenantId, callId, result.ended ? 'ended' : message.status!);
      // A slot is free: the worker refills it now (the NOTIFY went out at commit too).
      if (result.ended) context.wakeWorker?.('call-ended');
    }
    await forward.answer(optOutAnswer(result.tool_calls));
  });
  // One line per refused webhook, saying why (the app's error handler then answers it).
  app.use(WEBHOOK_PATH, (error: unknown, request: Request, _response: unknown, next: (error: unknown) => void) => {
    const refused = toHttpError(error);
    if (refused.status < 500) context.log.warn('webhook.refused', { status: refused.status, why: refused.message, tenant: request.query.tenant ?? null });
    next(error);
  });
}
