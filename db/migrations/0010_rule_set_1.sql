-- Up Migration
-- Rule set 1: the calling-rule packs of issue 12, from the researched RULES.md (citations and
-- confidence per rule; sql/rules/README.md lists every rule, its grade and how it ships).
-- One block per pack, as JSON, read by a loader that lives only in this session (pg_temp): a
-- new version of a pack is a new migration inserting rule set 2 (copying the packs it keeps).
--
-- Pack format: rules[] of {id, jurisdiction, summary, applies_to[], windows?, holidays?
-- {calendar, days?}, cap? {max, window, scope}, effective_from?, effective_to?, enabled?,
-- citation, confidence, shipped_as?}; windows maps ISO weekdays ("1-5", "6", "7") and
-- "holiday" to lists of [start, end) local minutes; a weekday not named has no window;
-- requires_known_jurisdiction? (fail closed for contacts whose jurisdiction is unknown).
-- calendars{} of holiday lists: {name, kind, month?, day?, weekday?, nth?, offset?, date?,
-- observed?, from?, to?}.

create function pg_temp.windows(spec jsonb) returns int4multirange[]
  language plpgsql immutable
as $$
declare
  result int4multirange[] := array_fill('{}'::int4multirange, array[7]) || array[null::int4multirange];
  entry record;
  first_day integer;
  last_day integer;
  ranges int4multirange;
begin
  if spec is null then
    return null;
  end if;
  for entry in select key, value from jsonb_each(spec) loop
    select coalesce(range_agg(int4range((r ->> 0)::integer, (r ->> 1)::integer)), '{}'::int4multirange) into ranges
    from jsonb_array_elements(entry.value) r;
    if entry.key = 'holiday' then
      result[8] := ranges;
    else
      first_day := split_part(entry.key, '-', 1)::integer;
      last_day := coalesce(nullif(split_part(entry.key, '-', 2), ''), split_part(entry.key, '-', 1))::integer;
      for d in first_day..last_day loop
        result[d] := ranges;
      end loop;
    end if;
  end loop;
  return result;
end
$$;

create function pg_temp.load_pack(p_rule_set integer, pack jsonb) returns void
  language plpgsql
as $$
begin
  insert into dialer.holiday_rules (rule_set, calendar, name, kind, month, day, weekday, nth, offset_days, on_date, observed, valid_from, valid_to)
  select p_rule_set, calendar.key, h ->> 'name', h ->> 'kind', (h ->> 'month')::integer, (h ->> 'day')::integer,
         (h ->> 'weekday')::integer, (h ->> 'nth')::integer, coalesce((h ->> 'offset')::integer, 0), (h ->> 'date')::date,
         coalesce(h ->> 'observed', 'none'), (h ->> 'from')::date, (h ->> 'to')::date
  from jsonb_each(coalesce(pack -> 'calendars', '{}')) calendar
  cross join jsonb_array_elements(calendar.value) h;

  insert into dialer.rules (rule_set, id, jurisdiction, summary, applies_to, windows, holiday_calendar, holiday_days,
                            cap_max, cap_window, cap_scope, effective_from, effective_to, enabled, requires_known_jurisdiction,
                            citation, confidence, shipped_as)
  select p_rule_set, r ->> 'id', r ->> 'jurisdiction', r ->> 'summary',
         array(select jsonb_array_elements_text(r -> 'applies_to')),
         pg_temp.windows(r -> 'windows'), r -> 'holidays' ->> 'calendar',
         case when r -> 'holidays' -> 'days' is null then '{1,2,3,4,5,6,7}' else array(select jsonb_array_elements_text(r -> 'holidays' -> 'days'))::integer[] end,
         (r -> 'cap' ->> 'max')::integer, (r -> 'cap' ->> 'window')::interval, r -> 'cap' ->> 'scope',
         (r ->> 'effective_from')::date, (r ->> 'effective_to')::date, coalesce((r ->> 'enabled')::boolean, true),
         coalesce((r ->> 'requires_known_jurisdiction')::boolean, false),
         r ->> 'citation', r ->> 'confidence', r ->> 'shipped_as'
  from jsonb_array_elements(pack -> 'rules') r;
