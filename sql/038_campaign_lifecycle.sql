-- Campaign lifecycle: draft → active ⇄ paused; active/paused → stopped; stopped → active again;
-- completed is set by apply_call_result (once) or plan_occurrences (recurring). Every function
-- takes the tenant, so a tenant acts only on its own campaigns: PD404 when the campaign is not
-- the tenant's (or deleted), PD409 when its status does not allow the change. Each returns the
-- campaign row after the change.

-- Internal: the tenant's campaign, locked; PD404 when there is none.
create or replace function dialer._campaign_for_update(p_tenant_id uuid, p_campaign_id uuid) returns dialer.campaigns
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns;
begin
  select * into campaign from dialer.campaigns
  where id = p_campaign_id and tenant_id = p_tenant_id and deleted_at is null
  for update;
  if not found then
    raise exception using errcode = 'PD404', message = 'campaign not found';
  end if;
  return campaign;
end
$$;
comment on function dialer._campaign_for_update(uuid, uuid) is
  'Internal: the tenant''s campaign row locked FOR UPDATE; raises PD404 when it does not exist, is deleted or belongs to another tenant.';

-- Internal: a state change refused.
create or replace function dialer._refuse_transition(campaign dialer.campaigns, action text, allowed text) returns void
  language plpgsql immutable
as $$
begin
  raise exception using errcode = 'PD409',
    message = format('cannot %s a campaign that is %s (only when %s)', action, campaign.status, allowed);
end
$$;
comment on function dialer._refuse_transition(dialer.campaigns, text, text) is
  'Internal: raises PD409 "cannot <action> a campaign that is <status> (only when <allowed>)".';

-- Internal: attempt-1 (or next-attempt) calls of a once campaign for members that are not
-- finished. A member is finished when it was answered, ended with a do-not-retry reason, used
-- max_attempts, or its last outcome is not retried; it is skipped when it has a pending or live
-- call, is deleted or on dnc. A member never called gets occurrence 'once', attempt 1; on a
-- restart after stop, a member called before gets a fresh occurrence 'once-<n>' (n = its
-- number of occurrences + 1) whose attempt numbering continues from its dials so far, so
-- max_attempts still counts real dials. only_new: members with no call at all.
create or replace function dialer._schedule_once(campaign dialer.campaigns, at timestamptz, only_new boolean) returns integer
  language plpgsql volatile
as $$
declare
  created integer;
begin
  insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, due_at)
  select campaign.tenant_id, campaign.id, contact.id, contact.phone,
         case when history.calls = 0 then 'once' else 'once-' || (history.occurrences + 1) end,
         history.dialed + 1, at
  from dialer.campaign_contacts membership
  join dialer.contacts contact on contact.id = membership.contact_id
  cross join lateral (
    select count(*) as calls, count(distinct occurrence) as occurrences,
           count(*) filter (where status = 'ended' and counts_as_attempt) as dialed,
           coalesce(bool_or(status in ('scheduled', 'dialing', 'queued', 'ringing', 'in_progress')), false) as pending,
           coalesce(bool_or(outcome = 'answered' or (status = 'ended' and dialer._is_final_reason(ended_reason))), false) as finished,
           (array_agg(outcome order by ended_at desc) filter (where status = 'ended'))[1] as last_outcome
    from dialer.calls call
    where call.campaign_id = campaign.id and call.contact_id = contact.id
  ) history
  where membership.campaign_id = campaign.id and contact.deleted_at is null
    and not exists (select 1 from dialer.dnc where dnc.tenant_id = campaign.tenant_id and dnc.phone = contact.phone)
    and not history.pending and not history.finished
    and history.dialed < campaign.max_attempts
    and (history.last_outcome is null or history.last_outcome = any(campaign.retry_outcomes))
    and (not only_new or history.calls = 0)
  on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing;
  get diagnostics created = row_count;
  return created;
end
$$;
comment on function dialer._schedule_once(dialer.campaigns, timestamptz, boolean) is
  'Internal: creates calls due at `at` for the unfinished members of a once campaign (occurrence ''once'', or ''once-<n>'' for members called before, attempt = dials so far + 1); only_new: members without any call. Returns calls created.';

