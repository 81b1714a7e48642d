-- Calling rules by jurisdiction (dialer.rules, loaded by migration per rule set) and the one gate
-- every scheduling function joins: _call_gate. Each rule of "may this number be called now" is
-- written once, in _call_gate; due_calls, claim_calls, why_not, next_wake_at and calling_allowed
-- all read it.
--
-- Why _call_gate is shaped as it is: it is a set-returning SQL function whose body is a single
-- SELECT of scalar subqueries and no FROM. The planner inlines it into the caller (a LATERAL
-- subquery, then pulled up), and each column becomes a correlated SubPlan: an index probe per
-- call (dnc_pkey, calls_live_idx, calls_number_dialed_idx, rules_jurisdiction_idx, …). A
-- `WHERE NOT EXISTS` inside an inlined function would instead be pulled up into an anti-join,
-- which the planner may run as a hash of the tenant's whole do-not-call list (a sequential scan
-- of dnc; an earlier attempt did exactly that). EXISTS is avoided even in the target list: the
-- planner may turn a correlated EXISTS into a hashed subplan over the whole table (it did, for
-- dnc), so each yes/no probe is a scalar `(select true … ) is not null`. The rule set in force is
-- read as max(rules.rule_set) (an index probe of rules_pkey). Tests read EXPLAIN to keep it so.

-- Internal: whether a rule covers a call: its call types (none named = both) and, when it names
-- 'automated', only calls made by an automated voice.
create or replace function dialer._rule_applies(rule dialer.rules, call_type text, automated boolean) returns boolean
  language sql immutable parallel safe
as $$
  select (not (rule.applies_to && '{solicitation,informational}'::text[]) or call_type = any(rule.applies_to))
     and (not ('automated' = any(rule.applies_to)) or automated)
$$;
comment on function dialer._rule_applies(dialer.rules, text, boolean) is
  'Internal: the rule covers a call of call_type (solicitation | informational) by an automated voice or not.';

-- Internal: the rule is in force on a local date (effective_from..effective_to).
create or replace function dialer._rule_in_effect(rule dialer.rules, day date) returns boolean
  language sql immutable parallel safe
as $$ select (rule.effective_from is null or day >= rule.effective_from) and (rule.effective_to is null or day <= rule.effective_to) $$;
comment on function dialer._rule_in_effect(dialer.rules, date) is 'Internal: the local date is within the rule''s effective_from..effective_to.';

-- Internal: the local minutes a rule allows on a local date: its weekday's windows, or on a
-- holiday of its calendar (on one of its holiday_days) its holiday windows; every minute on a day
-- it is not in force; null for a rule without windows.
create or replace function dialer._rule_day_windows(rule dialer.rules, day date) returns int4multirange
  language sql stable parallel safe
as $$
  select case when rule.windows is null then null
              when not dialer._rule_in_effect(rule, day) then int4multirange(int4range(0, 1440))
              when rule.windows[8] is not null and extract(isodow from day)::integer = any(rule.holiday_days)
                   and dialer._holiday_on(rule.rule_set, rule.holiday_calendar, day) is not null then rule.windows[8]
              else rule.windows[extract(isodow from day)::integer] end
$$;
comment on function dialer._rule_day_windows(dialer.rules, date) is
  'Internal: the allowed local minutes [start, end) of a rule on a local date (holiday windows on its holidays; all day when it is not in force); null when the rule has no windows.';

-- Internal: a rule's windows are open at `at` in every zone (the wall clock of each; no zones:
-- nothing to check). PL/pgSQL, like _hours_open: a loop over zones in SQL would be a subquery,
-- and a SQL function with one is not inlined.
create or replace function dialer._rule_open(rule dialer.rules, zones text[], at timestamptz) returns boolean
  language plpgsql stable parallel safe
as $$
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
$$;
comment on function dialer._rule_open(dialer.rules, text[], timestamptz) is
  'Internal: true when the local wall time of at lies in the rule''s windows of that local day in every zone of zones (true for a rule without windows or no zones).';

-- Internal: the zones where a contact's calling rules are checked: its own zone, else every zone
-- its number may be in, else the zones of its jurisdictions (region_zones: a number without an
-- area code whose state is known), else the campaign's zone.
create or replace function dialer._rule_zones(time_zone text, possible_time_zones text[], region_zones text[], campaign_time_zone text)
returns text[]
  language sql immutable parallel safe
as $$
  select case when time_zone is not null then array[time_zone]
              when cardinality(possible_time_zones) > 0 then possible_time_zones
              when cardinality(region_zones) > 0 then region_zones
              when campaign_time_zone is not null then array[campaign_time_zone]
              else '{}'::text[] end
$$;
comment on function dialer._rule_zones(text, text[], text[], text) is
  'Internal: zones where calling rules are checked: the contact''s zone, else its possible zones, else its jurisdictions'' zones, else the campaign zone, else none.';

-- Internal: the jurisdictions whose rules a contact gets: its candidates, or with none the
-- documented default, the US federal pack.
create or replace function dialer._effective_jurisdictions(jurisdictions text[]) returns text[]
  language sql immutable parallel safe
as $$ select case when cardinality(jurisdictions) > 0 then jurisdictions else '{US}'::text[] end $$;
comment on function dialer._effective_jurisdictions(text[]) is
  'Internal: a contact''s candidate jurisdictions, or {US} (the federal pack) when it has none.';

