-- Up Migration
-- The whole data model of DESIGN.md. Tables only: functions and views live in sql/ and are
-- re-applied on every migrate. Never edit this file once it has landed; add a new migration.

create schema if not exists dialer;

-- Used by CHECK constraints, so it lives with the tables. Time zone names do not change
-- meaning, which is why "immutable" is an acceptable promise here.
create function dialer._is_time_zone(tz text) returns boolean
  language plpgsql immutable strict
as $$
begin
  perform now() at time zone tz;
  return true;
exception when invalid_parameter_value then
  return false;
end
$$;
comment on function dialer._is_time_zone(text) is
  'Internal: true when tz is a time zone name Postgres knows (IANA names such as America/New_York).';

create table dialer.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  vapi_api_key_encrypted text,
  vapi_base_url text,
  webhook_auth_type text not null default 'secret',
  webhook_secret_encrypted text,
  concurrency_limit integer not null default 10,
  vapi_concurrency_limit integer,
  max_calls_per_number_per_24h integer not null default 3,
  contact_hours_start time not null default '08:00',
  contact_hours_end time not null default '21:00',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenants_name_length check (length(name) between 1 and 200),
  constraint tenants_webhook_auth_type_valid check (webhook_auth_type in ('secret', 'bearer', 'hmac')),
  constraint tenants_concurrency_limit_range check (concurrency_limit between 1 and 10000),
  constraint tenants_vapi_concurrency_limit_range check (vapi_concurrency_limit between 0 and 10000),
  constraint tenants_max_calls_per_number_range check (max_calls_per_number_per_24h between 1 and 100),
  constraint tenants_vapi_base_url_http check (vapi_base_url ~ '^https?://')
);
comment on table dialer.tenants is 'An account: its VAPI key (encrypted with APP_SECRET), webhook credential, concurrency limit and compliance settings.';
comment on column dialer.tenants.vapi_concurrency_limit is 'The concurrency limit VAPI last reported (subscriptionLimits.concurrencyLimit); the effective limit is the lower of this and concurrency_limit.';

create table dialer.api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  key_hash bytea not null,
  key_prefix text not null,
  name text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  constraint api_keys_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint api_keys_key_hash_unique unique (key_hash),
  constraint api_keys_key_hash_sha256 check (length(key_hash) = 32)
);
create index api_keys_tenant_idx on dialer.api_keys (tenant_id);
comment on table dialer.api_keys is 'API keys; only the SHA-256 of each key is stored.';

create table dialer.campaigns (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  name text not null,
  assistant_id text not null,
  phone_number_id text not null,
  time_zone text not null,
  window_start time not null,
  window_end time not null,
  days integer[] not null default '{1,2,3,4,5}',
  frequency text not null default 'once',
  max_attempts integer not null default 3,
  retry_delay_minutes integer not null default 60,
  retry_delays jsonb not null default '{}',
  retry_outcomes text[] not null default '{no_answer,busy,voicemail,failed}',
  max_concurrency integer not null default 5,
  starts_on date,
  ends_on date,
  blackout_dates date[] not null default '{}',
  variables jsonb not null default '{}',
  status text not null default 'draft',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  deleted_at timestamptz,
  constraint campaigns_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint campaigns_name_length check (length(name) between 1 and 200),
  constraint campaigns_assistant_id_present check (length(assistant_id) between 1 and 100),
  constraint campaigns_phone_number_id_present check (length(phone_number_id) between 1 and 100),
  constraint campaigns_time_zone_valid check (dialer._is_time_zone(time_zone)),
  constraint campaigns_days_valid check (days <@ '{1,2,3,4,5,6,7}'::integer[] and cardinality(days) between 1 and 7),
  constraint campaigns_frequency_valid check (frequency in ('once', 'daily', 'weekly')),
  constraint campaigns_max_attempts_range check (max_attempts between 1 and 20),
  constraint campaigns_retry_delay_range check (retry_delay_minutes between 0 and 525600),
  constraint campaigns_retry_delays_object check (jsonb_typeof(retry_delays) = 'object'),
  constraint campaigns_retry_outcomes_valid check (retry_outcomes <@ '{no_answer,busy,voicemail,failed}'::text[]),
  constraint campaigns_max_concurrency_range check (max_concurrency between 1 and 10000),
  constraint campaigns_dates_ordered check (ends_on >= starts_on),
  constraint campaigns_variables_object check (jsonb_typeof(variables) = 'object'),
  constraint campaigns_status_valid check (status in ('draft', 'active', 'paused', 'completed', 'stopped'))
);
create index campaigns_tenant_status_idx on dialer.campaigns (tenant_id, status) where deleted_at is null;
create index campaigns_active_idx on dialer.campaigns (id) where status = 'active' and deleted_at is null;
comment on table dialer.campaigns is 'A calling campaign. window_end < window_start means the window runs past midnight and belongs to the day it opens; window_start = window_end means all day.';
comment on column dialer.campaigns.days is 'ISO weekdays on which a window opens: 1 = Monday … 7 = Sunday.';
comment on column dialer.campaigns.retry_delays is 'Per-outcome retry delay in minutes, e.g. {"busy": 10}; outcomes not listed use retry_delay_minutes.';
comment on column dialer.campaigns.retry_outcomes is 'Outcomes that earn another attempt (until max_attempts).';

