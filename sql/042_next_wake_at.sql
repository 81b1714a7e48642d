-- When must the worker wake next? The earliest instant after `at` at which due_calls could change
-- by time alone. Calls freed by concurrency are not here: a call's end wakes the worker by NOTIFY.

-- Internal: next_wake_at for all tenants (p_tenant_id null) or one.
create or replace function dialer._next_wake_at(at timestamptz, p_tenant_id uuid) returns timestamptz
  language sql stable
as $$
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
$$;
comment on function dialer._next_wake_at(timestamptz, uuid) is
  'Internal: next_wake_at restricted to one tenant (p_tenant_id), or all when null.';

-- Why: the worker sleeps until this instant (a pg-boss job with startAfter), so it must never be
-- late, and it should not wake for nothing.
create or replace function dialer.next_wake_at(at timestamptz) returns timestamptz
  language sql stable
as $$ select dialer._next_wake_at(at, null) $$;
comment on function dialer.next_wake_at(timestamptz) is
  'The earliest instant after `at` at which due_calls could change by time alone: a scheduled call''s due_at (active campaigns and direct calls), a campaign window opening or start date for calls already due, a contact''s calling hours opening, a calling rule or emergency blackout lifting, a 24-hour cap expiring, a caller number''s rest or daily limit ending when a campaign''s whole pool is held (caller_numbers_wait), a lease expiring, a call''s VAPI lookup falling due (calls.check_at; `at` itself when one with a VAPI id is due already: calls_to_reconcile takes it), the next occurrence of an active daily/weekly campaign beginning, a forward delivery becoming claimable (next_forward_at). Null when nothing is pending. Calls held only by concurrency are not counted (a call''s end wakes the worker). Nothing of a tenant whose VAPI account is stopped.';
