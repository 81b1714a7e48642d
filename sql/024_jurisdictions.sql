-- Whose rules apply to a number: every candidate jurisdiction, from an explicit state/province,
-- a postal/ZIP code, and the number's NANP area code (tables of migration 0009). A state or
-- province brings its country (US, CA) with it. The gate checks the rules of every candidate:
-- the strictest wins (a Florida area code with an Ohio ZIP code gets both states' rules, as the
-- Florida statute's area-code presumption requires).

-- Internal: a state or province code ('FL', 'us-fl', 'ON', 'CA-ON') as its jurisdiction code;
-- null when it is not one the engine knows.
-- (These three are PL/pgSQL, not SQL: a SQL function that reads a table and is not inlined is
-- planned again on every call, which the contacts trigger would pay on every imported row.)
create or replace function dialer._state_code(p_state text) returns text
  language plpgsql stable parallel safe
as $$
declare
  found_code text;
begin
  select code into found_code from dialer.jurisdictions
  where code like '__-__'
    and code in (upper(btrim(p_state)), 'US-' || upper(btrim(p_state)), 'CA-' || upper(btrim(p_state)))
  order by code desc
  limit 1;
  return found_code;
end
$$;
comment on function dialer._state_code(text) is
  'Internal: the jurisdiction code (US-XX or CA-XX) of a two-letter state/province code, with or without its country prefix; null if unknown.';

-- Internal: the jurisdictions a postal code points to: a US ZIP (12345, 12345-6789) by its first
-- three digits, a Canadian postal code (A1A 1A1) by its first letter; '{}' for a well-formed code
-- with no state (military, territories); null when it is not a postal code at all.
create or replace function dialer._postal_jurisdictions(p_postal_code text) returns text[]
  language plpgsql stable parallel safe
as $$
declare
  code text := upper(btrim(p_postal_code));
  found text[];
begin
  if code ~ '^[0-9]{5}(-?[0-9]{4})?$' then
    select array[zip.jurisdiction] into found from dialer.zip_prefixes zip
    where zip.first_prefix <= left(code, 3) and zip.last_prefix >= left(code, 3)
    order by zip.first_prefix desc limit 1;
    return coalesce(found, '{}');
  elsif code ~ '^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$' then
    select letter.jurisdictions into found from dialer.postal_letters letter where letter.letter = left(code, 1);
    return coalesce(found, '{}');
  end if;
  return null;
end
$$;
comment on function dialer._postal_jurisdictions(text) is
  'Internal: the states/provinces of a US ZIP code (first three digits) or Canadian postal code (first letter); ''{}'' when well-formed but of no state; null when malformed.';

-- Why: one definition of "whose rules apply", used for stored contacts (by the trigger below)
-- and by calling_allowed for a number and place given directly.
create or replace function dialer.contact_jurisdictions(p_phone text, p_state text, p_postal_code text) returns text[]
  language plpgsql stable parallel safe
as $$
declare
  regions text[];
begin
  if p_phone ~ '^\+1[2-9][0-9]{9}$' then
    select area.jurisdictions into regions from dialer.area_codes area where area.area_code = substr(p_phone, 3, 3);
  end if;
  regions := coalesce(regions, '{}');
  if p_state is not null then
    regions := regions || dialer._state_code(p_state);
  end if;
  if p_postal_code is not null then
    regions := regions || coalesce(dialer._postal_jurisdictions(p_postal_code), '{}');
  end if;
  if cardinality(array_remove(regions, null)) = 0 then
    return '{}';
  end if;
  -- Each state/province with its country, sorted, once.
  return array(select distinct candidate
               from unnest(regions) as region cross join lateral (values (region), (left(region, 2))) as both_levels (candidate)
               where region is not null
               order by candidate);
end
$$;
comment on function dialer.contact_jurisdictions(text, text, text) is
  'The candidate jurisdictions of a number: its NANP area code''s state(s)/province(s), the state/province code given, the postal code''s state/province, each with its country (US, CA); sorted, distinct; ''{}'' when none is known.';

-- Internal: the zones a number's jurisdictions put it in: its NANP area code's, else those of its
-- states/provinces (a number without an area code whose state is known); '{}' when none.
create or replace function dialer.contact_region_zones(p_phone text, p_jurisdictions text[]) returns text[]
  language plpgsql stable parallel safe
as $$
declare
  zones text[];
begin
  if p_phone ~ '^\+1[2-9][0-9]{9}$' then
    select area.time_zones into zones from dialer.area_codes area where area.area_code = substr(p_phone, 3, 3);
  end if;
  if zones is null and cardinality(p_jurisdictions) > 0 then
    select array_agg(distinct zone order by zone) into zones
    from dialer.jurisdictions jurisdiction cross join unnest(jurisdiction.time_zones) zone
    where jurisdiction.code = any(p_jurisdictions) and jurisdiction.code like '__-__';
  end if;
  return coalesce(zones, '{}');
end
$$;
comment on function dialer.contact_region_zones(text, text[]) is
  'The zones of a number''s jurisdictions: its NANP area code''s, else the zones of its states/provinces in p_jurisdictions; ''{}'' when none.';

-- Internal: keeps contacts.jurisdictions and region_zones in step with phone, state and postal_code.
create or replace function dialer._contacts_set_jurisdictions() returns trigger
  language plpgsql
as $$
begin
  new.jurisdictions := dialer.contact_jurisdictions(new.phone, new.state, new.postal_code);
  new.region_zones := dialer.contact_region_zones(new.phone, new.jurisdictions);
  return new;
end
$$;
comment on function dialer._contacts_set_jurisdictions() is 'Internal: trigger setting contacts.jurisdictions and region_zones from phone, state and postal_code.';

drop trigger if exists contacts_jurisdictions on dialer.contacts;
create trigger contacts_jurisdictions before insert or update of phone, state, postal_code on dialer.contacts
  for each row execute function dialer._contacts_set_jurisdictions();
