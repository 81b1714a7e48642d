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
-- claim lock (030), so limits hold with several workers. The claim reads pools from their indexed
-- form (caller_pools, caller_pool_numbers: migration 0013, kept by the triggers below), so it reads
-- a pool's few least-used numbers of a place, not the whole pool.

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
  if not dialer._is_time_zone(new.time_zone) then
    raise exception 'time_zone % is not a time zone', new.time_zone
      using errcode = 'check_violation', constraint = 'phone_numbers_time_zone_valid', table = 'phone_numbers', schema = 'dialer';
  end if;
  return new;
end
$$;
comment on function dialer._phone_numbers_derive() is
  'Internal: trigger setting phone_numbers.area_code (NANP), jurisdictions (contact_jurisdictions), state (the first state/province of them), country and calling code when not given, and time_zone when null (the first zone of its area code or states, else UTC; refused with check_violation phone_numbers_time_zone_valid when not a zone).';

drop trigger if exists phone_numbers_derive on dialer.phone_numbers;
create trigger phone_numbers_derive before insert or update of number, time_zone, country on dialer.phone_numbers
  for each row execute function dialer._phone_numbers_derive();

-- Internal: the end of the counter's day follows its day and zone, whoever writes them. Fired
-- after phone_numbers_derive (names in order: the zone is known); on update only when the day or
-- the zone changed (the claim writes calls_day at every count).
create or replace function dialer._phone_numbers_day_end() returns trigger
  language plpgsql
as $$
begin
  new.calls_day_ends := case when new.calls_day is not null then dialer._local_start(new.time_zone, (new.calls_day + 1) + time '00:00') end;
  return new;
end
$$;
comment on function dialer._phone_numbers_day_end() is
  'Internal: trigger setting phone_numbers.calls_day_ends, the local midnight (time_zone) after calls_day (null without a day).';

drop trigger if exists phone_numbers_derive_day_end on dialer.phone_numbers;
create trigger phone_numbers_derive_day_end before insert on dialer.phone_numbers
  for each row execute function dialer._phone_numbers_day_end();
drop trigger if exists phone_numbers_derive_day_end_update on dialer.phone_numbers;
create trigger phone_numbers_derive_day_end_update before update on dialer.phone_numbers
  for each row when (old.calls_day is distinct from new.calls_day or old.time_zone is distinct from new.time_zone)
  execute function dialer._phone_numbers_day_end();

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
  if tg_op = 'INSERT' or new.phone_number_ids is distinct from old.phone_number_ids or new.caller_pool_id is null then
    new.caller_pool_id := dialer._caller_pool_of(new.tenant_id, new.phone_number_ids);
  end if;
  return new;
end
$$;
comment on function dialer._campaigns_pool_in_step() is
  'Internal: trigger keeping campaigns.phone_number_id = phone_number_ids[1] (a new pool sets the first number; a new phone_number_id alone makes it the one-number pool) and caller_pool_id the pool of phone_number_ids (_caller_pool_of).';

drop trigger if exists campaigns_pool_in_step on dialer.campaigns;
create trigger campaigns_pool_in_step before insert or update of phone_number_id, phone_number_ids on dialer.campaigns
  for each row execute function dialer._campaigns_pool_in_step();

-- Indexed pools (migration 0013): the claim reads a pool's least-used numbers of a place from
-- caller_pool_numbers instead of reading every number of the pool. The rows below are the one
-- definition of a pool's numbers; the triggers keep the table equal to it.

-- Internal: the same-country key of a number (NANP numbers share the calling code 1, so their
-- country tells them apart; elsewhere the calling code does).
create or replace function dialer._caller_country_key(country text, country_calling_code text) returns text
  language sql immutable parallel safe
as $$ select case when coalesce(country_calling_code, '1') = '1' then country else '+' || country_calling_code end $$;
comment on function dialer._caller_country_key(text, text) is
  'Internal: a number''s same-country key: its country (US, CA, …) for the NANP calling code 1, else ''+'' || its calling code.';

