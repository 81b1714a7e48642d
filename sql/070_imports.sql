-- CSV imports: the writes of server/csv/importContacts.ts. The TypeScript side parses and
-- validates rows; these functions decide what a row does to contacts and memberships, so the
-- rules (what counts as a duplicate, which zone wins, what is refreshed) are read here.

-- Why: an import is recorded (status 'running') before any row is read, so every attempt leaves
-- a trace, and it is refused up front when the campaign cannot take contacts.
create or replace function dialer.start_import(
  p_tenant_id uuid, p_campaign_id uuid, p_filename text, p_at timestamptz
) returns uuid
  language plpgsql volatile
as $$
declare
  v_status text;
  v_import_id uuid;
begin
  select status into v_status
  from dialer.campaigns
  where id = p_campaign_id and tenant_id = p_tenant_id and deleted_at is null;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  if v_status = 'completed' then
    raise exception using errcode = 'PD409', message = 'the campaign is completed: it takes no new contacts';
  end if;
  insert into dialer.imports (tenant_id, campaign_id, filename, created_at)
  values (p_tenant_id, p_campaign_id, left(p_filename, 255), p_at)
  returning id into v_import_id;
  return v_import_id;
end
$$;
comment on function dialer.start_import(uuid, uuid, text, timestamptz) is
  'Records a new import (status running) into a campaign of the tenant; PD404 when the campaign is not the tenant''s or is deleted, PD409 when it is completed. Returns the import id.';

-- Why: one statement per batch of rows keeps an import of a million rows fast, and the rules of
-- a row live here. A new phone becomes a contact; a row whose contact is already a member of
-- the campaign (from an earlier import, or earlier in this file) is a duplicate and changes
-- nothing; a contact that joins the campaign gets its name refreshed when the file has one, its
-- zone replaced when the file gives one in a column (an area-code guess only fills a contact
-- with no zone), and is restored if it had been deleted. Members on the tenant's do-not-call
-- list are added (the dialing gate never calls them) and counted apart.
-- The rows come as parallel arrays (one per column, unnest()ed together): cheaper to send and
-- to read than a JSON array of objects.
drop function if exists dialer.import_contacts_batch(uuid, uuid, uuid, jsonb, timestamptz);
drop function if exists dialer.import_contacts_batch(uuid, uuid, uuid, text[], text[], text[], text[], text[], text[], timestamptz);
create or replace function dialer.import_contacts_batch(
  p_tenant_id uuid, p_campaign_id uuid, p_import_id uuid,
  p_phones text[], p_names text[], p_time_zones text[], p_possible_time_zones text[], p_time_zone_sources text[],
  p_variables text[], p_states text[], p_postal_codes text[], p_person_keys text[], p_at timestamptz
) returns table (imported integer, duplicates integer, dnc integer)
  language plpgsql volatile
as $$
declare
  v_added integer;
  v_dnc integer;
