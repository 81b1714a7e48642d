-- Views for admins in psql. They call the scheduling functions with now(); to ask about another
-- instant, call the functions directly (e.g. select * from dialer.why_not('2026-03-08 14:00+00')).

-- Why: one line per campaign answers "where is it at, and what is it waiting for".
create or replace view dialer.campaign_progress as
  -- held_by_concurrency counts only calls already due: why_not checks concurrency before "not
  -- due", so a full campaign also lists its future calls under it, and subtracting those from the
  -- due count made due_now negative (-3, -5 during a run).
  with held as (
    select campaign_id, reason, count(*) as calls,
           count(*) filter (where due_at <= now()) as due_calls
    from dialer.why_not(now()) where campaign_id is not null group by 1, 2
  ), due as (
    select campaign_id, count(*) as calls from dialer.due_calls(now()) where campaign_id is not null group by 1
  )
  select campaign.tenant_id, campaign.id as campaign_id, campaign.name, campaign.status,
         (select count(*) from dialer.campaign_contacts membership where membership.campaign_id = campaign.id) as contacts,
         coalesce(stats.pending, 0) as pending,
         greatest(0, coalesce((select calls from due where due.campaign_id = campaign.id), 0)
           - coalesce((select sum(due_calls) from held where held.campaign_id = campaign.id
                         and (held.reason in ('campaign concurrency full', 'tenant concurrency full')
                              or held.reason like 'every caller number %')), 0)) as due_now,
         coalesce((select sum(calls) from held where held.campaign_id = campaign.id and held.reason = 'window closed'), 0) as waiting_for_window,
         coalesce((select sum(calls) from held where held.campaign_id = campaign.id and held.reason like 'retry not due%'), 0) as waiting_for_retry,
         coalesce((select sum(due_calls) from held where held.campaign_id = campaign.id
                     and held.reason in ('campaign concurrency full', 'tenant concurrency full')), 0) as held_by_concurrency,
         coalesce(stats.in_flight, 0) as in_flight,
         coalesce(stats.answered, 0) as answered, coalesce(stats.no_answer, 0) as no_answer, coalesce(stats.busy, 0) as busy,
         coalesce(stats.voicemail, 0) as voicemail, coalesce(stats.failed, 0) as failed,
         coalesce(stats.total_cost, 0) as total_cost,
         case when campaign.status = 'active' then dialer._campaign_next_open(campaign, now()) end as next_window_open,
         coalesce(people.reached, 0) as contacts_reached,
         coalesce(people.in_flight, 0) as contacts_in_flight,
         coalesce(people.waiting, 0) as contacts_waiting,
         coalesce(people.not_reached, 0) as contacts_not_reached,
         coalesce(people.not_started, 0) as contacts_not_started,
         -- Due, but every caller number of the pool is at a limit or resting (033).
         coalesce((select sum(due_calls) from held where held.campaign_id = campaign.id
                     and held.reason like 'every caller number %'), 0) as held_by_caller_numbers
  from dialer.campaigns campaign
  -- Per contact (member), not per call: each member in exactly one of these, in this order.
  left join lateral (
    select count(*) filter (where member.answered) as reached,
           count(*) filter (where not member.answered and member.live) as in_flight,
           count(*) filter (where not member.answered and not member.live and member.scheduled) as waiting,
           count(*) filter (where not member.answered and not member.live and not member.scheduled and member.calls > 0) as not_reached,
           count(*) filter (where member.calls = 0) as not_started
    from (
      select bool_or(call.outcome = 'answered') is true as answered,
             bool_or(call.status in ('dialing', 'queued', 'ringing', 'in_progress')) is true as live,
             bool_or(call.status = 'scheduled') is true as scheduled,
             count(call.id) as calls
      from dialer.campaign_contacts membership
      left join dialer.calls call on call.campaign_id = membership.campaign_id and call.contact_id = membership.contact_id
      where membership.campaign_id = campaign.id
      group by membership.contact_id
    ) member
  ) people on true
  left join lateral (
    select count(*) filter (where call.status = 'scheduled') as pending,
           count(*) filter (where call.status in ('dialing', 'queued', 'ringing', 'in_progress')) as in_flight,
           count(*) filter (where call.outcome = 'answered') as answered,
           count(*) filter (where call.outcome = 'no_answer') as no_answer,
           count(*) filter (where call.outcome = 'busy') as busy,
           count(*) filter (where call.outcome = 'voicemail') as voicemail,
           count(*) filter (where call.outcome = 'failed') as failed,
           sum(call.cost) as total_cost
    from dialer.calls call
    where call.campaign_id = campaign.id
  ) stats on true
  where campaign.deleted_at is null;
comment on view dialer.campaign_progress is
  'Per campaign (not deleted): members (contacts), pending (scheduled calls), due_now (dialable now with a free slot), waiting_for_window, waiting_for_retry, held_by_concurrency (due but no free slot), in_flight (dialing/queued/ringing/in_progress), ended calls by outcome, total_cost (USD), next_window_open (active campaigns: next instant the window is open on an allowed day; now() when open); per member contact, each in exactly one: contacts_reached (an answered call), contacts_in_flight (a live call), contacts_waiting (a scheduled call), contacts_not_reached (calls, all final, none answered), contacts_not_started (no call yet); held_by_caller_numbers (due, but every caller number of the pool held: caller_numbers_wait; not in due_now). due_now is never negative: held_by_concurrency counts only calls already due. Uses due_calls(now()) and why_not(now()).';

-- Why: the call log in one readable relation.
create or replace view dialer.call_history as
  select call.id as call_id, call.tenant_id, call.campaign_id, campaign.name as campaign_name,
         call.contact_id, contact.name as contact_name, call.phone,
         call.status, call.outcome, call.ended_reason, call.attempt, call.occurrence,
         call.due_at, call.dial_started_at, call.started_at, call.ended_at, call.duration_seconds, call.cost,
         call.vapi_call_id, call.last_error
  from dialer.calls call
  join dialer.contacts contact on contact.id = call.contact_id
  left join dialer.campaigns campaign on campaign.id = call.campaign_id;
comment on view dialer.call_history is
  'Every call with its contact''s name and phone and its campaign''s name (null for direct calls): status, outcome, ended_reason, attempt, occurrence, due/dial/start/end times, duration_seconds, cost (USD), VAPI id, last error.';

-- Why: "why is this call not being made?" from psql, right now.
create or replace view dialer.why_not_now as
  select * from dialer.why_not(now());
comment on view dialer.why_not_now is
  'dialer.why_not(now()): every scheduled call not being dialed now, with the first reason holding it back and until when (where known).';

-- Why: what the worker should be doing, per tenant.
create or replace view dialer.scheduler_status as
  select tenant.id as tenant_id, tenant.name,
         dialer._next_wake_at(now(), tenant.id) as next_wake_at,
         (select count(*) from dialer.due_calls(now()) due where due.tenant_id = tenant.id) as due_now,
         (select count(*) from dialer.calls live
          where live.tenant_id = tenant.id and live.status in ('dialing', 'queued', 'ringing', 'in_progress')) as in_flight,
         dialer._tenant_limit(tenant) as concurrency_limit,
         tenant.vapi_blocked_at, tenant.vapi_blocked_reason
  from dialer.tenants tenant;
comment on view dialer.scheduler_status is
  'Per tenant: next_wake_at (as next_wake_at(now()) for this tenant''s calls and campaigns), due_now (calls due_calls(now()) allows, before concurrency), in_flight (live calls), concurrency_limit (effective: least of its limit and VAPI''s), vapi_blocked_at / vapi_blocked_reason (set while VAPI refuses the account: nothing is dialed).';
