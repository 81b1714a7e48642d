// Campaign rows for the API: one column list, one row type, one mapping to the API's shape.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

export const retryOutcomeNames = ['no_answer', 'busy', 'voicemail', 'failed'] as const;
export type RetryOutcome = (typeof retryOutcomeNames)[number];

export const campaignRow = z.object({
  id: z.string(),
  name: z.string(),
  assistant_id: z.string(),
  phone_number_id: z.string(),
  phone_number_ids: z.array(z.string()),
  time_zone: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  days: z.array(z.number()),
  frequency: z.enum(['once', 'daily', 'weekly']),
  max_attempts: z.number(),
  retry_delay_minutes: z.number(),
  retry_delays: z.record(z.string(), z.number()),
  retry_outcomes: z.array(z.string()),
  retry_sequence: z.array(z.object({ after_minutes: z.number(), shift_window: z.enum(['later', 'earlier']).nullable().optional() })),
  attempt_overrides: z.array(
    z.object({ attempt: z.number(), variables: z.record(z.string(), z.unknown()).optional(), voicemail_message: z.string().optional() }),
  ),
  max_concurrency: z.number(),
  starts_on: z.string().nullable(),
  ends_on: z.string().nullable(),
  blackout_dates: z.array(z.string()),
  variables: z.record(z.string(), z.unknown()),
  forward_url: z.string().nullable(),
  status: z.enum(['draft', 'active', 'paused', 'completed', 'stopped']),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type CampaignRow = z.infer<typeof campaignRow>;

/** The columns of campaignRow, with dates and times as text (no Date objects, no time zone games). */
export const campaignColumns = sql.fragment`id, name, assistant_id, phone_number_id, time_zone,
  window_start::text, window_end::text, days, frequency, max_attempts, retry_delay_minutes, retry_delays,
  retry_outcomes::text[], retry_sequence, attempt_overrides, max_concurrency, starts_on::text, ends_on::text, blackout_dates::text[], variables,
  forward_url, status, created_at, updated_at, started_at, finished_at, phone_number_ids`;

export async function findCampaign(connection: CommonQueryMethods, tenantId: string, id: string, lock = false): Promise<CampaignRow | null> {
  return connection.maybeOne(sql.type(campaignRow)`
    select ${campaignColumns} from dialer.campaigns
    where id = ${id} and tenant_id = ${tenantId} and deleted_at is null
    ${lock ? sql.fragment`for update` : sql.fragment``}`);
}

const progressRow = z.object({
  contacts: z.number(),
  pending: z.number(),
  due_now: z.number(),
  waiting_for_window: z.number(),
  waiting_for_retry: z.number(),
  held_by_concurrency: z.number(),
  in_flight: z.number(),
  answered: z.number(),
  no_answer: z.number(),
  busy: z.number(),
  voicemail: z.number(),
  failed: z.number(),
  total_cost: z.number().nullable(),
  next_window_open: z.string().nullable(),
  contacts_reached: z.number(),
  contacts_in_flight: z.number(),
  contacts_waiting: z.number(),
  contacts_not_reached: z.number(),
  contacts_not_started: z.number(),
  held_by_caller_numbers: z.number(),
});
export type CampaignProgressRow = z.infer<typeof progressRow>;

const progressColumns = sql.fragment`contacts::int, pending::int, due_now::int, waiting_for_window::int, waiting_for_retry::int,
           held_by_concurrency::int, in_flight::int, answered::int, no_answer::int, busy::int,
           voicemail::int, failed::int, total_cost::float8, next_window_open,
           contacts_reached::int, contacts_in_flight::int, contacts_waiting::int, contacts_not_reached::int, contacts_not_started::int,
           held_by_caller_numbers::int`;

/**
 * The tenant's active and paused campaigns' lines of dialer.campaign_progress, those named, and
 * those finished in the last minutes (a once campaign completes with its last call's webhook).
 */
export async function tenantCampaignProgress(connection: CommonQueryMethods, tenantId: string, alsoIds: string[]) {
  return connection.any(sql.type(progressRow.extend({ campaign_id: z.string(), status: z.string() }))`
    select campaign_id, status, ${progressColumns}
    from dialer.campaign_progress
    where tenant_id = ${tenantId}
      and (status in ('active', 'paused') or campaign_id = any(${sql.array(alsoIds, 'uuid')})
           or campaign_id in (select id from dialer.campaigns
                              where tenant_id = ${tenantId} and finished_at > now() - interval '5 minutes'))`);
}

/** The campaign's line of dialer.campaign_progress (counts as of the database's now()). */
export async function campaignProgress(connection: CommonQueryMethods, tenantId: string, id: string): Promise<CampaignProgressRow | null> {
  return connection.maybeOne(sql.type(progressRow)`
    select ${progressColumns}
    from dialer.campaign_progress
    where campaign_id = ${id} and tenant_id = ${tenantId}`);
}
