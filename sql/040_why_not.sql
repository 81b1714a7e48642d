-- Explaining the gate: for every scheduled call that will not be dialed at an instant, the first
-- rule that holds it back, in the order below, and until when where that is known.

-- Why: "why has nobody been called?" must have an answer in psql, at any chosen instant.
create or replace function dialer.why_not(at timestamptz)
returns table(call_id uuid, tenant_id uuid, campaign_id uuid, contact_id uuid, phone text, due_at timestamptz, reason text, until timestamptz)
  language sql stable
as $$
  select call.id, call.tenant_id, call.campaign_id, call.contact_id, call.phone, call.due_at, held.reason,
         case held.reason
           when 'before start date' then dialer._campaign_next_open(campaign, at)
           when 'blackout date' then dialer._campaign_next_open(campaign, at)
           when 'window closed' then dialer._campaign_next_open(campaign, at)
           when 'contact hours closed' then dialer._hours_next_open(zones.zones, tenant.contact_hours_start, tenant.contact_hours_end, at)
           when '24-hour cap' then dialer._cap_frees_at(call.tenant_id, call.phone, tenant.max_calls_per_number_per_24h, at)
           when 'retry not due' then call.due_at
           when 'not due' then call.due_at
         end
  from dialer.calls call
  join dialer.tenants tenant on tenant.id = call.tenant_id
  join dialer.contacts contact on contact.id = call.contact_id
  left join dialer.campaigns campaign on campaign.id = call.campaign_id
  cross join lateral (
    select dialer._contact_zones(contact.time_zone, contact.possible_time_zones, campaign.time_zone) as zones,
           dialer._campaign_day(campaign, at) as day
  ) zones
  cross join lateral (
    select case
      when campaign.deleted_at is not null then 'campaign deleted'
      when campaign.status <> 'active' then 'campaign ' || campaign.status
      when zones.day < campaign.starts_on then 'before start date'
      when zones.day > campaign.ends_on then 'after end date'
      when zones.day = any(campaign.blackout_dates) then 'blackout date'
      when not dialer.window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, at) then 'window closed'
      when call.attempt > campaign.max_attempts then 'over max attempts'
      when not dialer._occurrence_current(campaign, call.occurrence, at) then 'occurrence over'
      when contact.deleted_at is not null then 'contact deleted'
      when not dialer._hours_open(zones.zones, tenant.contact_hours_start, tenant.contact_hours_end, at) then 'contact hours closed'
      when exists (select 1 from dialer.dnc where dnc.tenant_id = call.tenant_id and dnc.phone = call.phone) then 'do not call'
      when (select count(*) from dialer.calls dialed
            where dialed.tenant_id = call.tenant_id and dialed.phone = call.phone
              and dialed.dial_started_at > at - interval '24 hours' and dialed.dial_started_at <= at)
           >= tenant.max_calls_per_number_per_24h then '24-hour cap'
      when exists (select 1 from dialer.calls live
                   where live.tenant_id = call.tenant_id and live.phone = call.phone
                     and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) then 'live call to the same number'
      when campaign.id is not null
           and campaign.max_concurrency <= (select count(*) from dialer.calls live
                                            where live.campaign_id = campaign.id
                                              and live.status in ('dialing', 'queued', 'ringing', 'in_progress'))
        then 'campaign concurrency full'
      when dialer._tenant_limit(tenant) <= (select count(*) from dialer.calls live
                                            where live.tenant_id = tenant.id
                                              and live.status in ('dialing', 'queued', 'ringing', 'in_progress'))
        then 'tenant concurrency full'
      when call.due_at > at and call.attempt > 1 then 'retry not due'
      when call.due_at > at then 'not due'
    end as reason
  ) held
  where call.status = 'scheduled' and held.reason is not null
$$;
comment on function dialer.why_not(timestamptz) is
  'Every scheduled call that will not be dialed at `at`, with the first reason that holds it back, checked in this order: campaign deleted | campaign <status> (paused, draft, stopped, completed), before start date, after end date, blackout date, window closed, over max attempts, occurrence over, contact deleted, contact hours closed, do not call, 24-hour cap, live call to the same number, campaign concurrency full, tenant concurrency full, retry not due / not due; until = when that reason stops holding where known (next campaign window on an allowed day, next common contact hours, cap expiry, due_at), else null. Calls not listed are being dialed now.';
