-- Up Migration
-- The claim serves each tenant's sources (its active campaigns, and its direct calls as one more)
-- in round-robin order, starting after the source it served last: it then visits only as many
-- sources as it needs, not every campaign of the tenant, and every source gets its turn.
alter table dialer.tenants add column claim_cursor uuid;
-- The walk reads a tenant's active campaigns in id order, from any id on. It replaces the index of
-- active campaigns by id alone, which a walk of one tenant would read across every tenant.
create index campaigns_rotation_idx on dialer.campaigns (tenant_id, id) where status = 'active' and deleted_at is null;
drop index dialer.campaigns_active_idx;
comment on column dialer.tenants.claim_cursor is
  'The source claim_calls served last for this tenant: a campaign id, or the nil uuid for direct calls; null before the first claim. The next claim starts after it (round-robin).';

-- A call has no VAPI id until it is dialed: indexing only the ids that exist spares the claim (and
-- every insert of a scheduled call) one index entry per row, and still makes each id unique.
alter table dialer.calls drop constraint calls_vapi_call_id_unique;
create unique index calls_vapi_call_id_unique on dialer.calls (vapi_call_id) where vapi_call_id is not null;

-- Down Migration
create index campaigns_active_idx on dialer.campaigns (id) where status = 'active' and deleted_at is null;
drop index dialer.campaigns_rotation_idx;
drop index dialer.calls_vapi_call_id_unique;
alter table dialer.calls add constraint calls_vapi_call_id_unique unique (vapi_call_id);
alter table dialer.tenants drop column claim_cursor;