-- Why: what caller_pool_numbers holds, written once: each pool's registered numbers, in pool order.
create or replace view dialer.caller_pool_number_rows as
select pool.id as pool_id, member.position::integer as position, pn.tenant_id, pn.vapi_phone_number_id, pn.area_code, pn.state,
       dialer._caller_country_key(pn.country, pn.country_calling_code) as country_key, pn.calls_today as used_today
from dialer.caller_pools pool
cross join unnest(pool.phone_number_ids) with ordinality as member(vapi_id, position)
join dialer.phone_numbers pn on pn.tenant_id = pool.tenant_id and pn.vapi_phone_number_id = member.vapi_id;
comment on view dialer.caller_pool_number_rows is
  'The rows dialer.caller_pool_numbers must hold: every registered number of each pool with its position, area code, state, same-country key (_caller_country_key) and used_today = phone_numbers.calls_today. A test compares the two.';

-- Internal: the pool of a campaign's numbers, made (with its registered numbers) the first time.
create or replace function dialer._caller_pool_of(p_tenant_id uuid, p_ids text[]) returns bigint
  language plpgsql volatile
as $$
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
$$;
comment on function dialer._caller_pool_of(uuid, text[]) is
  'Internal: the id of the tenant''s caller_pools row for these numbers in this order, inserting it and its registered numbers (caller_pool_number_rows) when new.';

-- Internal: a pool no campaign uses any more goes (with its rows).
create or replace function dialer._caller_pools_unused_removed() returns trigger
  language plpgsql
as $$
begin
  delete from dialer.caller_pools pool
  where pool.id = old.caller_pool_id
    and not exists (select 1 from dialer.campaigns campaign where campaign.caller_pool_id = pool.id);
  return null;
end
$$;
comment on function dialer._caller_pools_unused_removed() is
  'Internal: trigger removing a campaign''s former caller_pools row when no campaign uses it any more.';

drop trigger if exists campaigns_pool_unused_removed on dialer.campaigns;
create trigger campaigns_pool_unused_removed after update on dialer.campaigns
  for each row when (old.caller_pool_id is distinct from new.caller_pool_id and old.caller_pool_id is not null)
  execute function dialer._caller_pools_unused_removed();
drop trigger if exists campaigns_pool_unused_removed_at_delete on dialer.campaigns;
create trigger campaigns_pool_unused_removed_at_delete after delete on dialer.campaigns
  for each row when (old.caller_pool_id is not null) execute function dialer._caller_pools_unused_removed();

-- Internal: a pool's count of registered numbers follows its rows.
create or replace function dialer._caller_pool_numbers_counted() returns trigger
  language plpgsql
as $$
begin
  update dialer.caller_pools pool
  set registered = (select count(*) from dialer.caller_pool_numbers member where member.pool_id = pool.id)
  where pool.id in (select pool_id from changed);
  return null;
end
$$;
comment on function dialer._caller_pool_numbers_counted() is
  'Internal: statement trigger setting caller_pools.registered (its rows in caller_pool_numbers) for the pools whose rows were added or removed.';

drop trigger if exists caller_pool_numbers_counted_insert on dialer.caller_pool_numbers;
create trigger caller_pool_numbers_counted_insert after insert on dialer.caller_pool_numbers
  referencing new table as changed for each statement execute function dialer._caller_pool_numbers_counted();
drop trigger if exists caller_pool_numbers_counted_delete on dialer.caller_pool_numbers;
create trigger caller_pool_numbers_counted_delete after delete on dialer.caller_pool_numbers
  referencing old table as changed for each statement execute function dialer._caller_pool_numbers_counted();

-- Internal: a number registered after the pools that list it joins them.
create or replace function dialer._phone_numbers_join_pools() returns trigger
  language plpgsql
as $$
begin
  insert into dialer.caller_pool_numbers (pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today)
  select rows.pool_id, rows.position, rows.tenant_id, rows.vapi_phone_number_id, rows.area_code, rows.state, rows.country_key, rows.used_today
  from added
  join dialer.caller_pool_number_rows rows
    on rows.tenant_id = added.tenant_id and rows.vapi_phone_number_id = added.vapi_phone_number_id
  on conflict do nothing;
  return null;
end
$$;
comment on function dialer._phone_numbers_join_pools() is
  'Internal: statement trigger adding newly registered numbers to the caller_pool_numbers of the pools that list them.';

