-- Up Migration
-- Caller-number pools, indexed (issue 13): the claim chooses each call's number from its pool by
-- local presence and then the least used today. Read from campaigns.phone_number_ids, that means
-- reading every number of every pool a claim touches (5,000 rows for 100 campaigns with pools of
-- 50). Here each distinct pool of a tenant is stored once (caller_pools: campaigns with the same
-- numbers share it) with its registered numbers as rows (caller_pool_numbers) that carry the
-- number's place and a copy of its use today, indexed by place and use, so the claim reads only
-- the few least-used numbers of the right place. The triggers that keep both in step with
-- campaigns and phone_numbers live in sql/033_caller_numbers.sql; what is here is the backfill.

create table dialer.caller_pools (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references dialer.tenants (id) on delete cascade,
  phone_number_ids text[] not null,
  -- A pool of 500 ids is too wide for a btree key: the unique key is their digest.
  numbers_digest text not null,
  -- How many of its numbers are registered (rows in caller_pool_numbers), kept by trigger: a
  -- pool with none has no limits, and the claim tells it with one probe.
  registered integer not null default 0,
  constraint caller_pools_numbers_key unique (tenant_id, numbers_digest)
);
comment on table dialer.caller_pools is
  'The distinct caller-number pools of a tenant (campaigns.phone_number_ids): campaigns with the same numbers in the same order share one. Kept by the triggers of sql/033_caller_numbers.sql; a pool no campaign uses is removed.';

create table dialer.caller_pool_numbers (
  pool_id bigint not null references dialer.caller_pools (id) on delete cascade,
  position integer not null,
  tenant_id uuid not null,
  vapi_phone_number_id text not null,
  area_code text,
  state text,
  -- Same-country matching: the country for NANP numbers (US, CA, …), '+<calling code>' elsewhere.
  country_key text,
  -- phone_numbers.calls_today, copied by trigger: the order of "least used today" in an index.
  used_today integer not null,
  -- Keyed by number (the trigger copying a number's counter finds its rows by it); few indexes,
  -- since each claimed call writes a new version of its number's rows.
  primary key (tenant_id, vapi_phone_number_id, pool_id),
  foreign key (tenant_id, vapi_phone_number_id) references dialer.phone_numbers (tenant_id, vapi_phone_number_id) on delete cascade
);
comment on table dialer.caller_pool_numbers is
  'The registered numbers of each caller pool, at their position in it, with the number''s area code, state and country key (for local presence) and used_today (a copy of phone_numbers.calls_today), indexed so the claim reads a pool''s least-used numbers of a place without reading the pool. Kept by triggers (sql/033_caller_numbers.sql).';
-- A pool's numbers by use (any number; same country: most pools are of one country, so its
-- first rows match), and by area code and by state (a few numbers each).
create index caller_pool_numbers_use_idx on dialer.caller_pool_numbers (pool_id, used_today, position);
create index caller_pool_numbers_area_idx on dialer.caller_pool_numbers (pool_id, area_code, used_today, position) where area_code is not null;
create index caller_pool_numbers_state_idx on dialer.caller_pool_numbers (pool_id, state, used_today, position) where state is not null;

alter table dialer.campaigns add column caller_pool_id bigint references dialer.caller_pools (id);
create index campaigns_caller_pool_idx on dialer.campaigns (caller_pool_id);
comment on column dialer.campaigns.caller_pool_id is
  'The campaign''s pool (caller_pools) for phone_number_ids, set by trigger.';

-- The instant a number's counter of calls today stops counting (its next local midnight); null
-- while it counts no day. The claim resets the counters that ended, so the copies in
-- caller_pool_numbers order by today's use.
alter table dialer.phone_numbers add column calls_day_ends timestamptz;
comment on column dialer.phone_numbers.calls_day_ends is
  'The next local midnight (time_zone) after calls_day, when calls_today stops counting; null when it counts no day. Set by trigger.';
create index phone_numbers_day_ends_idx on dialer.phone_numbers (tenant_id, calls_day_ends);
-- Every claimed call updates its number's counter: room on the page keeps the update HOT, and the
-- zone check (a subtransaction per row) moves to the trigger that sets the zone
-- (sql/033_caller_numbers.sql), so it runs when the zone changes, not at every count.
alter table dialer.phone_numbers set (fillfactor = 80);
alter table dialer.phone_numbers drop constraint phone_numbers_time_zone_valid;

-- Backfill: existing counters, pools and their numbers.
update dialer.phone_numbers
set calls_day_ends = ((calls_day + 1)::timestamp at time zone time_zone)
where calls_day is not null;

insert into dialer.caller_pools (tenant_id, phone_number_ids, numbers_digest)
select distinct tenant_id, phone_number_ids, md5(array_to_string(phone_number_ids, ',')) from dialer.campaigns;
update dialer.campaigns campaign
set caller_pool_id = pool.id
from dialer.caller_pools pool
where pool.tenant_id = campaign.tenant_id and pool.phone_number_ids = campaign.phone_number_ids;
insert into dialer.caller_pool_numbers (pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today)
select pool.id, member.position, pn.tenant_id, pn.vapi_phone_number_id, pn.area_code, pn.state,
       case when coalesce(pn.country_calling_code, '1') = '1' then pn.country else '+' || pn.country_calling_code end,
       pn.calls_today
from dialer.caller_pools pool
cross join unnest(pool.phone_number_ids) with ordinality as member(vapi_id, position)
join dialer.phone_numbers pn on pn.tenant_id = pool.tenant_id and pn.vapi_phone_number_id = member.vapi_id;
update dialer.caller_pools pool
set registered = (select count(*) from dialer.caller_pool_numbers member where member.pool_id = pool.id);

-- Down Migration
alter table dialer.phone_numbers add constraint phone_numbers_time_zone_valid check (dialer._is_time_zone(time_zone));
alter table dialer.phone_numbers reset (fillfactor);
drop index dialer.phone_numbers_day_ends_idx;
alter table dialer.phone_numbers drop column calls_day_ends;
alter table dialer.campaigns drop column caller_pool_id;
drop table dialer.caller_pool_numbers;
drop table dialer.caller_pools;