end
$$;

insert into dialer.rule_sets (version, migration, notes)
values (1, '0010_rule_set_1', 'US federal, the states of RULES.md graded P or S (and the disputed ones, disabled or at their strictest reading), Canada (CRTC) and British Columbia.');

-- Pack us-federal: TCPA / TSR curfew and the FCC caps on exempt artificial-voice calls.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1, "observed": "sat_fri_sun_mon"},
      {"name": "Birthday of Martin Luther King, Jr.", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "Washington's Birthday", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Memorial Day", "kind": "nth_weekday", "month": 5, "weekday": 1, "nth": -1},
      {"name": "Juneteenth National Independence Day", "kind": "fixed", "month": 6, "day": 19, "observed": "sat_fri_sun_mon", "from": "2021-06-17"},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4, "observed": "sat_fri_sun_mon"},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Columbus Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Veterans Day", "kind": "fixed", "month": 11, "day": 11, "observed": "sat_fri_sun_mon"},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25, "observed": "sat_fri_sun_mon"}
    ]
  },
  "rules": [
    {"id": "us-federal.tcpa", "jurisdiction": "US", "summary": "no telephone solicitation before 08:00 or after 21:00 local",
     "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1260]]},
     "citation": "47 CFR 64.1200(c)(1); 16 CFR 310.4(c)", "confidence": "P"},
    {"id": "us-federal.exempt-artificial-voice-cap", "jurisdiction": "US",
     "summary": "exempt (non-telemarketing) artificial-voice calls to a residential line: at most 3 per 30 days",
     "applies_to": ["informational", "automated"], "cap": {"max": 3, "window": "30 days", "scope": "number"},
     "effective_from": "2023-07-20", "citation": "47 CFR 64.1200(a)(3); FCC 20-186, FCC 22-100", "confidence": "S",
     "shipped_as": "applied to every informational automated call (the line type and consent are not known)"}
  ]
} $pack$::jsonb);

-- Pack us-al: Alabama PSC rule for automated solicitations, with the state's legal holidays.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us-al": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1, "observed": "sat_fri_sun_mon"},
      {"name": "Robert E. Lee / Martin Luther King Jr. Day", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "George Washington / Thomas Jefferson Day", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Mardi Gras (Baldwin and Mobile counties; applied statewide)", "kind": "easter", "offset": -47},
      {"name": "Confederate Memorial Day", "kind": "nth_weekday", "month": 4, "weekday": 1, "nth": 4},
      {"name": "National Memorial Day", "kind": "nth_weekday", "month": 5, "weekday": 1, "nth": -1},
      {"name": "Jefferson Davis's Birthday", "kind": "nth_weekday", "month": 6, "weekday": 1, "nth": 1},
      {"name": "Juneteenth", "kind": "fixed", "month": 6, "day": 19, "observed": "sat_fri_sun_mon"},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4, "observed": "sat_fri_sun_mon"},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Columbus Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Veterans Day", "kind": "fixed", "month": 11, "day": 11, "observed": "sat_fri_sun_mon"},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Rosa Parks Day (uncertain)", "kind": "fixed", "month": 12, "day": 1, "observed": "sat_fri_sun_mon"},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25, "observed": "sat_fri_sun_mon"}
    ]
  },
  "rules": [
    {"id": "us-al.770-x-5-.17", "jurisdiction": "US-AL", "summary": "automated solicitation: Mon-Sat 08:00-20:00, no Sundays, no legal holidays",
     "applies_to": ["solicitation", "automated"], "windows": {"1-6": [[480, 1200]], "holiday": []}, "holidays": {"calendar": "us-al"},
     "citation": "Ala. Admin. Code r. 770-X-5-.17(1)(b); Ala. Code 1-3-8", "confidence": "P",
     "shipped_as": "enabled although its reach beyond telephone utilities is disputed; Mardi Gras and Rosa Parks Day applied statewide"}
  ]
} $pack$::jsonb);

