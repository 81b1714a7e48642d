-- Caller-number pools (issue 13): which of a campaign's numbers a call is placed from, and when a
-- number may not be used. Table dialer.phone_numbers (migration 0011) is the tenant's registry;
-- campaigns.phone_number_ids is a campaign's pool (phone_number_id its first, the one-number form).
--
-- The rules, each written once here:
--   local presence  area code of the contact's number, else its state/province (a number's state: the
--                   first of its area code's, for the rare codes of two), else its country
--                   (the jurisdiction mapping of 024_jurisdictions.sql, for the number and the
--                   contact alike), else any number of the pool; then the least used today; then
--                   pool order;
--   a number holds  while rested (rested_until > at), at max_calls_per_day calls claimed in its
--                   local day (its time_zone), or at max_concurrent_calls live calls;
--   rests           VAPI's call.start.error-vapi-number-outbound-daily-limit (until its next local
--                   midnight), rest_after_unanswered no_answer/busy ends in a row (rest_minutes),
--                   or the tenant (POST /v1/phone-numbers/:id/rest).
-- Unregistered numbers have no limits and no place: a campaign whose pool has no registered
-- number calls from phone_number_id as before. The claim reads and counts under the tenant's
-- claim lock (030), so limits hold with several workers.

-- Internal: keeps a registered number's derived columns in step with its number.
create or replace function dialer._phone_numbers_derive() returns trigger
  language plpgsql
as $$
begin
  new.area_code := case when new.number ~ '^\+1[2-9][0-9]{9}$' then substr(new.number, 3, 3) end;
  new.jurisdictions := dialer.contact_jurisdictions(new.number, null, null);
  -- Its state/province for local presence: the first, for the rare area codes of two.
  new.state := (select code from unnest(new.jurisdictions) code where code like '__-__' order by code limit 1);
  new.country := coalesce(new.country, (select left(code, 2) from unnest(new.jurisdictions) code limit 1));
  new.country_calling_code := coalesce(new.country_calling_code,
                                       case when new.number like '+1%' then '1' end);
  new.time_zone := coalesce(new.time_zone, (dialer.contact_region_zones(new.number, new.jurisdictions))[1], 'UTC');
  return new;
end
$$;
comment on function dialer._phone_numbers_derive() is
  'Internal: trigger setting phone_numbers.area_code (NANP), jurisdictions (contact_jurisdictions), state (the first state/province of them), country and calling code when not given, and time_zone when null (the first zone of its area code or states, else UTC).';

drop trigger if exists phone_numbers_derive on dialer.phone_numbers;
create trigger phone_numbers_derive before insert or update of number, time_zone, country on dialer.phone_numbers
  for each row execute function dialer._phone_numbers_derive();

-- Internal: phone_number_id is the pool's first number; writing either keeps the other in step.
create or replace function dialer._campaigns_pool_in_step() returns trigger
  language plpgsql
as $$
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
  return new;
end
$$;
comment on function dialer._campaigns_pool_in_step() is
  'Internal: trigger keeping campaigns.phone_number_id = phone_number_ids[1]: a new pool sets the first number; a new phone_number_id alone makes it the one-number pool.';

drop trigger if exists campaigns_pool_in_step on dialer.campaigns;
create trigger campaigns_pool_in_step before insert or update of phone_number_id, phone_number_ids on dialer.campaigns
  for each row execute function dialer._campaigns_pool_in_step();

-- Internal: the first instant of the local day after the one `at` is in.
create or replace function dialer._local_day_end(tz text, at timestamptz) returns timestamptz
  language sql immutable strict parallel safe
as $$ select dialer._local_start(tz, ((at at time zone tz)::date + 1) + time '00:00') $$;
comment on function dialer._local_day_end(text, timestamptz) is
  'Internal: the next local midnight in tz after at (the start of the next local day; DST-safe).';

-- Internal: calls claimed on a number in its local day of `at` (the counter the claim keeps).
create or replace function dialer._caller_number_used_today(number dialer.phone_numbers, at timestamptz) returns integer
  language sql stable
