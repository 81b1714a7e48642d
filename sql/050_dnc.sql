-- The do-not-call list: every way onto it (the API, a CSV import, an opt-out heard during a
-- call, an admin) goes through dialer.opt_out or its batch form, which list the number and
-- cancel what is already planned for it in the same transaction, so no pending call to it can
-- be claimed after the commit. Calls already being dialed or live finish (they cannot be taken
-- back); the due gate never dials a listed number again.
--
-- The FCC's revocation rule (47 CFR 64.1200(a)(10), effective 2025-04-11) allows a caller up to
-- ten business days to honour a revocation of consent; pgdialer honours it at once, as 47 CFR
-- 64.1200(b)(3) asks of the opt-out offered in an artificial-voice telemarketing call ("added to
-- the do-not-call list immediately"). The list is the tenant's, for every campaign: the strictest
-- reading of the "revoke-all" part of the rule (delayed to 2027-01-31).

-- Internal: the pending calls to the numbers are cancelled: scheduled ones, and ones claimed but
-- not yet being dialed (begin_dial then refuses them, so the worker never POSTs them). Found
-- through the numbers' contacts (a call's phone is its contact's, and calls are indexed by
-- contact), so the cost follows the numbers' own calls, not the tenant's history. A once
-- campaign left with nothing pending or live is completed, as when its last call ends.
create or replace function dialer._cancel_pending_calls_to(p_tenant_id uuid, p_phones text[], p_reason text, at timestamptz)
  returns integer
  language plpgsql volatile
as $$
declare
  v_cancelled integer;
  v_campaigns uuid[];
begin
  with cancelled as (
    update dialer.calls call
    set status = 'cancelled', last_error = p_reason, lease_expires_at = null, updated_at = at
    from dialer.contacts contact
    where contact.tenant_id = p_tenant_id and contact.phone = any (p_phones)
      and call.contact_id = contact.id and call.tenant_id = p_tenant_id and call.phone = contact.phone
      and (call.status = 'scheduled' or (call.status = 'dialing' and call.dial_started_at is null))
    returning call.campaign_id
  )
  select count(*)::integer, array_agg(distinct campaign_id) filter (where campaign_id is not null)
  into v_cancelled, v_campaigns
  from cancelled;
  perform dialer._complete_once_campaign(campaign.id, at)
  from dialer.campaigns campaign
  where campaign.id = any (v_campaigns) and campaign.frequency = 'once';
  return v_cancelled;
end
$$;
comment on function dialer._cancel_pending_calls_to(uuid, text[], text, timestamptz) is
  'Internal: cancels the tenant''s scheduled calls, and claimed calls not yet being dialed, to the numbers (last_error = p_reason); completes once campaigns left with nothing pending or live. Returns the calls cancelled.';

-- Why: one rule for every way onto the list. The first listing is the record (created_at,
-- source, source_call_id are kept by a later one); a person at the API may change the reason,
-- an import or an in-call opt-out only fills a missing one.
create or replace function dialer.opt_out(p_tenant_id uuid, p_phone text, p_source text, p_call_id uuid, at timestamptz,
  p_reason text default null,
  out phone text, out source text, out source_call_id uuid, out reason text, out created_at timestamptz,
  out added boolean, out cancelled_calls integer)
  language plpgsql volatile