-- Pack us-ct: Connecticut PA 23-98.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ct.pa23-98", "jurisdiction": "US-CT", "summary": "telephone solicitation 09:00-20:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[540, 1200]]}, "effective_from": "2023-10-01",
   "citation": "Conn. PA 23-98 (SB 1058)", "confidence": "?", "shipped_as": "strictest reading (09:00-20:00; one chart still shows 21:00)"}
] } $pack$::jsonb);

-- Pack us-fl: Florida Telephone Solicitation Act.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-fl.501.616", "jurisdiction": "US-FL", "summary": "commercial telephone solicitation 08:00-20:00 local; at most 3 calls per person per subject per 24 h, from any number",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "cap": {"max": 3, "window": "24 hours", "scope": "person"},
   "effective_from": "2021-07-01", "citation": "Fla. Stat. 501.616(6)(a)-(b); 501.059", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-ky: Kentucky.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ky.hours", "jurisdiction": "US-KY", "summary": "telephone solicitation 10:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[600, 1260]]},
   "citation": "ClickPoint and Drop Cowboy charts; KRS 367.461 (automated equipment, 08:00-21:00)", "confidence": "S",
   "shipped_as": "the charts' 10:00-21:00 (stricter than KRS 367.461)"}
] } $pack$::jsonb);

-- Pack us-la: Louisiana PSC order and the emergency statute.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us-la": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1},
      {"name": "Martin Luther King Jr. Day", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "Presidents' Day (disputed)", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Mardi Gras", "kind": "easter", "offset": -47},
      {"name": "Good Friday", "kind": "easter", "offset": -2},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Day after Thanksgiving", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4, "offset": 1},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25},
      {"name": "Declared 2020-12-24", "kind": "date", "date": "2020-12-24"},
      {"name": "Declared 2020-12-31", "kind": "date", "date": "2020-12-31"},
      {"name": "Declared 2023-07-03", "kind": "date", "date": "2023-07-03"},
      {"name": "Declared 2023-12-26", "kind": "date", "date": "2023-12-26"}
    ]
  },
  "rules": [
    {"id": "us-la.r-29617", "jurisdiction": "US-LA", "summary": "telephonic solicitation Mon-Sat 08:00-20:00, no Sundays, no PSC-listed or declared holidays (exemptions do not apply)",
     "applies_to": ["solicitation"], "windows": {"1-6": [[480, 1200]], "holiday": []}, "holidays": {"calendar": "us-la"},
     "citation": "LPSC General Order R-29617 V(A)(1)-(2)", "confidence": "P",
     "shipped_as": "Presidents' Day (disputed) included; governor-declared days are added as one-off dates by new migrations"},
    {"id": "us-la.45-844.31", "jurisdiction": "US-LA", "summary": "no telephonic solicitation during a declared emergency (enforced through blackout records)",
     "applies_to": ["solicitation"], "citation": "La. R.S. 45:844.31; LPSC GO R-29617", "confidence": "P",
     "shipped_as": "a marker: the ban is a blackout record (POST /v1/compliance/blackouts) while the LPSC staffs the EOC"}
  ]
} $pack$::jsonb);

-- Pack us-me: Maine automated devices.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-me.1498.automated", "jurisdiction": "US-ME", "summary": "automated devices: weekdays 09:00-17:00 only, at most 1 call per number per 8 h",
   "applies_to": ["automated"], "windows": {"1-5": [[540, 1020]]}, "cap": {"max": 1, "window": "8 hours", "scope": "number"},
   "citation": "10 MRSA 1498(3)", "confidence": "?", "shipped_as": "strictest reading (text quoted in a 2003 bill; currency not confirmed); the cap counts attempts, not only completed calls"}
] } $pack$::jsonb);

