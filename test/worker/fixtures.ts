// Rows the worker, webhook and end-to-end tests need, inserted directly (the API is someone
// else's subject). Secrets are encrypted the way the API stores them.
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { encryptSecret } from '../../server/crypto.js';

export const TEST_APP_SECRET = 'test-secret-'.padEnd(40, 'x');

export type TenantFixture = {
  name?: string;
  vapiKey?: string | null;
  vapiBaseUrl?: string | null;
  webhookAuthType?: 'secret' | 'bearer' | 'hmac';
  webhookSecret?: string | null;
  /** A VAPI webhook credential's id and options (VAPI's names), as PUT /v1/settings stores them. */
  webhookCredentialId?: string | null;
  webhookAuthOptions?: Record<string, unknown>;
  concurrencyLimit?: number;
  maxCallsPerNumberPer24h?: number;
  contactHours?: [string, string];
  /**
   * Calling rules switched off. Default: with the default all-day contact hours, the federal
   * 08:00–21:00 rule too (the +1555 test numbers have no state, so it is the only rule that
   * applies), so a test that runs on the real clock passes at any hour of the day.
   */
  disabledRules?: string[];
};

export async function insertTenant(pool: DatabasePool, fixture: TenantFixture = {}): Promise<string> {
  const encrypt = (value: string | null | undefined) => (value ? encryptSecret(TEST_APP_SECRET, value) : null);
  const [hoursStart, hoursEnd] = fixture.contactHours ?? ['00:00', '00:00'];
  const disabledRules = fixture.disabledRules ?? (fixture.contactHours ? [] : ['us-federal.tcpa']);
  return pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.tenants (name, vapi_api_key_encrypted, vapi_base_url, webhook_auth_type, webhook_secret_encrypted,
                                webhook_credential_id, webhook_auth_options,
                                concurrency_limit, max_calls_per_number_per_24h, contact_hours_start, contact_hours_end, disabled_rules)
    values (${fixture.name ?? 'Test tenant'}, ${encrypt(fixture.vapiKey === undefined ? 'vapi-test-key' : fixture.vapiKey)},
            ${fixture.vapiBaseUrl ?? null}, ${fixture.webhookAuthType ?? 'secret'},
            ${encrypt(fixture.webhookSecret === undefined ? 'whsec-test' : fixture.webhookSecret)},
            ${fixture.webhookCredentialId ?? null}, ${JSON.stringify(fixture.webhookAuthOptions ?? {})}::jsonb,
            ${fixture.concurrencyLimit ?? 10}, ${fixture.maxCallsPerNumberPer24h ?? 100}, ${hoursStart}::time, ${hoursEnd}::time,
            ${sql.array(disabledRules, 'text')})
    returning id`);
}

export async function insertContact(pool: DatabasePool, tenantId: string, phone: string, name: string | null = null, timeZone: string | null = null): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.contacts (tenant_id, phone, name, time_zone, time_zone_source)
    values (${tenantId}::uuid, ${phone}, ${name}, ${timeZone}, ${timeZone ? 'manual' : null})
    returning id`);
}

