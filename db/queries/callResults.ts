// Writing what VAPI reports about a call onto its row: dialer.record_call_details
// (sql/034_apply_call_result.sql). Details only fill in: a later, thinner payload never erases
// what an earlier one recorded.
import { sql, type CommonQueryMethods } from 'slonik';
import type { CallDetails } from '../../server/vapi/callDetails.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * CallDetails as record_call_details reads them. The cost stays the JSON number VAPI sent (its
 * shortest decimal text, read back as numeric without scale: exact).
 */
export function callDetailsJson(details: CallDetails): string {
  return JSON.stringify(details);
}

/**
 * record_call_details; with `noted`, where the details stand too (note_call_details' rule), in the
 * same row version.
 */
export async function recordCallDetails(
  db: CommonQueryMethods,
  callId: string,
  details: CallDetails,
  noted?: { state: 'received' | 'missing'; recheckAfterSeconds: number; at: Date },
): Promise<void> {
  if (!noted) {
    await db.query(sql.unsafe`select dialer.record_call_details(${callId}::uuid, ${callDetailsJson(details)}::jsonb)`);
    return;
  }
  await db.query(sql.unsafe`
    select dialer.record_call_details(${callId}::uuid, ${callDetailsJson(details)}::jsonb, ${noted.state}::text,
                                      ${`${noted.recheckAfterSeconds} seconds`}::interval, ${noted.at.toISOString()}::timestamptz)`);
}
