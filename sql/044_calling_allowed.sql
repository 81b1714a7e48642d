-- The calling rules as one question: may this tenant call this number at this instant, and if
-- not, which rule forbids it and from when will every rule allow it. The answer is _call_gate's
-- (the gate the claim uses) with the tenant's defaults: its call type, voice and switched-off
-- rules, the shared default subject for per-person caps.

-- Why: GET /v1/compliance/check and psql need the gate's verdict for a number that may not be a
-- contact yet, with a state or postal code given by hand.
create or replace function dialer.calling_allowed(
  p_tenant_id uuid, p_phone text, p_at timestamptz, p_state text default null, p_postal_code text default null
) returns table(allowed boolean, rule text, next_allowed_at timestamptz)
  language plpgsql stable
as $$
declare
  v_tenant dialer.tenants;
  v_contact dialer.contacts;
  v_state text;
  v_jurisdictions text[];
  v_zones text[];
  v_gate record;
begin
  if p_phone is null or p_phone !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = 'PD400', message = 'phone must be an E.164 number (+ and 7 to 15 digits)', column = 'phone';
  end if;
  if p_at is null or not isfinite(p_at) then
    raise exception using errcode = 'PD400', message = 'at must be an instant', column = 'at';
  end if;
  if p_state is not null then
    v_state := dialer._state_code(p_state);
    if v_state is null then
      raise exception using errcode = 'PD400', message = 'unknown state or province code', column = 'state';
    end if;
  end if;
  if p_postal_code is not null and dialer._postal_jurisdictions(p_postal_code) is null then
    raise exception using errcode = 'PD400', message = 'malformed postal code (12345, 12345-6789 or A1A 1A1)', column = 'postalCode';
  end if;
  select * into v_tenant from dialer.tenants where id = p_tenant_id;
  if not found then
    raise exception using errcode = 'PD404', message = 'tenant not found';
  end if;
  select * into v_contact from dialer.contacts where tenant_id = p_tenant_id and phone = p_phone and deleted_at is null;

  -- Candidates: the contact's (when it is one) and those of the number, state and postal code given.
  select coalesce(array_agg(distinct candidate order by candidate), '{}') into v_jurisdictions
  from unnest(coalesce(v_contact.jurisdictions, '{}') || dialer.contact_jurisdictions(p_phone, v_state, p_postal_code)) candidate;
  -- Zones: the contact's, else the area code's, else those of its states/provinces, else (no
  -- candidate at all) every zone of its countries: the strict reading of "local time".
  v_zones := dialer._rule_zones(v_contact.time_zone, v_contact.possible_time_zones, v_contact.region_zones, null);
  if cardinality(v_zones) = 0 then
    select coalesce(area.time_zones, '{}') into v_zones
    from dialer.area_codes area where p_phone ~ '^\+1[2-9][0-9]{9}$' and area.area_code = substr(p_phone, 3, 3);
  end if;
  if coalesce(cardinality(v_zones), 0) = 0 then
    select coalesce(array_agg(distinct zone order by zone), '{}') into v_zones
    from dialer.jurisdictions jurisdiction cross join unnest(jurisdiction.time_zones) zone
    where jurisdiction.code = any(v_jurisdictions)
       or (cardinality(v_jurisdictions) = 0 and jurisdiction.country = 'US');
  end if;

  select * into v_gate
  from dialer._call_gate(p_tenant_id, p_phone, v_jurisdictions, v_zones, v_tenant.call_type, v_tenant.automated_voice,
                         v_tenant.disabled_rules, '', coalesce(v_contact.person_key, v_contact.id::text, p_phone), p_at);
  if v_gate.on_dnc then
    return query select false, 'do-not-call'::text, null::timestamptz;
  elsif v_gate.blocked_by is null then
    return query select true, null::text, p_at;
  else
    return query select false, v_gate.blocked_by,
      dialer._rules_next_allowed(p_tenant_id, p_phone, v_jurisdictions, v_zones, v_tenant.call_type, v_tenant.automated_voice,
                                 v_tenant.disabled_rules, '', coalesce(v_contact.person_key, v_contact.id::text, p_phone), p_at);
  end if;
end
$$;
comment on function dialer.calling_allowed(uuid, text, timestamptz, text, text) is
  'May the tenant call p_phone at p_at under its defaults (call type, voice, switched-off rules)? allowed; rule = the id of a rule that forbids it (''blackout:<id>'' for an emergency blackout, ''do-not-call'' for the tenant''s list), null when allowed; next_allowed_at = the earliest instant >= p_at when every rule allows it (p_at when allowed), null if never. Jurisdictions: the contact''s, the area code''s, p_state''s and p_postal_code''s (strictest wins; none: the federal pack). Zones: the contact''s, else the area code''s, else those of its jurisdictions. PD400 for a phone that is not E.164, an unknown state/province, a malformed postal code or instant; PD404 for an unknown tenant.';
