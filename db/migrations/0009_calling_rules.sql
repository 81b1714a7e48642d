-- Up Migration
-- Calling rules by jurisdiction (issue 12): the reference tables that say whose rules apply to a
-- number, the versioned rule packs (rules and holiday rules; the packs themselves are loaded by
-- the next migration, one block per pack), emergency blackouts, and the per-tenant/per-campaign
-- call profile. Functions live in sql/080_jurisdictions.sql … sql/086_calling_allowed.sql.

-- Jurisdictions whose rules the engine knows: 'US' and 'CA' (federal / national), 'US-FL',
-- 'CA-BC', … time_zones: every zone an area code of the jurisdiction is in (from the area-code
-- table below): where a rule is checked when nothing better is known about a number.
create table dialer.jurisdictions (
  code text primary key,
  country text not null,
  name text not null,
  time_zones text[] not null default '{}',
  constraint jurisdictions_code_format check (code ~ '^(US|CA)(-[A-Z]{2})?$'),
  constraint jurisdictions_country_valid check (country in ('US', 'CA') and left(code, 2) = country)
);
comment on table dialer.jurisdictions is 'Reference: US, CA and their states/provinces (ISO 3166-2 codes) with the zones their area codes are in.';

-- NANP area code → state/province. Generated from libphonenumber's geocoding data
-- (resources/geocoding/en/1.txt, google/libphonenumber f7e3e88, July 2026): the area-code line
-- where there is one ("1201|New Jersey"), else the state most of its prefix lines name; 867 is
-- the three territories and 902/782 Nova Scotia and Prince Edward Island, so they list several.
-- time_zones are those of server/csv/nanpAreaCodes.ts (the same 414 codes).
create table dialer.area_codes (
  area_code text primary key,
  jurisdictions text[] not null,
  time_zones text[] not null,
  constraint area_codes_format check (area_code ~ '^[2-9][0-9]{2}$')
);
comment on table dialer.area_codes is 'Reference: NANP geographic area code → its state(s)/province(s) and zone(s).';

-- US ZIP code prefixes (first three digits) → state, as ranges (USPS 3-digit ZIP prefix
-- assignments; military 090-099, 340, 962-966 and territories other than the states map to
-- nothing, so such a code gives no candidate). Canadian postal codes: the first letter.
create table dialer.zip_prefixes (
  first_prefix text primary key,
  last_prefix text not null,
  jurisdiction text not null,
  constraint zip_prefixes_format check (first_prefix ~ '^[0-9]{3}$' and last_prefix ~ '^[0-9]{3}$' and last_prefix >= first_prefix),
  constraint zip_prefixes_jurisdiction_fk foreign key (jurisdiction) references dialer.jurisdictions (code) on delete cascade
);
comment on table dialer.zip_prefixes is 'Reference: US ZIP prefix ranges [first_prefix, last_prefix] → state.';
create table dialer.postal_letters (
  letter text primary key,
  jurisdictions text[] not null,
  constraint postal_letters_format check (letter ~ '^[A-Z]$')
);
comment on table dialer.postal_letters is 'Reference: first letter of a Canadian postal code → province(s)/territories.';

-- A rule set is one version of every pack; a new version is a new migration that inserts a new
-- set (copying what did not change). The current set is the highest version; the claim records
-- it on each call (calls.rule_set).
create table dialer.rule_sets (
  version integer primary key,
  migration text not null,
  notes text,
  loaded_at timestamptz not null default now(),
  constraint rule_sets_version_positive check (version > 0)
);
comment on table dialer.rule_sets is 'Versions of the rule packs; the highest is in force. calls.rule_set records the one that allowed a call.';

-- Holidays are rules, not dated rows: a fixed date, the nth (or last, nth = -1) weekday of a
-- month, a weekday on or before a date (Victoria Day), Easter-relative, or a one-off declared
-- date; offset_days moves the result (Election Day = first Monday of November + 1); observed
-- moves a date that falls on a weekend (the day itself stays a holiday too).
create table dialer.holiday_rules (
  rule_set integer not null,
  calendar text not null,
  name text not null,
  kind text not null,
  month integer,
  day integer,
  weekday integer,
  nth integer,
  offset_days integer not null default 0,
  on_date date,
  observed text not null default 'none',
  valid_from date,
  valid_to date,
  constraint holiday_rules_pkey primary key (rule_set, calendar, name),
  constraint holiday_rules_rule_set_fk foreign key (rule_set) references dialer.rule_sets (version) on delete cascade,
  constraint holiday_rules_kind_valid check (kind in ('fixed', 'nth_weekday', 'weekday_on_or_before', 'easter', 'date')),
  constraint holiday_rules_fields check (case kind
    when 'fixed' then month between 1 and 12 and day between 1 and 31
    when 'nth_weekday' then month between 1 and 12 and weekday between 1 and 7 and nth in (-1, 1, 2, 3, 4, 5)
    when 'weekday_on_or_before' then month between 1 and 12 and day between 1 and 31 and weekday between 1 and 7
    when 'easter' then true
    when 'date' then on_date is not null end),
  constraint holiday_rules_observed_valid check (observed in ('none', 'sat_fri_sun_mon', 'sun_mon'))
);
comment on table dialer.holiday_rules is 'Holiday calendars as rules (fixed, nth/last weekday, weekday on or before a date, Easter + offset, one-off date), with observed-day shifts. dialer.holidays() lists the dates.';

