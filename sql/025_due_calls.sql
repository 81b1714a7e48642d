-- The due gate: which scheduled calls may be dialed at an instant, before concurrency. Every rule
-- of DESIGN.md is here once; claim_calls applies the same helpers campaign by campaign, and
-- why_not explains the rest.

-- Why: "what may be dialed now" must be answerable from psql at any chosen instant, and the
-- claim and the admin views must agree with it.
create or replace function dialer.due_calls(at timestamptz) returns setof dialer.calls
  language sql stable
as $$
  select call.*
  -- Start from the scheduled calls already due (partial index calls_scheduled_due_idx) and check
  -- each: the OFFSET 0 keeps the planner from driving the query from contacts or history instead.
  from (select * from dialer.calls where status = 'scheduled' and due_at <= at offset 0) call
  join dialer.tenants tenant on tenant.id = call.tenant_id
  join dialer.contacts contact on contact.id = call.contact_id
  left join dialer.campaigns campaign on campaign.id = call.campaign_id
  -- The per-number and per-person rules, written once in _call_gate (sql/024_rules.sql).
  cross join lateral dialer._call_gate(
    call.tenant_id, call.phone, contact.jurisdictions,
    dialer._rule_zones(contact.time_zone, contact.possible_time_zones, contact.region_zones, campaign.time_zone),
    coalesce(campaign.call_type, tenant.call_type), coalesce(campaign.automated_voice, tenant.automated_voice),
    tenant.disabled_rules || coalesce(campaign.disabled_rules, '{}'), coalesce(campaign.subject, ''),
    coalesce(contact.person_key, contact.id::text), at) gate
  where contact.deleted_at is null
    and dialer._vapi_account_ok(tenant)
    and (call.campaign_id is null
         or (dialer._campaign_open(campaign, at)
             and call.attempt <= campaign.max_attempts
             and dialer._occurrence_current(campaign, call.occurrence, at)))
    and dialer._hours_open(dialer._contact_zones(contact.time_zone, contact.possible_time_zones, campaign.time_zone),
                           tenant.contact_hours_start, tenant.contact_hours_end, at)
    and not gate.on_dnc and not gate.live_call and gate.dials_24h < tenant.max_calls_per_number_per_24h
    and gate.blocked_by is null
$$;
comment on function dialer.due_calls(timestamptz) is
  'Scheduled calls that may be dialed at `at`, before concurrency limits: due_at <= at; campaign active, not deleted, window open, window day within starts_on..ends_on and not blacked out (campaign zone), attempt <= max_attempts, and for daily/weekly the call belongs to the current occurrence; contact not deleted and its calling hours (tenant contact_hours_start/end) open in its zone, or in all its possible zones, or else the campaign zone; number not on the tenant''s dnc, under the tenant''s 24-hour cap, with no live call; no emergency blackout in force and every calling rule of its jurisdictions (or the federal pack) allowing it (_call_gate). Direct calls (campaign_id null) skip the campaign rules. Nothing of a tenant whose VAPI account is stopped (tenants.vapi_blocked_at).';
