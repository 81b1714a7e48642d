-- Contact- and number-level rules: the contact's own calling hours, and when the rolling 24-hour
-- cap on a number frees up. (Do-not-call, the cap, "never two live calls to one number" and the
-- calling rules by jurisdiction live once in dialer._call_gate, sql/024_rules.sql: an inlined
-- function whose columns are index probes per call.)

-- Internal: the zones in which a contact's calling hours are checked: its own zone; else every
-- zone its number could be in (all must allow the call); else the campaign's zone; else none
-- (a direct call to a contact with no known zone: hours are not checked, see sql/README.md).
create or replace function dialer._contact_zones(time_zone text, possible_time_zones text[], campaign_time_zone text) returns text[]
  language sql immutable parallel safe
as $$
  select case when time_zone is not null then array[time_zone]
              when cardinality(possible_time_zones) > 0 then possible_time_zones
              when campaign_time_zone is not null then array[campaign_time_zone]
              else '{}'::text[] end
$$;
comment on function dialer._contact_zones(text, text[], text) is
  'Internal: zones where a contact''s calling hours must be open: its own zone, else all its possible zones, else the campaign zone, else none.';

-- Internal: the contact's calling hours are open in every one of its zones. (PL/pgSQL: a SQL
-- function with a subquery would not be inlined and costs far more per call.)
create or replace function dialer._hours_open(zones text[], hours_start time, hours_end time, at timestamptz) returns boolean
  language plpgsql immutable parallel safe
as $$
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
$$;
comment on function dialer._hours_open(text[], time, time, timestamptz) is
  'Internal: true when calling hours [hours_start, hours_end) are open at `at` in every zone of zones (true for no zones).';

-- Internal: the earliest instant >= after at which the hours are open in all zones at once;
-- null when they never are (zones too far apart) within a few tries.
create or replace function dialer._hours_next_open(zones text[], hours_start time, hours_end time, after timestamptz) returns timestamptz
  language plpgsql immutable parallel safe
as $$
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
$$;
comment on function dialer._hours_next_open(text[], time, time, timestamptz) is
  'Internal: the earliest instant >= after at which calling hours are open in every zone of zones; null when no common hours are found.';

-- Internal: when the 24-hour cap on a number next lets one more call through (the oldest dial
-- in the window leaves it); null when the cap is not reached at `at`.
create or replace function dialer._cap_frees_at(tenant_id uuid, phone text, max_per_24h integer, at timestamptz) returns timestamptz
  language sql stable parallel safe
as $$
  select case when count(*) >= max_per_24h
              then (array_agg(dialed.dial_started_at order by dialed.dial_started_at))[count(*) - max_per_24h + 1] + interval '24 hours' end
  from dialer.calls dialed
  where dialed.tenant_id = $1 and dialed.phone = $2
    and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at
$$;
comment on function dialer._cap_frees_at(uuid, text, integer, timestamptz) is
  'Internal: the instant the per-number 24-hour cap stops holding back a call (when enough past dials leave the window); null when not capped at `at`.';

-- Internal: a tenant's effective concurrency: its own limit, lowered to what VAPI reported.
create or replace function dialer._tenant_limit(tenant dialer.tenants) returns integer
  language sql stable parallel safe
as $$ select least(tenant.concurrency_limit, coalesce(tenant.vapi_concurrency_limit, tenant.concurrency_limit)) $$;
comment on function dialer._tenant_limit(dialer.tenants) is
  'Internal: least(concurrency_limit, coalesce(vapi_concurrency_limit, concurrency_limit)).';
