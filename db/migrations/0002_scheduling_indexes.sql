-- Up Migration
-- The claim walks each campaign's due calls in due_at order (and direct calls, campaign_id null,
-- per tenant): a partial index keyed by campaign keeps that cost proportional to what is pending,
-- whatever the size of the history.
create index calls_scheduled_campaign_due_idx on dialer.calls (campaign_id, due_at) where status = 'scheduled';
create index calls_scheduled_direct_due_idx on dialer.calls (tenant_id, due_at) where status = 'scheduled' and campaign_id is null;

-- Down Migration
drop index dialer.calls_scheduled_direct_due_idx;
drop index dialer.calls_scheduled_campaign_due_idx;
