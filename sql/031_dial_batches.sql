-- The worker's steps begin_dial and record_dialed for many calls in one statement; the single-call
-- functions (032_call_state.sql) are these applied to one call, so the rules live here once. Why:
-- at hundreds of calls a second a statement (and a commit) per call per step costs more CPU than
-- everything else the worker does; the worker gathers the steps its calls ask for while the
-- previous statement runs and sends them together. Each call's rules are checked per row.

-- Why: begin_dial for each call of a batch; the worker POSTs only the calls returned.
create or replace function dialer.begin_dials(p_call_ids uuid[], at timestamptz) returns setof uuid
  language sql volatile
as $$
  update dialer.calls
  set dial_started_at = at, updated_at = at
  where id = any(p_call_ids) and status = 'dialing' and dial_started_at is null and lease_expires_at > at
  returning id
$$;
comment on function dialer.begin_dials(uuid[], timestamptz) is
  'begin_dial for many calls at once: marks each call of p_call_ids that is dialing, not yet started and whose lease has not expired at `at` as being dialed (dial_started_at = at) and returns its id; the caller may POST to VAPI exactly the calls returned.';

-- Why: record_dialed for each call of a batch (VAPI answered for all of them).
create or replace function dialer.record_dials(p_call_ids uuid[], p_vapi_call_ids text[], p_vapi_statuses text[], at timestamptz)
returns setof uuid
  language sql volatile
as $$
  update dialer.calls call
  set vapi_call_id = dialed.vapi_call_id,
      vapi_status = coalesce(call.vapi_status, dialed.vapi_status),
      status = case when call.status = 'dialing' then 'queued' else call.status end,
      lease_expires_at = case when call.status = 'dialing' then null else call.lease_expires_at end,
      check_at = case when call.status in ('dialing', 'queued', 'ringing', 'in_progress')
                      then at + dialer.live_check_interval() else call.check_at end,
      checks = 0,
      updated_at = at
  from unnest(p_call_ids, p_vapi_call_ids, p_vapi_statuses) as dialed(call_id, vapi_call_id, vapi_status)
  where call.id = dialed.call_id and (call.vapi_call_id is null or call.vapi_call_id = dialed.vapi_call_id)
  returning call.id
$$;
comment on function dialer.record_dials(uuid[], text[], text[], timestamptz) is
  'record_dialed for many calls at once, from parallel arrays (call id, VAPI call id, VAPI status or null): stores each VAPI id (and status, if none yet), dialing → queued with the lease cleared, the first VAPI lookup armed (check_at = at + live_check_interval()), a status a webhook already moved further kept; returns the ids recorded (a call missing or already holding another VAPI id is not). A call id must appear once.';