as $$ select case when number.calls_day = (at at time zone number.time_zone)::date then number.calls_today else 0 end $$;
comment on function dialer._caller_number_used_today(dialer.phone_numbers, timestamptz) is
  'Internal: calls claimed on the number since its local midnight (time_zone) at `at`; 0 when its counter is of another day.';

-- Why: one definition of "may this number be used now, for how many more calls, and from when".
create or replace function dialer.caller_number_hold(number dialer.phone_numbers, live integer, at timestamptz)
returns table(hold text, room integer, used_today integer, free_at timestamptz)
  language sql stable
as $$
  select case when number.rested_until > at then 'resting'
              when used.today >= number.max_calls_per_day then 'daily limit'
              when live >= number.max_concurrent_calls then 'concurrent calls' end,
         case when number.rested_until > at then 0
              when least(number.max_calls_per_day - used.today, number.max_concurrent_calls - live) is null then null
              else greatest(0, least(number.max_calls_per_day - used.today, number.max_concurrent_calls - live)) end,
         used.today,
         greatest(case when number.rested_until > at then number.rested_until end,
                  case when used.today >= number.max_calls_per_day then dialer._local_day_end(number.time_zone, at) end)
  -- OFFSET 0: the local date is computed once per number, not at every use of it once inlined.
  from (select dialer._caller_number_used_today(number, at) as today offset 0) used
$$;
comment on function dialer.caller_number_hold(dialer.phone_numbers, integer, timestamptz) is
  'A registered number at `at` with `live` live calls on it: hold = resting | daily limit | concurrent calls | null (usable), checked in that order; room = calls it may still take (null: no limit; 0 when held); used_today = calls claimed since its local midnight (time_zone); free_at = when a rest or daily limit ends (the later of both; null when only concurrency holds it, or nothing).';

-- Internal: live calls on a registered number.
create or replace function dialer._caller_number_live(tenant_id uuid, vapi_phone_number_id text) returns integer
  language sql stable
as $$
  select count(*)::integer from dialer.calls live
  where live.tenant_id = $1 and live.phone_number_id = $2
    and live.status in ('dialing', 'queued', 'ringing', 'in_progress')
$$;
comment on function dialer._caller_number_live(uuid, text) is 'Internal: live calls (dialing, queued, ringing, in_progress) placed from the number.';

-- Why: "why is nobody called" must name the pool when every number of it is held.
create or replace function dialer.caller_numbers_wait(p_campaign dialer.campaigns, at timestamptz)
returns table(reason text, until timestamptz)
  language sql stable
as $$
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
$$;
comment on function dialer.caller_numbers_wait(dialer.campaigns, timestamptz) is
  'One row when every registered number of the campaign''s pool is held at `at` (caller_number_hold): reason "every caller number at its daily limit | resting | at its concurrent-call limit | at a limit (…)" with " until HH24:MI <zone>" (a date too when over a day away) of the earliest rest or daily limit to end, and until = that instant (null when only concurrency holds: a call''s end frees it). No row when some number is usable or the pool has no registered number (unlimited).';

-- Internal: walks a pool in order and stops at the first usable number (PL/pgSQL: a probe per
-- number reached, not a read of the whole pool).
create or replace function dialer._caller_pool_usable(p_campaign_id uuid, at timestamptz) returns boolean
  language plpgsql stable
as $$
declare
  v_tenant uuid;
  v_ids text[];
  v_id text;
  v_number dialer.phone_numbers;
begin
  select campaign.tenant_id, campaign.phone_number_ids into v_tenant, v_ids from dialer.campaigns campaign where campaign.id = p_campaign_id;
  foreach v_id in array coalesce(v_ids, '{}') loop
    select * into v_number from dialer.phone_numbers pn where pn.tenant_id = v_tenant and pn.vapi_phone_number_id = v_id;
    if found and (select state.hold from dialer.caller_number_hold(v_number,
                    case when v_number.max_concurrent_calls is null then 0 else dialer._caller_number_live(v_tenant, v_id) end, at) state) is null then
      return true;
    end if;
  end loop;
  return false;
end
$$;
comment on function dialer._caller_pool_usable(uuid, timestamptz) is
  'Internal: whether some registered number of the campaign''s pool is usable at `at` (caller_number_hold), walking the pool in order.';