as $$
#variable_conflict use_column
begin
  if p_source is null or p_source not in ('api', 'import', 'in-call', 'admin') then
    raise exception using errcode = 'PD400', message = format('unknown do-not-call source %L (api, import, in-call or admin)', p_source);
  end if;
  if (p_source = 'in-call') <> (p_call_id is not null) then
    raise exception using errcode = 'PD400', message = 'a call id is given for an in-call opt-out, and only for one';
  end if;
  if p_call_id is not null
     and not exists (select 1 from dialer.calls where calls.id = p_call_id and calls.tenant_id = p_tenant_id and calls.phone = p_phone) then
    raise exception using errcode = 'PD400', message = 'the call is not the tenant''s call to this number';
  end if;
  insert into dialer.dnc as existing (tenant_id, phone, reason, source, source_call_id, created_at)
  values (p_tenant_id, p_phone, p_reason, p_source, p_call_id, at)
  on conflict on constraint dnc_pkey do update
    set reason = case when excluded.source = 'api' then coalesce(excluded.reason, existing.reason)
                      else coalesce(existing.reason, excluded.reason) end
  returning existing.phone, existing.source, existing.source_call_id, existing.reason, existing.created_at, (existing.xmax = 0)
  into phone, source, source_call_id, reason, created_at, added;
  cancelled_calls := dialer._cancel_pending_calls_to(p_tenant_id, array[p_phone],
    case p_source when 'in-call' then 'opted out during a call' else 'number added to do-not-call' end, at);
end
$$;
comment on function dialer.opt_out(uuid, text, text, uuid, timestamptz, text) is
  'Puts an E.164 number on the tenant''s do-not-call list from p_source (api, import, in-call with p_call_id = the tenant''s call to that number, or admin; PD400 otherwise) and cancels the tenant''s pending calls to it (scheduled, or claimed and not yet dialed). A number already listed keeps its created_at, source and source_call_id; its reason is replaced by an api listing that gives one, else only filled when missing. Returns the entry, added (false when it was already listed) and cancelled_calls.';

-- Why: the API's add, kept for callers of the first version; opt_out with source 'api'.
create or replace function dialer.add_dnc(p_tenant_id uuid, p_phone text, p_reason text, at timestamptz,
  out phone text, out reason text, out created_at timestamptz, out added boolean, out cancelled_calls integer)
  language sql volatile
as $$
  select phone, reason, created_at, added, cancelled_calls from dialer.opt_out(p_tenant_id, p_phone, 'api', null, at, p_reason)
$$;
comment on function dialer.add_dnc(uuid, text, text, timestamptz) is
  'dialer.opt_out with source api: adds an E.164 number to the tenant''s do-not-call list (a second add keeps the first created_at and replaces the reason when one is given) and cancels the tenant''s pending calls to it. Returns the entry, added (false when it was already listed) and cancelled_calls.';

-- Why: a CSV of thousands of numbers is listed with one statement per batch, by the same rule as
-- opt_out (a listed number keeps its first record; an import only fills a missing reason). A
-- number an earlier batch of the same import listed (its entry is this import's: source import,
-- created at `at`) counts as a duplicate in the file, not as listed before.
create or replace function dialer.import_dnc_batch(p_tenant_id uuid, p_phones text[], p_reasons text[], at timestamptz,
  out added integer, out already_listed integer, out duplicates integer, out cancelled_calls integer)
  language plpgsql volatile
as $$
begin
  with listed as (
    insert into dialer.dnc as existing (tenant_id, phone, reason, source, created_at)
    select p_tenant_id, row.phone, row.reason, 'import', at
    from unnest(p_phones, p_reasons) as row (phone, reason)
    on conflict on constraint dnc_pkey do update set reason = coalesce(existing.reason, excluded.reason)
    returning (existing.xmax = 0) as added, existing.source = 'import' and existing.created_at = at as this_import
  )
  select count(*) filter (where listed.added)::integer,
         count(*) filter (where not listed.added and not listed.this_import)::integer,
         count(*) filter (where not listed.added and listed.this_import)::integer
  into added, already_listed, duplicates
  from listed;
  cancelled_calls := dialer._cancel_pending_calls_to(p_tenant_id, p_phones, 'number added to do-not-call', at);
end
$$;
comment on function dialer.import_dnc_batch(uuid, text[], text[], timestamptz) is
  'Lists a batch of an import (parallel arrays: E.164 phones, unique within the batch, and reasons, null for none) with source import and created_at = at, and cancels the tenant''s pending calls to them. A number already listed keeps its record and only gets a reason when it had none. Returns added, already_listed (listed before this import), duplicates (listed by an earlier batch of this import: source import, created at `at`) and cancelled_calls.';
