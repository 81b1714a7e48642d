-- Reconciliation: which calls the worker looks up on VAPI (GET /call/{id}) and when, and what an
-- answer that does not settle the call means. Webhooks get lost (VAPI does not retry them unless
-- told to), so every call with a VAPI id carries the instant of its next lookup (calls.check_at,
-- which next_wake_at includes, so the worker wakes for it even when nothing else is pending):
--   live (queued, ringing, in_progress): live_check_interval() after its last news (record_dials,
--     advance_call_status) and every live_check_interval() after. The worker cannot know when a
--     call whose webhooks are lost ended; polling each live call once a minute frees its slot
--     within 60 s of its end, at no more than one GET per live call per minute.
--   ended without its report (transcript, recording, analysis, cost): RECONCILE_AFTER_SECONDS after
--     the end (note_call_details), then with doubling backoff, at most details_check_limit() times.
-- A live call VAPI does not know (404, status not-found) or reports deletion-failed, or that no
-- lookup resolves, ends as failed with an explicit last_error (note_lookup).

-- Why: the two bounds of issue 9 (a lost end noticed within 60 s; at most one GET per live call
-- per minute) meet at one minute: that is the default. A database setting, not an environment
-- variable, so the worker, the webhook receiver and psql all see the same value; tests shorten it
-- (ALTER DATABASE … SET pgdialer.live_check_seconds = 1; read when a session starts).
create or replace function dialer.live_check_interval() returns interval
  language sql stable parallel safe
as $$ select coalesce(nullif(current_setting('pgdialer.live_check_seconds', true), '')::numeric, 60) * interval '1 second' $$;
comment on function dialer.live_check_interval() is
  'How long after its last news (and after each lookup) a live call is looked up on VAPI: the setting pgdialer.live_check_seconds, 60 seconds when unset.';

-- Internal: limits of note_lookup and note_call_details, in one place.
create or replace function dialer._lookup_limits(out gone_checks integer, out unresolved_checks integer, out details_checks integer)
  language sql immutable parallel safe
as $$ select 3, 30, 5 $$;
comment on function dialer._lookup_limits() is
  'Internal: a live call ends as failed after gone_checks (3) lookups in a row that VAPI answered 404 / not-found, or unresolved_checks (30, half an hour at one a minute) that no lookup resolved (VAPI unreachable or erring); an ended call''s missing report is asked for at most details_checks (5) times.';

drop function if exists dialer.calls_to_reconcile(timestamptz, interval);
-- Why: a webhook may never come and a worker may die mid-dial; these calls must be looked up on VAPI.
create or replace function dialer.calls_to_reconcile(at timestamptz)
returns table(call_id uuid, tenant_id uuid, status text, vapi_call_id text, dial_started_at timestamptz, phone text,
              phone_number_id text, checks integer)
  language sql stable
