-- Schema dialer on PostgreSQL 18, dumped by `npm run db:dump`. Do not edit: run the dump after a change.

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

create table dialer.area_codes (
  area_code text not null,
  jurisdictions text[] not null,
  time_zones text[] not null,
  constraint area_codes_format CHECK (area_code ~ '^[2-9][0-9]{2}$'::text),
  constraint area_codes_pkey PRIMARY KEY (area_code)
);
comment on table dialer.area_codes is 'Reference: NANP geographic area code → its state(s)/province(s) and zone(s).';

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

create table dialer.blackouts (
  id uuid default gen_random_uuid() not null,
  tenant_id uuid not null,
  jurisdiction text not null,
  county text,
  starts_at timestamp with time zone not null,
  ends_at timestamp with time zone not null,
  reason text not null,
  applies_to text[] default '{solicitation}'::text[] not null,
  created_at timestamp with time zone default now() not null,
  constraint blackouts_applies_to_valid CHECK (applies_to <@ '{solicitation,informational}'::text[] AND cardinality(applies_to) > 0),
  constraint blackouts_county_length CHECK (length(county) >= 1 AND length(county) <= 100),
  constraint blackouts_jurisdiction_fk FOREIGN KEY (jurisdiction) REFERENCES dialer.jurisdictions(code) ON DELETE RESTRICT,
  constraint blackouts_ordered CHECK (ends_at > starts_at),
  constraint blackouts_pkey PRIMARY KEY (id),
  constraint blackouts_reason_length CHECK (length(reason) >= 1 AND length(reason) <= 500),
  constraint blackouts_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.blackouts is 'Emergency blackouts of a tenant: calls to contacts of jurisdiction wait from starts_at to ends_at.';

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

create table dialer.caller_pool_numbers (
  pool_id bigint not null,
  position integer not null,
  tenant_id uuid not null,
  vapi_phone_number_id text not null,
  area_code text,
  state text,
  country_key text,
  used_today integer not null,
  constraint caller_pool_numbers_pkey PRIMARY KEY (tenant_id, vapi_phone_number_id, pool_id),
  constraint caller_pool_numbers_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES dialer.caller_pools(id) ON DELETE CASCADE,
  constraint caller_pool_numbers_tenant_id_vapi_phone_number_id_fkey FOREIGN KEY (tenant_id, vapi_phone_number_id) REFERENCES dialer.phone_numbers(tenant_id, vapi_phone_number_id) ON DELETE CASCADE
);
comment on table dialer.caller_pool_numbers is 'The registered numbers of each caller pool, at their position in it, with the number''s area code, state and country key (for local presence) and used_today (a copy of phone_numbers.calls_today), indexed so the claim reads a pool''s least-used numbers of a place without reading the pool. Kept by triggers (sql/033_caller_numbers.sql).';

create table dialer.caller_pools (
  id bigint generated always as identity not null,
  tenant_id uuid not null,
  phone_number_ids text[] not null,
  numbers_digest text not null,
  registered integer default 0 not null,
  constraint caller_pools_numbers_key UNIQUE (tenant_id, numbers_digest),
  constraint caller_pools_pkey PRIMARY KEY (id),
  constraint caller_pools_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.caller_pools is 'The distinct caller-number pools of a tenant (campaigns.phone_number_ids): campaigns with the same numbers in the same order share one. Kept by the triggers of sql/033_caller_numbers.sql; a pool no campaign uses is removed.';

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
  cost numeric,
  cost_breakdown jsonb,
  transcript text,
  recording_url text,
  summary text,
  analysis jsonb,
  last_error text,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  costs jsonb,
  counts_as_attempt boolean default true not null,
  check_at timestamp with time zone,
  checks integer default 0 not null,
  details_received_at timestamp with time zone,
  rule_set integer,
  cap_subject text,
  cap_person text,
  retry_step jsonb,
  constraint calls_attempt_positive CHECK (attempt >= 1),
  constraint calls_campaign_fk FOREIGN KEY (campaign_id) REFERENCES dialer.campaigns(id) ON DELETE CASCADE,
  constraint calls_checks_non_negative CHECK (checks >= 0),
  constraint calls_contact_fk FOREIGN KEY (contact_id) REFERENCES dialer.contacts(id) ON DELETE CASCADE,
  constraint calls_cost_non_negative CHECK (cost >= 0::numeric),
  constraint calls_costs_array CHECK (jsonb_typeof(costs) = 'array'::text),
  constraint calls_direct_has_target CHECK (campaign_id IS NOT NULL OR assistant_id IS NOT NULL AND phone_number_id IS NOT NULL),
  constraint calls_dispatch_failures_non_negative CHECK (dispatch_failures >= 0),
  constraint calls_outcome_iff_ended CHECK ((status = 'ended'::text) = (outcome IS NOT NULL)),
  constraint calls_outcome_valid CHECK (outcome = ANY (ARRAY['answered'::text, 'no_answer'::text, 'busy'::text, 'voicemail'::text, 'failed'::text])),
  constraint calls_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint calls_pkey PRIMARY KEY (id),
  constraint calls_status_valid CHECK (status = ANY (ARRAY['scheduled'::text, 'dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text, 'ended'::text, 'cancelled'::text, 'skipped'::text])),
  constraint calls_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint calls_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.calls is 'One row per attempt. Status only moves forward: scheduled → dialing → queued/ringing/in_progress → ended (with outcome), or cancelled/skipped.';
comment on column dialer.calls.occurrence is '''once'' for once campaigns and direct calls; the local date (YYYY-MM-DD) for daily, the ISO week (YYYY-Www) for weekly.';
comment on column dialer.calls.lease_expires_at is 'A claimed call (dialing) whose lease has expired belongs to nobody and is resolved by reconciliation.';
comment on column dialer.calls.dial_started_at is 'Set just before the VAPI request is sent: a call with this set and no vapi_call_id may have been dialed and must be looked up on VAPI before any retry.';
comment on column dialer.calls.cost is 'USD, exactly as VAPI reported it (report or Call object).';
comment on column dialer.calls.cost_breakdown is 'The Call object''s costBreakdown (GET /call/{id}); end-of-call-reports do not carry it.';
comment on column dialer.calls.costs is 'The end-of-call-report''s costs[] as sent (or the Call''s costs).';
comment on column dialer.calls.counts_as_attempt is 'False for a call VAPI ended for an account problem (the contact was never reached): kept as history, its replacement reuses the attempt number.';
comment on column dialer.calls.check_at is 'When reconciliation next looks the call up on VAPI (live: 60 s after its last news; ended without its report: RECONCILE_AFTER_SECONDS after the end, then with backoff); null = no lookup due.';
comment on column dialer.calls.checks is 'Lookups in a row that did not settle the call (live: VAPI did not know it or did not answer; ended: the details were still missing).';
comment on column dialer.calls.details_received_at is 'When the end-of-call details (an end-of-call-report, or the ended Call read with GET /call/{id}) were recorded.';
comment on column dialer.calls.retry_step is 'The retry-sequence entry that set this call''s due_at when it was planned: {step, after_minutes, shift_window}; null when the per-outcome delay (or nothing) did.';

create table dialer.campaign_contacts (
  campaign_id uuid not null,
  contact_id uuid not null,
  variables jsonb default '{}'::jsonb not null,
  import_id uuid,
  added_at timestamp with time zone default now() not null,
  constraint campaign_contacts_campaign_fk FOREIGN KEY (campaign_id) REFERENCES dialer.campaigns(id) ON DELETE CASCADE,
  constraint campaign_contacts_contact_fk FOREIGN KEY (contact_id) REFERENCES dialer.contacts(id) ON DELETE CASCADE,
  constraint campaign_contacts_pkey PRIMARY KEY (campaign_id, contact_id),
  constraint campaign_contacts_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.campaign_contacts is 'Which contacts a campaign calls, with per-contact variables for the assistant.';
comment on column dialer.campaign_contacts.import_id is 'The import that added the member (null when added otherwise). Not a foreign key: imports are deleted only with their campaign, which deletes its members.';

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
  forward_url text,
  call_type text,
  automated_voice boolean,
  disabled_rules text[] default '{}'::text[] not null,
  subject text,
  phone_number_ids text[] not null,
  retry_sequence jsonb default '[]'::jsonb not null,
  attempt_overrides jsonb default '[]'::jsonb not null,
  caller_pool_id bigint,
  constraint campaigns_assistant_id_present CHECK (length(assistant_id) >= 1 AND length(assistant_id) <= 100),
  constraint campaigns_attempt_overrides_valid CHECK (dialer._attempt_overrides_valid(attempt_overrides, max_attempts)),
  constraint campaigns_call_type_valid CHECK (call_type = ANY (ARRAY['solicitation'::text, 'informational'::text])),
  constraint campaigns_caller_pool_id_fkey FOREIGN KEY (caller_pool_id) REFERENCES dialer.caller_pools(id),
  constraint campaigns_dates_ordered CHECK (ends_on >= starts_on),
  constraint campaigns_days_valid CHECK (days <@ '{1,2,3,4,5,6,7}'::integer[] AND cardinality(days) >= 1 AND cardinality(days) <= 7),
  constraint campaigns_forward_url_http CHECK (forward_url ~ '^https?://'::text AND length(forward_url) <= 2000),
  constraint campaigns_frequency_valid CHECK (frequency = ANY (ARRAY['once'::text, 'daily'::text, 'weekly'::text])),
  constraint campaigns_max_attempts_range CHECK (max_attempts >= 1 AND max_attempts <= 20),
  constraint campaigns_max_concurrency_range CHECK (max_concurrency >= 1 AND max_concurrency <= 10000),
  constraint campaigns_name_length CHECK (length(name) >= 1 AND length(name) <= 200),
  constraint campaigns_phone_number_id_present CHECK (length(phone_number_id) >= 1 AND length(phone_number_id) <= 100),
  constraint campaigns_pkey PRIMARY KEY (id),
  constraint campaigns_pool_first CHECK (phone_number_ids[1] = phone_number_id),
  constraint campaigns_pool_size CHECK (cardinality(phone_number_ids) >= 1 AND cardinality(phone_number_ids) <= 500),
  constraint campaigns_retry_delay_range CHECK (retry_delay_minutes >= 0 AND retry_delay_minutes <= 525600),
  constraint campaigns_retry_delays_object CHECK (jsonb_typeof(retry_delays) = 'object'::text),
  constraint campaigns_retry_outcomes_valid CHECK (retry_outcomes <@ '{no_answer,busy,voicemail,failed}'::text[]),
  constraint campaigns_retry_sequence_length CHECK (
CASE
    WHEN jsonb_typeof(retry_sequence) = 'array'::text THEN jsonb_array_length(retry_sequence) <= max_attempts
    ELSE false
END),
  constraint campaigns_retry_sequence_valid CHECK (dialer._retry_sequence_valid(retry_sequence)),
  constraint campaigns_status_valid CHECK (status = ANY (ARRAY['draft'::text, 'active'::text, 'paused'::text, 'completed'::text, 'stopped'::text])),
  constraint campaigns_subject_length CHECK (length(subject) >= 1 AND length(subject) <= 200),
  constraint campaigns_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint campaigns_time_zone_valid CHECK (dialer._is_time_zone(time_zone)),
  constraint campaigns_variables_object CHECK (jsonb_typeof(variables) = 'object'::text)
);
comment on table dialer.campaigns is 'A calling campaign. window_end < window_start means the window runs past midnight and belongs to the day it opens; window_start = window_end means all day.';
comment on column dialer.campaigns.days is 'ISO weekdays on which a window opens: 1 = Monday … 7 = Sunday.';
comment on column dialer.campaigns.retry_delays is 'Per-outcome retry delay in minutes, e.g. {"busy": 10}; outcomes not listed use retry_delay_minutes.';
comment on column dialer.campaigns.retry_outcomes is 'Outcomes that earn another attempt (until max_attempts).';
comment on column dialer.campaigns.forward_url is 'Overrides the tenant''s forward_url for this campaign''s calls; null = the tenant''s.';
comment on column dialer.campaigns.subject is 'What the calls are about: per-person caps ("3 per 24 h on the same subject") count the calls of every campaign of the tenant with the same subject; null = the tenant''s shared default subject.';
comment on column dialer.campaigns.phone_number_ids is 'The caller numbers the campaign may call from (phone_number_id is the first). Registered numbers (dialer.phone_numbers) are chosen by local presence and limits; a campaign whose only number is unregistered calls from it without limits.';
comment on column dialer.campaigns.retry_sequence is 'Retry sequence: entry n (1-based) is the wait before attempt n + 1, counted from the end of attempt n: {after_minutes, shift_window: null | later | earlier}. Attempts beyond it wait retry_delays / retry_delay_minutes. At most max_attempts entries (entry max_attempts is never used). See sql/035_retry_sequences.sql.';
comment on column dialer.campaigns.attempt_overrides is 'Per-attempt assistant overrides: [{attempt, variables?, voicemail_message?}], merged into that attempt''s assistantOverrides (variables over the campaign''s and contact''s).';
comment on column dialer.campaigns.caller_pool_id is 'The campaign''s pool (caller_pools) for phone_number_ids, set by trigger.';

create table dialer.contacts (
  id uuid default dialer._new_contact_id() not null,
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
  state text,
  postal_code text,
  person_key text,
  jurisdictions text[] default '{}'::text[] not null,
  region_zones text[] default '{}'::text[] not null,
  constraint contacts_attributes_object CHECK (jsonb_typeof(attributes) = 'object'::text),
  constraint contacts_name_length CHECK (length(name) <= 200),
  constraint contacts_person_key_length CHECK (length(person_key) >= 1 AND length(person_key) <= 200),
  constraint contacts_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint contacts_pkey PRIMARY KEY (id),
  constraint contacts_postal_code_length CHECK (length(postal_code) >= 3 AND length(postal_code) <= 10),
  constraint contacts_state_format CHECK (state ~ '^(US|CA)-[A-Z]{2}$'::text),
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
  source text default 'admin'::text not null,
  source_call_id uuid,
  constraint dnc_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint dnc_pkey PRIMARY KEY (tenant_id, phone),
  constraint dnc_reason_length CHECK (length(reason) <= 500),
  constraint dnc_source_call_fk FOREIGN KEY (source_call_id) REFERENCES dialer.calls(id) ON DELETE SET NULL,
  constraint dnc_source_call_in_call CHECK (source_call_id IS NULL OR source = 'in-call'::text),
  constraint dnc_source_valid CHECK (source = ANY (ARRAY['api'::text, 'import'::text, 'in-call'::text, 'admin'::text])),
  constraint dnc_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.dnc is 'Per-tenant do-not-call numbers: never dialed, whatever the campaign.';
comment on column dialer.dnc.created_at is 'When the number was first listed; a later listing keeps it.';
comment on column dialer.dnc.source is 'Where the entry came from: api (POST /v1/dnc), import (POST /v1/dnc/import), in-call (an opt-out heard during a call), admin (inserted by hand; the default).';
comment on column dialer.dnc.source_call_id is 'For an in-call opt-out: the call during which the person opted out.';

create table dialer.forwards (
  id bigint generated always as identity not null,
  tenant_id uuid not null,
  call_id uuid,
  event_id bigint not null,
  mode text not null,
  type text,
  url text not null,
  state text default 'pending'::text not null,
  attempts integer default 0 not null,
  next_attempt_at timestamp with time zone,
  lease_expires_at timestamp with time zone,
  last_attempt_at timestamp with time zone,
  last_status integer,
  last_error text,
  last_duration_ms integer,
  delivered_at timestamp with time zone,
  created_at timestamp with time zone not null,
  constraint forwards_attempts_range CHECK (attempts >= 0),
  constraint forwards_call_fk FOREIGN KEY (call_id) REFERENCES dialer.calls(id) ON DELETE SET NULL,
  constraint forwards_error_length CHECK (length(last_error) <= 2000),
  constraint forwards_event_fk FOREIGN KEY (event_id) REFERENCES dialer.call_events(id) ON DELETE CASCADE,
  constraint forwards_mode_valid CHECK (mode = ANY (ARRAY['sync'::text, 'async'::text])),
  constraint forwards_pending_has_next CHECK (state <> 'pending'::text OR next_attempt_at IS NOT NULL),
  constraint forwards_pkey PRIMARY KEY (id),
  constraint forwards_state_valid CHECK (state = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])),
  constraint forwards_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE
);
comment on table dialer.forwards is 'Every VAPI message relayed to a tenant''s forward URL: sync (answered while VAPI waited) or async (queued, retried with backoff). Read it through dialer.forward_deliveries.';

create table dialer.holiday_rules (
  rule_set integer not null,
  calendar text not null,
  name text not null,
  kind text not null,
  month integer,
  day integer,
  weekday integer,
  nth integer,
  offset_days integer default 0 not null,
  on_date date,
  observed text default 'none'::text not null,
  valid_from date,
  valid_to date,
  constraint holiday_rules_fields CHECK (
CASE kind
    WHEN 'fixed'::text THEN month >= 1 AND month <= 12 AND day >= 1 AND day <= 31
    WHEN 'nth_weekday'::text THEN month >= 1 AND month <= 12 AND weekday >= 1 AND weekday <= 7 AND (nth = ANY (ARRAY['-1'::integer, 1, 2, 3, 4, 5]))
    WHEN 'weekday_on_or_before'::text THEN month >= 1 AND month <= 12 AND day >= 1 AND day <= 31 AND weekday >= 1 AND weekday <= 7
    WHEN 'easter'::text THEN true
    WHEN 'date'::text THEN on_date IS NOT NULL
    ELSE NULL::boolean
END),
  constraint holiday_rules_kind_valid CHECK (kind = ANY (ARRAY['fixed'::text, 'nth_weekday'::text, 'weekday_on_or_before'::text, 'easter'::text, 'date'::text])),
  constraint holiday_rules_observed_valid CHECK (observed = ANY (ARRAY['none'::text, 'sat_fri_sun_mon'::text, 'sun_mon'::text])),
  constraint holiday_rules_pkey PRIMARY KEY (rule_set, calendar, name),
  constraint holiday_rules_rule_set_fk FOREIGN KEY (rule_set) REFERENCES dialer.rule_sets(version) ON DELETE CASCADE
);
comment on table dialer.holiday_rules is 'Holiday calendars as rules (fixed, nth/last weekday, weekday on or before a date, Easter + offset, one-off date), with observed-day shifts. dialer.holidays() lists the dates.';

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

create table dialer.jurisdictions (
  code text not null,
  country text not null,
  name text not null,
  time_zones text[] default '{}'::text[] not null,
  constraint jurisdictions_code_format CHECK (code ~ '^(US|CA)(-[A-Z]{2})?$'::text),
  constraint jurisdictions_country_valid CHECK ((country = ANY (ARRAY['US'::text, 'CA'::text])) AND "left"(code, 2) = country),
  constraint jurisdictions_pkey PRIMARY KEY (code)
);
comment on table dialer.jurisdictions is 'Reference: US, CA and their states/provinces (ISO 3166-2 codes) with the zones their area codes are in.';

create table dialer.phone_numbers (
  tenant_id uuid not null,
  vapi_phone_number_id text not null,
  number text not null,
  area_code text,
  jurisdictions text[] default '{}'::text[] not null,
  state text,
  country text,
  country_calling_code text,
  time_zone text not null,
  label text,
  max_concurrent_calls integer,
  max_calls_per_day integer,
  rest_after_unanswered integer,
  rest_minutes integer default 1440 not null,
  consecutive_unanswered integer default 0 not null,
  calls_today integer default 0 not null,
  calls_day date,
  rested_until timestamp with time zone,
  rest_reason text,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  calls_day_ends timestamp with time zone,
  constraint phone_numbers_calling_code_format CHECK (country_calling_code ~ '^[1-9][0-9]{0,2}$'::text),
  constraint phone_numbers_calls_today_non_negative CHECK (calls_today >= 0),
  constraint phone_numbers_country_format CHECK (country ~ '^[A-Z]{2}$'::text),
  constraint phone_numbers_label_length CHECK (length(label) >= 1 AND length(label) <= 200),
  constraint phone_numbers_max_concurrent_range CHECK (max_concurrent_calls >= 1 AND max_concurrent_calls <= 10000),
  constraint phone_numbers_max_per_day_range CHECK (max_calls_per_day >= 1 AND max_calls_per_day <= 1000000),
  constraint phone_numbers_number_e164 CHECK (number ~ '^\+[1-9][0-9]{6,14}$'::text),
  constraint phone_numbers_number_unique UNIQUE (tenant_id, number),
  constraint phone_numbers_pkey PRIMARY KEY (tenant_id, vapi_phone_number_id),
  constraint phone_numbers_rest_after_range CHECK (rest_after_unanswered >= 1 AND rest_after_unanswered <= 1000),
  constraint phone_numbers_rest_minutes_range CHECK (rest_minutes >= 1 AND rest_minutes <= 525600),
  constraint phone_numbers_rest_reason_length CHECK (length(rest_reason) <= 500),
  constraint phone_numbers_tenant_fk FOREIGN KEY (tenant_id) REFERENCES dialer.tenants(id) ON DELETE CASCADE,
  constraint phone_numbers_unanswered_non_negative CHECK (consecutive_unanswered >= 0),
  constraint phone_numbers_vapi_id_uuid CHECK (vapi_phone_number_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'::text)
);
comment on table dialer.phone_numbers is 'A tenant''s registry of caller numbers (VAPI phone numbers): E.164 number, derived area code / jurisdictions / country, the zone its local day is counted in, optional limits (max concurrent calls, max calls per local day, rest after N consecutive unanswered calls for rest_minutes), and its rest (rested_until, rest_reason).';
comment on column dialer.phone_numbers.time_zone is 'The zone of the number''s local day (max_calls_per_day counts calls claimed since local midnight here, and a daily-limit rest ends at the next one): given, else the first zone of its area code, else UTC.';
comment on column dialer.phone_numbers.consecutive_unanswered is 'Calls in a row that ended no_answer or busy (answered or voicemail resets it); at rest_after_unanswered the number rests for rest_minutes.';
comment on column dialer.phone_numbers.calls_day_ends is 'The next local midnight (time_zone) after calls_day, when calls_today stops counting; null when it counts no day. Set by trigger.';

create table dialer.postal_letters (
  letter text not null,
  jurisdictions text[] not null,
  constraint postal_letters_format CHECK (letter ~ '^[A-Z]$'::text),
  constraint postal_letters_pkey PRIMARY KEY (letter)
);
comment on table dialer.postal_letters is 'Reference: first letter of a Canadian postal code → province(s)/territories.';

create table dialer.rule_sets (
  version integer not null,
  migration text not null,
  notes text,
  loaded_at timestamp with time zone default now() not null,
  constraint rule_sets_pkey PRIMARY KEY (version),
  constraint rule_sets_version_positive CHECK (version > 0)
);
comment on table dialer.rule_sets is 'Versions of the rule packs; the highest is in force. calls.rule_set records the one that allowed a call.';

create table dialer.rules (
  rule_set integer not null,
  id text not null,
  jurisdiction text not null,
  summary text not null,
  applies_to text[] not null,
  windows int4multirange[],
  holiday_calendar text,
  holiday_days integer[] default '{1,2,3,4,5,6,7}'::integer[] not null,
  cap_max integer,
  cap_window interval,
  cap_scope text,
  effective_from date,
  effective_to date,
  enabled boolean default true not null,
  requires_known_jurisdiction boolean default false not null,
  citation text not null,
  confidence text not null,
  shipped_as text,
  constraint rules_applies_to_valid CHECK (applies_to <@ '{solicitation,informational,automated}'::text[] AND cardinality(applies_to) > 0),
  constraint rules_cap_complete CHECK ((cap_max IS NULL) = (cap_window IS NULL) AND (cap_max IS NULL) = (cap_scope IS NULL)),
  constraint rules_cap_valid CHECK (cap_max > 0 AND cap_window > '00:00:00'::interval AND (cap_scope = ANY (ARRAY['person'::text, 'number'::text]))),
  constraint rules_confidence_valid CHECK (confidence = ANY (ARRAY['P'::text, 'S'::text, '?'::text])),
  constraint rules_effective_ordered CHECK (effective_to >= effective_from),
  constraint rules_id_format CHECK (id ~ '^[a-z]{2}(-[a-z]+)?\.[a-z0-9.-]+$'::text),
  constraint rules_jurisdiction_fk FOREIGN KEY (jurisdiction) REFERENCES dialer.jurisdictions(code) ON DELETE CASCADE,
  constraint rules_pkey PRIMARY KEY (rule_set, id),
  constraint rules_rule_set_fk FOREIGN KEY (rule_set) REFERENCES dialer.rule_sets(version) ON DELETE CASCADE,
  constraint rules_windows_days CHECK (windows IS NULL OR cardinality(windows) = 8 AND array_lower(windows, 1) = 1),
  constraint rules_windows_weekdays CHECK (windows IS NULL OR array_position(windows[1:7], NULL::int4multirange) IS NULL)
);
comment on table dialer.rules is 'Calling rules by jurisdiction, one row per rule per rule set: windows per weekday and on holidays, caps, effective dates, citation and confidence (P primary, S secondary, ? disputed).';

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
  claim_cursor uuid,
  webhook_credential_id text,
  webhook_auth_options jsonb default '{}'::jsonb not null,
  vapi_blocked_at timestamp with time zone,
  vapi_blocked_reason text,
  forward_url text,
  forward_messages text[],
  opt_out_structured_data_field text default 'optOut'::text,
  opt_out_tool_name text,
  call_type text default 'solicitation'::text not null,
  automated_voice boolean default true not null,
  disabled_rules text[] default '{}'::text[] not null,
  constraint tenants_call_type_valid CHECK (call_type = ANY (ARRAY['solicitation'::text, 'informational'::text])),
  constraint tenants_concurrency_limit_range CHECK (concurrency_limit >= 1 AND concurrency_limit <= 10000),
  constraint tenants_forward_messages_size CHECK (cardinality(forward_messages) <= 64),
  constraint tenants_forward_url_http CHECK (forward_url ~ '^https?://'::text AND length(forward_url) <= 2000),
  constraint tenants_max_calls_per_number_range CHECK (max_calls_per_number_per_24h >= 1 AND max_calls_per_number_per_24h <= 100),
  constraint tenants_name_length CHECK (length(name) >= 1 AND length(name) <= 200),
  constraint tenants_opt_out_field_length CHECK (length(opt_out_structured_data_field) >= 1 AND length(opt_out_structured_data_field) <= 200),
  constraint tenants_opt_out_tool_name_valid CHECK (opt_out_tool_name ~ '^[A-Za-z0-9_-]{1,64}$'::text),
  constraint tenants_pkey PRIMARY KEY (id),
  constraint tenants_vapi_base_url_http CHECK (vapi_base_url ~ '^https?://'::text),
  constraint tenants_vapi_blocked_reason_iff_at CHECK ((vapi_blocked_at IS NULL) = (vapi_blocked_reason IS NULL)),
  constraint tenants_vapi_concurrency_limit_range CHECK (vapi_concurrency_limit >= 0 AND vapi_concurrency_limit <= 10000),
  constraint tenants_webhook_auth_options_valid CHECK (jsonb_typeof(webhook_auth_options) = 'object'::text AND (COALESCE(webhook_auth_options ->> 'algorithm'::text, 'sha256'::text) = ANY (ARRAY['sha256'::text, 'sha512'::text, 'sha1'::text])) AND (COALESCE(webhook_auth_options ->> 'signatureEncoding'::text, 'hex'::text) = ANY (ARRAY['hex'::text, 'base64'::text]))),
  constraint tenants_webhook_auth_type_valid CHECK (webhook_auth_type = ANY (ARRAY['secret'::text, 'bearer'::text, 'hmac'::text])),
  constraint tenants_webhook_credential_id_length CHECK (length(webhook_credential_id) >= 1 AND length(webhook_credential_id) <= 200)
);
comment on table dialer.tenants is 'An account: its VAPI key (encrypted with APP_SECRET), webhook credential, concurrency limit and compliance settings.';
comment on column dialer.tenants.vapi_concurrency_limit is 'The concurrency limit VAPI last reported (subscriptionLimits.concurrencyLimit); the effective limit is the lower of this and concurrency_limit.';
comment on column dialer.tenants.claim_cursor is 'The source claim_calls served last for this tenant: a campaign id, or the nil uuid for direct calls; null before the first claim. The next claim starts after it (round-robin).';
comment on column dialer.tenants.webhook_credential_id is 'The id of the webhook credential the tenant created in VAPI; sent as assistantOverrides.server.credentialId on every call (then no server.headers). Required for hmac.';
comment on column dialer.tenants.webhook_auth_options is 'The credential''s options under VAPI''s names: hmac {algorithm, signatureEncoding, signatureHeader, timestampHeader, signaturePrefix, includeTimestamp, payloadFormat, secretIsBase64}, bearer {headerName, bearerPrefixEnabled}; a missing key means VAPI''s default.';
comment on column dialer.tenants.vapi_blocked_at is 'Since when VAPI refuses this tenant''s account (401/403, or an account-problem endedReason); null = VAPI ok. No call of the tenant is claimed while set.';
comment on column dialer.tenants.vapi_blocked_reason is 'Why VAPI refuses the account (VAPI''s message, or the endedReason).';
comment on column dialer.tenants.forward_url is 'Where VAPI messages are relayed (the tenant''s own assistant server); null = no relay. A campaign''s forward_url overrides it.';
comment on column dialer.tenants.forward_messages is 'The message types relayed asynchronously (and asked of VAPI) besides the request types; null = VAPI''s default serverMessages minus the per-turn types (server/vapi/serverMessages.ts).';
comment on column dialer.tenants.opt_out_structured_data_field is 'The field of an end-of-call-report''s analysis.structuredData that, when true, puts the number on do-not-call (dots separate nested keys); null = structured data is not read.';
comment on column dialer.tenants.opt_out_tool_name is 'The assistant tool whose call (a tool-calls message) puts the number on do-not-call; null = none.';

create table dialer.vapi_ended_reasons (
  reason text not null,
  constraint vapi_ended_reasons_pkey PRIMARY KEY (reason)
);
comment on table dialer.vapi_ended_reasons is 'Every endedReason value VAPI documents (597: OpenAPI 2026-08-19 and @vapi-ai/server-sdk 2.0.1). The classification is dialer.ended_reason_class; view dialer.ended_reasons shows each value with its class.';

create table dialer.zip_prefixes (
  first_prefix text not null,
  last_prefix text not null,
  jurisdiction text not null,
  constraint zip_prefixes_format CHECK (first_prefix ~ '^[0-9]{3}$'::text AND last_prefix ~ '^[0-9]{3}$'::text AND last_prefix >= first_prefix),
  constraint zip_prefixes_jurisdiction_fk FOREIGN KEY (jurisdiction) REFERENCES dialer.jurisdictions(code) ON DELETE CASCADE,
  constraint zip_prefixes_pkey PRIMARY KEY (first_prefix)
);
comment on table dialer.zip_prefixes is 'Reference: US ZIP prefix ranges [first_prefix, last_prefix] → state.';

CREATE INDEX api_keys_tenant_idx ON dialer.api_keys USING btree (tenant_id);
CREATE INDEX audit_log_tenant_at_idx ON dialer.audit_log USING btree (tenant_id, at DESC);
CREATE INDEX blackouts_tenant_jurisdiction_idx ON dialer.blackouts USING btree (tenant_id, jurisdiction, ends_at);
CREATE INDEX call_events_call_idx ON dialer.call_events USING btree (call_id, id);
CREATE UNIQUE INDEX call_events_dedupe_idx ON dialer.call_events USING btree (tenant_id, body_sha256) NULLS NOT DISTINCT;
CREATE INDEX call_events_vapi_call_idx ON dialer.call_events USING btree (vapi_call_id);
CREATE INDEX caller_pool_numbers_area_idx ON dialer.caller_pool_numbers USING btree (pool_id, area_code, used_today, "position") WHERE (area_code IS NOT NULL);
CREATE INDEX caller_pool_numbers_state_idx ON dialer.caller_pool_numbers USING btree (pool_id, state, used_today, "position") WHERE (state IS NOT NULL);
CREATE INDEX caller_pool_numbers_use_idx ON dialer.caller_pool_numbers USING btree (pool_id, used_today, "position");
CREATE UNIQUE INDEX calls_attempt_unique ON dialer.calls USING btree (campaign_id, contact_id, occurrence, attempt) WHERE counts_as_attempt;
CREATE INDEX calls_check_at_idx ON dialer.calls USING btree (check_at) WHERE (check_at IS NOT NULL);
CREATE INDEX calls_contact_idx ON dialer.calls USING btree (contact_id);
CREATE INDEX calls_live_campaign_idx ON dialer.calls USING btree (campaign_id) WHERE (status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text]));
CREATE INDEX calls_live_idx ON dialer.calls USING btree (tenant_id, phone) WHERE (status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text]));
CREATE INDEX calls_number_claimed_idx ON dialer.calls USING btree (tenant_id, phone_number_id, claimed_at) WHERE ((phone_number_id IS NOT NULL) AND (claimed_at IS NOT NULL));
CREATE INDEX calls_number_dialed_idx ON dialer.calls USING btree (tenant_id, phone, dial_started_at) WHERE (dial_started_at IS NOT NULL);
CREATE INDEX calls_number_live_idx ON dialer.calls USING btree (tenant_id, phone_number_id) WHERE ((phone_number_id IS NOT NULL) AND (status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text])));
CREATE INDEX calls_person_claimed_idx ON dialer.calls USING btree (tenant_id, cap_subject, cap_person, claimed_at) WHERE ((cap_person IS NOT NULL) AND (claimed_at IS NOT NULL));
CREATE INDEX calls_scheduled_campaign_due_idx ON dialer.calls USING btree (campaign_id, due_at) WHERE (status = 'scheduled'::text);
CREATE INDEX calls_scheduled_direct_due_idx ON dialer.calls USING btree (tenant_id, due_at) WHERE ((status = 'scheduled'::text) AND (campaign_id IS NULL));
CREATE INDEX calls_scheduled_due_idx ON dialer.calls USING btree (due_at) WHERE (status = 'scheduled'::text);
CREATE INDEX calls_tenant_created_idx ON dialer.calls USING btree (tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX calls_vapi_call_id_unique ON dialer.calls USING btree (vapi_call_id) WHERE (vapi_call_id IS NOT NULL);
CREATE INDEX campaign_contacts_contact_idx ON dialer.campaign_contacts USING btree (contact_id);
CREATE INDEX campaigns_caller_pool_idx ON dialer.campaigns USING btree (caller_pool_id);
CREATE INDEX campaigns_rotation_idx ON dialer.campaigns USING btree (tenant_id, id) WHERE ((status = 'active'::text) AND (deleted_at IS NULL));
CREATE INDEX campaigns_tenant_status_idx ON dialer.campaigns USING btree (tenant_id, status) WHERE (deleted_at IS NULL);
CREATE INDEX dnc_source_call_idx ON dialer.dnc USING btree (source_call_id) WHERE (source_call_id IS NOT NULL);
CREATE INDEX dnc_tenant_created_idx ON dialer.dnc USING btree (tenant_id, created_at DESC, phone DESC);
CREATE UNIQUE INDEX forwards_async_event_idx ON dialer.forwards USING btree (event_id) WHERE (mode = 'async'::text);
CREATE INDEX forwards_call_idx ON dialer.forwards USING btree (call_id, id);
CREATE INDEX forwards_pending_idx ON dialer.forwards USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX forwards_tenant_idx ON dialer.forwards USING btree (tenant_id, id);
CREATE INDEX imports_campaign_idx ON dialer.imports USING btree (campaign_id);
CREATE INDEX phone_numbers_day_ends_idx ON dialer.phone_numbers USING btree (tenant_id, calls_day_ends);
CREATE INDEX rules_jurisdiction_idx ON dialer.rules USING btree (rule_set, jurisdiction);

CREATE TRIGGER caller_pool_numbers_counted_delete AFTER DELETE ON dialer.caller_pool_numbers REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dialer._caller_pool_numbers_counted();
CREATE TRIGGER caller_pool_numbers_counted_insert AFTER INSERT ON dialer.caller_pool_numbers REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dialer._caller_pool_numbers_counted();
CREATE TRIGGER campaigns_pool_in_step BEFORE INSERT OR UPDATE OF phone_number_id, phone_number_ids ON dialer.campaigns FOR EACH ROW EXECUTE FUNCTION dialer._campaigns_pool_in_step();
CREATE TRIGGER campaigns_pool_unused_removed AFTER UPDATE ON dialer.campaigns FOR EACH ROW WHEN (old.caller_pool_id IS DISTINCT FROM new.caller_pool_id AND old.caller_pool_id IS NOT NULL) EXECUTE FUNCTION dialer._caller_pools_unused_removed();
CREATE TRIGGER campaigns_pool_unused_removed_at_delete AFTER DELETE ON dialer.campaigns FOR EACH ROW WHEN (old.caller_pool_id IS NOT NULL) EXECUTE FUNCTION dialer._caller_pools_unused_removed();
CREATE TRIGGER contacts_jurisdictions BEFORE INSERT OR UPDATE OF phone, state, postal_code ON dialer.contacts FOR EACH ROW EXECUTE FUNCTION dialer._contacts_set_jurisdictions();
CREATE TRIGGER phone_numbers_copy_to_pools AFTER UPDATE ON dialer.phone_numbers REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dialer._phone_numbers_copy_to_pools();
CREATE TRIGGER phone_numbers_derive BEFORE INSERT OR UPDATE OF number, time_zone, country ON dialer.phone_numbers FOR EACH ROW EXECUTE FUNCTION dialer._phone_numbers_derive();
CREATE TRIGGER phone_numbers_derive_day_end BEFORE INSERT ON dialer.phone_numbers FOR EACH ROW EXECUTE FUNCTION dialer._phone_numbers_day_end();
CREATE TRIGGER phone_numbers_derive_day_end_update BEFORE UPDATE ON dialer.phone_numbers FOR EACH ROW WHEN (old.calls_day IS DISTINCT FROM new.calls_day OR old.time_zone IS DISTINCT FROM new.time_zone) EXECUTE FUNCTION dialer._phone_numbers_day_end();
CREATE TRIGGER phone_numbers_join_pools AFTER INSERT ON dialer.phone_numbers REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION dialer._phone_numbers_join_pools();

create view dialer.call_history as
 SELECT call.id AS call_id,
    call.tenant_id,
    call.campaign_id,
    campaign.name AS campaign_name,
    call.contact_id,
    contact.name AS contact_name,
    call.phone,
    call.status,
    call.outcome,
    call.ended_reason,
    call.attempt,
    call.occurrence,
    call.due_at,
    call.dial_started_at,
    call.started_at,
    call.ended_at,
    call.duration_seconds,
    call.cost,
    call.vapi_call_id,
    call.last_error
   FROM dialer.calls call
     JOIN dialer.contacts contact ON contact.id = call.contact_id
     LEFT JOIN dialer.campaigns campaign ON campaign.id = call.campaign_id;
comment on view dialer.call_history is 'Every call with its contact''s name and phone and its campaign''s name (null for direct calls): status, outcome, ended_reason, attempt, occurrence, due/dial/start/end times, duration_seconds, cost (USD), VAPI id, last error.';

create view dialer.caller_number_progress as
 SELECT call.tenant_id,
    call.campaign_id,
    call.phone_number_id,
    pn.number,
    count(*) FILTER (WHERE call.status = 'ended'::text AND call.counts_as_attempt) AS calls,
    count(*) FILTER (WHERE call.outcome = 'answered'::text) AS answered,
    count(*) FILTER (WHERE call.outcome = 'no_answer'::text) AS no_answer,
    count(*) FILTER (WHERE call.outcome = 'busy'::text) AS busy,
    count(*) FILTER (WHERE call.outcome = 'voicemail'::text) AS voicemail,
    count(*) FILTER (WHERE call.outcome = 'failed'::text) AS failed,
    count(*) FILTER (WHERE call.status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text])) AS in_flight,
    round(count(*) FILTER (WHERE call.outcome = 'answered'::text)::numeric / NULLIF(count(*) FILTER (WHERE call.status = 'ended'::text AND call.counts_as_attempt), 0)::numeric, 4) AS answer_rate
   FROM dialer.calls call
     LEFT JOIN dialer.phone_numbers pn ON pn.tenant_id = call.tenant_id AND pn.vapi_phone_number_id = call.phone_number_id
  WHERE call.phone_number_id IS NOT NULL AND (call.status <> ALL (ARRAY['scheduled'::text, 'cancelled'::text, 'skipped'::text]))
  GROUP BY call.tenant_id, call.campaign_id, call.phone_number_id, pn.number;
comment on view dialer.caller_number_progress is 'Per campaign (null: direct calls) and caller number the calls were placed from: calls ended that count as attempts, answered, no_answer, busy, voicemail, failed, in_flight, answer_rate = answered / calls (null before any). number is null for an unregistered number.';

create view dialer.caller_pool_number_rows as
 SELECT pool.id AS pool_id,
    member."position"::integer AS "position",
    pn.tenant_id,
    pn.vapi_phone_number_id,
    pn.area_code,
    pn.state,
    dialer._caller_country_key(pn.country, pn.country_calling_code) AS country_key,
    pn.calls_today AS used_today
   FROM dialer.caller_pools pool
     CROSS JOIN LATERAL unnest(pool.phone_number_ids) WITH ORDINALITY member(vapi_id, "position")
     JOIN dialer.phone_numbers pn ON pn.tenant_id = pool.tenant_id AND pn.vapi_phone_number_id = member.vapi_id;
comment on view dialer.caller_pool_number_rows is 'The rows dialer.caller_pool_numbers must hold: every registered number of each pool with its position, area code, state, same-country key (_caller_country_key) and used_today = phone_numbers.calls_today. A test compares the two.';

create view dialer.campaign_progress as
 WITH held AS (
         SELECT why_not.campaign_id,
            why_not.reason,
            count(*) AS calls,
            count(*) FILTER (WHERE why_not.due_at <= now()) AS due_calls
           FROM dialer.why_not(now()) why_not(call_id, tenant_id, campaign_id, contact_id, phone, due_at, reason, until)
          WHERE why_not.campaign_id IS NOT NULL
          GROUP BY why_not.campaign_id, why_not.reason
        ), due AS (
         SELECT due_calls.campaign_id,
            count(*) AS calls
           FROM dialer.due_calls(now()) due_calls(id, tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, variables, attempt, occurrence, status, outcome, due_at, claimed_at, lease_expires_at, dial_started_at, dispatch_failures, vapi_call_id, vapi_status, ended_reason, started_at, ended_at, duration_seconds, cost, cost_breakdown, transcript, recording_url, summary, analysis, last_error, created_at, updated_at, costs, counts_as_attempt, check_at, checks, details_received_at, rule_set, cap_subject, cap_person, retry_step)
          WHERE due_calls.campaign_id IS NOT NULL
          GROUP BY due_calls.campaign_id
        )
 SELECT campaign.tenant_id,
    campaign.id AS campaign_id,
    campaign.name,
    campaign.status,
    ( SELECT count(*) AS count
           FROM dialer.campaign_contacts membership
          WHERE membership.campaign_id = campaign.id) AS contacts,
    COALESCE(stats.pending, 0::bigint) AS pending,
    GREATEST(0::numeric, COALESCE(( SELECT due.calls
           FROM due
          WHERE due.campaign_id = campaign.id), 0::bigint)::numeric - COALESCE(( SELECT sum(held.due_calls) AS sum
           FROM held
          WHERE held.campaign_id = campaign.id AND ((held.reason = ANY (ARRAY['campaign concurrency full'::text, 'tenant concurrency full'::text])) OR held.reason ~~ 'every caller number %'::text)), 0::numeric)) AS due_now,
    COALESCE(( SELECT sum(held.calls) AS sum
           FROM held
          WHERE held.campaign_id = campaign.id AND held.reason = 'window closed'::text), 0::numeric) AS waiting_for_window,
    COALESCE(( SELECT sum(held.calls) AS sum
           FROM held
          WHERE held.campaign_id = campaign.id AND held.reason ~~ 'retry not due%'::text), 0::numeric) AS waiting_for_retry,
    COALESCE(( SELECT sum(held.due_calls) AS sum
           FROM held
          WHERE held.campaign_id = campaign.id AND (held.reason = ANY (ARRAY['campaign concurrency full'::text, 'tenant concurrency full'::text]))), 0::numeric) AS held_by_concurrency,
    COALESCE(stats.in_flight, 0::bigint) AS in_flight,
    COALESCE(stats.answered, 0::bigint) AS answered,
    COALESCE(stats.no_answer, 0::bigint) AS no_answer,
    COALESCE(stats.busy, 0::bigint) AS busy,
    COALESCE(stats.voicemail, 0::bigint) AS voicemail,
    COALESCE(stats.failed, 0::bigint) AS failed,
    COALESCE(stats.total_cost, 0::numeric) AS total_cost,
        CASE
            WHEN campaign.status = 'active'::text THEN dialer._campaign_next_open(campaign.*, now())
            ELSE NULL::timestamp with time zone
        END AS next_window_open,
    COALESCE(people.reached, 0::bigint) AS contacts_reached,
    COALESCE(people.in_flight, 0::bigint) AS contacts_in_flight,
    COALESCE(people.waiting, 0::bigint) AS contacts_waiting,
    COALESCE(people.not_reached, 0::bigint) AS contacts_not_reached,
    COALESCE(people.not_started, 0::bigint) AS contacts_not_started,
    COALESCE(( SELECT sum(held.due_calls) AS sum
           FROM held
          WHERE held.campaign_id = campaign.id AND held.reason ~~ 'every caller number %'::text), 0::numeric) AS held_by_caller_numbers
   FROM dialer.campaigns campaign
     LEFT JOIN LATERAL ( SELECT count(*) FILTER (WHERE member.answered) AS reached,
            count(*) FILTER (WHERE NOT member.answered AND member.live) AS in_flight,
            count(*) FILTER (WHERE NOT member.answered AND NOT member.live AND member.scheduled) AS waiting,
            count(*) FILTER (WHERE NOT member.answered AND NOT member.live AND NOT member.scheduled AND member.calls > 0) AS not_reached,
            count(*) FILTER (WHERE member.calls = 0) AS not_started
           FROM ( SELECT bool_or(call.outcome = 'answered'::text) IS TRUE AS answered,
                    bool_or(call.status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text])) IS TRUE AS live,
                    bool_or(call.status = 'scheduled'::text) IS TRUE AS scheduled,
                    count(call.id) AS calls
                   FROM dialer.campaign_contacts membership
                     LEFT JOIN dialer.calls call ON call.campaign_id = membership.campaign_id AND call.contact_id = membership.contact_id
                  WHERE membership.campaign_id = campaign.id
                  GROUP BY membership.contact_id) member) people ON true
     LEFT JOIN LATERAL ( SELECT count(*) FILTER (WHERE call.status = 'scheduled'::text) AS pending,
            count(*) FILTER (WHERE call.status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text])) AS in_flight,
            count(*) FILTER (WHERE call.outcome = 'answered'::text) AS answered,
            count(*) FILTER (WHERE call.outcome = 'no_answer'::text) AS no_answer,
            count(*) FILTER (WHERE call.outcome = 'busy'::text) AS busy,
            count(*) FILTER (WHERE call.outcome = 'voicemail'::text) AS voicemail,
            count(*) FILTER (WHERE call.outcome = 'failed'::text) AS failed,
            sum(call.cost) AS total_cost
           FROM dialer.calls call
          WHERE call.campaign_id = campaign.id) stats ON true
  WHERE campaign.deleted_at IS NULL;
comment on view dialer.campaign_progress is 'Per campaign (not deleted): members (contacts), pending (scheduled calls), due_now (dialable now with a free slot), waiting_for_window, waiting_for_retry, held_by_concurrency (due but no free slot), in_flight (dialing/queued/ringing/in_progress), ended calls by outcome, total_cost (USD), next_window_open (active campaigns: next instant the window is open on an allowed day; now() when open); per member contact, each in exactly one: contacts_reached (an answered call), contacts_in_flight (a live call), contacts_waiting (a scheduled call), contacts_not_reached (calls, all final, none answered), contacts_not_started (no call yet); held_by_caller_numbers (due, but every caller number of the pool held: caller_numbers_wait; not in due_now). due_now is never negative: held_by_concurrency counts only calls already due. Uses due_calls(now()) and why_not(now()).';

create view dialer.ended_reasons as
 SELECT reason,
    dialer.ended_reason_class(reason) AS class,
    dialer.outcome_for(reason) AS outcome,
    dialer._ended_reason_rule(reason) IS NOT NULL AS explicit
   FROM dialer.vapi_ended_reasons known;
comment on view dialer.ended_reasons is 'Every endedReason VAPI documents (table vapi_ended_reasons) with its class and outcome; explicit is false when only the default (retry_later) covers it.';

create view dialer.forward_deliveries as
 SELECT id,
    tenant_id,
    call_id,
    event_id,
    mode,
    type,
    url,
        CASE
            WHEN state = 'pending'::text AND lease_expires_at > now() THEN 'delivering'::text
            ELSE state
        END AS state,
    attempts,
    created_at,
    last_attempt_at,
    last_status,
    last_error,
    last_duration_ms,
    next_attempt_at,
    delivered_at
   FROM dialer.forwards forward;
comment on view dialer.forward_deliveries is 'Every message relayed to a tenant''s forward URL: mode sync (request-response, answered while VAPI waited) or async (queued); state pending (waiting for next_attempt_at), delivering (leased by a worker now), delivered, or failed (sync: VAPI got pgdialer''s error answer; async: given up); attempts, the last HTTP status and error.';

create view dialer.queue_health as
 SELECT queue,
    ready,
    deferred,
    retry,
    active,
    completed,
    cancelled,
    failed,
    failed_last_hour,
    oldest_ready_at,
    oldest_ready_seconds,
    next_start_after
   FROM dialer.queue_health_at(now()) queue_health_at(queue, ready, deferred, retry, active, completed, cancelled, failed, failed_last_hour, oldest_ready_at, oldest_ready_seconds, next_start_after);
comment on view dialer.queue_health is 'dialer.queue_health_at(now()): per pg-boss queue, jobs by state, failures in the last hour, the oldest ready job''s wait and the next deferred start.';

create view dialer.scheduler_status as
 SELECT id AS tenant_id,
    name,
    dialer._next_wake_at(now(), id) AS next_wake_at,
    ( SELECT count(*) AS count
           FROM dialer.due_calls(now()) due(id, tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, variables, attempt, occurrence, status, outcome, due_at, claimed_at, lease_expires_at, dial_started_at, dispatch_failures, vapi_call_id, vapi_status, ended_reason, started_at, ended_at, duration_seconds, cost, cost_breakdown, transcript, recording_url, summary, analysis, last_error, created_at, updated_at, costs, counts_as_attempt, check_at, checks, details_received_at, rule_set, cap_subject, cap_person, retry_step)
          WHERE due.tenant_id = tenant.id) AS due_now,
    ( SELECT count(*) AS count
           FROM dialer.calls live
          WHERE live.tenant_id = tenant.id AND (live.status = ANY (ARRAY['dialing'::text, 'queued'::text, 'ringing'::text, 'in_progress'::text]))) AS in_flight,
    dialer._tenant_limit(tenant.*) AS concurrency_limit,
    vapi_blocked_at,
    vapi_blocked_reason
   FROM dialer.tenants tenant;
comment on view dialer.scheduler_status is 'Per tenant: next_wake_at (as next_wake_at(now()) for this tenant''s calls and campaigns), due_now (calls due_calls(now()) allows, before concurrency), in_flight (live calls), concurrency_limit (effective: least of its limit and VAPI''s), vapi_blocked_at / vapi_blocked_reason (set while VAPI refuses the account: nothing is dialed).';

create view dialer.why_not_now as
 SELECT call_id,
    tenant_id,
    campaign_id,
    contact_id,
    phone,
    due_at,
    reason,
    until
   FROM dialer.why_not(now()) why_not(call_id, tenant_id, campaign_id, contact_id, phone, due_at, reason, until);
comment on view dialer.why_not_now is 'dialer.why_not(now()): every scheduled call not being dialed now, with the first reason holding it back and until when (where known).';

CREATE OR REPLACE FUNCTION dialer._attempt_overrides_valid(overrides jsonb, max_attempts integer)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  entry jsonb;
  seen integer[] := '{}';
begin
  if jsonb_typeof(overrides) is distinct from 'array' then
    return false;
  end if;
  for entry in select value from jsonb_array_elements(overrides) loop
    if jsonb_typeof(entry) <> 'object'
       or exists (select 1 from jsonb_object_keys(entry) key where key not in ('attempt', 'variables', 'voicemail_message'))
       or not dialer._json_int_between(entry -> 'attempt', 1, max_attempts)
       or (entry ->> 'attempt')::integer = any(seen)
       or (entry ? 'variables' and jsonb_typeof(entry -> 'variables') <> 'object')
       or (entry ? 'voicemail_message' and (jsonb_typeof(entry -> 'voicemail_message') <> 'string'
                                            or length(entry ->> 'voicemail_message') not between 1 and 1000)) then
      return false;
    end if;
    seen := seen || (entry ->> 'attempt')::integer;
  end loop;
  return true;
end
$function$;
comment on function dialer._attempt_overrides_valid(overrides jsonb, max_attempts integer) is 'Internal (check constraint): attempt overrides are an array of objects {attempt: integer 1..max_attempts, each attempt once, variables?: object, voicemail_message?: string of 1..1000 characters}.';

CREATE OR REPLACE FUNCTION dialer._calendar_days(p_rule_set integer, p_calendar text, from_day date, to_day date)
 RETURNS TABLE(day date, name text, observed boolean)
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select shifted.day, holiday.name, shifted.observed
  from dialer.holiday_rules holiday
  cross join generate_series(extract(year from from_day)::integer - 1, extract(year from to_day)::integer + 1) as year
  cross join lateral (select dialer._holiday_date(holiday, year) as actual) dated
  cross join lateral (values (dated.actual, false), (dialer._observed_day(dated.actual, holiday.observed), true)) as shifted (day, observed)
  where holiday.rule_set = p_rule_set and holiday.calendar = p_calendar
    and dated.actual is not null and shifted.day is not null
    and (holiday.valid_from is null or dated.actual >= holiday.valid_from)
    and (holiday.valid_to is null or dated.actual <= holiday.valid_to)
    and shifted.day between from_day and to_day
$function$;
comment on function dialer._calendar_days(p_rule_set integer, p_calendar text, from_day date, to_day date) is 'Internal: the holidays of calendar p_calendar of rule set p_rule_set between from_day and to_day: each date, and where it is shifted its observed day (observed = true).';

CREATE OR REPLACE FUNCTION dialer._call_ended(p_call dialer.calls, p_outcome text, p_ended_reason text, p_ended_at timestamp with time zone, p_error text, p_account boolean)
 RETURNS dialer.calls
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
  p_call.status := 'ended';
  p_call.outcome := p_outcome;
  p_call.ended_reason := p_ended_reason;
  p_call.ended_at := p_ended_at;
  p_call.lease_expires_at := null;
  p_call.last_error := coalesce(p_error, p_call.last_error);
  p_call.updated_at := p_ended_at;
  p_call.counts_as_attempt := not p_account;
  p_call.check_at := null;
  p_call.checks := 0;
  return p_call;
end
$function$;
comment on function dialer._call_ended(p_call dialer.calls, p_outcome text, p_ended_reason text, p_ended_at timestamp with time zone, p_error text, p_account boolean) is 'Internal: p_call ended: status ended, outcome p_outcome, ended_reason, ended_at = p_ended_at, lease cleared, last_error = p_error if given, updated_at = p_ended_at, counts_as_attempt unless p_account, no lookup due (check_at null, checks 0).';

CREATE OR REPLACE FUNCTION dialer._call_gate(p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean, p_disabled_rules text[], p_subject text, p_person text, at timestamp with time zone)
 RETURNS TABLE(on_dnc boolean, live_call boolean, dials_24h bigint, blocked_by text)
 LANGUAGE sql
 STABLE
AS $function$
  select (select true from dialer.dnc where dnc.tenant_id = p_tenant_id and dnc.phone = p_phone) is not null,
         (select true from dialer.calls live
          where live.tenant_id = p_tenant_id and live.phone = p_phone
            and live.status in ('dialing', 'queued', 'ringing', 'in_progress')
          limit 1) is not null,
         (select count(*) from dialer.calls dialed
          where dialed.tenant_id = p_tenant_id and dialed.phone = p_phone
            and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at),
         coalesce(
           (select 'blackout:' || blackout.id from dialer.blackouts blackout
            where blackout.tenant_id = p_tenant_id and blackout.jurisdiction = any(dialer._effective_jurisdictions(p_jurisdictions))
              and blackout.ends_at > at and blackout.starts_at <= at and p_call_type = any(blackout.applies_to)
            order by blackout.ends_at desc limit 1),
           (select rule.id from dialer.rules rule
            where rule.rule_set = (select max(current.rule_set) from dialer.rules current)
              and rule.jurisdiction = any(dialer._effective_jurisdictions(p_jurisdictions))
              and rule.enabled and not (rule.id = any(p_disabled_rules))
              and dialer._rule_applies(rule, p_call_type, p_automated)
              and ((rule.requires_known_jurisdiction and cardinality(p_jurisdictions) = 0)
                   or (rule.windows is not null and not dialer._rule_open(rule, p_zones, at))
                   or (rule.cap_max is not null
                       and dialer._rule_in_effect(rule, (at at time zone coalesce(p_zones[1], 'UTC'))::date)
                       and case rule.cap_scope
                             when 'number' then (select count(*) from dialer.calls dialed
                                                 where dialed.tenant_id = p_tenant_id and dialed.phone = p_phone
                                                   and dialed.dial_started_at > at - rule.cap_window and dialed.dial_started_at <= at)
                             else (select count(*) from dialer.calls claimed
                                   where claimed.tenant_id = p_tenant_id and claimed.cap_subject = p_subject
                                     and claimed.cap_person = p_person
                                     and claimed.claimed_at > at - rule.cap_window and claimed.claimed_at <= at) end
                           >= rule.cap_max))
            order by rule.id
            limit 1))
$function$;
comment on function dialer._call_gate(p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean, p_disabled_rules text[], p_subject text, p_person text, at timestamp with time zone) is 'Internal: the per-number and per-person rules of the due gate, written once: on_dnc, live_call, dials_24h (calls started in the 24 h up to at), blocked_by (an emergency blackout ''blackout:<id>'' in force for a candidate jurisdiction, else the first rule of the rule set in force that forbids the call: outside its windows in a zone of p_zones, or its cap reached, per number or per person p_person and subject p_subject; null when allowed). Inlined by the planner: each column is an index probe per call.';

CREATE OR REPLACE FUNCTION dialer._call_with_details(p_call dialer.calls, p_details jsonb, p_state text, p_recheck_after interval, at timestamp with time zone)
 RETURNS dialer.calls
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  v_notes constant boolean := dialer._details_noted(p_state, p_call);
begin
  -- Only fill in: a later, thinner payload never erases what an earlier one recorded.
  if p_details is not null then
    p_call.started_at := coalesce((p_details ->> 'startedAt')::timestamptz, p_call.started_at);
    p_call.ended_at := coalesce((p_details ->> 'endedAt')::timestamptz, p_call.ended_at);
    p_call.transcript := coalesce(p_details ->> 'transcript', p_call.transcript);
    p_call.recording_url := coalesce(p_details ->> 'recordingUrl', p_call.recording_url);
    p_call.summary := coalesce(p_details ->> 'summary', p_call.summary);
    p_call.analysis := coalesce(nullif(p_details -> 'analysis', 'null'), p_call.analysis);
    p_call.cost := coalesce((p_details ->> 'cost')::numeric, p_call.cost);
    p_call.costs := coalesce(nullif(p_details -> 'costs', 'null'), p_call.costs);
    p_call.cost_breakdown := coalesce(nullif(p_details -> 'costBreakdown', 'null'), p_call.cost_breakdown);
  end if;
  if v_notes then
    if p_state = 'received' then
      p_call.details_received_at := coalesce(p_call.details_received_at, at);
    end if;
    p_call.check_at := case
      when p_state = 'received' then null
      when p_state = 'awaited' then coalesce(p_call.check_at, at + p_recheck_after)
      when p_call.checks + 1 >= (dialer._lookup_limits()).details_checks then null
      else at + p_recheck_after * power(2, p_call.checks + 1)
    end;
    -- After check_at, which reads the count before this lookup.
    p_call.checks := case when p_state = 'missing' then p_call.checks + 1 else p_call.checks end;
  end if;
  return p_call;
end
$function$;
comment on function dialer._call_with_details(p_call dialer.calls, p_details jsonb, p_state text, p_recheck_after interval, at timestamp with time zone) is 'Internal: the call p_call with what VAPI reports filled in (p_details: startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost exact, costs, costBreakdown; a missing or null field keeps what the row has) and, when _details_noted(p_state, p_call), where its details stand (p_state received: details_received_at = at unless set, no lookup; awaited: a lookup at at + p_recheck_after unless one is armed; missing: checks + 1, the next lookup at at + p_recheck_after × 2^checks, none after _lookup_limits().details_checks). record_call_details and apply_call_result write it.';

CREATE OR REPLACE FUNCTION dialer._caller_country_key(country text, country_calling_code text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select case when coalesce(country_calling_code, '1') = '1' then country else '+' || country_calling_code end $function$;
comment on function dialer._caller_country_key(country text, country_calling_code text) is 'Internal: a number''s same-country key: its country (US, CA, …) for the NANP calling code 1, else ''+'' || its calling code.';

CREATE OR REPLACE FUNCTION dialer._caller_local_keys(phone text, jurisdictions text[])
 RETURNS text[]
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  keys text[] := '{}';
  code text;
begin
  if phone ~ '^\+1[2-9][0-9]{9}$' then
    keys := array['a:' || substr(phone, 3, 3)];
  end if;
  foreach code in array coalesce(jurisdictions, '{}') loop
    if code like '__-__' then keys := keys || ('s:' || code); end if;
  end loop;
  foreach code in array coalesce(jurisdictions, '{}') loop
    if code like '__' and not ('c:' || code) = any(keys) then keys := keys || ('c:' || code); end if;
  end loop;
  if phone !~ '^\+1' then
    -- Calling codes are one to three digits and none starts with another: one of these matches.
    keys := keys || ('c:+' || substr(phone, 2, 1)) || ('c:+' || substr(phone, 2, 2)) || ('c:+' || substr(phone, 2, 3));
  end if;
  return keys || '*'::text;
end
$function$;
comment on function dialer._caller_local_keys(phone text, jurisdictions text[]) is 'Internal: a contact''s caller-number lookup keys in the order of local presence: a:<area code> for a NANP number, s:<state/province> for each of its jurisdictions, c:<country key> for each country among them (and c:+<1–3 digit prefix> for a number outside NANP, matching a pool number''s calling code), then * (any).';

CREATE OR REPLACE FUNCTION dialer._caller_number_live(tenant_id uuid, vapi_phone_number_id text)
 RETURNS integer
 LANGUAGE sql
 STABLE
AS $function$ select calls from dialer._caller_number_live_calls($1, $2) $function$;
comment on function dialer._caller_number_live(tenant_id uuid, vapi_phone_number_id text) is 'Internal: live calls placed from the number (_caller_number_live_calls), as a value.';

CREATE OR REPLACE FUNCTION dialer._caller_number_live_calls(p_tenant_id uuid, p_vapi_phone_number_id text)
 RETURNS TABLE(calls integer)
 LANGUAGE sql
 STABLE
AS $function$
  select count(*)::integer from dialer.calls live
  where live.tenant_id = p_tenant_id and live.phone_number_id = p_vapi_phone_number_id
    and live.status in ('dialing', 'queued', 'ringing', 'in_progress')
$function$;
comment on function dialer._caller_number_live_calls(p_tenant_id uuid, p_vapi_phone_number_id text) is 'Internal: one row, calls = live calls (dialing, queued, ringing, in_progress) placed from the number.';

CREATE OR REPLACE FUNCTION dialer._caller_number_used_today(number dialer.phone_numbers, at timestamp with time zone)
 RETURNS integer
 LANGUAGE sql
 STABLE
AS $function$ select case when number.calls_day_ends > at then number.calls_today else 0 end $function$;
comment on function dialer._caller_number_used_today(number dialer.phone_numbers, at timestamp with time zone) is 'Internal: calls claimed on the number since its local midnight (time_zone) at `at`: calls_today until calls_day_ends (the local midnight after calls_day), then 0.';

CREATE OR REPLACE FUNCTION dialer._caller_pool_least_used(p_pool_id bigint, p_key text, p_k integer, at timestamp with time zone)
 RETURNS TABLE(tenant_id uuid, vapi_phone_number_id text, pool_position integer, room integer, used_today integer)
 LANGUAGE sql
 STABLE
AS $function$
  select member.tenant_id, member.vapi_phone_number_id, member.position, state.room, state.used_today
  from (select * from (select m.* from dialer.caller_pool_numbers m
                       where left(p_key, 2) = 'a:' and m.pool_id = p_pool_id and m.area_code = substr(p_key, 3)
                       order by m.used_today, m.position) area
        union all
        select * from (select m.* from dialer.caller_pool_numbers m
                       where left(p_key, 2) = 's:' and m.pool_id = p_pool_id and m.state = substr(p_key, 3)
                       order by m.used_today, m.position) state
        union all
        select * from (select m.* from dialer.caller_pool_numbers m
                       where left(p_key, 2) = 'c:' and m.pool_id = p_pool_id and m.country_key = substr(p_key, 3)
                       order by m.used_today, m.position) country
        union all
        select * from (select m.* from dialer.caller_pool_numbers m
                       where p_key = '*' and m.pool_id = p_pool_id
                       order by m.used_today, m.position) anywhere) member
  -- A lateral with LIMIT: one index probe per number read, in use order, until k are found (as a
  -- join, small tables were hashed whole at every lookup).
  cross join lateral (select pn from dialer.phone_numbers pn
                      where pn.tenant_id = member.tenant_id and pn.vapi_phone_number_id = member.vapi_phone_number_id
                      limit 1) found
  cross join lateral dialer._caller_number_live_calls(member.tenant_id, member.vapi_phone_number_id) live
  cross join lateral dialer.caller_number_hold(found.pn, live.calls, at) state
  where state.hold is null
  order by member.used_today, member.position
  limit p_k
$function$;
comment on function dialer._caller_pool_least_used(p_pool_id bigint, p_key text, p_k integer, at timestamp with time zone) is 'Internal: up to p_k usable numbers (caller_number_hold) of pool p_pool_id matching p_key (a:<area code>, s:<state>, c:<country key>, * any), least used today first, then pool order, with room (null: no limit) and used_today.';

CREATE OR REPLACE FUNCTION dialer._caller_pool_numbers_counted()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  update dialer.caller_pools pool
  set registered = (select count(*) from dialer.caller_pool_numbers member where member.pool_id = pool.id)
  where pool.id in (select pool_id from changed);
  return null;
end
$function$;
comment on function dialer._caller_pool_numbers_counted() is 'Internal: statement trigger setting caller_pools.registered (its rows in caller_pool_numbers) for the pools whose rows were added or removed.';

CREATE OR REPLACE FUNCTION dialer._caller_pool_of(p_tenant_id uuid, p_ids text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
declare
  v_id bigint;
begin
  -- FOR KEY SHARE: a pool another transaction is removing (its last campaign left it) is waited
  -- for, then not found, and made again, rather than referenced as it goes.
  select id into v_id from dialer.caller_pools
  where tenant_id = p_tenant_id and numbers_digest = md5(array_to_string(p_ids, ',')) and phone_number_ids = p_ids
  for key share;
  if found then
    return v_id;
  end if;
  insert into dialer.caller_pools (tenant_id, phone_number_ids, numbers_digest)
  values (p_tenant_id, p_ids, md5(array_to_string(p_ids, ',')))
  on conflict (tenant_id, numbers_digest) do nothing
  returning id into v_id;
  if v_id is null then                             -- made meanwhile by another transaction
    select id into v_id from dialer.caller_pools
    where tenant_id = p_tenant_id and numbers_digest = md5(array_to_string(p_ids, ','))
    for key share;
    return v_id;
  end if;
  insert into dialer.caller_pool_numbers (pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today)
  select pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today
  from dialer.caller_pool_number_rows where pool_id = v_id;
  return v_id;
end
$function$;
comment on function dialer._caller_pool_of(p_tenant_id uuid, p_ids text[]) is 'Internal: the id of the tenant''s caller_pools row for these numbers in this order, inserting it and its registered numbers (caller_pool_number_rows) when new.';

CREATE OR REPLACE FUNCTION dialer._caller_pool_open(p_pool_id bigint, at timestamp with time zone)
 RETURNS TABLE(open boolean)
 LANGUAGE sql
 STABLE
AS $function$
  select p_pool_id is null
      or (select pool.registered = 0 from dialer.caller_pools pool where pool.id = p_pool_id)
      or exists (select 1
                 from dialer.caller_pool_numbers member
                 -- A lateral with LIMIT: one index probe per number read. As a join, the two small
                 -- tables were hashed, the hash built again for every source of the rotation.
                 cross join lateral (select pn from dialer.phone_numbers pn
                                     where pn.tenant_id = member.tenant_id and pn.vapi_phone_number_id = member.vapi_phone_number_id
                                     limit 1) found
                 cross join lateral dialer._caller_number_live_calls(member.tenant_id, member.vapi_phone_number_id) live
                 cross join lateral dialer.caller_number_hold(found.pn, live.calls, at) state
                 where member.pool_id = p_pool_id and state.hold is null)
$function$;
comment on function dialer._caller_pool_open(p_pool_id bigint, at timestamp with time zone) is 'Internal: one row, open = true for direct calls (null pool), a pool with no registered number, or one with a usable number (caller_number_hold) at `at`.';

CREATE OR REPLACE FUNCTION dialer._caller_pools_unused_removed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  delete from dialer.caller_pools pool
  where pool.id = old.caller_pool_id
    and not exists (select 1 from dialer.campaigns campaign where campaign.caller_pool_id = pool.id);
  return null;
end
$function$;
comment on function dialer._caller_pools_unused_removed() is 'Internal: trigger removing a campaign''s former caller_pools row when no campaign uses it any more.';

CREATE OR REPLACE FUNCTION dialer._campaign_day(campaign dialer.campaigns, at timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select dialer._window_day(campaign.time_zone, campaign.window_start, campaign.window_end, at) $function$;
comment on function dialer._campaign_day(campaign dialer.campaigns, at timestamp with time zone) is 'Internal: the local date (campaign zone) of the campaign window instance containing at (see _window_day).';

CREATE OR REPLACE FUNCTION dialer._campaign_day_allowed(campaign dialer.campaigns, day date)
 RETURNS boolean
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select (campaign.starts_on is null or day >= campaign.starts_on)
     and (campaign.ends_on is null or day <= campaign.ends_on)
     and not (day = any(campaign.blackout_dates))
$function$;
comment on function dialer._campaign_day_allowed(campaign dialer.campaigns, day date) is 'Internal: true when local date day (a window day in the campaign''s zone) is within starts_on..ends_on and not a blackout date.';

CREATE OR REPLACE FUNCTION dialer._campaign_for_update(p_tenant_id uuid, p_campaign_id uuid)
 RETURNS dialer.campaigns
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns;
begin
  select * into campaign from dialer.campaigns
  where id = p_campaign_id and tenant_id = p_tenant_id and deleted_at is null
  for update;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  return campaign;
end
$function$;
comment on function dialer._campaign_for_update(p_tenant_id uuid, p_campaign_id uuid) is 'Internal: the tenant''s campaign row locked FOR UPDATE; raises PD404 when it does not exist, is deleted or belongs to another tenant.';

CREATE OR REPLACE FUNCTION dialer._campaign_next_open(campaign dialer.campaigns, after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select dialer._campaign_next_open_in(campaign, null, after) $function$;
comment on function dialer._campaign_next_open(campaign dialer.campaigns, after timestamp with time zone) is 'Internal: the earliest instant >= after at which the campaign window is open on a day within its dates and not blacked out (status ignored); null if never again.';

CREATE OR REPLACE FUNCTION dialer._campaign_next_open_in(campaign dialer.campaigns, half text, after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  candidate timestamptz := after;
  day date;
begin
  if campaign.starts_on is not null then
    candidate := greatest(candidate, dialer._local_start(campaign.time_zone, campaign.starts_on + time '00:00'));
  end if;
  for i in 1..800 loop
    candidate := case when half is null
                      then dialer.next_window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, candidate)
                      else dialer.next_window_half_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, half, candidate) end;
    if candidate is null then return null; end if;
    day := dialer._campaign_day(campaign, candidate);
    if campaign.ends_on is not null and day > campaign.ends_on then return null; end if;
    if dialer._campaign_day_allowed(campaign, day) then return candidate; end if;
    candidate := dialer._window_closing(campaign.time_zone, campaign.window_start, campaign.window_end, day);
  end loop;
  return null;
end
$function$;
comment on function dialer._campaign_next_open_in(campaign dialer.campaigns, half text, after timestamp with time zone) is 'Internal: the earliest instant >= after at which the campaign window (half null), or its earlier or later half (next_window_half_open), is open on a day within its dates and not blacked out (status ignored); null if never again.';

CREATE OR REPLACE FUNCTION dialer._campaign_open(campaign dialer.campaigns, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select campaign.status = 'active' and campaign.deleted_at is null
     and dialer.window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, at)
     and dialer._campaign_day_allowed(campaign, dialer._campaign_day(campaign, at))
$function$;
comment on function dialer._campaign_open(campaign dialer.campaigns, at timestamp with time zone) is 'Internal: the campaign may dial at `at`: active, not deleted, window open, window day within its dates and not a blackout date.';

CREATE OR REPLACE FUNCTION dialer._campaigns_pool_in_step()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  if tg_op = 'INSERT' then
    if new.phone_number_ids is null or cardinality(new.phone_number_ids) = 0 then
      new.phone_number_ids := array[new.phone_number_id];
    end if;
    new.phone_number_id := new.phone_number_ids[1];
  elsif new.phone_number_ids is distinct from old.phone_number_ids then
    new.phone_number_id := new.phone_number_ids[1];
  elsif new.phone_number_id is distinct from old.phone_number_id then
    new.phone_number_ids := array[new.phone_number_id];
  end if;
  if tg_op = 'INSERT' or new.phone_number_ids is distinct from old.phone_number_ids or new.caller_pool_id is null then
    new.caller_pool_id := dialer._caller_pool_of(new.tenant_id, new.phone_number_ids);
  end if;
  return new;
end
$function$;
comment on function dialer._campaigns_pool_in_step() is 'Internal: trigger keeping campaigns.phone_number_id = phone_number_ids[1] (a new pool sets the first number; a new phone_number_id alone makes it the one-number pool) and caller_pool_id the pool of phone_number_ids (_caller_pool_of).';

CREATE OR REPLACE FUNCTION dialer._cancel_pending_calls_to(p_tenant_id uuid, p_phones text[], p_reason text, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_cancelled integer;
  v_campaigns uuid[];
begin
  with cancelled as (
    update dialer.calls call
    set status = 'cancelled', last_error = p_reason, lease_expires_at = null, updated_at = at
    from dialer.contacts contact
    where contact.tenant_id = p_tenant_id and contact.phone = any (p_phones)
      and call.contact_id = contact.id and call.tenant_id = p_tenant_id and call.phone = contact.phone
      and (call.status = 'scheduled' or (call.status = 'dialing' and call.dial_started_at is null))
    returning call.campaign_id
  )
  select count(*)::integer, array_agg(distinct campaign_id) filter (where campaign_id is not null)
  into v_cancelled, v_campaigns
  from cancelled;
  perform dialer._complete_once_campaign(campaign.id, at)
  from dialer.campaigns campaign
  where campaign.id = any (v_campaigns) and campaign.frequency = 'once';
  return v_cancelled;
end
$function$;
comment on function dialer._cancel_pending_calls_to(p_tenant_id uuid, p_phones text[], p_reason text, at timestamp with time zone) is 'Internal: cancels the tenant''s scheduled calls, and claimed calls not yet being dialed, to the numbers (last_error = p_reason); completes once campaigns left with nothing pending or live. Returns the calls cancelled.';

CREATE OR REPLACE FUNCTION dialer._cap_frees_at(tenant_id uuid, phone text, max_per_24h integer, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select case when count(*) >= max_per_24h
              then (array_agg(dialed.dial_started_at order by dialed.dial_started_at))[count(*) - max_per_24h + 1] + interval '24 hours' end
  from dialer.calls dialed
  where dialed.tenant_id = $1 and dialed.phone = $2
    and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at
$function$;
comment on function dialer._cap_frees_at(tenant_id uuid, phone text, max_per_24h integer, at timestamp with time zone) is 'Internal: the instant the per-number 24-hour cap stops holding back a call (when enough past dials leave the window); null when not capped at `at`.';

CREATE OR REPLACE FUNCTION dialer._claim_lock(tenant_id uuid)
 RETURNS boolean
 LANGUAGE sql
AS $function$ select pg_try_advisory_xact_lock(1885823025, hashtext(tenant_id::text)) $function$;
comment on function dialer._claim_lock(tenant_id uuid) is 'Internal: try to take the transaction-scoped advisory lock that serialises claims for one tenant (key 1885823025, hashtext(tenant id)).';

CREATE OR REPLACE FUNCTION dialer._complete_once_campaign(p_campaign_id uuid, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
begin
  update dialer.calls call
  set status = 'skipped', last_error = 'do not call', updated_at = at
  where call.campaign_id = p_campaign_id and call.status = 'scheduled'
    and exists (select 1 from dialer.dnc where dnc.tenant_id = call.tenant_id and dnc.phone = call.phone);
  update dialer.campaigns campaign
  set status = 'completed', finished_at = at, updated_at = at
  where campaign.id = p_campaign_id and campaign.frequency = 'once' and campaign.status in ('active', 'paused')
    and not exists (select 1 from dialer.calls call
                    where call.campaign_id = p_campaign_id
                      and call.status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress'));
  return found;
end
$function$;
comment on function dialer._complete_once_campaign(p_campaign_id uuid, at timestamp with time zone) is 'Internal: marks an active or paused once campaign completed (finished_at = at) when none of its calls is scheduled or live, after skipping scheduled calls to numbers now on do-not-call. Returns whether it completed it.';

CREATE OR REPLACE FUNCTION dialer._contact_zones(time_zone text, possible_time_zones text[], campaign_time_zone text)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when time_zone is not null then array[time_zone]
              when cardinality(possible_time_zones) > 0 then possible_time_zones
              when campaign_time_zone is not null then array[campaign_time_zone]
              else '{}'::text[] end
$function$;
comment on function dialer._contact_zones(time_zone text, possible_time_zones text[], campaign_time_zone text) is 'Internal: zones where a contact''s calling hours must be open: its own zone, else all its possible zones, else the campaign zone, else none.';

CREATE OR REPLACE FUNCTION dialer._contacts_set_jurisdictions()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  new.jurisdictions := dialer.contact_jurisdictions(new.phone, new.state, new.postal_code);
  new.region_zones := dialer.contact_region_zones(new.phone, new.jurisdictions);
  return new;
end
$function$;
comment on function dialer._contacts_set_jurisdictions() is 'Internal: trigger setting contacts.jurisdictions and region_zones from phone, state and postal_code.';

CREATE OR REPLACE FUNCTION dialer._count_caller_number_claims(p_call_ids uuid[], at timestamp with time zone)
 RETURNS void
 LANGUAGE sql
AS $function$
  update dialer.phone_numbers pn
  set calls_today = dialer._caller_number_used_today(pn, at) + used.calls,
      calls_day = (at at time zone pn.time_zone)::date
  from (select call.tenant_id, call.phone_number_id, count(*)::integer as calls
        from dialer.calls call
        where call.id = any(p_call_ids) and call.status = 'dialing' and call.claimed_at = at and call.phone_number_id is not null
        group by 1, 2) used
  where pn.tenant_id = used.tenant_id and pn.vapi_phone_number_id = used.phone_number_id
$function$;
comment on function dialer._count_caller_number_claims(p_call_ids uuid[], at timestamp with time zone) is 'Internal: adds the calls just claimed (dialing, claimed_at = at) to their registered numbers'' calls_today, restarting it on a new local day (calls_day; a trigger sets calls_day_ends, and another copies the counter to caller_pool_numbers).';

CREATE OR REPLACE FUNCTION dialer._current_rule_set()
 RETURNS integer
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select max(rule_set) from dialer.rules $function$;
comment on function dialer._current_rule_set() is 'Internal: the version of the rule set in force (the highest loaded).';

CREATE OR REPLACE FUNCTION dialer._details_fill(p_details jsonb)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select coalesce(p_details -> 'startedAt' <> 'null' or p_details -> 'endedAt' <> 'null' or p_details -> 'transcript' <> 'null'
                  or p_details -> 'recordingUrl' <> 'null' or p_details -> 'summary' <> 'null' or p_details -> 'analysis' <> 'null'
                  or p_details -> 'cost' <> 'null' or p_details -> 'costs' <> 'null' or p_details -> 'costBreakdown' <> 'null', false)
$function$;
comment on function dialer._details_fill(p_details jsonb) is 'Internal: p_details has a field record_call_details fills in (startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost, costs, costBreakdown) that is not null.';

CREATE OR REPLACE FUNCTION dialer._details_noted(p_state text, call dialer.calls)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select p_state is not null and call.status = 'ended'
         and (p_state = 'received' or (call.details_received_at is null and call.vapi_call_id is not null))
$function$;
comment on function dialer._details_noted(p_state text, call dialer.calls) is 'Internal: note_call_details applies p_state only to an ended call, and (but for received) only to one with a VAPI id whose details have not arrived.';

CREATE OR REPLACE FUNCTION dialer._details_state(p_state text)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
  if p_state is not null and p_state not in ('received', 'awaited', 'missing') then
    raise exception 'note_call_details: p_state must be received, awaited or missing, not %', p_state using errcode = 'PD400';
  end if;
  return p_state;
end
$function$;
comment on function dialer._details_state(p_state text) is 'Internal: p_state itself if it is received, awaited, missing or null; otherwise raises PD400.';

CREATE OR REPLACE FUNCTION dialer._easter(year integer)
 RETURNS date
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
declare
  a integer := year % 19;
  b integer := year / 100;
  c integer := year % 100;
  h integer;
  l integer;
  m integer;
begin
  h := (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30;
  l := (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7;
  m := (a + 11 * h + 22 * l) / 451;
  return make_date(year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
end
$function$;
comment on function dialer._easter(year integer) is 'Internal: the date of Western Easter Sunday in year (Gregorian calendar).';

CREATE OR REPLACE FUNCTION dialer._effective_jurisdictions(jurisdictions text[])
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select case when cardinality(jurisdictions) > 0 then jurisdictions else '{US}'::text[] end $function$;
comment on function dialer._effective_jurisdictions(jurisdictions text[]) is 'Internal: a contact''s candidate jurisdictions, or {US} (the federal pack) when it has none.';

CREATE OR REPLACE FUNCTION dialer._ended_reason_rule(reason text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case
    -- VAPI's own infrastructure or platform credentials ("vapifault": not the account's doing,
    -- usually not charged), whatever the provider or status code in the name.
    when reason like 'call.in-progress.error-vapifault-%' or reason like 'call.start.error-vapifault-%' then 'retry_later'
    -- The customer was reached.
    when reason in ('customer-ended-call', 'assistant-ended-call', 'assistant-said-end-call-phrase',
                    'assistant-ended-call-with-hangup-task', 'assistant-ended-call-after-message-spoken',
                    'assistant-forwarded-call', 'silence-timed-out', 'exceeded-max-duration',
                    'call.in-progress.twilio-completed-call', 'call.in-progress.sip-completed-call', 'vonage-completed',
                    'call.forwarding.operator-busy', 'call.forwarding.no-answer', 'call.in-progress.error-transfer-failed')
      or reason like 'customer-ended-call-%'
      or reason like 'call.ending.hook-executed-%'
      or reason like 'call.in-progress.error-warm-transfer-%'
      then 'answered'
    -- It rang and nobody answered; a ringing-phase hook or a hang-up before connect ends a call
    -- nobody picked up.
    when reason in ('customer-did-not-answer',
                    'call.in-progress.error-providerfault-outbound-sip-408-request-timeout',
                    'call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable',
                    'call.ringing.sip-inbound-caller-hungup-before-call-connect')
      or reason like 'call.ringing.hook-executed-%'
      then 'no_answer'
    when reason = 'customer-busy' then 'busy'
    when reason = 'voicemail' then 'voicemail'
    -- For good, for this contact.
    when reason in ('twilio-reported-customer-misdialed', 'call.start.error-vapi-number-international',
                    'call.start.error-fraud-check-failed', 'customer-did-not-give-microphone-permission',
                    'manually-canceled', 'scheduled-call-deleted', 'call-deleted')
      then 'final'
    -- Temporary limits at the start: the plan's concurrency, the VAPI number's daily outbound limit.
    when reason in ('call.start.error-subscription-concurrency-limit-reached',
                    'call.start.error-vapi-number-outbound-daily-limit', 'call.start.error-get-customer')
      then 'retry_later'
    -- Billing, and every other start error: the assistant, phone number, resources, transport or plan
    -- of the account is wrong, so every call would fail alike.
    when reason like 'call.start.%'
      or reason in ('call-start-error-neither-assistant-nor-server-set', 'assistant-not-found', 'assistant-not-valid')
      or reason like 'assistant-request-returned-%'
      or reason like 'call.in-progress.error-configfault-%'
      or reason like '%pipeline-no-available-llm-model'
      then 'account'
    -- A provider (model, voice, transcriber, SIP trunk) with the account's credentials: a server
    -- error is temporary; a credential, quota, plan or configuration fault is the account's.
    when (reason like 'pipeline-error-%' or reason like 'call.in-progress.error-providerfault-%')
         and reason ~ '-5[0-9][0-9]-'
      then 'retry_later'
    when (reason like 'pipeline-error-%' or reason like 'call.in-progress.error-providerfault-%')
         and reason ~ ('(-40[0-37]-|unauthorized|api-key|credentials|auth-failed|access-denied|forbidden|quota'
                       '|credits|insufficent-funds|payment|blocked-|requested-upgrade|not-found|invalid-|not-fine-tuned'
                       '|free-users|paid-only|disabled-by-owner|creator-plus|must-be-a-valid|missing-samples'
                       '|character-limit|no-such-model|not-in-organization)')
      then 'account'
    -- Everything else a provider, the carrier, the network or a VAPI worker did mid-call.
    -- worker-shutdown: VAPI's page says "the call should be retried automatically" without saying
    -- by whom, and nothing in the OpenAPI re-places an outbound call; so we retry it.
    when reason like 'pipeline-error-%' or reason like 'call.in-progress.error-%'
      or reason in ('twilio-failed-to-connect-call', 'vonage-failed-to-connect-call', 'vonage-rejected',
                    'vonage-disconnected', 'phone-call-provider-closed-websocket',
                    'phone-call-provider-bypass-enabled-but-no-call-received', 'call.ringing.error-sip-inbound-call-failed-to-connect',
                    'worker-shutdown', 'assistant-join-timed-out', 'assistant-request-failed')
      then 'retry_later'
  end
$function$;
comment on function dialer._ended_reason_rule(reason text) is 'Internal: the class of a VAPI endedReason by the first explicit rule that matches it; null when no rule does (ended_reason_class then gives the default).';

CREATE OR REPLACE FUNCTION dialer._holiday_date(holiday dialer.holiday_rules, year integer)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case holiday.kind
           when 'fixed' then make_date(year, holiday.month, holiday.day)
           when 'nth_weekday' then
             case when holiday.nth > 0
                  then make_date(year, holiday.month, 1)
                       + (holiday.weekday - extract(isodow from make_date(year, holiday.month, 1))::integer + 7) % 7
                       + 7 * (holiday.nth - 1)
                  else (make_date(year, holiday.month, 1) + interval '1 month')::date - 1
                       - (extract(isodow from (make_date(year, holiday.month, 1) + interval '1 month')::date - 1)::integer
                          - holiday.weekday + 7) % 7 end
           when 'weekday_on_or_before' then
             make_date(year, holiday.month, holiday.day)
             - (extract(isodow from make_date(year, holiday.month, holiday.day))::integer - holiday.weekday + 7) % 7
           when 'easter' then dialer._easter(year)
           when 'date' then case when extract(year from holiday.on_date) = year then holiday.on_date end
         end + holiday.offset_days
$function$;
comment on function dialer._holiday_date(holiday dialer.holiday_rules, year integer) is 'Internal: the date of a holiday rule in year: fixed month/day, nth (or last, nth = -1) ISO weekday of a month, the weekday on or before month/day, Easter, or a one-off date (null in other years); plus offset_days. No observed shift.';

CREATE OR REPLACE FUNCTION dialer._holiday_on(p_rule_set integer, p_calendar text, p_day date)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  holiday dialer.holiday_rules;
  actual date;
  year integer;
begin
  for holiday in
    select * from dialer.holiday_rules h
    where h.rule_set = p_rule_set and h.calendar = p_calendar
      and (h.kind in ('easter', 'date') or h.offset_days <> 0
           or h.month in (extract(month from p_day - 1)::integer, extract(month from p_day)::integer, extract(month from p_day + 1)::integer))
    order by h.name
  loop
    -- A date of the next year may be observed on this one (1 January on a Saturday: 31 December).
    foreach year in array array[extract(year from p_day)::integer, extract(year from p_day + 1)::integer] loop
      actual := dialer._holiday_date(holiday, year);
      if actual is not null
         and (holiday.valid_from is null or actual >= holiday.valid_from)
         and (holiday.valid_to is null or actual <= holiday.valid_to)
         and (actual = p_day or dialer._observed_day(actual, holiday.observed) = p_day) then
        return holiday.name;
      end if;
    end loop;
  end loop;
  return null;
end
$function$;
comment on function dialer._holiday_on(p_rule_set integer, p_calendar text, p_day date) is 'Internal: the holiday (or observed holiday) of calendar p_calendar on p_day in rule set p_rule_set, the first by name; null when the day is not one.';

CREATE OR REPLACE FUNCTION dialer._hours_next_open(zones text[], hours_start time without time zone, hours_end time without time zone, after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  candidate timestamptz := after;
  latest timestamptz;
begin
  for i in 1..20 loop
    select max(dialer.next_window_open(zone, hours_start, hours_end, '{1,2,3,4,5,6,7}', candidate)) into latest
    from unnest(zones) as zone;
    if latest is null or latest = candidate then return candidate; end if;
    candidate := latest;
  end loop;
  return null;
end
$function$;
comment on function dialer._hours_next_open(zones text[], hours_start time without time zone, hours_end time without time zone, after timestamp with time zone) is 'Internal: the earliest instant >= after at which calling hours are open in every zone of zones; null when no common hours are found.';

CREATE OR REPLACE FUNCTION dialer._hours_open(zones text[], hours_start time without time zone, hours_end time without time zone, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  zone text;
begin
  foreach zone in array coalesce(zones, '{}') loop
    if not dialer.window_open(zone, hours_start, hours_end, '{1,2,3,4,5,6,7}', at) then
      return false;
    end if;
  end loop;
  return true;
end
$function$;
comment on function dialer._hours_open(zones text[], hours_start time without time zone, hours_end time without time zone, at timestamp with time zone) is 'Internal: true when calling hours [hours_start, hours_end) are open at `at` in every zone of zones (true for no zones).';

CREATE OR REPLACE FUNCTION dialer._is_final_reason(ended_reason text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select dialer.ended_reason_class(ended_reason) = 'final' $function$;
comment on function dialer._is_final_reason(ended_reason text) is 'Internal: ended_reason_class(ended_reason) = ''final'' (never retried, and a restarted campaign does not call the contact again).';

CREATE OR REPLACE FUNCTION dialer._is_time_zone(tz text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
RETURN (('{"GB": true, "NZ": true, "CET": true, "EET": true, "EST": true, "GMT": true, "HST": true, "MET": true, "MST": true, "PRC": true, "ROC": true, "ROK": true, "UCT": true, "UTC": true, "WET": true, "Cuba": true, "Eire": true, "GMT0": true, "Iran": true, "W-SU": true, "Zulu": true, "Egypt": true, "GMT+0": true, "GMT-0": true, "Japan": true, "Libya": true, "Israel": true, "Navajo": true, "Poland": true, "Turkey": true, "CST6CDT": true, "EST5EDT": true, "Etc/GMT": true, "Etc/UCT": true, "Etc/UTC": true, "Factory": true, "GB-Eire": true, "Iceland": true, "Jamaica": true, "MST7MDT": true, "NZ-CHAT": true, "PST8PDT": true, "Etc/GMT0": true, "Etc/Zulu": true, "Hongkong": true, "Portugal": true, "US/Samoa": true, "Asia/Aden": true, "Asia/Baku": true, "Asia/Dili": true, "Asia/Gaza": true, "Asia/Hovd": true, "Asia/Omsk": true, "Asia/Oral": true, "Etc/GMT+0": true, "Etc/GMT+1": true, "Etc/GMT+2": true, "Etc/GMT+3": true, "Etc/GMT+4": true, "Etc/GMT+5": true, "Etc/GMT+6": true, "Etc/GMT+7": true, "Etc/GMT+8": true, "Etc/GMT+9": true, "Etc/GMT-0": true, "Etc/GMT-1": true, "Etc/GMT-2": true, "Etc/GMT-3": true, "Etc/GMT-4": true, "Etc/GMT-5": true, "Etc/GMT-6": true, "Etc/GMT-7": true, "Etc/GMT-8": true, "Etc/GMT-9": true, "Greenwich": true, "Kwajalein": true, "Singapore": true, "US/Alaska": true, "US/Hawaii": true, "Universal": true, "Asia/Amman": true, "Asia/Aqtau": true, "Asia/Chita": true, "Asia/Dacca": true, "Asia/Dhaka": true, "Asia/Dubai": true, "Asia/Kabul": true, "Asia/Macao": true, "Asia/Macau": true, "Asia/Qatar": true, "Asia/Seoul": true, "Asia/Tokyo": true, "Asia/Tomsk": true, "Etc/GMT+10": true, "Etc/GMT+11": true, "Etc/GMT+12": true, "Etc/GMT-10": true, "Etc/GMT-11": true, "Etc/GMT-12": true, "Etc/GMT-13": true, "Etc/GMT-14": true, "US/Arizona": true, "US/Central": true, "US/Eastern": true, "US/Pacific": true, "Africa/Juba": true, "Africa/Lome": true, "Asia/Almaty": true, "Asia/Anadyr": true, "Asia/Aqtobe": true, "Asia/Atyrau": true, "Asia/Beirut": true, "Asia/Brunei": true, "Asia/Harbin": true, "Asia/Hebron": true, "Asia/Kuwait": true, "Asia/Manila": true, "Asia/Muscat": true, "Asia/Riyadh": true, "Asia/Saigon": true, "Asia/Taipei": true, "Asia/Tehran": true, "Asia/Thimbu": true, "Asia/Urumqi": true, "Asia/Yangon": true, "Brazil/Acre": true, "Brazil/East": true, "Brazil/West": true, "Europe/Kiev": true, "Europe/Kyiv": true, "Europe/Oslo": true, "Europe/Riga": true, "Europe/Rome": true, "Indian/Mahe": true, "Pacific/Yap": true, "US/Aleutian": true, "US/Michigan": true, "US/Mountain": true, "Africa/Accra": true, "Africa/Cairo": true, "Africa/Ceuta": true, "Africa/Dakar": true, "Africa/Lagos": true, "Africa/Tunis": true, "America/Adak": true, "America/Atka": true, "America/Lima": true, "America/Nome": true, "America/Nuuk": true, "Asia/Baghdad": true, "Asia/Bahrain": true, "Asia/Bangkok": true, "Asia/Barnaul": true, "Asia/Bishkek": true, "Asia/Colombo": true, "Asia/Irkutsk": true, "Asia/Jakarta": true, "Asia/Karachi": true, "Asia/Kashgar": true, "Asia/Kolkata": true, "Asia/Kuching": true, "Asia/Magadan": true, "Asia/Nicosia": true, "Asia/Rangoon": true, "Asia/Tbilisi": true, "Asia/Thimphu": true, "Asia/Yakutsk": true, "Asia/Yerevan": true, "Canada/Yukon": true, "Europe/Kirov": true, "Europe/Malta": true, "Europe/Minsk": true, "Europe/Paris": true, "Europe/Sofia": true, "Europe/Vaduz": true, "Indian/Cocos": true, "Pacific/Apia": true, "Pacific/Fiji": true, "Pacific/Guam": true, "Pacific/Niue": true, "Pacific/Truk": true, "Pacific/Wake": true, "Africa/Asmara": true, "Africa/Asmera": true, "Africa/Bamako": true, "Africa/Bangui": true, "Africa/Banjul": true, "Africa/Bissau": true, "Africa/Douala": true, "Africa/Harare": true, "Africa/Kigali": true, "Africa/Luanda": true, "Africa/Lusaka": true, "Africa/Malabo": true, "Africa/Maputo": true, "Africa/Maseru": true, "Africa/Niamey": true, "America/Aruba": true, "America/Bahia": true, "America/Belem": true, "America/Boise": true, "America/Jujuy": true, "America/Sitka": true, "America/Thule": true, "Asia/Ashgabat": true, "Asia/Calcutta": true, "Asia/Damascus": true, "Asia/Dushanbe": true, "Asia/Istanbul": true, "Asia/Jayapura": true, "Asia/Katmandu": true, "Asia/Khandyga": true, "Asia/Makassar": true, "Asia/Qostanay": true, "Asia/Sakhalin": true, "Asia/Shanghai": true, "Asia/Tashkent": true, "Asia/Tel_Aviv": true, "Asia/Ust-Nera": true, "Australia/ACT": true, "Australia/LHI": true, "Australia/NSW": true, "Etc/Greenwich": true, "Etc/Universal": true, "Europe/Athens": true, "Europe/Berlin": true, "Europe/Dublin": true, "Europe/Jersey": true, "Europe/Lisbon": true, "Europe/London": true, "Europe/Madrid": true, "Europe/Monaco": true, "Europe/Moscow": true, "Europe/Prague": true, "Europe/Samara": true, "Europe/Skopje": true, "Europe/Tirane": true, "Europe/Vienna": true, "Europe/Warsaw": true, "Europe/Zagreb": true, "Europe/Zurich": true, "Indian/Chagos": true, "Indian/Comoro": true, "Pacific/Chuuk": true, "Pacific/Efate": true, "Pacific/Nauru": true, "Pacific/Palau": true, "Pacific/Samoa": true, "Africa/Abidjan": true, "Africa/Algiers": true, "Africa/Conakry": true, "Africa/Kampala": true, "Africa/Mbabane": true, "Africa/Nairobi": true, "Africa/Tripoli": true, "America/Belize": true, "America/Bogota": true, "America/Cancun": true, "America/Cayman": true, "America/Cuiaba": true, "America/Dawson": true, "America/Denver": true, "America/Guyana": true, "America/Havana": true, "America/Inuvik": true, "America/Juneau": true, "America/La_Paz": true, "America/Maceio": true, "America/Manaus": true, "America/Merida": true, "America/Nassau": true, "America/Panama": true, "America/Recife": true, "America/Regina": true, "America/Virgin": true, "Asia/Ashkhabad": true, "Asia/Chongqing": true, "Asia/Chungking": true, "Asia/Famagusta": true, "Asia/Hong_Kong": true, "Asia/Jerusalem": true, "Asia/Kamchatka": true, "Asia/Kathmandu": true, "Asia/Pontianak": true, "Asia/Pyongyang": true, "Asia/Qyzylorda": true, "Asia/Samarkand": true, "Asia/Singapore": true, "Asia/Vientiane": true, "Atlantic/Faroe": true, "Australia/West": true, "Canada/Central": true, "Canada/Eastern": true, "Canada/Pacific": true, "Europe/Andorra": true, "Europe/Belfast": true, "Europe/Nicosia": true, "Europe/Saratov": true, "Europe/Tallinn": true, "Europe/Vatican": true, "Europe/Vilnius": true, "Indian/Mayotte": true, "Indian/Reunion": true, "Mexico/BajaSur": true, "Mexico/General": true, "Pacific/Easter": true, "Pacific/Kanton": true, "Pacific/Kosrae": true, "Pacific/Majuro": true, "Pacific/Midway": true, "Pacific/Noumea": true, "Pacific/Ponape": true, "Pacific/Saipan": true, "Pacific/Tahiti": true, "Pacific/Tarawa": true, "Pacific/Wallis": true, "Africa/Blantyre": true, "Africa/Djibouti": true, "Africa/El_Aaiun": true, "Africa/Freetown": true, "Africa/Gaborone": true, "Africa/Khartoum": true, "Africa/Kinshasa": true, "Africa/Monrovia": true, "Africa/Ndjamena": true, "Africa/Sao_Tome": true, "Africa/Timbuktu": true, "Africa/Windhoek": true, "America/Antigua": true, "America/Caracas": true, "America/Cayenne": true, "America/Chicago": true, "America/Cordoba": true, "America/Creston": true, "America/Curacao": true, "America/Detroit": true, "America/Godthab": true, "America/Grenada": true, "America/Halifax": true, "America/Iqaluit": true, "America/Jamaica": true, "America/Knox_IN": true, "America/Managua": true, "America/Marigot": true, "America/Mendoza": true, "America/Moncton": true, "America/Nipigon": true, "America/Noronha": true, "America/Ojinaga": true, "America/Phoenix": true, "America/Rosario": true, "America/Tijuana": true, "America/Toronto": true, "America/Tortola": true, "America/Yakutat": true, "Asia/Choibalsan": true, "Asia/Phnom_Penh": true, "Asia/Ulan_Bator": true, "Atlantic/Azores": true, "Atlantic/Canary": true, "Atlantic/Faeroe": true, "Australia/Eucla": true, "Australia/North": true, "Australia/Perth": true, "Australia/South": true, "Canada/Atlantic": true, "Canada/Mountain": true, "Europe/Belgrade": true, "Europe/Brussels": true, "Europe/Budapest": true, "Europe/Busingen": true, "Europe/Chisinau": true, "Europe/Guernsey": true, "Europe/Helsinki": true, "Europe/Istanbul": true, "Europe/Sarajevo": true, "Europe/Tiraspol": true, "Europe/Uzhgorod": true, "Indian/Maldives": true, "Pacific/Chatham": true, "Pacific/Fakaofo": true, "Pacific/Gambier": true, "Pacific/Norfolk": true, "Pacific/Pohnpei": true, "US/East-Indiana": true, "Africa/Bujumbura": true, "Africa/Mogadishu": true, "America/Anguilla": true, "America/Asuncion": true, "America/Atikokan": true, "America/Barbados": true, "America/Dominica": true, "America/Edmonton": true, "America/Eirunepe": true, "America/Ensenada": true, "America/Mazatlan": true, "America/Miquelon": true, "America/Montreal": true, "America/New_York": true, "America/Resolute": true, "America/Santarem": true, "America/Santiago": true, "America/Shiprock": true, "America/St_Johns": true, "America/St_Kitts": true, "America/St_Lucia": true, "America/Winnipeg": true, "Antarctica/Casey": true, "Antarctica/Davis": true, "Antarctica/Syowa": true, "Antarctica/Troll": true, "Asia/Ho_Chi_Minh": true, "Asia/Krasnoyarsk": true, "Asia/Novosibirsk": true, "Asia/Ulaanbaatar": true, "Asia/Vladivostok": true, "Atlantic/Bermuda": true, "Atlantic/Madeira": true, "Atlantic/Stanley": true, "Australia/Currie": true, "Australia/Darwin": true, "Australia/Hobart": true, "Australia/Sydney": true, "Brazil/DeNoronha": true, "Europe/Amsterdam": true, "Europe/Astrakhan": true, "Europe/Bucharest": true, "Europe/Gibraltar": true, "Europe/Ljubljana": true, "Europe/Mariehamn": true, "Europe/Podgorica": true, "Europe/Stockholm": true, "Europe/Ulyanovsk": true, "Europe/Volgograd": true, "Indian/Christmas": true, "Indian/Kerguelen": true, "Indian/Mauritius": true, "Mexico/BajaNorte": true, "Pacific/Auckland": true, "Pacific/Funafuti": true, "Pacific/Honolulu": true, "Pacific/Johnston": true, "Pacific/Pitcairn": true, "Africa/Casablanca": true, "Africa/Libreville": true, "Africa/Lubumbashi": true, "Africa/Nouakchott": true, "Africa/Porto-Novo": true, "America/Anchorage": true, "America/Araguaina": true, "America/Boa_Vista": true, "America/Catamarca": true, "America/Chihuahua": true, "America/Coyhaique": true, "America/Fortaleza": true, "America/Glace_Bay": true, "America/Goose_Bay": true, "America/Guatemala": true, "America/Guayaquil": true, "America/Matamoros": true, "America/Menominee": true, "America/Monterrey": true, "America/Sao_Paulo": true, "America/St_Thomas": true, "America/Vancouver": true, "Antarctica/Mawson": true, "Antarctica/Palmer": true, "Antarctica/Vostok": true, "Asia/Kuala_Lumpur": true, "Asia/Novokuznetsk": true, "Chile/Continental": true, "Europe/Bratislava": true, "Europe/Copenhagen": true, "Europe/Luxembourg": true, "Europe/San_Marino": true, "Europe/Simferopol": true, "Europe/Zaporozhye": true, "Pacific/Enderbury": true, "Pacific/Galapagos": true, "Pacific/Kwajalein": true, "Pacific/Marquesas": true, "Pacific/Pago_Pago": true, "Pacific/Rarotonga": true, "Pacific/Tongatapu": true, "US/Indiana-Starke": true, "Africa/Addis_Ababa": true, "Africa/Brazzaville": true, "Africa/Ouagadougou": true, "America/Costa_Rica": true, "America/Fort_Wayne": true, "America/Grand_Turk": true, "America/Guadeloupe": true, "America/Hermosillo": true, "America/Kralendijk": true, "America/Louisville": true, "America/Martinique": true, "America/Metlakatla": true, "America/Montevideo": true, "America/Montserrat": true, "America/Paramaribo": true, "America/Porto_Acre": true, "America/Rio_Branco": true, "America/St_Vincent": true, "America/Whitehorse": true, "Antarctica/McMurdo": true, "Antarctica/Rothera": true, "Asia/Srednekolymsk": true, "Asia/Ujung_Pandang": true, "Asia/Yekaterinburg": true, "Atlantic/Jan_Mayen": true, "Atlantic/Reykjavik": true, "Atlantic/St_Helena": true, "Australia/Adelaide": true, "Australia/Brisbane": true, "Australia/Canberra": true, "Australia/Lindeman": true, "Australia/Tasmania": true, "Australia/Victoria": true, "Chile/EasterIsland": true, "Europe/Isle_of_Man": true, "Europe/Kaliningrad": true, "Pacific/Kiritimati": true, "Africa/Johannesburg": true, "America/El_Salvador": true, "America/Fort_Nelson": true, "America/Los_Angeles": true, "America/Mexico_City": true, "America/Pangnirtung": true, "America/Porto_Velho": true, "America/Puerto_Rico": true, "America/Rainy_River": true, "America/Tegucigalpa": true, "America/Thunder_Bay": true, "America/Yellowknife": true, "Arctic/Longyearbyen": true, "Atlantic/Cape_Verde": true, "Australia/Lord_Howe": true, "Australia/Melbourne": true, "Canada/Newfoundland": true, "Canada/Saskatchewan": true, "Indian/Antananarivo": true, "Pacific/Guadalcanal": true, "Africa/Dar_es_Salaam": true, "America/Blanc-Sablon": true, "America/Buenos_Aires": true, "America/Campo_Grande": true, "America/Danmarkshavn": true, "America/Dawson_Creek": true, "America/Indiana/Knox": true, "America/Indianapolis": true, "America/Punta_Arenas": true, "America/Rankin_Inlet": true, "America/Santa_Isabel": true, "America/Scoresbysund": true, "Antarctica/Macquarie": true, "Australia/Queensland": true, "Australia/Yancowinna": true, "Pacific/Bougainville": true, "Pacific/Port_Moresby": true, "America/Cambridge_Bay": true, "America/Ciudad_Juarez": true, "America/Coral_Harbour": true, "America/Indiana/Vevay": true, "America/Lower_Princes": true, "America/Port_of_Spain": true, "America/Santo_Domingo": true, "America/St_Barthelemy": true, "America/Swift_Current": true, "Antarctica/South_Pole": true, "Australia/Broken_Hill": true, "America/Bahia_Banderas": true, "America/Port-au-Prince": true, "Atlantic/South_Georgia": true, "America/Argentina/Jujuy": true, "America/Argentina/Salta": true, "America/Indiana/Marengo": true, "America/Indiana/Winamac": true, "America/Argentina/Cordoba": true, "America/Argentina/Mendoza": true, "America/Argentina/Tucuman": true, "America/Argentina/Ushuaia": true, "America/Indiana/Tell_City": true, "America/Indiana/Vincennes": true, "Antarctica/DumontDUrville": true, "America/Argentina/La_Rioja": true, "America/Argentina/San_Juan": true, "America/Argentina/San_Luis": true, "America/Indiana/Petersburg": true, "America/Argentina/Catamarca": true, "America/Kentucky/Louisville": true, "America/Kentucky/Monticello": true, "America/North_Dakota/Beulah": true, "America/North_Dakota/Center": true, "America/Indiana/Indianapolis": true, "America/Argentina/Buenos_Aires": true, "America/Argentina/Rio_Gallegos": true, "America/North_Dakota/New_Salem": true, "America/Argentina/ComodRivadavia": true}'::jsonb ? tz) OR dialer._is_time_zone_slow(tz));
comment on function dialer._is_time_zone(tz text) is 'Internal: true when tz is a time zone name Postgres knows (IANA names such as America/New_York). Names of pg_timezone_names at migration time are looked up in a constant; others are tried by _is_time_zone_slow.';

CREATE OR REPLACE FUNCTION dialer._is_time_zone_slow(tz text)
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
comment on function dialer._is_time_zone_slow(tz text) is 'Internal: true when tz is a time zone name Postgres accepts (tries it; a subtransaction per call). The fallback of _is_time_zone.';

CREATE OR REPLACE FUNCTION dialer._json_int_between(value jsonb, low integer, high integer)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
begin
  return jsonb_typeof(value) = 'number' and value::numeric between low and high and value::numeric = trunc(value::numeric);
end
$function$;
comment on function dialer._json_int_between(value jsonb, low integer, high integer) is 'Internal (check constraints): value is a JSON number, whole, within [low, high].';

CREATE OR REPLACE FUNCTION dialer._local_day_end(tz text, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$ select dialer._local_start(tz, ((at at time zone tz)::date + 1) + time '00:00') $function$;
comment on function dialer._local_day_end(tz text, at timestamp with time zone) is 'Internal: the next local midnight in tz after at (the start of the next local day; DST-safe).';

CREATE OR REPLACE FUNCTION dialer._local_instants(tz text, local_time timestamp without time zone)
 RETURNS SETOF timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
  select distinct candidate
  from (select (local_time - dialer._utc_offset(tz, (local_time at time zone 'UTC') + shift)) at time zone 'UTC' as candidate
        from (values (interval '-1 day'), (interval '1 day')) as shifts (shift)) as candidates
  where (candidate at time zone tz) = local_time
  order by candidate
$function$;
comment on function dialer._local_instants(tz text, local_time timestamp without time zone) is 'Internal: the instants whose wall-clock time in tz is local_time: one, two (repeated at fall back) or none (in a spring-forward gap), earliest first.';

CREATE OR REPLACE FUNCTION dialer._local_start(tz text, local_time timestamp without time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
declare
  approx constant timestamptz := local_time at time zone 'UTC';
  first_instant timestamptz := (select min(instant) from dialer._local_instants(tz, local_time) as instant);
  low bigint;
  high bigint;
  middle bigint;
begin
  if first_instant is not null then
    return first_instant;
  end if;
  -- In a gap: read with the offset before it, the time is past the gap; with the one after, before it.
  low := floor(extract(epoch from least((local_time - dialer._utc_offset(tz, approx - interval '1 day')) at time zone 'UTC',
                                        (local_time - dialer._utc_offset(tz, approx + interval '1 day')) at time zone 'UTC')));
  high := ceil(extract(epoch from greatest((local_time - dialer._utc_offset(tz, approx - interval '1 day')) at time zone 'UTC',
                                           (local_time - dialer._utc_offset(tz, approx + interval '1 day')) at time zone 'UTC')));
  while high - low > 1 loop
    middle := (low + high) / 2;
    if (to_timestamp(middle) at time zone tz) >= local_time then high := middle; else low := middle; end if;
  end loop;
  return to_timestamp(high);
end
$function$;
comment on function dialer._local_start(tz text, local_time timestamp without time zone) is 'Internal: the first instant at which the wall clock in tz reads local_time or later: the earlier of two instants for a repeated (fall-back) time, the end of the gap for a time that does not exist (spring forward).';

CREATE OR REPLACE FUNCTION dialer._lookup_limits(OUT gone_checks integer, OUT unresolved_checks integer, OUT details_checks integer)
 RETURNS record
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select 3, 30, 5 $function$;
comment on function dialer._lookup_limits(OUT gone_checks integer, OUT unresolved_checks integer, OUT details_checks integer) is 'Internal: a live call ends as failed after gone_checks (3) lookups in a row that VAPI answered 404 / not-found, or unresolved_checks (30, half an hour at one a minute) that no lookup resolved (VAPI unreachable or erring); an ended call''s missing report is asked for at most details_checks (5) times.';

CREATE OR REPLACE FUNCTION dialer._new_contact_id()
 RETURNS uuid
 LANGUAGE sql
AS $function$select uuidv7()$function$;
comment on function dialer._new_contact_id() is 'Internal: the id of a new contact: uuidv7() (time-ordered, so indexes on contact ids grow at their right edge) on Postgres 18 and later, gen_random_uuid() before.';

CREATE OR REPLACE FUNCTION dialer._next_wake_at(at timestamp with time zone, p_tenant_id uuid)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  with stopped_tenants as materialized (
    -- Tenants whose VAPI account is stopped (016): nothing of theirs becomes due by time.
    select tenant.id from dialer.tenants tenant where not dialer._vapi_account_ok(tenant)
  ), pending_campaigns as materialized (
    -- Active campaigns with calls already due (held by something), and whether they are open now:
    -- campaign rules are evaluated once per campaign.
    select campaign as campaign_row, campaign.id, dialer._campaign_open(campaign, at) as open
    from dialer.campaigns campaign
    where campaign.status = 'active' and campaign.deleted_at is null
      and (p_tenant_id is null or campaign.tenant_id = p_tenant_id)
      and campaign.tenant_id not in (select id from stopped_tenants)
      and exists (select 1 from dialer.calls call
                  where call.campaign_id = campaign.id and call.status = 'scheduled' and call.due_at <= at)
  ), open_now as materialized (
    -- Calls already due whose campaign is open (or direct calls): held by contact rules, if anything.
    select call.tenant_id, call.phone,
           dialer._contact_zones(contact.time_zone, contact.possible_time_zones, (pending.campaign_row).time_zone) as zones,
           tenant.contact_hours_start, tenant.contact_hours_end, tenant.max_calls_per_number_per_24h as cap,
           profile.*, gate.blocked_by
    from (select * from dialer.calls where status = 'scheduled' and due_at <= at offset 0) call
    join dialer.tenants tenant on tenant.id = call.tenant_id
    join dialer.contacts contact on contact.id = call.contact_id
    left join pending_campaigns pending on pending.id = call.campaign_id
    cross join lateral (
      select contact.jurisdictions,
             dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, (pending.campaign_row).time_zone) as rule_zones,
             coalesce((pending.campaign_row).call_type, tenant.call_type) as call_type,
             coalesce((pending.campaign_row).automated_voice, tenant.automated_voice) as automated,
             tenant.disabled_rules || coalesce((pending.campaign_row).disabled_rules, '{}') as disabled_rules,
             coalesce((pending.campaign_row).subject, '') as subject, coalesce(contact.person_key, contact.id::text) as person
    ) profile
    cross join lateral dialer._call_gate(call.tenant_id, call.phone, profile.jurisdictions, profile.rule_zones, profile.call_type,
                                         profile.automated, profile.disabled_rules, profile.subject, profile.person, at) gate
    where (p_tenant_id is null or call.tenant_id = p_tenant_id)
      and dialer._vapi_account_ok(tenant)
      and (pending.open or (call.campaign_id is null and pending.id is null))
  ), wakes as (
    -- a scheduled call becoming due
    (select call.due_at
     from dialer.calls call
     where call.status = 'scheduled' and call.due_at > at
       and (p_tenant_id is null or call.tenant_id = p_tenant_id)
       and call.tenant_id not in (select id from stopped_tenants)
       and (call.campaign_id is null
            or exists (select 1 from dialer.campaigns campaign
                       where campaign.id = call.campaign_id and campaign.status = 'active' and campaign.deleted_at is null))
     order by call.due_at
     limit 1)
    union all
    -- a campaign window opening (or its start date arriving) for calls already due, computed once
    -- per distinct schedule
    select dialer._campaign_next_open(campaign_row, at)
    from (select distinct on ((campaign_row).time_zone, (campaign_row).window_start, (campaign_row).window_end,
                              (campaign_row).days, (campaign_row).starts_on, (campaign_row).ends_on,
                              (campaign_row).blackout_dates)
                 campaign_row
          from pending_campaigns where not open) schedules
    union all
    -- contact hours opening for calls whose campaign is open
    select dialer._hours_next_open(zones, contact_hours_start, contact_hours_end, at)
    from (select distinct zones, contact_hours_start, contact_hours_end from open_now) hours
    where not dialer._hours_open(zones, contact_hours_start, contact_hours_end, at)
    union all
    -- a 24-hour cap expiring: when enough of the number's dials leave the window. (Each function
    -- here is called from a LATERAL behind OFFSET 0 over the distinct rows: written in the select
    -- list over a DISTINCT, the planner evaluated it once per input row, not once per group.)
    select capped.frees_at
    from (select distinct tenant_id, phone, cap from open_now offset 0) numbers
    cross join lateral (select dialer._cap_frees_at(numbers.tenant_id, numbers.phone, numbers.cap, at) as frees_at offset 0) capped
    union all
    -- a calling rule's windows or an emergency blackout lifting, once per distinct place and
    -- profile (no number or person: caps are left to the next part, so this is never later than
    -- the truth, only sometimes earlier)
    select next_allowed.opens_at
    from (select distinct tenant_id, jurisdictions, rule_zones, call_type, automated, disabled_rules
          from open_now where blocked_by is not null offset 0) held
    cross join lateral (select dialer._rules_next_allowed(held.tenant_id, null, held.jurisdictions, held.rule_zones, held.call_type,
                                                          held.automated, held.disabled_rules, null, null, at) as opens_at offset 0) next_allowed
    union all
    -- a calling rule's cap freeing up, for the calls a capped rule holds
    select frees.at_instant
    from (select distinct tenant_id, phone, subject, person, blocked_by
          from open_now where blocked_by is not null and blocked_by not like 'blackout:%' offset 0) capped
    join dialer.rules rule on rule.rule_set = dialer._current_rule_set() and rule.id = capped.blocked_by and rule.cap_max is not null
    cross join lateral (select dialer._rule_cap_frees_at(rule, capped.tenant_id, capped.phone, capped.subject, capped.person, at) as at_instant
                        offset 0) frees
    union all
    -- a caller number's rest or daily limit ending, for an open campaign whose whole pool is held (033)
    select numbers.until
    from pending_campaigns pending
    cross join lateral dialer.caller_numbers_wait(pending.campaign_row, at) numbers
    where pending.open
    union all
    -- a lease expiring (the call goes to reconciliation)
    select min(call.lease_expires_at)
    from dialer.calls call
    where call.status = 'dialing' and call.lease_expires_at > at
      and (p_tenant_id is null or call.tenant_id = p_tenant_id)
    union all
    -- a call's lookup on VAPI falling due (reconciliation, calls_to_reconcile: a live call 60 s
    -- after its last news, an ended call still missing its report)
    select min(call.check_at)
    from dialer.calls call
    where call.check_at > at
      and (p_tenant_id is null or call.tenant_id = p_tenant_id)
    union all
    -- the next occurrence of a recurring campaign beginning
    select case when bounds.opens_at > at then bounds.opens_at
                when campaign.frequency = 'daily'
                  then dialer._campaign_next_open(campaign, greatest(at, bounds.closes_at,
                         dialer._window_closing(campaign.time_zone, campaign.window_start, campaign.window_end, dialer._campaign_day(campaign, at))))
                else dialer._campaign_next_open(campaign, greatest(at,
                         dialer._local_start(campaign.time_zone,
                           dialer._campaign_day(campaign, at) - (extract(isodow from dialer._campaign_day(campaign, at))::integer - 1) + 7 + time '00:00')))
           end
    from dialer.campaigns campaign
    cross join lateral dialer._occurrence_bounds(campaign, dialer._campaign_day(campaign, at)) bounds
    where campaign.status = 'active' and campaign.deleted_at is null and campaign.frequency in ('daily', 'weekly')
      and (p_tenant_id is null or campaign.tenant_id = p_tenant_id)
    union all
    -- a forward delivery's next attempt (sql/041_forwards.sql); the worker's, not a tenant's
    select dialer.next_forward_at(at) where p_tenant_id is null
  )
  -- A lookup due already and not yet made (calls_to_reconcile takes it) is due now: a pass that
  -- did not reconcile (woken by a call's end), or one that reconciled before the lookup fell
  -- due, would otherwise lose it until the minute's cron.
  select least((select min(due_at) from wakes where due_at > at),
               (select at from dialer.calls call
                where call.check_at <= at and call.vapi_call_id is not null
                  and (p_tenant_id is null or call.tenant_id = p_tenant_id)
                limit 1))
$function$;
comment on function dialer._next_wake_at(at timestamp with time zone, p_tenant_id uuid) is 'Internal: next_wake_at restricted to one tenant (p_tenant_id), or all when null.';

CREATE OR REPLACE FUNCTION dialer._note_caller_number_result(p_call dialer.calls, p_class text, p_ended_reason text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
  v_number dialer.phone_numbers;
begin
  if p_call.phone_number_id is null then
    return false;
  end if;
  select * into v_number from dialer.phone_numbers
  where tenant_id = p_call.tenant_id and vapi_phone_number_id = p_call.phone_number_id
  for update;
  if not found then
    return false;
  end if;
  if p_ended_reason = 'call.start.error-vapi-number-outbound-daily-limit' then
    update dialer.phone_numbers
    set rested_until = greatest(rested_until, dialer._local_day_end(time_zone, at)),
        rest_reason = 'VAPI outbound daily limit (' || p_ended_reason || ')'
    where tenant_id = v_number.tenant_id and vapi_phone_number_id = v_number.vapi_phone_number_id;
    return true;
  elsif p_class in ('no_answer', 'busy') then
    if v_number.rest_after_unanswered is not null and v_number.consecutive_unanswered + 1 >= v_number.rest_after_unanswered then
      update dialer.phone_numbers
      set consecutive_unanswered = 0,
          rested_until = greatest(rested_until, at + rest_minutes * interval '1 minute'),
          rest_reason = format('%s unanswered calls in a row', v_number.consecutive_unanswered + 1)
      where tenant_id = v_number.tenant_id and vapi_phone_number_id = v_number.vapi_phone_number_id;
    else
      update dialer.phone_numbers set consecutive_unanswered = consecutive_unanswered + 1
      where tenant_id = v_number.tenant_id and vapi_phone_number_id = v_number.vapi_phone_number_id;
    end if;
  elsif p_class in ('answered', 'voicemail') and v_number.consecutive_unanswered > 0 then
    update dialer.phone_numbers set consecutive_unanswered = 0
    where tenant_id = v_number.tenant_id and vapi_phone_number_id = v_number.vapi_phone_number_id;
  end if;
  return false;
end
$function$;
comment on function dialer._note_caller_number_result(p_call dialer.calls, p_class text, p_ended_reason text, at timestamp with time zone) is 'Internal: a registered number''s bookkeeping at a call''s end: VAPI''s call.start.error-vapi-number-outbound-daily-limit rests it until its next local midnight (returns true); no_answer/busy count consecutive_unanswered and at rest_after_unanswered rest it for rest_minutes (counter back to 0); answered/voicemail reset the counter.';

CREATE OR REPLACE FUNCTION dialer._observed_day(day date, observed text)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when observed = 'sat_fri_sun_mon' and extract(isodow from day) = 6 then day - 1
              when observed in ('sat_fri_sun_mon', 'sun_mon') and extract(isodow from day) = 7 then day + 1 end
$function$;
comment on function dialer._observed_day(day date, observed text) is 'Internal: the observed day of a holiday on day: Saturday → Friday and Sunday → Monday (sat_fri_sun_mon), Sunday → Monday (sun_mon); null when it is not shifted.';

CREATE OR REPLACE FUNCTION dialer._occurrence_bounds(campaign dialer.campaigns, day date, OUT opens_at timestamp with time zone, OUT closes_at timestamp with time zone)
 RETURNS record
 LANGUAGE sql
 STABLE
AS $function$
  select min(dialer._window_opening(campaign.time_zone, campaign.window_start, campaign.window_end, candidate_day)),
         max(dialer._window_closing(campaign.time_zone, campaign.window_start, campaign.window_end, candidate_day))
  from (select case when campaign.frequency = 'weekly'
                    then day - (extract(isodow from day)::integer - 1) + week_day
                    else day end as candidate_day
        from generate_series(0, case when campaign.frequency = 'weekly' then 6 else 0 end) as week_day) days
  where extract(isodow from candidate_day)::integer = any(campaign.days)
    and dialer._campaign_day_allowed(campaign, candidate_day)
$function$;
comment on function dialer._occurrence_bounds(campaign dialer.campaigns, day date, OUT opens_at timestamp with time zone, OUT closes_at timestamp with time zone) is 'Internal: for the occurrence containing window day `day`: when its first window opens and its last window closes (allowed scheduled days only).';

CREATE OR REPLACE FUNCTION dialer._occurrence_current(campaign dialer.campaigns, occurrence text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select campaign.frequency = 'once'
      or occurrence = dialer._occurrence_label(campaign, dialer._campaign_day(campaign, at))
$function$;
comment on function dialer._occurrence_current(campaign dialer.campaigns, occurrence text, at timestamp with time zone) is 'Internal: true for once campaigns, else when occurrence is the campaign''s occurrence (local day or ISO week) at `at`.';

CREATE OR REPLACE FUNCTION dialer._occurrence_label(campaign dialer.campaigns, day date)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select case campaign.frequency
           when 'daily' then to_char(day, 'YYYY-MM-DD')
           when 'weekly' then to_char(day, 'IYYY-"W"IW')
           else 'once' end
$function$;
comment on function dialer._occurrence_label(campaign dialer.campaigns, day date) is 'Internal: the occurrence a window day belongs to: ''YYYY-MM-DD'' for daily, ISO week ''IYYY-"W"IW'' for weekly, ''once'' otherwise.';

CREATE OR REPLACE FUNCTION dialer._phone_numbers_copy_to_pools()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  update dialer.caller_pool_numbers member
  set area_code = changed.area_code, state = changed.state,
      country_key = dialer._caller_country_key(changed.country, changed.country_calling_code),
      used_today = changed.calls_today
  from changed
  where member.tenant_id = changed.tenant_id and member.vapi_phone_number_id = changed.vapi_phone_number_id
    and (member.used_today, member.area_code, member.state, member.country_key)
        is distinct from (changed.calls_today, changed.area_code, changed.state,
                          dialer._caller_country_key(changed.country, changed.country_calling_code));
  return null;
end
$function$;
comment on function dialer._phone_numbers_copy_to_pools() is 'Internal: statement trigger copying calls_today, area_code, state and country key of updated phone_numbers to their caller_pool_numbers rows where they differ.';

CREATE OR REPLACE FUNCTION dialer._phone_numbers_day_end()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  new.calls_day_ends := case when new.calls_day is not null then dialer._local_start(new.time_zone, (new.calls_day + 1) + time '00:00') end;
  return new;
end
$function$;
comment on function dialer._phone_numbers_day_end() is 'Internal: trigger setting phone_numbers.calls_day_ends, the local midnight (time_zone) after calls_day (null without a day).';

CREATE OR REPLACE FUNCTION dialer._phone_numbers_derive()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  new.area_code := case when new.number ~ '^\+1[2-9][0-9]{9}$' then substr(new.number, 3, 3) end;
  new.jurisdictions := dialer.contact_jurisdictions(new.number, null, null);
  -- Its state/province for local presence: the first, for the rare area codes of two.
  new.state := (select code from unnest(new.jurisdictions) code where code like '__-__' order by code limit 1);
  new.country := coalesce(new.country, (select left(code, 2) from unnest(new.jurisdictions) code limit 1));
  new.country_calling_code := coalesce(new.country_calling_code,
                                       case when new.number like '+1%' then '1' end);
  new.time_zone := coalesce(new.time_zone, (dialer.contact_region_zones(new.number, new.jurisdictions))[1], 'UTC');
  if not dialer._is_time_zone(new.time_zone) then
    raise exception 'time_zone % is not a time zone', new.time_zone
      using errcode = 'check_violation', constraint = 'phone_numbers_time_zone_valid', table = 'phone_numbers', schema = 'dialer';
  end if;
  return new;
end
$function$;
comment on function dialer._phone_numbers_derive() is 'Internal: trigger setting phone_numbers.area_code (NANP), jurisdictions (contact_jurisdictions), state (the first state/province of them), country and calling code when not given, and time_zone when null (the first zone of its area code or states, else UTC; refused with check_violation phone_numbers_time_zone_valid when not a zone).';

CREATE OR REPLACE FUNCTION dialer._phone_numbers_join_pools()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  insert into dialer.caller_pool_numbers (pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today)
  select rows.pool_id, rows.position, rows.tenant_id, rows.vapi_phone_number_id, rows.area_code, rows.state, rows.country_key, rows.used_today
  from added
  join dialer.caller_pool_number_rows rows
    on rows.tenant_id = added.tenant_id and rows.vapi_phone_number_id = added.vapi_phone_number_id
  on conflict do nothing;
  return null;
end
$function$;
comment on function dialer._phone_numbers_join_pools() is 'Internal: statement trigger adding newly registered numbers to the caller_pool_numbers of the pools that list them.';

CREATE OR REPLACE FUNCTION dialer._plan_occurrence(campaign dialer.campaigns, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  day constant date := dialer._campaign_day(campaign, at);
  label constant text := dialer._occurrence_label(campaign, day);
  bounds record;
  created integer;
begin
  if campaign.frequency not in ('daily', 'weekly') or campaign.status <> 'active' or campaign.deleted_at is not null then
    return 0;
  end if;
  update dialer.calls
  set status = 'skipped', last_error = 'occurrence ended', updated_at = at
  where campaign_id = campaign.id and status = 'scheduled' and occurrence <> label;

  select * into bounds from dialer._occurrence_bounds(campaign, day);
  if bounds.opens_at is null or bounds.opens_at > at or bounds.closes_at <= at then
    return 0;
  end if;
  insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, due_at)
  select campaign.tenant_id, campaign.id, contact.id, contact.phone, label, 1, bounds.opens_at
  from dialer.campaign_contacts membership
  join dialer.contacts contact on contact.id = membership.contact_id
  where membership.campaign_id = campaign.id and contact.deleted_at is null
    and not exists (select 1 from dialer.dnc where dnc.tenant_id = campaign.tenant_id and dnc.phone = contact.phone)
  on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing;
  get diagnostics created = row_count;
  return created;
end
$function$;
comment on function dialer._plan_occurrence(campaign dialer.campaigns, at timestamp with time zone) is 'Internal: for an active daily/weekly campaign, skips scheduled calls of older occurrences and, if the current occurrence has begun by `at` and has a window left, creates its attempt-1 calls (members not deleted, not on dnc) due at its first window opening. Idempotent.';

CREATE OR REPLACE FUNCTION dialer._postal_jurisdictions(p_postal_code text)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  code text := upper(btrim(p_postal_code));
  found text[];
begin
  if code ~ '^[0-9]{5}(-?[0-9]{4})?$' then
    select array[zip.jurisdiction] into found from dialer.zip_prefixes zip
    where zip.first_prefix <= left(code, 3) and zip.last_prefix >= left(code, 3)
    order by zip.first_prefix desc limit 1;
    return coalesce(found, '{}');
  elsif code ~ '^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$' then
    select letter.jurisdictions into found from dialer.postal_letters letter where letter.letter = left(code, 1);
    return coalesce(found, '{}');
  end if;
  return null;
end
$function$;
comment on function dialer._postal_jurisdictions(p_postal_code text) is 'Internal: the states/provinces of a US ZIP code (first three digits) or Canadian postal code (first letter); ''{}'' when well-formed but of no state; null when malformed.';

CREATE OR REPLACE FUNCTION dialer._refuse_transition(campaign dialer.campaigns, action text, allowed text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
  raise exception using errcode = 'PD409',
    message = format('cannot %s a campaign that is %s (only when %s)', action, campaign.status, allowed);
end
$function$;
comment on function dialer._refuse_transition(campaign dialer.campaigns, action text, allowed text) is 'Internal: raises PD409 "cannot <action> a campaign that is <status> (only when <allowed>)".';

CREATE OR REPLACE FUNCTION dialer._retry_due_at(campaign dialer.campaigns, next_attempt integer, outcome text, ended_at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select case
           when step is null
             then ended_at + coalesce((campaign.retry_delays ->> outcome)::numeric, campaign.retry_delay_minutes) * interval '1 minute'
           when step ->> 'shift_window' in ('later', 'earlier')
             then coalesce(dialer._campaign_next_open_in(campaign, step ->> 'shift_window',
                                                           ended_at + (step ->> 'after_minutes')::integer * interval '1 minute'),
                           ended_at + (step ->> 'after_minutes')::integer * interval '1 minute')
           else ended_at + (step ->> 'after_minutes')::integer * interval '1 minute'
         end
  from (select dialer._retry_step(campaign, next_attempt) as step) chosen
$function$;
comment on function dialer._retry_due_at(campaign dialer.campaigns, next_attempt integer, outcome text, ended_at timestamp with time zone) is 'Internal: when attempt next_attempt is due after the previous attempt ended at ended_at with outcome: with a sequence entry, ended_at + after_minutes, moved with shift_window to the first instant at or after it in that half of the window on an allowed day (unchanged when the campaign never opens again); beyond the sequence, ended_at + retry_delays->>outcome (else retry_delay_minutes) minutes.';

CREATE OR REPLACE FUNCTION dialer._retry_on_another_number(p_call dialer.calls, p_campaign dialer.campaigns, p_number_limited boolean, at timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
AS $function$
declare
  v_next_id uuid;
begin
  if not p_number_limited or p_campaign.id is null or p_campaign.status not in ('active', 'paused') or p_campaign.deleted_at is not null then
    return null;
  end if;
  update dialer.calls set counts_as_attempt = false where id = p_call.id;
  insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, variables, attempt, occurrence, due_at)
  values (p_call.tenant_id, p_call.campaign_id, p_call.contact_id, p_call.phone, p_call.variables, p_call.attempt, p_call.occurrence, at)
  on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing
  returning id into v_next_id;
  return v_next_id;
end
$function$;
comment on function dialer._retry_on_another_number(p_call dialer.calls, p_campaign dialer.campaigns, p_number_limited boolean, at timestamp with time zone) is 'Internal: when p_number_limited (the number hit VAPI''s daily limit) and the campaign is active or paused: the ended call stops counting as an attempt and a call with the same attempt number is scheduled at `at`; returns its id, else null.';

CREATE OR REPLACE FUNCTION dialer._retry_sequence_valid(sequence jsonb)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  entry jsonb;
begin
  if jsonb_typeof(sequence) is distinct from 'array' or jsonb_array_length(sequence) > 20 then
    return false;
  end if;
  for entry in select value from jsonb_array_elements(sequence) loop
    if jsonb_typeof(entry) <> 'object'
       or exists (select 1 from jsonb_object_keys(entry) key where key not in ('after_minutes', 'shift_window'))
       or not dialer._json_int_between(entry -> 'after_minutes', 0, 525600)
       or coalesce(entry ->> 'shift_window', 'later') not in ('later', 'earlier') then
      return false;
    end if;
  end loop;
  return true;
end
$function$;
comment on function dialer._retry_sequence_valid(sequence jsonb) is 'Internal (check constraint): a retry sequence is an array of at most 20 objects {after_minutes: integer 0..525600, shift_window?: null | ''later'' | ''earlier''}.';

CREATE OR REPLACE FUNCTION dialer._retry_step(campaign dialer.campaigns, next_attempt integer)
 RETURNS jsonb
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select jsonb_build_object('step', next_attempt - 1, 'after_minutes', (entry ->> 'after_minutes')::integer,
                            'shift_window', entry -> 'shift_window')
  from (select campaign.retry_sequence -> (next_attempt - 2) as entry) step
  where next_attempt >= 2 and entry is not null
$function$;
comment on function dialer._retry_step(campaign dialer.campaigns, next_attempt integer) is 'Internal: {step, after_minutes, shift_window} of the retry-sequence entry giving the wait before attempt next_attempt (entry next_attempt - 1), or null when the sequence has no such entry.';

CREATE OR REPLACE FUNCTION dialer._retry_step_text(retry_step jsonb, attempt integer, max_attempts integer)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select format('retry %s of %s (sequence step %s: %s min after attempt %s%s)',
                attempt - 1, max_attempts - 1, retry_step ->> 'step', retry_step ->> 'after_minutes', attempt - 1,
                case retry_step ->> 'shift_window' when 'later' then ', later half of the window'
                                                   when 'earlier' then ', earlier half of the window' else '' end)
  where retry_step is not null
$function$;
comment on function dialer._retry_step_text(retry_step jsonb, attempt integer, max_attempts integer) is 'Internal: "retry <attempt - 1> of <max_attempts - 1> (sequence step <n>: <after_minutes> min after attempt <attempt - 1>[, later|earlier half of the window])"; null without a step.';

CREATE OR REPLACE FUNCTION dialer._rule_applies(rule dialer.rules, call_type text, automated boolean)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select (not (rule.applies_to && '{solicitation,informational}'::text[]) or call_type = any(rule.applies_to))
     and (not ('automated' = any(rule.applies_to)) or automated)
$function$;
comment on function dialer._rule_applies(rule dialer.rules, call_type text, automated boolean) is 'Internal: the rule covers a call of call_type (solicitation | informational) by an automated voice or not.';

CREATE OR REPLACE FUNCTION dialer._rule_cap_frees_at(rule dialer.rules, p_tenant_id uuid, p_phone text, p_subject text, p_person text, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select case when count(*) >= rule.cap_max
              then (array_agg(counted.at order by counted.at))[count(*) - rule.cap_max + 1] + rule.cap_window end
  from (select dialed.dial_started_at as at from dialer.calls dialed
        where rule.cap_scope = 'number' and dialed.tenant_id = p_tenant_id and dialed.phone = p_phone
          and dialed.dial_started_at > at - rule.cap_window and dialed.dial_started_at <= at
        union all
        select claimed.claimed_at from dialer.calls claimed
        where rule.cap_scope = 'person' and claimed.tenant_id = p_tenant_id and claimed.cap_subject = p_subject
          and claimed.cap_person = p_person and claimed.claimed_at > at - rule.cap_window and claimed.claimed_at <= at) counted
$function$;
comment on function dialer._rule_cap_frees_at(rule dialer.rules, p_tenant_id uuid, p_phone text, p_subject text, p_person text, at timestamp with time zone) is 'Internal: the instant a rule''s cap (per number, or per person and subject) stops holding a call back; null when it does not hold at `at`.';

CREATE OR REPLACE FUNCTION dialer._rule_day_windows(rule dialer.rules, day date)
 RETURNS int4multirange
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select case when rule.windows is null then null
              when not dialer._rule_in_effect(rule, day) then int4multirange(int4range(0, 1440))
              when rule.windows[8] is not null and extract(isodow from day)::integer = any(rule.holiday_days)
                   and dialer._holiday_on(rule.rule_set, rule.holiday_calendar, day) is not null then rule.windows[8]
              else rule.windows[extract(isodow from day)::integer] end
$function$;
comment on function dialer._rule_day_windows(rule dialer.rules, day date) is 'Internal: the allowed local minutes [start, end) of a rule on a local date (holiday windows on its holidays; all day when it is not in force); null when the rule has no windows.';

CREATE OR REPLACE FUNCTION dialer._rule_explain(p_blocked_by text, p_zones text[], at timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  rule dialer.rules;
  blackout dialer.blackouts;
  zone text;
  local_time timestamp;
  minute integer;
  windows int4multirange;
  holiday text;
begin
  if p_blocked_by like 'blackout:%' then
    select * into blackout from dialer.blackouts where id = substr(p_blocked_by, 10)::uuid;
    return format('emergency blackout in %s%s (%s)', blackout.jurisdiction,
                  coalesce(', ' || blackout.county || ' county', ''), blackout.reason);
  end if;
  select * into rule from dialer.rules where rule_set = dialer._current_rule_set() and id = p_blocked_by;
  foreach zone in array coalesce(p_zones, '{}') loop
    local_time := at at time zone zone;
    minute := (extract(hour from local_time) * 60 + extract(minute from local_time))::integer;
    windows := dialer._rule_day_windows(rule, local_time::date);
    if windows is not null and not (minute <@ windows) then
      holiday := case when rule.windows[8] is not null then dialer._holiday_on(rule.rule_set, rule.holiday_calendar, local_time::date) end;
      return case
        when holiday is not null and windows = rule.windows[8] and isempty(windows) then format('holiday (%s)', holiday)
        when isempty(windows) then 'no calls on ' || trim(to_char(local_time, 'Day'))
        when minute < lower(windows) then format('before %s local', to_char(make_time(lower(windows) / 60, lower(windows) % 60, 0), 'HH24:MI'))
        when minute >= upper(windows) then format('after %s local', to_char(make_time(upper(windows) / 60 % 24, upper(windows) % 60, 0), 'HH24:MI'))
        else 'outside its hours' end;
    end if;
  end loop;
  if rule.cap_max is not null then
    return format('%s call%s per %s per %s%s', rule.cap_max, case when rule.cap_max > 1 then 's' else '' end,
                  case when extract(epoch from rule.cap_window)::bigint % 86400 = 0 and rule.cap_window > interval '1 day'
                       then (extract(epoch from rule.cap_window)::bigint / 86400) || ' days'
                       else trim_scale(round(extract(epoch from rule.cap_window) / 3600, 2)) || ' h' end,
                  rule.cap_scope, case when rule.cap_scope = 'person' then ' on the subject' else '' end);
  end if;
  if rule.requires_known_jurisdiction then
    return 'the contact''s jurisdiction is unknown (the rule fails closed)';
  end if;
  return rule.summary;
end
$function$;
comment on function dialer._rule_explain(p_blocked_by text, p_zones text[], at timestamp with time zone) is 'Internal: a short text saying why the rule (or blackout:<id>) named by p_blocked_by holds a call at `at`.';

CREATE OR REPLACE FUNCTION dialer._rule_in_effect(rule dialer.rules, day date)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select (rule.effective_from is null or day >= rule.effective_from) and (rule.effective_to is null or day <= rule.effective_to) $function$;
comment on function dialer._rule_in_effect(rule dialer.rules, day date) is 'Internal: the local date is within the rule''s effective_from..effective_to.';

CREATE OR REPLACE FUNCTION dialer._rule_next_open(rule dialer.rules, zones text[], after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  candidate timestamptz := after;
  latest timestamptz;
  zone text;
  zone_next timestamptz;
  local_time timestamp;
  day date;
  span int4range;
begin
  if rule.windows is null or cardinality(coalesce(zones, '{}')) = 0 then
    return after;
  end if;
  for attempt in 1..20 loop
    latest := candidate;
    foreach zone in array zones loop
      zone_next := null;
      local_time := candidate at time zone zone;
      <<days>>
      for offset_days in 0..400 loop
        day := local_time::date + offset_days;
        for span in select unnest(dialer._rule_day_windows(rule, day)) loop
          if day + make_interval(mins => upper(span)) > local_time then
            zone_next := case when day + make_interval(mins => lower(span)) <= local_time then candidate
                              else dialer._local_start(zone, day + make_interval(mins => lower(span))) end;
            exit days;
          end if;
        end loop;
      end loop;
      if zone_next is null then
        return null;
      end if;
      latest := greatest(latest, zone_next);
    end loop;
    if dialer._rule_open(rule, zones, latest) then
      return latest;
    end if;
    -- Not open in every zone at once yet (or a window that lies in a DST gap): look further on.
    candidate := greatest(latest, candidate + interval '1 minute');
  end loop;
  return null;
end
$function$;
comment on function dialer._rule_next_open(rule dialer.rules, zones text[], after timestamp with time zone) is 'Internal: the earliest instant >= after at which the rule''s windows are open in every zone of zones (after itself for a rule without windows); null when that is not found within about a year.';

CREATE OR REPLACE FUNCTION dialer._rule_open(rule dialer.rules, zones text[], at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  zone text;
  local_time timestamp;
begin
  if rule.windows is null then
    return true;
  end if;
  foreach zone in array coalesce(zones, '{}') loop
    local_time := at at time zone zone;
    if not ((extract(hour from local_time) * 60 + extract(minute from local_time))::integer
            <@ dialer._rule_day_windows(rule, local_time::date)) then
      return false;
    end if;
  end loop;
  return true;
end
$function$;
comment on function dialer._rule_open(rule dialer.rules, zones text[], at timestamp with time zone) is 'Internal: true when the local wall time of at lies in the rule''s windows of that local day in every zone of zones (true for a rule without windows or no zones).';

CREATE OR REPLACE FUNCTION dialer._rule_reason(p_blocked_by text, p_zones text[], at timestamp with time zone, next_at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
  select p_blocked_by || ': ' || dialer._rule_explain(p_blocked_by, p_zones, at)
         || coalesce('; next ' || to_char(next_at at time zone coalesce(p_zones[1], 'UTC'), 'YYYY-MM-DD HH24:MI') || ' '
                     || coalesce(p_zones[1], 'UTC'), '; never')
$function$;
comment on function dialer._rule_reason(p_blocked_by text, p_zones text[], at timestamp with time zone, next_at timestamp with time zone) is 'Internal: the reason text of a call held by a rule or blackout: "<id>: <why>; next YYYY-MM-DD HH:MI <zone>" (or "; never").';

CREATE OR REPLACE FUNCTION dialer._rule_zones(time_zone text, possible_time_zones text[], region_zones text[], campaign_time_zone text)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when time_zone is not null then array[time_zone]
              when cardinality(possible_time_zones) > 0 then possible_time_zones
              when cardinality(region_zones) > 0 then region_zones
              when campaign_time_zone is not null then array[campaign_time_zone]
              else '{}'::text[] end
$function$;
comment on function dialer._rule_zones(time_zone text, possible_time_zones text[], region_zones text[], campaign_time_zone text) is 'Internal: zones where calling rules are checked: the contact''s zone, else its possible zones, else its jurisdictions'' zones, else the campaign zone, else none.';

CREATE OR REPLACE FUNCTION dialer._rules_next_allowed(p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean, p_disabled_rules text[], p_subject text, p_person text, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  candidate timestamptz := at;
  blocker text;
  rule dialer.rules;
  next_at timestamptz;
begin
  for step in 1..200 loop
    select gate.blocked_by into blocker
    from dialer._call_gate(p_tenant_id, p_phone, p_jurisdictions, p_zones, p_call_type, p_automated,
                           p_disabled_rules, p_subject, p_person, candidate) gate;
    if blocker is null then
      return candidate;
    end if;
    if blocker like 'blackout:%' then
      select ends_at into next_at from dialer.blackouts where id = substr(blocker, 10)::uuid;
    else
      select * into rule from dialer.rules where rule_set = dialer._current_rule_set() and id = blocker;
      next_at := case when rule.requires_known_jurisdiction and cardinality(p_jurisdictions) = 0 then null
                      when not dialer._rule_open(rule, p_zones, candidate) then dialer._rule_next_open(rule, p_zones, candidate)
                      else dialer._rule_cap_frees_at(rule, p_tenant_id, p_phone, p_subject, p_person, candidate) end;
    end if;
    if next_at is null then
      return null;
    end if;
    candidate := greatest(next_at, candidate + interval '1 second');
  end loop;
  return null;
end
$function$;
comment on function dialer._rules_next_allowed(p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean, p_disabled_rules text[], p_subject text, p_person text, at timestamp with time zone) is 'Internal: the earliest instant >= at when no blackout and no rule of _call_gate forbids the call (do-not-call, live calls and the tenant''s per-number cap aside); null if never.';

CREATE OR REPLACE FUNCTION dialer._schedule_once(campaign dialer.campaigns, at timestamp with time zone, only_new boolean)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  created integer;
begin
  insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, due_at)
  select campaign.tenant_id, campaign.id, contact.id, contact.phone,
         case when history.calls = 0 then 'once' else 'once-' || (history.occurrences + 1) end,
         history.dialed + 1, at
  from dialer.campaign_contacts membership
  join dialer.contacts contact on contact.id = membership.contact_id
  cross join lateral (
    select count(*) as calls, count(distinct occurrence) as occurrences,
           count(*) filter (where status = 'ended' and counts_as_attempt) as dialed,
           coalesce(bool_or(status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress')), false) as pending,
           coalesce(bool_or(outcome = 'answered' or (status = 'ended' and dialer._is_final_reason(ended_reason))), false) as finished,
           (array_agg(outcome order by ended_at desc) filter (where status = 'ended'))[1] as last_outcome
    from dialer.calls call
    where call.campaign_id = campaign.id and call.contact_id = contact.id
  ) history
  where membership.campaign_id = campaign.id and contact.deleted_at is null
    and not exists (select 1 from dialer.dnc where dnc.tenant_id = campaign.tenant_id and dnc.phone = contact.phone)
    and not history.pending and not history.finished
    and history.dialed < campaign.max_attempts
    and (history.last_outcome is null or history.last_outcome = any(campaign.retry_outcomes))
    and (not only_new or history.calls = 0)
  on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing;
  get diagnostics created = row_count;
  return created;
end
$function$;
comment on function dialer._schedule_once(campaign dialer.campaigns, at timestamp with time zone, only_new boolean) is 'Internal: creates calls due at `at` for the unfinished members of a once campaign (occurrence ''once'', or ''once-<n>'' for members called before, attempt = dials so far + 1); only_new: members without any call. Returns calls created.';

CREATE OR REPLACE FUNCTION dialer._state_code(p_state text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  found_code text;
begin
  select code into found_code from dialer.jurisdictions
  where code like '__-__'
    and code in (upper(btrim(p_state)), 'US-' || upper(btrim(p_state)), 'CA-' || upper(btrim(p_state)))
  order by code desc
  limit 1;
  return found_code;
end
$function$;
comment on function dialer._state_code(p_state text) is 'Internal: the jurisdiction code (US-XX or CA-XX) of a two-letter state/province code, with or without its country prefix; null if unknown.';

CREATE OR REPLACE FUNCTION dialer._status_rank(status text)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case status when 'scheduled' then 0 when 'dialing' then 1 when 'queued' then 2
                     when 'ringing' then 3 when 'in_progress' then 4 else 9 end
$function$;
comment on function dialer._status_rank(status text) is 'Internal: scheduled 0, dialing 1, queued 2, ringing 3, in_progress 4, terminal statuses 9.';

CREATE OR REPLACE FUNCTION dialer._tenant_limit(tenant dialer.tenants)
 RETURNS integer
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select least(tenant.concurrency_limit, coalesce(tenant.vapi_concurrency_limit, tenant.concurrency_limit)) $function$;
comment on function dialer._tenant_limit(tenant dialer.tenants) is 'Internal: least(concurrency_limit, coalesce(vapi_concurrency_limit, concurrency_limit)).';

CREATE OR REPLACE FUNCTION dialer._tool_calls_of(p_message jsonb)
 RETURNS TABLE(tool_call_id text, name text)
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select item ->> 'id', coalesce(item -> 'function' ->> 'name', item ->> 'name')
  from jsonb_array_elements(case when jsonb_typeof(p_message -> 'toolCallList') = 'array' then p_message -> 'toolCallList' end) item
  where p_message ->> 'type' = 'tool-calls'
  union all
  select coalesce(item -> 'toolCall' ->> 'id', item ->> 'id'),
         coalesce(item -> 'toolCall' -> 'function' ->> 'name', item -> 'function' ->> 'name', item ->> 'name')
  from jsonb_array_elements(case when jsonb_typeof(p_message -> 'toolWithToolCallList') = 'array' then p_message -> 'toolWithToolCallList' end) item
  where p_message ->> 'type' = 'tool-calls'
$function$;
comment on function dialer._tool_calls_of(p_message jsonb) is 'Internal: (tool_call_id, name) of every entry of a tool-calls message''s toolCallList[] and toolWithToolCallList[], in each shape VAPI documents; the id is null where the entry has none.';

CREATE OR REPLACE FUNCTION dialer._tz_transitions(tz text, from_at timestamp with time zone, to_at timestamp with time zone)
 RETURNS SETOF timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
declare
  step timestamptz := from_at;
  low bigint;
  high bigint;
  middle bigint;
  low_offset interval;
begin
  while step < to_at loop
    if dialer._utc_offset(tz, step) <> dialer._utc_offset(tz, step + interval '1 day') then
      low := floor(extract(epoch from step));
      high := ceil(extract(epoch from step + interval '1 day'));
      low_offset := dialer._utc_offset(tz, to_timestamp(low));
      while high - low > 1 loop
        middle := (low + high) / 2;
        if dialer._utc_offset(tz, to_timestamp(middle)) = low_offset then low := middle; else high := middle; end if;
      end loop;
      return next to_timestamp(high);
    end if;
    step := step + interval '1 day';
  end loop;
end
$function$;
comment on function dialer._tz_transitions(tz text, from_at timestamp with time zone, to_at timestamp with time zone) is 'Internal: instants in [from_at, to_at) at which zone tz changes its UTC offset (at most one per day is assumed).';

CREATE OR REPLACE FUNCTION dialer._utc_offset(tz text, at timestamp with time zone)
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select (at at time zone tz) - (at at time zone 'UTC') $function$;
comment on function dialer._utc_offset(tz text, at timestamp with time zone) is 'Internal: the UTC offset of zone tz at instant at (e.g. -05:00:00 for New York in winter).';

CREATE OR REPLACE FUNCTION dialer._vapi_account_ok(tenant dialer.tenants)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select tenant.vapi_blocked_at is null $function$;
comment on function dialer._vapi_account_ok(tenant dialer.tenants) is 'Internal: true unless VAPI refused the tenant''s account (tenants.vapi_blocked_at set): the tenant gate of claim_calls, due_calls, next_wake_at and why_not.';

CREATE OR REPLACE FUNCTION dialer._window_closing(tz text, window_start time without time zone, window_end time without time zone, day date)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
  select dialer._local_start(tz, case when window_start = window_end then day + 1 + time '00:00'
                                      when window_start < window_end then day + window_end
                                      else day + 1 + window_end end)
$function$;
comment on function dialer._window_closing(tz text, window_start time without time zone, window_end time without time zone, day date) is 'Internal: the first instant after the window of local day `day` (its end; midnight after the day for an all-day window).';

CREATE OR REPLACE FUNCTION dialer._window_day(tz text, window_start time without time zone, window_end time without time zone, at timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case when window_start > window_end and (at at time zone tz)::time < window_end
              then (at at time zone tz)::date - 1
              else (at at time zone tz)::date end
$function$;
comment on function dialer._window_day(tz text, window_start time without time zone, window_end time without time zone, at timestamp with time zone) is 'Internal: the local date (in tz) of the window instance that contains at, or of the local day of at when outside windows: the previous date for the after-midnight part of a past-midnight window.';

CREATE OR REPLACE FUNCTION dialer._window_half(window_start time without time zone, window_end time without time zone, days integer[], half text)
 RETURNS TABLE(half_start time without time zone, half_end time without time zone, half_days integer[])
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  with span as (
    select case when window_start = window_end then interval '0' else window_start - time '00:00' end as opens,
           case when window_start = window_end then interval '24 hours'
                when window_start < window_end then window_end - window_start
                else interval '24 hours' - (window_start - window_end) end as length
  ), bounds as (
    select case half when 'earlier' then opens else opens + length / 2 end as from_offset,
           case half when 'earlier' then opens + length / 2 else opens + length end as to_offset
    from span
  )
  select time '00:00' + (from_offset - case when from_offset >= interval '24 hours' then interval '24 hours' else interval '0' end),
         time '00:00' + (to_offset - case when from_offset >= interval '24 hours' then interval '24 hours' else interval '0' end),
         case when from_offset >= interval '24 hours'
              then array(select day % 7 + 1 from unnest(days) day order by 1)
              else days end
  from bounds
  where half in ('earlier', 'later')
$function$;
comment on function dialer._window_half(window_start time without time zone, window_end time without time zone, days integer[], half text) is 'Internal: the earlier or later half of the window [window_start, window_end) on days, split at its wall-clock midpoint, as a window (start, end, ISO weekdays); the part after midnight of a past-midnight window opens on the next weekday. A half ending at midnight has end 00:00 (a past-midnight window in window_open''s terms).';

CREATE OR REPLACE FUNCTION dialer._window_opening(tz text, window_start time without time zone, window_end time without time zone, day date)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
  select dialer._local_start(tz, day + case when window_start = window_end then time '00:00' else window_start end)
$function$;
comment on function dialer._window_opening(tz text, window_start time without time zone, window_end time without time zone, day date) is 'Internal: the first instant of the window of local day `day` (its start, or midnight for an all-day window), whether or not day is a scheduled day.';

CREATE OR REPLACE FUNCTION dialer.add_dnc(p_tenant_id uuid, p_phone text, p_reason text, at timestamp with time zone, OUT phone text, OUT reason text, OUT created_at timestamp with time zone, OUT added boolean, OUT cancelled_calls integer)
 RETURNS record
 LANGUAGE sql
AS $function$
  select phone, reason, created_at, added, cancelled_calls from dialer.opt_out(p_tenant_id, p_phone, 'api', null, at, p_reason)
$function$;
comment on function dialer.add_dnc(p_tenant_id uuid, p_phone text, p_reason text, at timestamp with time zone, OUT phone text, OUT reason text, OUT created_at timestamp with time zone, OUT added boolean, OUT cancelled_calls integer) is 'dialer.opt_out with source api: adds an E.164 number to the tenant''s do-not-call list (a second add keeps the first created_at and replaces the reason when one is given) and cancels the tenant''s pending calls to it. Returns the entry, added (false when it was already listed) and cancelled_calls.';

CREATE OR REPLACE FUNCTION dialer.advance_call_status(p_call_id uuid, p_vapi_status text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
AS $function$ select exists (select from dialer.advance_call_statuses(array[p_call_id], array[p_vapi_status], array[at])) $function$;
comment on function dialer.advance_call_status(p_call_id uuid, p_vapi_status text, at timestamp with time zone) is 'Applies a VAPI status (queued, ringing, in-progress, forwarding → queued, ringing, in_progress) if it moves the call forward from dialing/queued/ringing; never from a terminal status; sets started_at on in_progress if unset; the next VAPI lookup is live_check_interval() after it. Returns whether it moved. ''ended'' is for apply_call_result.';

CREATE OR REPLACE FUNCTION dialer.advance_call_statuses(p_call_ids uuid[], p_vapi_statuses text[], p_ats timestamp with time zone[])
 RETURNS SETOF uuid
 LANGUAGE sql
AS $function$
  update dialer.calls call
  set status = move.status, vapi_status = move.vapi_status, lease_expires_at = null,
      started_at = case when move.status = 'in_progress' then coalesce(call.started_at, move.at) else call.started_at end,
      check_at = move.at + dialer.live_check_interval(), checks = 0,
      updated_at = move.at
  from (
    select distinct on (asked.call_id) asked.call_id, asked.status, asked.vapi_status, asked.at
    from (select m.call_id, m.vapi_status, m.at, m.ord,
                 case m.vapi_status when 'queued' then 'queued' when 'ringing' then 'ringing'
                                    when 'in-progress' then 'in_progress' when 'forwarding' then 'in_progress' end as status
            from unnest(p_call_ids, p_vapi_statuses, p_ats) with ordinality as m(call_id, vapi_status, at, ord)) asked
    where asked.status is not null
    order by asked.call_id, dialer._status_rank(asked.status) desc, asked.ord
  ) move
  where call.id = move.call_id
    and call.status in ('dialing', 'queued', 'ringing')
    and dialer._status_rank(move.status) > dialer._status_rank(call.status)
  returning call.id
$function$;
comment on function dialer.advance_call_statuses(p_call_ids uuid[], p_vapi_statuses text[], p_ats timestamp with time zone[]) is 'advance_call_status for many calls at once, from parallel arrays (call id, VAPI status, instant): each VAPI status (queued, ringing, in-progress, forwarding → queued, ringing, in_progress) is applied if it moves its call forward from dialing/queued/ringing, never from a terminal status; started_at set on in_progress if unset; the next VAPI lookup live_check_interval() after the instant. A call named more than once takes its furthest status (the first of equals), as applying them in order would. Returns the ids of the calls moved.';

CREATE OR REPLACE FUNCTION dialer.apply_call_object_opt_out(p_call_id uuid, p_call jsonb, at timestamp with time zone, OUT reason text, OUT added boolean, OUT cancelled_calls integer)
 RETURNS record
 LANGUAGE sql
AS $function$
  select opted.reason, opted.added, opted.cancelled_calls
  from dialer.apply_in_call_opt_out(
    p_call_id,
    jsonb_build_object('type', 'end-of-call-report', 'analysis', p_call -> 'analysis', 'artifact', p_call -> 'artifact'),
    at) opted
$function$;
comment on function dialer.apply_call_object_opt_out(p_call_id uuid, p_call jsonb, at timestamp with time zone, OUT reason text, OUT added boolean, OUT cancelled_calls integer) is 'Reconciliation''s in-call opt-out: apply_in_call_opt_out for a VAPI Call object read with GET /call/{id} (its analysis and artifact read as the end-of-call-report''s: structuredData, or the opt-out tool in artifact.messages). Returns the reason (null: not an opt-out), whether the number was added, and how many pending calls were cancelled.';

CREATE OR REPLACE FUNCTION dialer.apply_call_result(p_call_id uuid, p_ended_reason text, p_ended_at timestamp with time zone, p_outcome text DEFAULT NULL::text, p_error text DEFAULT NULL::text, p_details jsonb DEFAULT NULL::jsonb, p_details_state text DEFAULT NULL::text, p_recheck_after interval DEFAULT NULL::interval, at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
AS $function$
declare
  -- An explicit outcome that contradicts the reason's class replaces it (failed: retry_later).
  v_class constant text := case
    when p_outcome is null or p_outcome = dialer.class_outcome(dialer.ended_reason_class(p_ended_reason))
      then dialer.ended_reason_class(p_ended_reason)
    when p_outcome = 'failed' then 'retry_later'
    else p_outcome end;
  v_outcome constant text := dialer.class_outcome(v_class);
  v_account constant boolean := v_class = 'account';
  v_call dialer.calls;
  v_campaign dialer.campaigns;
  v_next_id uuid;
  v_number_limited boolean;
  v_with_details constant boolean := p_details is not null or dialer._details_state(p_details_state) is not null;
begin
  -- The end and the details VAPI reported with it, one row version (_call_ended, then
  -- _call_with_details, the rules of record_call_details).
  update dialer.calls call
  set (status, outcome, ended_reason, ended_at, lease_expires_at, last_error, updated_at, counts_as_attempt, check_at, checks,
       started_at, transcript, recording_url, summary, analysis, cost, costs, cost_breakdown, details_received_at)
    = (select e.status, e.outcome, e.ended_reason, e.ended_at, e.lease_expires_at, e.last_error, e.updated_at, e.counts_as_attempt,
              e.check_at, e.checks, e.started_at, e.transcript, e.recording_url, e.summary, e.analysis, e.cost, e.costs,
              e.cost_breakdown, e.details_received_at
       from dialer._call_with_details(dialer._call_ended(call, v_outcome, p_ended_reason, p_ended_at, p_error, v_account),
                                      p_details, p_details_state, p_recheck_after, at) e)
  where call.id = p_call_id and call.status in ('dialing', 'queued', 'ringing', 'in_progress')
  returning * into v_call;
  if not found then
    -- Ended before (or no such call): the details are still recorded.
    if v_with_details then
      perform dialer.record_call_details(p_call_id, coalesce(p_details, '{}'), p_details_state, p_recheck_after, at);
    end if;
    return null;
  end if;
  -- The caller number's rest and unanswered count (033); true: VAPI's daily limit for the number.
  v_number_limited := dialer._note_caller_number_result(v_call, v_class, p_ended_reason, p_ended_at);

  if v_account then
    perform dialer.block_tenant_vapi(v_call.tenant_id, 'endedReason ' || p_ended_reason, p_ended_at);
  end if;

  if v_call.campaign_id is null then
    if v_account then
      insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, variables,
                                attempt, occurrence, due_at)
      values (v_call.tenant_id, null, v_call.contact_id, v_call.phone, v_call.assistant_id, v_call.phone_number_id,
              v_call.variables, v_call.attempt, v_call.occurrence, p_ended_at)
      returning id into v_next_id;
    end if;
    return v_next_id;
  end if;

  -- The campaign row is locked (NO KEY UPDATE: call inserts' foreign-key checks still pass) so
  -- that ends of the same campaign decide one after the other: the last two calls ending at once
  -- would otherwise each see the other live, and the campaign would never complete.
  select * into v_campaign from dialer.campaigns where id = v_call.campaign_id for no key update;
  v_next_id := dialer._retry_on_another_number(v_call, v_campaign, v_number_limited, p_ended_at); -- same attempt (033)
  if v_next_id is null and v_campaign.status in ('active', 'paused') and v_campaign.deleted_at is null
     and (v_account
          or (v_class in ('no_answer', 'busy', 'voicemail', 'retry_later')
              and v_outcome = any(v_campaign.retry_outcomes)
              and v_call.attempt < v_campaign.max_attempts)) then
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, variables, attempt, occurrence, due_at, retry_step)
    values (v_call.tenant_id, v_call.campaign_id, v_call.contact_id, v_call.phone, v_call.variables,
            v_call.attempt + case when v_account then 0 else 1 end, v_call.occurrence,
            -- The retry's delay: its sequence step or the per-outcome delay (035_retry_sequences.sql).
            case when v_account then p_ended_at
                 else dialer._retry_due_at(v_campaign, v_call.attempt + 1, v_outcome, p_ended_at) end,
            case when not v_account then dialer._retry_step(v_campaign, v_call.attempt + 1) end)
    on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing
    returning id into v_next_id;
  end if;

  if v_campaign.frequency = 'once' then
    perform dialer._complete_once_campaign(v_campaign.id, p_ended_at);
  end if;
  return v_next_id;
end
$function$;
comment on function dialer.apply_call_result(p_call_id uuid, p_ended_reason text, p_ended_at timestamp with time zone, p_outcome text, p_error text, p_details jsonb, p_details_state text, p_recheck_after interval, at timestamp with time zone) is 'Ends a live call (dialing, queued, ringing, in_progress): status ended, outcome class_outcome(ended_reason_class(p_ended_reason)); an explicit p_outcome that contradicts it replaces the class (failed: retry_later), ended_reason, ended_at, lease cleared, last_error = p_error if given (_call_ended); with p_details or p_details_state, what VAPI reported with the end and where the details stand, as record_call_details(p_details, p_details_state, p_recheck_after, at) would write them, in the same row version (a call not live gets them from record_call_details). Then by the reason''s class: no_answer/busy/voicemail/retry_later with the outcome in retry_outcomes, below max_attempts, campaign active or paused: attempt + 1 of the same occurrence due at _retry_due_at (the retry_sequence entry for it, with its shift_window, recorded in retry_step; beyond the sequence p_ended_at + retry_delays->>outcome minutes, else retry_delay_minutes); account: the tenant is stopped (block_tenant_vapi), the call does not count as an attempt (counts_as_attempt false) and a call with the same attempt number is scheduled at p_ended_at (direct calls too); answered, final: nothing. Returns the new call''s id or null. A once campaign with nothing scheduled or live left becomes completed. A call not live is left alone: returns null. Direct calls are otherwise never retried. A registered caller number''s bookkeeping comes first (_note_caller_number_result, 033): VAPI''s call.start.error-vapi-number-outbound-daily-limit rests it until its local midnight and, campaign active or paused, the call stops counting as an attempt and the same attempt is scheduled at p_ended_at (another number is chosen at claim).';

CREATE OR REPLACE FUNCTION dialer.apply_in_call_opt_out(p_call_id uuid, p_message jsonb, at timestamp with time zone, OUT reason text, OUT phone text, OUT added boolean, OUT cancelled_calls integer, OUT tool_calls jsonb)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
  v_tenant_id uuid;
  v_phone text;
  v_field text;
  v_tool text;
begin
  select call.tenant_id, call.phone, tenant.opt_out_structured_data_field, tenant.opt_out_tool_name
  into v_tenant_id, v_phone, v_field, v_tool
  from dialer.calls call join dialer.tenants tenant on tenant.id = call.tenant_id
  where call.id = p_call_id;
  tool_calls := '[]';
  if not found then
    return;
  end if;
  reason := dialer.opt_out_requested(p_message, v_field, v_tool);
  if reason is null then
    return;
  end if;
  select opted.phone, opted.added, opted.cancelled_calls into phone, added, cancelled_calls
  from dialer.opt_out(v_tenant_id, v_phone, 'in-call', p_call_id, at, format('opted out during the call: %s', reason)) opted;
  -- The audit log holds every change to the list; this one's actor is the call's webhook.
  if added or cancelled_calls > 0 then
    insert into dialer.audit_log (tenant_id, actor, action, entity, entity_id, details, at)
    values (v_tenant_id, 'webhook', 'add', 'dnc', phone,
            jsonb_build_object('source', 'in-call', 'callId', p_call_id, 'reason', reason, 'added', added, 'cancelledCalls', cancelled_calls), at);
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('toolCallId', tool.tool_call_id, 'name', tool.name)), '[]')
  into tool_calls
  from dialer.opt_out_tool_calls(p_message, v_tool) tool;
end
$function$;
comment on function dialer.apply_in_call_opt_out(p_call_id uuid, p_message jsonb, at timestamp with time zone, OUT reason text, OUT phone text, OUT added boolean, OUT cancelled_calls integer, OUT tool_calls jsonb) is 'Applies a VAPI webhook message about a call: when dialer.opt_out_requested says it is an opt-out (with the tenant''s opt_out_structured_data_field and opt_out_tool_name), lists the call''s number with dialer.opt_out (source in-call, source_call_id = the call) and cancels its pending calls, audited (actor webhook) when that changed anything. Returns the reason (null: not an opt-out, nothing done), the number, added, cancelled_calls, and tool_calls = [{toolCallId, name}] of the opt-out tool to answer.';

CREATE OR REPLACE FUNCTION dialer.attempt_override(p_campaign_id uuid, p_attempt integer)
 RETURNS TABLE(variables jsonb, voicemail_message text)
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(chosen.entry -> 'variables', '{}'), chosen.entry ->> 'voicemail_message'
  from (select (select entry
                from dialer.campaigns campaign
                cross join lateral jsonb_array_elements(campaign.attempt_overrides) entry
                where campaign.id = p_campaign_id and (entry ->> 'attempt')::integer = p_attempt) as entry) chosen
$function$;
comment on function dialer.attempt_override(p_campaign_id uuid, p_attempt integer) is 'What attempt p_attempt of a campaign''s call adds to its assistantOverrides (campaigns.attempt_overrides): variables (merged over the claim''s variables: campaign, contact, membership, call; {} when none) and voicemail_message (assistantOverrides.voicemailMessage; null: the assistant''s own). Always one row; a direct call (null campaign) gets {} and null.';

CREATE OR REPLACE FUNCTION dialer.begin_dial(p_call_id uuid, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
AS $function$ select exists (select from dialer.begin_dials(array[p_call_id], at)) $function$;
comment on function dialer.begin_dial(p_call_id uuid, at timestamp with time zone) is 'Marks a claimed call as being dialed (dial_started_at = at) if it is dialing, not yet started and its lease has not expired at `at`; true means the caller may POST it to VAPI, false means it must not.';

CREATE OR REPLACE FUNCTION dialer.begin_dials(p_call_ids uuid[], at timestamp with time zone)
 RETURNS SETOF uuid
 LANGUAGE sql
AS $function$
  update dialer.calls
  set dial_started_at = at, updated_at = at
  where id = any(p_call_ids) and status = 'dialing' and dial_started_at is null and lease_expires_at > at
  returning id
$function$;
comment on function dialer.begin_dials(p_call_ids uuid[], at timestamp with time zone) is 'begin_dial for many calls at once: marks each call of p_call_ids that is dialing, not yet started and whose lease has not expired at `at` as being dialed (dial_started_at = at) and returns its id; the caller may POST to VAPI exactly the calls returned.';

CREATE OR REPLACE FUNCTION dialer.block_tenant_vapi(p_tenant_id uuid, p_reason text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
AS $function$
  with blocked as (
    update dialer.tenants
    set vapi_blocked_at = at, vapi_blocked_reason = left(coalesce(nullif(p_reason, ''), 'VAPI refused the account'), 500)
    where id = p_tenant_id and vapi_blocked_at is null
    returning 1
  )
  select exists (select 1 from blocked)
$function$;
comment on function dialer.block_tenant_vapi(p_tenant_id uuid, p_reason text, at timestamp with time zone) is 'Marks the tenant''s VAPI account as refused (vapi_blocked_at = at, vapi_blocked_reason = p_reason, at most 500 characters) unless already marked; no call of the tenant is claimed until clear_tenant_vapi. Returns whether it marked it now.';

CREATE OR REPLACE FUNCTION dialer.caller_number_hold(number dialer.phone_numbers, live integer, at timestamp with time zone)
 RETURNS TABLE(hold text, room integer, used_today integer, free_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  select case when number.rested_until > at then 'resting'
              when used.today >= number.max_calls_per_day then 'daily limit'
              when live >= number.max_concurrent_calls then 'concurrent calls' end,
         case when number.rested_until > at then 0
              when least(number.max_calls_per_day - used.today, number.max_concurrent_calls - live) is null then null
              else greatest(0, least(number.max_calls_per_day - used.today, number.max_concurrent_calls - live)) end,
         used.today,
         greatest(case when number.rested_until > at then number.rested_until end,
                  case when used.today >= number.max_calls_per_day then dialer._local_day_end(number.time_zone, at) end)
  from (select dialer._caller_number_used_today(number, at) as today) used
$function$;
comment on function dialer.caller_number_hold(number dialer.phone_numbers, live integer, at timestamp with time zone) is 'A registered number at `at` with `live` live calls on it: hold = resting | daily limit | concurrent calls | null (usable), checked in that order; room = calls it may still take (null: no limit; 0 when held); used_today = calls claimed since its local midnight (time_zone); free_at = when a rest or daily limit ends (the later of both; null when only concurrency holds it, or nothing).';

CREATE OR REPLACE FUNCTION dialer.caller_numbers_wait(p_campaign dialer.campaigns, at timestamp with time zone)
 RETURNS TABLE(reason text, until timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  with held as (
    select pn.time_zone, state.hold, state.free_at
    from dialer.phone_numbers pn
    cross join lateral dialer.caller_number_hold(pn, dialer._caller_number_live(pn.tenant_id, pn.vapi_phone_number_id), at) state
    where pn.tenant_id = p_campaign.tenant_id and pn.vapi_phone_number_id = any(p_campaign.phone_number_ids)
  ), summary as (
    select count(*) as numbers, count(*) filter (where hold is null) as usable,
           array_agg(distinct hold order by hold) as holds
    from held
  ), first_free as (
    select time_zone, free_at from held where free_at is not null order by free_at limit 1
  )
  select 'every caller number '
         || case when summary.holds = '{daily limit}' then 'at its daily limit'
                 when summary.holds = '{resting}' then 'resting'
                 when summary.holds = '{concurrent calls}' then 'at its concurrent-call limit'
                 else 'at a limit (' || array_to_string(summary.holds, ', ') || ')' end
         || coalesce(' until ' || to_char(first_free.free_at at time zone first_free.time_zone,
                                           case when first_free.free_at < at + interval '1 day' then 'HH24:MI' else 'YYYY-MM-DD HH24:MI' end)
                     || ' ' || first_free.time_zone, ''),
         first_free.free_at
  from summary
  left join first_free on true
  where summary.numbers > 0 and summary.usable = 0
$function$;
comment on function dialer.caller_numbers_wait(p_campaign dialer.campaigns, at timestamp with time zone) is 'One row when every registered number of the campaign''s pool is held at `at` (caller_number_hold): reason "every caller number at its daily limit | resting | at its concurrent-call limit | at a limit (…)" with " until HH24:MI <zone>" (a date too when over a day away) of the earliest rest or daily limit to end, and until = that instant (null when only concurrency holds: a call''s end frees it). No row when some number is usable or the pool has no registered number (unlimited).';

CREATE OR REPLACE FUNCTION dialer.calling_allowed(p_tenant_id uuid, p_phone text, p_at timestamp with time zone, p_state text DEFAULT NULL::text, p_postal_code text DEFAULT NULL::text)
 RETURNS TABLE(allowed boolean, rule text, next_allowed_at timestamp with time zone)
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_tenant dialer.tenants;
  v_contact dialer.contacts;
  v_state text;
  v_jurisdictions text[];
  v_zones text[];
  v_gate record;
begin
  if p_phone is null or p_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = 'PD400', message = 'phone must be an E.164 number (+ and 7 to 15 digits)', column = 'phone';
  end if;
  if p_at is null or not isfinite(p_at) then
    raise exception using errcode = 'PD400', message = 'at must be an instant', column = 'at';
  end if;
  if p_state is not null then
    v_state := dialer._state_code(p_state);
    if v_state is null then
      raise exception using errcode = 'PD400', message = 'unknown state or province code', column = 'state';
    end if;
  end if;
  if p_postal_code is not null and dialer._postal_jurisdictions(p_postal_code) is null then
    raise exception using errcode = 'PD400', message = 'malformed postal code (12345, 12345-6789 or A1A 1A1)', column = 'postalCode';
  end if;
  select * into v_tenant from dialer.tenants where id = p_tenant_id;
  if not found then
    raise exception using errcode = 'PD404', message = 'tenant not found';
  end if;
  select * into v_contact from dialer.contacts where tenant_id = p_tenant_id and phone = p_phone and deleted_at is null;

  -- Candidates: the contact's (when it is one) and those of the number, state and postal code given.
  select coalesce(array_agg(distinct candidate order by candidate), '{}') into v_jurisdictions
  from unnest(coalesce(v_contact.jurisdictions, '{}') || dialer.contact_jurisdictions(p_phone, v_state, p_postal_code)) candidate;
  -- Zones: the contact's, else the area code's, else those of its states/provinces, else (no
  -- candidate at all) every zone of its countries: the strict reading of "local time".
  v_zones := dialer._rule_zones(v_contact.time_zone, v_contact.possible_time_zones, v_contact.region_zones, null);
  if cardinality(v_zones) = 0 then
    select coalesce(area.time_zones, '{}') into v_zones
    from dialer.area_codes area where p_phone ~ '^\+1[2-9][0-9]{9}$' and area.area_code = substr(p_phone, 3, 3);
  end if;
  if coalesce(cardinality(v_zones), 0) = 0 then
    select coalesce(array_agg(distinct zone order by zone), '{}') into v_zones
    from dialer.jurisdictions jurisdiction cross join unnest(jurisdiction.time_zones) zone
    where jurisdiction.code = any(v_jurisdictions)
       or (cardinality(v_jurisdictions) = 0 and jurisdiction.country = 'US');
  end if;

  select * into v_gate
  from dialer._call_gate(p_tenant_id, p_phone, v_jurisdictions, v_zones, v_tenant.call_type, v_tenant.automated_voice,
                         v_tenant.disabled_rules, '', coalesce(v_contact.person_key, v_contact.id::text, p_phone), p_at);
  if v_gate.on_dnc then
    return query select false, 'do-not-call'::text, null::timestamptz;
  elsif v_gate.blocked_by is null then
    return query select true, null::text, p_at;
  else
    return query select false, v_gate.blocked_by,
      dialer._rules_next_allowed(p_tenant_id, p_phone, v_jurisdictions, v_zones, v_tenant.call_type, v_tenant.automated_voice,
                                 v_tenant.disabled_rules, '', coalesce(v_contact.person_key, v_contact.id::text, p_phone), p_at);
  end if;
end
$function$;
comment on function dialer.calling_allowed(p_tenant_id uuid, p_phone text, p_at timestamp with time zone, p_state text, p_postal_code text) is 'May the tenant call p_phone at p_at under its defaults (call type, voice, switched-off rules)? allowed; rule = the id of a rule that forbids it (''blackout:<id>'' for an emergency blackout, ''do-not-call'' for the tenant''s list), null when allowed; next_allowed_at = the earliest instant >= p_at when every rule allows it (p_at when allowed), null if never. Jurisdictions: the contact''s, the area code''s, p_state''s and p_postal_code''s (strictest wins; none: the federal pack). Zones: the contact''s, else the area code''s, else those of its jurisdictions. PD400 for a phone that is not E.164, an unknown state/province, a malformed postal code or instant; PD404 for an unknown tenant.';

CREATE OR REPLACE FUNCTION dialer.calls_to_reconcile(at timestamp with time zone)
 RETURNS TABLE(call_id uuid, tenant_id uuid, status text, vapi_call_id text, dial_started_at timestamp with time zone, phone text, phone_number_id text, checks integer)
 LANGUAGE sql
 STABLE
AS $function$
  select call.id, call.tenant_id, call.status, call.vapi_call_id, call.dial_started_at, call.phone,
         coalesce(call.phone_number_id, campaign.phone_number_id), call.checks
  from (
    -- claims that lapsed (a worker died or stalled between claim and VAPI's answer)
    select * from dialer.calls where status = 'dialing' and lease_expires_at <= at
    union
    -- lookups due (calls_check_at_idx)
    select * from dialer.calls where check_at <= at and vapi_call_id is not null
    union
    -- live calls never armed (tied to VAPI by a webhook before record_dials armed them)
    select * from dialer.calls
    where status in ('queued', 'ringing', 'in_progress') and check_at is null and updated_at <= at - dialer.live_check_interval()
  ) call
  left join dialer.campaigns campaign on campaign.id = call.campaign_id
  order by coalesce(call.check_at, call.updated_at)
$function$;
comment on function dialer.calls_to_reconcile(at timestamp with time zone) is 'Calls to look up on VAPI at `at`: dialing with an expired lease (a worker died or stalled mid-dial; dial_started_at null means it was never sent), calls with a VAPI id whose check_at has come (live: live_check_interval() after the last news; ended: the report is missing), and live calls never armed not updated for live_check_interval(). phone_number_id is the call''s (chosen at claim, or given to a direct call), else the campaign''s; checks = lookups in a row that did not settle it.';

CREATE OR REPLACE FUNCTION dialer.choose_caller_numbers(p_call_ids uuid[], at timestamp with time zone)
 RETURNS TABLE(call_id uuid, phone_number_id text)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET random_page_cost TO '1.1'
AS $function$
#variable_conflict use_column
declare
  -- The calls, in claim order: id, whether a campaign call, the number it would otherwise use,
  -- its pool (null: no registered number in it) and its keys (c_keys[c_first[c] .. c_last[c]]).
  c_id uuid[]; c_campaign boolean[]; c_number text[]; c_pool bigint[]; c_keys text[]; c_first integer[]; c_last integer[];
  -- Each candidate number n: id, room and use as the claim leaves them, use before the claim.
  n_id text[]; n_room integer[]; n_used integer[]; n_used0 integer[];
  -- The candidate lists one after the other (number, pool position); '<pool>|<key>' -> [first, last, k].
  s_num integer[]; s_pos integer[]; slices jsonb;
  chosen_ids uuid[]; chosen_numbers text[];
  pass integer := 1;
  uncertain boolean;
  v_key text; v_tier text; v_slice jsonb; best integer; best_pos integer; i integer; c integer; untaken boolean;
begin
  -- No registered number in these calls' pools (the common case of one unregistered number): each
  -- call keeps its own number (direct) or gets its campaign's, in one statement.
  if not exists (select 1 from dialer.calls call
                 join dialer.campaigns campaign on campaign.id = call.campaign_id
                 join dialer.caller_pools pool on pool.id = campaign.caller_pool_id
                 where call.id = any(p_call_ids) and pool.registered > 0) then
    return query
      select call.id, coalesce(campaign.phone_number_id, call.phone_number_id)
      from unnest(p_call_ids) with ordinality as chosen(id, position)
      join dialer.calls call on call.id = chosen.id
      left join dialer.campaigns campaign on campaign.id = call.campaign_id
      order by chosen.position;
    return;
  end if;

  -- A counter whose local day ended restarts, so the copies in caller_pool_numbers order by
  -- today's use (the trigger copies the new counts).
  update dialer.phone_numbers pn
  set calls_today = 0, calls_day = null
  where pn.tenant_id in (select call.tenant_id from dialer.calls call where call.id = any(p_call_ids))
    and pn.calls_day_ends <= at;

  loop
    with input as materialized (
      select chosen.position::integer as c, call.id, call.campaign_id, call.tenant_id,
             coalesce(campaign.phone_number_id, call.phone_number_id) as number,
             case when pool.registered > 0 then pool.id end as pool_id,
             case when campaign.id is not null then dialer._caller_local_keys(call.phone, contact.jurisdictions) else '{}' end as keys
      from unnest(p_call_ids) with ordinality as chosen(id, position)
      join dialer.calls call on call.id = chosen.id
      join dialer.contacts contact on contact.id = call.contact_id
      left join dialer.campaigns campaign on campaign.id = call.campaign_id
      left join dialer.caller_pools pool on pool.id = campaign.caller_pool_id
    ), ranked as (
      select input.*, sum(cardinality(keys)) over (order by c) as keys_through,
             row_number() over (partition by case when pass = 1 then pool_id::text else tenant_id::text end order by c)::integer as k
      from input
    ), lookups as (
      select ranked.pool_id, key, max(ranked.k)::integer as k
      from ranked cross join unnest(ranked.keys) key
      where ranked.pool_id is not null
      group by 1, 2
    ), found as materialized (
      select lookups.pool_id, lookups.key, lookups.k, pick.*,
             row_number() over (order by lookups.pool_id, lookups.key, pick.used_today, pick.pool_position)::integer as slot
      from lookups
      cross join lateral dialer._caller_pool_least_used(lookups.pool_id, lookups.key, lookups.k, at) pick
    ), numbers as materialized (
      select distinct on (tenant_id, vapi_phone_number_id) tenant_id, vapi_phone_number_id, room, used_today,
             dense_rank() over (order by tenant_id, vapi_phone_number_id)::integer as n
      from found order by tenant_id, vapi_phone_number_id
    )
    select (select array_agg(id order by c) from ranked), (select array_agg(campaign_id is not null order by c) from ranked),
           (select array_agg(number order by c) from ranked), (select array_agg(pool_id order by c) from ranked),
           (select array_agg(key order by c, ordinality) from ranked cross join unnest(keys) with ordinality key),
           (select array_agg((keys_through - cardinality(keys) + 1)::integer order by c) from ranked),
           (select array_agg(keys_through::integer order by c) from ranked),
           (select array_agg(vapi_phone_number_id order by n) from numbers),
           (select array_agg(room order by n) from numbers),
           (select array_agg(used_today order by n) from numbers),
           (select array_agg(numbers.n order by found.slot) from found join numbers using (tenant_id, vapi_phone_number_id)),
           (select array_agg(found.pool_position order by found.slot) from found),
           (select jsonb_object_agg(pool_id || '|' || key, jsonb_build_array(first, last, k))
            from (select pool_id, key, min(slot) as first, max(slot) as last, min(k) as k from found group by 1, 2) lists)
    into c_id, c_campaign, c_number, c_pool, c_keys, c_first, c_last, n_id, n_room, n_used, s_num, s_pos, slices;
    n_used0 := n_used;
    chosen_ids := '{}';
    chosen_numbers := '{}';
    uncertain := false;

    <<calls>>
    for c in 1 .. coalesce(cardinality(c_id), 0) loop
      if not c_campaign[c] or c_pool[c] is null then
        -- A direct call keeps the number it was given; a pool with no registered number has no limits.
        chosen_ids := chosen_ids || c_id[c];
        chosen_numbers := chosen_numbers || c_number[c];
        continue;
      end if;
      -- The keys in order; within a tier (a, s, c, *), the least used with room, then pool order.
      best := null;
      v_tier := null;
      for key_index in c_first[c] .. c_last[c] loop
        v_key := c_keys[key_index];
        exit when best is not null and left(v_key, 1) <> v_tier;
        v_tier := left(v_key, 1);
        v_slice := slices -> (c_pool[c] || '|' || v_key);
        continue when v_slice is null;
        untaken := false;
        for slot in (v_slice ->> 0)::integer .. (v_slice ->> 1)::integer loop
          i := s_num[slot];
          untaken := untaken or n_used[i] = n_used0[i];
          if (n_room[i] > 0 or n_room[i] is null)
             and (best is null or n_used[i] < n_used[best] or (n_used[i] = n_used[best] and s_pos[slot] < best_pos)) then
            best := i;
            best_pos := s_pos[slot];
          end if;
        end loop;
        -- A full list whose every number was taken may hide a better one after it.
        if not untaken and (v_slice ->> 1)::integer - (v_slice ->> 0)::integer + 1 = (v_slice ->> 2)::integer then
          uncertain := true;
          exit calls;
        end if;
      end loop;
      continue when best is null;                 -- every number of its pool is held: it waits
      n_room[best] := n_room[best] - 1;
      n_used[best] := n_used[best] + 1;
      chosen_ids := chosen_ids || c_id[c];
      chosen_numbers := chosen_numbers || n_id[best];
    end loop;
    exit when not uncertain or pass = 2;
    pass := 2;
  end loop;

  return query select * from unnest(chosen_ids, chosen_numbers);
end
$function$;
comment on function dialer.choose_caller_numbers(p_call_ids uuid[], at timestamp with time zone) is 'For calls about to be claimed, in the order given: the number each is placed from. Direct calls keep their own; a campaign call whose pool has no registered number gets phone_number_id (no limits); otherwise the registered pool number that caller_number_hold allows with the best local presence (same area code as the contact, else same state/province, else same country, else any: _caller_local_keys), then the least used today, then pool order, counting the calls given before it in the same call. A call whose every pool number is held is left out (it stays scheduled). Restarts the counters of numbers whose local day ended (calls_day_ends <= at).';

CREATE OR REPLACE FUNCTION dialer.claim_calls(at timestamp with time zone, max integer, lease interval DEFAULT '00:05:00'::interval)
 RETURNS TABLE(call_id uuid, tenant_id uuid, campaign_id uuid, contact_id uuid, attempt integer, phone text, name text, assistant_id text, phone_number_id text, variables jsonb, lease_expires_at timestamp with time zone)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET random_page_cost TO '1.1'
AS $function$
#variable_conflict use_column
declare
  claimable uuid[];
  chosen uuid[];
  chosen_numbers text[];
  served_tenants uuid[];
  served_sources uuid[];
  truncated boolean;
  scale integer := 1;
begin
  if max is null or max < 1 then
    return;
  end if;

  -- 1. Lock the tenants that may have something to claim (skipping those another claimer holds).
  with candidate_tenants as materialized (
    select tenant.id
    from dialer.tenants tenant
    where dialer._vapi_account_ok(tenant) -- VAPI refused the account: nothing of it is claimed (016)
      and (exists (select 1 from dialer.campaigns campaign
                  where campaign.tenant_id = tenant.id and campaign.status = 'active' and campaign.deleted_at is null)
       or exists (select 1 from dialer.calls call
                  where call.tenant_id = tenant.id and call.campaign_id is null
                    and call.status = 'scheduled' and call.due_at <= at))
    order by tenant.id
  )
  select coalesce(array_agg(id), '{}') into claimable
  from candidate_tenants
  where dialer._claim_lock(id);

  if cardinality(claimable) = 0 then
    return;
  end if;

  -- 2. Choose, in a snapshot taken after the locks. Each tenant gets a budget (its share of max,
  --    times scale) spread over the next sources in its rotation; if that leaves the claim short
  --    while a source or the rotation may have had more, retry with a larger scale.
  loop
    with tenant_room as materialized (
      select tenant.id as tenant_id, tenant.max_calls_per_number_per_24h as cap,
             tenant.contact_hours_start as hours_start, tenant.contact_hours_end as hours_end, tenant.claim_cursor,
             tenant.call_type as tenant_call_type, tenant.automated_voice as tenant_automated, tenant.disabled_rules as tenant_disabled,
             dialer._tenant_limit(tenant)
               - (select count(*) from dialer.calls live
                  where live.tenant_id = tenant.id and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) as room
      from dialer.tenants tenant
      where tenant.id = any(claimable)
    ), tenant_budget as materialized (
      select tenant_room.*, least(room, scale * ceil(max::numeric / count(*) over ()))::integer as budget
      from tenant_room
      where room > 0
    ), kept_sources as materialized (
      -- Per tenant, the next sources of its rotation that have a due call and room, up to its
      -- budget. The rotation is the cycle direct calls (the nil uuid), then its active campaigns
      -- in id order; the walk starts after claim_cursor. Each part is read in index order
      -- (campaigns_rotation_idx), and the window rules (_campaign_open, the rules due_calls uses)
      -- and the due and room probes run only on the campaigns the walk reaches, so a claim visits
      -- about as many sources as it serves, not every campaign of the tenant.
      select budget.tenant_id, budget.cap, budget.hours_start, budget.hours_end, budget.budget, source.*,
             coalesce(source.campaign_call_type, budget.tenant_call_type) as call_type,
             coalesce(source.campaign_automated, budget.tenant_automated) as automated,
             budget.tenant_disabled || coalesce(source.campaign_disabled, '{}') as disabled_rules,
             count(*) over (partition by budget.tenant_id) as sources_in_tenant,
             least(source.room, ceil(budget.budget::numeric / count(*) over (partition by budget.tenant_id)))::integer as take
      from tenant_budget budget
      cross join lateral (
        select walk.lap, coalesce(walk.campaign_id, '00000000-0000-0000-0000-000000000000') as source_id,
               walk.campaign_id, walk.max_attempts, walk.occurrence, walk.hours_open_in_campaign_zone, room.room,
               walk.time_zone, walk.campaign_call_type, walk.campaign_automated, walk.campaign_disabled, walk.subject
        from (
          select 0 as lap, null::uuid as campaign_id, null::integer as max_attempts, null::integer as max_concurrency,
                 null::text as occurrence, true as hours_open_in_campaign_zone, null::text as time_zone,
                 null::text as campaign_call_type, null::boolean as campaign_automated, null::text[] as campaign_disabled,
                 '' as subject, null::bigint as caller_pool_id
          where budget.claim_cursor is null
          union all
          select 1, (lap.campaign).id, (lap.campaign).max_attempts, (lap.campaign).max_concurrency,
                 case when (lap.campaign).frequency <> 'once'
                      then dialer._occurrence_label(lap.campaign, dialer._campaign_day(lap.campaign, at)) end,
                 dialer.window_open((lap.campaign).time_zone, budget.hours_start, budget.hours_end, '{1,2,3,4,5,6,7}', at),
                 (lap.campaign).time_zone, (lap.campaign).call_type, (lap.campaign).automated_voice, (lap.campaign).disabled_rules,
                 coalesce((lap.campaign).subject, ''), (lap.campaign).caller_pool_id
          from (select campaign from dialer.campaigns campaign
                where campaign.tenant_id = budget.tenant_id and campaign.status = 'active' and campaign.deleted_at is null
                  and campaign.id > coalesce(budget.claim_cursor, '00000000-0000-0000-0000-000000000000')
                order by campaign.id offset 0) lap
          where dialer._campaign_open(lap.campaign, at)
          union all
          select 2, null, null, null, null, true, null, null, null, null, '', null
          where budget.claim_cursor is not null
          union all
          select 3, (lap.campaign).id, (lap.campaign).max_attempts, (lap.campaign).max_concurrency,
                 case when (lap.campaign).frequency <> 'once'
                      then dialer._occurrence_label(lap.campaign, dialer._campaign_day(lap.campaign, at)) end,
                 dialer.window_open((lap.campaign).time_zone, budget.hours_start, budget.hours_end, '{1,2,3,4,5,6,7}', at),
                 (lap.campaign).time_zone, (lap.campaign).call_type, (lap.campaign).automated_voice, (lap.campaign).disabled_rules,
                 coalesce((lap.campaign).subject, ''), (lap.campaign).caller_pool_id
          from (select campaign from dialer.campaigns campaign
                where campaign.tenant_id = budget.tenant_id and campaign.status = 'active' and campaign.deleted_at is null
                  and campaign.id <= budget.claim_cursor
                order by campaign.id offset 0) lap
          where dialer._campaign_open(lap.campaign, at)
        ) walk
        cross join lateral (
          select case when walk.campaign_id is null then budget.room
                      else least(budget.room, walk.max_concurrency
                                 - (select count(*) from dialer.calls live
                                    where live.campaign_id = walk.campaign_id
                                      and live.status in ('dialing', 'queued', 'ringing', 'in_progress'))) end as room
        ) room
        where room.room > 0
          and (select pool.open from dialer._caller_pool_open(walk.caller_pool_id, at) pool) -- a pool whose every number is held waits (033)
          and case when walk.campaign_id is null
                   then exists (select 1 from dialer.calls call
                                where call.tenant_id = budget.tenant_id and call.campaign_id is null
                                  and call.status = 'scheduled' and call.due_at <= at)
                   else exists (select 1 from dialer.calls call
                                where call.campaign_id = walk.campaign_id and call.status = 'scheduled'
                                  and call.due_at <= at) end
        limit budget.budget
      ) source
    ), candidates as (
      -- The per-call rules of due_calls, with the campaign rules already applied per source.
      select source.tenant_id, source.campaign_id, source.source_id, source.lap, source.take, source.room as source_room, pick.*
      from kept_sources source
      cross join lateral (
        select call.id as call_id, call.due_at, call.phone, coalesce(contact.person_key, contact.id::text) as person
        from dialer.calls call
        join dialer.contacts contact on contact.id = call.contact_id
        cross join lateral dialer._call_gate(
          call.tenant_id, call.phone, contact.jurisdictions,
          dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, source.time_zone),
          source.call_type, source.automated, source.disabled_rules, source.subject,
          coalesce(contact.person_key, contact.id::text), at) gate
        where call.campaign_id = source.campaign_id and call.status = 'scheduled' and call.due_at <= at
          and call.attempt <= source.max_attempts
          and (source.occurrence is null or call.occurrence = source.occurrence)
          and contact.deleted_at is null
          and case when contact.time_zone is null and cardinality(contact.possible_time_zones) = 0
                   then source.hours_open_in_campaign_zone
                   else dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, null),
                                           source.hours_start, source.hours_end, at) end
          and not gate.on_dnc and not gate.live_call and gate.dials_24h < source.cap and gate.blocked_by is null
        order by call.due_at
        limit source.take
      ) pick
      where source.campaign_id is not null
      union all
      select source.tenant_id, null, source.source_id, source.lap, source.take, source.room, pick.*
      from kept_sources source
      cross join lateral (
        select call.id as call_id, call.due_at, call.phone, coalesce(contact.person_key, contact.id::text) as person
        from dialer.calls call
        join dialer.contacts contact on contact.id = call.contact_id
        cross join lateral dialer._call_gate(
          call.tenant_id, call.phone, contact.jurisdictions,
          dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, source.time_zone),
          source.call_type, source.automated, source.disabled_rules, source.subject,
          coalesce(contact.person_key, contact.id::text), at) gate
        where call.tenant_id = source.tenant_id and call.campaign_id is null
          and call.status = 'scheduled' and call.due_at <= at
          and contact.deleted_at is null
          and dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, null),
                                 source.hours_start, source.hours_end, at)
          and not gate.on_dnc and not gate.live_call and gate.dials_24h < source.cap and gate.blocked_by is null
        order by call.due_at
        limit source.take
      ) pick
      where source.campaign_id is null
    ), one_per_number as (
      -- One call per number, and one per person (numbers sharing a person_key), per claim: the
      -- per-person caps count dials already started, so two of one person's numbers claimed
      -- together could pass a cap that has room for one.
      select candidates.*, row_number() over (partition by tenant_id, phone order by due_at, call_id) as number_rank,
             row_number() over (partition by tenant_id, person order by due_at, call_id) as person_rank
      from candidates
    ), within_source as (
      select one_per_number.*, row_number() over (partition by tenant_id, campaign_id order by due_at, call_id) as rank_in_source
      from one_per_number
      where number_rank = 1 and person_rank = 1
    ), within_tenant as (
      select within_source.*, row_number() over (partition by tenant_id order by rank_in_source, due_at, call_id) as rank_in_tenant
      from within_source
    ), picked as (
      select within_tenant.call_id, within_tenant.rank_in_tenant, within_tenant.rank_in_source, within_tenant.due_at,
             within_tenant.tenant_id, within_tenant.source_id, within_tenant.lap
      from within_tenant
      join tenant_budget budget on budget.tenant_id = within_tenant.tenant_id
      where within_tenant.rank_in_tenant <= budget.room
      order by rank_in_tenant, rank_in_source, due_at, call_id
      limit max
    )
    , last_served as (
      -- The source each tenant's rotation reached: the next claim starts after it.
      select distinct on (tenant_id) tenant_id, source_id from picked order by tenant_id, lap desc, source_id desc
    )
    select (select coalesce(array_agg(call_id order by rank_in_tenant, rank_in_source, due_at, call_id), '{}') from picked),
           (select coalesce(array_agg(tenant_id order by tenant_id), '{}') from last_served),
           (select coalesce(array_agg(source_id order by tenant_id), '{}') from last_served),
           coalesce((select bool_or(taken = take and take < source_room)
                     from (select count(*) as taken, min(take) as take, min(source_room) as source_room
                           from candidates group by tenant_id, campaign_id) per_source), false)
           -- A rotation walk that stopped at its budget may have had more sources.
           or exists (select 1 from kept_sources where sources_in_tenant >= budget)
    into chosen, served_tenants, served_sources, truncated;

    exit when cardinality(chosen) >= max or not truncated or scale >= 4096;
    scale := scale * 4;
  end loop;

  -- 3. The caller number of each (033: local presence, limits); one left without stays scheduled.
  select coalesce(array_agg(choice.call_id order by choice.position), '{}'), coalesce(array_agg(choice.phone_number_id order by choice.position), '{}')
  into chosen, chosen_numbers
  from dialer.choose_caller_numbers(chosen, at) with ordinality as choice(call_id, phone_number_id, position);

  -- 4. Take them, and move each served tenant's rotation on.
  update dialer.tenants tenant
  set claim_cursor = served.source_id
  from unnest(served_tenants, served_sources) as served(tenant_id, source_id)
  where tenant.id = served.tenant_id and tenant.claim_cursor is distinct from served.source_id;

  return query
  with locked as (
    -- The row versions just locked are the ones updated: joined by ctid, not looked up again.
    select call.ctid as row_id from dialer.calls call
    where call.id = any(chosen) and call.status = 'scheduled'
    for update skip locked
  ), claimed as (
    update dialer.calls call
    set status = 'dialing', claimed_at = at, lease_expires_at = at + lease, updated_at = at,
        phone_number_id = chosen_numbers[array_position(chosen, call.id)],
        -- What decided the call, and the keys its dial counts under for per-person caps.
        rule_set = (select dialer._current_rule_set()),
        cap_subject = coalesce((select campaign.subject from dialer.campaigns campaign where campaign.id = call.campaign_id), ''),
        cap_person = (select coalesce(contact.person_key, contact.id::text) from dialer.contacts contact where contact.id = call.contact_id)
    from locked
    where call.ctid = locked.row_id
    returning call.id, call.tenant_id, call.campaign_id, call.contact_id, call.attempt, call.phone,
              call.assistant_id, call.phone_number_id, call.variables, call.lease_expires_at
  )
  select claimed.id, claimed.tenant_id, claimed.campaign_id, claimed.contact_id, claimed.attempt, claimed.phone,
         contact.name,
         coalesce(campaign.assistant_id, claimed.assistant_id),
         coalesce(claimed.phone_number_id, campaign.phone_number_id),
         coalesce(campaign.variables, '{}') || contact.attributes || coalesce(membership.variables, '{}') || claimed.variables,
         claimed.lease_expires_at
  from claimed
  join dialer.contacts contact on contact.id = claimed.contact_id
  left join dialer.campaigns campaign on campaign.id = claimed.campaign_id
  left join dialer.campaign_contacts membership
    on membership.campaign_id = claimed.campaign_id and membership.contact_id = claimed.contact_id
  order by array_position(chosen, claimed.id);

  perform dialer._count_caller_number_claims(chosen, at);
end
$function$;
comment on function dialer.claim_calls(at timestamp with time zone, max integer, lease interval) is 'Atomically takes up to max calls that due_calls(at) allows, within each campaign''s max_concurrency and each tenant''s effective limit least(concurrency_limit, coalesce(vapi_concurrency_limit, concurrency_limit)) (live = dialing, queued, ringing, in_progress), at most one per number, round-robin across tenants, and within a tenant across its sources (campaigns and direct calls) in a rotation that starts after tenants.claim_cursor and moves it on: sets status dialing, claimed_at = at, lease_expires_at = at + lease. phone_number_id = the caller number choose_caller_numbers picked (033: local presence, then least used today, numbers at a limit skipped; recorded on the call), a source whose whole pool is held is skipped and a call left without a number stays scheduled. Returns what the worker needs to dial; variables = campaign.variables || contact.attributes || campaign_contacts.variables || calls.variables (later wins). Concurrent callers never get the same call (per-tenant advisory lock + FOR UPDATE SKIP LOCKED); a tenant being claimed by another transaction is skipped. Returns fewer than max only when nothing else is claimable for the tenants it locked.';

CREATE OR REPLACE FUNCTION dialer.claim_forwards(at timestamp with time zone, max integer, lease interval)
 RETURNS TABLE(id bigint, tenant_id uuid, call_id uuid, event_id bigint, type text, url text, attempts integer)
 LANGUAGE sql
AS $function$
  with due as (
    select forward.id
      from dialer.forwards forward
     where forward.state = 'pending' and forward.next_attempt_at <= at
       and (forward.lease_expires_at is null or forward.lease_expires_at <= at)
     order by forward.next_attempt_at
     limit max
       for update skip locked
  )
  update dialer.forwards forward
     set attempts = forward.attempts + 1, lease_expires_at = at + lease, last_attempt_at = at
    from due
   where forward.id = due.id
  returning forward.id, forward.tenant_id, forward.call_id, forward.event_id, forward.type, forward.url, forward.attempts
$function$;
comment on function dialer.claim_forwards(at timestamp with time zone, max integer, lease interval) is 'Claims up to `max` pending deliveries due at `at` (next_attempt_at <= at, no live lease), oldest first: counts the attempt and leases each until at + lease. SKIP LOCKED: concurrent workers take different rows.';

CREATE OR REPLACE FUNCTION dialer.class_outcome(class text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select case when class in ('answered', 'no_answer', 'busy', 'voicemail') then class else 'failed' end $function$;
comment on function dialer.class_outcome(class text) is 'The call outcome of an ended-reason class: answered, no_answer, busy, voicemail as such; retry_later, final and account → failed.';

CREATE OR REPLACE FUNCTION dialer.clear_tenant_vapi(p_tenant_id uuid)
 RETURNS boolean
 LANGUAGE sql
AS $function$
  with cleared as (
    update dialer.tenants set vapi_blocked_at = null, vapi_blocked_reason = null
    where id = p_tenant_id and vapi_blocked_at is not null
    returning 1
  )
  select exists (select 1 from cleared)
$function$;
comment on function dialer.clear_tenant_vapi(p_tenant_id uuid) is 'Lifts the stop block_tenant_vapi put on the tenant (PUT /v1/settings of the VAPI key or base URL, or POST /v1/settings/vapi-status/clear). Returns whether it was stopped.';

CREATE OR REPLACE FUNCTION dialer.contact_jurisdictions(p_phone text, p_state text, p_postal_code text)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  regions text[];
begin
  if p_phone ~ '^\+1[2-9][0-9]{9}$' then
    select area.jurisdictions into regions from dialer.area_codes area where area.area_code = substr(p_phone, 3, 3);
  end if;
  regions := coalesce(regions, '{}');
  if p_state is not null then
    regions := regions || dialer._state_code(p_state);
  end if;
  if p_postal_code is not null then
    regions := regions || coalesce(dialer._postal_jurisdictions(p_postal_code), '{}');
  end if;
  if cardinality(array_remove(regions, null)) = 0 then
    return '{}';
  end if;
  -- Each state/province with its country, sorted, once.
  return array(select distinct candidate
               from unnest(regions) as region cross join lateral (values (region), (left(region, 2))) as both_levels (candidate)
               where region is not null
               order by candidate);
end
$function$;
comment on function dialer.contact_jurisdictions(p_phone text, p_state text, p_postal_code text) is 'The candidate jurisdictions of a number: its NANP area code''s state(s)/province(s), the state/province code given, the postal code''s state/province, each with its country (US, CA); sorted, distinct; ''{}'' when none is known.';

CREATE OR REPLACE FUNCTION dialer.contact_region_zones(p_phone text, p_jurisdictions text[])
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
declare
  zones text[];
begin
  if p_phone ~ '^\+1[2-9][0-9]{9}$' then
    select area.time_zones into zones from dialer.area_codes area where area.area_code = substr(p_phone, 3, 3);
  end if;
  if zones is null and cardinality(p_jurisdictions) > 0 then
    select array_agg(distinct zone order by zone) into zones
    from dialer.jurisdictions jurisdiction cross join unnest(jurisdiction.time_zones) zone
    where jurisdiction.code = any(p_jurisdictions) and jurisdiction.code like '__-__';
  end if;
  return coalesce(zones, '{}');
end
$function$;
comment on function dialer.contact_region_zones(p_phone text, p_jurisdictions text[]) is 'The zones of a number''s jurisdictions: its NANP area code''s, else the zones of its states/provinces in p_jurisdictions; ''{}'' when none.';

CREATE OR REPLACE FUNCTION dialer.create_direct_call(p_tenant_id uuid, p_contact_id uuid, p_assistant_id text, p_phone_number_id text, p_variables jsonb, p_due_at timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
AS $function$
declare
  v_contact dialer.contacts;
  v_pending uuid;
  v_id uuid;
begin
  -- Locked, so two requests for the same contact cannot both pass the pending check.
  select * into v_contact from dialer.contacts
  where id = p_contact_id and tenant_id = p_tenant_id and deleted_at is null
  for update;
  if not found then
    raise exception using errcode = 'PD404', message = 'contact not found';
  end if;
  if exists (select 1 from dialer.dnc where dnc.tenant_id = p_tenant_id and dnc.phone = v_contact.phone) then
    raise exception using errcode = 'PD422', message = format('the number %s is on the do-not-call list', v_contact.phone);
  end if;
  select id into v_pending from dialer.calls
  where contact_id = p_contact_id and campaign_id is null
    and status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress')
  limit 1;
  if found then
    raise exception using errcode = 'PD409',
      message = format('a direct call to %s is already pending or live (call %s)', v_contact.phone, v_pending);
  end if;
  insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, variables, due_at)
  values (p_tenant_id, p_contact_id, v_contact.phone, p_assistant_id, p_phone_number_id, coalesce(p_variables, '{}'), p_due_at)
  returning id into v_id;
  return v_id;
end
$function$;
comment on function dialer.create_direct_call(p_tenant_id uuid, p_contact_id uuid, p_assistant_id text, p_phone_number_id text, p_variables jsonb, p_due_at timestamp with time zone) is 'Schedules a direct call (no campaign) to the tenant''s contact at p_due_at with the given assistant, phone number and variables. PD404 unknown or deleted contact, PD422 number on the tenant''s do-not-call list, PD409 when the contact already has a direct call scheduled or live. Returns the call id.';

CREATE OR REPLACE FUNCTION dialer.delete_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_live integer;
  v_pools integer;
begin
  -- Taken blocking (not try): a claim in progress for the tenant finishes first, so no call it
  -- places from this number goes live after the check.
  perform pg_advisory_xact_lock(1885823025, hashtext(p_tenant_id::text));
  perform 1 from dialer.phone_numbers
  where tenant_id = p_tenant_id and vapi_phone_number_id = lower(p_vapi_phone_number_id) for update;
  if not found then
    raise exception 'phone number not found' using errcode = 'PD404';
  end if;
  v_live := dialer._caller_number_live(p_tenant_id, lower(p_vapi_phone_number_id));
  if v_live > 0 then
    raise exception 'the number has % live call(s); remove it once they end', v_live using errcode = 'PD409';
  end if;
  update dialer.campaigns
  set phone_number_ids = array_remove(phone_number_ids, lower(p_vapi_phone_number_id)), updated_at = at
  where tenant_id = p_tenant_id and lower(p_vapi_phone_number_id) = any(phone_number_ids) and cardinality(phone_number_ids) > 1;
  get diagnostics v_pools = row_count;
  delete from dialer.phone_numbers where tenant_id = p_tenant_id and vapi_phone_number_id = lower(p_vapi_phone_number_id);
  return v_pools;
end
$function$;
comment on function dialer.delete_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, at timestamp with time zone) is 'Removes a registered number: PD404 unknown, PD409 while a live call (dialing, queued, ringing, in_progress) uses it. It leaves every pool of two or more numbers (a campaign whose only number it is keeps it, as an unregistered number without limits); scheduled calls get another number when claimed. Serialised with the tenant''s claims. Returns the pools changed.';

CREATE OR REPLACE FUNCTION dialer.delete_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
  v_cancelled integer;
begin
  if v_campaign.status = 'active' then
    raise exception using errcode = 'PD409', message = 'pause or stop the campaign before deleting it';
  end if;
  update dialer.campaigns set deleted_at = at, updated_at = at where id = p_campaign_id;
  update dialer.calls set status = 'cancelled', last_error = 'campaign deleted', updated_at = at
  where campaign_id = p_campaign_id and status = 'scheduled';
  get diagnostics v_cancelled = row_count;
  return v_cancelled;
end
$function$;
comment on function dialer.delete_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'Soft-deletes the tenant''s campaign (deleted_at = at) and cancels its scheduled calls (last_error ''campaign deleted''); live calls finish. PD404 unknown or already deleted, PD409 while active. Returns the calls cancelled.';

CREATE OR REPLACE FUNCTION dialer.delete_contact(p_tenant_id uuid, p_contact_id uuid, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_cancelled integer;
begin
  update dialer.contacts set deleted_at = at, updated_at = at
  where id = p_contact_id and tenant_id = p_tenant_id and deleted_at is null;
  if not found then
    raise exception using errcode = 'PD404', message = 'contact not found';
  end if;
  update dialer.calls set status = 'cancelled', last_error = 'contact deleted', updated_at = at
  where contact_id = p_contact_id and status = 'scheduled';
  get diagnostics v_cancelled = row_count;
  return v_cancelled;
end
$function$;
comment on function dialer.delete_contact(p_tenant_id uuid, p_contact_id uuid, at timestamp with time zone) is 'Soft-deletes the tenant''s contact (deleted_at = at) and cancels its scheduled calls (last_error ''contact deleted''); live calls finish. PD404 unknown or already deleted. Returns the calls cancelled.';

CREATE OR REPLACE FUNCTION dialer.due_calls(at timestamp with time zone)
 RETURNS SETOF dialer.calls
 LANGUAGE sql
 STABLE
AS $function$
  select call.*
  -- Start from the scheduled calls already due (partial index calls_scheduled_due_idx) and check
  -- each: the OFFSET 0 keeps the planner from driving the query from contacts or history instead.
  from (select * from dialer.calls where status = 'scheduled' and due_at <= at offset 0) call
  join dialer.tenants tenant on tenant.id = call.tenant_id
  join dialer.contacts contact on contact.id = call.contact_id
  left join dialer.campaigns campaign on campaign.id = call.campaign_id
  -- The per-number and per-person rules, written once in _call_gate (sql/024_rules.sql).
  cross join lateral dialer._call_gate(
    call.tenant_id, call.phone, contact.jurisdictions,
    dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, campaign.time_zone),
    coalesce(campaign.call_type, tenant.call_type), coalesce(campaign.automated_voice, tenant.automated_voice),
    tenant.disabled_rules || coalesce(campaign.disabled_rules, '{}'), coalesce(campaign.subject, ''),
    coalesce(contact.person_key, contact.id::text), at) gate
  where contact.deleted_at is null
    and dialer._vapi_account_ok(tenant)
    and (call.campaign_id is null
         or (dialer._campaign_open(campaign, at)
             and call.attempt <= campaign.max_attempts
             and dialer._occurrence_current(campaign, call.occurrence, at)))
    and dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, campaign.time_zone),
                           tenant.contact_hours_start, tenant.contact_hours_end, at)
    and not gate.on_dnc and not gate.live_call and gate.dials_24h < tenant.max_calls_per_number_per_24h
    and gate.blocked_by is null
$function$;
comment on function dialer.due_calls(at timestamp with time zone) is 'Scheduled calls that may be dialed at `at`, before concurrency limits: due_at <= at; campaign active, not deleted, window open, window day within starts_on..ends_on and not blacked out (campaign zone), attempt <= max_attempts, and for daily/weekly the call belongs to the current occurrence; contact not deleted and its calling hours (tenant contact_hours_start/end) open in its zone, or in all its possible zones, or else the campaign zone; number not on the tenant''s dnc, under the tenant''s 24-hour cap, with no live call; no emergency blackout in force and every calling rule of its jurisdictions (or the federal pack) allowing it (_call_gate). Direct calls (campaign_id null) skip the campaign rules. Nothing of a tenant whose VAPI account is stopped (tenants.vapi_blocked_at).';

CREATE OR REPLACE FUNCTION dialer.ended_reason_class(reason text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select coalesce(dialer._ended_reason_rule(reason), 'retry_later') $function$;
comment on function dialer.ended_reason_class(reason text) is 'The class of a VAPI endedReason: answered (customer reached; a failed transfer/forward/hook after it too), no_answer (SIP 408/480 too), busy, voicemail, retry_later (carrier, provider, VAPI-side or temporary fault), final (failed for good for this contact: misdialed, number not callable, cancelled), account (billing, credential, quota, configuration: the tenant is stopped, the attempt not used up). Unknown and null reasons: retry_later.';

CREATE OR REPLACE FUNCTION dialer.fail_import(p_import_id uuid, p_error jsonb, p_at timestamp with time zone)
 RETURNS void
 LANGUAGE sql
AS $function$
  update dialer.imports
  set status = 'failed', errors = jsonb_build_array(p_error), finished_at = p_at
  where id = p_import_id and status = 'running';
$function$;
comment on function dialer.fail_import(p_import_id uuid, p_error jsonb, p_at timestamp with time zone) is 'Marks a running import failed with one error {line, code, message}; its rows were rolled back.';

CREATE OR REPLACE FUNCTION dialer.finish_import(p_import_id uuid, p_rows integer, p_imported integer, p_duplicates integer, p_dnc integer, p_rejected integer, p_errors jsonb, p_at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_tenant_id uuid;
  v_campaign_id uuid;
  v_status text;
begin
  update dialer.imports
  set status = 'completed', rows = p_rows, imported = p_imported, duplicates = p_duplicates, dnc = p_dnc,
      rejected = p_rejected, errors = p_errors, finished_at = p_at
  where id = p_import_id and status = 'running'
  returning tenant_id, campaign_id into v_tenant_id, v_campaign_id;
  if not found then
    raise exception using errcode = 'PD409', message = 'the import is not running';
  end if;
  select status into v_status from dialer.campaigns where id = v_campaign_id for share;
  if v_status in ('active', 'paused') then
    return dialer.schedule_new_members(v_tenant_id, v_campaign_id, p_at);
  end if;
  return 0;
end
$function$;
comment on function dialer.finish_import(p_import_id uuid, p_rows integer, p_imported integer, p_duplicates integer, p_dnc integer, p_rejected integer, p_errors jsonb, p_at timestamp with time zone) is 'Stores the report of a running import (status completed) and, when its campaign is active or paused, schedules the new members with schedule_new_members. Returns the number of calls created (the caller wakes the worker when > 0).';

CREATE OR REPLACE FUNCTION dialer.forward_retry_at(attempts integer, at timestamp with time zone, base interval, cap interval)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE
AS $function$ select at + least(cap, base * power(2, greatest(attempts, 1) - 1)::double precision) $function$;
comment on function dialer.forward_retry_at(attempts integer, at timestamp with time zone, base interval, cap interval) is 'When a delivery that failed its `attempts`-th attempt at `at` is tried again: at + base × 2^(attempts−1), at most at + cap.';

CREATE OR REPLACE FUNCTION dialer.forward_url_of(p_tenant_id uuid, p_call_id uuid)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ select url from dialer.forward_urls_of(p_tenant_id, p_call_id) $function$;
comment on function dialer.forward_url_of(p_tenant_id uuid, p_call_id uuid) is 'Where messages about this call are relayed: its campaign''s forward_url, else the tenant''s; null when neither is set. p_call_id may be null (a message about no known call: the tenant''s).';

CREATE OR REPLACE FUNCTION dialer.forward_urls_of(p_tenant_id uuid, p_call_id uuid)
 RETURNS TABLE(url text)
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(
    (select campaign.forward_url from dialer.campaigns campaign
      where campaign.id = (select call.campaign_id from dialer.calls call where call.id = p_call_id and call.tenant_id = p_tenant_id)),
    (select tenant.forward_url from dialer.tenants tenant where tenant.id = p_tenant_id))
$function$;
comment on function dialer.forward_urls_of(p_tenant_id uuid, p_call_id uuid) is 'forward_url_of as a one-row table, so that a query reading it for many webhooks has it inlined (a scalar SQL function with a subquery is not: it is planned at every call).';

CREATE OR REPLACE FUNCTION dialer.forwards_claimable_at()
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  select min(greatest(forward.next_attempt_at, forward.lease_expires_at)) from dialer.forwards forward where forward.state = 'pending'
$function$;
comment on function dialer.forwards_claimable_at() is 'The earliest instant at which a pending delivery is claimable (its next attempt, or the end of its lease), now or past included; null when none is pending.';

CREATE OR REPLACE FUNCTION dialer.holidays(p_jurisdiction text, p_from date, p_to date)
 RETURNS TABLE(day date, name text, calendar text, observed boolean)
 LANGUAGE sql
 STABLE
AS $function$
  select days.day, days.name, calendars.calendar, days.observed
  from (select lower(p_jurisdiction) as calendar
        union
        select rule.holiday_calendar from dialer.rules rule
        where rule.rule_set = dialer._current_rule_set() and rule.jurisdiction = upper(p_jurisdiction)
          and rule.holiday_calendar is not null) calendars
  cross join lateral dialer._calendar_days(dialer._current_rule_set(), calendars.calendar, p_from, p_to) days
  order by days.day, days.observed, days.name
$function$;
comment on function dialer.holidays(p_jurisdiction text, p_from date, p_to date) is 'The holidays of a jurisdiction (''US'', ''US-AL'', ''CA-BC'', …) from p_from to p_to in the rule set in force: day, name, calendar, observed (true: the weekday a weekend holiday is observed on; the date itself is listed too).';

CREATE OR REPLACE FUNCTION dialer.import_contacts_batch(p_tenant_id uuid, p_campaign_id uuid, p_import_id uuid, p_phones text[], p_names text[], p_time_zones text[], p_possible_time_zones text[], p_time_zone_sources text[], p_variables text[], p_states text[], p_postal_codes text[], p_person_keys text[], p_at timestamp with time zone)
 RETURNS TABLE(imported integer, duplicates integer, dnc integer)
 LANGUAGE plpgsql
AS $function$
declare
  v_added integer;
  v_dnc integer;
begin
  perform from dialer.campaigns where id = p_campaign_id and tenant_id = p_tenant_id;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  -- Imports of one tenant take turns (the lock is held until the import's transaction ends;
  -- taking it again per batch costs nothing): two imports holding rows of each other's files
  -- would otherwise deadlock, each waiting for the other's uncommitted contacts.
  perform pg_advisory_xact_lock(hashtextextended('dialer.import:' || p_tenant_id::text, 0));

  -- Every lookup below is an index probe per row (the conflict arbiter, or a LATERAL … LIMIT 1
  -- subquery the planner cannot turn into a join): while the import's transaction is open the
  -- statistics do not count its rows, and a planner believing the tables small would otherwise
  -- scan all the tenant's contacts for every batch, making a large import quadratic.

  -- New numbers become contacts. An existing contact not yet in the campaign is refreshed from
  -- the file (it joins the campaign just below); one already in it is a duplicate and untouched.
  insert into dialer.contacts as c (tenant_id, phone, name, time_zone, possible_time_zones, time_zone_source,
                                    state, postal_code, person_key, created_at, updated_at)
  select p_tenant_id, r.phone, r.name, r.time_zone, coalesce(string_to_array(nullif(r.possible_time_zones, ''), ','), '{}'),
    r.time_zone_source, r.state, r.postal_code, r.person_key, p_at, p_at
  from unnest(p_phones, p_names, p_time_zones, p_possible_time_zones, p_time_zone_sources, p_states, p_postal_codes, p_person_keys)
    as r (phone, name, time_zone, possible_time_zones, time_zone_source, state, postal_code, person_key)
  on conflict (tenant_id, phone) do update set
    name = coalesce(excluded.name, c.name),
    state = coalesce(excluded.state, c.state),
    postal_code = coalesce(excluded.postal_code, c.postal_code),
    person_key = coalesce(excluded.person_key, c.person_key),
    time_zone = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.time_zone else c.time_zone end,
    possible_time_zones = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.possible_time_zones
      else c.possible_time_zones end,
    time_zone_source = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.time_zone_source
      else c.time_zone_source end,
    deleted_at = null,
    updated_at = p_at
  where not exists (select from dialer.campaign_contacts m where m.campaign_id = p_campaign_id and m.contact_id = c.id)
    and (c.deleted_at is not null
      or (excluded.name is not null and excluded.name is distinct from c.name)
      or (excluded.state is not null and excluded.state is distinct from c.state)
      or (excluded.postal_code is not null and excluded.postal_code is distinct from c.postal_code)
      or (excluded.person_key is not null and excluded.person_key is distinct from c.person_key)
      or (excluded.time_zone_source = 'column'
          and (c.time_zone_source is distinct from 'column' or c.time_zone is distinct from excluded.time_zone))
      or (c.time_zone_source is null and excluded.time_zone_source is not null));

  -- Each row's contact (and whether its number is on the do-not-call list) is read once; the
  -- members actually added are matched back to it by contact id (a hash join of two batches).
  with input as materialized (
    select c.id, r.variables, d.listed is not null as listed
    from unnest(p_phones, p_variables) as r (phone, variables)
    cross join lateral (
      select id from dialer.contacts where tenant_id = p_tenant_id and phone = r.phone limit 1
    ) c
    left join lateral (
      select true as listed from dialer.dnc where tenant_id = p_tenant_id and phone = r.phone limit 1
    ) d on true
  ), added as (
    insert into dialer.campaign_contacts (campaign_id, contact_id, variables, import_id, added_at)
    select p_campaign_id, i.id, coalesce(i.variables::jsonb, '{}'), p_import_id, p_at
    from input i
    on conflict (campaign_id, contact_id) do nothing
    returning contact_id
  )
  select count(*)::integer, (count(*) filter (where i.listed))::integer into v_added, v_dnc
  from added a join input i on i.id = a.contact_id;

  return query select v_added - v_dnc, cardinality(p_phones) - v_added, v_dnc;
end
$function$;
comment on function dialer.import_contacts_batch(p_tenant_id uuid, p_campaign_id uuid, p_import_id uuid, p_phones text[], p_names text[], p_time_zones text[], p_possible_time_zones text[], p_time_zone_sources text[], p_variables text[], p_states text[], p_postal_codes text[], p_person_keys text[], p_at timestamp with time zone) is 'Writes one batch of an import, given as parallel arrays (element i of each is row i): phones (E.164, unique within the batch), names, time zones, possible time zones (comma-separated, empty for none), time zone sources, variables (a JSON object as text), states (US-XX / CA-XX), postal codes, person keys (null: not given; a given one replaces the contact''s, and its jurisdictions follow by trigger). Returns how many became members (imported, not on the do-not-call list), were already members (duplicates) and became members but are on the do-not-call list (dnc).';

CREATE OR REPLACE FUNCTION dialer.import_dnc_batch(p_tenant_id uuid, p_phones text[], p_reasons text[], at timestamp with time zone, OUT added integer, OUT already_listed integer, OUT duplicates integer, OUT cancelled_calls integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
begin
  with listed as (
    insert into dialer.dnc as existing (tenant_id, phone, reason, source, created_at)
    select p_tenant_id, row.phone, row.reason, 'import', at
    from unnest(p_phones, p_reasons) as row (phone, reason)
    on conflict on constraint dnc_pkey do update set reason = coalesce(existing.reason, excluded.reason)
    returning (existing.xmax = 0) as added, existing.source = 'import' and existing.created_at = at as this_import
  )
  select count(*) filter (where listed.added)::integer,
         count(*) filter (where not listed.added and not listed.this_import)::integer,
         count(*) filter (where not listed.added and listed.this_import)::integer
  into added, already_listed, duplicates
  from listed;
  cancelled_calls := dialer._cancel_pending_calls_to(p_tenant_id, p_phones, 'number added to do-not-call', at);
end
$function$;
comment on function dialer.import_dnc_batch(p_tenant_id uuid, p_phones text[], p_reasons text[], at timestamp with time zone, OUT added integer, OUT already_listed integer, OUT duplicates integer, OUT cancelled_calls integer) is 'Lists a batch of an import (parallel arrays: E.164 phones, unique within the batch, and reasons, null for none) with source import and created_at = at, and cancels the tenant''s pending calls to them. A number already listed keeps its record and only gets a reason when it had none. Returns added, already_listed (listed before this import), duplicates (listed by an earlier batch of this import: source import, created at `at`) and cancelled_calls.';

CREATE OR REPLACE FUNCTION dialer.live_check_interval()
 RETURNS interval
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select coalesce(nullif(current_setting('pgdialer.live_check_seconds', true), '')::numeric, 60) * interval '1 second' $function$;
comment on function dialer.live_check_interval() is 'How long after its last news (and after each lookup) a live call is looked up on VAPI: the setting pgdialer.live_check_seconds, 60 seconds when unset.';

CREATE OR REPLACE FUNCTION dialer.next_forward_at(at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  -- greatest() ignores nulls: a delivery without a lease is due at next_attempt_at.
  select min(greatest(forward.next_attempt_at, forward.lease_expires_at))
    from dialer.forwards forward
   where forward.state = 'pending' and greatest(forward.next_attempt_at, forward.lease_expires_at) > at
$function$;
comment on function dialer.next_forward_at(at timestamp with time zone) is 'The earliest instant after `at` at which a pending delivery becomes claimable (its next attempt, or the end of its lease); null when none is pending.';

CREATE OR REPLACE FUNCTION dialer.next_wake_at(at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$ select dialer._next_wake_at(at, null) $function$;
comment on function dialer.next_wake_at(at timestamp with time zone) is 'The earliest instant after `at` at which due_calls could change by time alone: a scheduled call''s due_at (active campaigns and direct calls), a campaign window opening or start date for calls already due, a contact''s calling hours opening, a calling rule or emergency blackout lifting, a 24-hour cap expiring, a caller number''s rest or daily limit ending when a campaign''s whole pool is held (caller_numbers_wait), a lease expiring, a call''s VAPI lookup falling due (calls.check_at; `at` itself when one with a VAPI id is due already: calls_to_reconcile takes it), the next occurrence of an active daily/weekly campaign beginning, a forward delivery becoming claimable (next_forward_at). Null when nothing is pending. Calls held only by concurrency are not counted (a call''s end wakes the worker). Nothing of a tenant whose VAPI account is stopped.';

CREATE OR REPLACE FUNCTION dialer.next_window_half_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], half text, after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select dialer.next_window_open(tz, part.half_start, part.half_end, part.half_days, after)
  from dialer._window_half(window_start, window_end, days, half) part
$function$;
comment on function dialer.next_window_half_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], half text, after timestamp with time zone) is 'The first instant >= after at which the local wall time in tz lies in the given half (''earlier'' | ''later'') of the window [window_start, window_end) of a day in days, the window split at its wall-clock midpoint (09:00-17:00 at 13:00; 22:00-02:00 at 00:00, the after-midnight half belonging to the day the window opened; all day at 12:00). DST as next_window_open. Null when days is empty or half is neither.';

CREATE OR REPLACE FUNCTION dialer.next_window_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], after timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  local_day date;
  found_at timestamptz;
begin
  if tz is null or window_start is null or window_end is null or after is null
     or days is null or not (days && array[1, 2, 3, 4, 5, 6, 7]) then
    return null;
  end if;
  if dialer.window_open(tz, window_start, window_end, days, after) then
    return after;
  end if;
  local_day := (after at time zone tz)::date;
  -- Fast path, nearly always: no change of UTC offset around the horizon, so every local time
  -- is one instant and windows open only when a scheduled day's window starts.
  if (select count(distinct dialer._utc_offset(tz, after + step * interval '1 day'))
      from generate_series(-2, 10) as step) = 1 then
    select min(candidate) into found_at
    from (select (local_day + offset_days + case when window_start = window_end then time '00:00' else window_start end)
                   at time zone tz as candidate
          from generate_series(-1, 8) as offset_days
          where extract(isodow from local_day + offset_days)::integer = any(days)) as candidates
    where candidate > after and dialer.window_open(tz, window_start, window_end, days, candidate);
    return found_at;
  end if;
  -- Around a DST change: a window opens when a scheduled day's window starts (at either reading
  -- of a repeated start time, or right after a gap), or when a fall-back transition puts the
  -- wall clock back inside a window.
  select min(candidate) into found_at
  from (
    select dialer._window_opening(tz, window_start, window_end, local_day + offset_days) as candidate
    from generate_series(-1, 8) as offset_days
    where extract(isodow from local_day + offset_days)::integer = any(days)
    union all
    select dialer._local_instants(tz, local_day + offset_days + window_start)
    from generate_series(-1, 8) as offset_days
    where extract(isodow from local_day + offset_days)::integer = any(days)
    union all
    select dialer._tz_transitions(tz, after, after + interval '10 days')
  ) as candidates
  where candidate > after and dialer.window_open(tz, window_start, window_end, days, candidate);
  return found_at;
end
$function$;
comment on function dialer.next_window_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], after timestamp with time zone) is 'after itself when window_open(...) is true then, else the earliest later instant at which it is; null when days holds no weekday 1–7. A window start in a DST gap opens at the first instant after the gap.';

CREATE OR REPLACE FUNCTION dialer.note_call_details(p_call_id uuid, p_state text, p_recheck_after interval, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
AS $function$ select dialer.record_call_details(p_call_id, '{}'::jsonb, coalesce(p_state, 'null'), p_recheck_after, at) $function$;
comment on function dialer.note_call_details(p_call_id uuid, p_state text, p_recheck_after interval, at timestamp with time zone) is 'Where an ended call''s details (transcript, recording, analysis, cost) stand. received (an end-of-call-report, or the ended Call read from VAPI): details_received_at = at, no lookup due. awaited (it ended without them, e.g. by a status-update): a lookup at at + p_recheck_after (RECONCILE_AFTER_SECONDS) unless one is armed. missing (a lookup still lacked them): checks + 1, the next lookup at at + p_recheck_after × 2^checks, none after 5 (_lookup_limits). Only for ended calls with a VAPI id whose details have not arrived; returns the new check_at.';

CREATE OR REPLACE FUNCTION dialer.note_lookup(p_call_id uuid, p_result text, p_detail text, at timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_call dialer.calls;
  v_limits record := dialer._lookup_limits();
begin
  if p_result not in ('live', 'gone', 'unresolved') then
    raise exception 'note_lookup: p_result must be live, gone or unresolved, not %', p_result using errcode = 'PD400';
  end if;
  select * into v_call from dialer.calls where id = p_call_id for update;
  if not found or v_call.status not in ('dialing', 'queued', 'ringing', 'in_progress') then
    return 'unchanged';
  end if;
  if p_result = 'live' then
    update dialer.calls set check_at = at + dialer.live_check_interval(), checks = 0 where id = p_call_id;
    return 'waiting';
  end if;
  if (p_result = 'gone' and (p_detail = 'deletion-failed' or v_call.checks + 1 >= v_limits.gone_checks))
     or (p_result = 'unresolved' and v_call.checks + 1 >= v_limits.unresolved_checks) then
    perform dialer.apply_call_result(p_call_id, null, at, 'failed',
      case p_result
        when 'gone' then 'VAPI reports the call ' || coalesce(p_detail, 'not-found') || ' (' || (v_call.checks + 1) || ' lookups)'
        else 'no VAPI lookup resolved the call in ' || (v_call.checks + 1) || ' tries: ' || coalesce(p_detail, 'unknown error')
      end);
    return 'ended';
  end if;
  update dialer.calls set check_at = at + dialer.live_check_interval(), checks = checks + 1,
                          last_error = left(p_detail, 500)
  where id = p_call_id;
  return 'waiting';
end
$function$;
comment on function dialer.note_lookup(p_call_id uuid, p_result text, p_detail text, at timestamp with time zone) is 'After reconciliation looked a live call up on VAPI without it ending: p_result live (VAPI knows it: next lookup in live_check_interval(), checks reset), gone (404 or status not-found / deletion-failed, p_detail the status) or unresolved (VAPI unreachable or erring, p_detail the error): checks + 1 and the next lookup in live_check_interval(), or, at deletion-failed, 3 gone or 30 unresolved lookups in a row (_lookup_limits), the call ends as failed (apply_call_result, ended_reason null, last_error saying why; retried as a failed call). Returns waiting, ended, or unchanged for a call not live.';

CREATE OR REPLACE FUNCTION dialer.opt_out(p_tenant_id uuid, p_phone text, p_source text, p_call_id uuid, at timestamp with time zone, p_reason text DEFAULT NULL::text, OUT phone text, OUT source text, OUT source_call_id uuid, OUT reason text, OUT created_at timestamp with time zone, OUT added boolean, OUT cancelled_calls integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
begin
  if p_source is null or p_source not in ('api', 'import', 'in-call', 'admin') then
    raise exception using errcode = 'PD400', message = format('unknown do-not-call source %L (api, import, in-call or admin)', p_source);
  end if;
  if (p_source = 'in-call') <> (p_call_id is not null) then
    raise exception using errcode = 'PD400', message = 'a call id is given for an in-call opt-out, and only for one';
  end if;
  if p_call_id is not null
     and not exists (select 1 from dialer.calls where calls.id = p_call_id and calls.tenant_id = p_tenant_id and calls.phone = p_phone) then
    raise exception using errcode = 'PD400', message = 'the call is not the tenant''s call to this number';
  end if;
  insert into dialer.dnc as existing (tenant_id, phone, reason, source, source_call_id, created_at)
  values (p_tenant_id, p_phone, p_reason, p_source, p_call_id, at)
  on conflict on constraint dnc_pkey do update
    set reason = case when excluded.source = 'api' then coalesce(excluded.reason, existing.reason)
                      else coalesce(existing.reason, excluded.reason) end
  returning existing.phone, existing.source, existing.source_call_id, existing.reason, existing.created_at, (existing.xmax = 0)
  into phone, source, source_call_id, reason, created_at, added;
  cancelled_calls := dialer._cancel_pending_calls_to(p_tenant_id, array[p_phone],
    case p_source when 'in-call' then 'opted out during a call' else 'number added to do-not-call' end, at);
end
$function$;
comment on function dialer.opt_out(p_tenant_id uuid, p_phone text, p_source text, p_call_id uuid, at timestamp with time zone, p_reason text, OUT phone text, OUT source text, OUT source_call_id uuid, OUT reason text, OUT created_at timestamp with time zone, OUT added boolean, OUT cancelled_calls integer) is 'Puts an E.164 number on the tenant''s do-not-call list from p_source (api, import, in-call with p_call_id = the tenant''s call to that number, or admin; PD400 otherwise) and cancels the tenant''s pending calls to it (scheduled, or claimed and not yet dialed). A number already listed keeps its created_at, source and source_call_id; its reason is replaced by an api listing that gives one, else only filled when missing. Returns the entry, added (false when it was already listed) and cancelled_calls.';

CREATE OR REPLACE FUNCTION dialer.opt_out_requested(p_message jsonb, p_structured_data_field text, p_tool_name text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case
    when p_message ->> 'type' = 'end-of-call-report' and p_structured_data_field is not null
         and jsonb_typeof(p_message -> 'analysis' -> 'structuredData') = 'object'
         and lower(p_message -> 'analysis' -> 'structuredData' #>> string_to_array(p_structured_data_field, '.')) = 'true'
      then format('structuredData.%s is true', p_structured_data_field)
    when p_tool_name is not null and exists (select 1 from dialer._tool_calls_of(p_message) tool_call where tool_call.name = p_tool_name)
      then format('the assistant called %s', p_tool_name)
    when p_message ->> 'type' = 'end-of-call-report' and p_tool_name is not null
         and jsonb_typeof(p_message -> 'artifact' -> 'messages') = 'array'
         and exists (
           select 1
           from jsonb_array_elements(p_message -> 'artifact' -> 'messages') message
           cross join lateral jsonb_array_elements(case when jsonb_typeof(message -> 'toolCalls') = 'array' then message -> 'toolCalls' end) tool_call
           where message ->> 'role' = 'tool_calls'
             and coalesce(tool_call -> 'function' ->> 'name', tool_call ->> 'name') = p_tool_name)
      then format('the assistant called %s', p_tool_name)
  end
$function$;
comment on function dialer.opt_out_requested(p_message jsonb, p_structured_data_field text, p_tool_name text) is 'Why a VAPI webhook message is an opt-out, or null: an end-of-call-report whose analysis.structuredData has p_structured_data_field (dots separate nested keys) true (JSON true or the string "true", any case), or a call to the tool p_tool_name (a tool-calls message, or a tool_calls entry of the report''s artifact.messages). Either setting null disables its test.';

CREATE OR REPLACE FUNCTION dialer.opt_out_tool_calls(p_message jsonb, p_tool_name text)
 RETURNS TABLE(tool_call_id text, name text)
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select distinct tool_call_id, name
  from dialer._tool_calls_of(p_message)
  where p_tool_name is not null and name = p_tool_name and tool_call_id is not null
  order by tool_call_id
$function$;
comment on function dialer.opt_out_tool_calls(p_message jsonb, p_tool_name text) is 'The calls to the tool p_tool_name in a VAPI tool-calls message (toolCallList[] and toolWithToolCallList[], every shape VAPI documents) that have an id, one row per id: what to answer. Empty for other messages or a null tool name.';

CREATE OR REPLACE FUNCTION dialer.outcome_for(ended_reason text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select dialer.class_outcome(dialer.ended_reason_class(ended_reason)) $function$;
comment on function dialer.outcome_for(ended_reason text) is 'The outcome (answered | no_answer | busy | voicemail | failed) of a VAPI endedReason: class_outcome(ended_reason_class(ended_reason)); unknown or null reasons → failed.';

CREATE OR REPLACE FUNCTION dialer.pause_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS dialer.campaigns
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status <> 'active' then
    perform dialer._refuse_transition(campaign, 'pause', 'active');
  end if;
  update dialer.campaigns set status = 'paused', updated_at = at where id = campaign.id returning * into campaign;
  return campaign;
end
$function$;
comment on function dialer.pause_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'active → paused: pending calls stay scheduled (not due while paused), live calls finish. PD404/PD409. Returns the campaign.';

CREATE OR REPLACE FUNCTION dialer.plan_occurrences(at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns;
  created integer := 0;
begin
  for campaign in
    select * from dialer.campaigns
    where status = 'active' and deleted_at is null and frequency in ('daily', 'weekly')
    order by id
    for update skip locked
  loop
    created := created + dialer._plan_occurrence(campaign, at);
    -- A recurring campaign past its last window completes once nothing of it is live.
    if campaign.ends_on is not null and dialer._campaign_next_open(campaign, at) is null then
      update dialer.calls set status = 'skipped', last_error = 'campaign ended', updated_at = at
      where campaign_id = campaign.id and status = 'scheduled';
      update dialer.campaigns set status = 'completed', finished_at = at, updated_at = at
      where id = campaign.id
        and not exists (select 1 from dialer.calls
                        where campaign_id = campaign.id and status in ('dialing', 'queued', 'ringing', 'in_progress'));
    end if;
  end loop;
  return created;
end
$function$;
comment on function dialer.plan_occurrences(at timestamp with time zone) is 'For every active daily/weekly campaign: creates the attempt-1 calls of the occurrence (local date ''YYYY-MM-DD'' for daily, ISO week ''IYYY-"W"IW'' for weekly, campaign zone) that has begun by `at` and still has a window ahead, for every member not deleted and not on dnc, due at the occurrence''s first window opening; skips scheduled calls of older occurrences; completes a campaign past its ends_on with nothing live. Idempotent (unique campaign/contact/occurrence/attempt). Returns calls created.';

CREATE OR REPLACE FUNCTION dialer.queue_forward(p_event_id bigint, p_url text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
  queued boolean;
begin
  insert into dialer.forwards (tenant_id, call_id, event_id, mode, type, url, state, next_attempt_at, created_at)
  select event.tenant_id, event.call_id, event.id, 'async', event.type, p_url, 'pending', at, at
    from dialer.call_events event
   where event.id = p_event_id and event.tenant_id is not null
  on conflict (event_id) where mode = 'async' do nothing;
  queued := found;
  if queued then
    perform pg_notify('dialer_wake', 'forward');
  end if;
  return queued;
end
$function$;
comment on function dialer.queue_forward(p_event_id bigint, p_url text, at timestamp with time zone) is 'Queues call event p_event_id for asynchronous delivery to p_url, due at `at`; false when it was queued already (a duplicate webhook). Notifies dialer_wake (''forward'') so the worker delivers it at once.';

CREATE OR REPLACE FUNCTION dialer.queue_health_at(at timestamp with time zone)
 RETURNS TABLE(queue text, ready bigint, deferred bigint, retry bigint, active bigint, completed bigint, cancelled bigint, failed bigint, failed_last_hour bigint, oldest_ready_at timestamp with time zone, oldest_ready_seconds double precision, next_start_after timestamp with time zone)
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  if to_regclass('pgboss.job') is null or to_regclass('pgboss.queue') is null then
    return;
  end if;
  return query
    select q.name,
           count(*) filter (where j.state in ('created', 'retry') and j.start_after <= at),
           count(*) filter (where j.state in ('created', 'retry') and j.start_after > at),
           count(*) filter (where j.state = 'retry'),
           count(*) filter (where j.state = 'active'),
           count(*) filter (where j.state = 'completed'),
           count(*) filter (where j.state = 'cancelled'),
           count(*) filter (where j.state = 'failed'),
           count(*) filter (where j.state = 'failed' and j.completed_on > at - interval '1 hour'),
           min(j.created_on) filter (where j.state in ('created', 'retry') and j.start_after <= at),
           extract(epoch from at - min(j.created_on) filter (where j.state in ('created', 'retry') and j.start_after <= at))::double precision,
           min(j.start_after) filter (where j.state in ('created', 'retry') and j.start_after > at)
    from pgboss.queue q
    left join pgboss.job j on j.name = q.name
    group by q.name
    order by q.name;
end
$function$;
comment on function dialer.queue_health_at(at timestamp with time zone) is 'Per pg-boss queue at `at`: jobs ready (created or retry, start_after <= at), deferred (start_after > at), retry, active, completed, cancelled, failed; failed_last_hour (failed with completed_on in the hour before at); oldest_ready_at / oldest_ready_seconds (the longest-waiting ready job); next_start_after (the next deferred job). Empty until pg-boss has created its schema.';

CREATE OR REPLACE FUNCTION dialer.receive_webhooks(p_events jsonb)
 RETURNS TABLE(ord integer, outcome text, event_id bigint, call_id uuid, ended boolean, ended_class text, opt_out_reason text, opt_out_added boolean, opt_out_cancelled integer, tool_calls jsonb, forward_queued boolean, error text)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
 SET enable_seqscan TO 'off'
AS $function$
declare
  -- What storing found, per event (index = the event's position in p_events).
  v_current boolean[];      -- authenticated with the tenant's current credential
  v_event_ids bigint[];
  v_call_ids uuid[];        -- the tenant's call the event is about, if any
  v_needs_vapi_id boolean[]; -- found by our id only: VAPI's id is to be recorded
  v_inserted boolean[];     -- new (else a duplicate of an event stored before, or earlier in p_events)
  v_forward_urls text[];    -- where the event is relayed, when the tenant relays its type
  v_call_over boolean[];    -- the call had ended (or was cancelled or skipped): terminal, it stays so
  v_advanced boolean[];     -- applied by the batch's status moves
  v_recorded boolean[];     -- applied by the batch's details
  v_moves integer[];
  v_detailed integer[];
  v_item jsonb;
  v_type text;
  v_message jsonb;
  v_carrier boolean;
  v_applied_at timestamptz;
  v_at timestamptz;
  i integer;
begin
  -- 1. Every event of a current credential stored in one statement; a new event about the
  -- tenant's call is stored as applied: should its application below fail, its handler clears
  -- applied_at in the same transaction, so no commit ever shows an event applied that was not.
  with w as (
    -- The payload as the jsonb it is: jsonb_to_record would print it and parse it again.
    select item.ord::integer as ord, x.*, decode(x.body_sha256_hex, 'hex') as body_sha256, item.value -> 'payload' as payload
    from jsonb_array_elements(p_events) with ordinality as item(value, ord)
    cross join lateral jsonb_to_record(item.value) as x(tenant_id uuid, credential_version text, vapi_call_id text,
      external_id uuid, type text, status text, event_at timestamptz, body_sha256_hex text, raw_body text,
      error text, forward boolean)
  ), checked as (
    -- Lookups by key are laterals with LIMIT 1: index scans whatever the statistics were when the
    -- plan was made (a plan kept from a session's first batch saw the tables near empty).
    select w.*, coalesce(tenant.version = w.credential_version, false) as is_current
    from w left join lateral (select dialer.webhook_credential_version(tenant) as version
                                from dialer.tenants tenant where tenant.id = w.tenant_id limit 1) tenant on true
  ), about as (
    -- A call of another tenant is not this message's business: the event is kept, nothing applied.
    select checked.*, case when call.tenant_id = checked.tenant_id then call.id end as call_id,
           call.tenant_id = checked.tenant_id and checked.vapi_call_id is not null and call.vapi_call_id is null as needs_vapi_id,
           dialer._status_rank(state.status) = 9 as call_over
    from checked left join lateral dialer.webhook_call(checked.vapi_call_id, checked.external_id) call on true
    left join lateral (select found.status from dialer.calls found where found.id = call.id limit 1) state on true
    where checked.is_current
  ), stored as (
    insert into dialer.call_events (tenant_id, call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, error, applied_at)
    select tenant_id, about.call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, about.error,
           case when about.call_id is not null and about.error is null then now() end
    from about order by about.ord
    on conflict (tenant_id, body_sha256) do nothing
    returning id, tenant_id, body_sha256
  ), placed as (
    select checked.ord, checked.is_current, about.call_id, coalesce(about.needs_vapi_id, false) as needs_vapi_id,
           coalesce(about.call_over, false) as call_over,
           coalesce(stored.id, earlier.id) as event_id,
           stored.id is not null
             and row_number() over (partition by checked.is_current, checked.tenant_id, checked.body_sha256 order by checked.ord) = 1 as inserted,
           forwarded.url as forward_url
    from checked
    left join about on about.ord = checked.ord
    left join lateral dialer.forward_urls_of(checked.tenant_id, about.call_id) forwarded on checked.is_current and checked.forward
    left join stored on checked.is_current and stored.tenant_id = checked.tenant_id and stored.body_sha256 = checked.body_sha256
    -- (The condition inside: only a duplicate is looked up.)
    left join lateral (select event.id from dialer.call_events event
                        where checked.is_current and stored.id is null
                          and event.tenant_id = checked.tenant_id and event.body_sha256 = checked.body_sha256 limit 1) earlier on true
  )
  select array_agg(placed.is_current order by placed.ord), array_agg(placed.event_id order by placed.ord),
         array_agg(placed.call_id order by placed.ord), array_agg(placed.needs_vapi_id order by placed.ord),
         array_agg(coalesce(placed.inserted, false) order by placed.ord), array_agg(placed.forward_url order by placed.ord),
         array_agg(placed.call_over order by placed.ord)
    into v_current, v_event_ids, v_call_ids, v_needs_vapi_id, v_inserted, v_forward_urls, v_call_over
  from placed;

  -- 2. The plain writes, each kind in one statement: live-status moves (a new status-update about
  -- a call no other event of the batch touches otherwise), and reports' details (a new
  -- end-of-call-report about a call already over that asks no opt-out, the only event of the
  -- batch about its call). Should one of the statements fail, its events are applied one by one below.
  with event as (
    select item.ord::integer as ord, v_call_ids[item.ord] as call_id, item.value ->> 'type' as type,
           coalesce((item.value ->> 'ended')::boolean, false) as ended, item.value ->> 'advance_to' as advance_to,
           (item.value ->> 'tenant_id')::uuid as tenant_id, item.value -> 'payload' -> 'message' as message,
           v_inserted[item.ord] and not v_needs_vapi_id[item.ord] and item.value ->> 'error' is null as plain
    from jsonb_array_elements(p_events) with ordinality as item(value, ord)
    where v_current[item.ord] and v_call_ids[item.ord] is not null
  ), kind as (
    select e.ord, e.call_id,
           case when not e.plain then null
                when e.advance_to is not null and not e.ended and coalesce(e.type, '') not in ('end-of-call-report', 'tool-calls') then 'move'
                when e.type = 'end-of-call-report' and e.ended and v_call_over[e.ord]
                     and dialer.opt_out_requested(e.message, tenant.opt_out_structured_data_field, tenant.opt_out_tool_name) is null then 'details'
           end as kind
    from event e
    left join lateral (select t.opt_out_structured_data_field, t.opt_out_tool_name from dialer.tenants t
                        where t.id = e.tenant_id and e.type = 'end-of-call-report' limit 1) tenant on true
  )
  select array_agg(k.ord order by k.ord) filter (where k.kind = 'move' and not exists (
           select from kind other where other.call_id = k.call_id and other.kind is distinct from 'move')),
         array_agg(k.ord order by k.ord) filter (where k.kind = 'details' and not exists (
           select from kind other where other.call_id = k.call_id and other.ord <> k.ord))
    into v_moves, v_detailed
  from kind k;
  v_advanced := array_fill(false, array[jsonb_array_length(p_events)]);
  v_recorded := array_fill(false, array[jsonb_array_length(p_events)]);
  if v_moves is not null then
    begin
      perform dialer.advance_call_statuses(array(select v_call_ids[m] from unnest(v_moves) m),
                                           array(select p_events -> (m - 1) ->> 'advance_to' from unnest(v_moves) m),
                                           array(select (p_events -> (m - 1) ->> 'at')::timestamptz from unnest(v_moves) m));
      foreach i in array v_moves loop
        v_advanced[i] := true;
      end loop;
    exception when others then
      null;
    end;
  end if;
  if v_detailed is not null then
    begin
      perform dialer.record_calls_details(array(select v_call_ids[m] from unnest(v_detailed) m),
                                          array(select coalesce(nullif(p_events -> (m - 1) -> 'details', 'null'), '{}') from unnest(v_detailed) m),
                                          array(select coalesce(p_events -> (m - 1) ->> 'details_state', 'null') from unnest(v_detailed) m),
                                          array(select (p_events -> (m - 1) ->> 'recheck_after')::interval from unnest(v_detailed) m),
                                          array(select (p_events -> (m - 1) ->> 'at')::timestamptz from unnest(v_detailed) m));
      foreach i in array v_detailed loop
        v_recorded[i] := true;
      end loop;
    exception when others then
      null;
    end;
  end if;

  -- 3. Each event, in order.
  for i in 1 .. coalesce(array_length(v_current, 1), 0) loop
    ord := i;
    outcome := null;
    event_id := v_event_ids[i];
    call_id := v_call_ids[i];
    ended := false;
    ended_class := null;
    opt_out_reason := null;
    opt_out_added := null;
    opt_out_cancelled := null;
    tool_calls := '[]';
    forward_queued := false;
    error := null;
    if not v_current[i] then
      outcome := 'stale';
      return next;
      continue;
    end if;
    v_item := p_events -> (i - 1);
    v_type := v_item ->> 'type';
    v_at := (v_item ->> 'at')::timestamptz;
    -- Only these carry an in-call opt-out (052); other messages cost no opt-out statement.
    v_carrier := v_type in ('end-of-call-report', 'tool-calls');
    v_applied_at := null;
    if not v_inserted[i] then
      select event.applied_at into v_applied_at from dialer.call_events event where event.id = v_event_ids[i];
    end if;
    if v_item ->> 'error' is not null then
      outcome := 'invalid';
      return next;
      continue;
    end if;

    -- Relayed later by the worker (041) when the tenant relays this type; a duplicate whose first
    -- delivery never finished may not have been queued (queue_forward is idempotent).
    if v_forward_urls[i] is not null and (v_inserted[i] or v_applied_at is null) then
      forward_queued := dialer.queue_forward(event_id, v_forward_urls[i], v_at);
    end if;

    if call_id is null then
      outcome := 'stored';
      return next;
      continue;
    end if;
    v_message := case when v_carrier then v_item -> 'payload' -> 'message' end;
    if v_applied_at is not null then
      if v_carrier then
        select opted.tool_calls into tool_calls from dialer.apply_in_call_opt_out(call_id, v_message, v_at) opted;
      end if;
      outcome := 'duplicate';
      return next;
      continue;
    end if;
    if v_advanced[i] then
      outcome := 'applied';
      return next;
      continue;
    end if;
    if v_recorded[i] then
      ended := true;
      ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      perform pg_notify(v_item ->> 'wake_channel', 'call-ended');
      outcome := 'applied';
      return next;
      continue;
    end if;

    begin
      -- Found by our id only: the worker died before recording VAPI's; tie them now, so
      -- reconciliation and later webhooks find the call by VAPI's id.
      if v_needs_vapi_id[i] then
        perform dialer.record_dialed(call_id, v_item ->> 'vapi_call_id', null, v_at);
      end if;
      -- The number is listed first, so from the moment the call reads ended no claim can dial it.
      if v_carrier then
        select opted.reason, opted.added, opted.cancelled_calls, opted.tool_calls
          into opt_out_reason, opt_out_added, opt_out_cancelled, tool_calls
          from dialer.apply_in_call_opt_out(call_id, v_message, v_at) opted;
      end if;
      if coalesce((v_item ->> 'ended')::boolean, false) and v_call_over[i] then
        -- Over already (the report after an `ended` status-update): all apply_call_result would
        -- do is record the details, so that is done without its UPDATE that finds nothing live.
        perform dialer.record_call_details(call_id, coalesce(nullif(v_item -> 'details', 'null'), '{}'),
                                           coalesce(v_item ->> 'details_state', 'null'),
                                           (v_item ->> 'recheck_after')::interval, v_at);
        ended := true;
        ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      elsif coalesce((v_item ->> 'ended')::boolean, false) then
        -- The end, its details and where they stand (record_call_details, note_call_details), in one row version.
        perform dialer.apply_call_result(p_call_id => call_id, p_ended_reason => v_item ->> 'ended_reason',
                                         p_ended_at => (v_item ->> 'ended_at')::timestamptz,
                                         p_details => coalesce(nullif(v_item -> 'details', 'null'), '{}'),
                                         p_details_state => coalesce(v_item ->> 'details_state', 'null'),
                                         p_recheck_after => (v_item ->> 'recheck_after')::interval, at => v_at);
        ended := true;
        ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      elsif v_item ->> 'advance_to' is not null then
        perform dialer.advance_call_status(call_id, v_item ->> 'advance_to', v_at);
      end if;
      -- Once more after the result, to cancel what it created (a retry of the call).
      if opt_out_reason is not null and v_type = 'end-of-call-report' then
        perform dialer.apply_in_call_opt_out(call_id, v_message, v_at);
      end if;
      if not v_inserted[i] then
        update dialer.call_events event set applied_at = now(), error = null where event.id = v_event_ids[i];
      end if;
      -- A slot is free: the worker refills it now (delivered at commit).
      if ended then
        perform pg_notify(v_item ->> 'wake_channel', 'call-ended');
      end if;
      outcome := 'applied';
    exception when others then
      get stacked diagnostics error = message_text;
      ended := false;
      ended_class := null;
      opt_out_reason := null;
      opt_out_added := null;
      opt_out_cancelled := null;
      tool_calls := '[]';
      update dialer.call_events event set applied_at = null, error = receive_webhooks.error where event.id = v_event_ids[i];
      outcome := 'failed';
    end;
    return next;
  end loop;
end
$function$;
comment on function dialer.receive_webhooks(p_events jsonb) is 'Authenticated VAPI webhooks, in one statement: p_events is a JSON array, one object per webhook, with tenant_id, credential_version, vapi_call_id, external_id (uuid or null), type, status, event_at, body_sha256_hex, payload (the body without secrets) or raw_body and error (a body that is not JSON), forward, advance_to, ended, ended_reason, ended_at, details, details_state, recheck_after (interval text), wake_channel, at. One row per webhook, by ord (its position from 1). stale (nothing done): credential_version is not webhook_credential_version of the tenant (or no such tenant): authenticate again. Otherwise the event is stored in call_events, once per tenant and body hash (all of them in one INSERT), about the call webhook_call(vapi_call_id, external_id) if it is the tenant''s; invalid: error was given. When forward and the event is new or unapplied, queued for the relay (queue_forward to forward_url_of, if any). stored: no call of the tenant, nothing applied. duplicate: applied before (or earlier in p_events); only the opt-out tool''s calls are returned again. Else applied, in order: a status-update''s advance_to about a call no other webhook of p_events touches otherwise goes with the others in one advance_call_statuses, and a new end-of-call-report about a call already over (ended or cancelled), the only webhook of p_events about it, for which opt_out_requested (with the tenant''s settings) is null, goes with the others in one record_calls_details (ended true; each kind one by one, below, should its statement fail); every other webhook in a subtransaction: VAPI''s id recorded if the call lacked one (record_dialed); for an end-of-call-report or tool-calls, apply_in_call_opt_out; with ended, apply_call_result(ended_reason, ended_at, details, details_state, recheck_after), ended_class; else advance_call_status(advance_to); an end-of-call-report that opted out is opted out again (cancelling a retry it created); the event marked applied and wake_channel notified ''call-ended'' when ended: applied. If any of it fails: failed, the event kept unapplied with error = the message.';

CREATE OR REPLACE FUNCTION dialer.record_call_details(p_call_id uuid, p_details jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$ select dialer.record_call_details(p_call_id, p_details, null, null, null) $function$;
comment on function dialer.record_call_details(p_call_id uuid, p_details jsonb) is 'Writes what VAPI reports about a call onto its row, filling in only: startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost (exact decimal), costs, costBreakdown of p_details; a missing or null field keeps what the row has; nothing to fill in writes nothing.';

CREATE OR REPLACE FUNCTION dialer.record_call_details(p_call_id uuid, p_details jsonb, p_state text, p_recheck_after interval, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
AS $function$
  select (select case when written.noted then written.check_at end
          from dialer.record_calls_details(array[p_call_id], array[p_details], array[p_state], array[p_recheck_after], array[at]) written)
$function$;
comment on function dialer.record_call_details(p_call_id uuid, p_details jsonb, p_state text, p_recheck_after interval, at timestamp with time zone) is 'What VAPI reports about a call and where its details stand, in one UPDATE (one row version): p_details fills in only (startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost exact, costs, costBreakdown; a missing or null field keeps what the row has), and p_state (received, awaited, missing) with p_recheck_after and at as note_call_details (the rules: _call_with_details). p_details ''{}'' or p_state null leaves out its part. Returns the new check_at when p_state applied, else null. (record_calls_details for one call.)';

CREATE OR REPLACE FUNCTION dialer.record_calls_details(p_call_ids uuid[], p_details jsonb[], p_states text[], p_recheck_afters interval[], p_ats timestamp with time zone[])
 RETURNS TABLE(call_id uuid, check_at timestamp with time zone, noted boolean)
 LANGUAGE plpgsql
AS $function$
begin
  perform dialer._details_state(state) from unnest(p_states) state;
  -- What _details_noted says of the new row is what it said of the old: status, vapi_call_id
  -- are not written, details_received_at only for received (noted whatever it was).
  return query
  update dialer.calls call
  set (started_at, ended_at, transcript, recording_url, summary, analysis, cost, costs, cost_breakdown, details_received_at, check_at, checks)
    = (select d.started_at, d.ended_at, d.transcript, d.recording_url, d.summary, d.analysis, d.cost, d.costs, d.cost_breakdown,
              d.details_received_at, d.check_at, d.checks
       from dialer._call_with_details(call, case when dialer._details_fill(asked.details) then asked.details end,
                                      asked.state, asked.recheck_after, asked.at) d)
  from unnest(p_call_ids, p_details, p_states, p_recheck_afters, p_ats) as asked(call_id, details, state, recheck_after, at)
  where call.id = asked.call_id and (dialer._details_fill(asked.details) or dialer._details_noted(asked.state, call))
  returning call.id, call.check_at, dialer._details_noted(asked.state, call);
end
$function$;
comment on function dialer.record_calls_details(p_call_ids uuid[], p_details jsonb[], p_states text[], p_recheck_afters interval[], p_ats timestamp with time zone[]) is 'record_call_details for many calls at once, from parallel arrays (call id, details, state, recheck after, instant; each call at most once), in one UPDATE: every state is checked first (received, awaited, missing or null; else PD400, nothing written). One row per call written: its id, its new check_at, and whether its state applied (noted). A call with nothing to fill in and no state that applies is not written.';

CREATE OR REPLACE FUNCTION dialer.record_dialed(p_call_id uuid, p_vapi_call_id text, p_vapi_status text, at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
AS $function$ select exists (select from dialer.record_dials(array[p_call_id], array[p_vapi_call_id], array[p_vapi_status], at)) $function$;
comment on function dialer.record_dialed(p_call_id uuid, p_vapi_call_id text, p_vapi_status text, at timestamp with time zone) is 'Stores VAPI''s call id (and status, if none yet) on a dialed call; dialing → queued and the lease is cleared; a status a webhook already moved further is kept. False when the call does not exist or already holds another VAPI id.';

CREATE OR REPLACE FUNCTION dialer.record_dials(p_call_ids uuid[], p_vapi_call_ids text[], p_vapi_statuses text[], at timestamp with time zone)
 RETURNS SETOF uuid
 LANGUAGE sql
AS $function$
  update dialer.calls call
  set vapi_call_id = dialed.vapi_call_id,
      vapi_status = coalesce(call.vapi_status, dialed.vapi_status),
      status = case when call.status = 'dialing' then 'queued' else call.status end,
      lease_expires_at = case when call.status = 'dialing' then null else call.lease_expires_at end,
      check_at = case when call.status in ('dialing', 'queued', 'ringing', 'in_progress')
                      then at + dialer.live_check_interval() else call.check_at end,
      checks = 0,
      updated_at = at
  from unnest(p_call_ids, p_vapi_call_ids, p_vapi_statuses) as dialed(call_id, vapi_call_id, vapi_status)
  where call.id = dialed.call_id and (call.vapi_call_id is null or call.vapi_call_id = dialed.vapi_call_id)
  returning call.id
$function$;
comment on function dialer.record_dials(p_call_ids uuid[], p_vapi_call_ids text[], p_vapi_statuses text[], at timestamp with time zone) is 'record_dialed for many calls at once, from parallel arrays (call id, VAPI call id, VAPI status or null): stores each VAPI id (and status, if none yet), dialing → queued with the lease cleared, the first VAPI lookup armed (check_at = at + live_check_interval()), a status a webhook already moved further kept; returns the ids recorded (a call missing or already holding another VAPI id is not). A call id must appear once.';

CREATE OR REPLACE FUNCTION dialer.record_forward_attempt(p_id bigint, at timestamp with time zone, p_status integer, p_error text, p_duration_ms integer, base interval, cap interval, give_up_after interval)
 RETURNS text
 LANGUAGE sql
AS $function$
  update dialer.forwards forward
     set state = case when p_error is null then 'delivered'
                      when at >= forward.created_at + give_up_after then 'failed'
                      else 'pending' end,
         next_attempt_at = case when p_error is null or at >= forward.created_at + give_up_after then null
                                else dialer.forward_retry_at(forward.attempts, at, base, cap) end,
         delivered_at = case when p_error is null then at end,
         lease_expires_at = null,
         last_status = p_status,
         last_error = left(p_error, 2000),
         last_duration_ms = p_duration_ms
   where forward.id = p_id and forward.state = 'pending'
  returning forward.state
$function$;
comment on function dialer.record_forward_attempt(p_id bigint, at timestamp with time zone, p_status integer, p_error text, p_duration_ms integer, base interval, cap interval, give_up_after interval) is 'Records one delivery attempt at `at`: p_error null = delivered; otherwise pending again at forward_retry_at(attempts, at, base, cap), or failed for good once `at` is give_up_after past the delivery''s creation. Returns the new state (null when the row was not pending).';

CREATE OR REPLACE FUNCTION dialer.record_sync_forward(p_event_id bigint, p_url text, at timestamp with time zone, p_status integer, p_error text, p_duration_ms integer)
 RETURNS bigint
 LANGUAGE sql
AS $function$
  insert into dialer.forwards (tenant_id, call_id, event_id, mode, type, url, state, attempts, last_attempt_at,
                               last_status, last_error, last_duration_ms, delivered_at, created_at)
  select event.tenant_id, event.call_id, event.id, 'sync', event.type, p_url,
         case when p_error is null then 'delivered' else 'failed' end, 1, at,
         p_status, left(p_error, 2000), p_duration_ms, case when p_error is null then at end, at
    from dialer.call_events event
   where event.id = p_event_id and event.tenant_id is not null
  returning id
$function$;
comment on function dialer.record_sync_forward(p_event_id bigint, p_url text, at timestamp with time zone, p_status integer, p_error text, p_duration_ms integer) is 'Records a request-response message relayed synchronously: delivered when p_error is null (the target answered 2xx with JSON), else failed (VAPI got pgdialer''s error answer). Returns the forwards row id.';

CREATE OR REPLACE FUNCTION dialer.release_call(p_call_id uuid, p_due_at timestamp with time zone, p_error text)
 RETURNS boolean
 LANGUAGE sql
AS $function$
  with released as (
    update dialer.calls
    set status = 'scheduled', due_at = p_due_at, claimed_at = null, lease_expires_at = null, dial_started_at = null,
        dispatch_failures = dispatch_failures + 1, last_error = p_error
    where id = p_call_id and status = 'dialing' and vapi_call_id is null
    returning 1
  )
  select exists (select 1 from released)
$function$;
comment on function dialer.release_call(p_call_id uuid, p_due_at timestamp with time zone, p_error text) is 'Puts a claimed call whose dial surely did not reach VAPI back to scheduled at p_due_at: lease and dial_started_at cleared, dispatch_failures + 1, last_error = p_error. Only from dialing without a VAPI id; returns whether it did.';

CREATE OR REPLACE FUNCTION dialer.rest_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, p_until timestamp with time zone, p_reason text, at timestamp with time zone)
 RETURNS dialer.phone_numbers
 LANGUAGE plpgsql
AS $function$
declare
  v_number dialer.phone_numbers;
begin
  if p_until is not null and p_until <= at then
    raise exception 'until must be later than now' using errcode = 'PD400', column = 'until';
  end if;
  update dialer.phone_numbers
  set rested_until = p_until, rest_reason = case when p_until is null then null else p_reason end,
      consecutive_unanswered = 0, updated_at = at
  where tenant_id = p_tenant_id and vapi_phone_number_id = lower(p_vapi_phone_number_id)
  returning * into v_number;
  if not found then
    raise exception 'phone number not found' using errcode = 'PD404';
  end if;
  return v_number;
end
$function$;
comment on function dialer.rest_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, p_until timestamp with time zone, p_reason text, at timestamp with time zone) is 'Rests a registered number until p_until with p_reason (its calls go to other pool numbers meanwhile), or lifts its rest when p_until is null; resets its unanswered count. PD400 (column until) when p_until is not after at; PD404 unknown number.';

CREATE OR REPLACE FUNCTION dialer.resume_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS dialer.campaigns
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status <> 'paused' then
    perform dialer._refuse_transition(campaign, 'resume', 'paused');
  end if;
  update dialer.campaigns set status = 'active', updated_at = at where id = campaign.id returning * into campaign;
  perform dialer._plan_occurrence(campaign, at);
  if campaign.frequency = 'once' then
    perform dialer._complete_once_campaign(campaign.id, at);
    select * into campaign from dialer.campaigns where id = campaign.id;
  end if;
  return campaign;
end
$function$;
comment on function dialer.resume_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'paused → active; a recurring campaign plans its current occurrence; a once campaign with nothing left becomes completed. PD404/PD409. Returns the campaign.';

CREATE OR REPLACE FUNCTION dialer.retry_due_at(p_campaign_id uuid, p_next_attempt integer, p_outcome text, p_ended_at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  select dialer._retry_due_at(campaign, p_next_attempt, p_outcome, p_ended_at)
  from dialer.campaigns campaign
  where campaign.id = p_campaign_id
$function$;
comment on function dialer.retry_due_at(p_campaign_id uuid, p_next_attempt integer, p_outcome text, p_ended_at timestamp with time zone) is 'When attempt p_next_attempt of a campaign''s contact would be due if the previous attempt ended at p_ended_at with p_outcome (no_answer, busy, voicemail, failed): the retry-sequence entry p_next_attempt - 1 (after_minutes from the end, shift_window later|earlier: the first instant from then in that half of the window on an allowed day), else the per-outcome delay. Whether the outcome is retried at all is apply_call_result''s (retry_outcomes, max_attempts). Null for an unknown campaign.';

CREATE OR REPLACE FUNCTION dialer.schedule_new_members(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('active', 'paused') then
    return 0;
  end if;
  if campaign.frequency = 'once' then
    return dialer._schedule_once(campaign, at, true);
  end if;
  return dialer._plan_occurrence(campaign, at);
end
$function$;
comment on function dialer.schedule_new_members(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'After an import: for an active or paused campaign, creates calls for members without any yet (once: due at `at`; daily/weekly: in the current occurrence if it has begun, else they join the next). Returns calls created; 0 for draft (start creates them), stopped or completed. PD404 unknown campaign.';

CREATE OR REPLACE FUNCTION dialer.start_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS dialer.campaigns
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('draft', 'stopped') then
    perform dialer._refuse_transition(campaign, 'start', 'draft or stopped');
  end if;
  update dialer.campaigns
  set status = 'active', started_at = coalesce(started_at, at), finished_at = null, updated_at = at
  where id = campaign.id
  returning * into campaign;
  if campaign.frequency = 'once' then
    perform dialer._schedule_once(campaign, at, false);
  else
    perform dialer._plan_occurrence(campaign, at);
  end if;
  return campaign;
end
$function$;
comment on function dialer.start_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'draft|stopped → active (started_at kept from the first start). once: creates calls due at `at` for members not yet finished (on a restart, in a new occurrence ''once-<n>'' continuing their attempt count); daily/weekly: plans the current occurrence. PD404 unknown campaign, PD409 other statuses. Returns the campaign.';

CREATE OR REPLACE FUNCTION dialer.start_import(p_tenant_id uuid, p_campaign_id uuid, p_filename text, p_at timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
AS $function$
declare
  v_status text;
  v_import_id uuid;
begin
  select status into v_status
  from dialer.campaigns
  where id = p_campaign_id and tenant_id = p_tenant_id and deleted_at is null;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  if v_status = 'completed' then
    raise exception using errcode = 'PD409', message = 'the campaign is completed: it takes no new contacts';
  end if;
  insert into dialer.imports (tenant_id, campaign_id, filename, created_at)
  values (p_tenant_id, p_campaign_id, left(p_filename, 255), p_at)
  returning id into v_import_id;
  return v_import_id;
end
$function$;
comment on function dialer.start_import(p_tenant_id uuid, p_campaign_id uuid, p_filename text, p_at timestamp with time zone) is 'Records a new import (status running) into a campaign of the tenant; PD404 when the campaign is not the tenant''s or is deleted, PD409 when it is completed. Returns the import id.';

CREATE OR REPLACE FUNCTION dialer.stop_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone)
 RETURNS dialer.campaigns
 LANGUAGE plpgsql
AS $function$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('active', 'paused') then
    perform dialer._refuse_transition(campaign, 'stop', 'active or paused');
  end if;
  update dialer.calls set status = 'cancelled', updated_at = at
  where campaign_id = campaign.id and status = 'scheduled';
  update dialer.campaigns set status = 'stopped', finished_at = at, updated_at = at
  where id = campaign.id returning * into campaign;
  return campaign;
end
$function$;
comment on function dialer.stop_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamp with time zone) is 'active|paused → stopped (finished_at = at): scheduled calls → cancelled, live calls finish. PD404/PD409. Returns the campaign.';

CREATE OR REPLACE FUNCTION dialer.webhook_call(p_vapi_call_id text, p_external_id uuid)
 RETURNS TABLE(id uuid, tenant_id uuid, vapi_call_id text)
 LANGUAGE sql
 STABLE
AS $function$
  select id, tenant_id, vapi_call_id from (
    select id, tenant_id, vapi_call_id, 1 as rank from dialer.calls where vapi_call_id = p_vapi_call_id
    union all
    select id, tenant_id, vapi_call_id, 2 from dialer.calls where id = p_external_id
  ) candidates order by rank limit 1
$function$;
comment on function dialer.webhook_call(p_vapi_call_id text, p_external_id uuid) is 'The call a webhook is about: the one with VAPI''s id p_vapi_call_id, else the one whose id is p_external_id (customer.externalId); no row when neither exists. Of any tenant: the caller checks it is the webhook''s.';

CREATE OR REPLACE FUNCTION dialer.webhook_credential_version(p_tenant dialer.tenants)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
  select md5(row(p_tenant.webhook_auth_type, p_tenant.webhook_secret_encrypted, p_tenant.webhook_credential_id,
                 p_tenant.webhook_auth_options, p_tenant.forward_messages)::text)
$function$;
comment on function dialer.webhook_credential_version(p_tenant dialer.tenants) is 'A fingerprint of what the webhook receiver keeps of a tenant (webhook_auth_type, webhook_secret_encrypted, webhook_credential_id, webhook_auth_options, forward_messages): it changes whenever any of them does.';

CREATE OR REPLACE FUNCTION dialer.why_not(at timestamp with time zone)
 RETURNS TABLE(call_id uuid, tenant_id uuid, campaign_id uuid, contact_id uuid, phone text, due_at timestamp with time zone, reason text, until timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  with campaign_state as materialized (
    -- Campaign rules once per campaign with scheduled calls.
    select campaign.id, campaign as campaign_row,
           dialer.window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, at) as window_open,
           dialer._campaign_day(campaign, at) as day,
           dialer._occurrence_label(campaign, dialer._campaign_day(campaign, at)) as occurrence,
           (select count(*) from dialer.calls live
            where live.campaign_id = campaign.id and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) as live,
           numbers.reason as numbers_reason, numbers.until as numbers_until -- every pool number held (033)
    from dialer.campaigns campaign
    left join lateral dialer.caller_numbers_wait(campaign, at) numbers on true
    where exists (select 1 from dialer.calls call where call.campaign_id = campaign.id and call.status = 'scheduled')
  ), tenant_state as materialized (
    select tenant.id, tenant.contact_hours_start, tenant.contact_hours_end, tenant.max_calls_per_number_per_24h as cap,
           dialer._vapi_account_ok(tenant) as vapi_ok,
           tenant.call_type, tenant.automated_voice, tenant.disabled_rules,
           dialer._tenant_limit(tenant) - (select count(*) from dialer.calls live
                                           where live.tenant_id = tenant.id
                                             and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) as room
    from dialer.tenants tenant
  ), held as materialized (
    select call.id, call.tenant_id, call.campaign_id, call.contact_id, call.phone, call.due_at, call.retry_step, call.attempt, state.campaign_row,
           state.numbers_reason, state.numbers_until,
           tenant.contact_hours_start, tenant.contact_hours_end, tenant.cap, zones.zones, profile.*, gate.blocked_by,
           case
             when not tenant.vapi_ok then 'VAPI account stopped'
             when (state.campaign_row).deleted_at is not null then 'campaign deleted'
             when (state.campaign_row).status <> 'active' then 'campaign ' || (state.campaign_row).status
             -- A retry planned by a sequence step waits for that step first (its due time was
             -- chosen for the window); only the holds that outlast it are named before it.
             when call.retry_step is not null and call.due_at > at
                  and not coalesce(state.day > (state.campaign_row).ends_on, false)
                  and call.attempt <= (state.campaign_row).max_attempts
                  and contact.deleted_at is null and not gate.on_dnc then 'retry not due'
             when state.day < (state.campaign_row).starts_on then 'before start date'
             when state.day > (state.campaign_row).ends_on then 'after end date'
             when state.day = any((state.campaign_row).blackout_dates) then 'blackout date'
             when not state.window_open then 'window closed'
             when call.attempt > (state.campaign_row).max_attempts then 'over max attempts'
             when (state.campaign_row).frequency <> 'once' and call.occurrence <> state.occurrence then 'occurrence over'
             when contact.deleted_at is not null then 'contact deleted'
             when not dialer._hours_open(zones.zones, tenant.contact_hours_start, tenant.contact_hours_end, at) then 'contact hours closed'
             when gate.on_dnc then 'do not call'
             when gate.blocked_by is not null then 'calling rule'
             when gate.dials_24h >= tenant.cap then '24-hour cap'
             when gate.live_call then 'live call to the same number'
             when state.live >= (state.campaign_row).max_concurrency then 'campaign concurrency full'
             when tenant.room <= 0 then 'tenant concurrency full'
             when state.numbers_reason is not null then 'caller numbers'
             when call.due_at > at and call.attempt > 1 then 'retry not due'
             when call.due_at > at then 'not due'
           end as reason
    from (select * from dialer.calls where status = 'scheduled' offset 0) call
    join tenant_state tenant on tenant.id = call.tenant_id
    join dialer.contacts contact on contact.id = call.contact_id
    left join campaign_state state on state.id = call.campaign_id
    cross join lateral (
      select dialer._contact_zones(contact.time_zone, contact.possible_time_zones, (state.campaign_row).time_zone) as zones
    ) zones
    cross join lateral (
      select contact.jurisdictions,
             dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, (state.campaign_row).time_zone) as rule_zones,
             coalesce((state.campaign_row).call_type, tenant.call_type) as call_type,
             coalesce((state.campaign_row).automated_voice, tenant.automated_voice) as automated,
             tenant.disabled_rules || coalesce((state.campaign_row).disabled_rules, '{}') as disabled_rules,
             coalesce((state.campaign_row).subject, '') as subject, coalesce(contact.person_key, contact.id::text) as person
    ) profile
    cross join lateral dialer._call_gate(call.tenant_id, call.phone, profile.jurisdictions, profile.rule_zones, profile.call_type,
                                         profile.automated, profile.disabled_rules, profile.subject, profile.person, at) gate
  ), rule_windows_open as materialized (
    -- When the windows and blackouts of held calls' rules next allow them, once per distinct place
    -- and profile (no number or person: caps are the next CTE's), called from a LATERAL behind
    -- OFFSET 0 so it runs once per group, not per call.
    select places.*, next_allowed.opens_at
    from (select distinct tenant_id, jurisdictions, rule_zones, call_type, automated, disabled_rules
          from held where reason = 'calling rule' offset 0) places
    cross join lateral (select dialer._rules_next_allowed(places.tenant_id, null, places.jurisdictions, places.rule_zones, places.call_type,
                                                          places.automated, places.disabled_rules, null, null, at) as opens_at offset 0) next_allowed
  ), rule_opens as materialized (
    -- A call held by a rule whose windows are open now is held by its cap (or fails closed): then
    -- until is when the cap frees up for its number or person.
    select held.id,
           case when place.opens_at is distinct from at then place.opens_at
                else dialer._rule_cap_frees_at(rule, held.tenant_id, held.phone, held.subject, held.person, at) end as opens_at
    from held
    join rule_windows_open place
      on place.tenant_id = held.tenant_id and place.jurisdictions = held.jurisdictions and place.rule_zones = held.rule_zones
     and place.call_type = held.call_type and place.automated = held.automated and place.disabled_rules = held.disabled_rules
    left join dialer.rules rule on rule.rule_set = dialer._current_rule_set() and rule.id = held.blocked_by
    where held.reason = 'calling rule'
  ), schedule_opens as materialized (
    -- When a held campaign can dial again, once per distinct schedule.
    select (campaign_row).time_zone, (campaign_row).window_start, (campaign_row).window_end, (campaign_row).days,
           (campaign_row).starts_on, (campaign_row).ends_on, (campaign_row).blackout_dates,
           dialer._campaign_next_open(campaign_row, at) as opens_at
    from (select distinct on ((campaign_row).time_zone, (campaign_row).window_start, (campaign_row).window_end,
                              (campaign_row).days, (campaign_row).starts_on, (campaign_row).ends_on,
                              (campaign_row).blackout_dates)
                 campaign_row
          from held where reason in ('before start date', 'blackout date', 'window closed')) schedules
  ), hours_opens as materialized (
    -- When held contact hours open, once per distinct set of zones and hours.
    select zones, contact_hours_start, contact_hours_end,
           dialer._hours_next_open(zones, contact_hours_start, contact_hours_end, at) as opens_at
    from (select distinct zones, contact_hours_start, contact_hours_end from held where reason = 'contact hours closed') hours
  )
  select held.id, held.tenant_id, held.campaign_id, held.contact_id, held.phone, held.due_at,
         case when held.reason = 'calling rule' then dialer._rule_reason(held.blocked_by, held.rule_zones, at, rule.opens_at)
              -- Which step of the retry sequence the call waits for (035_retry_sequences.sql).
              when held.reason = 'retry not due' and held.retry_step is not null
                then 'retry not due: ' || dialer._retry_step_text(held.retry_step, held.attempt, (held.campaign_row).max_attempts)
              when held.reason = 'caller numbers' then held.numbers_reason
              else held.reason end,
         case held.reason
           when 'calling rule' then rule.opens_at
           when 'before start date' then schedule.opens_at
           when 'blackout date' then schedule.opens_at
           when 'window closed' then schedule.opens_at
           when 'contact hours closed' then hours.opens_at
           when '24-hour cap' then dialer._cap_frees_at(held.tenant_id, held.phone, held.cap, at)
           when 'caller numbers' then held.numbers_until
           when 'retry not due' then held.due_at
           when 'not due' then held.due_at
         end
  from held
  left join schedule_opens schedule
    on held.reason in ('before start date', 'blackout date', 'window closed')
   and schedule.time_zone = (held.campaign_row).time_zone and schedule.window_start = (held.campaign_row).window_start
   and schedule.window_end = (held.campaign_row).window_end and schedule.days = (held.campaign_row).days
   and schedule.starts_on is not distinct from (held.campaign_row).starts_on
   and schedule.ends_on is not distinct from (held.campaign_row).ends_on
   and schedule.blackout_dates = (held.campaign_row).blackout_dates
  left join rule_opens rule on rule.id = held.id
  left join hours_opens hours
    on held.reason = 'contact hours closed' and hours.zones = held.zones
   and hours.contact_hours_start = held.contact_hours_start and hours.contact_hours_end = held.contact_hours_end
  where held.reason is not null
$function$;
comment on function dialer.why_not(at timestamp with time zone) is 'Every scheduled call that will not be dialed at `at`, with the first reason that holds it back, checked in this order: VAPI account stopped (tenants.vapi_blocked_at; until null: until cleared), campaign deleted | campaign <status> (paused, draft, stopped, completed), before start date, after end date, blackout date, window closed, over max attempts, occurrence over, contact deleted, contact hours closed, do not call, a calling rule or emergency blackout (reason "<rule id>: <why>; next <local time> <zone>", or "blackout:<id>: …"), 24-hour cap, live call to the same number, campaign concurrency full, tenant concurrency full, every caller number of the pool held (caller_numbers_wait: "every caller number at its daily limit until 00:00 America/New_York", …), retry not due / not due; a retry planned by a retry-sequence step and not yet due is named right after the campaign''s status (unless past its end date, over max attempts, contact deleted or on do not call) as "retry not due: retry <n> of <max_attempts - 1> (sequence step <n>: <m> min after attempt <n>[, later|earlier half of the window])"; until = when that reason stops holding where known (next campaign window on an allowed day, next common contact hours, when every calling rule allows it, cap expiry, due_at), else null. Calls not listed are being dialed now.';

CREATE OR REPLACE FUNCTION dialer.window_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select extract(isodow from dialer._window_day(tz, window_start, window_end, at))::integer = any(days)
     and case when window_start = window_end then true
              when window_start < window_end
                then (at at time zone tz)::time >= window_start and (at at time zone tz)::time < window_end
              else (at at time zone tz)::time >= window_start or (at at time zone tz)::time < window_end end
$function$;
comment on function dialer.window_open(tz text, window_start time without time zone, window_end time without time zone, days integer[], at timestamp with time zone) is 'True when the local wall time of at in zone tz lies in [window_start, window_end) of a day in days (ISO weekdays, 1 = Monday). window_end < window_start: the window runs past midnight and belongs to the day it opens on. window_start = window_end: the whole day. DST: wall times in a gap never occur (a window starting in the gap opens right after it); repeated wall times are open both times.';
