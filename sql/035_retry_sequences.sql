-- Retry sequences and per-attempt overrides (migration 0012): when a campaign's next attempt is
-- due, which step of the sequence set it, and what the assistant is told on a given attempt.
--
-- The sequence (campaigns.retry_sequence): entry n is the wait before attempt n + 1, counted from
-- the end of attempt n ("the second attempt 2 hours later, the third the next day"). Attempts
-- beyond the sequence wait the per-outcome delay (retry_delays, else retry_delay_minutes), as
-- before; outcomes that are not retried (retry_outcomes) are not retried whatever the sequence.
--
-- shift_window: each window day's calling window (campaign zone) is split at its wall-clock
-- midpoint into an earlier half [start, middle) and a later half [middle, end); 09:00–17:00 splits
-- at 13:00, 22:00–02:00 at 00:00 (the half after midnight still belongs to the day the window
-- opened on), an all-day window at 12:00. 'later' makes the attempt due at the first instant, at
-- or after the end of the previous attempt plus after_minutes, that lies in the later half of the
-- window on an allowed day (starts_on..ends_on, not a blackout date); 'earlier' the same in the
-- earlier half. The halves are fixed parts of the window, not relative to the previous attempt: a
-- sequence moves calls from the morning to the afternoon by saying 'later'. Halves are wall-clock
-- times, read as window_open reads the window: on a DST day the 13:00 midpoint stays 13:00, a half
-- starting in a spring-forward gap opens after the gap, a repeated time is in the half both times.
-- The due time is only a proposal: the due gate (contact hours, calling rules, caps, concurrency)
-- still decides when the call is dialed.

-- Internal: the sequence entry that sets the wait before attempt next_attempt (entry
-- next_attempt - 1), with its step number; null when the sequence does not reach it.
create or replace function dialer._retry_step(campaign dialer.campaigns, next_attempt integer) returns jsonb
  language sql stable parallel safe
as $$
  select jsonb_build_object('step', next_attempt - 1, 'after_minutes', (entry ->> 'after_minutes')::integer,
                            'shift_window', entry -> 'shift_window')
  from (select campaign.retry_sequence -> (next_attempt - 2) as entry) step
  where next_attempt >= 2 and entry is not null
$$;
comment on function dialer._retry_step(dialer.campaigns, integer) is
  'Internal: {step, after_minutes, shift_window} of the retry-sequence entry giving the wait before attempt next_attempt (entry next_attempt - 1), or null when the sequence has no such entry.';

-- Internal: the single definition of when a retry is due (apply_call_result plans it).
create or replace function dialer._retry_due_at(campaign dialer.campaigns, next_attempt integer, outcome text, ended_at timestamptz)
returns timestamptz
  language sql stable parallel safe
as $$
  select case
           when step is null
             then ended_at + coalesce((campaign.retry_delays ->> outcome)::numeric, campaign.retry_delay_minutes) * interval '1 minute'
           when step ->> 'shift_window' in ('later', 'earlier')
             then coalesce(dialer._campaign_next_open_in(campaign, step ->> 'shift_window',
                                                           ended_at + (step ->> 'after_minutes')::integer * interval '1 minute'),
                           ended_at + (step ->> 'after_minutes')::integer * interval '1 minute')
           else ended_at + (step ->> 'after_minutes')::integer * interval '1 minute'
         end
  from (select dialer._retry_step(campaign, next_attempt) as step) chosen
$$;
comment on function dialer._retry_due_at(dialer.campaigns, integer, text, timestamptz) is
  'Internal: when attempt next_attempt is due after the previous attempt ended at ended_at with outcome: with a sequence entry, ended_at + after_minutes, moved with shift_window to the first instant at or after it in that half of the window on an allowed day (unchanged when the campaign never opens again); beyond the sequence, ended_at + retry_delays->>outcome (else retry_delay_minutes) minutes.';

-- Why: admins ask "if attempt 2 ends now, when is attempt 3?" from psql.
create or replace function dialer.retry_due_at(p_campaign_id uuid, p_next_attempt integer, p_outcome text, p_ended_at timestamptz)
returns timestamptz
  language sql stable
as $$
  select dialer._retry_due_at(campaign, p_next_attempt, p_outcome, p_ended_at)
  from dialer.campaigns campaign
  where campaign.id = p_campaign_id
$$;
comment on function dialer.retry_due_at(uuid, integer, text, timestamptz) is
  'When attempt p_next_attempt of a campaign''s contact would be due if the previous attempt ended at p_ended_at with p_outcome (no_answer, busy, voicemail, failed): the retry-sequence entry p_next_attempt - 1 (after_minutes from the end, shift_window later|earlier: the first instant from then in that half of the window on an allowed day), else the per-outcome delay. Whether the outcome is retried at all is apply_call_result''s (retry_outcomes, max_attempts). Null for an unknown campaign.';

-- Internal: the words of why_not for a call waiting for its sequence step, e.g. "retry 2 of 3
-- (sequence step 2: 120 min after attempt 2, later half of the window)".
create or replace function dialer._retry_step_text(retry_step jsonb, attempt integer, max_attempts integer) returns text
  language sql immutable parallel safe
as $$
  select format('retry %s of %s (sequence step %s: %s min after attempt %s%s)',
                attempt - 1, max_attempts - 1, retry_step ->> 'step', retry_step ->> 'after_minutes', attempt - 1,
                case retry_step ->> 'shift_window' when 'later' then ', later half of the window'
                                                   when 'earlier' then ', earlier half of the window' else '' end)
  where retry_step is not null
$$;
comment on function dialer._retry_step_text(jsonb, integer, integer) is
  'Internal: "retry <attempt - 1> of <max_attempts - 1> (sequence step <n>: <after_minutes> min after attempt <attempt - 1>[, later|earlier half of the window])"; null without a step.';

-- Why: "leave a voicemail only on the last attempt": what the assistant is told differs by
-- attempt, chosen here so the worker only sends it.
create or replace function dialer.attempt_override(p_campaign_id uuid, p_attempt integer)
returns table(variables jsonb, voicemail_message text)
  language sql stable
as $$
  select coalesce(chosen.entry -> 'variables', '{}'), chosen.entry ->> 'voicemail_message'
  from (select (select entry
                from dialer.campaigns campaign
                cross join lateral jsonb_array_elements(campaign.attempt_overrides) entry
                where campaign.id = p_campaign_id and (entry ->> 'attempt')::integer = p_attempt) as entry) chosen
$$;
comment on function dialer.attempt_override(uuid, integer) is
  'What attempt p_attempt of a campaign''s call adds to its assistantOverrides (campaigns.attempt_overrides): variables (merged over the claim''s variables: campaign, contact, membership, call; {} when none) and voicemail_message (assistantOverrides.voicemailMessage; null: the assistant''s own). Always one row; a direct call (null campaign) gets {} and null.';
