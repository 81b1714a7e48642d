-- The claim: the worker takes due calls atomically, within every concurrency limit, fairly.
--
-- How it stays exact with several claimers: each claimer first takes a transaction-scoped
-- advisory lock per tenant (pg_try_advisory_xact_lock; a tenant locked by another claimer is
-- skipped, that claimer serves it), then reads live counts in a new snapshot, so caps hold even
-- under concurrent claims; FOR UPDATE SKIP LOCKED guards the rows themselves. Call it in a short
-- READ COMMITTED transaction (the locks are held until it ends).
--
-- Fairness: tenants are served round-robin (each gets its share of max), and within a tenant its
-- sources (active campaigns, and its direct calls as one more) take turns in a rotation kept in
-- tenants.claim_cursor: a claim starts after the source served last, in campaign id order, so
-- every source with due calls gets its turn whatever its size; within a source, oldest due first.
-- Cost: a claim walks each tenant's rotation only until its share is found (the due and room
-- probes run on the sources it reaches), then reads each source's due calls in due_at order from
-- a partial index only until that source's take, so the cost follows the claim size and the
-- number of open campaigns, not the history.

-- Internal: the advisory lock key of a tenant's claim.
create or replace function dialer._claim_lock(tenant_id uuid) returns boolean
  language sql volatile
as $$ select pg_try_advisory_xact_lock(1885823025, hashtext(tenant_id::text)) $$;
comment on function dialer._claim_lock(uuid) is
  'Internal: try to take the transaction-scoped advisory lock that serialises claims for one tenant (key 1885823025, hashtext(tenant id)).';

-- Why: the only way a call leaves 'scheduled' for dialing; exactly-once dialing starts here.
create or replace function dialer.claim_calls(at timestamptz, max integer, lease interval default '5 minutes')
returns table(call_id uuid, tenant_id uuid, campaign_id uuid, contact_id uuid, attempt integer, phone text, name text,
              assistant_id text, phone_number_id text, variables jsonb, lease_expires_at timestamptz)
  language plpgsql volatile
  -- Planning the choice query costs more than running it; its generic plan is as good (the work
  -- is shaped by the CTEs, not by the values), so plan once per session.
  set plan_cache_mode = force_generic_plan
  -- What it reads is in memory, where an index probe costs about what a page read in order does;
  -- at the default (4) the small pool tables are scanned whole for every source of the rotation.
  set random_page_cost = 1.1
as $$
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
$$;
comment on function dialer.claim_calls(timestamptz, integer, interval) is
  'Atomically takes up to max calls that due_calls(at) allows, within each campaign''s max_concurrency and each tenant''s effective limit least(concurrency_limit, coalesce(vapi_concurrency_limit, concurrency_limit)) (live = dialing, queued, ringing, in_progress), at most one per number, round-robin across tenants, and within a tenant across its sources (campaigns and direct calls) in a rotation that starts after tenants.claim_cursor and moves it on: sets status dialing, claimed_at = at, lease_expires_at = at + lease. phone_number_id = the caller number choose_caller_numbers picked (033: local presence, then least used today, numbers at a limit skipped; recorded on the call), a source whose whole pool is held is skipped and a call left without a number stays scheduled. Returns what the worker needs to dial; variables = campaign.variables || contact.attributes || campaign_contacts.variables || calls.variables (later wins). Concurrent callers never get the same call (per-tenant advisory lock + FOR UPDATE SKIP LOCKED); a tenant being claimed by another transaction is skipped. Returns fewer than max only when nothing else is claimable for the tenants it locked.';