-- Pack us-md: Maryland Stop the Spam Calls Act.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-md.stop-spam-2023", "jurisdiction": "US-MD", "summary": "telephone solicitation 08:00-20:00 local; at most 3 per person per subject per 24 h",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "cap": {"max": 3, "window": "24 hours", "scope": "person"},
   "effective_from": "2024-01-01", "citation": "Md. Stop the Spam Calls Act of 2023", "confidence": "S",
   "shipped_as": "calls only (the act also counts texts, which pgdialer does not send)"}
] } $pack$::jsonb);

-- Pack us-ma: Massachusetts.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ma.201cmr12", "jurisdiction": "US-MA", "summary": "telephone solicitation 08:00-20:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "citation": "201 CMR 12.02(2)", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-ms: Mississippi.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ms.77-3-723", "jurisdiction": "US-MS", "summary": "solicitation Mon-Sat 08:00-20:00, no Sundays",
   "applies_to": ["solicitation"], "windows": {"1-6": [[480, 1200]]}, "citation": "Miss. Code 77-3-723; 77-3-603", "confidence": "P",
   "shipped_as": "the statute's \"Central Standard Time\" read as the local wall clock; holidays no longer restricted (2024)"}
] } $pack$::jsonb);

-- Pack us-ne: Nebraska prerecorded messages.
select pg_temp.load_pack(1, $pack$ {
  "rules": [
    {"id": "us-ne.291-11", "jurisdiction": "US-NE", "summary": "prerecorded messages only 13:00-21:00 on Sundays and holidays",
     "applies_to": ["automated"], "windows": {"1-6": [[0, 1440]], "7": [[780, 1260]], "holiday": [[780, 1260]]},
     "holidays": {"calendar": "us"}, "citation": "Neb. Admin. Code Title 291 Ch. 11 3", "confidence": "S",
     "shipped_as": "holidays read as the US federal holidays (no Nebraska list in the sources)"}
  ]
} $pack$::jsonb);

-- Pack us-nv: Nevada automated dialing-announcing devices.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-nv.597.814", "jurisdiction": "US-NV", "summary": "automated dialing-announcing device 09:00-20:00 local",
   "applies_to": ["automated"], "windows": {"1-7": [[540, 1200]]}, "citation": "NRS 597.814", "confidence": "?",
   "shipped_as": "strictest reading: the charts' 20:00 end (the statute says 21:00)"}
] } $pack$::jsonb);

-- Pack us-nj: New Jersey.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-nj.56-8-128", "jurisdiction": "US-NJ", "summary": "telemarketing sales calls 08:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1260]]}, "citation": "N.J.S.A. 56:8-128(d)", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-ny: New York.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ny.399-z", "jurisdiction": "US-NY", "summary": "telemarketing sales calls 08:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1260]]}, "citation": "N.Y. GBL 399-z(2)", "confidence": "P"},
  {"id": "us-ny.399-z.emergency", "jurisdiction": "US-NY", "summary": "no unsolicited telemarketing into an area under a declared emergency (enforced through blackout records)",
   "applies_to": ["solicitation"], "citation": "N.Y. GBL 399-z(5-a), 399-pp(7)(f)", "confidence": "P",
   "shipped_as": "a marker: the ban is a blackout record, county-wide records hold the whole state (contacts carry no county)"}
] } $pack$::jsonb);

