-- A call's end: record the outcome, decide the retry, complete a once campaign that is done.

-- Internal: a once campaign is completed when no call of it is pending or live. Pending calls
-- held only by do-not-call (the number was added after the call was planned) can never be
-- dialed, so they are skipped first.
create or replace function dialer._complete_once_campaign(p_campaign_id uuid, at timestamptz) returns boolean
  language plpgsql volatile
as $$
begin
  update dialer.calls call
  set status = 'skipped', last_error = 'do not call', updated_at = at
  where call.campaign_id = p_campaign_id and call.status = 'scheduled'
    and exists (select 1 from dialer.dnc where dnc.tenant_id = call.tenant_id and dnc.phone = call.phone);
  update dialer.campaigns campaign
  set status = 'completed', finished_at = at, updated_at = at
  where campaign.id = p_campaign_id and campaign.frequency = 'once' and campaign.status in ('active', 'paused')
    and not exists (select 1 from dialer.calls call
                    where call.campaign_id = p_campaign_id
                      and call.status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress'));
  return found;
end
$$;
comment on function dialer._complete_once_campaign(uuid, timestamptz) is
  'Internal: marks an active or paused once campaign completed (finished_at = at) when none of its calls is scheduled or live, after skipping scheduled calls to numbers now on do-not-call. Returns whether it completed it.';

-- Internal: the call p_call as its end leaves it (apply_call_result's row, before the details
-- VAPI reported with the end).
create or replace function dialer._call_ended(p_call dialer.calls, p_outcome text, p_ended_reason text, p_ended_at timestamptz,
                                             p_error text, p_account boolean) returns dialer.calls
  language plpgsql immutable
as $$
begin
  p_call.status := 'ended';
  p_call.outcome := p_outcome;
  p_call.ended_reason := p_ended_reason;
  p_call.ended_at := p_ended_at;
  p_call.lease_expires_at := null;
  p_call.last_error := coalesce(p_error, p_call.last_error);
  p_call.updated_at := p_ended_at;
  p_call.counts_as_attempt := not p_account;
  p_call.check_at := null;
  p_call.checks := 0;
  return p_call;
end
$$;
comment on function dialer._call_ended(dialer.calls, text, text, timestamptz, text, boolean) is
  'Internal: p_call ended: status ended, outcome p_outcome, ended_reason, ended_at = p_ended_at, lease cleared, last_error = p_error if given, updated_at = p_ended_at, counts_as_attempt unless p_account, no lookup due (check_at null, checks 0).';

-- Why: the one place where an ended call turns into history, a retry, a stopped account or a
-- finished campaign, applied once however many times the end is reported. What a reason means is
-- ended_reason_class (015); this function only acts on the class:
--   answered, final                       no new call;
--   no_answer, busy, voicemail, retry_later  attempt + 1 when the outcome is in retry_outcomes,
--                                         below max_attempts, campaign active or paused, due
--                                         when _retry_due_at says (sequence step or delay);
--   account                               the tenant is stopped (block_tenant_vapi), the call kept
--                                         as history that does not count as an attempt, and a new
--                                         call with the same attempt number (campaign or direct)
--                                         is scheduled at p_ended_at: it is dialed once the
--                                         tenant is cleared.
drop function if exists dialer.apply_call_result(uuid, text, timestamptz, text, text);
create or replace function dialer.apply_call_result(p_call_id uuid, p_ended_reason text, p_ended_at timestamptz,
                                                    p_outcome text default null, p_error text default null,
                                                    p_details jsonb default null, p_details_state text default null,
                                                    p_recheck_after interval default null, at timestamptz default null) returns uuid
  language plpgsql volatile
as $$
declare
  -- An explicit outcome that contradicts the reason's class replaces it (failed: retry_later).
  v_class constant text := case
    when p_outcome is null or p_outcome = dialer.class_outcome(dialer.ended_reason_class(p_ended_reason))
      then dialer.ended_reason_class(p_ended_reason)
    when p_outcome = 'failed' then 'retry_later'
    else p_outcome end;
  v_outcome constant text := dialer.class_outcome(v_class);
  v_account constant boolean := v_class = 'account';
  v_call dialer.calls;
  v_campaign dialer.campaigns;
  v_next_id uuid;
  v_number_limited boolean;
  v_with_details constant boolean := p_details is not null or dialer._details_state(p_details_state) is not null;
begin
  -- The end and the details VAPI reported with it, one row version (_call_ended, then
  -- _call_with_details, the rules of record_call_details).
  update dialer.calls call
  set (status, outcome, ended_reason, ended_at, lease_expires_at, last_error, updated_at, counts_as_attempt, check_at, checks,
       started_at, transcript, recording_url, summary, analysis, cost, costs, cost_breakdown, details_received_at)
    = (select e.status, e.outcome, e.ended_reason, e.ended_at, e.lease_expires_at, e.last_error, e.updated_at, e.counts_as_attempt,
              e.check_at, e.checks, e.started_at, e.transcript, e.recording_url, e.summary, e.analysis, e.cost, e.costs,
              e.cost_breakdown, e.details_received_at
       from dialer._call_with_details(dialer._call_ended(call, v_outcome, p_ended_reason, p_ended_at, p_error, v_account),
                                      p_details, p_details_state, p_recheck_after, at) e)
  where call.id = p_call_id and call.status in ('dialing', 'queued', 'ringing', 'in_progress')
  returning * into v_call;
  if not found then
    -- Ended before (or no such call): the details are still recorded.
    if v_with_details then
      perform dialer.record_call_details(p_call_id, coalesce(p_details, '{}'), p_details_state, p_recheck_after, at);
    end if;
    return null;
  end if;
  -- The caller number's rest and unanswered count (033); true: VAPI's daily limit for the number.
  v_number_limited := dialer._note_caller_number_result(v_call, v_class, p_ended_reason, p_ended_at);

  if v_account then
    perform dialer.block_tenant_vapi(v_call.tenant_id, 'endedReason ' || p_ended_reason, p_ended_at);
  end if;

  if v_call.campaign_id is null then
    if v_account then
      insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, variables,
                                attempt, occurrence, due_at)
      values (v_call.tenant_id, null, v_call.contact_id, v_call.phone, v_call.assistant_id, v_call.phone_number_id,
              v_call.variables, v_call.attempt, v_call.occurrence, p_ended_at)
      returning id into v_next_id;
    end if;
    return v_next_id;
  end if;

  -- The campaign row is locked (NO KEY UPDATE: call inserts' foreign-key checks still pass) so
  -- that ends of the same campaign decide one after the other: the last two calls ending at once
  -- would otherwise each see the other live, and the campaign would never complete.
  select * into v_campaign from dialer.campaigns where id = v_call.campaign_id for no key update;
  v_next_id := dialer._retry_on_another_number(v_call, v_campaign, v_number_limited, p_ended_at); -- same attempt (033)
  if v_next_id is null and v_campaign.status in ('active', 'paused') and v_campaign.deleted_at is null
     and (v_account
          or (v_class in ('no_answer', 'busy', 'voicemail', 'retry_later')
              and v_outcome = any(v_campaign.retry_outcomes)
              and v_call.attempt < v_campaign.max_attempts)) then
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, variables, attempt, occurrence, due_at, retry_step)
    values (v_call.tenant_id, v_call.campaign_id, v_call.contact_id, v_call.phone, v_call.variables,
            v_call.attempt + case when v_account then 0 else 1 end, v_call.occurrence,
            -- The retry's delay: its sequence step or the per-outcome delay (035_retry_sequences.sql).
            case when v_account then p_ended_at
                 else dialer._retry_due_at(v_campaign, v_call.attempt + 1, v_outcome, p_ended_at) end,
            case when not v_account then dialer._retry_step(v_campaign, v_call.attempt + 1) end)
    on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing
    returning id into v_next_id;
  end if;

  if v_campaign.frequency = 'once' then
    perform dialer._complete_once_campaign(v_campaign.id, p_ended_at);
  end if;
  return v_next_id;