-- One rule of a pack. applies_to: the call types it covers ('solicitation', 'informational'; none
-- named = both) and, with 'automated', only calls by an automated (AI/prerecorded) voice.
-- windows: allowed local minutes per ISO weekday (index 1 = Monday … 7 = Sunday) and, at index 8,
-- on a holiday of holiday_calendar falling on one of holiday_days (null = no special holiday
-- hours; an empty multirange = no calls); null windows = no hours limit (a cap-only rule).
-- cap: at most cap_max calls in cap_window, counted per number or per person and subject.
-- effective_from/to: local dates. enabled = false: shipped switched off (a disputed or pending
-- rule); shipped_as says how the data was read (see sql/rules/README.md).
-- requires_known_jurisdiction: the rule forbids calls to contacts with no candidate jurisdiction
-- (fail closed) instead of letting the default (federal) pack decide.
create table dialer.rules (
  rule_set integer not null,
  id text not null,
  jurisdiction text not null,
  summary text not null,
  applies_to text[] not null,
  windows int4multirange[],
  holiday_calendar text,
  holiday_days integer[] not null default '{1,2,3,4,5,6,7}',
  cap_max integer,
  cap_window interval,
  cap_scope text,
  effective_from date,
  effective_to date,
  enabled boolean not null default true,
  requires_known_jurisdiction boolean not null default false,
  citation text not null,
  confidence text not null,
  shipped_as text,
  constraint rules_pkey primary key (rule_set, id),
  constraint rules_rule_set_fk foreign key (rule_set) references dialer.rule_sets (version) on delete cascade,
  constraint rules_jurisdiction_fk foreign key (jurisdiction) references dialer.jurisdictions (code) on delete cascade,
  constraint rules_id_format check (id ~ '^[a-z]{2}(-[a-z]+)?\.[a-z0-9.-]+$'),
  constraint rules_applies_to_valid check (applies_to <@ '{solicitation,informational,automated}'::text[] and cardinality(applies_to) > 0),
  constraint rules_windows_days check (windows is null or (cardinality(windows) = 8 and array_lower(windows, 1) = 1)),
  constraint rules_windows_weekdays check (windows is null or array_position(windows[1:7], null) is null),
  constraint rules_cap_complete check ((cap_max is null) = (cap_window is null) and (cap_max is null) = (cap_scope is null)),
  constraint rules_cap_valid check (cap_max > 0 and cap_window > interval '0' and cap_scope in ('person', 'number')),
  constraint rules_effective_ordered check (effective_to >= effective_from),
  constraint rules_confidence_valid check (confidence in ('P', 'S', '?'))
);
create index rules_jurisdiction_idx on dialer.rules (rule_set, jurisdiction);
comment on table dialer.rules is 'Calling rules by jurisdiction, one row per rule per rule set: windows per weekday and on holidays, caps, effective dates, citation and confidence (P primary, S secondary, ? disputed).';

-- Emergency blackouts: while one is in force, calls of the types it covers to contacts of its
-- jurisdiction wait. county narrows the record for people; the gate knows no contact's county,
-- so it holds every contact of the jurisdiction (the strict reading).
create table dialer.blackouts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  jurisdiction text not null,
  county text,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  reason text not null,
  applies_to text[] not null default '{solicitation}',
  created_at timestamptz not null default now(),
  constraint blackouts_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint blackouts_jurisdiction_fk foreign key (jurisdiction) references dialer.jurisdictions (code) on delete restrict,
  constraint blackouts_ordered check (ends_at > starts_at),
  constraint blackouts_reason_length check (length(reason) between 1 and 500),
  constraint blackouts_county_length check (length(county) between 1 and 100),
  constraint blackouts_applies_to_valid check (applies_to <@ '{solicitation,informational}'::text[] and cardinality(applies_to) > 0)
);
create index blackouts_tenant_jurisdiction_idx on dialer.blackouts (tenant_id, jurisdiction, ends_at);
comment on table dialer.blackouts is 'Emergency blackouts of a tenant: calls to contacts of jurisdiction wait from starts_at to ends_at.';

