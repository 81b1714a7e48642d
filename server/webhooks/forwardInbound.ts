// The webhook receiver's side of the relay, for one authenticated message:
//   - a request-response message is relayed at once (relay.ts), in parallel with storing and
//     applying the event, and its outcome (answer or error answer) is VAPI's answer, sent as soon
//     as it is known (storing the event is not on VAPI's clock); the relay is then recorded as a
//     'sync' row of dialer.forwards;
//   - any other message the tenant relays is queued once stored (queue_forward, which wakes the
//     worker) and answered `{}` at once: the worker delivers it (server/worker/forwardDeliveries.ts).
import type { Response } from 'express';
import type { AppContext } from '../context.js';
import type { WebhookTarget } from '../../db/queries/webhookTarget.js';
import type { StoredEvent } from '../../db/queries/callEvents.js';
import { queueForward, recordSyncForward } from '../../db/queries/forwards.js';
import { forwardMessagesOf, isForwardedAsync, isRequestMessage } from '../vapi/serverMessages.js';
import type { WebhookMessage } from './message.js';
import { relayBudgetMs, relayRequest, type RelayOutcome } from './relay.js';

export type InboundForward = {
  /** The event is stored: queue it for asynchronous delivery when the tenant relays its type. */
  stored(event: StoredEvent): Promise<void>;
  /**
   * Answer VAPI: `local` (pgdialer's own answer, an in-call opt-out tool's) or `{}`; for a request
   * relayed to the tenant's server, its answer (sent as soon as it arrived), then record the relay.
   */
  answer(local?: unknown): Promise<void>;
};

export type InboundMessage = {
  target: WebhookTarget;
  tenantId: string;
  /** The tenant's webhook secret (signs what is relayed). */
  secret: string | null;
  message: WebhookMessage | null;
  rawBody: Buffer;
  /** performance.now() when the request arrived: the relay's budget counts from there. */
  receivedAt: number;
  response: Response;
};

export function forwardInbound(context: AppContext, inbound: InboundMessage): InboundForward {
  const { target, message, response } = inbound;
  const callId = target.call_id && target.call_tenant_id === inbound.tenantId ? target.call_id : null;
  let event: StoredEvent | undefined;

  const type = message?.type ?? null;
  if (message && isRequestMessage(type)) {
    const budget = relayBudgetMs(context.config.vapiServerTimeoutSeconds) - (performance.now() - inbound.receivedAt);
    const relay: Promise<RelayOutcome> = relayRequest({
      type,
      message: message.message,
      rawBody: inbound.rawBody,
      url: target.forward_url,
      secret: inbound.secret,
      timeoutMs: budget,
      headers: { 'x-pgdialer-tenant': inbound.tenantId, ...(callId ? { 'x-pgdialer-call-id': callId } : {}) },
    });
    // With a forward URL the tenant's answer goes to VAPI as soon as it arrives: should the handler
    // fail after this (the database), VAPI has its answer and the error handler only closes the
    // connection. Without one, pgdialer's own answer (an in-call opt-out tool) wins, else the error.
    const answered = relay.then((outcome) => {
      if (target.forward_url && !response.headersSent) response.status(200).type('application/json').send(outcome.answer);
      return outcome;
    });
    return {
      async stored(stored) {
        event = stored;
      },
      async answer(local) {
        const outcome = await answered;
        if (!response.headersSent) response.status(200).type('application/json').send(local ? JSON.stringify(local) : outcome.answer);
        if (outcome.result?.error) context.log.warn('forward.relay_failed', { callId, type, error: outcome.result.error });
        if (outcome.result && event && target.forward_url) {
          await recordSyncForward(context.pool, event.id, target.forward_url, context.clock.now(), outcome.result).catch((error) =>
            context.log.error('forward.record_failed', { eventId: event?.id, error }),
          );
        }
      },
    };
  }

  return {
    async stored(stored) {
      // A duplicate whose first delivery never finished may not have been queued: queue_forward is idempotent.
      if (!target.forward_url || (!stored.inserted && stored.applied_at !== null)) return;
      if (!isForwardedAsync(type, forwardMessagesOf(target.forward_messages))) return;
      // Delivered by the worker: woken now (a sleeping one holds no LISTEN; see server/worker/wake.ts).
      if (await queueForward(context.pool, stored.id, target.forward_url, context.clock.now())) context.wakeWorker?.('forward');
    },
    async answer(local) {
      response.status(200).json(local ?? {});
    },
  };
}