-- Why: the single definition of the per-number and per-person rules of the gate (see the head of
-- this file for its shape). Columns:
--   on_dnc      the number is on the tenant's do-not-call list
--   live_call   a call to the number is live (dialing, queued, ringing, in_progress)
--   dials_24h   calls to the number started in the 24 hours up to at (the tenant's cap is compared by the caller)
--               (per-number caps count started dials, per-person caps count claims: calls.claimed_at)
--   blocked_by  'blackout:<id>' of an emergency blackout in force for a candidate jurisdiction, else the
--               id of the first rule (by id) of the rule set in force that forbids the call: it demands a
--               known jurisdiction and the contact has none (fail closed), outside its windows in a zone,
--               or its cap reached; null when every rule allows it
create or replace function dialer._call_gate(
  p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean,
  p_disabled_rules text[], p_subject text, p_person text, at timestamptz
) returns table(on_dnc boolean, live_call boolean, dials_24h bigint, blocked_by text)
  language sql stable
as $$
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
$$;
comment on function dialer._call_gate(uuid, text, text[], text[], text, boolean, text[], text, text, timestamptz) is
  'Internal: the per-number and per-person rules of the due gate, written once: on_dnc, live_call, dials_24h (calls started in the 24 h up to at), blocked_by (an emergency blackout ''blackout:<id>'' in force for a candidate jurisdiction, else the first rule of the rule set in force that forbids the call: outside its windows in a zone of p_zones, or its cap reached, per number or per person p_person and subject p_subject; null when allowed). Inlined by the planner: each column is an index probe per call.';

-- Internal: the earliest instant >= after at which a rule's windows are open in every zone;
-- null when they never are again (within about a year).
create or replace function dialer._rule_next_open(rule dialer.rules, zones text[], after timestamptz) returns timestamptz
  language plpgsql stable parallel safe
as $$
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
$$;
comment on function dialer._rule_next_open(dialer.rules, text[], timestamptz) is
  'Internal: the earliest instant >= after at which the rule''s windows are open in every zone of zones (after itself for a rule without windows); null when that is not found within about a year.';

-- Internal: when a rule's cap next lets one more call through: the oldest counted call leaving
-- its window; null when the cap is not reached at `at`.
create or replace function dialer._rule_cap_frees_at(rule dialer.rules, p_tenant_id uuid, p_phone text, p_subject text, p_person text, at timestamptz)
returns timestamptz
  language sql stable parallel safe
as $$
  select case when count(*) >= rule.cap_max
              then (array_agg(counted.at order by counted.at))[count(*) - rule.cap_max + 1] + rule.cap_window end
  from (select dialed.dial_started_at as at from dialer.calls dialed
        where rule.cap_scope = 'number' and dialed.tenant_id = p_tenant_id and dialed.phone = p_phone
          and dialed.dial_started_at > at - rule.cap_window and dialed.dial_started_at <= at
        union all
        select claimed.claimed_at from dialer.calls claimed
        where rule.cap_scope = 'person' and claimed.tenant_id = p_tenant_id and claimed.cap_subject = p_subject
          and claimed.cap_person = p_person and claimed.claimed_at > at - rule.cap_window and claimed.claimed_at <= at) counted
$$;
comment on function dialer._rule_cap_frees_at(dialer.rules, uuid, text, text, text, timestamptz) is
  'Internal: the instant a rule''s cap (per number, or per person and subject) stops holding a call back; null when it does not hold at `at`.';

-- Internal: the earliest instant >= at at which _call_gate's blackouts and rules all allow the
-- call (do-not-call, live calls and the tenant's cap are not considered); null when never (a
-- rule whose windows never open again), or when nothing is found within 200 steps.
create or replace function dialer._rules_next_allowed(
  p_tenant_id uuid, p_phone text, p_jurisdictions text[], p_zones text[], p_call_type text, p_automated boolean,
  p_disabled_rules text[], p_subject text, p_person text, at timestamptz
) returns timestamptz
  language plpgsql stable
as $$
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
$$;
comment on function dialer._rules_next_allowed(uuid, text, text[], text[], text, boolean, text[], text, text, timestamptz) is
  'Internal: the earliest instant >= at when no blackout and no rule of _call_gate forbids the call (do-not-call, live calls and the tenant''s per-number cap aside); null if never.';

-- Internal: why a rule (or a blackout) holds a call at `at`, in words: "after 20:00 local",
-- "before 09:00 local", "no calls on Sunday", "holiday (Christmas Day)", "3 calls per 1 day per
-- person on the subject", "emergency blackout (reason) until …".
create or replace function dialer._rule_explain(p_blocked_by text, p_zones text[], at timestamptz) returns text
  language plpgsql stable
as $$
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
$$;
comment on function dialer._rule_explain(text, text[], timestamptz) is
  'Internal: a short text saying why the rule (or blackout:<id>) named by p_blocked_by holds a call at `at`.';

-- Internal: the waiting reason of a call held by a rule: "<rule>: <why>; next <local time> <zone>".
create or replace function dialer._rule_reason(p_blocked_by text, p_zones text[], at timestamptz, next_at timestamptz) returns text
  language sql stable
as $$
  select p_blocked_by || ': ' || dialer._rule_explain(p_blocked_by, p_zones, at)
         || coalesce('; next ' || to_char(next_at at time zone coalesce(p_zones[1], 'UTC'), 'YYYY-MM-DD HH24:MI') || ' '
                     || coalesce(p_zones[1], 'UTC'), '; never')
$$;
comment on function dialer._rule_reason(text, text[], timestamptz, timestamptz) is
  'Internal: the reason text of a call held by a rule or blackout: "<id>: <why>; next YYYY-MM-DD HH:MI <zone>" (or "; never").';