end
$$;
comment on function dialer.apply_call_result(uuid, text, timestamptz, text, text, jsonb, text, interval, timestamptz) is
  'Ends a live call (dialing, queued, ringing, in_progress): status ended, outcome class_outcome(ended_reason_class(p_ended_reason)); an explicit p_outcome that contradicts it replaces the class (failed: retry_later), ended_reason, ended_at, lease cleared, last_error = p_error if given (_call_ended); with p_details or p_details_state, what VAPI reported with the end and where the details stand, as record_call_details(p_details, p_details_state, p_recheck_after, at) would write them, in the same row version (a call not live gets them from record_call_details). Then by the reason''s class: no_answer/busy/voicemail/retry_later with the outcome in retry_outcomes, below max_attempts, campaign active or paused: attempt + 1 of the same occurrence due at _retry_due_at (the retry_sequence entry for it, with its shift_window, recorded in retry_step; beyond the sequence p_ended_at + retry_delays->>outcome minutes, else retry_delay_minutes); account: the tenant is stopped (block_tenant_vapi), the call does not count as an attempt (counts_as_attempt false) and a call with the same attempt number is scheduled at p_ended_at (direct calls too); answered, final: nothing. Returns the new call''s id or null. A once campaign with nothing scheduled or live left becomes completed. A call not live is left alone: returns null. Direct calls are otherwise never retried. A registered caller number''s bookkeeping comes first (_note_caller_number_result, 033): VAPI''s call.start.error-vapi-number-outbound-daily-limit rests it until its local midnight and, campaign active or paused, the call stops counting as an attempt and the same attempt is scheduled at p_ended_at (another number is chosen at claim).';

-- Why: what VAPI reports about a call (an end-of-call-report, or the ended Call read back by
-- reconciliation) only fills in: a later, thinner payload never erases what an earlier one
-- recorded. p_details is server/vapi/callDetails.ts's CallDetails as JSON; cost is the decimal
-- of the JSON number VAPI sent, into a numeric column without scale (exact).
create or replace function dialer.record_call_details(p_call_id uuid, p_details jsonb) returns void
  language sql volatile
as $$ select dialer.record_call_details(p_call_id, p_details, null, null, null) $$;
comment on function dialer.record_call_details(uuid, jsonb) is
  'Writes what VAPI reports about a call onto its row, filling in only: startedAt, endedAt, transcript, recordingUrl, summary, analysis, cost (exact decimal), costs, costBreakdown of p_details; a missing or null field keeps what the row has; nothing to fill in writes nothing.';
