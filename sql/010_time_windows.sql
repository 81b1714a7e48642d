-- Time windows: whether a local-time window is open at an instant, and when it next opens.
--
-- Semantics ("wall clock"): a window is open at an instant when the local wall-clock time of that
-- instant in the zone lies in the window of a scheduled day. That is what a person's clock shows,
-- which is what calling-hours rules speak about. On DST days:
--   * spring forward (a gap of wall times that never occur): a window whose start falls in the gap
--     opens at the first instant after the gap; one that ends in the gap closes when the gap begins;
--     one lying entirely inside the gap does not open that day.
--   * fall back (wall times that occur twice): the window is open during both, e.g. a 00:00–01:30
--     window in New York is open 00:00–01:30 EDT and again 01:00–01:30 EST.
-- A window with window_end < window_start runs past midnight and belongs to the day it opens on;
-- window_start = window_end means the whole local day. Zones are IANA names (tzdata of the server).

-- Internal: the UTC offset of a zone at an instant.
create or replace function dialer._utc_offset(tz text, at timestamptz) returns interval
  language sql immutable parallel safe
as $$ select (at at time zone tz) - (at at time zone 'UTC') $$;
comment on function dialer._utc_offset(text, timestamptz) is
  'Internal: the UTC offset of zone tz at instant at (e.g. -05:00:00 for New York in winter).';

-- Internal: the local date a window instance belongs to. The part of a past-midnight window after
-- midnight belongs to the previous day (the day it opened on).
create or replace function dialer._window_day(tz text, window_start time, window_end time, at timestamptz) returns date
  language sql immutable parallel safe
as $$
  select case when window_start > window_end and (at at time zone tz)::time < window_end
              then (at at time zone tz)::date - 1
              else (at at time zone tz)::date end
$$;
comment on function dialer._window_day(text, time, time, timestamptz) is
  'Internal: the local date (in tz) of the window instance that contains at, or of the local day of at when outside windows: the previous date for the after-midnight part of a past-midnight window.';

-- Why: the single definition of "may we call now" in local time, used by every rule.
create or replace function dialer.window_open(tz text, window_start time, window_end time, days integer[], at timestamptz) returns boolean
  language sql immutable parallel safe
as $$
  select extract(isodow from dialer._window_day(tz, window_start, window_end, at))::integer = any(days)
     and case when window_start = window_end then true
              when window_start < window_end
                then (at at time zone tz)::time >= window_start and (at at time zone tz)::time < window_end
              else (at at time zone tz)::time >= window_start or (at at time zone tz)::time < window_end end
$$;
comment on function dialer.window_open(text, time, time, integer[], timestamptz) is
  'True when the local wall time of at in zone tz lies in [window_start, window_end) of a day in days (ISO weekdays, 1 = Monday). window_end < window_start: the window runs past midnight and belongs to the day it opens on. window_start = window_end: the whole day. DST: wall times in a gap never occur (a window starting in the gap opens right after it); repeated wall times are open both times.';

-- Internal: the instants at which the wall clock in tz reads exactly local_time: one for an
-- ordinary time, two for a repeated one (fall back), none for one in a gap (spring forward).
-- Both offsets in force within a day either side are tried (zones do not change twice in two days).
create or replace function dialer._local_instants(tz text, local_time timestamp) returns setof timestamptz
  language sql immutable strict parallel safe
as $$
  select distinct candidate
  from (select (local_time - dialer._utc_offset(tz, (local_time at time zone 'UTC') + shift)) at time zone 'UTC' as candidate
        from (values (interval '-1 day'), (interval '1 day')) as shifts (shift)) as candidates
  where (candidate at time zone tz) = local_time
  order by candidate
$$;
comment on function dialer._local_instants(text, timestamp) is
  'Internal: the instants whose wall-clock time in tz is local_time: one, two (repeated at fall back) or none (in a spring-forward gap), earliest first.';

-- Internal: the first instant whose local wall time in tz is at or after the given local time:
-- the earlier instant of a repeated time; for a time in a gap, the end of the gap, found by
-- bisection to the second between the two offsets' readings.
create or replace function dialer._local_start(tz text, local_time timestamp) returns timestamptz
  language plpgsql immutable strict parallel safe
as $$
declare
  approx constant timestamptz := local_time at time zone 'UTC';
  first_instant timestamptz := (select min(instant) from dialer._local_instants(tz, local_time) as instant);
  low bigint;
  high bigint;
  middle bigint;
