// call_events: every authenticated webhook as received, stored once per tenant and body hash and
// applied, in one statement: dialer.receive_webhook (sql/056_webhook_ingest.sql).
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';
import { callDetailsJson } from './callResults.js';
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

export async function receiveWebhook(db: CommonQueryMethods, event: ReceivedWebhook): Promise<ReceiveOutcome> {
  const end = event.effect.end;
  return db.one(sql.type(received)`
    select outcome, event_id, call_id, ended, ended_class, opt_out_reason, opt_out_added, opt_out_cancelled, tool_calls, forward_queued, error
    from dialer.receive_webhook(
      p_tenant_id => ${event.tenantId}::uuid,
      p_credential_version => ${event.credentialVersion}::text,
      p_vapi_call_id => ${event.vapiCallId}::text,
      p_external_id => ${event.externalId}::uuid,
      p_type => ${event.type}::text,
      p_status => ${event.status}::text,
      p_event_at => ${event.eventAt}::timestamptz,
      p_body_sha256 => ${sql.binary(event.bodySha256)},
      p_payload => ${event.payloadJson}::jsonb,
      p_raw_body => ${event.rawBody}::text,
      p_error => ${event.error}::text,
      p_forward => ${event.forward}::boolean,
      p_advance_to => ${event.effect.advanceTo}::text,
      p_end => ${end !== null}::boolean,
      p_ended_reason => ${end?.endedReason ?? null}::text,
      p_ended_at => ${end ? end.endedAt.toISOString() : null}::timestamptz,
      p_details => ${end ? callDetailsJson(end.details) : null}::jsonb,
      p_details_state => ${end?.detailsState ?? null}::text,
      p_recheck_after => ${`${event.recheckAfterSeconds} seconds`}::interval,
      p_wake_channel => ${event.wakeChannel}::text,
      at => ${event.at.toISOString()}::timestamptz)`);
}
