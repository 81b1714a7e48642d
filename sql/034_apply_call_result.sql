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

-- Why: the one place where an ended call turns into history, a retry, or a finished campaign,
-- applied once however many times the end is reported.
create or replace function dialer.apply_call_result(p_call_id uuid, p_ended_reason text, p_ended_at timestamptz,
                                                    p_outcome text default null, p_error text default null) returns uuid
  language plpgsql volatile
as $$
declare
  v_outcome constant text := coalesce(p_outcome, dialer.outcome_for(p_ended_reason));
  v_call dialer.calls;
  v_campaign dialer.campaigns;
  v_next_id uuid;
begin
  update dialer.calls
  set status = 'ended', outcome = v_outcome, ended_reason = p_ended_reason, ended_at = p_ended_at,
      lease_expires_at = null, last_error = coalesce(p_error, last_error), updated_at = p_ended_at
  where id = p_call_id and status not in ('ended', 'cancelled', 'skipped')
  returning * into v_call;
  if not found or v_call.campaign_id is null then
    return null;
  end if;

  -- The campaign row is locked (NO KEY UPDATE: call inserts' foreign-key checks still pass) so
  -- that ends of the same campaign decide one after the other: the last two calls ending at once
  -- would otherwise each see the other live, and the campaign would never complete.
  select * into v_campaign from dialer.campaigns where id = v_call.campaign_id for no key update;
  if v_outcome <> 'answered'
     and v_outcome = any(v_campaign.retry_outcomes)
     and not dialer._is_final_reason(p_ended_reason)
     and v_call.attempt < v_campaign.max_attempts
     and v_campaign.status in ('active', 'paused') and v_campaign.deleted_at is null then
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, variables, attempt, occurrence, due_at)
    values (v_call.tenant_id, v_call.campaign_id, v_call.contact_id, v_call.phone, v_call.variables,
            v_call.attempt + 1, v_call.occurrence,
            p_ended_at + coalesce((v_campaign.retry_delays ->> v_outcome)::numeric, v_campaign.retry_delay_minutes)
                         * interval '1 minute')
    on conflict on constraint calls_attempt_unique do nothing
    returning id into v_next_id;
  end if;

  if v_campaign.frequency = 'once' then
    perform dialer._complete_once_campaign(v_campaign.id, p_ended_at);
  end if;
  return v_next_id;
end
$$;
comment on function dialer.apply_call_result(uuid, text, timestamptz, text, text) is
  'Ends a call: status ended, outcome (p_outcome, else outcome_for(p_ended_reason)), ended_reason, ended_at, lease cleared, last_error = p_error if given. Then, for a campaign call whose outcome is in retry_outcomes, not answered, not a do-not-retry reason, below max_attempts, campaign active or paused: creates attempt + 1 of the same occurrence due at p_ended_at + retry_delays->>outcome minutes (else retry_delay_minutes) and returns its id. A once campaign with nothing scheduled or live left becomes completed. A call already ended, cancelled or skipped is left alone: returns null. Direct calls are never retried.';
