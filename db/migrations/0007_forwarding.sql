-- Up Migration
-- Relay to the tenant's own server (issue #9, item 3). Overriding the assistant's server per call
-- moves its tool calls, transfers and reports to pgdialer; a forward URL (the tenant's, or a
-- campaign's own) is where pgdialer relays them. See server/webhooks/README.md, "Relay to the
-- tenant's server".
alter table dialer.tenants
  add column forward_url text,
  add column forward_messages text[],
  add constraint tenants_forward_url_http check (forward_url ~ '^https?://' and length(forward_url) <= 2000),
  add constraint tenants_forward_messages_size check (cardinality(forward_messages) <= 64);
comment on column dialer.tenants.forward_url is
  'Where VAPI messages are relayed (the tenant''s own assistant server); null = no relay. A campaign''s forward_url overrides it.';
comment on column dialer.tenants.forward_messages is
  'The message types relayed asynchronously (and asked of VAPI) besides the request types; null = VAPI''s default serverMessages minus the per-turn types (server/vapi/serverMessages.ts).';

alter table dialer.campaigns
  add column forward_url text,
  add constraint campaigns_forward_url_http check (forward_url ~ '^https?://' and length(forward_url) <= 2000);
comment on column dialer.campaigns.forward_url is 'Overrides the tenant''s forward_url for this campaign''s calls; null = the tenant''s.';

-- One row per message relayed: 'sync' rows are request-response messages relayed while VAPI waited
-- (one attempt, written after it); 'async' rows are every other message, delivered by the worker
-- with retries and backoff until delivered or given up (sql/060_forwards.sql).
create table dialer.forwards (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  call_id uuid,
  event_id bigint not null,
  mode text not null,
  type text,
  url text not null,
  state text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  lease_expires_at timestamptz,
  last_attempt_at timestamptz,
  last_status integer,
  last_error text,
  last_duration_ms integer,
  delivered_at timestamptz,
  created_at timestamptz not null,
  constraint forwards_tenant_fk foreign key (tenant_id) references dialer.tenants (id) on delete cascade,
  constraint forwards_call_fk foreign key (call_id) references dialer.calls (id) on delete set null,
  constraint forwards_event_fk foreign key (event_id) references dialer.call_events (id) on delete cascade,
  constraint forwards_mode_valid check (mode in ('sync', 'async')),
  constraint forwards_state_valid check (state in ('pending', 'delivered', 'failed')),
  constraint forwards_pending_has_next check (state <> 'pending' or next_attempt_at is not null),
  constraint forwards_attempts_range check (attempts >= 0),
  constraint forwards_error_length check (length(last_error) <= 2000)
);
-- An event is queued for asynchronous delivery once, however often VAPI sends it.
create unique index forwards_async_event_idx on dialer.forwards (event_id) where mode = 'async';
-- The worker's claim and next_wake_at: pending deliveries by the instant they are next due.
create index forwards_pending_idx on dialer.forwards (next_attempt_at) where state = 'pending';
create index forwards_call_idx on dialer.forwards (call_id, id);
create index forwards_tenant_idx on dialer.forwards (tenant_id, id);
comment on table dialer.forwards is
  'Every VAPI message relayed to a tenant''s forward URL: sync (answered while VAPI waited) or async (queued, retried with backoff). Read it through dialer.forward_deliveries.';

-- Down Migration
drop table dialer.forwards;
alter table dialer.campaigns drop column forward_url;
alter table dialer.tenants drop column forward_messages, drop column forward_url;
