// The webhook receiver's side of the relay, for one authenticated message:
//   - a request-response message is relayed at once (relay.ts), in parallel with storing and
//     applying the event, and its outcome (answer or error answer) is VAPI's answer, sent as soon
//     as it is known (storing the event is not on VAPI's clock); the relay is then recorded as a
//     'sync' row of dialer.forwards;
//   - any other message the tenant relays is queued as it is stored (dialer.receive_webhooks calls
//     queue_forward, which wakes the worker) and answered `{}` at once: the worker delivers it
//     (server/worker/forwardDeliveries.ts).
import type { Response } from 'express';
import type { AppContext } from '../context.js';
import type { WebhookTarget } from '../../db/queries/webhookTarget.js';
import { recordSyncForward } from '../../db/queries/forwards.js';
import { forwardMessagesOf, isForwardedAsync, isRequestMessage } from '../vapi/serverMessages.js';
import type { WebhookMessage } from './message.js';
import { relayBudgetMs, relayRequest, type RelayOutcome } from './relay.js';

/** The stored event, as dialer.receive_webhooks answered. */
export type StoredForward = { eventId: number | null; forwardQueued: boolean };

export type InboundForward = {
  /** The tenant relays this message asynchronously: receive_webhooks queues it once stored. */
  forwardAsync: boolean;
  /** The event is stored (and queued when forwardAsync and there is a forward URL). */
  stored(event: StoredForward): void;
  /**
   * Answer VAPI: `local` (pgdialer's own answer, an in-call opt-out tool's) or `{}`; for a request
   * relayed to the tenant's server, its answer (sent as soon as it arrived), then record the relay.
   */
  answer(local?: unknown): Promise<void>;
};

export type InboundMessage = {
  /** The full lookup: always made for a request message (its relay needs the call's forward URL at once). */
  target: WebhookTarget | null;
  tenantId: string;
  /** The tenant's relayed types (null: the default list). */
  forwardMessages: readonly string[] | null;
  /** The tenant's webhook secret (signs what is relayed). */
  secret: string | null;
  message: WebhookMessage | null;
  rawBody: Buffer;
  /** performance.now() when the request arrived: the relay's budget counts from there. */
  receivedAt: number;
  response: Response;
};

/**
 * VAPI's answer, written as it is: a webhook's answer is never cached or asked for conditionally,
 * so none of Express's send (an ETag hashed per answer, freshness checks) is of use here.
 */
function answerJson(response: Response, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function forwardInbound(context: AppContext, inbound: InboundMessage): InboundForward {
  const { target, message, response } = inbound;
  const callId = target?.call_id && target.call_tenant_id === inbound.tenantId ? target.call_id : null;
  const forwardUrl = target?.forward_url ?? null;
  let eventId: number | null = null;

  const type = message?.type ?? null;
  if (message && isRequestMessage(type)) {
    const budget = relayBudgetMs(context.config.vapiServerTimeoutSeconds) - (performance.now() - inbound.receivedAt);
    const relay: Promise<RelayOutcome> = relayRequest({
      type,
      message: message.message,
      rawBody: inbound.rawBody,
      url: forwardUrl,
      secret: inbound.secret,
      timeoutMs: budget,
      headers: { 'x-pgdialer-tenant': inbound.tenantId, ...(callId ? { 'x-pgdialer-call-id': callId } : {}) },
    });
    // With a forward URL the tenant's answer goes to VAPI as soon as it arrives: should the handler
    // fail after this (the database), VAPI has its answer and the error handler only closes the
    // connection. Without one, pgdialer's own answer (an in-call opt-out tool) wins, else the error.
    const answered = relay.then((outcome) => {
      if (forwardUrl && !response.headersSent) response.status(200).type('application/json').send(outcome.answer);
      return outcome;
    });
    return {
      forwardAsync: false,
      stored(stored) {
        eventId = stored.eventId;
      },
      async answer(local) {
        const outcome = await answered;
        if (!response.headersSent) response.status(200).type('application/json').send(local ? JSON.stringify(local) : outcome.answer);
        if (outcome.result?.error) context.log.warn('forward.relay_failed', { callId, type, error: outcome.result.error });
        if (outcome.result && eventId !== null && forwardUrl) {
          await recordSyncForward(context.pool, eventId, forwardUrl, context.clock.now(), outcome.result).catch((error) =>
            context.log.error('forward.record_failed', { eventId, error }),
          );
        }
      },
    };
  }

  return {
    forwardAsync: isForwardedAsync(type, forwardMessagesOf(inbound.forwardMessages)),
    stored(stored) {
      // Delivered by the worker: woken now (a sleeping one holds no LISTEN; see server/worker/wake.ts).
      if (stored.forwardQueued) context.wakeWorker?.('forward');
    },
    async answer(local) {
      answerJson(response, local ?? {});
    },
  };
}