begin
  perform from dialer.campaigns where id = p_campaign_id and tenant_id = p_tenant_id;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  -- Imports of one tenant take turns (the lock is held until the import's transaction ends;
  -- taking it again per batch costs nothing): two imports holding rows of each other's files
  -- would otherwise deadlock, each waiting for the other's uncommitted contacts.
  perform pg_advisory_xact_lock(hashtextextended('dialer.import:' || p_tenant_id::text, 0));

  -- Every lookup below is an index probe per row (the conflict arbiter, or a LATERAL … LIMIT 1
  -- subquery the planner cannot turn into a join): while the import's transaction is open the
  -- statistics do not count its rows, and a planner believing the tables small would otherwise
  -- scan all the tenant's contacts for every batch, making a large import quadratic.

  -- New numbers become contacts. An existing contact not yet in the campaign is refreshed from
  -- the file (it joins the campaign just below); one already in it is a duplicate and untouched.
  insert into dialer.contacts as c (tenant_id, phone, name, time_zone, possible_time_zones, time_zone_source,
                                    state, postal_code, person_key, created_at, updated_at)
  select p_tenant_id, r.phone, r.name, r.time_zone, coalesce(string_to_array(nullif(r.possible_time_zones, ''), ','), '{}'),
    r.time_zone_source, r.state, r.postal_code, r.person_key, p_at, p_at
  from unnest(p_phones, p_names, p_time_zones, p_possible_time_zones, p_time_zone_sources, p_states, p_postal_codes, p_person_keys)
    as r (phone, name, time_zone, possible_time_zones, time_zone_source, state, postal_code, person_key)
  on conflict (tenant_id, phone) do update set
    name = coalesce(excluded.name, c.name),
    state = coalesce(excluded.state, c.state),
    postal_code = coalesce(excluded.postal_code, c.postal_code),
    person_key = coalesce(excluded.person_key, c.person_key),
    time_zone = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.time_zone else c.time_zone end,
    possible_time_zones = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.possible_time_zones
      else c.possible_time_zones end,
    time_zone_source = case
      when excluded.time_zone_source = 'column' or c.time_zone_source is null then excluded.time_zone_source
      else c.time_zone_source end,
    deleted_at = null,
    updated_at = p_at
  where not exists (select from dialer.campaign_contacts m where m.campaign_id = p_campaign_id and m.contact_id = c.id)
    and (c.deleted_at is not null
      or (excluded.name is not null and excluded.name is distinct from c.name)
      or (excluded.state is not null and excluded.state is distinct from c.state)
      or (excluded.postal_code is not null and excluded.postal_code is distinct from c.postal_code)
      or (excluded.person_key is not null and excluded.person_key is distinct from c.person_key)
      or (excluded.time_zone_source = 'column'
          and (c.time_zone_source is distinct from 'column' or c.time_zone is distinct from excluded.time_zone))
      or (c.time_zone_source is null and excluded.time_zone_source is not null));

  -- Each row's contact (and whether its number is on the do-not-call list) is read once; the
  -- members actually added are matched back to it by contact id (a hash join of two batches).
  with input as materialized (
    select c.id, r.variables, d.listed is not null as listed
    from unnest(p_phones, p_variables) as r (phone, variables)
    cross join lateral (
      select id from dialer.contacts where tenant_id = p_tenant_id and phone = r.phone limit 1
    ) c
    left join lateral (
      select true as listed from dialer.dnc where tenant_id = p_tenant_id and phone = r.phone limit 1
    ) d on true
  ), added as (
    insert into dialer.campaign_contacts (campaign_id, contact_id, variables, import_id, added_at)
    select p_campaign_id, i.id, coalesce(i.variables::jsonb, '{}'), p_import_id, p_at
    from input i
    on conflict (campaign_id, contact_id) do nothing
    returning contact_id
  )
  select count(*)::integer, (count(*) filter (where i.listed))::integer into v_added, v_dnc
  from added a join input i on i.id = a.contact_id;

  return query select v_added - v_dnc, cardinality(p_phones) - v_added, v_dnc;
end
$$;
comment on function dialer.import_contacts_batch(uuid, uuid, uuid, text[], text[], text[], text[], text[], text[], text[], text[], text[], timestamptz) is
  'Writes one batch of an import, given as parallel arrays (element i of each is row i): phones (E.164, unique within the batch), names, time zones, possible time zones (comma-separated, empty for none), time zone sources, variables (a JSON object as text), states (US-XX / CA-XX), postal codes, person keys (null: not given; a given one replaces the contact''s, and its jurisdictions follow by trigger). Returns how many became members (imported, not on the do-not-call list), were already members (duplicates) and became members but are on the do-not-call list (dnc).';

-- Why: the end of an import (in the import's transaction) is where its report is stored and,
-- for an active or paused campaign, the new members get their calls (schedule_new_members). The
-- campaign row is locked first so a concurrent start either sees these members or is seen here.
create or replace function dialer.finish_import(
  p_import_id uuid, p_rows integer, p_imported integer, p_duplicates integer, p_dnc integer,
  p_rejected integer, p_errors jsonb, p_at timestamptz
) returns integer
  language plpgsql volatile
as $$
declare
  v_tenant_id uuid;
  v_campaign_id uuid;
  v_status text;
begin
  update dialer.imports
  set status = 'completed', rows = p_rows, imported = p_imported, duplicates = p_duplicates, dnc = p_dnc,
      rejected = p_rejected, errors = p_errors, finished_at = p_at
  where id = p_import_id and status = 'running'
  returning tenant_id, campaign_id into v_tenant_id, v_campaign_id;
  if not found then
    raise exception using errcode = 'PD409', message = 'the import is not running';
  end if;
  select status into v_status from dialer.campaigns where id = v_campaign_id for share;
  if v_status in ('active', 'paused') then
    return dialer.schedule_new_members(v_tenant_id, v_campaign_id, p_at);
  end if;
  return 0;
end
$$;
comment on function dialer.finish_import(uuid, integer, integer, integer, integer, integer, jsonb, timestamptz) is
  'Stores the report of a running import (status completed) and, when its campaign is active or paused, schedules the new members with schedule_new_members. Returns the number of calls created (the caller wakes the worker when > 0).';

-- Why: an import that fails (body too large, bad header, malformed CSV, lost connection) rolls
-- back its rows; its record says why, so GET /v1/imports/:id explains what happened.
create or replace function dialer.fail_import(p_import_id uuid, p_error jsonb, p_at timestamptz) returns void
  language sql volatile
as $$
  update dialer.imports
  set status = 'failed', errors = jsonb_build_array(p_error), finished_at = p_at
  where id = p_import_id and status = 'running';
$$;
comment on function dialer.fail_import(uuid, jsonb, timestamptz) is
  'Marks a running import failed with one error {line, code, message}; its rows were rolled back.';