-- The call profile: the tenant's defaults, a campaign's overrides (null = the tenant's), and the
-- rules switched off (the campaign's add to the tenant's).
alter table dialer.tenants
  add column call_type text not null default 'solicitation',
  add column automated_voice boolean not null default true,
  add column disabled_rules text[] not null default '{}',
  add constraint tenants_call_type_valid check (call_type in ('solicitation', 'informational'));
alter table dialer.campaigns
  add column call_type text,
  add column automated_voice boolean,
  add column disabled_rules text[] not null default '{}',
  add column subject text,
  add constraint campaigns_call_type_valid check (call_type in ('solicitation', 'informational')),
  add constraint campaigns_subject_length check (length(subject) between 1 and 200);
comment on column dialer.campaigns.subject is
  'What the calls are about: per-person caps ("3 per 24 h on the same subject") count the calls of every campaign of the tenant with the same subject; null = the tenant''s shared default subject.';

-- Whose rules apply to a contact: explicit state/province, postal code, and (derived, kept by a
-- trigger in sql/024_jurisdictions.sql) every candidate jurisdiction and the zones they put the
-- number in (region_zones: its area code's, else its states'/provinces'), where rules are checked
-- when the contact has no zone of its own. person_key groups the numbers of one person.
alter table dialer.contacts
  add column state text,
  add column postal_code text,
  add column person_key text,
  add column jurisdictions text[] not null default '{}',
  add column region_zones text[] not null default '{}',
  add constraint contacts_state_format check (state ~ '^(US|CA)-[A-Z]{2}$'),
  add constraint contacts_postal_code_length check (length(postal_code) between 3 and 10),
  add constraint contacts_person_key_length check (length(person_key) between 1 and 200);

-- What the claim records on a call: the rule set that allowed it, and the keys of per-person
-- caps (subject '' = the shared default; person = person_key or the contact id). Per-person caps
-- count claims (claimed_at), not started dials: another number of the person may be claimed
-- while a claimed call has not started yet, and no live-call rule covers the person.
alter table dialer.calls
  add column rule_set integer,
  add column cap_subject text,
  add column cap_person text;
create index calls_person_claimed_idx on dialer.calls (tenant_id, cap_subject, cap_person, claimed_at)
  where cap_person is not null and claimed_at is not null;

-- Reference data.
insert into dialer.jurisdictions (code, country, name, time_zones) values
  ('US', 'US', 'United States (federal)', '{}'),
  ('CA', 'CA', 'Canada (national)', '{}'),
  ('CA-AB', 'CA', 'Alberta', '{America/Edmonton}'),
  ('CA-BC', 'CA', 'British Columbia', '{America/Edmonton,America/Vancouver}'),
  ('CA-MB', 'CA', 'Manitoba', '{America/Winnipeg}'),
  ('CA-NB', 'CA', 'New Brunswick', '{America/Moncton}'),
  ('CA-NL', 'CA', 'Newfoundland and Labrador', '{America/Goose_Bay,America/St_Johns}'),
  ('CA-NS', 'CA', 'Nova Scotia', '{America/Halifax}'),
  ('CA-NT', 'CA', 'Northwest Territories', '{America/Edmonton,America/Toronto,America/Whitehorse,America/Winnipeg}'),
  ('CA-NU', 'CA', 'Nunavut', '{America/Edmonton,America/Toronto,America/Whitehorse,America/Winnipeg}'),
  ('CA-ON', 'CA', 'Ontario', '{America/Toronto,America/Winnipeg}'),
  ('CA-PE', 'CA', 'Prince Edward Island', '{America/Halifax}'),
  ('CA-QC', 'CA', 'Quebec', '{America/Halifax,America/Toronto}'),
  ('CA-SK', 'CA', 'Saskatchewan', '{America/Regina}'),
  ('CA-YT', 'CA', 'Yukon', '{America/Edmonton,America/Toronto,America/Whitehorse,America/Winnipeg}'),
  ('US-AK', 'US', 'Alaska', '{America/Adak,America/Anchorage}'),
  ('US-AL', 'US', 'Alabama', '{America/Chicago}'),
  ('US-AR', 'US', 'Arkansas', '{America/Chicago}'),
  ('US-AZ', 'US', 'Arizona', '{America/Denver,America/Phoenix}'),
  ('US-CA', 'US', 'California', '{America/Los_Angeles}'),
  ('US-CO', 'US', 'Colorado', '{America/Denver}'),
  ('US-CT', 'US', 'Connecticut', '{America/New_York}'),
  ('US-DC', 'US', 'District of Columbia', '{America/New_York}'),
  ('US-DE', 'US', 'Delaware', '{America/New_York}'),
  ('US-FL', 'US', 'Florida', '{America/Chicago,America/New_York}'),
  ('US-GA', 'US', 'Georgia', '{America/New_York}'),
  ('US-HI', 'US', 'Hawaii', '{Pacific/Honolulu}'),
  ('US-IA', 'US', 'Iowa', '{America/Chicago}'),
  ('US-ID', 'US', 'Idaho', '{America/Denver,America/Los_Angeles}'),
  ('US-IL', 'US', 'Illinois', '{America/Chicago}'),
  ('US-IN', 'US', 'Indiana', '{America/Chicago,America/New_York}'),
  ('US-KS', 'US', 'Kansas', '{America/Chicago,America/Denver}'),
  ('US-KY', 'US', 'Kentucky', '{America/Chicago,America/New_York}'),
  ('US-LA', 'US', 'Louisiana', '{America/Chicago}'),
  ('US-MA', 'US', 'Massachusetts', '{America/New_York}'),
  ('US-MD', 'US', 'Maryland', '{America/New_York}'),
  ('US-ME', 'US', 'Maine', '{America/New_York}'),
  ('US-MI', 'US', 'Michigan', '{America/Chicago,America/New_York}'),
  ('US-MN', 'US', 'Minnesota', '{America/Chicago}'),
  ('US-MO', 'US', 'Missouri', '{America/Chicago}'),
  ('US-MS', 'US', 'Mississippi', '{America/Chicago}'),
  ('US-MT', 'US', 'Montana', '{America/Denver}'),
  ('US-NC', 'US', 'North Carolina', '{America/New_York}'),
  ('US-ND', 'US', 'North Dakota', '{America/Chicago,America/Denver}'),
  ('US-NE', 'US', 'Nebraska', '{America/Chicago,America/Denver}'),
  ('US-NH', 'US', 'New Hampshire', '{America/New_York}'),
  ('US-NJ', 'US', 'New Jersey', '{America/New_York}'),
  ('US-NM', 'US', 'New Mexico', '{America/Denver}'),
  ('US-NV', 'US', 'Nevada', '{America/Denver,America/Los_Angeles}'),
  ('US-NY', 'US', 'New York', '{America/New_York}'),
  ('US-OH', 'US', 'Ohio', '{America/New_York}'),
  ('US-OK', 'US', 'Oklahoma', '{America/Chicago}'),
  ('US-OR', 'US', 'Oregon', '{America/Denver,America/Los_Angeles}'),
  ('US-PA', 'US', 'Pennsylvania', '{America/New_York}'),
  ('US-RI', 'US', 'Rhode Island', '{America/New_York}'),
  ('US-SC', 'US', 'South Carolina', '{America/New_York}'),
  ('US-SD', 'US', 'South Dakota', '{America/Chicago,America/Denver}'),
  ('US-TN', 'US', 'Tennessee', '{America/Chicago,America/New_York}'),
  ('US-TX', 'US', 'Texas', '{America/Chicago,America/Denver}'),
  ('US-UT', 'US', 'Utah', '{America/Denver}'),
  ('US-VA', 'US', 'Virginia', '{America/New_York}'),
  ('US-VT', 'US', 'Vermont', '{America/New_York}'),
  ('US-WA', 'US', 'Washington', '{America/Los_Angeles}'),
  ('US-WI', 'US', 'Wisconsin', '{America/Chicago}'),
  ('US-WV', 'US', 'West Virginia', '{America/New_York}'),
  ('US-WY', 'US', 'Wyoming', '{America/Denver}');

insert into dialer.area_codes (area_code, jurisdictions, time_zones) values
  ('201', '{US-NJ}', '{America/New_York}'), ('202', '{US-DC}', '{America/New_York}'), ('203', '{US-CT}', '{America/New_York}'), ('204', '{CA-MB}', '{America/Winnipeg}'),
  ('205', '{US-AL}', '{America/Chicago}'), ('206', '{US-WA}', '{America/Los_Angeles}'), ('207', '{US-ME}', '{America/New_York}'), ('208', '{US-ID}', '{America/Denver,America/Los_Angeles}'),
  ('209', '{US-CA}', '{America/Los_Angeles}'), ('210', '{US-TX}', '{America/Chicago}'), ('212', '{US-NY}', '{America/New_York}'), ('213', '{US-CA}', '{America/Los_Angeles}'),
  ('214', '{US-TX}', '{America/Chicago}'), ('215', '{US-PA}', '{America/New_York}'), ('216', '{US-OH}', '{America/New_York}'), ('217', '{US-IL}', '{America/Chicago}'),
  ('218', '{US-MN}', '{America/Chicago}'), ('219', '{US-IN}', '{America/Chicago}'), ('220', '{US-OH}', '{America/New_York}'), ('223', '{US-PA}', '{America/New_York}'),
  ('224', '{US-IL}', '{America/Chicago}'), ('225', '{US-LA}', '{America/Chicago}'), ('226', '{CA-ON}', '{America/Toronto}'), ('227', '{US-MD}', '{America/New_York}'),
  ('228', '{US-MS}', '{America/Chicago}'), ('229', '{US-GA}', '{America/New_York}'), ('231', '{US-MI}', '{America/New_York}'), ('234', '{US-OH}', '{America/New_York}'),
  ('235', '{US-MO}', '{America/Chicago}'), ('236', '{CA-BC}', '{America/Vancouver,America/Edmonton}'), ('239', '{US-FL}', '{America/New_York}'), ('240', '{US-MD}', '{America/New_York}'),
  ('248', '{US-MI}', '{America/New_York}'), ('249', '{CA-ON}', '{America/Toronto}'), ('250', '{CA-BC}', '{America/Vancouver,America/Edmonton}'), ('251', '{US-AL}', '{America/Chicago}'),
  ('252', '{US-NC}', '{America/New_York}'), ('253', '{US-WA}', '{America/Los_Angeles}'), ('254', '{US-TX}', '{America/Chicago}'), ('256', '{US-AL}', '{America/Chicago}'),
  ('257', '{CA-BC}', '{America/Vancouver,America/Edmonton}'), ('260', '{US-IN}', '{America/New_York}'), ('262', '{US-WI}', '{America/Chicago}'), ('263', '{CA-QC}', '{America/Toronto}'),
  ('267', '{US-PA}', '{America/New_York}'), ('269', '{US-MI}', '{America/New_York}'), ('270', '{US-KY}', '{America/New_York,America/Chicago}'), ('272', '{US-PA}', '{America/New_York}'),
  ('274', '{US-WI}', '{America/Chicago}'), ('276', '{US-VA}', '{America/New_York}'), ('279', '{US-CA}', '{America/Los_Angeles}'), ('281', '{US-TX}', '{America/Chicago}'),
  ('283', '{US-OH}', '{America/New_York}'), ('289', '{CA-ON}', '{America/Toronto}'), ('301', '{US-MD}', '{America/New_York}'), ('302', '{US-DE}', '{America/New_York}'),
  ('303', '{US-CO}', '{America/Denver}'), ('304', '{US-WV}', '{America/New_York}'), ('305', '{US-FL}', '{America/New_York}'), ('306', '{CA-SK}', '{America/Regina}'),
  ('307', '{US-WY}', '{America/Denver}'), ('308', '{US-NE}', '{America/Chicago,America/Denver}'), ('309', '{US-IL}', '{America/Chicago}'), ('310', '{US-CA}', '{America/Los_Angeles}'),
  ('312', '{US-IL}', '{America/Chicago}'), ('313', '{US-MI}', '{America/New_York}'), ('314', '{US-MO}', '{America/Chicago}'), ('315', '{US-NY}', '{America/New_York}'),
  ('316', '{US-KS}', '{America/Chicago}'), ('317', '{US-IN}', '{America/New_York}'), ('318', '{US-LA}', '{America/Chicago}'), ('319', '{US-IA}', '{America/Chicago}'),
  ('320', '{US-MN}', '{America/Chicago}'), ('321', '{US-FL}', '{America/New_York}'), ('323', '{US-CA}', '{America/Los_Angeles}'), ('324', '{US-FL}', '{America/New_York}'),
  ('325', '{US-TX}', '{America/Chicago}'), ('326', '{US-OH}', '{America/New_York}'), ('327', '{US-AR}', '{America/Chicago}'), ('329', '{US-NY}', '{America/New_York}'),
  ('330', '{US-OH}', '{America/New_York}'), ('331', '{US-IL}', '{America/Chicago}'), ('332', '{US-NY}', '{America/New_York}'), ('334', '{US-AL}', '{America/Chicago}'),
  ('336', '{US-NC}', '{America/New_York}'), ('337', '{US-LA}', '{America/Chicago}'), ('339', '{US-MA}', '{America/New_York}'), ('341', '{US-CA}', '{America/Los_Angeles}'),
  ('343', '{CA-ON}', '{America/Toronto}'), ('346', '{US-TX}', '{America/Chicago}'), ('347', '{US-NY}', '{America/New_York}'), ('350', '{US-CA}', '{America/Los_Angeles}'),
  ('351', '{US-MA}', '{America/New_York}'), ('352', '{US-FL}', '{America/New_York}'), ('353', '{US-WI}', '{America/Chicago}'), ('354', '{CA-QC}', '{America/Toronto}'),
  ('360', '{US-WA}', '{America/Los_Angeles}'), ('361', '{US-TX}', '{America/Chicago}'), ('363', '{US-NY}', '{America/New_York}'), ('364', '{US-KY}', '{America/New_York,America/Chicago}'),
  ('365', '{CA-ON}', '{America/Toronto}'), ('367', '{CA-QC}', '{America/Toronto,America/Halifax}'), ('368', '{CA-AB}', '{America/Edmonton}'), ('369', '{US-CA}', '{America/Los_Angeles}'),
  ('380', '{US-OH}', '{America/New_York}'), ('382', '{CA-ON}', '{America/Toronto}'), ('385', '{US-UT}', '{America/Denver}'), ('386', '{US-FL}', '{America/New_York}'),
  ('401', '{US-RI}', '{America/New_York}'), ('402', '{US-NE}', '{America/Chicago}'), ('403', '{CA-AB}', '{America/Edmonton}'), ('404', '{US-GA}', '{America/New_York}'),
  ('405', '{US-OK}', '{America/Chicago}'), ('406', '{US-MT}', '{America/Denver}'), ('407', '{US-FL}', '{America/New_York}'), ('408', '{US-CA}', '{America/Los_Angeles}'),
  ('409', '{US-TX}', '{America/Chicago}'), ('410', '{US-MD}', '{America/New_York}'), ('412', '{US-PA}', '{America/New_York}'), ('413', '{US-MA}', '{America/New_York}'),
  ('414', '{US-WI}', '{America/Chicago}'), ('415', '{US-CA}', '{America/Los_Angeles}'), ('416', '{CA-ON}', '{America/Toronto}'), ('417', '{US-MO}', '{America/Chicago}'),
  ('418', '{CA-QC}', '{America/Toronto,America/Halifax}'), ('419', '{US-OH}', '{America/New_York}'), ('423', '{US-TN}', '{America/New_York,America/Chicago}'), ('424', '{US-CA}', '{America/Los_Angeles}'),
  ('425', '{US-WA}', '{America/Los_Angeles}'), ('428', '{CA-NB}', '{America/Moncton}'), ('430', '{US-TX}', '{America/Chicago}'), ('431', '{CA-MB}', '{America/Winnipeg}'),
  ('432', '{US-TX}', '{America/Chicago,America/Denver}'), ('434', '{US-VA}', '{America/New_York}'), ('435', '{US-UT}', '{America/Denver}'), ('437', '{CA-ON}', '{America/Toronto}'),
  ('438', '{CA-QC}', '{America/Toronto}'), ('440', '{US-OH}', '{America/New_York}'), ('442', '{US-CA}', '{America/Los_Angeles}'), ('443', '{US-MD}', '{America/New_York}'),
  ('445', '{US-PA}', '{America/New_York}'), ('447', '{US-IL}', '{America/Chicago}'), ('448', '{US-FL}', '{America/New_York,America/Chicago}'), ('450', '{CA-QC}', '{America/Toronto}'),
  ('458', '{US-OR}', '{America/Denver,America/Los_Angeles}'), ('463', '{US-IN}', '{America/New_York}'), ('464', '{US-IL}', '{America/Chicago}'), ('468', '{CA-QC}', '{America/Toronto}'),
  ('469', '{US-TX}', '{America/Chicago}'), ('470', '{US-GA}', '{America/New_York}'), ('472', '{US-NC}', '{America/New_York}'), ('474', '{CA-SK}', '{America/Regina}'),
  ('475', '{US-CT}', '{America/New_York}'), ('478', '{US-GA}', '{America/New_York}'), ('479', '{US-AR}', '{America/Chicago}'), ('480', '{US-AZ}', '{America/Phoenix}'),
  ('484', '{US-PA}', '{America/New_York}'), ('501', '{US-AR}', '{America/Chicago}'), ('502', '{US-KY}', '{America/New_York}'), ('503', '{US-OR}', '{America/Los_Angeles}'),
  ('504', '{US-LA}', '{America/Chicago}'), ('505', '{US-NM}', '{America/Denver}'), ('506', '{CA-NB}', '{America/Moncton}'), ('507', '{US-MN}', '{America/Chicago}'),
  ('508', '{US-MA}', '{America/New_York}'), ('509', '{US-WA}', '{America/Los_Angeles}'), ('510', '{US-CA}', '{America/Los_Angeles}'), ('512', '{US-TX}', '{America/Chicago}'),
  ('513', '{US-OH}', '{America/New_York}'), ('514', '{CA-QC}', '{America/Toronto}'), ('515', '{US-IA}', '{America/Chicago}'), ('516', '{US-NY}', '{America/New_York}'),
  ('517', '{US-MI}', '{America/New_York}'), ('518', '{US-NY}', '{America/New_York}'), ('519', '{CA-ON}', '{America/Toronto}'), ('520', '{US-AZ}', '{America/Phoenix}'),
  ('530', '{US-CA}', '{America/Los_Angeles}'), ('531', '{US-NE}', '{America/Chicago}'), ('534', '{US-WI}', '{America/Chicago}'), ('539', '{US-OK}', '{America/Chicago}'),
  ('540', '{US-VA}', '{America/New_York}'), ('541', '{US-OR}', '{America/Denver,America/Los_Angeles}'), ('548', '{CA-ON}', '{America/Toronto}'), ('551', '{US-NJ}', '{America/New_York}'),
  ('557', '{US-MO}', '{America/Chicago}'), ('559', '{US-CA}', '{America/Los_Angeles}'), ('561', '{US-FL}', '{America/New_York}'), ('562', '{US-CA}', '{America/Los_Angeles}'),
  ('563', '{US-IA}', '{America/Chicago}'), ('564', '{US-WA}', '{America/Los_Angeles}'), ('567', '{US-OH}', '{America/New_York}'), ('570', '{US-PA}', '{America/New_York}'),
  ('571', '{US-VA}', '{America/New_York}'), ('572', '{US-OK}', '{America/Chicago}'), ('573', '{US-MO}', '{America/Chicago}'), ('574', '{US-IN}', '{America/New_York,America/Chicago}'),
  ('575', '{US-NM}', '{America/Denver}'), ('579', '{CA-QC}', '{America/Toronto}'), ('580', '{US-OK}', '{America/Chicago}'), ('581', '{CA-QC}', '{America/Toronto,America/Halifax}'),
  ('582', '{US-PA}', '{America/New_York}'), ('584', '{CA-MB}', '{America/Winnipeg}'), ('585', '{US-NY}', '{America/New_York}'), ('586', '{US-MI}', '{America/New_York}'),
  ('587', '{CA-AB}', '{America/Edmonton}'), ('601', '{US-MS}', '{America/Chicago}'), ('602', '{US-AZ}', '{America/Phoenix}'), ('603', '{US-NH}', '{America/New_York}'),
  ('604', '{CA-BC}', '{America/Vancouver}'), ('605', '{US-SD}', '{America/Chicago,America/Denver}'), ('606', '{US-KY}', '{America/New_York,America/Chicago}'), ('607', '{US-NY}', '{America/New_York}'),
  ('608', '{US-WI}', '{America/Chicago}'), ('609', '{US-NJ}', '{America/New_York}'), ('610', '{US-PA}', '{America/New_York}'), ('612', '{US-MN}', '{America/Chicago}'),
  ('613', '{CA-ON}', '{America/Toronto}'), ('614', '{US-OH}', '{America/New_York}'), ('615', '{US-TN}', '{America/Chicago}'), ('616', '{US-MI}', '{America/New_York}'),
  ('617', '{US-MA}', '{America/New_York}'), ('618', '{US-IL}', '{America/Chicago}'), ('619', '{US-CA}', '{America/Los_Angeles}'), ('620', '{US-KS}', '{America/Chicago,America/Denver}'),
  ('623', '{US-AZ}', '{America/Phoenix}'), ('626', '{US-CA}', '{America/Los_Angeles}'), ('628', '{US-CA}', '{America/Los_Angeles}'), ('629', '{US-TN}', '{America/Chicago}'),
  ('630', '{US-IL}', '{America/Chicago}'), ('631', '{US-NY}', '{America/New_York}'), ('636', '{US-MO}', '{America/Chicago}'), ('639', '{CA-SK}', '{America/Regina}'),
  ('640', '{US-NJ}', '{America/New_York}'), ('641', '{US-IA}', '{America/Chicago}'), ('645', '{US-FL}', '{America/New_York}'), ('646', '{US-NY}', '{America/New_York}'),
  ('647', '{CA-ON}', '{America/Toronto}'), ('650', '{US-CA}', '{America/Los_Angeles}'), ('651', '{US-MN}', '{America/Chicago}'), ('656', '{US-FL}', '{America/New_York}'),
  ('657', '{US-CA}', '{America/Los_Angeles}'), ('659', '{US-AL}', '{America/Chicago}'), ('660', '{US-MO}', '{America/Chicago}'), ('661', '{US-CA}', '{America/Los_Angeles}'),
  ('662', '{US-MS}', '{America/Chicago}'), ('667', '{US-MD}', '{America/New_York}'), ('669', '{US-CA}', '{America/Los_Angeles}'), ('672', '{CA-BC}', '{America/Vancouver,America/Edmonton}'),
  ('678', '{US-GA}', '{America/New_York}'), ('680', '{US-NY}', '{America/New_York}'), ('681', '{US-WV}', '{America/New_York}'), ('682', '{US-TX}', '{America/Chicago}'),
  ('683', '{CA-ON}', '{America/Toronto}'), ('686', '{US-VA}', '{America/New_York}'), ('689', '{US-FL}', '{America/New_York}'), ('701', '{US-ND}', '{America/Chicago,America/Denver}'),
  ('702', '{US-NV}', '{America/Los_Angeles}'), ('703', '{US-VA}', '{America/New_York}'), ('704', '{US-NC}', '{America/New_York}'), ('705', '{CA-ON}', '{America/Toronto}'),
  ('706', '{US-GA}', '{America/New_York}'), ('707', '{US-CA}', '{America/Los_Angeles}'), ('708', '{US-IL}', '{America/Chicago}'), ('709', '{CA-NL}', '{America/St_Johns,America/Goose_Bay}'),
  ('712', '{US-IA}', '{America/Chicago}'), ('713', '{US-TX}', '{America/Chicago}'), ('714', '{US-CA}', '{America/Los_Angeles}'), ('715', '{US-WI}', '{America/Chicago}'),
  ('716', '{US-NY}', '{America/New_York}'), ('717', '{US-PA}', '{America/New_York}'), ('718', '{US-NY}', '{America/New_York}'), ('719', '{US-CO}', '{America/Denver}'),
  ('720', '{US-CO}', '{America/Denver}'), ('724', '{US-PA}', '{America/New_York}'), ('725', '{US-NV}', '{America/Los_Angeles}'), ('726', '{US-TX}', '{America/Chicago}'),
  ('727', '{US-FL}', '{America/New_York}'), ('728', '{US-FL}', '{America/New_York}'), ('730', '{US-IL}', '{America/Chicago}'), ('731', '{US-TN}', '{America/Chicago}'),
  ('732', '{US-NJ}', '{America/New_York}'), ('734', '{US-MI}', '{America/New_York}'), ('737', '{US-TX}', '{America/Chicago}'), ('738', '{US-CA}', '{America/Los_Angeles}'),
  ('740', '{US-OH}', '{America/New_York}'), ('742', '{CA-ON}', '{America/Toronto}'), ('743', '{US-NC}', '{America/New_York}'), ('747', '{US-CA}', '{America/Los_Angeles}'),
  ('748', '{US-CO}', '{America/Denver}'), ('753', '{CA-ON}', '{America/Toronto}'), ('754', '{US-FL}', '{America/New_York}'), ('757', '{US-VA}', '{America/New_York}'),
  ('760', '{US-CA}', '{America/Los_Angeles}'), ('762', '{US-GA}', '{America/New_York}'), ('763', '{US-MN}', '{America/Chicago}'), ('765', '{US-IN}', '{America/New_York}'),
  ('769', '{US-MS}', '{America/Chicago}'), ('770', '{US-GA}', '{America/New_York}'), ('771', '{US-DC}', '{America/New_York}'), ('772', '{US-FL}', '{America/New_York}'),
  ('773', '{US-IL}', '{America/Chicago}'), ('774', '{US-MA}', '{America/New_York}'), ('775', '{US-NV}', '{America/Denver,America/Los_Angeles}'), ('778', '{CA-BC}', '{America/Vancouver,America/Edmonton}'),
  ('779', '{US-IL}', '{America/Chicago}'), ('780', '{CA-AB}', '{America/Edmonton}'), ('781', '{US-MA}', '{America/New_York}'), ('782', '{CA-NS,CA-PE}', '{America/Halifax}'),
  ('785', '{US-KS}', '{America/Chicago,America/Denver}'), ('786', '{US-FL}', '{America/New_York}'), ('801', '{US-UT}', '{America/Denver}'), ('802', '{US-VT}', '{America/New_York}'),
  ('803', '{US-SC}', '{America/New_York}'), ('804', '{US-VA}', '{America/New_York}'), ('805', '{US-CA}', '{America/Los_Angeles}'), ('806', '{US-TX}', '{America/Chicago}'),
  ('807', '{CA-ON}', '{America/Winnipeg,America/Toronto}'), ('808', '{US-HI}', '{Pacific/Honolulu}'), ('810', '{US-MI}', '{America/New_York}'), ('812', '{US-IN}', '{America/New_York,America/Chicago}'),
  ('813', '{US-FL}', '{America/New_York}'), ('814', '{US-PA}', '{America/New_York}'), ('815', '{US-IL}', '{America/Chicago}'), ('816', '{US-MO}', '{America/Chicago}'),
  ('817', '{US-TX}', '{America/Chicago}'), ('818', '{US-CA}', '{America/Los_Angeles}'), ('819', '{CA-QC}', '{America/Toronto}'), ('820', '{US-CA}', '{America/Los_Angeles}'),
  ('821', '{US-SC}', '{America/New_York}'), ('825', '{CA-AB}', '{America/Edmonton}'), ('826', '{US-VA}', '{America/New_York}'), ('828', '{US-NC}', '{America/New_York}'),
  ('830', '{US-TX}', '{America/Chicago}'), ('831', '{US-CA}', '{America/Los_Angeles}'), ('832', '{US-TX}', '{America/Chicago}'), ('835', '{US-PA}', '{America/New_York}'),
  ('838', '{US-NY}', '{America/New_York}'), ('839', '{US-SC}', '{America/New_York}'), ('840', '{US-CA}', '{America/Los_Angeles}'), ('843', '{US-SC}', '{America/New_York}'),
  ('845', '{US-NY}', '{America/New_York}'), ('847', '{US-IL}', '{America/Chicago}'), ('848', '{US-NJ}', '{America/New_York}'), ('850', '{US-FL}', '{America/New_York,America/Chicago}'),
  ('854', '{US-SC}', '{America/New_York}'), ('856', '{US-NJ}', '{America/New_York}'), ('857', '{US-MA}', '{America/New_York}'), ('858', '{US-CA}', '{America/Los_Angeles}'),
  ('859', '{US-KY}', '{America/New_York}'), ('860', '{US-CT}', '{America/New_York}'), ('862', '{US-NJ}', '{America/New_York}'), ('863', '{US-FL}', '{America/New_York}'),
  ('864', '{US-SC}', '{America/New_York}'), ('865', '{US-TN}', '{America/New_York}'), ('867', '{CA-NT,CA-NU,CA-YT}', '{America/Edmonton,America/Winnipeg,America/Toronto,America/Whitehorse}'), ('870', '{US-AR}', '{America/Chicago}'),
  ('872', '{US-IL}', '{America/Chicago}'), ('873', '{CA-QC}', '{America/Toronto}'), ('878', '{US-PA}', '{America/New_York}'), ('879', '{CA-NL}', '{America/St_Johns,America/Goose_Bay}'),
  ('901', '{US-TN}', '{America/Chicago}'), ('902', '{CA-NS,CA-PE}', '{America/Halifax}'), ('903', '{US-TX}', '{America/Chicago}'), ('904', '{US-FL}', '{America/New_York}'),
  ('905', '{CA-ON}', '{America/Toronto}'), ('906', '{US-MI}', '{America/New_York,America/Chicago}'), ('907', '{US-AK}', '{America/Anchorage,America/Adak}'), ('908', '{US-NJ}', '{America/New_York}'),
  ('909', '{US-CA}', '{America/Los_Angeles}'), ('910', '{US-NC}', '{America/New_York}'), ('912', '{US-GA}', '{America/New_York}'), ('913', '{US-KS}', '{America/Chicago}'),
  ('914', '{US-NY}', '{America/New_York}'), ('915', '{US-TX}', '{America/Denver}'), ('916', '{US-CA}', '{America/Los_Angeles}'), ('917', '{US-NY}', '{America/New_York}'),
  ('918', '{US-OK}', '{America/Chicago}'), ('919', '{US-NC}', '{America/New_York}'), ('920', '{US-WI}', '{America/Chicago}'), ('925', '{US-CA}', '{America/Los_Angeles}'),
  ('928', '{US-AZ}', '{America/Denver,America/Phoenix}'), ('929', '{US-NY}', '{America/New_York}'), ('930', '{US-IN}', '{America/New_York,America/Chicago}'), ('931', '{US-TN}', '{America/Chicago}'),
  ('934', '{US-NY}', '{America/New_York}'), ('936', '{US-TX}', '{America/Chicago}'), ('937', '{US-OH}', '{America/New_York}'), ('938', '{US-AL}', '{America/Chicago}'),
  ('940', '{US-TX}', '{America/Chicago}'), ('941', '{US-FL}', '{America/New_York}'), ('942', '{CA-ON}', '{America/Toronto}'), ('943', '{US-GA}', '{America/New_York}'),
  ('945', '{US-TX}', '{America/Chicago}'), ('947', '{US-MI}', '{America/New_York}'), ('948', '{US-VA}', '{America/New_York}'), ('949', '{US-CA}', '{America/Los_Angeles}'),
  ('951', '{US-CA}', '{America/Los_Angeles}'), ('952', '{US-MN}', '{America/Chicago}'), ('954', '{US-FL}', '{America/New_York}'), ('956', '{US-TX}', '{America/Chicago}'),
  ('959', '{US-CT}', '{America/New_York}'), ('970', '{US-CO}', '{America/Denver}'), ('971', '{US-OR}', '{America/Los_Angeles}'), ('972', '{US-TX}', '{America/Chicago}'),
  ('973', '{US-NJ}', '{America/New_York}'), ('975', '{US-MO}', '{America/Chicago}'), ('978', '{US-MA}', '{America/New_York}'), ('979', '{US-TX}', '{America/Chicago}'),
  ('980', '{US-NC}', '{America/New_York}'), ('983', '{US-CO}', '{America/Denver}'), ('984', '{US-NC}', '{America/New_York}'), ('985', '{US-LA}', '{America/Chicago}'),
  ('986', '{US-ID}', '{America/Denver,America/Los_Angeles}'), ('989', '{US-MI}', '{America/New_York}');
insert into dialer.zip_prefixes (first_prefix, last_prefix, jurisdiction) values
  ('005', '005', 'US-NY'), ('010', '027', 'US-MA'), ('028', '029', 'US-RI'), ('030', '038', 'US-NH'), ('039', '049', 'US-ME'), ('050', '054', 'US-VT'),
  ('055', '055', 'US-MA'), ('056', '059', 'US-VT'), ('060', '069', 'US-CT'), ('070', '089', 'US-NJ'), ('100', '149', 'US-NY'), ('150', '196', 'US-PA'),
  ('197', '199', 'US-DE'), ('200', '200', 'US-DC'), ('201', '201', 'US-VA'), ('202', '205', 'US-DC'), ('206', '219', 'US-MD'), ('220', '246', 'US-VA'),
  ('247', '268', 'US-WV'), ('270', '289', 'US-NC'), ('290', '299', 'US-SC'), ('300', '319', 'US-GA'), ('320', '339', 'US-FL'), ('341', '349', 'US-FL'),
  ('350', '369', 'US-AL'), ('370', '385', 'US-TN'), ('386', '397', 'US-MS'), ('398', '399', 'US-GA'), ('400', '427', 'US-KY'), ('430', '459', 'US-OH'),
  ('460', '479', 'US-IN'), ('480', '499', 'US-MI'), ('500', '528', 'US-IA'), ('530', '549', 'US-WI'), ('550', '567', 'US-MN'), ('569', '569', 'US-DC'),
  ('570', '577', 'US-SD'), ('580', '588', 'US-ND'), ('590', '599', 'US-MT'), ('600', '629', 'US-IL'), ('630', '658', 'US-MO'), ('660', '679', 'US-KS'),
  ('680', '693', 'US-NE'), ('700', '714', 'US-LA'), ('716', '729', 'US-AR'), ('730', '732', 'US-OK'), ('733', '733', 'US-TX'), ('734', '749', 'US-OK'),
  ('750', '799', 'US-TX'), ('800', '816', 'US-CO'), ('820', '831', 'US-WY'), ('832', '838', 'US-ID'), ('840', '847', 'US-UT'), ('850', '865', 'US-AZ'),
  ('870', '884', 'US-NM'), ('885', '885', 'US-TX'), ('889', '898', 'US-NV'), ('900', '961', 'US-CA'), ('967', '968', 'US-HI'), ('970', '979', 'US-OR'),
  ('980', '994', 'US-WA'), ('995', '999', 'US-AK');
insert into dialer.postal_letters (letter, jurisdictions) values
  ('A', '{CA-NL}'), ('B', '{CA-NS}'), ('C', '{CA-PE}'), ('E', '{CA-NB}'), ('G', '{CA-QC}'), ('H', '{CA-QC}'),
  ('J', '{CA-QC}'), ('K', '{CA-ON}'), ('L', '{CA-ON}'), ('M', '{CA-ON}'), ('N', '{CA-ON}'), ('P', '{CA-ON}'),
  ('R', '{CA-MB}'), ('S', '{CA-SK}'), ('T', '{CA-AB}'), ('V', '{CA-BC}'), ('X', '{CA-NT,CA-NU}'), ('Y', '{CA-YT}');

-- Contacts that exist already get the area-code candidate (the trigger of sql/080 keeps the
-- column from here on).
update dialer.contacts contact
set jurisdictions = array(select distinct candidate from unnest(area.jurisdictions || array(select left(j, 2) from unnest(area.jurisdictions) j)) candidate order by 1),
    region_zones = area.time_zones
from dialer.area_codes area
where contact.phone ~ '^\+1[2-9][0-9]{9}$' and area.area_code = substr(contact.phone, 3, 3);

-- Down Migration
drop index dialer.calls_person_claimed_idx;
alter table dialer.calls drop column cap_person, drop column cap_subject, drop column rule_set;
alter table dialer.contacts drop column region_zones, drop column jurisdictions, drop column person_key, drop column postal_code, drop column state;
alter table dialer.campaigns drop column subject, drop column disabled_rules, drop column automated_voice, drop column call_type;
alter table dialer.tenants drop column disabled_rules, drop column automated_voice, drop column call_type;
drop table dialer.blackouts;
drop table dialer.rules;
drop table dialer.holiday_rules;
drop table dialer.rule_sets;
drop table dialer.postal_letters;
drop table dialer.zip_prefixes;
drop table dialer.area_codes;
drop table dialer.jurisdictions;