begin
  if first_instant is not null then
    return first_instant;
  end if;
  -- In a gap: read with the offset before it, the time is past the gap; with the one after, before it.
  low := floor(extract(epoch from least((local_time - dialer._utc_offset(tz, approx - interval '1 day')) at time zone 'UTC',
                                        (local_time - dialer._utc_offset(tz, approx + interval '1 day')) at time zone 'UTC')));
  high := ceil(extract(epoch from greatest((local_time - dialer._utc_offset(tz, approx - interval '1 day')) at time zone 'UTC',
                                           (local_time - dialer._utc_offset(tz, approx + interval '1 day')) at time zone 'UTC')));
  while high - low > 1 loop
    middle := (low + high) / 2;
    if (to_timestamp(middle) at time zone tz) >= local_time then high := middle; else low := middle; end if;
  end loop;
  return to_timestamp(high);
end
$$;
comment on function dialer._local_start(text, timestamp) is
  'Internal: the first instant at which the wall clock in tz reads local_time or later: the earlier of two instants for a repeated (fall-back) time, the end of the gap for a time that does not exist (spring forward).';

-- Internal: the instants within [from_at, to_at) at which the zone changes its UTC offset (found
-- day by day, then to the second by bisection). Used to find windows that reopen after a fall-back.
create or replace function dialer._tz_transitions(tz text, from_at timestamptz, to_at timestamptz) returns setof timestamptz
  language plpgsql immutable strict parallel safe
as $$
declare
  step timestamptz := from_at;
  low bigint;
  high bigint;
  middle bigint;
  low_offset interval;
begin
  while step < to_at loop
    if dialer._utc_offset(tz, step) <> dialer._utc_offset(tz, step + interval '1 day') then
      low := floor(extract(epoch from step));
      high := ceil(extract(epoch from step + interval '1 day'));
      low_offset := dialer._utc_offset(tz, to_timestamp(low));
      while high - low > 1 loop
        middle := (low + high) / 2;
        if dialer._utc_offset(tz, to_timestamp(middle)) = low_offset then low := middle; else high := middle; end if;
      end loop;
      return next to_timestamp(high);
    end if;
    step := step + interval '1 day';
  end loop;
end
$$;
comment on function dialer._tz_transitions(text, timestamptz, timestamptz) is
  'Internal: instants in [from_at, to_at) at which zone tz changes its UTC offset (at most one per day is assumed).';

-- Internal: when the window of a given local day opens (the first instant of the whole day for an
-- all-day window). Used for the due time of a recurring occurrence.
create or replace function dialer._window_opening(tz text, window_start time, window_end time, day date) returns timestamptz
  language sql immutable strict parallel safe
as $$
  select dialer._local_start(tz, day + case when window_start = window_end then time '00:00' else window_start end)
$$;
comment on function dialer._window_opening(text, time, time, date) is
  'Internal: the first instant of the window of local day `day` (its start, or midnight for an all-day window), whether or not day is a scheduled day.';

-- Internal: when the window of a given local day closes (see _window_opening).
create or replace function dialer._window_closing(tz text, window_start time, window_end time, day date) returns timestamptz
  language sql immutable strict parallel safe
as $$
  select dialer._local_start(tz, case when window_start = window_end then day + 1 + time '00:00'
                                      when window_start < window_end then day + window_end
                                      else day + 1 + window_end end)
$$;
comment on function dialer._window_closing(text, time, time, date) is
  'Internal: the first instant after the window of local day `day` (its end; midnight after the day for an all-day window).';

-- Why: the worker sleeps until a window opens and admins ask "when will this campaign call again";
-- both need the exact instant, DST days included.
create or replace function dialer.next_window_open(tz text, window_start time, window_end time, days integer[], after timestamptz) returns timestamptz
  language plpgsql immutable parallel safe
as $$
declare
  local_day date;
  found_at timestamptz;
