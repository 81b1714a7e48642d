-- The API's writes to dialer.calls (item 10 of issue 9): deleting a campaign or a contact, and
-- placing a direct call. Every write to a call's state goes through a function in sql/, so the
-- statuses and rules live in one place; the API only resolves its input (the contact for a
-- number) and audits.

-- Why: a deleted campaign's pending calls must never be dialed; live calls finish.
create or replace function dialer.delete_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  v_campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
  v_cancelled integer;
begin
  if v_campaign.status = 'active' then
    raise exception using errcode = 'PD409', message = 'pause or stop the campaign before deleting it';
  end if;
  update dialer.campaigns set deleted_at = at, updated_at = at where id = p_campaign_id;
  update dialer.calls set status = 'cancelled', last_error = 'campaign deleted', updated_at = at
  where campaign_id = p_campaign_id and status = 'scheduled';
  get diagnostics v_cancelled = row_count;
  return v_cancelled;
end
$$;
comment on function dialer.delete_campaign(uuid, uuid, timestamptz) is
  'Soft-deletes the tenant''s campaign (deleted_at = at) and cancels its scheduled calls (last_error ''campaign deleted''); live calls finish. PD404 unknown or already deleted, PD409 while active. Returns the calls cancelled.';

-- Why: a deleted contact is never called again, by any campaign or direct call.
create or replace function dialer.delete_contact(p_tenant_id uuid, p_contact_id uuid, at timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  v_cancelled integer;
begin
  update dialer.contacts set deleted_at = at, updated_at = at
  where id = p_contact_id and tenant_id = p_tenant_id and deleted_at is null;
  if not found then
    raise exception using errcode = 'PD404', message = 'contact not found';
  end if;
  update dialer.calls set status = 'cancelled', last_error = 'contact deleted', updated_at = at
  where contact_id = p_contact_id and status = 'scheduled';
  get diagnostics v_cancelled = row_count;
  return v_cancelled;
end
$$;
comment on function dialer.delete_contact(uuid, uuid, timestamptz) is
  'Soft-deletes the tenant''s contact (deleted_at = at) and cancels its scheduled calls (last_error ''contact deleted''); live calls finish. PD404 unknown or already deleted. Returns the calls cancelled.';

-- Why: a direct call is a call like any other once scheduled (the due gate, the claim); these
-- are the rules for creating one.
create or replace function dialer.create_direct_call(p_tenant_id uuid, p_contact_id uuid, p_assistant_id text, p_phone_number_id text,
                                                     p_variables jsonb, p_due_at timestamptz) returns uuid
  language plpgsql volatile
as $$
declare
  v_contact dialer.contacts;
  v_pending uuid;
  v_id uuid;
begin
  -- Locked, so two requests for the same contact cannot both pass the pending check.
  select * into v_contact from dialer.contacts
  where id = p_contact_id and tenant_id = p_tenant_id and deleted_at is null
  for update;
  if not found then
    raise exception using errcode = 'PD404', message = 'contact not found';
  end if;
  if exists (select 1 from dialer.dnc where dnc.tenant_id = p_tenant_id and dnc.phone = v_contact.phone) then
    raise exception using errcode = 'PD422', message = format('the number %s is on the do-not-call list', v_contact.phone);
  end if;
  select id into v_pending from dialer.calls
  where contact_id = p_contact_id and campaign_id is null
    and status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress')
  limit 1;
  if found then
    raise exception using errcode = 'PD409',
      message = format('a direct call to %s is already pending or live (call %s)', v_contact.phone, v_pending);
  end if;
  insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, variables, due_at)
  values (p_tenant_id, p_contact_id, v_contact.phone, p_assistant_id, p_phone_number_id, coalesce(p_variables, '{}'), p_due_at)
  returning id into v_id;
  return v_id;
end
$$;
comment on function dialer.create_direct_call(uuid, uuid, text, text, jsonb, timestamptz) is
  'Schedules a direct call (no campaign) to the tenant''s contact at p_due_at with the given assistant, phone number and variables. PD404 unknown or deleted contact, PD422 number on the tenant''s do-not-call list, PD409 when the contact already has a direct call scheduled or live. Returns the call id.';
