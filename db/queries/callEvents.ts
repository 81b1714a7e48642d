// call_events: every authenticated webhook as received, stored once per tenant and body hash and
// applied by dialer.receive_webhooks (sql/056_webhook_ingest.sql), many in one statement.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';
import { isUuid } from './callResults.js';
import type { CallDetails } from '../../server/vapi/callDetails.js';

/** What the message does to its call (server/webhooks/apply.ts decides it). */
export type WebhookEffect = {
  /** A live VAPI status to move the call to (advance_call_status). */
  advanceTo: string | null;
  /** The call's end, its details, and whether they arrived (`received`) or are awaited. */
  end: { endedReason: string | null; endedAt: Date; details: CallDetails; detailsState: 'received' | 'awaited' } | null;
};

export type ReceivedWebhook = {
  tenantId: string;
  /** webhook_credential_version of the credential the request was authenticated with. */
  credentialVersion: string;
  vapiCallId: string | null;
  externalId: string | null;
  type: string | null;
  status: string | null;
  eventAt: string | null;
  bodySha256: Buffer;
  /** The body as JSON text, without secrets; null with rawBody and error for a body that is not JSON. */
  payloadJson: string | null;
  rawBody: string | null;
  error: string | null;
  /** The tenant relays this type asynchronously (queued once stored, when there is a forward URL). */
  forward: boolean;
  effect: WebhookEffect;
  recheckAfterSeconds: number;
  wakeChannel: string;
  at: Date;
};

const received = z.object({
  outcome: z.enum(['stale', 'invalid', 'stored', 'duplicate', 'applied', 'failed']),
  event_id: z.number().nullable(),
  call_id: z.string().nullable(),
  ended: z.boolean(),
  ended_class: z.string().nullable(),
  opt_out_reason: z.string().nullable(),
  opt_out_added: z.boolean().nullable(),
  opt_out_cancelled: z.number().nullable(),
  tool_calls: z.array(z.object({ toolCallId: z.string(), name: z.string() })),
  forward_queued: z.boolean(),
  error: z.string().nullable(),
});
export type ReceiveOutcome = z.infer<typeof received>;

/**
 * dialer.receive_webhooks for the events, in order, in one statement: one round trip and one
 * commit for the batch (the webhooks that arrived while the previous batch was being stored). The
 * events are stored in one INSERT, their plain status moves applied in one UPDATE, every other
 * apply in its own subtransaction; should the statement itself fail, nothing of the batch is
 * stored and the caller tries the events one by one.
 */
export async function receiveWebhooks(db: CommonQueryMethods, events: readonly ReceivedWebhook[]): Promise<readonly ReceiveOutcome[]> {
  return db.any(sql.type(received)`
    select r.outcome, r.event_id, r.call_id, r.ended, r.ended_class, r.opt_out_reason, r.opt_out_added, r.opt_out_cancelled,
           r.tool_calls, r.forward_queued, r.error
    from dialer.receive_webhooks(${webhookBatchJson(events)}::jsonb) r
    order by r.ord`);
}

/**
 * receive_webhooks' argument: one JSON array; each payload is spliced in as the JSON text it
 * already is (parsed once, by Postgres), not serialised again.
 */
export function webhookBatchJson(events: readonly ReceivedWebhook[]): string {
  const rows = events.map((event) => {
    const end = event.effect.end;
    const fields = JSON.stringify({
      tenant_id: event.tenantId,
      credential_version: event.credentialVersion,
      vapi_call_id: event.vapiCallId,
      external_id: isUuid(event.externalId) ? event.externalId : null,
      type: event.type,
      status: event.status,
      event_at: event.eventAt,
      body_sha256_hex: event.bodySha256.toString('hex'),
      raw_body: event.rawBody,
      error: event.error,
      forward: event.forward,
      advance_to: event.effect.advanceTo,
      ended: end !== null,
      ended_reason: end?.endedReason ?? null,
      ended_at: end ? end.endedAt.toISOString() : null,
      details: end ? end.details : null,
      details_state: end?.detailsState ?? null,
      recheck_after: `${event.recheckAfterSeconds} seconds`,
      wake_channel: event.wakeChannel,
      at: event.at.toISOString(),
    });
    return event.payloadJson === null ? fields : `${fields.slice(0, -1)},"payload":${event.payloadJson}}`;
  });
  return `[${rows.join(',')}]`;
}