/** A direct call (no campaign), scheduled at `dueAt`. */
export async function insertDirectCall(
  pool: DatabasePool,
  tenantId: string,
  contactId: string,
  phone: string,
  dueAt: Date,
  fields: { variables?: Record<string, unknown> } = {},
): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, variables, due_at)
    values (${tenantId}::uuid, ${contactId}::uuid, ${phone}, 'asst_test', 'pn_test', ${JSON.stringify(fields.variables ?? {})}::jsonb,
            ${dueAt.toISOString()}::timestamptz)
    returning id`);
}

const callRow = z.object({
  id: z.string(),
  status: z.string(),
  outcome: z.string().nullable(),
  attempt: z.number(),
  vapi_call_id: z.string().nullable(),
  vapi_status: z.string().nullable(),
  ended_reason: z.string().nullable(),
  transcript: z.string().nullable(),
  recording_url: z.string().nullable(),
  summary: z.string().nullable(),
  cost: z.number().nullable(),
  dial_started_at: z.string().nullable(),
  due_at: z.string(),
  last_error: z.string().nullable(),
  dispatch_failures: z.number(),
  contact_id: z.string(),
  phone: z.string(),
});
export type CallRow = z.infer<typeof callRow>;

export async function callRowById(pool: DatabasePool, id: string): Promise<CallRow> {
  return pool.one(sql.type(callRow)`
    select id, status, outcome, attempt, vapi_call_id, vapi_status, ended_reason, transcript, recording_url, summary, cost,
           dial_started_at, due_at, last_error, dispatch_failures, contact_id, phone
    from dialer.calls where id = ${id}::uuid`);
}

export async function allCalls(pool: DatabasePool): Promise<readonly CallRow[]> {
  return pool.any(sql.type(callRow)`
    select id, status, outcome, attempt, vapi_call_id, vapi_status, ended_reason, transcript, recording_url, summary, cost,
           dial_started_at, due_at, last_error, dispatch_failures, contact_id, phone
    from dialer.calls order by phone, attempt`);
}

export async function eventCount(pool: DatabasePool): Promise<number> {
  return pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from dialer.call_events`);
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export type CampaignFixture = {
  timeZone?: string;
  windowStart?: string;
  windowEnd?: string;
  maxAttempts?: number;
  retryDelayMinutes?: number;
  retryDelays?: Record<string, number>;
  maxConcurrency?: number;
  frequency?: 'once' | 'daily' | 'weekly';
};

export async function insertCampaign(pool: DatabasePool, tenantId: string, fixture: CampaignFixture = {}): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, days,
                                  frequency, max_attempts, retry_delay_minutes, retry_delays, max_concurrency)
    values (${tenantId}::uuid, 'Test campaign', 'asst_campaign', 'pn_campaign', ${fixture.timeZone ?? 'America/New_York'},
            ${fixture.windowStart ?? '09:00'}::time, ${fixture.windowEnd ?? '17:00'}::time, '{1,2,3,4,5,6,7}',
            ${fixture.frequency ?? 'once'}, ${fixture.maxAttempts ?? 3}, ${fixture.retryDelayMinutes ?? 0},
            ${JSON.stringify(fixture.retryDelays ?? {})}::jsonb, ${fixture.maxConcurrency ?? 5})
    returning id`);
}

/** `count` contacts with phones +1555<prefix><n>, members of the campaign. Returns their phones. */
export async function addMembers(pool: DatabasePool, tenantId: string, campaignId: string, count: number, prefix = '2'): Promise<string[]> {
  const phones = Array.from({ length: count }, (_, i) => `+1555${prefix}${String(i).padStart(6 - prefix.length, '0')}`);
  await pool.query(sql.unsafe`
    with contact as (
      insert into dialer.contacts (tenant_id, phone, name)
      select ${tenantId}::uuid, phone, 'Contact ' || phone from unnest(${sql.array(phones, 'text')}) as phone
      returning id
    )
    insert into dialer.campaign_contacts (campaign_id, contact_id) select ${campaignId}::uuid, id from contact`);
  return phones;
}

export async function startCampaign(pool: DatabasePool, tenantId: string, campaignId: string, at: Date): Promise<void> {
  await pool.query(sql.unsafe`select dialer.start_campaign(${tenantId}::uuid, ${campaignId}::uuid, ${at.toISOString()}::timestamptz)`);
}

export async function campaignStatus(pool: DatabasePool, campaignId: string): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from dialer.campaigns where id = ${campaignId}::uuid`);
}

/** Calls not yet in a final state (scheduled or live). */
export async function unsettledCalls(pool: DatabasePool): Promise<number> {
  return pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from dialer.calls where status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress')`);
}