-- Pack us-ok: Oklahoma Telephone Solicitation Act and ADAD statute.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-ok.otsa-2022", "jurisdiction": "US-OK", "summary": "telephone solicitation 08:00-20:00 local; at most 3 per person per subject per 24 h, from any number",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "cap": {"max": 3, "window": "24 hours", "scope": "person"},
   "effective_from": "2022-11-01", "citation": "15 O.S. 775C", "confidence": "S"},
  {"id": "us-ok.755.1", "jurisdiction": "US-OK", "summary": "automatic dialing-announcing device 09:00-21:00 local",
   "applies_to": ["automated"], "windows": {"1-7": [[540, 1260]]}, "citation": "15 O.S. 755.1(C)(2)", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-pa: Pennsylvania Telemarketer Registration Act.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us-pa": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1},
      {"name": "Martin Luther King Jr. Day", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "Presidents' Day", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Good Friday", "kind": "easter", "offset": -2},
      {"name": "Memorial Day", "kind": "nth_weekday", "month": 5, "weekday": 1, "nth": -1},
      {"name": "Flag Day", "kind": "fixed", "month": 6, "day": 14},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Columbus Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Election Day", "kind": "nth_weekday", "month": 11, "weekday": 1, "nth": 1, "offset": 1},
      {"name": "Veterans Day", "kind": "fixed", "month": 11, "day": 11},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Bill of Rights Day (uncertain)", "kind": "fixed", "month": 12, "day": 15},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25}
    ]
  },
  "rules": [
    {"id": "us-pa.act73-2019", "jurisdiction": "US-PA", "summary": "no telephone solicitation on legal holidays",
     "applies_to": ["solicitation"], "windows": {"1-7": [[0, 1440]], "holiday": []}, "holidays": {"calendar": "us-pa"},
     "effective_from": "2019-12-03", "citation": "73 P.S. 2241 et seq. as amended by Act 73 of 2019", "confidence": "P",
     "shipped_as": "Bill of Rights Day (uncertain) included"},
    {"id": "us-pa.sb992-2025", "jurisdiction": "US-PA", "summary": "pending bill: 09:00-19:00, no Sundays",
     "applies_to": ["solicitation"], "windows": {"1-6": [[540, 1140]]}, "enabled": false,
     "citation": "Pa. SB 992 (2025), passed the Senate", "confidence": "?", "shipped_as": "disabled: not enacted"}
  ]
} $pack$::jsonb);

-- Pack us-ri: Rhode Island.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us-ri": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1, "observed": "sun_mon"},
      {"name": "Martin Luther King Jr. Day", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "Washington's Birthday", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Rhode Island Independence Day", "kind": "fixed", "month": 5, "day": 4, "observed": "sun_mon"},
      {"name": "Memorial Day", "kind": "nth_weekday", "month": 5, "weekday": 1, "nth": -1},
      {"name": "Juneteenth (to be confirmed)", "kind": "fixed", "month": 6, "day": 19, "observed": "sun_mon"},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4, "observed": "sun_mon"},
      {"name": "Victory Day", "kind": "nth_weekday", "month": 8, "weekday": 1, "nth": 2},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Columbus Day / Indigenous Peoples' Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Veterans Day", "kind": "fixed", "month": 11, "day": 11, "observed": "sun_mon"},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25, "observed": "sun_mon"}
    ]
  },
  "rules": [
    {"id": "us-ri.5-61", "jurisdiction": "US-RI", "summary": "telephone solicitation Mon-Fri 09:00-18:00, Sat 10:00-17:00, no Sundays, no holidays on weekdays",
     "applies_to": ["solicitation"], "windows": {"1-5": [[540, 1080]], "6": [[600, 1020]], "holiday": []},
     "holidays": {"calendar": "us-ri", "days": [1, 2, 3, 4, 5]}, "citation": "R.I. Gen. Laws 5-61-2, 5-61-3.6", "confidence": "P",
     "shipped_as": "Juneteenth (to be confirmed) included"}
  ]
} $pack$::jsonb);