create table dialer.contacts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  phone text not null,
  name text,
  time_zone text,
  time_zone_source text,
  possible_time_zones text[] not null default '{}',
  attributes jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint contacts_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint contacts_phone_e164 check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  constraint contacts_tenant_phone_unique unique (tenant_id, phone),
  constraint contacts_name_length check (length(name) <= 200),
  constraint contacts_time_zone_valid check (dialer._is_time_zone(time_zone)),
  constraint contacts_time_zone_source_valid check (time_zone_source in ('column', 'area_code', 'manual')),
  constraint contacts_attributes_object check (jsonb_typeof(attributes) = 'object')
);
comment on table dialer.contacts is 'People to call, unique per tenant by E.164 phone.';
comment on column dialer.contacts.time_zone is 'The contact''s own zone when known (from an import column or set by hand).';
comment on column dialer.contacts.possible_time_zones is 'Zones the number could be in (from its area code) when time_zone is not known; calling hours must be open in all of them.';

create table dialer.imports (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  campaign_id uuid not null,
  status text not null default 'running',
  filename text,
  rows integer not null default 0,
  imported integer not null default 0,
  duplicates integer not null default 0,
  dnc integer not null default 0,
  rejected integer not null default 0,
  errors jsonb not null default '[]',
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint imports_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint imports_campaign_fk foreign key (campaign_id) references dialer.campaigns (id) on delete cascade,
  constraint imports_status_valid check (status in ('running', 'completed', 'failed')),
  constraint imports_counts_non_negative check (rows >= 0 and imported >= 0 and duplicates >= 0 and dnc >= 0 and rejected >= 0),
  constraint imports_errors_array check (jsonb_typeof(errors) = 'array')
);
create index imports_campaign_idx on dialer.imports (campaign_id);
comment on table dialer.imports is 'One row per CSV import, with its report (errors: [{line, code, message}], capped).';

create table dialer.campaign_contacts (
  campaign_id uuid not null,
  contact_id uuid not null,
  variables jsonb not null default '{}',
  import_id uuid,
  added_at timestamptz not null default now(),
  constraint campaign_contacts_pkey primary key (campaign_id, contact_id),
  constraint campaign_contacts_campaign_fk foreign key (campaign_id) references dialer.campaigns (id) on delete cascade,
  constraint campaign_contacts_contact_fk foreign key (contact_id) references dialer.contacts (id) on delete cascade,
  constraint campaign_contacts_import_fk foreign key (import_id) references dialer.imports (id) on delete set null,
  constraint campaign_contacts_variables_object check (jsonb_typeof(variables) = 'object')
);
create index campaign_contacts_contact_idx on dialer.campaign_contacts (contact_id);
comment on table dialer.campaign_contacts is 'Which contacts a campaign calls, with per-contact variables for the assistant.';

