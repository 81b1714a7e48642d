-- Recurring campaigns: each scheduled local day (daily) or ISO week (weekly), in the campaign's
-- zone, is an occurrence with its own attempt-1 call for every member, due when the occurrence's
-- window opens. Calls are planned when the occurrence has begun (its first window has opened)
-- and it still has a window ahead; a missed occurrence is not made up later (calls of an old
-- day must not all fire at once). What is left of an older occurrence is skipped.
-- Numbers on do-not-call get no call planned (and dnc is checked again at due time).

-- Internal: the first window opening of the occurrence containing window day `day` (the day
-- itself for daily; the first allowed scheduled day of its ISO week for weekly), and the end of
-- its last window; nulls when the occurrence has no allowed day.
create or replace function dialer._occurrence_bounds(campaign dialer.campaigns, day date, out opens_at timestamptz, out closes_at timestamptz)
  language sql stable
as $$
  select min(dialer._window_opening(campaign.time_zone, campaign.window_start, campaign.window_end, candidate_day)),
         max(dialer._window_closing(campaign.time_zone, campaign.window_start, campaign.window_end, candidate_day))
  from (select case when campaign.frequency = 'weekly'
                    then day - (extract(isodow from day)::integer - 1) + week_day
                    else day end as candidate_day
        from generate_series(0, case when campaign.frequency = 'weekly' then 6 else 0 end) as week_day) days
  where extract(isodow from candidate_day)::integer = any(campaign.days)
    and dialer._campaign_day_allowed(campaign, candidate_day)
$$;
comment on function dialer._occurrence_bounds(dialer.campaigns, date) is
  'Internal: for the occurrence containing window day `day`: when its first window opens and its last window closes (allowed scheduled days only).';

-- Internal: plan one campaign's current occurrence at `at`; returns calls created.
create or replace function dialer._plan_occurrence(campaign dialer.campaigns, at timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  day constant date := dialer._campaign_day(campaign, at);
  label constant text := dialer._occurrence_label(campaign, day);
  bounds record;
  created integer;
begin
  if campaign.frequency not in ('daily', 'weekly') or campaign.status <> 'active' or campaign.deleted_at is not null then
    return 0;
  end if;
  update dialer.calls
  set status = 'skipped', last_error = 'occurrence ended', updated_at = at
  where campaign_id = campaign.id and status = 'scheduled' and occurrence <> label;

  select * into bounds from dialer._occurrence_bounds(campaign, day);
  if bounds.opens_at is null or bounds.opens_at > at or bounds.closes_at <= at then
    return 0;
  end if;
  insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, due_at)
  select campaign.tenant_id, campaign.id, contact.id, contact.phone, label, 1, bounds.opens_at
  from dialer.campaign_contacts membership
  join dialer.contacts contact on contact.id = membership.contact_id
  where membership.campaign_id = campaign.id and contact.deleted_at is null
    and not exists (select 1 from dialer.dnc where dnc.tenant_id = campaign.tenant_id and dnc.phone = contact.phone)
  on conflict (campaign_id, contact_id, occurrence, attempt) where counts_as_attempt do nothing;
  get diagnostics created = row_count;
  return created;
end
$$;
comment on function dialer._plan_occurrence(dialer.campaigns, timestamptz) is
  'Internal: for an active daily/weekly campaign, skips scheduled calls of older occurrences and, if the current occurrence has begun by `at` and has a window left, creates its attempt-1 calls (members not deleted, not on dnc) due at its first window opening. Idempotent.';

-- Why: recurring campaigns need new calls every day or week without anything ticking; the
-- worker runs this whenever it wakes (next_wake_at includes the next occurrence's start).
create or replace function dialer.plan_occurrences(at timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  campaign dialer.campaigns;
  created integer := 0;
begin
  for campaign in
    select * from dialer.campaigns
    where status = 'active' and deleted_at is null and frequency in ('daily', 'weekly')
    order by id
    for update skip locked
  loop
    created := created + dialer._plan_occurrence(campaign, at);
    -- A recurring campaign past its last window completes once nothing of it is live.
    if campaign.ends_on is not null and dialer._campaign_next_open(campaign, at) is null then
      update dialer.calls set status = 'skipped', last_error = 'campaign ended', updated_at = at
      where campaign_id = campaign.id and status = 'scheduled';
      update dialer.campaigns set status = 'completed', finished_at = at, updated_at = at
      where id = campaign.id
        and not exists (select 1 from dialer.calls
                        where campaign_id = campaign.id and status in ('dialing', 'queued', 'ringing', 'in_progress'));
    end if;
  end loop;
  return created;
end
$$;
comment on function dialer.plan_occurrences(timestamptz) is
  'For every active daily/weekly campaign: creates the attempt-1 calls of the occurrence (local date ''YYYY-MM-DD'' for daily, ISO week ''IYYY-"W"IW'' for weekly, campaign zone) that has begun by `at` and still has a window ahead, for every member not deleted and not on dnc, due at the occurrence''s first window opening; skips scheduled calls of older occurrences; completes a campaign past its ends_on with nothing live. Idempotent (unique campaign/contact/occurrence/attempt). Returns calls created.';
