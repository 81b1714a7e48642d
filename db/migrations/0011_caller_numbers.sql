-- Up Migration
-- Caller-number pools (issue 13): a per-tenant registry of the VAPI phone numbers a campaign may
-- call from, with optional limits, and a campaign's pool of them. Which number a call uses is
-- chosen at claim time (sql/033_caller_numbers.sql) and recorded on the call (calls.phone_number_id,
-- which direct calls already carried).

create table dialer.phone_numbers (
  tenant_id uuid not null,
  vapi_phone_number_id text not null,
  number text not null,
  -- Derived from number by the trigger of sql/033_caller_numbers.sql (the jurisdiction mapping of
  -- sql/024_jurisdictions.sql): NANP area code, candidate jurisdictions and their zones.
  area_code text,
  jurisdictions text[] not null default '{}',
  state text,
  country text,
  country_calling_code text,
  time_zone text not null,
  label text,
  max_concurrent_calls integer,
  max_calls_per_day integer,
  rest_after_unanswered integer,
  rest_minutes integer not null default 1440,
  consecutive_unanswered integer not null default 0,
  -- Calls claimed on the number in its local day calls_day (the claim counts them under the
  -- tenant's claim lock), so the daily limit is read without counting the history.
  calls_today integer not null default 0,
  calls_day date,
  rested_until timestamptz,
  rest_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint phone_numbers_pkey primary key (tenant_id, vapi_phone_number_id),
  constraint phone_numbers_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint phone_numbers_number_unique unique (tenant_id, number),
  constraint phone_numbers_vapi_id_uuid check (vapi_phone_number_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  constraint phone_numbers_number_e164 check (number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint phone_numbers_country_format check (country ~ '^[A-Z]{2}$'),
  constraint phone_numbers_calling_code_format check (country_calling_code ~ '^[1-9][0-9]{0,2}$'),
  constraint phone_numbers_calls_today_non_negative check (calls_today >= 0),
  constraint phone_numbers_time_zone_valid check (dialer._is_time_zone(time_zone)),
  constraint phone_numbers_label_length check (length(label) between 1 and 200),
  constraint phone_numbers_max_concurrent_range check (max_concurrent_calls between 1 and 10000),
  constraint phone_numbers_max_per_day_range check (max_calls_per_day between 1 and 1000000),
  constraint phone_numbers_rest_after_range check (rest_after_unanswered between 1 and 1000),
  constraint phone_numbers_rest_minutes_range check (rest_minutes between 1 and 525600),
  constraint phone_numbers_unanswered_non_negative check (consecutive_unanswered >= 0),
  constraint phone_numbers_rest_reason_length check (length(rest_reason) <= 500)
);
comment on table dialer.phone_numbers is
  'A tenant''s registry of caller numbers (VAPI phone numbers): E.164 number, derived area code / jurisdictions / country, the zone its local day is counted in, optional limits (max concurrent calls, max calls per local day, rest after N consecutive unanswered calls for rest_minutes), and its rest (rested_until, rest_reason).';
comment on column dialer.phone_numbers.time_zone is
  'The zone of the number''s local day (max_calls_per_day counts calls claimed since local midnight here, and a daily-limit rest ends at the next one): given, else the first zone of its area code, else UTC.';
comment on column dialer.phone_numbers.consecutive_unanswered is
  'Calls in a row that ended no_answer or busy (answered or voicemail resets it); at rest_after_unanswered the number rests for rest_minutes.';

-- A campaign's pool: phone_number_id stays the first (and the one-number form).
alter table dialer.campaigns
  add column phone_number_ids text[];
update dialer.campaigns set phone_number_ids = array[phone_number_id];
alter table dialer.campaigns
  alter column phone_number_ids set not null,
  add constraint campaigns_pool_first check (phone_number_ids[1] = phone_number_id),
  add constraint campaigns_pool_size check (cardinality(phone_number_ids) between 1 and 500);
comment on column dialer.campaigns.phone_number_ids is
  'The caller numbers the campaign may call from (phone_number_id is the first). Registered numbers (dialer.phone_numbers) are chosen by local presence and limits; a campaign whose only number is unregistered calls from it without limits.';

-- Per-number usage probes of the claim: live calls, and calls claimed since local midnight.
create index calls_number_live_idx on dialer.calls (tenant_id, phone_number_id)
  where phone_number_id is not null and status in ('dialing', 'queued', 'ringing', 'in_progress');
create index calls_number_claimed_idx on dialer.calls (tenant_id, phone_number_id, claimed_at)
  where phone_number_id is not null and claimed_at is not null;

-- Down Migration
drop index dialer.calls_number_claimed_idx;
drop index dialer.calls_number_live_idx;
alter table dialer.campaigns drop constraint campaigns_pool_size, drop constraint campaigns_pool_first, drop column phone_number_ids;
drop table dialer.phone_numbers;