drop trigger if exists phone_numbers_join_pools on dialer.phone_numbers;
create trigger phone_numbers_join_pools after insert on dialer.phone_numbers
  referencing new table as added for each statement execute function dialer._phone_numbers_join_pools();

-- Internal: a number's place and use today, copied to its pool rows in one statement per update
-- (statement level: a claim updates up to a hundred counters at once). The rows are compared with
-- the copies, not with the old table: joining the two transition tables (no index) costs more
-- than the update.
create or replace function dialer._phone_numbers_copy_to_pools() returns trigger
  language plpgsql
as $$
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
$$;
comment on function dialer._phone_numbers_copy_to_pools() is
  'Internal: statement trigger copying calls_today, area_code, state and country key of updated phone_numbers to their caller_pool_numbers rows where they differ.';

drop trigger if exists phone_numbers_copy_to_pools on dialer.phone_numbers;
create trigger phone_numbers_copy_to_pools after update on dialer.phone_numbers
  referencing new table as changed for each statement execute function dialer._phone_numbers_copy_to_pools();

-- Internal: the first instant of the local day after the one `at` is in.
create or replace function dialer._local_day_end(tz text, at timestamptz) returns timestamptz
  language sql immutable strict parallel safe
as $$ select dialer._local_start(tz, ((at at time zone tz)::date + 1) + time '00:00') $$;
comment on function dialer._local_day_end(text, timestamptz) is
  'Internal: the next local midnight in tz after at (the start of the next local day; DST-safe).';

-- Internal: calls claimed on a number in its local day of `at` (the counter the claim keeps).
create or replace function dialer._caller_number_used_today(number dialer.phone_numbers, at timestamptz) returns integer
  language sql stable
as $$ select case when number.calls_day_ends > at then number.calls_today else 0 end $$;
comment on function dialer._caller_number_used_today(dialer.phone_numbers, timestamptz) is
  'Internal: calls claimed on the number since its local midnight (time_zone) at `at`: calls_today until calls_day_ends (the local midnight after calls_day), then 0.';

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
  from (select dialer._caller_number_used_today(number, at) as today) used
$$;
comment on function dialer.caller_number_hold(dialer.phone_numbers, integer, timestamptz) is
  'A registered number at `at` with `live` live calls on it: hold = resting | daily limit | concurrent calls | null (usable), checked in that order; room = calls it may still take (null: no limit; 0 when held); used_today = calls claimed since its local midnight (time_zone); free_at = when a rest or daily limit ends (the later of both; null when only concurrency holds it, or nothing).';

-- Internal: live calls on a registered number. A one-row table function, so the claim's hot paths
-- inline it (and then caller_number_hold, which is inlined only when its arguments are not
-- subqueries); a scalar SQL function with a FROM is called, and planned, at every use.
create or replace function dialer._caller_number_live_calls(p_tenant_id uuid, p_vapi_phone_number_id text) returns table(calls integer)
  language sql stable
as $$
  select count(*)::integer from dialer.calls live
  where live.tenant_id = p_tenant_id and live.phone_number_id = p_vapi_phone_number_id
    and live.status in ('dialing', 'queued', 'ringing', 'in_progress')
$$;
comment on function dialer._caller_number_live_calls(uuid, text) is 'Internal: one row, calls = live calls (dialing, queued, ringing, in_progress) placed from the number.';

create or replace function dialer._caller_number_live(tenant_id uuid, vapi_phone_number_id text) returns integer
  language sql stable
as $$ select calls from dialer._caller_number_live_calls($1, $2) $$;
comment on function dialer._caller_number_live(uuid, text) is 'Internal: live calls placed from the number (_caller_number_live_calls), as a value.';

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

drop function if exists dialer._caller_pool_open(uuid, timestamptz);
drop function if exists dialer._caller_pool_usable(uuid, timestamptz);

-- Internal: the claim's per-source check (030): may the pool take a call now? A pool without
-- registered numbers (direct calls: null) costs one index probe; otherwise its numbers are read
-- in pool order until a usable one (caller_number_hold). A one-row table function, so the claim
-- inlines it (a scalar SQL function with subqueries is called, and planned, at every use).
create or replace function dialer._caller_pool_open(p_pool_id bigint, at timestamptz) returns table(open boolean)
  language sql stable
