// dialer.forwards through the functions of sql/041_forwards.sql: queueing, the synchronous
// relay's record, the worker's claim and attempts, and the reads of the API and the worker.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

const iso = (at: Date) => at.toISOString();
const ms = (value: number) => `${value} milliseconds`;

/** Where a call's messages are relayed (campaign's URL, else the tenant's) and the tenant's relayed types. */
export async function forwardingOf(db: CommonQueryMethods, tenantId: string, callId: string | null) {
  return db.one(sql.type(z.object({ url: z.string().nullable(), messages: z.array(z.string()).nullable(), opt_out_tool: z.boolean() }))`
    select dialer.forward_url_of(${tenantId}::uuid, ${callId}::uuid) as url, tenant.forward_messages as messages,
           tenant.opt_out_tool_name is not null as opt_out_tool
    from dialer.tenants tenant where tenant.id = ${tenantId}::uuid`);
}

export async function queueForward(db: CommonQueryMethods, eventId: number, url: string, at: Date): Promise<boolean> {
  return Boolean(
    await db.oneFirst(sql.type(z.object({ queued: z.boolean().nullable() }))`
      select dialer.queue_forward(${eventId}::bigint, ${url}::text, ${iso(at)}::timestamptz) as queued`),
  );
}

export type ForwardResult = { status: number | null; error: string | null; durationMs: number };

export async function recordSyncForward(db: CommonQueryMethods, eventId: number, url: string, at: Date, result: ForwardResult): Promise<void> {
  await db.query(sql.unsafe`
    select dialer.record_sync_forward(${eventId}::bigint, ${url}::text, ${iso(at)}::timestamptz, ${result.status}::int,
                                      ${result.error}::text, ${result.durationMs}::int)`);
}

export const claimedForward = z.object({
  id: z.number(),
  tenant_id: z.string(),
  call_id: z.string().nullable(),
  event_id: z.number(),
  type: z.string().nullable(),
  url: z.string(),
  attempts: z.number(),
});
export type ClaimedForward = z.infer<typeof claimedForward>;

export async function claimForwards(db: CommonQueryMethods, at: Date, max: number, leaseMs: number): Promise<readonly ClaimedForward[]> {
  return db.any(sql.type(claimedForward)`
    select id, tenant_id, call_id, event_id, type, url, attempts
    from dialer.claim_forwards(${iso(at)}::timestamptz, ${max}::int, ${ms(leaseMs)}::interval)`);
}

export type Backoff = { baseMs: number; maxMs: number; giveUpAfterMs: number };

/** Returns the delivery's new state: delivered, pending (retry scheduled) or failed (given up). */
export async function recordForwardAttempt(db: CommonQueryMethods, id: number, at: Date, result: ForwardResult, backoff: Backoff): Promise<string | null> {
  return db.maybeOneFirst(sql.type(z.object({ state: z.string().nullable() }))`
    select dialer.record_forward_attempt(${id}::bigint, ${iso(at)}::timestamptz, ${result.status}::int, ${result.error}::text,
                                         ${result.durationMs}::int, ${ms(backoff.baseMs)}::interval, ${ms(backoff.maxMs)}::interval,
                                         ${ms(backoff.giveUpAfterMs)}::interval) as state`);
}

/** When the next pending delivery is claimable (possibly already): the delivery loop's timer. */
export async function forwardsClaimableAt(db: CommonQueryMethods): Promise<Date | null> {
  const at = await db.oneFirst(sql.type(z.object({ at: z.string().nullable() }))`select dialer.forwards_claimable_at() as at`);
  return at === null ? null : new Date(at);
}

/** What one delivery sends: the stored event's body and the tenant's encrypted secret. */
export async function forwardPayload(db: CommonQueryMethods, eventId: number) {
  return db.maybeOne(sql.type(z.object({ body: z.string().nullable(), webhook_secret_encrypted: z.string().nullable() }))`
    select coalesce(event.payload::text, event.raw_body) as body, tenant.webhook_secret_encrypted
    from dialer.call_events event join dialer.tenants tenant on tenant.id = event.tenant_id
    where event.id = ${eventId}::bigint`);
}

export const forwardRow = z.object({
  id: z.number(),
  event_id: z.number(),
  mode: z.enum(['sync', 'async']),
  type: z.string().nullable(),
  url: z.string(),
  state: z.string(),
  attempts: z.number(),
  created_at: z.string(),
  last_attempt_at: z.string().nullable(),
  last_status: z.number().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
});
export type ForwardRow = z.infer<typeof forwardRow>;

/** A call's relayed messages, oldest first (from the dialer.forward_deliveries view). */
export async function forwardsOfCall(db: CommonQueryMethods, tenantId: string, callId: string): Promise<readonly ForwardRow[]> {
  return db.any(sql.type(forwardRow)`
    select id, event_id, mode, type, url, state, attempts, created_at, last_attempt_at, last_status, last_error,
           next_attempt_at, delivered_at
    from dialer.forward_deliveries
    where call_id = ${callId}::uuid and tenant_id = ${tenantId}::uuid
    order by id`);
}
