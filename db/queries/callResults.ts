// Writing what VAPI reports about a call onto its row, and finding the row a webhook is about.
// Details only fill in: a later, thinner payload never erases what an earlier one recorded.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { CallDetails } from '../../server/vapi/callDetails.js';

const callRef = z.object({ id: z.string(), tenant_id: z.string(), status: z.string() });
export type CallRef = z.infer<typeof callRef>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export async function callByVapiId(db: CommonQueryMethods, vapiCallId: string): Promise<CallRef | null> {
  return db.maybeOne(sql.type(callRef)`select id, tenant_id, status from dialer.calls where vapi_call_id = ${vapiCallId}`);
}

export async function callById(db: CommonQueryMethods, callId: string): Promise<CallRef | null> {
  if (!isUuid(callId)) return null;
  return db.maybeOne(sql.type(callRef)`select id, tenant_id, status from dialer.calls where id = ${callId}::uuid`);
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export async function recordCallDetails(db: CommonQueryMethods, callId: string, details: CallDetails): Promise<void> {
  await db.query(sql.unsafe`
    update dialer.calls set
      started_at = coalesce(${details.startedAt}::timestamptz, started_at),
      ended_at = coalesce(${details.endedAt}::timestamptz, ended_at),
      transcript = coalesce(${details.transcript}::text, transcript),
      recording_url = coalesce(${details.recordingUrl}::text, recording_url),
      summary = coalesce(${details.summary}::text, summary),
      analysis = coalesce(${json(details.analysis)}::jsonb, analysis),
      cost = coalesce(${details.cost}::numeric, cost),
      cost_breakdown = coalesce(${json(details.costBreakdown)}::jsonb, cost_breakdown)
    where id = ${callId}::uuid`);
}
