// The end of a call and what follows it, as the webhook receiver and reconciliation write it:
// apply_call_result (with the class of the reason, so the caller can log an account problem),
// where its details stand (note_call_details), and what a lookup that settled nothing means
// (note_lookup), and an opt-out in a Call read back (apply_call_object_opt_out). Rules are in
// sql/015, 028, 034 and 052; these are typed wrappers.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

const iso = (at: Date) => at.toISOString();

export type EndedClass = 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'retry_later' | 'final' | 'account';

export type CallEnd = {
  /** The next call apply_call_result created (retry, or the account problem's replacement). */
  nextCallId: string | null;
  /** ended_reason_class of the reason (a null reason: retry_later). */
  endedClass: EndedClass;
};

const endRow = z.object({ next: z.string().nullable(), class: z.string() });

/** apply_call_result, and the class of the reason in the same statement. */
export async function endCall(
  db: CommonQueryMethods,
  callId: string,
  result: { endedReason: string | null; endedAt: Date; outcome?: string | null; error?: string | null },
): Promise<CallEnd> {
  const row = await db.one(sql.type(endRow)`
    select dialer.apply_call_result(
      p_call_id => ${callId}::uuid,
      p_ended_reason => ${result.endedReason}::text,
      p_ended_at => ${iso(result.endedAt)}::timestamptz,
      p_outcome => ${result.outcome ?? null}::text,
      p_error => ${result.error ?? null}::text) as next,
      dialer.ended_reason_class(${result.endedReason}::text) as class`);
  return { nextCallId: row.next, endedClass: row.class as EndedClass };
}

export type DetailsState = 'received' | 'awaited' | 'missing';

/** note_call_details: returns when the call will next be looked up for its details (null: never). */
export async function noteCallDetails(db: CommonQueryMethods, callId: string, state: DetailsState, recheckAfterSeconds: number, at: Date): Promise<string | null> {
  return db.oneFirst(sql.type(z.object({ check_at: z.string().nullable() }))`
    select dialer.note_call_details(${callId}::uuid, ${state}::text, ${`${recheckAfterSeconds} seconds`}::interval, ${iso(at)}::timestamptz) as check_at`);
}

export type OptOutApplied = { reason: string | null; added: boolean | null; cancelledCalls: number | null };

/** apply_call_object_opt_out: an opt-out in a Call read from VAPI (its report was lost). */
export async function applyCallObjectOptOut(db: CommonQueryMethods, callId: string, call: unknown, at: Date): Promise<OptOutApplied> {
  const row = await db.one(sql.type(z.object({ reason: z.string().nullable(), added: z.boolean().nullable(), cancelled_calls: z.number().nullable() }))`
    select reason, added, cancelled_calls from dialer.apply_call_object_opt_out(${callId}::uuid, ${JSON.stringify(call)}::jsonb, ${iso(at)}::timestamptz)`);
  return { reason: row.reason, added: row.added, cancelledCalls: row.cancelled_calls };
}

export type LookupNote = 'live' | 'gone' | 'unresolved';

/** note_lookup: 'waiting' (looked up again later), 'ended' (given up: failed), 'unchanged'. */
export async function noteLookup(db: CommonQueryMethods, callId: string, result: LookupNote, detail: string | null, at: Date): Promise<'waiting' | 'ended' | 'unchanged'> {
  const outcome = await db.oneFirst(sql.type(z.object({ outcome: z.string() }))`
    select dialer.note_lookup(${callId}::uuid, ${result}::text, ${detail}::text, ${iso(at)}::timestamptz) as outcome`);
  return outcome as 'waiting' | 'ended' | 'unchanged';
}

/** block_tenant_vapi: true when this stopped the tenant (it was not stopped already). */
export async function blockTenantVapi(db: CommonQueryMethods, tenantId: string, reason: string, at: Date): Promise<boolean> {
  return Boolean(
    await db.oneFirst(sql.type(z.object({ ok: z.boolean().nullable() }))`
      select dialer.block_tenant_vapi(${tenantId}::uuid, ${reason}::text, ${iso(at)}::timestamptz) as ok`),
  );
}

/** clear_tenant_vapi: true when the tenant was stopped. */
export async function clearTenantVapi(db: CommonQueryMethods, tenantId: string): Promise<boolean> {
  return Boolean(
    await db.oneFirst(sql.type(z.object({ ok: z.boolean().nullable() }))`select dialer.clear_tenant_vapi(${tenantId}::uuid) as ok`),
  );
}