as $$
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
$$;
comment on function dialer._caller_pool_open(bigint, timestamptz) is
  'Internal: one row, open = true for direct calls (null pool), a pool with no registered number, or one with a usable number (caller_number_hold) at `at`.';

-- Internal: the local-presence keys of a contact, best first: a:<area code> (NANP), s:<state or
-- province> (its jurisdictions), c:<same-country key> (_caller_country_key: its jurisdictions'
-- countries, or the calling code of a number outside NANP), then * (any number). PL/pgSQL: a
-- loop over two or three codes costs less than the set operations of a SQL body.
create or replace function dialer._caller_local_keys(phone text, jurisdictions text[]) returns text[]
  language plpgsql immutable parallel safe
as $$
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
$$;
comment on function dialer._caller_local_keys(text, text[]) is
  'Internal: a contact''s caller-number lookup keys in the order of local presence: a:<area code> for a NANP number, s:<state/province> for each of its jurisdictions, c:<country key> for each country among them (and c:+<1–3 digit prefix> for a number outside NANP, matching a pool number''s calling code), then * (any).';

-- Internal: the k least used usable numbers of a pool under one key (_caller_local_keys), least
-- used first, then pool order, with their room and use: one index read in use order that stops
-- after k usable numbers.
create or replace function dialer._caller_pool_least_used(p_pool_id bigint, p_key text, p_k integer, at timestamptz)
returns table(tenant_id uuid, vapi_phone_number_id text, pool_position integer, room integer, used_today integer)
  language sql stable
as $$
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
$$;
comment on function dialer._caller_pool_least_used(bigint, text, integer, timestamptz) is
  'Internal: up to p_k usable numbers (caller_number_hold) of pool p_pool_id matching p_key (a:<area code>, s:<state>, c:<country key>, * any), least used today first, then pool order, with room (null: no limit) and used_today.';

-- Why: the number of each claimed call, chosen in claim order so each choice sees the ones before
-- it (a number's room and use move as calls are given to it). The rule: a usable number of the
-- call's pool (caller_number_hold) with the best local presence (_caller_local_keys: same area
-- code, else same state or province, else same country, else any), then the least used today,
-- then pool order.
-- Cost: one statement reads, per pool and key of these calls, only the k least used usable
-- numbers (caller_pool_numbers is indexed by place and use); the choice is then a loop in memory.
-- Why k numbers are enough: each earlier call of the claim takes one number, so a list of k holds
-- an untaken number when fewer than k earlier calls took from it, and the first untaken one is
-- better than any number after the list (those were at least as used and can only have grown).
-- So the first pass takes k = 1 + the earlier calls of the same pool (exact when pools do not
-- share numbers, the common case); a call that meets a full list whose numbers were all taken
-- (pools sharing numbers) makes a second pass with k = 1 + the earlier calls of the same tenant,
-- which always suffices.
create or replace function dialer.choose_caller_numbers(p_call_ids uuid[], at timestamptz)
returns table(call_id uuid, phone_number_id text)
  language plpgsql volatile
  -- As claim_calls: the statements' shape does not depend on the values, plan them once, for
  -- data in memory.
  set plan_cache_mode = force_generic_plan
  set random_page_cost = 1.1
as $$
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
$$;
comment on function dialer.choose_caller_numbers(uuid[], timestamptz) is
  'For calls about to be claimed, in the order given: the number each is placed from. Direct calls keep their own; a campaign call whose pool has no registered number gets phone_number_id (no limits); otherwise the registered pool number that caller_number_hold allows with the best local presence (same area code as the contact, else same state/province, else same country, else any: _caller_local_keys), then the least used today, then pool order, counting the calls given before it in the same call. A call whose every pool number is held is left out (it stays scheduled). Restarts the counters of numbers whose local day ended (calls_day_ends <= at).';

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
  'Internal: adds the calls just claimed (dialing, claimed_at = at) to their registered numbers'' calls_today, restarting it on a new local day (calls_day; a trigger sets calls_day_ends, and another copies the counter to caller_pool_numbers).';

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