-- Pack us-sd: South Dakota automated dialing systems.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-sd.37-30-28", "jurisdiction": "US-SD", "summary": "automated dialing systems: weekdays 09:00-21:00 only",
   "applies_to": ["automated"], "windows": {"1-5": [[540, 1260]]}, "citation": "SDCL 37-30-28", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-tx: Texas.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-tx.301.051", "jurisdiction": "US-TX", "summary": "telephone solicitation Mon-Sat 09:00-21:00, Sunday 12:00-21:00",
   "applies_to": ["solicitation"], "windows": {"1-6": [[540, 1260]], "7": [[720, 1260]]},
   "citation": "Tex. Bus. & Com. Code 301.051", "confidence": "?", "shipped_as": "strictest reading (one source has no Sunday rule)"}
] } $pack$::jsonb);

-- Pack us-ut: Utah.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "us-ut": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1, "observed": "sat_fri_sun_mon"},
      {"name": "Martin Luther King Jr. / Human Rights Day", "kind": "nth_weekday", "month": 1, "weekday": 1, "nth": 3},
      {"name": "Washington and Lincoln Day", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3},
      {"name": "Memorial Day", "kind": "nth_weekday", "month": 5, "weekday": 1, "nth": -1},
      {"name": "Juneteenth", "kind": "fixed", "month": 6, "day": 19, "observed": "sat_fri_sun_mon"},
      {"name": "Independence Day", "kind": "fixed", "month": 7, "day": 4, "observed": "sat_fri_sun_mon"},
      {"name": "Pioneer Day", "kind": "fixed", "month": 7, "day": 24, "observed": "sat_fri_sun_mon"},
      {"name": "Labor Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "Columbus Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Veterans Day", "kind": "fixed", "month": 11, "day": 11, "observed": "sat_fri_sun_mon"},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 11, "weekday": 4, "nth": 4},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25, "observed": "sat_fri_sun_mon"}
    ]
  },
  "rules": [
    {"id": "us-ut.13-25a-103", "jurisdiction": "US-UT", "summary": "telephone solicitation Mon-Sat 08:00-21:00, no Sundays, no legal holidays",
     "applies_to": ["solicitation"], "windows": {"1-6": [[480, 1260]], "holiday": []}, "holidays": {"calendar": "us-ut"},
     "citation": "Utah Code 13-25a-103(3)", "confidence": "P",
     "shipped_as": "the statute's hours (a dialer seed's 09:00-20:00 conflicts); the prior-consent exemption is not modelled"}
  ]
} $pack$::jsonb);

-- Pack us-wa: Washington.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-wa.19.158.040", "jurisdiction": "US-WA", "summary": "telephone solicitation 08:00-20:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "citation": "RCW 19.158.040(2)", "confidence": "P"}
] } $pack$::jsonb);

-- Pack us-wy: Wyoming.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-wy.hours", "jurisdiction": "US-WY", "summary": "telephone solicitation 08:00-20:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[480, 1200]]}, "citation": "VICIdial seed; Wyo. Stat. 40-12-303", "confidence": "S"}
] } $pack$::jsonb);

-- Pack us-in: Indiana.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-in.hours", "jurisdiction": "US-IN", "summary": "telephone solicitation 09:00-20:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[540, 1200]]}, "citation": "VICIdial seed; IC 24-5-14-5", "confidence": "?",
   "shipped_as": "strictest reading (the seed's hours)"}
] } $pack$::jsonb);

-- Pack us-il: Illinois.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-il.prerecorded", "jurisdiction": "US-IL", "summary": "prerecorded / automated calls 09:00-21:00 local",
   "applies_to": ["automated"], "windows": {"1-7": [[540, 1260]]}, "citation": "ClickPoint chart", "confidence": "?",
   "shipped_as": "strictest reading (09:00 start for automated calls; another chart says 08:00)"}
] } $pack$::jsonb);

