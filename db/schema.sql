-- Schema dialer, dumped by `npm run db:dump`. Do not edit: run the dump after a change.

create table dialer.api_keys (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  key_hash bytea not null,
  key_prefix text not null,
  name text,
  created_at timestamp with time zone default now() not null,
  last_used_at timestamp with time zone,
  revoked_at timestamp with time zone,
  constraint api_keys_key_hash_sha256 CHECK (length(key_hash) = 32),
  constraint api_keys_key_hash_unique UNIQUE (key_hash),
  constraint api_keys_pkey PRIMARY KEY (id),
  constraint api_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.api_keys is 'API keys; only the SHA-256 of each key is stored.';

create table dialer.audit_log (
  id bigint generated always as identity not null,
  tenant_id uuid,
  actor text not null,
  action text not null,
  entity text not null,
  entity_id text,
  details jsonb default '{}'::jsonb not null,
  at timestamp with time zone default now() not null,
  constraint audit_log_pkey PRIMARY KEY (id),
  constraint audit_log_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.audit_log is 'Who changed what: one row per state change made through the API or CLI.';

create table dialer.call_events (
  id bigint generated always as identity not null,
  tenant_id uuid,
  call_id uuid,
  vapi_call_id text,
  type text,
  status text,
  event_at timestamp with time zone,
  received_at timestamp with time zone default now() not null,
  body_sha256 bytea not null,
  payload jsonb,
  raw_body text,
  applied_at timestamp with time zone,
  error text,
  constraint call_events_body_present CHECK (payload IS NOT NULL OR raw_body IS NOT NULL),
  constraint call_events_call_fk FOREIGN KEY (call_id) REFERENCES dialer.calls(id) ON DELETE SET NULL,
  constraint call_events_pkey PRIMARY KEY (id),
  constraint call_events_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.call_events is 'Every webhook as received (append-only, deduplicated by body hash per tenant).';

create table dialer.calls (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  campaign_id uuid,
  contact_id uuid not null,
  phone text not null,
  assistant_id text,
  phone_number_id text,
  variables jsonb default '{}'::jsonb not null,
  attempt integer default 1 not null,
  occurrence text default 'once'::text not null,
  status text default 'scheduled'::text not null,
  outcome text,
  due_at timestamp with time zone not null,
  claimed_at timestamp with time zone,
  lease_expires_at timestamp with time zone,
  dial_started_at timestamp with time zone,
  dispatch_failures integer default 0 not null,
  vapi_call_id text,
  vapi_status text,
  ended_reason text,
  started_at timestamp with time zone,
  ended_at timestamp with time zone,
  duration_seconds numeric generated always as (EXTRACT(epoch FROM (ended_at - started_at))) stored,
  cost numeric(12,4),
  cost_breakdown jsonb,
  transcript text,
  recording_url text,
  summary text,
  analysis jsonb,
  last_error text,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint calls_attempt_positive CHECK (attempt >= 1),
  constraint calls_attempt_unique UNIQUE (campaign_id, contact_id, occurrence, attempt),
  constraint calls_campaign_fk FOREIGN KEY (campaign_id) REFERENCES dialer.campaigns(id) ON DELETE CASCADE,
  constraint calls_contact_fk FOREIGN KEY (contact_id) REFERENCES dialer.contacts(id) ON DELETE CASCADE,
  constraint calls_cost_non_negative CHECK (cost >= 0::numeric),
  constraint calls_direct_has_target CHECK (campaign_id IS NOT NULL OR assistant_id IS NOT NULL AND phone_number_id IS NOT NULL),
  constraint calls_dispatch_failures_non_negative CHECK (dispatch_failures >= 0),
  constraint calls_outcome_iff_ended CHECK ((status = 'ended'::text) = (outcome IS NOT NULL)),
  constraint calls_outcome_valid CHECK (outcome = ANY (ARRAY['answered'::text, 'no_answer'::text, 'busy'::text, 'voicemail'::text, 'failed'::text])),
  constraint calls_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint calls_pkey PRIMARY KEY (id),
  constraint calls_status_valid CHECK (status = ANY (ARRAY['scheduled'::text, 'dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text, 'ended'::text, 'cancelled'::text, 'skipped'::text])),
  constraint calls_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint calls_vapi_call_id_unique UNIQUE (vapi_call_id),
  constraint calls_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.calls is 'One row per attempt. Status only moves forward: scheduled → dialing → queued/ringing/in_progress → ended (with outcome), or cancelled/skipped.';
comment on column dialer.calls.occurrence is '''once'' for once campaigns and direct calls; the local date (YYYY-MM-DD) for daily, the ISO week (YYYY-Www) for weekly.';
comment on column dialer.calls.lease_expires_at is 'A claimed call (dialing) whose lease has expired belongs to nobody and is resolved by reconciliation.';
comment on column dialer.calls.dial_started_at is 'Set just before the VAPI request is sent: a call with this set and no vapi_call_id may have been dialed and must be looked up on VAPI before any retry.';

create table dialer.campaign_contacts (
  campaign_id uuid not null,
  contact_id uuid not null,
  variables jsonb default '{}'::jsonb not null,
  import_id uuid,
  added_at timestamp with time zone default now() not null,
  constraint campaign_contacts_campaign_fk FOREIGN KEY (campaign_id) REFERENCES dialer.campaigns(id) ON DELETE CASCADE,
  constraint campaign_contacts_contact_fk FOREIGN KEY (contact_id) REFERENCES dialer.contacts(id) ON DELETE CASCADE,
  constraint campaign_contacts_import_fk FOREIGN KEY (import_id) REFERENCES dialer.imports(id) ON DELETE SET NULL,
  constraint campaign_contacts_pkey PRIMARY KEY (campaign_id, contact_id),
  constraint campaign_contacts_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.campaign_contacts is 'Which contacts a campaign calls, with per-contact variables for the assistant.';

create table dialer.campaigns (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  name text not null,
  assistant_id text not null,
  phone_number_id text not null,
  time_zone text not null,
  window_start time without time zone not null,
  window_end time without time zone not null,
  days integer[] default '{1,2,3,4,5}'::integer[] not null,
  frequency text default 'once'::text not null,
  max_attempts integer default 3 not null,
  retry_delay_minutes integer default 60 not null,
  retry_delays jsonb default '{}'::jsonb not null,
  retry_outcomes text[] default '{no_answer,busy,voicemail,failed}'::text[] not null,
  max_concurrency integer default 5 not null,
  starts_on date,
  ends_on date,
  blackout_dates date[] default '{}'::date[] not null,
  variables jsonb default '{}'::jsonb not null,
  status text default 'draft'::text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  started_at timestamp with time zone,
  finished_at timestamp with time zone,
  deleted_at timestamp with time zone,
  constraint campaigns_assistant_id_present CHECK (length(assistant_id) >= 1 AND length(assistant_id) <= 100),
  constraint campaigns_dates_ordered CHECK (ends_on >= starts_on),
  constraint campaigns_days_valid CHECK (days <@ '{1,2,3,4,5,6,7}'::integer[] AND cardinality(days) >= 1 AND cardinality(days) <= 7),
  constraint campaigns_frequency_valid CHECK (frequency = ANY (ARRAY['once'::text, 'daily'::text, 'weekly'::text])),
  constraint campaigns_max_attempts_range CHECK (max_attempts >= 1 AND max_attempts <= 20),
  constraint campaigns_max_concurrency_range CHECK (max_concurrency >= 1 AND max_concurrency <= 10000),
  constraint campaigns_name_length CHECK (length(name) >= 1 AND length(name) <= 200),
  constraint campaigns_phone_number_id_present CHECK (length(phone_number_id) >= 1 AND length(phone_number_id) <= 100),
  constraint campaigns_pkey PRIMARY KEY (id),
  constraint campaigns_retry_delay_range CHECK (retry_delay_minutes >= 0 AND retry_delay_minutes <= 525600),
  constraint campaigns_retry_delays_object CHECK (jsonb_typeof(retry_delays) = 'object'::text),
  constraint campaigns_retry_outcomes_valid CHECK (retry_outcomes <@ '{no_answer,busy,voicemail,failed}'::text[]),
  constraint campaigns_status_valid CHECK (status = ANY (ARRAY['draft'::text, 'active'::text, 'paused'::text, 'completed'::text, 'stopped'::text])),
  constraint campaigns_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint campaigns_time_zone_valid CHECK (dialer._is_time_zone(time_zone)),
  constraint campaigns_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.campaigns is 'A calling campaign. window_end < window_start means the window runs past midnight and belongs to the day it opens; window_start = window_end means all day.';
comment on column dialer.campaigns.days is 'ISO weekdays on which a window opens: 1 = Monday … 7 = Sunday.';
comment on column dialer.campaigns.retry_delays is 'Per-outcome retry delay in minutes, e.g. {"busy": 10}; outcomes not listed use retry_delay_minutes.';
comment on column dialer.campaigns.retry_outcomes is 'Outcomes that earn another attempt (until max_attempts).';

create table dialer.contacts (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  phone text not null,
  name text,
  time_zone text,
  time_zone_source text,
  possible_time_zones text[] default '{}'::text[] not null,
  attributes jsonb default '{}'::jsonb not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  deleted_at timestamp with time zone,
  constraint contacts_attributes_object CHECK (jsonb_typeof(attributes) = 'object'::text),
  constraint contacts_name_length CHECK (length(name) <= 200),
  constraint contacts_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint contacts_pkey PRIMARY KEY (id),
  constraint contacts_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint contacts_tenant_phone_unique UNIQUE (tenant_id, phone),
  constraint contacts_time_zone_source_valid CHECK (time_zone_source = ANY (ARRAY['column'::text, 'area_code'::text, 'manual'::text])),
  constraint contacts_time_zone_valid CHECK (dialer._is_time_zone(time_zone))
);
comment on table dialer.contacts is 'People to call, unique per tenant by E.164 phone.';
comment on column dialer.contacts.time_zone is 'The contact''s own zone when known (from an import column or set by hand).';
comment on column dialer.contacts.possible_time_zones is 'Zones the number could be in (from its area code) when time_zone is not known; calling hours must be open in all of them.';

create table dialer.dnc (
  tenant_id uuid not null,
  phone text not null,
  reason text,
  created_at timestamp with time zone default now() not null,
  constraint dnc_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint dnc_pkey PRIMARY KEY (tenant_id, phone),
  constraint dnc_reason_length CHECK (length(reason) <= 500),
  constraint dnc_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.dnc is 'Per-tenant do-not-call numbers: never dialed, whatever the campaign.';

create table dialer.imports (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  campaign_id uuid not null,
  status text default 'running'::text not null,
  filename text,
  rows integer default 0 not null,
  imported integer default 0 not null,
  duplicates integer default 0 not null,
  dnc integer default 0 not null,
  rejected integer default 0 not null,
  errors jsonb default '[]'::jsonb not null,
  created_at timestamp with time zone default now() not null,
  finished_at timestamp with time zone,
  constraint imports_campaign_fk FOREIGN KEY (campaign_id) REFERENCES dialer.campaigns(id) ON DELETE CASCADE,
  constraint imports_counts_non_negative CHECK (rows >= 0 AND imported >= 0 AND duplicates >= 0 AND dnc >= 0 AND rejected >= 0),
  constraint imports_errors_array CHECK (jsonb_typeof(errors) = 'array'::text),
  constraint imports_pkey PRIMARY KEY (id),
  constraint imports_status_valid CHECK (status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text])),
  constraint imports_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.imports is 'One row per CSV import, with its report (errors: [{line, code, message}], capped).';

create table dialer.tenants (
  id uuid default gen_random_uuid() not null,
  name text not null,
  vapi_api_key_encrypted text,
  vapi_base_url text,
  webhook_auth_type text default 'secret'::text not null,
  webhook_secret_encrypted text,
  concurrency_limit integer default 10 not null,
  vapi_concurrency_limit integer,
  max_calls_per_number_per_24h integer default 3 not null,
  contact_hours_start time without time zone default '08:00:00'::time without time zone not null,
  contact_hours_end time without time zone default '21:00:00'::time without time zone not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint tenants_concurrency_limit_range CHECK (concurrency_limit >= 1 AND concurrency_limit <= 10000),
  constraint tenants_max_calls_per_number_range CHECK (max_calls_per_number_per_24h >= 1 AND max_calls_per_number_per_24h <= 100),
  constraint tenants_name_length CHECK (length(name) >= 1 AND length(name) <= 200),
  constraint tenants_pkey PRIMARY KEY (id),
  constraint tenants_vapi_base_url_http CHECK (vapi_base_url ~ '^https?://'::text),
  constraint tenants_vapi_concurrency_limit_range CHECK (vapi_concurrency_limit >= 0 AND vapi_concurrency_limit <= 10000),
  constraint tenants_webhook_auth_type_valid CHECK (webhook_auth_type = ANY (ARRAY['secret'::text, 'bearer'::text, 'hmac'::text]))
);
comment on table dialer.tenants is 'An account: its VAPI key (encrypted with APP_SECRET), webhook credential, concurrency limit and compliance settings.';
comment on column dialer.tenants.vapi_concurrency_limit is 'The concurrency limit VAPI last reported (subscriptionLimits.concurrencyLimit); the effective limit is the lower of this and concurrency_limit.';

CREATE INDEX api_keys_tenant_idx ON dialer.api_keys USING btree (tenant_id);
CREATE INDEX audit_log_tenant_at_idx ON dialer.audit_log USING btree (tenant_id, at DESC);
CREATE INDEX call_events_call_idx ON dialer.call_events USING btree (call_id, id);
CREATE UNIQUE INDEX call_events_dedupe_idx ON dialer.call_events USING btree (tenant_id, body_sha256) NULLS NOT DISTINCT;
CREATE INDEX call_events_vapi_call_idx ON dialer.call_events USING btree (vapi_call_id);
CREATE INDEX calls_campaign_contact_idx ON dialer.calls USING btree (campaign_id, contact_id);
CREATE INDEX calls_contact_idx ON dialer.calls USING btree (contact_id);
CREATE INDEX calls_live_campaign_idx ON dialer.calls USING btree (campaign_id) WHERE (status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text]));
CREATE INDEX calls_live_idx ON dialer.calls USING btree (tenant_id, phone) WHERE (status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text]));
CREATE INDEX calls_number_dialed_idx ON dialer.calls USING btree (tenant_id, phone, dial_started_at) WHERE (dial_started_at IS NOT NULL);
CREATE INDEX calls_scheduled_due_idx ON dialer.calls USING btree (due_at) WHERE (status = 'scheduled'::text);
CREATE INDEX calls_tenant_created_idx ON dialer.calls USING btree (tenant_id, created_at DESC, id DESC);
CREATE INDEX campaign_contacts_contact_idx ON dialer.campaign_contacts USING btree (contact_id);
CREATE INDEX campaigns_active_idx ON dialer.campaigns USING btree (id) WHERE ((status = 'active'::text) AND (deleted_at IS NULL));
CREATE INDEX campaigns_tenant_status_idx ON dialer.campaigns USING btree (tenant_id, status) WHERE (deleted_at IS NULL);
CREATE INDEX imports_campaign_idx ON dialer.imports USING btree (campaign_id);

CREATE OR REPLACE FUNCTION dialer._is_time_zone(tz text)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE STRICT
AS $function$
begin
  perform now() at time zone tz;
  return true;
exception when invalid_parameter_value then
  return false;
end
$function$;
comment on function dialer._is_time_zone(tz text) is 'Internal: true when tz is a time zone name Postgres knows (IANA names such as America/New_York).';