begin
  if tz is null or window_start is null or window_end is null or after is null
     or days is null or not (days && array[1, 2, 3, 4, 5, 6, 7]) then
    return null;
  end if;
  if dialer.window_open(tz, window_start, window_end, days, after) then
    return after;
  end if;
  local_day := (after at time zone tz)::date;
  -- Fast path, nearly always: no change of UTC offset around the horizon, so every local time
  -- is one instant and windows open only when a scheduled day's window starts.
  if (select count(distinct dialer._utc_offset(tz, after + step * interval '1 day'))
      from generate_series(-2, 10) as step) = 1 then
    select min(candidate) into found_at
    from (select (local_day + offset_days + case when window_start = window_end then time '00:00' else window_start end)
                   at time zone tz as candidate
          from generate_series(-1, 8) as offset_days
          where extract(isodow from local_day + offset_days)::integer = any(days)) as candidates
    where candidate > after and dialer.window_open(tz, window_start, window_end, days, candidate);
    return found_at;
  end if;
  -- Around a DST change: a window opens when a scheduled day's window starts (at either reading
  -- of a repeated start time, or right after a gap), or when a fall-back transition puts the
  -- wall clock back inside a window.
  select min(candidate) into found_at
  from (
    select dialer._window_opening(tz, window_start, window_end, local_day + offset_days) as candidate
    from generate_series(-1, 8) as offset_days
    where extract(isodow from local_day + offset_days)::integer = any(days)
    union all
    select dialer._local_instants(tz, local_day + offset_days + window_start)
    from generate_series(-1, 8) as offset_days
    where extract(isodow from local_day + offset_days)::integer = any(days)
    union all
    select dialer._tz_transitions(tz, after, after + interval '10 days')
  ) as candidates
  where candidate > after and dialer.window_open(tz, window_start, window_end, days, candidate);
  return found_at;
end
$$;
comment on function dialer.next_window_open(text, time, time, integer[], timestamptz) is
  'after itself when window_open(...) is true then, else the earliest later instant at which it is; null when days holds no weekday 1–7. A window start in a DST gap opens at the first instant after the gap.';

-- Window halves, for retry sequences' shift_window (sql/035_retry_sequences.sql): each day's window
-- split at its wall-clock midpoint.

-- Internal: one half of a window as a window of its own (start, end, the ISO weekdays it opens
-- on). The half of a past-midnight window that starts after midnight opens on the next weekday.
create or replace function dialer._window_half(window_start time, window_end time, days integer[], half text)
returns table(half_start time, half_end time, half_days integer[])
  language sql immutable parallel safe
as $$
  with span as (
    select case when window_start = window_end then interval '0' else window_start - time '00:00' end as opens,
           case when window_start = window_end then interval '24 hours'
                when window_start < window_end then window_end - window_start
                else interval '24 hours' - (window_start - window_end) end as length
  ), bounds as (
    select case half when 'earlier' then opens else opens + length / 2 end as from_offset,
           case half when 'earlier' then opens + length / 2 else opens + length end as to_offset
    from span
  )
  select time '00:00' + (from_offset - case when from_offset >= interval '24 hours' then interval '24 hours' else interval '0' end),
         time '00:00' + (to_offset - case when from_offset >= interval '24 hours' then interval '24 hours' else interval '0' end),
         case when from_offset >= interval '24 hours'
              then array(select day % 7 + 1 from unnest(days) day order by 1)
              else days end
  from bounds
  where half in ('earlier', 'later')
$$;
comment on function dialer._window_half(time, time, integer[], text) is
  'Internal: the earlier or later half of the window [window_start, window_end) on days, split at its wall-clock midpoint, as a window (start, end, ISO weekdays); the part after midnight of a past-midnight window opens on the next weekday. A half ending at midnight has end 00:00 (a past-midnight window in window_open''s terms).';

-- Why: "later" and "earlier" need the same instants window_open and next_window_open give for a
-- whole window, DST days and past-midnight windows included; both are asked of the half as a window.
create or replace function dialer.next_window_half_open(tz text, window_start time, window_end time, days integer[],
                                                        half text, after timestamptz) returns timestamptz
  language sql immutable parallel safe
as $$
  select dialer.next_window_open(tz, part.half_start, part.half_end, part.half_days, after)
  from dialer._window_half(window_start, window_end, days, half) part
$$;
comment on function dialer.next_window_half_open(text, time, time, integer[], text, timestamptz) is
  'The first instant >= after at which the local wall time in tz lies in the given half (''earlier'' | ''later'') of the window [window_start, window_end) of a day in days, the window split at its wall-clock midpoint (09:00-17:00 at 13:00; 22:00-02:00 at 00:00, the after-midnight half belonging to the day the window opened; all day at 12:00). DST as next_window_open. Null when days is empty or half is neither.';