-- Packs us-mi, us-mn, us-nm: the charts' 09:00-21:00.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "us-mi.hours", "jurisdiction": "US-MI", "summary": "telephone solicitation 09:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[540, 1260]]}, "citation": "Drop Cowboy chart", "confidence": "S"},
  {"id": "us-mn.hours", "jurisdiction": "US-MN", "summary": "telephone solicitation 09:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[540, 1260]]}, "citation": "Drop Cowboy chart", "confidence": "S"},
  {"id": "us-nm.hours", "jurisdiction": "US-NM", "summary": "telephone solicitation 09:00-21:00 local",
   "applies_to": ["solicitation"], "windows": {"1-7": [[540, 1260]]}, "citation": "Drop Cowboy chart", "confidence": "S"}
] } $pack$::jsonb);

-- Pack ca-crtc: CRTC Unsolicited Telecommunications Rules.
select pg_temp.load_pack(1, $pack$ { "rules": [
  {"id": "ca-crtc.utr", "jurisdiction": "CA", "summary": "telemarketing weekdays 09:00-21:30, weekends 10:00-18:00 local",
   "applies_to": ["solicitation"], "windows": {"1-5": [[540, 1290]], "6-7": [[600, 1080]]},
   "citation": "CRTC Unsolicited Telecommunications Rules, Part II", "confidence": "P"},
  {"id": "ca-crtc.adad", "jurisdiction": "CA", "summary": "ADAD non-solicitation calls: weekdays 09:30-20:00, Sat 10:30-17:00, Sun 12:00-17:00",
   "applies_to": ["informational", "automated"], "windows": {"1-5": [[570, 1200]], "6": [[630, 1020]], "7": [[720, 1020]]}, "enabled": false,
   "citation": "old phone-company leaflet", "confidence": "?", "shipped_as": "disabled: the only source may be outdated"}
] } $pack$::jsonb);

-- Pack ca-bc: British Columbia Telemarketer Licensing Regulation.
select pg_temp.load_pack(1, $pack$ {
  "calendars": {
    "ca-bc": [
      {"name": "New Year's Day", "kind": "fixed", "month": 1, "day": 1},
      {"name": "Family Day", "kind": "nth_weekday", "month": 2, "weekday": 1, "nth": 3, "from": "2019-01-01"},
      {"name": "Good Friday", "kind": "easter", "offset": -2},
      {"name": "Victoria Day", "kind": "weekday_on_or_before", "month": 5, "day": 24, "weekday": 1},
      {"name": "Canada Day", "kind": "fixed", "month": 7, "day": 1, "observed": "sun_mon"},
      {"name": "B.C. Day", "kind": "nth_weekday", "month": 8, "weekday": 1, "nth": 1},
      {"name": "Labour Day", "kind": "nth_weekday", "month": 9, "weekday": 1, "nth": 1},
      {"name": "National Day for Truth and Reconciliation", "kind": "fixed", "month": 9, "day": 30, "from": "2023-03-09"},
      {"name": "Thanksgiving Day", "kind": "nth_weekday", "month": 10, "weekday": 1, "nth": 2},
      {"name": "Remembrance Day", "kind": "fixed", "month": 11, "day": 11},
      {"name": "Christmas Day", "kind": "fixed", "month": 12, "day": 25}
    ]
  },
  "rules": [
    {"id": "ca-bc.tlr", "jurisdiction": "CA-BC", "summary": "weekdays 09:00-21:30, weekends 10:00-18:00, no statutory holidays; once per 30 days per person about the same offer",
     "applies_to": ["solicitation"], "windows": {"1-5": [[540, 1290]], "6-7": [[600, 1080]], "holiday": []}, "holidays": {"calendar": "ca-bc"},
     "cap": {"max": 1, "window": "30 days", "scope": "person"},
     "citation": "B.C. Telemarketer Licensing Regulation; Employment Standards Act (statutory holidays)", "confidence": "P",
     "shipped_as": "the holiday list is the Employment Standards Act's (secondary sources); the offer is the campaign subject"}
  ]
} $pack$::jsonb);

-- Down Migration
delete from dialer.rule_sets where version = 1;
