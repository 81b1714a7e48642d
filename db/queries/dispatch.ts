// The worker's side of the scheduling functions in sql/ (the SQL contract): typed wrappers only.
// Every instant is passed in; nothing here decides what is due.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

export const claimedCall = z.object({
  call_id: z.string(),
  tenant_id: z.string(),
  campaign_id: z.string().nullable(),
  contact_id: z.string(),
  attempt: z.number(),
  phone: z.string(),
  name: z.string().nullable(),
  assistant_id: z.string(),
  phone_number_id: z.string(),
  variables: z.record(z.unknown()).nullable(),
  lease_expires_at: z.string(),
});
/** A claimed call with its attempt's overrides, as the worker dials it (claimCalls). */
export const claimedDial = claimedCall.extend({
  /** assistantOverrides.voicemailMessage for this attempt (dialer.attempt_override); null: none. */
  voicemail_message: z.string().nullable(),
});
export type ClaimedCall = z.infer<typeof claimedDial>;

const iso = (at: Date) => at.toISOString();
const seconds = (value: number) => `${value} seconds`;

export async function planOccurrences(db: CommonQueryMethods, at: Date): Promise<number> {
  return db.oneFirst(sql.type(z.object({ n: z.number().nullable() }))`
    select dialer.plan_occurrences(${iso(at)}::timestamptz) as n`).then((n) => n ?? 0);
}

export async function claimCalls(db: CommonQueryMethods, at: Date, max: number, leaseSeconds: number): Promise<readonly ClaimedCall[]> {
  // The attempt's overrides (sql/035_retry_sequences.sql) go over the claim's variables.
  return db.any(sql.type(claimedDial)`
    select claimed.call_id, claimed.tenant_id, claimed.campaign_id, claimed.contact_id, claimed.attempt, claimed.phone,
           claimed.name, claimed.assistant_id, claimed.phone_number_id,
           coalesce(claimed.variables, '{}') || override.variables as variables, override.voicemail_message,
           claimed.lease_expires_at
    from dialer.claim_calls(${iso(at)}::timestamptz, ${max}::int, ${seconds(leaseSeconds)}::interval) with ordinality claimed
    cross join lateral dialer.attempt_override(claimed.campaign_id, claimed.attempt) override
    order by claimed.ordinality`);
}

const flag = sql.type(z.object({ ok: z.boolean().nullable() }));

export async function beginDial(db: CommonQueryMethods, callId: string, at: Date): Promise<boolean> {
  return Boolean(await db.oneFirst(flag`select dialer.begin_dial(${callId}::uuid, ${iso(at)}::timestamptz) as ok`));
}

export async function recordDialed(db: CommonQueryMethods, callId: string, vapiCallId: string, vapiStatus: string | null, at: Date): Promise<boolean> {
  return Boolean(
    await db.oneFirst(flag`
      select dialer.record_dialed(${callId}::uuid, ${vapiCallId}::text, ${vapiStatus}::text, ${iso(at)}::timestamptz) as ok`),
  );
}

export async function releaseCall(db: CommonQueryMethods, callId: string, dueAt: Date, error: string | null): Promise<boolean> {
  return Boolean(
    await db.oneFirst(flag`
      select dialer.release_call(${callId}::uuid, ${iso(dueAt)}::timestamptz, ${error}::text) as ok`),
  );
}

export async function applyCallResult(
  db: CommonQueryMethods,
  callId: string,
  result: { endedReason: string | null; endedAt: Date; outcome?: string | null; error?: string | null },
): Promise<string | null> {
  return db.oneFirst(sql.type(z.object({ next: z.string().nullable() }))`
    select dialer.apply_call_result(
      p_call_id => ${callId}::uuid,
      p_ended_reason => ${result.endedReason}::text,
      p_ended_at => ${iso(result.endedAt)}::timestamptz,
      p_outcome => ${result.outcome ?? null}::text,
      p_error => ${result.error ?? null}::text) as next`);
}

export async function advanceCallStatus(db: CommonQueryMethods, callId: string, vapiStatus: string, at: Date): Promise<boolean> {
  return Boolean(
    await db.oneFirst(flag`
      select dialer.advance_call_status(${callId}::uuid, ${vapiStatus}::text, ${iso(at)}::timestamptz) as ok`),
  );
}

const reconcileRow = z.object({
  call_id: z.string(),
  tenant_id: z.string(),
  status: z.string(),
  vapi_call_id: z.string().nullable(),
  dial_started_at: z.string().nullable(),
  phone: z.string(),
  phone_number_id: z.string().nullable(),
  checks: z.number(),
});
export type CallToReconcile = z.infer<typeof reconcileRow>;

/** calls_to_reconcile(at): lapsed claims, and calls whose VAPI lookup (check_at) has come. */
export async function callsToReconcile(db: CommonQueryMethods, at: Date): Promise<readonly CallToReconcile[]> {
  return db.any(sql.type(reconcileRow)`
    select call_id, tenant_id, status, vapi_call_id, dial_started_at, phone, phone_number_id, checks
    from dialer.calls_to_reconcile(${iso(at)}::timestamptz)`);
}

export async function nextWakeAt(db: CommonQueryMethods, at: Date): Promise<Date | null> {
  const next = await db.oneFirst(sql.type(z.object({ next: z.string().nullable() }))`
    select dialer.next_wake_at(${iso(at)}::timestamptz) as next`);
  return next === null ? null : new Date(next);
}

/** Calls between claim and end: while any exist the worker stays awake (reconciliation). */
export async function liveCallCount(db: CommonQueryMethods): Promise<number> {
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from dialer.calls where status in ('dialing', 'queued', 'ringing', 'in_progress')`);
}

const callIdRow = sql.type(z.object({ call_id: z.string() }));

/** begin_dials: the ids of `callIds` that may be POSTed now (see begin_dial). */
export async function beginDials(db: CommonQueryMethods, callIds: readonly string[], at: Date): Promise<readonly string[]> {
  return db.anyFirst(callIdRow`
    select call_id from dialer.begin_dials(${sql.array(callIds, 'uuid')}, ${iso(at)}::timestamptz) as call_id`);
}

export type DialedCall = { callId: string; vapiCallId: string; vapiStatus: string | null };

/** record_dials: the ids recorded (see record_dialed). */
export async function recordDials(db: CommonQueryMethods, dialed: readonly DialedCall[], at: Date): Promise<readonly string[]> {
  return db.anyFirst(callIdRow`
    select call_id from dialer.record_dials(
      ${sql.array(dialed.map((d) => d.callId), 'uuid')},
      ${sql.array(dialed.map((d) => d.vapiCallId), 'text')},
      ${sql.array(dialed.map((d) => d.vapiStatus), 'text')},
      ${iso(at)}::timestamptz) as call_id`);
}
