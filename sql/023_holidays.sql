-- Holidays as rules (dialer.holiday_rules, loaded with the rule packs): the dates are computed,
-- never stored, so a calendar is right for any year. A holiday whose date falls on a weekend may
-- also be observed on a weekday (observed 'sat_fri_sun_mon': Saturday → Friday, Sunday → Monday;
-- 'sun_mon': Sunday → Monday only); both the date itself and the observed day are holidays (the
-- strict reading: RULES.md quotes DNC.com treating the observed day as restricted, and no source
-- says the day itself stops being one).

-- Internal: Western (Gregorian) Easter Sunday of a year (the anonymous Gregorian algorithm).
create or replace function dialer._easter(year integer) returns date
  language plpgsql immutable strict parallel safe
as $$
declare
  a integer := year % 19;
  b integer := year / 100;
  c integer := year % 100;
  h integer;
  l integer;
  m integer;
begin
  h := (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30;
  l := (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7;
  m := (a + 11 * h + 22 * l) / 451;
  return make_date(year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
end
$$;
comment on function dialer._easter(integer) is 'Internal: the date of Western Easter Sunday in year (Gregorian calendar).';

-- Internal: the date a holiday rule gives in a year (null for a one-off date of another year),
-- before any observed-day shift.
create or replace function dialer._holiday_date(holiday dialer.holiday_rules, year integer) returns date
  language sql immutable parallel safe
as $$
  select case holiday.kind
           when 'fixed' then make_date(year, holiday.month, holiday.day)
           when 'nth_weekday' then
             case when holiday.nth > 0
                  then make_date(year, holiday.month, 1)
                       + (holiday.weekday - extract(isodow from make_date(year, holiday.month, 1))::integer + 7) % 7
                       + 7 * (holiday.nth - 1)
                  else (make_date(year, holiday.month, 1) + interval '1 month')::date - 1
                       - (extract(isodow from (make_date(year, holiday.month, 1) + interval '1 month')::date - 1)::integer
                          - holiday.weekday + 7) % 7 end
           when 'weekday_on_or_before' then
             make_date(year, holiday.month, holiday.day)
             - (extract(isodow from make_date(year, holiday.month, holiday.day))::integer - holiday.weekday + 7) % 7
           when 'easter' then dialer._easter(year)
           when 'date' then case when extract(year from holiday.on_date) = year then holiday.on_date end
         end + holiday.offset_days
$$;
comment on function dialer._holiday_date(dialer.holiday_rules, integer) is
  'Internal: the date of a holiday rule in year: fixed month/day, nth (or last, nth = -1) ISO weekday of a month, the weekday on or before month/day, Easter, or a one-off date (null in other years); plus offset_days. No observed shift.';

-- Internal: the weekday a holiday falling on a weekend is observed on; null when not shifted.
create or replace function dialer._observed_day(day date, observed text) returns date
  language sql immutable parallel safe
as $$
  select case when observed = 'sat_fri_sun_mon' and extract(isodow from day) = 6 then day - 1
              when observed in ('sat_fri_sun_mon', 'sun_mon') and extract(isodow from day) = 7 then day + 1 end
$$;
comment on function dialer._observed_day(date, text) is
  'Internal: the observed day of a holiday on day: Saturday → Friday and Sunday → Monday (sat_fri_sun_mon), Sunday → Monday (sun_mon); null when it is not shifted.';

-- Internal: every holiday date (and observed day) of a calendar of a rule set in [from_day, to_day].
create or replace function dialer._calendar_days(p_rule_set integer, p_calendar text, from_day date, to_day date)
returns table(day date, name text, observed boolean)
  language sql stable parallel safe
as $$
  select shifted.day, holiday.name, shifted.observed
  from dialer.holiday_rules holiday
  cross join generate_series(extract(year from from_day)::integer - 1, extract(year from to_day)::integer + 1) as year
  cross join lateral (select dialer._holiday_date(holiday, year) as actual) dated
  cross join lateral (values (dated.actual, false), (dialer._observed_day(dated.actual, holiday.observed), true)) as shifted (day, observed)
  where holiday.rule_set = p_rule_set and holiday.calendar = p_calendar
    and dated.actual is not null and shifted.day is not null
    and (holiday.valid_from is null or dated.actual >= holiday.valid_from)
    and (holiday.valid_to is null or dated.actual <= holiday.valid_to)
    and shifted.day between from_day and to_day
$$;
comment on function dialer._calendar_days(integer, text, date, date) is
  'Internal: the holidays of calendar p_calendar of rule set p_rule_set between from_day and to_day: each date, and where it is shifted its observed day (observed = true).';

-- Internal: the name of the holiday of a calendar on a day (the first by name), null if none.
-- The gate asks this per call, so it computes only the holiday rules that can fall on the day
-- (those of the day's month or the months either side, Easter-relative, one-off and offset ones)
-- with the same _holiday_date and _observed_day as _calendar_days (tests check they agree on every
-- day of 2026-2030). Computing a whole calendar per call cost milliseconds.
create or replace function dialer._holiday_on(p_rule_set integer, p_calendar text, p_day date) returns text
  language plpgsql stable parallel safe
as $$
declare
  holiday dialer.holiday_rules;
  actual date;
  year integer;
begin
  for holiday in
    select * from dialer.holiday_rules h
    where h.rule_set = p_rule_set and h.calendar = p_calendar
      and (h.kind in ('easter', 'date') or h.offset_days <> 0
           or h.month in (extract(month from p_day - 1)::integer, extract(month from p_day)::integer, extract(month from p_day + 1)::integer))
    order by h.name
  loop
    -- A date of the next year may be observed on this one (1 January on a Saturday: 31 December).
    foreach year in array array[extract(year from p_day)::integer, extract(year from p_day + 1)::integer] loop
      actual := dialer._holiday_date(holiday, year);
      if actual is not null
         and (holiday.valid_from is null or actual >= holiday.valid_from)
         and (holiday.valid_to is null or actual <= holiday.valid_to)
         and (actual = p_day or dialer._observed_day(actual, holiday.observed) = p_day) then
        return holiday.name;
      end if;
    end loop;
  end loop;
  return null;
end
$$;
comment on function dialer._holiday_on(integer, text, date) is
  'Internal: the holiday (or observed holiday) of calendar p_calendar on p_day in rule set p_rule_set, the first by name; null when the day is not one.';

-- Internal: the rule set in force: the highest version that has rules (read from rules_pkey, an
-- index probe, where rule_sets would be a scan of a one-page table).
create or replace function dialer._current_rule_set() returns integer
  language sql stable parallel safe
as $$ select max(rule_set) from dialer.rules $$;
comment on function dialer._current_rule_set() is 'Internal: the version of the rule set in force (the highest loaded).';

-- Why: "which days are holidays here?" must be answerable for any year, from the rules the gate
-- uses. A jurisdiction's calendars: the one named after it ('us' for US, 'us-al', …) and those
-- its rules in force refer to.
create or replace function dialer.holidays(p_jurisdiction text, p_from date, p_to date)
returns table(day date, name text, calendar text, observed boolean)
  language sql stable
as $$
  select days.day, days.name, calendars.calendar, days.observed
  from (select lower(p_jurisdiction) as calendar
        union
        select rule.holiday_calendar from dialer.rules rule
        where rule.rule_set = dialer._current_rule_set() and rule.jurisdiction = upper(p_jurisdiction)
          and rule.holiday_calendar is not null) calendars
  cross join lateral dialer._calendar_days(dialer._current_rule_set(), calendars.calendar, p_from, p_to) days
  order by days.day, days.observed, days.name
$$;
comment on function dialer.holidays(text, date, date) is
  'The holidays of a jurisdiction (''US'', ''US-AL'', ''CA-BC'', …) from p_from to p_to in the rule set in force: day, name, calendar, observed (true: the weekday a weekend holiday is observed on; the date itself is listed too).';
