-- The worker's small atomic steps around one claimed call. Each is a single guarded UPDATE, so a
-- repeated or late step changes nothing, and the status only moves forward:
-- scheduled → dialing → queued → ringing → in_progress → ended (apply_call_result).

-- Internal: the order of live statuses, to move forward only.
create or replace function dialer._status_rank(status text) returns integer
  language sql immutable parallel safe
as $$
  select case status when 'scheduled' then 0 when 'dialing' then 1 when 'queued' then 2
                     when 'ringing' then 3 when 'in_progress' then 4 else 9 end
$$;
comment on function dialer._status_rank(text) is
  'Internal: scheduled 0, dialing 1, queued 2, ringing 3, in_progress 4, terminal statuses 9.';

-- Why: the worker POSTs to VAPI only when this returns true, so a call row is dialed at most
-- once even if two workers hold it (an expired lease reclaimed elsewhere, a retried job).
create or replace function dialer.begin_dial(p_call_id uuid, at timestamptz) returns boolean
  language sql volatile
as $$ select exists (select from dialer.begin_dials(array[p_call_id], at)) $$;
comment on function dialer.begin_dial(uuid, timestamptz) is
  'Marks a claimed call as being dialed (dial_started_at = at) if it is dialing, not yet started and its lease has not expired at `at`; true means the caller may POST it to VAPI, false means it must not.';

-- Why: ties our row to VAPI's call as soon as VAPI answers, so webhooks and reconciliation find it.
create or replace function dialer.record_dialed(p_call_id uuid, p_vapi_call_id text, p_vapi_status text, at timestamptz) returns boolean
  language sql volatile
as $$ select exists (select from dialer.record_dials(array[p_call_id], array[p_vapi_call_id], array[p_vapi_status], at)) $$;
comment on function dialer.record_dialed(uuid, text, text, timestamptz) is
  'Stores VAPI''s call id (and status, if none yet) on a dialed call; dialing → queued and the lease is cleared; a status a webhook already moved further is kept. False when the call does not exist or already holds another VAPI id.';

-- Why: a dial that surely never reached VAPI (429, 5xx, refused, over concurrency) must be tried
-- again later without counting as a dial.
create or replace function dialer.release_call(p_call_id uuid, p_due_at timestamptz, p_error text) returns boolean
  language sql volatile
as $$
  with released as (
    update dialer.calls
    set status = 'scheduled', due_at = p_due_at, claimed_at = null, lease_expires_at = null, dial_started_at = null,
        dispatch_failures = dispatch_failures + 1, last_error = p_error
    where id = p_call_id and status = 'dialing' and vapi_call_id is null
    returning 1
  )
  select exists (select 1 from released)
$$;
comment on function dialer.release_call(uuid, timestamptz, text) is
  'Puts a claimed call whose dial surely did not reach VAPI back to scheduled at p_due_at: lease and dial_started_at cleared, dispatch_failures + 1, last_error = p_error. Only from dialing without a VAPI id; returns whether it did.';

-- Why: webhooks arrive late, twice and out of order; only a forward move is applied. The
-- status-updates that arrive together are applied in one statement (056); a call may be named more
-- than once: the furthest status wins, the first of equals, as applying them in order would.
create or replace function dialer.advance_call_statuses(p_call_ids uuid[], p_vapi_statuses text[], p_ats timestamptz[])
returns setof uuid
  language sql volatile
as $$
  update dialer.calls call
  set status = move.status, vapi_status = move.vapi_status, lease_expires_at = null,
      started_at = case when move.status = 'in_progress' then coalesce(call.started_at, move.at) else call.started_at end,
      check_at = move.at + dialer.live_check_interval(), checks = 0,
      updated_at = move.at
  from (
    select distinct on (asked.call_id) asked.call_id, asked.status, asked.vapi_status, asked.at
    from (select m.call_id, m.vapi_status, m.at, m.ord,
                 case m.vapi_status when 'queued' then 'queued' when 'ringing' then 'ringing'
                                    when 'in-progress' then 'in_progress' when 'forwarding' then 'in_progress' end as status
            from unnest(p_call_ids, p_vapi_statuses, p_ats) with ordinality as m(call_id, vapi_status, at, ord)) asked
    where asked.status is not null
    order by asked.call_id, dialer._status_rank(asked.status) desc, asked.ord
  ) move
  where call.id = move.call_id
    and call.status in ('dialing', 'queued', 'ringing')
    and dialer._status_rank(move.status) > dialer._status_rank(call.status)
  returning call.id
$$;
comment on function dialer.advance_call_statuses(uuid[], text[], timestamptz[]) is
  'advance_call_status for many calls at once, from parallel arrays (call id, VAPI status, instant): each VAPI status (queued, ringing, in-progress, forwarding → queued, ringing, in_progress) is applied if it moves its call forward from dialing/queued/ringing, never from a terminal status; started_at set on in_progress if unset; the next VAPI lookup live_check_interval() after the instant. A call named more than once takes its furthest status (the first of equals), as applying them in order would. Returns the ids of the calls moved.';

-- The same, for one webhook.
create or replace function dialer.advance_call_status(p_call_id uuid, p_vapi_status text, at timestamptz) returns boolean
  language sql volatile
as $$ select exists (select from dialer.advance_call_statuses(array[p_call_id], array[p_vapi_status], array[at])) $$;
comment on function dialer.advance_call_status(uuid, text, timestamptz) is
  'Applies a VAPI status (queued, ringing, in-progress, forwarding → queued, ringing, in_progress) if it moves the call forward from dialing/queued/ringing; never from a terminal status; sets started_at on in_progress if unset; the next VAPI lookup is live_check_interval() after it. Returns whether it moved. ''ended'' is for apply_call_result.';