-- Internal: the claim's per-source check (030): may the campaign's pool take a call now? A SQL
-- expression the claim inlines: a campaign with no registered number costs one index probe; only
-- a pool of registered numbers is walked (_caller_pool_usable).
create or replace function dialer._caller_pool_open(p_campaign_id uuid, at timestamptz) returns boolean
  language sql stable
as $$
  select p_campaign_id is null
      or not exists (select 1 from dialer.campaigns campaign
                     join dialer.phone_numbers pn
                       on pn.tenant_id = campaign.tenant_id and pn.vapi_phone_number_id = any(campaign.phone_number_ids)
                     where campaign.id = p_campaign_id)
      or dialer._caller_pool_usable(p_campaign_id, at)
$$;
comment on function dialer._caller_pool_open(uuid, timestamptz) is
  'Internal: true for direct calls (null), a campaign with no registered number in its pool, or one with a usable number (caller_number_hold) at `at`.';

-- Why: the number of each claimed call, chosen in claim order so each choice sees the ones before
-- it (a number's room and use move as calls are given to it). One statement reads the pools'
-- numbers with their state (caller_number_hold; live calls in one grouped read of the live-number
-- index) and, for the area codes and states of these contacts only, which pool numbers share
-- them; the choice is then a loop in memory: the contact's area-code numbers, else its states',
-- else a walk of the whole pool for the same country, else any.
create or replace function dialer.choose_caller_numbers(p_call_ids uuid[], at timestamptz)
returns table(call_id uuid, phone_number_id text)
  language plpgsql volatile
as $$
#variable_conflict use_column
declare
  n_id text[]; n_country text[]; n_calling text[]; n_room integer[]; n_used integer[]; n_used0 integer[];
  c_id uuid[]; c_pool integer[]; p_slice jsonb; v_pool jsonb; m_num integer[];
  b_num integer[]; b_slice jsonb;
  this record;
  v_slice jsonb; v_state text; v_countries text[]; v_prefixes text[];
  k integer; i integer; best integer; best_tier integer; tier integer;
begin
  -- No registered number in these calls' pools (the common case of one unregistered number): each
  -- call keeps its own number (direct) or gets its campaign's, in one statement.
  if not exists (select 1 from dialer.campaigns campaign
                 join dialer.phone_numbers pn
                   on pn.tenant_id = campaign.tenant_id and pn.vapi_phone_number_id = any(campaign.phone_number_ids)
                 where campaign.id in (select call.campaign_id from dialer.calls call where call.id = any(p_call_ids))) then
    return query
      select call.id, coalesce(campaign.phone_number_id, call.phone_number_id)
      from unnest(p_call_ids) with ordinality as chosen(id, position)
      join dialer.calls call on call.id = chosen.id
      left join dialer.campaigns campaign on campaign.id = call.campaign_id
      order by chosen.position;
    return;
  end if;

  with chosen as materialized (
    select call.campaign_id, call.tenant_id, call.phone, contact.jurisdictions
    from dialer.calls call join dialer.contacts contact on contact.id = call.contact_id
    where call.id = any(p_call_ids) and call.campaign_id is not null
  ), campaign_pools as materialized (
    -- Campaigns with the same pool (a tenant's numbers used by all its campaigns) share it: each
    -- distinct pool is read once, numbered p (ranked, not joined on the arrays).
    select campaign.id as campaign_id, campaign.tenant_id, campaign.phone_number_ids as ids,
           (dense_rank() over (order by campaign.tenant_id, campaign.phone_number_ids))::integer as p
    from dialer.campaigns campaign where campaign.id in (select campaign_id from chosen)
  ), pool_sets as materialized (
    select distinct on (p) p, tenant_id, ids from campaign_pools order by p
  ), pools as materialized (
    select pool_sets.p, pool_sets.tenant_id, member.vapi_id, member.position
    from pool_sets cross join unnest(pool_sets.ids) with ordinality as member(vapi_id, position)
  ), live as materialized (
    select call.tenant_id, call.phone_number_id, count(*)::integer as live
    from dialer.calls call
    where call.status in ('dialing', 'queued', 'ringing', 'in_progress') and call.phone_number_id is not null
      and call.tenant_id in (select tenant_id from pools)
      and call.phone_number_id in (select vapi_id from pools)
    group by 1, 2
  ), numbers as materialized (
    -- Each distinct registered number once (pools may share numbers: one read each), with its
    -- state (narrow rows: only what the choice reads), numbered n.
    select pn.tenant_id, pn.vapi_phone_number_id as id, pn.area_code, pn.state, pn.country,
           pn.country_calling_code as calling, state.room, state.used_today, (row_number() over ())::integer as n
    from (select distinct tenant_id, vapi_id from pools) wanted
    join dialer.phone_numbers pn on pn.tenant_id = wanted.tenant_id and pn.vapi_phone_number_id = wanted.vapi_id
    left join live on live.tenant_id = pn.tenant_id and live.phone_number_id = pn.vapi_phone_number_id
    cross join lateral dialer.caller_number_hold(pn, coalesce(live.live, 0), at) state
  ), numbered as materialized (
    -- Registered pool members.
    select pools.p, pools.position, numbers.n, numbers.area_code, numbers.state, numbers.used_today
    from pools join numbers on numbers.tenant_id = pools.tenant_id and numbers.id = pools.vapi_id
  ), ordered as (
    -- Each pool by use today, then pool order: the walk can stop early (see below).
    select numbered.p, numbered.n, row_number() over (order by numbered.p, numbered.used_today, numbered.position)::integer as slot
    from numbered
  ), chosen_pools as (
    select chosen.phone, chosen.jurisdictions, campaign_pools.p
    from chosen join campaign_pools on campaign_pools.campaign_id = chosen.campaign_id
  ), local_keys as (
    -- The (pool, area code) and (pool, state) the contacts have, with the pool numbers that share
    -- them, in pool order.
    select distinct p, 'a:' || substr(phone, 3, 3) as key from chosen_pools where phone ~ '^\+1[2-9][0-9]{9}$'
    union
    select distinct p, 's:' || code from chosen_pools cross join unnest(jurisdictions) code where code like '__-__'
  ), local_members as (
    -- A lookup in a jsonb set per member (its keys are searched, not scanned): a join here was
    -- planned as a nested loop over every pair, its CTEs' sizes being unknown to the planner.
    select numbered.p, member_key.key, numbered.n, numbered.position
    from numbered
    cross join lateral (values ('a:' || numbered.area_code), ('s:' || numbered.state)) as member_key(key)
    where (select jsonb_object_agg(local_keys.p || '|' || local_keys.key, true) from local_keys) ? (numbered.p || '|' || member_key.key)
  ), local_ordered as (
    select p, key, n, row_number() over (order by p, key, position)::integer as slot from local_members
  )
  select (select array_agg(id order by n) from numbers), (select array_agg(country order by n) from numbers),
         (select array_agg(calling order by n) from numbers), (select array_agg(room order by n) from numbers),
         (select array_agg(used_today order by n) from numbers),
         (select array_agg(n order by slot) from ordered),
         (select jsonb_object_agg(p::text, jsonb_build_array(first, last))
          from (select p, min(slot) as first, max(slot) as last from ordered group by p) pool_slices),
         (select array_agg(campaign_pools.campaign_id order by campaign_pools.campaign_id) from campaign_pools),
         (select array_agg(campaign_pools.p order by campaign_pools.campaign_id) from campaign_pools),
         (select array_agg(n order by slot) from local_ordered),
         (select jsonb_object_agg(p || '|' || key, jsonb_build_array(first, last))
          from (select p, key, min(slot) as first, max(slot) as last from local_ordered group by 1, 2) local_slices)
  into n_id, n_country, n_calling, n_room, n_used, m_num, p_slice, c_id, c_pool, b_num, b_slice;
  n_used0 := n_used;

  for this in
    select call.id, call.campaign_id, call.phone_number_id as own_number, campaign.phone_number_id as campaign_number, call.phone,
           contact.jurisdictions
    from unnest(p_call_ids) with ordinality as chosen(id, position)
    join dialer.calls call on call.id = chosen.id
    join dialer.contacts contact on contact.id = call.contact_id
    left join dialer.campaigns campaign on campaign.id = call.campaign_id
    order by chosen.position
  loop
    call_id := this.id;
    if this.campaign_id is null then
      phone_number_id := this.own_number;         -- a direct call keeps the number it was given
      return next;
      continue;
    end if;
    k := c_pool[array_position(c_id, this.campaign_id)];
    v_pool := p_slice -> k::text;
    if v_pool is null then
      phone_number_id := this.campaign_number;    -- no registered number in the pool: no limits
      return next;
      continue;
    end if;
    best := null;
    best_tier := null;
    -- Same area code, else same state/province: the least used of those with room.
    v_slice := case when this.phone ~ '^\+1[2-9][0-9]{9}$' then b_slice -> (k || '|a:' || substr(this.phone, 3, 3)) end;
    if v_slice is not null then
      for slot in (v_slice ->> 0)::integer .. (v_slice ->> 1)::integer loop
        i := b_num[slot];
        if (n_room[i] > 0 or n_room[i] is null) and (best is null or n_used[i] < n_used[best]) then best := i; end if;
      end loop;
    end if;
    if best is null then
      foreach v_state in array this.jurisdictions loop
        continue when v_state not like '__-__';
        v_slice := b_slice -> (k || '|s:' || v_state);
        continue when v_slice is null;
        for slot in (v_slice ->> 0)::integer .. (v_slice ->> 1)::integer loop
          i := b_num[slot];
          if (n_room[i] > 0 or n_room[i] is null) and (best is null or n_used[i] < n_used[best]) then best := i; end if;
        end loop;
      end loop;
    end if;
    if best is null then
      -- Same country (US/CA by jurisdiction, elsewhere by calling code), else any. The pool is
      -- walked by use today as it was before this claim (n_used0): a number's use only grows
      -- in the claim, so once a number used more than the best same-country one is reached,
      -- none after it can be better.
      v_countries := array(select code from unnest(this.jurisdictions) code where code like '__');
      v_prefixes := array[substr(this.phone, 2, 1), substr(this.phone, 2, 2), substr(this.phone, 2, 3)];
      for slot in (v_pool ->> 0)::integer .. (v_pool ->> 1)::integer loop
        i := m_num[slot];
        exit when best_tier = 2 and n_used0[i] > n_used[best];
        continue when n_room[i] <= 0;
        tier := case when n_country[i] = any(v_countries) or (n_calling[i] <> '1' and n_calling[i] = any(v_prefixes)) then 2 else 3 end;
        if best is null or tier < best_tier or (tier = best_tier and n_used[i] < n_used[best]) then
          best := i;
          best_tier := tier;
        end if;
      end loop;
    end if;
    continue when best is null;                   -- every number of its pool is held: it waits
    n_room[best] := n_room[best] - 1;
    n_used[best] := n_used[best] + 1;
    phone_number_id := n_id[best];
    return next;
  end loop;
end
$$;
comment on function dialer.choose_caller_numbers(uuid[], timestamptz) is
  'For calls about to be claimed, in the order given: the number each is placed from. Direct calls keep their own; a campaign call whose pool has no registered number gets phone_number_id (no limits); otherwise the registered pool number that caller_number_hold allows with the best local presence (same area code as the contact, else same state/province, else same country, else any), then the least used today, then pool order, counting the calls given before it in the same call. A call whose every pool number is held is left out (it stays scheduled).';

-- Internal: after a claim, count its calls on their numbers' daily counters.
create or replace function dialer._count_caller_number_claims(p_call_ids uuid[], at timestamptz) returns void
  language sql volatile
as $$
  update dialer.phone_numbers pn
  set calls_today = dialer._caller_number_used_today(pn, at) + used.calls,
      calls_day = (at at time zone pn.time_zone)::date
  from (select call.tenant_id, call.phone_number_id, count(*)::integer as calls
        from dialer.calls call
        where call.id = any(p_call_ids) and call.status = 'dialing' and call.claimed_at = at and call.phone_number_id is not null
        group by 1, 2) used
  where pn.tenant_id = used.tenant_id and pn.vapi_phone_number_id = used.phone_number_id
$$;
comment on function dialer._count_caller_number_claims(uuid[], timestamptz) is
  'Internal: adds the calls just claimed (dialing, claimed_at = at) to their registered numbers'' calls_today, restarting it on a new local day.';

-- Internal: what a call's end means for its number (apply_call_result, 034). Returns true when
-- VAPI refused the number for its daily limit (the call is then retried on another number).
create or replace function dialer._note_caller_number_result(p_call dialer.calls, p_class text, p_ended_reason text, at timestamptz)
returns boolean
  language plpgsql volatile
as $$
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
$$;
comment on function dialer._note_caller_number_result(dialer.calls, text, text, timestamptz) is
  'Internal: a registered number''s bookkeeping at a call''s end: VAPI''s call.start.error-vapi-number-outbound-daily-limit rests it until its next local midnight (returns true); no_answer/busy count consecutive_unanswered and at rest_after_unanswered rest it for rest_minutes (counter back to 0); answered/voicemail reset the counter.';

-- Internal: a call refused for its number's daily limit is placed again at once, with the same
-- attempt number (the refused call no longer counts as one), and the claim picks another number.
create or replace function dialer._retry_on_another_number(p_call dialer.calls, p_campaign dialer.campaigns, p_number_limited boolean, at timestamptz)
returns uuid
  language plpgsql volatile
as $$
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
$$;
comment on function dialer._retry_on_another_number(dialer.calls, dialer.campaigns, boolean, timestamptz) is
  'Internal: when p_number_limited (the number hit VAPI''s daily limit) and the campaign is active or paused: the ended call stops counting as an attempt and a call with the same attempt number is scheduled at `at`; returns its id, else null.';

-- Why: a carrier or spam flag the tenant hears of rests a number (and lifts it) through the API.
create or replace function dialer.rest_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, p_until timestamptz, p_reason text, at timestamptz)
returns dialer.phone_numbers
  language plpgsql volatile
as $$
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
$$;
comment on function dialer.rest_caller_number(uuid, text, timestamptz, text, timestamptz) is
  'Rests a registered number until p_until with p_reason (its calls go to other pool numbers meanwhile), or lifts its rest when p_until is null; resets its unanswered count. PD400 (column until) when p_until is not after at; PD404 unknown number.';

-- Why: a number can be removed only when no live call uses it; the pools it was in lose it.
create or replace function dialer.delete_caller_number(p_tenant_id uuid, p_vapi_phone_number_id text, at timestamptz) returns integer
  language plpgsql volatile
as $$
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
$$;
comment on function dialer.delete_caller_number(uuid, text, timestamptz) is
  'Removes a registered number: PD404 unknown, PD409 while a live call (dialing, queued, ringing, in_progress) uses it. It leaves every pool of two or more numbers (a campaign whose only number it is keeps it, as an unregistered number without limits); scheduled calls get another number when claimed. Serialised with the tenant''s claims. Returns the pools changed.';

-- Why: an answer rate per caller number shows a number carriers flag as spam.
create or replace view dialer.caller_number_progress as
select call.tenant_id, call.campaign_id, call.phone_number_id, pn.number,
       count(*) filter (where call.status = 'ended' and call.counts_as_attempt) as calls,
       count(*) filter (where call.outcome = 'answered') as answered,
       count(*) filter (where call.outcome = 'no_answer') as no_answer,
       count(*) filter (where call.outcome = 'busy') as busy,
       count(*) filter (where call.outcome = 'voicemail') as voicemail,
       count(*) filter (where call.outcome = 'failed') as failed,
       count(*) filter (where call.status in ('dialing', 'queued', 'ringing', 'in_progress')) as in_flight,
       round(count(*) filter (where call.outcome = 'answered')::numeric
             / nullif(count(*) filter (where call.status = 'ended' and call.counts_as_attempt), 0), 4) as answer_rate
from dialer.calls call
left join dialer.phone_numbers pn on pn.tenant_id = call.tenant_id and pn.vapi_phone_number_id = call.phone_number_id
where call.phone_number_id is not null and call.status not in ('scheduled', 'cancelled', 'skipped')
group by call.tenant_id, call.campaign_id, call.phone_number_id, pn.number;
comment on view dialer.caller_number_progress is
  'Per campaign (null: direct calls) and caller number the calls were placed from: calls ended that count as attempts, answered, no_answer, busy, voicemail, failed, in_flight, answer_rate = answered / calls (null before any). number is null for an unregistered number.';