-- Why: starting is what turns a campaign's members into calls.
create or replace function dialer.start_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns dialer.campaigns
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('draft', 'stopped') then
    perform dialer._refuse_transition(campaign, 'start', 'draft or stopped');
  end if;
  update dialer.campaigns
  set status = 'active', started_at = coalesce(started_at, at), finished_at = null, updated_at = at
  where id = campaign.id
  returning * into campaign;
  if campaign.frequency = 'once' then
    perform dialer._schedule_once(campaign, at, false);
  else
    perform dialer._plan_occurrence(campaign, at);
  end if;
  return campaign;
end
$$;
comment on function dialer.start_campaign(uuid, uuid, timestamptz) is
  'draft|stopped → active (started_at kept from the first start). once: creates calls due at `at` for members not yet finished (on a restart, in a new occurrence ''once-<n>'' continuing their attempt count); daily/weekly: plans the current occurrence. PD404 unknown campaign, PD409 other statuses. Returns the campaign.';

-- Why: an operator must be able to hold a campaign without losing its pending calls.
create or replace function dialer.pause_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns dialer.campaigns
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status <> 'active' then
    perform dialer._refuse_transition(campaign, 'pause', 'active');
  end if;
  update dialer.campaigns set status = 'paused', updated_at = at where id = campaign.id returning * into campaign;
  return campaign;
end
$$;
comment on function dialer.pause_campaign(uuid, uuid, timestamptz) is
  'active → paused: pending calls stay scheduled (not due while paused), live calls finish. PD404/PD409. Returns the campaign.';

-- Why: the counterpart of pause.
create or replace function dialer.resume_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns dialer.campaigns
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status <> 'paused' then
    perform dialer._refuse_transition(campaign, 'resume', 'paused');
  end if;
  update dialer.campaigns set status = 'active', updated_at = at where id = campaign.id returning * into campaign;
  perform dialer._plan_occurrence(campaign, at);
  if campaign.frequency = 'once' then
    perform dialer._complete_once_campaign(campaign.id, at);
    select * into campaign from dialer.campaigns where id = campaign.id;
  end if;
  return campaign;
end
$$;
comment on function dialer.resume_campaign(uuid, uuid, timestamptz) is
  'paused → active; a recurring campaign plans its current occurrence; a once campaign with nothing left becomes completed. PD404/PD409. Returns the campaign.';

-- Why: stopping must cancel what has not started, and let what is live finish.
create or replace function dialer.stop_campaign(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns dialer.campaigns
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('active', 'paused') then
    perform dialer._refuse_transition(campaign, 'stop', 'active or paused');
  end if;
  update dialer.calls set status = 'cancelled', updated_at = at
  where campaign_id = campaign.id and status = 'scheduled';
  update dialer.campaigns set status = 'stopped', finished_at = at, updated_at = at
  where id = campaign.id returning * into campaign;
  return campaign;
end
$$;
comment on function dialer.stop_campaign(uuid, uuid, timestamptz) is
  'active|paused → stopped (finished_at = at): scheduled calls → cancelled, live calls finish. PD404/PD409. Returns the campaign.';

-- Why: contacts imported into a running campaign must be called without restarting it.
create or replace function dialer.schedule_new_members(p_tenant_id uuid, p_campaign_id uuid, at timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns := dialer._campaign_for_update(p_tenant_id, p_campaign_id);
begin
  if campaign.status not in ('active', 'paused') then
    return 0;
  end if;
  if campaign.frequency = 'once' then
    return dialer._schedule_once(campaign, at, true);
  end if;
  return dialer._plan_occurrence(campaign, at);
end
$$;
comment on function dialer.schedule_new_members(uuid, uuid, timestamptz) is
  'After an import: for an active or paused campaign, creates calls for members without any yet (once: due at `at`; daily/weekly: in the current occurrence if it has begun, else they join the next). Returns calls created; 0 for draft (start creates them), stopped or completed. PD404 unknown campaign.';
