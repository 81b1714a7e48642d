// call_events: every authenticated webhook as received, stored once per tenant and body hash.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

export type NewCallEvent = {
  tenantId: string;
  callId: string | null;
  vapiCallId: string | null;
  type: string | null;
  status: string | null;
  eventAt: string | null;
  bodySha256: Buffer;
  payload: unknown;
  rawBody: string | null;
  error: string | null;
};

const stored = z.object({ id: z.number(), applied_at: z.string().nullable(), inserted: z.boolean() });
export type StoredEvent = z.infer<typeof stored>;

/**
 * Stores the event, or finds the one already stored with the same body. `inserted` says which;
 * a duplicate whose application never completed (applied_at null) may be applied again.
 */
export async function storeCallEvent(db: CommonQueryMethods, event: NewCallEvent): Promise<StoredEvent> {
  const payload = event.payload === undefined ? null : JSON.stringify(event.payload);
  const hash = sql.binary(event.bodySha256);
  const inserted = await db.maybeOne(sql.type(stored)`
    insert into dialer.call_events (tenant_id, call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, error)
    values (${event.tenantId}::uuid, ${event.callId}::uuid, ${event.vapiCallId}, ${event.type}, ${event.status},
            ${event.eventAt}::timestamptz, ${hash}, ${payload}::jsonb, ${event.rawBody}, ${event.error})
    on conflict (tenant_id, body_sha256) do nothing
    returning id, applied_at, true as inserted`);
  if (inserted) return inserted;
  return db.one(sql.type(stored)`
    select id, applied_at, false as inserted from dialer.call_events
     where tenant_id = ${event.tenantId}::uuid and body_sha256 = ${hash}`);
}

export async function markEventApplied(db: CommonQueryMethods, eventId: number, error: string | null = null): Promise<void> {
  await db.query(sql.unsafe`
    update dialer.call_events set applied_at = case when ${error}::text is null then now() end, error = ${error}::text
     where id = ${eventId}::bigint`);
}

/** Marks the event applied and, in the same statement, wakes the worker when the call ended. */
export async function markEventAppliedAndNotify(db: CommonQueryMethods, eventId: number, channel: string, reason: string | null): Promise<void> {
  await db.query(sql.unsafe`
    with applied as (update dialer.call_events set applied_at = now(), error = null where id = ${eventId}::bigint returning 1)
    select pg_notify(${channel}, ${reason}) from applied where ${reason}::text is not null`);
}
