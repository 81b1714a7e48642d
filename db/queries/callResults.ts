// Writing what VAPI reports about a call onto its row.
// Details only fill in: a later, thinner payload never erases what an earlier one recorded.
import { sql, type CommonQueryMethods } from 'slonik';
import type { CallDetails } from '../../server/vapi/callDetails.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
// The cost as the decimal text of the number VAPI sent (String() gives the shortest text that reads
// back as the same double, i.e. the digits of the JSON), into a numeric column without scale.
const decimal = (value: number | null) => (value === null ? null : String(value));

export async function recordCallDetails(db: CommonQueryMethods, callId: string, details: CallDetails): Promise<void> {
  await db.query(sql.unsafe`
    update dialer.calls set
      started_at = coalesce(${details.startedAt}::timestamptz, started_at),
      ended_at = coalesce(${details.endedAt}::timestamptz, ended_at),
      transcript = coalesce(${details.transcript}::text, transcript),
      recording_url = coalesce(${details.recordingUrl}::text, recording_url),
      summary = coalesce(${details.summary}::text, summary),
      analysis = coalesce(${json(details.analysis)}::jsonb, analysis),
      cost = coalesce(${decimal(details.cost)}::numeric, cost),
      costs = coalesce(${json(details.costs)}::jsonb, costs),
      cost_breakdown = coalesce(${json(details.costBreakdown)}::jsonb, cost_breakdown)
    where id = ${callId}::uuid`);
}
