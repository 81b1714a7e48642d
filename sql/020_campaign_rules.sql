-- Campaign-level rules: status, start/end dates, blackout dates, window, recurring occurrences.
-- Dates are local dates in the campaign's zone, and a date rule applies to the window day (the
-- day a window opened on), so a Friday 22:00–02:00 window is wholly inside a Friday ends_on and
-- wholly blocked by a Friday blackout date.

-- Internal: whether the campaign may call on a window day (start/end dates, blackouts).
create or replace function dialer._campaign_day_allowed(campaign dialer.campaigns, day date) returns boolean
  language sql stable parallel safe
as $$
  select (campaign.starts_on is null or day >= campaign.starts_on)
     and (campaign.ends_on is null or day <= campaign.ends_on)
     and not (day = any(campaign.blackout_dates))
$$;
comment on function dialer._campaign_day_allowed(dialer.campaigns, date) is
  'Internal: true when local date day (a window day in the campaign''s zone) is within starts_on..ends_on and not a blackout date.';

-- Internal: the window day of the campaign at an instant.
create or replace function dialer._campaign_day(campaign dialer.campaigns, at timestamptz) returns date
  language sql stable parallel safe
as $$ select dialer._window_day(campaign.time_zone, campaign.window_start, campaign.window_end, at) $$;
comment on function dialer._campaign_day(dialer.campaigns, timestamptz) is
  'Internal: the local date (campaign zone) of the campaign window instance containing at (see _window_day).';

-- Internal: every campaign-level rule of the due gate: active, not deleted, window open on an
-- allowed day.
create or replace function dialer._campaign_open(campaign dialer.campaigns, at timestamptz) returns boolean
  language sql stable parallel safe
as $$
  select campaign.status = 'active' and campaign.deleted_at is null
     and dialer.window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, at)
     and dialer._campaign_day_allowed(campaign, dialer._campaign_day(campaign, at))
$$;
comment on function dialer._campaign_open(dialer.campaigns, timestamptz) is
  'Internal: the campaign may dial at `at`: active, not deleted, window open, window day within its dates and not a blackout date.';

-- Internal: the occurrence label of a recurring campaign at an instant: the local window day
-- (daily) or its ISO week (weekly); 'once' for once campaigns.
create or replace function dialer._occurrence_label(campaign dialer.campaigns, day date) returns text
  language sql stable parallel safe
as $$
  select case campaign.frequency
           when 'daily' then to_char(day, 'YYYY-MM-DD')
           when 'weekly' then to_char(day, 'IYYY-"W"IW')
           else 'once' end
$$;
comment on function dialer._occurrence_label(dialer.campaigns, date) is
  'Internal: the occurrence a window day belongs to: ''YYYY-MM-DD'' for daily, ISO week ''IYYY-"W"IW'' for weekly, ''once'' otherwise.';

-- Internal: a recurring campaign's call is dialed only during its own occurrence (its day or
-- ISO week); what is left of an occurrence when the next one begins is skipped by
-- plan_occurrences. Calls of once campaigns have no such limit.
create or replace function dialer._occurrence_current(campaign dialer.campaigns, occurrence text, at timestamptz) returns boolean
  language sql stable parallel safe
as $$
  select campaign.frequency = 'once'
      or occurrence = dialer._occurrence_label(campaign, dialer._campaign_day(campaign, at))
$$;
comment on function dialer._occurrence_current(dialer.campaigns, text, timestamptz) is
  'Internal: true for once campaigns, else when occurrence is the campaign''s occurrence (local day or ISO week) at `at`.';

-- Internal: the earliest instant at or after `after` at which the campaign's window (or one half
-- of it) is open on an allowed day (status is not considered); null when that never happens again
-- (past ends_on, or nothing within about two years). The window day is the whole window's, so a
-- blackout Friday also blocks the after-midnight half of Friday's window.
create or replace function dialer._campaign_next_open_in(campaign dialer.campaigns, half text, after timestamptz) returns timestamptz
  language plpgsql stable parallel safe
as $$
declare
  candidate timestamptz := after;
  day date;
begin
  if campaign.starts_on is not null then
    candidate := greatest(candidate, dialer._local_start(campaign.time_zone, campaign.starts_on + time '00:00'));
  end if;
  for i in 1..800 loop
    candidate := case when half is null
                      then dialer.next_window_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, candidate)
                      else dialer.next_window_half_open(campaign.time_zone, campaign.window_start, campaign.window_end, campaign.days, half, candidate) end;
    if candidate is null then return null; end if;
    day := dialer._campaign_day(campaign, candidate);
    if campaign.ends_on is not null and day > campaign.ends_on then return null; end if;
    if dialer._campaign_day_allowed(campaign, day) then return candidate; end if;
    candidate := dialer._window_closing(campaign.time_zone, campaign.window_start, campaign.window_end, day);
  end loop;
  return null;
end
$$;
comment on function dialer._campaign_next_open_in(dialer.campaigns, text, timestamptz) is
  'Internal: the earliest instant >= after at which the campaign window (half null), or its earlier or later half (next_window_half_open), is open on a day within its dates and not blacked out (status ignored); null if never again.';

create or replace function dialer._campaign_next_open(campaign dialer.campaigns, after timestamptz) returns timestamptz
  language sql stable parallel safe
as $$ select dialer._campaign_next_open_in(campaign, null, after) $$;
comment on function dialer._campaign_next_open(dialer.campaigns, timestamptz) is
  'Internal: the earliest instant >= after at which the campaign window is open on a day within its dates and not blacked out (status ignored); null if never again.';
