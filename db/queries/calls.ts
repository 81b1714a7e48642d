// Reading calls for the API: the list (filters, newest first, keyset) shared by the JSON and CSV
// answers, and one call with its webhook timeline.
import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from '../zod.js';
import { exactInstant } from './keyset.js';

export const callStatuses = ['scheduled', 'dialing', 'queued', 'ringing', 'in_progress', 'ended', 'cancelled', 'skipped'] as const;
export const callOutcomes = ['answered', 'no_answer', 'busy', 'voicemail', 'failed'] as const;

export const callRow = z.object({
  id: z.string(),
  campaign_id: z.string().nullable(),
  campaign_name: z.string().nullable(),
  contact_id: z.string(),
  contact_name: z.string().nullable(),
  phone: z.string(),
  status: z.string(),
  outcome: z.string().nullable(),
  ended_reason: z.string().nullable(),
  attempt: z.number(),
  occurrence: z.string(),
  due_at: z.string(),
  dial_started_at: z.string().nullable(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  cost: z.number().nullable(),
  vapi_call_id: z.string().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  /** the caller number the call was placed from (chosen at claim; a direct call's own) */
  phone_number_id: z.string().nullable(),
  /** created_at with its microseconds: the keyset cursor */
  sort_at: z.string(),
});
export type CallRow = z.infer<typeof callRow>;

const listColumns = sql.fragment`call.id, call.campaign_id, campaign.name as campaign_name, call.contact_id,
  contact.name as contact_name, call.phone, call.status, call.outcome, call.ended_reason, call.attempt,
  call.occurrence, call.due_at, call.dial_started_at, call.started_at, call.ended_at,
  call.duration_seconds::float8 as duration_seconds, call.cost::float8 as cost, call.vapi_call_id,
  call.last_error, call.created_at, coalesce(call.phone_number_id, case when cardinality(campaign.phone_number_ids) = 1 then campaign.phone_number_id end) as phone_number_id, ${exactInstant(['call', 'created_at'])} as sort_at`;

export type CallFilters = {
  campaignId?: string;
  contactId?: string;
  statuses?: string[];
  outcomes?: string[];
  /** created_at >= from */
  from?: string;
  /** created_at < to */
  to?: string;
  /** part of the contact's name (case-insensitive) or of the phone number (digits) */
  q?: string;
  /** keyset: rows strictly older than (created_at, id) */
  before?: [string, string];
};

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function conditions(tenantId: string, filters: CallFilters) {
  const where: FragmentSqlToken[] = [sql.fragment`call.tenant_id = ${tenantId}`];
  if (filters.campaignId) where.push(sql.fragment`call.campaign_id = ${filters.campaignId}`);
  if (filters.contactId) where.push(sql.fragment`call.contact_id = ${filters.contactId}`);
  if (filters.statuses?.length) where.push(sql.fragment`call.status = any(${sql.array(filters.statuses, 'text')})`);
  if (filters.outcomes?.length) where.push(sql.fragment`call.outcome = any(${sql.array(filters.outcomes, 'text')})`);
  if (filters.from) where.push(sql.fragment`call.created_at >= ${filters.from}::timestamptz`);
  if (filters.to) where.push(sql.fragment`call.created_at < ${filters.to}::timestamptz`);
  if (filters.q) {
    const digits = filters.q.replace(/\D/g, '');
    const byName = sql.fragment`contact.name ilike ${'%' + likeEscape(filters.q) + '%'}`;
    where.push(digits ? sql.fragment`(${byName} or call.phone like ${'%' + digits + '%'})` : byName);
  }
  if (filters.before) where.push(sql.fragment`(call.created_at, call.id) < (${filters.before[0]}::timestamptz, ${filters.before[1]}::uuid)`);
  return sql.join(where, sql.fragment` and `);
}

/** Up to `limit` calls of the tenant matching the filters, newest first (created_at, id). */
export async function listCalls(connection: CommonQueryMethods, tenantId: string, filters: CallFilters, limit: number): Promise<readonly CallRow[]> {
  return connection.any(sql.type(callRow)`
    select ${listColumns}
    from dialer.calls call
    join dialer.contacts contact on contact.id = call.contact_id
    left join dialer.campaigns campaign on campaign.id = call.campaign_id
    where ${conditions(tenantId, filters)}
    order by call.created_at desc, call.id desc
    limit ${limit}`);
}

export const callDetailRow = callRow.extend({
  assistant_id: z.string().nullable(),
  variables: z.record(z.unknown()),
  vapi_status: z.string().nullable(),
  transcript: z.string().nullable(),
  recording_url: z.string().nullable(),
  summary: z.string().nullable(),
  analysis: z.unknown().nullable(),
  costs: z.array(z.unknown()).nullable(),
  cost_breakdown: z.unknown().nullable(),
  updated_at: z.string(),
});

export async function findCall(connection: CommonQueryMethods, tenantId: string, id: string) {
  return connection.maybeOne(sql.type(callDetailRow)`
    select ${listColumns}, coalesce(call.assistant_id, campaign.assistant_id) as assistant_id, call.variables,
           call.vapi_status, call.transcript, call.recording_url, call.summary, call.analysis,
           call.costs, call.cost_breakdown, call.updated_at
    from dialer.calls call
    join dialer.contacts contact on contact.id = call.contact_id
    left join dialer.campaigns campaign on campaign.id = call.campaign_id
    where call.id = ${id} and call.tenant_id = ${tenantId}`);
}

export const callEventRow = z.object({
  id: z.number(),
  type: z.string().nullable(),
  status: z.string().nullable(),
  event_at: z.string().nullable(),
  received_at: z.string(),
  applied_at: z.string().nullable(),
  error: z.string().nullable(),
});

/** The call's webhooks in the order they arrived (payloads left out: they can be large). */
export async function callEvents(connection: CommonQueryMethods, tenantId: string, callId: string) {
  return connection.any(sql.type(callEventRow)`
    select id, type, status, event_at, received_at, applied_at, error
    from dialer.call_events
    where call_id = ${callId} and tenant_id = ${tenantId}
    order by id`);
}
