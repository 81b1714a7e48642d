-- Explaining the gate: for every scheduled call that will not be dialed at an instant, the first
-- rule that holds it back, in the order below, and until when where that is known.

-- Why: "why has nobody been called?" must have an answer in psql, at any chosen instant.
create or replace function dialer.why_not(at timestamptz)
returns table(call_id uuid, tenant_id uuid, campaign_id uuid, contact_id uuid, phone text, due_at timestamptz, reason text, until timestamptz)
  language sql stable
as $$
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
$$;
comment on function dialer.why_not(timestamptz) is
  'Every scheduled call that will not be dialed at `at`, with the first reason that holds it back, checked in this order: VAPI account stopped (tenants.vapi_blocked_at; until null: until cleared), campaign deleted | campaign <status> (paused, draft, stopped, completed), before start date, after end date, blackout date, window closed, over max attempts, occurrence over, contact deleted, contact hours closed, do not call, a calling rule or emergency blackout (reason "<rule id>: <why>; next <local time> <zone>", or "blackout:<id>: …"), 24-hour cap, live call to the same number, campaign concurrency full, tenant concurrency full, every caller number of the pool held (caller_numbers_wait: "every caller number at its daily limit until 00:00 America/New_York", …), retry not due / not due; a retry planned by a retry-sequence step and not yet due is named right after the campaign''s status (unless past its end date, over max attempts, contact deleted or on do not call) as "retry not due: retry <n> of <max_attempts - 1> (sequence step <n>: <m> min after attempt <n>[, later|earlier half of the window])"; until = when that reason stops holding where known (next campaign window on an allowed day, next common contact hours, when every calling rule allows it, cap expiry, due_at), else null. Calls not listed are being dialed now.';
