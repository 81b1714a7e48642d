-- The claim: the worker takes due calls atomically, within every concurrency limit, fairly.
--
-- How it stays exact with several claimers: each claimer first takes a transaction-scoped
-- advisory lock per tenant (pg_try_advisory_xact_lock; a tenant locked by another claimer is
-- skipped, that claimer serves it), then reads live counts in a new snapshot, so caps hold even
-- under concurrent claims; FOR UPDATE SKIP LOCKED guards the rows themselves. Call it in a short
-- READ COMMITTED transaction (the locks are held until it ends).
--
-- Fairness: tenants are served round-robin, and within a tenant its campaigns (and its direct
-- calls, as one more source) round-robin, longest-waiting first; within a campaign, oldest due
-- first. Cost: only the campaigns that are open and have room are visited, and each one's due
-- calls are read in due_at order from a partial index only until its share is found, so the cost
-- follows what is due and the claim size, not the history.

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
as $$
#variable_conflict use_column
declare
  claimable uuid[];
  chosen uuid[];
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
    where exists (select 1 from dialer.campaigns campaign
                  where campaign.tenant_id = tenant.id and campaign.status = 'active' and campaign.deleted_at is null)
       or exists (select 1 from dialer.calls call
                  where call.tenant_id = tenant.id and call.campaign_id is null
                    and call.status = 'scheduled' and call.due_at <= at)
    order by tenant.id
  )
  select coalesce(array_agg(id), '{}') into claimable
  from candidate_tenants
  where dialer._claim_lock(id);

  if cardinality(claimable) = 0 then
    return;
  end if;

  -- 2. Choose, in a snapshot taken after the locks. Each tenant gets a budget (its share of max,
  --    times scale), spread over its longest-waiting sources; if that leaves the claim short while
  --    some source had more, retry with a larger scale.
  loop
    with tenant_room as materialized (
      select tenant.id as tenant_id, tenant.max_calls_per_number_per_24h as cap,
             tenant.contact_hours_start as hours_start, tenant.contact_hours_end as hours_end,
             dialer._tenant_limit(tenant)
               - (select count(*) from dialer.calls live
                  where live.tenant_id = tenant.id and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) as room
      from dialer.tenants tenant
      where tenant.id = any(claimable)
    ), tenant_budget as materialized (
      select tenant_room.*, least(room, scale * ceil(max::numeric / count(*) over ()))::integer as budget
      from tenant_room
      where room > 0
    ), active_campaigns as materialized (
      select campaign.id, campaign.tenant_id, campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days,
             campaign.frequency, campaign.max_attempts, campaign.max_concurrency, campaign.starts_on, campaign.ends_on,
             campaign.blackout_dates, budget.room as tenant_room, budget.hours_start, budget.hours_end
      from tenant_budget budget
      join dialer.campaigns campaign on campaign.tenant_id = budget.tenant_id
      where campaign.status = 'active' and campaign.deleted_at is null
    ), live_per_campaign as materialized (
      select live.campaign_id, count(*) as live
      from dialer.calls live
      where live.status in ('dialing', 'queued', 'ringing', 'in_progress') and live.campaign_id is not null
      group by live.campaign_id
    ), configs as materialized (
      -- Zone arithmetic once per distinct window, zone and contact hours, not once per campaign or call.
      select config.*,
             dialer.window_open(config.time_zone, config.window_start, config.window_end, config.days, at) as window_open,
             dialer._window_day(config.time_zone, config.window_start, config.window_end, at) as day,
             dialer.window_open(config.time_zone, config.hours_start, config.hours_end, '{1,2,3,4,5,6,7}', at) as hours_open
      from (select distinct time_zone, window_start, window_end, days, hours_start, hours_end from active_campaigns) config
    ), sources as materialized (
      select campaign.id as campaign_id, campaign.tenant_id, campaign.max_attempts,
             case campaign.frequency when 'daily' then to_char(config.day, 'YYYY-MM-DD')
                                     when 'weekly' then to_char(config.day, 'IYYY-"W"IW') end as occurrence,
             campaign.time_zone, config.hours_open as hours_open_in_campaign_zone,
             least(campaign.tenant_room, campaign.max_concurrency - coalesce(live.live, 0)) as room,
             (select min(call.due_at) from dialer.calls call
              where call.campaign_id = campaign.id and call.status = 'scheduled' and call.due_at <= at) as oldest_due
      from active_campaigns campaign
      left join live_per_campaign live on live.campaign_id = campaign.id
      join configs config
        on config.time_zone = campaign.time_zone and config.window_start = campaign.window_start
       and config.window_end = campaign.window_end and config.days = campaign.days
       and config.hours_start = campaign.hours_start and config.hours_end = campaign.hours_end
      where config.window_open
        and (campaign.starts_on is null or config.day >= campaign.starts_on)
        and (campaign.ends_on is null or config.day <= campaign.ends_on)
        and not (config.day = any(campaign.blackout_dates))
      union all
      select null, budget.tenant_id, null, null, null, true, budget.room,
             (select min(call.due_at) from dialer.calls call
              where call.tenant_id = budget.tenant_id and call.campaign_id is null
                and call.status = 'scheduled' and call.due_at <= at)
      from tenant_budget budget
    ), ranked_sources as (
      select sources.*, row_number() over (partition by sources.tenant_id order by oldest_due, campaign_id) as source_rank,
             count(*) over (partition by sources.tenant_id) as sources_in_tenant
      from sources
      where room > 0 and oldest_due is not null
    ), kept_sources as materialized (
      select ranked.*, budget.cap, budget.hours_start, budget.hours_end, budget.budget,
             least(ranked.room, ceil(budget.budget::numeric / least(ranked.sources_in_tenant, budget.budget)))::integer as take
      from ranked_sources ranked
      join tenant_budget budget on budget.tenant_id = ranked.tenant_id
      where ranked.source_rank <= budget.budget
    ), candidates as (
      -- The per-call rules of due_calls, with the campaign rules already applied per source.
      select source.tenant_id, source.campaign_id, source.take, source.room as source_room, pick.*
      from kept_sources source
      cross join lateral (
        select call.id as call_id, call.due_at, call.phone
        from dialer.calls call
        join dialer.contacts contact on contact.id = call.contact_id
        where call.campaign_id = source.campaign_id and call.status = 'scheduled' and call.due_at <= at
          and call.attempt <= source.max_attempts
          and (source.occurrence is null or call.occurrence = source.occurrence)
          and contact.deleted_at is null
          and case when contact.time_zone is null and cardinality(contact.possible_time_zones) = 0
                   then source.hours_open_in_campaign_zone
                   else dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, null),
                                           source.hours_start, source.hours_end, at) end
          and not exists (select 1 from dialer.dnc where dnc.tenant_id = call.tenant_id and dnc.phone = call.phone)
          and not exists (select 1 from dialer.calls live
                          where live.tenant_id = call.tenant_id and live.phone = call.phone
                            and live.status in ('dialing', 'queued', 'ringing', 'in_progress'))
          and (select count(*) from dialer.calls dialed
               where dialed.tenant_id = call.tenant_id and dialed.phone = call.phone
                 and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at) < source.cap
        order by call.due_at
        limit source.take
      ) pick
      where source.campaign_id is not null
      union all
      select source.tenant_id, null, source.take, source.room, pick.*
      from kept_sources source
      cross join lateral (
        select call.id as call_id, call.due_at, call.phone
        from dialer.calls call
        join dialer.contacts contact on contact.id = call.contact_id
        where call.tenant_id = source.tenant_id and call.campaign_id is null
          and call.status = 'scheduled' and call.due_at <= at
          and contact.deleted_at is null
          and dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, null),
                                 source.hours_start, source.hours_end, at)
          and not exists (select 1 from dialer.dnc where dnc.tenant_id = call.tenant_id and dnc.phone = call.phone)
          and not exists (select 1 from dialer.calls live
                          where live.tenant_id = call.tenant_id and live.phone = call.phone
                            and live.status in ('dialing', 'queued', 'ringing', 'in_progress'))
          and (select count(*) from dialer.calls dialed
               where dialed.tenant_id = call.tenant_id and dialed.phone = call.phone
                 and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at) < source.cap
        order by call.due_at
        limit source.take
      ) pick
      where source.campaign_id is null
    ), one_per_number as (
      select candidates.*, row_number() over (partition by tenant_id, phone order by due_at, call_id) as number_rank
      from candidates
    ), within_source as (
      select one_per_number.*, row_number() over (partition by tenant_id, campaign_id order by due_at, call_id) as rank_in_source
      from one_per_number
      where number_rank = 1
    ), within_tenant as (
      select within_source.*, row_number() over (partition by tenant_id order by rank_in_source, due_at, call_id) as rank_in_tenant
      from within_source
    ), picked as (
      select within_tenant.call_id, within_tenant.rank_in_tenant, within_tenant.rank_in_source, within_tenant.due_at
      from within_tenant
      join tenant_budget budget on budget.tenant_id = within_tenant.tenant_id
      where within_tenant.rank_in_tenant <= budget.room
      order by rank_in_tenant, rank_in_source, due_at, call_id
      limit max
    )
    select (select coalesce(array_agg(call_id order by rank_in_tenant, rank_in_source, due_at, call_id), '{}') from picked),
           coalesce((select bool_or(taken = take and take < source_room)
                     from (select count(*) as taken, min(take) as take, min(source_room) as source_room
                           from candidates group by tenant_id, campaign_id) per_source), false)
           or exists (select 1 from kept_sources where sources_in_tenant > budget)
    into chosen, truncated;

    exit when cardinality(chosen) >= max or not truncated or scale >= 4096;
    scale := scale * 4;
  end loop;

  -- 3. Take them.
  return query
  with locked as (
    select call.id from dialer.calls call
    where call.id = any(chosen) and call.status = 'scheduled'
    for update skip locked
  ), claimed as (
    update dialer.calls call
    set status = 'dialing', claimed_at = at, lease_expires_at = at + lease, updated_at = at
    from locked
    where call.id = locked.id
    returning call.*
  )
  select claimed.id, claimed.tenant_id, claimed.campaign_id, claimed.contact_id, claimed.attempt, claimed.phone,
         contact.name,
         coalesce(campaign.assistant_id, claimed.assistant_id),
         coalesce(campaign.phone_number_id, claimed.phone_number_id),
         coalesce(campaign.variables, '{}') || contact.attributes || coalesce(membership.variables, '{}') || claimed.variables,
         claimed.lease_expires_at
  from claimed
  join dialer.contacts contact on contact.id = claimed.contact_id
  left join dialer.campaigns campaign on campaign.id = claimed.campaign_id
  left join dialer.campaign_contacts membership
    on membership.campaign_id = claimed.campaign_id and membership.contact_id = claimed.contact_id
  order by array_position(chosen, claimed.id);
end
$$;
comment on function dialer.claim_calls(timestamptz, integer, interval) is
  'Atomically takes up to max calls that due_calls(at) allows, within each campaign''s max_concurrency and each tenant''s effective limit least(concurrency_limit, coalesce(vapi_concurrency_limit, concurrency_limit)) (live = dialing, queued, ringing, in_progress), at most one per number, round-robin across tenants and their campaigns: sets status dialing, claimed_at = at, lease_expires_at = at + lease. Returns what the worker needs to dial; variables = campaign.variables || contact.attributes || campaign_contacts.variables || calls.variables (later wins). Concurrent callers never get the same call (per-tenant advisory lock + FOR UPDATE SKIP LOCKED); a tenant being claimed by another transaction is skipped. Returns fewer than max only when nothing else is claimable for the tenants it locked.';