as $$
  select call.id, call.tenant_id, call.status, call.vapi_call_id, call.dial_started_at, call.phone,
         coalesce(call.phone_number_id, campaign.phone_number_id), call.checks
  from (
    -- claims that lapsed (a worker died or stalled between claim and VAPI's answer)
    select * from dialer.calls where status = 'dialing' and lease_expires_at <= at
    union
    -- lookups due (calls_check_at_idx)
    select * from dialer.calls where check_at <= at and vapi_call_id is not null
    union
    -- live calls never armed (tied to VAPI by a webhook before record_dials armed them)
    select * from dialer.calls
    where status in ('queued', 'ringing', 'in_progress') and check_at is null and updated_at <= at - dialer.live_check_interval()
  ) call
  left join dialer.campaigns campaign on campaign.id = call.campaign_id
  order by coalesce(call.check_at, call.updated_at)
$$;
comment on function dialer.calls_to_reconcile(timestamptz) is
  'Calls to look up on VAPI at `at`: dialing with an expired lease (a worker died or stalled mid-dial; dial_started_at null means it was never sent), calls with a VAPI id whose check_at has come (live: live_check_interval() after the last news; ended: the report is missing), and live calls never armed not updated for live_check_interval(). phone_number_id is the call''s (chosen at claim, or given to a direct call), else the campaign''s; checks = lookups in a row that did not settle it.';

-- Why: what a lookup that did not end the call means, decided once: the next lookup, or the end
-- of a call no lookup will ever settle (so its slot is not held forever).
create or replace function dialer.note_lookup(p_call_id uuid, p_result text, p_detail text, at timestamptz) returns text
  language plpgsql volatile
as $$
declare
  v_call dialer.calls;
  v_limits record := dialer._lookup_limits();
begin
  if p_result not in ('live', 'gone', 'unresolved') then
    raise exception 'note_lookup: p_result must be live, gone or unresolved, not %', p_result using errcode = 'PD400';
  end if;
  select * into v_call from dialer.calls where id = p_call_id for update;
  if not found or v_call.status not in ('dialing', 'queued', 'ringing', 'in_progress') then
    return 'unchanged';
  end if;
  if p_result = 'live' then
    update dialer.calls set check_at = at + dialer.live_check_interval(), checks = 0 where id = p_call_id;
    return 'waiting';
  end if;
  if (p_result = 'gone' and (p_detail = 'deletion-failed' or v_call.checks + 1 >= v_limits.gone_checks))
     or (p_result = 'unresolved' and v_call.checks + 1 >= v_limits.unresolved_checks) then
    perform dialer.apply_call_result(p_call_id, null, at, 'failed',
      case p_result
        when 'gone' then 'VAPI reports the call ' || coalesce(p_detail, 'not-found') || ' (' || (v_call.checks + 1) || ' lookups)'
        else 'no VAPI lookup resolved the call in ' || (v_call.checks + 1) || ' tries: ' || coalesce(p_detail, 'unknown error')
      end);
    return 'ended';
  end if;
  update dialer.calls set check_at = at + dialer.live_check_interval(), checks = checks + 1,
                          last_error = left(p_detail, 500)
  where id = p_call_id;
  return 'waiting';
end
$$;
comment on function dialer.note_lookup(uuid, text, text, timestamptz) is
  'After reconciliation looked a live call up on VAPI without it ending: p_result live (VAPI knows it: next lookup in live_check_interval(), checks reset), gone (404 or status not-found / deletion-failed, p_detail the status) or unresolved (VAPI unreachable or erring, p_detail the error): checks + 1 and the next lookup in live_check_interval(), or, at deletion-failed, 3 gone or 30 unresolved lookups in a row (_lookup_limits), the call ends as failed (apply_call_result, ended_reason null, last_error saying why; retried as a failed call). Returns waiting, ended, or unchanged for a call not live.';

-- Why: an ended call's report may be lost like any webhook; its details are still at
-- GET /call/{id}, so the worker asks for them once the report should have come. The details
-- themselves and where they stand are written by one UPDATE (one row version: a report is the
-- receiver's heaviest write), with the two rules below, each written once here.
-- Internal: whether where the details stand is noted for this call.
create or replace function dialer._details_noted(p_state text, call dialer.calls) returns boolean
  language sql immutable
as $$
  select p_state is not null and call.status = 'ended'
         and (p_state = 'received' or (call.details_received_at is null and call.vapi_call_id is not null))
$$;
comment on function dialer._details_noted(text, dialer.calls) is
  'Internal: note_call_details applies p_state only to an ended call, and (but for received) only to one with a VAPI id whose details have not arrived.';

-- Internal: the rules of record_call_details, on a row: what a report fills in, and where the
-- details stand. A row in, the row out, so the end of a call (apply_call_result) and its details
-- are one UPDATE, one row version, with these rules written only here.
create or replace function dialer._call_with_details(p_call dialer.calls, p_details jsonb, p_state text, p_recheck_after interval, at timestamptz)
returns dialer.calls
  language plpgsql immutable
as $$
declare
  v_notes constant boolean := dialer._details_noted(p_state, p_call);
begin
  -- Only fill in: a later, thinner payload never erases what an earlier one recorded.
  if p_details is not null then
    p_call.started_at := coalesce((p_details ->> 'startedAt')::timestamptz, p_call.started_at);
    p_call.ended_at := coalesce((p_details ->> 'endedAt')::timestamptz, p_call.ended_at);
    p_call.transcript := coalesce(p_details ->> 'transcript', p_call.transcript);
    p_call.recording_url := coalesce(p_details ->> 'recordingUrl', p_call.recording_url);
    p_call.summary := coalesce(p_details ->> 'summary', p_call.summary);
    p_call.analysis := coalesce(nullif(p_details -> 'analysis', 'null'), p_call.analysis);
    p_call.cost := coalesce((p_details ->> 'cost')::numeric, p_call.cost);
    p_call.costs := coalesce(nullif(p_details -> 'costs', 'null'), p_call.costs);
    p_call.cost_breakdown := coalesce(nullif(p_details -> 'costBreakdown', 'null'), p_call.cost_breakdown);
  end if;
  if v_notes then
    if p_state = 'received' then
      p_call.details_received_at := coalesce(p_call.details_received_at, at);
    end if;
    p_call.check_at := case
      when p_state = 'received' then null
      when p_state = 'awaited' then coalesce(p_call.check_at, at + p_recheck_after)
      when p_call.checks + 1 >= (dialer._lookup_limits()).details_checks then null
      else at + p_recheck_after * power(2, p_call.checks + 1)
    end;
    -- After check_at, which reads the count before this lookup.
    p_call.checks := case when p_state = 'missing' then p_call.checks + 1 else p_call.checks end;
  end if;
  return p_call;
end
$$;
comment on function dialer._call_with_details(dialer.calls, jsonb, text, interval, timestamptz) is
  'Internal: the call p_call with what VAPI reports filled in (p_details: startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost exact, costs, costBreakdown; a missing or null field keeps what the row has) and, when _details_noted(p_state, p_call), where its details stand (p_state received: details_received_at = at unless set, no lookup; awaited: a lookup at at + p_recheck_after unless one is armed; missing: checks + 1, the next lookup at at + p_recheck_after × 2^checks, none after _lookup_limits().details_checks). record_call_details and apply_call_result write it.';

-- Internal: the states a call's details can be in, checked once for every writer.
create or replace function dialer._details_state(p_state text) returns text
  language plpgsql immutable
as $$
begin
  if p_state is not null and p_state not in ('received', 'awaited', 'missing') then
    raise exception 'note_call_details: p_state must be received, awaited or missing, not %', p_state using errcode = 'PD400';
  end if;
  return p_state;
end
$$;
comment on function dialer._details_state(text) is
  'Internal: p_state itself if it is received, awaited, missing or null; otherwise raises PD400.';

-- Internal: whether p_details holds anything record_call_details would fill in.
-- (An expression, so it is inlined: no statement of its own.)
create or replace function dialer._details_fill(p_details jsonb) returns boolean
  language sql immutable parallel safe
as $$
  select coalesce(p_details -> 'startedAt' <> 'null' or p_details -> 'endedAt' <> 'null' or p_details -> 'transcript' <> 'null'
                  or p_details -> 'recordingUrl' <> 'null' or p_details -> 'summary' <> 'null' or p_details -> 'analysis' <> 'null'
                  or p_details -> 'cost' <> 'null' or p_details -> 'costs' <> 'null' or p_details -> 'costBreakdown' <> 'null', false)
$$;
comment on function dialer._details_fill(jsonb) is
  'Internal: p_details has a field record_call_details fills in (startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost, costs, costBreakdown) that is not null.';

-- Why: a report and its state are the receiver's heaviest write, and the reports that arrive
-- together are written in one statement (bench/REPORT.md, webhooks); the one-call form (and, with
-- it, the two-argument form of 034 and note_call_details) is this with one call. One UPDATE: the
-- row it writes is read in the UPDATE itself (its latest version, locked), so no statement locks
-- it before.
create or replace function dialer.record_calls_details(p_call_ids uuid[], p_details jsonb[], p_states text[],
                                                       p_recheck_afters interval[], p_ats timestamptz[])
returns table (call_id uuid, check_at timestamptz, noted boolean)
  language plpgsql volatile
as $$
begin
  perform dialer._details_state(state) from unnest(p_states) state;
  -- What _details_noted says of the new row is what it said of the old: status, vapi_call_id
  -- are not written, details_received_at only for received (noted whatever it was).
  return query
  update dialer.calls call
  set (started_at, ended_at, transcript, recording_url, summary, analysis, cost, costs, cost_breakdown, details_received_at, check_at, checks)
    = (select d.started_at, d.ended_at, d.transcript, d.recording_url, d.summary, d.analysis, d.cost, d.costs, d.cost_breakdown,
              d.details_received_at, d.check_at, d.checks
       from dialer._call_with_details(call, case when dialer._details_fill(asked.details) then asked.details end,
                                      asked.state, asked.recheck_after, asked.at) d)
  from unnest(p_call_ids, p_details, p_states, p_recheck_afters, p_ats) as asked(call_id, details, state, recheck_after, at)
  where call.id = asked.call_id and (dialer._details_fill(asked.details) or dialer._details_noted(asked.state, call))
  returning call.id, call.check_at, dialer._details_noted(asked.state, call);
end
$$;
comment on function dialer.record_calls_details(uuid[], jsonb[], text[], interval[], timestamptz[]) is
  'record_call_details for many calls at once, from parallel arrays (call id, details, state, recheck after, instant; each call at most once), in one UPDATE: every state is checked first (received, awaited, missing or null; else PD400, nothing written). One row per call written: its id, its new check_at, and whether its state applied (noted). A call with nothing to fill in and no state that applies is not written.';

create or replace function dialer.record_call_details(p_call_id uuid, p_details jsonb, p_state text, p_recheck_after interval, at timestamptz)
returns timestamptz
  language sql volatile
as $$
  select (select case when written.noted then written.check_at end
          from dialer.record_calls_details(array[p_call_id], array[p_details], array[p_state], array[p_recheck_after], array[at]) written)
$$;
comment on function dialer.record_call_details(uuid, jsonb, text, interval, timestamptz) is
  'What VAPI reports about a call and where its details stand, in one UPDATE (one row version): p_details fills in only (startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost exact, costs, costBreakdown; a missing or null field keeps what the row has), and p_state (received, awaited, missing) with p_recheck_after and at as note_call_details (the rules: _call_with_details). p_details ''{}'' or p_state null leaves out its part. Returns the new check_at when p_state applied, else null. (record_calls_details for one call.)';

create or replace function dialer.note_call_details(p_call_id uuid, p_state text, p_recheck_after interval, at timestamptz)
returns timestamptz
  language sql volatile
as $$ select dialer.record_call_details(p_call_id, '{}'::jsonb, coalesce(p_state, 'null'), p_recheck_after, at) $$;
comment on function dialer.note_call_details(uuid, text, interval, timestamptz) is
  'Where an ended call''s details (transcript, recording, analysis, cost) stand. received (an end-of-call-report, or the ended Call read from VAPI): details_received_at = at, no lookup due. awaited (it ended without them, e.g. by a status-update): a lookup at at + p_recheck_after (RECONCILE_AFTER_SECONDS) unless one is armed. missing (a lookup still lacked them): checks + 1, the next lookup at at + p_recheck_after × 2^checks, none after 5 (_lookup_limits). Only for ended calls with a VAPI id whose details have not arrived; returns the new check_at.';
