-- Up Migration
-- Retry sequences and per-attempt overrides (issue 13). A campaign may give the wait before each
-- further attempt (retry_sequence: entry n is the wait before attempt n + 1, counted from the end
-- of attempt n, optionally moved into one half of the calling window) and assistant overrides
-- for chosen attempts (attempt_overrides). The rules that read them live in
-- sql/035_retry_sequences.sql; the two shape checks below are here because the constraints need
-- them when the migration runs (as _is_time_zone in 0001).

-- Internal: a whole number in [low, high] (a JSON number, not a string).
create function dialer._json_int_between(value jsonb, low integer, high integer) returns boolean
  language plpgsql immutable parallel safe
as $$
begin
  return jsonb_typeof(value) = 'number' and value::numeric between low and high and value::numeric = trunc(value::numeric);
end
$$;
comment on function dialer._json_int_between(jsonb, integer, integer) is
  'Internal (check constraints): value is a JSON number, whole, within [low, high].';

create function dialer._retry_sequence_valid(sequence jsonb) returns boolean
  language plpgsql immutable parallel safe
as $$
declare
  entry jsonb;
begin
  if jsonb_typeof(sequence) is distinct from 'array' or jsonb_array_length(sequence) > 20 then
    return false;
  end if;
  for entry in select value from jsonb_array_elements(sequence) loop
    if jsonb_typeof(entry) <> 'object'
       or exists (select 1 from jsonb_object_keys(entry) key where key not in ('after_minutes', 'shift_window'))
       or not dialer._json_int_between(entry -> 'after_minutes', 0, 525600)
       or coalesce(entry ->> 'shift_window', 'later') not in ('later', 'earlier') then
      return false;
    end if;
  end loop;
  return true;
end
$$;
comment on function dialer._retry_sequence_valid(jsonb) is
  'Internal (check constraint): a retry sequence is an array of at most 20 objects {after_minutes: integer 0..525600, shift_window?: null | ''later'' | ''earlier''}.';

create function dialer._attempt_overrides_valid(overrides jsonb, max_attempts integer) returns boolean
  language plpgsql immutable parallel safe
as $$
declare
  entry jsonb;
  seen integer[] := '{}';
begin
  if jsonb_typeof(overrides) is distinct from 'array' then
    return false;
  end if;
  for entry in select value from jsonb_array_elements(overrides) loop
    if jsonb_typeof(entry) <> 'object'
       or exists (select 1 from jsonb_object_keys(entry) key where key not in ('attempt', 'variables', 'voicemail_message'))
       or not dialer._json_int_between(entry -> 'attempt', 1, max_attempts)
       or (entry ->> 'attempt')::integer = any(seen)
       or (entry ? 'variables' and jsonb_typeof(entry -> 'variables') <> 'object')
       or (entry ? 'voicemail_message' and (jsonb_typeof(entry -> 'voicemail_message') <> 'string'
                                            or length(entry ->> 'voicemail_message') not between 1 and 1000)) then
      return false;
    end if;
    seen := seen || (entry ->> 'attempt')::integer;
  end loop;
  return true;
end
$$;
comment on function dialer._attempt_overrides_valid(jsonb, integer) is
  'Internal (check constraint): attempt overrides are an array of objects {attempt: integer 1..max_attempts, each attempt once, variables?: object, voicemail_message?: string of 1..1000 characters}.';

alter table dialer.campaigns
  add column retry_sequence jsonb not null default '[]',
  add column attempt_overrides jsonb not null default '[]',
  add constraint campaigns_retry_sequence_valid check (dialer._retry_sequence_valid(retry_sequence)),
  add constraint campaigns_retry_sequence_length check (case when jsonb_typeof(retry_sequence) = 'array' then jsonb_array_length(retry_sequence) <= max_attempts else false end),
  add constraint campaigns_attempt_overrides_valid check (dialer._attempt_overrides_valid(attempt_overrides, max_attempts));
comment on column dialer.campaigns.retry_sequence is
  'Retry sequence: entry n (1-based) is the wait before attempt n + 1, counted from the end of attempt n: {after_minutes, shift_window: null | later | earlier}. Attempts beyond it wait retry_delays / retry_delay_minutes. At most max_attempts entries (entry max_attempts is never used). See sql/035_retry_sequences.sql.';
comment on column dialer.campaigns.attempt_overrides is
  'Per-attempt assistant overrides: [{attempt, variables?, voicemail_message?}], merged into that attempt''s assistantOverrides (variables over the campaign''s and contact''s).';

-- The sequence entry that set a retry's due_at, as it was then ({step, after_minutes,
-- shift_window}), so why_not can say which step a call waits for even after the campaign changed.
alter table dialer.calls add column retry_step jsonb;
comment on column dialer.calls.retry_step is
  'The retry-sequence entry that set this call''s due_at when it was planned: {step, after_minutes, shift_window}; null when the per-outcome delay (or nothing) did.';

-- Down Migration
alter table dialer.calls drop column retry_step;
alter table dialer.campaigns
  drop constraint campaigns_attempt_overrides_valid,
  drop constraint campaigns_retry_sequence_length,
  drop constraint campaigns_retry_sequence_valid,
  drop column attempt_overrides,
  drop column retry_sequence;
drop function dialer._attempt_overrides_valid(jsonb, integer);
drop function dialer._retry_sequence_valid(jsonb);
drop function dialer._json_int_between(jsonb, integer, integer);