create table dialer.calls (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  campaign_id uuid,
  contact_id uuid not null,
  phone text not null,
  assistant_id text,
  phone_number_id text,
  variables jsonb not null default '{}',
  attempt integer not null default 1,
  occurrence text not null default 'once',
  status text not null default 'scheduled',
  outcome text,
  due_at timestamptz not null,
  claimed_at timestamptz,
  lease_expires_at timestamptz,
  dial_started_at timestamptz,
  dispatch_failures integer not null default 0,
  vapi_call_id text,
  vapi_status text,
  ended_reason text,
  started_at timestamptz,
  ended_at timestamptz,
  duration_seconds numeric generated always as (extract(epoch from ended_at - started_at)) stored,
  cost numeric(12, 4),
  cost_breakdown jsonb,
  transcript text,
  recording_url text,
  summary text,
  analysis jsonb,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint calls_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint calls_campaign_fk foreign key (campaign_id) references dialer.campaigns (id) on delete cascade,
  constraint calls_contact_fk foreign key (contact_id) references dialer.contacts (id) on delete cascade,
  constraint calls_phone_e164 check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  constraint calls_direct_has_target check (campaign_id is not null or (assistant_id is not null and phone_number_id is not null)),
  constraint calls_variables_object check (jsonb_typeof(variables) = 'object'),
  constraint calls_attempt_positive check (attempt >= 1),
  constraint calls_status_valid check (status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress', 'ended', 'cancelled', 'skipped')),
  constraint calls_outcome_valid check (outcome in ('answered', 'no_answer', 'busy', 'voicemail', 'failed')),
  constraint calls_outcome_iff_ended check ((status = 'ended') = (outcome is not null)),
  constraint calls_dispatch_failures_non_negative check (dispatch_failures >= 0),
  constraint calls_cost_non_negative check (cost >= 0),
  constraint calls_vapi_call_id_unique unique (vapi_call_id),
  constraint calls_attempt_unique unique (campaign_id, contact_id, occurrence, attempt)
);
-- The due-call query reads only scheduled rows, so its index holds only those: its size
-- follows what is pending, not the history.
create index calls_scheduled_due_idx on dialer.calls (due_at) where status = 'scheduled';
-- Live calls per number and per campaign/tenant, for concurrency and "no two live calls".
create index calls_live_idx on dialer.calls (tenant_id, phone)
  where status in ('dialing', 'queued', 'ringing', 'in_progress');
create index calls_live_campaign_idx on dialer.calls (campaign_id)
  where status in ('dialing', 'queued', 'ringing', 'in_progress');
-- Calls to a number in the last 24 hours (the per-number cap).
create index calls_number_dialed_idx on dialer.calls (tenant_id, phone, dial_started_at)
  where dial_started_at is not null;
-- Lookups by (campaign, contact) use calls_attempt_unique, whose leading columns they are: every
-- index here is paid on each claim and status change, so none is kept twice.
create index calls_contact_idx on dialer.calls (contact_id);
create index calls_tenant_created_idx on dialer.calls (tenant_id, created_at desc, id desc);
comment on table dialer.calls is 'One row per attempt. Status only moves forward: scheduled → dialing → queued/ringing/in_progress → ended (with outcome), or cancelled/skipped.';
comment on column dialer.calls.occurrence is '''once'' for once campaigns and direct calls; the local date (YYYY-MM-DD) for daily, the ISO week (YYYY-Www) for weekly.';
comment on column dialer.calls.dial_started_at is 'Set just before the VAPI request is sent: a call with this set and no vapi_call_id may have been dialed and must be looked up on VAPI before any retry.';
comment on column dialer.calls.lease_expires_at is 'A claimed call (dialing) whose lease has expired belongs to nobody and is resolved by reconciliation.';

create table dialer.call_events (
  id bigint generated always as identity primary key,
  tenant_id uuid,
  call_id uuid,
  vapi_call_id text,
  type text,
  status text,
  event_at timestamptz,
  received_at timestamptz not null default now(),
  body_sha256 bytea not null,
  payload jsonb,
  raw_body text,
  applied_at timestamptz,
  error text,
  constraint call_events_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint call_events_call_fk foreign key (call_id) references dialer.calls (id) on delete set null,
  constraint call_events_body_present check (payload is not null or raw_body is not null)
);
-- Deduplication: the same body delivered twice for the same tenant is stored once.
create unique index call_events_dedupe_idx on dialer.call_events (tenant_id, body_sha256) nulls not distinct;
create index call_events_call_idx on dialer.call_events (call_id, id);
create index call_events_vapi_call_idx on dialer.call_events (vapi_call_id);
comment on table dialer.call_events is 'Every webhook as received (append-only, deduplicated by body hash per tenant).';

create table dialer.dnc (
  tenant_id uuid not null,
  phone text not null,
  reason text,
  created_at timestamptz not null default now(),
  constraint dnc_pkey primary key (tenant_id, phone),
  constraint dnc_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint dnc_phone_e164 check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  constraint dnc_reason_length check (length(reason) <= 500)
);
comment on table dialer.dnc is 'Per-tenant do-not-call numbers: never dialed, whatever the campaign.';

create table dialer.audit_log (
  id bigint generated always as identity primary key,
  tenant_id uuid,
  actor text not null,
  action text not null,
  entity text not null,
  entity_id text,
  details jsonb not null default '{}',
  at timestamptz not null default now(),
  constraint audit_log_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade
);
create index audit_log_tenant_at_idx on dialer.audit_log (tenant_id, at desc);
comment on table dialer.audit_log is 'Who changed what: one row per state change made through the API or CLI.';

-- Down Migration
drop schema dialer cascade;
