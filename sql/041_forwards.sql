-- Relaying VAPI's messages to the tenant's own server (table dialer.forwards, migration 0007).
-- Request-response messages (tool calls, transfers, …) are relayed while VAPI waits and written
-- here afterwards (record_sync_forward); every other message is queued (queue_forward) and
-- delivered by the worker's tick: claim_forwards → POST → record_forward_attempt, which decides the
-- next attempt by exponential backoff until the delivery is old enough to give up. next_forward_at
-- is part of next_wake_at, so a sleeping worker wakes for the next retry. Why a table driven by the
-- tick and not a pg-boss queue: server/worker/README.md, "Forward deliveries".

-- The forward URL of a call: the campaign's own, else the tenant's (null: no relay).
create or replace function dialer.forward_urls_of(p_tenant_id uuid, p_call_id uuid) returns table (url text)
  language sql stable
as $$
  select coalesce(
    (select campaign.forward_url from dialer.campaigns campaign
      where campaign.id = (select call.campaign_id from dialer.calls call where call.id = p_call_id and call.tenant_id = p_tenant_id)),
    (select tenant.forward_url from dialer.tenants tenant where tenant.id = p_tenant_id))
$$;
comment on function dialer.forward_urls_of(uuid, uuid) is
  'forward_url_of as a one-row table, so that a query reading it for many webhooks has it inlined (a scalar SQL function with a subquery is not: it is planned at every call).';

create or replace function dialer.forward_url_of(p_tenant_id uuid, p_call_id uuid) returns text
  language sql stable
as $$ select url from dialer.forward_urls_of(p_tenant_id, p_call_id) $$;
comment on function dialer.forward_url_of(uuid, uuid) is
  'Where messages about this call are relayed: its campaign''s forward_url, else the tenant''s; null when neither is set. p_call_id may be null (a message about no known call: the tenant''s).';

-- Why: the delay grows so a target down for hours is not hammered, and stays bounded so it is
-- retried soon after it comes back.
create or replace function dialer.forward_retry_at(attempts integer, at timestamptz, base interval, cap interval) returns timestamptz
  language sql immutable
as $$ select at + least(cap, base * power(2, greatest(attempts, 1) - 1)::double precision) $$;
comment on function dialer.forward_retry_at(integer, timestamptz, interval, interval) is
  'When a delivery that failed its `attempts`-th attempt at `at` is tried again: at + base × 2^(attempts−1), at most at + cap.';

-- Queues an event for asynchronous delivery (once per event) and wakes the worker at commit.
create or replace function dialer.queue_forward(p_event_id bigint, p_url text, at timestamptz) returns boolean
  language plpgsql volatile
as $$
declare
  queued boolean;
begin
  insert into dialer.forwards (tenant_id, call_id, event_id, mode, type, url, state, next_attempt_at, created_at)
  select event.tenant_id, event.call_id, event.id, 'async', event.type, p_url, 'pending', at, at
    from dialer.call_events event
   where event.id = p_event_id and event.tenant_id is not null
  on conflict (event_id) where mode = 'async' do nothing;
  queued := found;
  if queued then
    perform pg_notify('dialer_wake', 'forward');
  end if;
  return queued;
end
$$;
comment on function dialer.queue_forward(bigint, text, timestamptz) is
  'Queues call event p_event_id for asynchronous delivery to p_url, due at `at`; false when it was queued already (a duplicate webhook). Notifies dialer_wake (''forward'') so the worker delivers it at once.';

-- The outcome of a relay made while VAPI waited: one attempt, delivered or failed.
create or replace function dialer.record_sync_forward(p_event_id bigint, p_url text, at timestamptz, p_status integer,
                                                      p_error text, p_duration_ms integer) returns bigint
  language sql volatile
as $$
  insert into dialer.forwards (tenant_id, call_id, event_id, mode, type, url, state, attempts, last_attempt_at,
                               last_status, last_error, last_duration_ms, delivered_at, created_at)
  select event.tenant_id, event.call_id, event.id, 'sync', event.type, p_url,
         case when p_error is null then 'delivered' else 'failed' end, 1, at,
         p_status, left(p_error, 2000), p_duration_ms, case when p_error is null then at end, at
    from dialer.call_events event
   where event.id = p_event_id and event.tenant_id is not null
  returning id
$$;
comment on function dialer.record_sync_forward(bigint, text, timestamptz, integer, text, integer) is
  'Records a request-response message relayed synchronously: delivered when p_error is null (the target answered 2xx with JSON), else failed (VAPI got pgdialer''s error answer). Returns the forwards row id.';

-- Why: several worker processes may deliver at once; each delivery is claimed with a lease, so
-- a worker that dies mid-delivery leaves it to be claimed again when the lease ends.
create or replace function dialer.claim_forwards(at timestamptz, max integer, lease interval)
  returns table (id bigint, tenant_id uuid, call_id uuid, event_id bigint, type text, url text, attempts integer)
  language sql volatile
as $$
  with due as (
    select forward.id
      from dialer.forwards forward
     where forward.state = 'pending' and forward.next_attempt_at <= at
       and (forward.lease_expires_at is null or forward.lease_expires_at <= at)
     order by forward.next_attempt_at
     limit max
       for update skip locked
  )
  update dialer.forwards forward
     set attempts = forward.attempts + 1, lease_expires_at = at + lease, last_attempt_at = at
    from due
   where forward.id = due.id
  returning forward.id, forward.tenant_id, forward.call_id, forward.event_id, forward.type, forward.url, forward.attempts
$$;
comment on function dialer.claim_forwards(timestamptz, integer, interval) is
  'Claims up to `max` pending deliveries due at `at` (next_attempt_at <= at, no live lease), oldest first: counts the attempt and leases each until at + lease. SKIP LOCKED: concurrent workers take different rows.';

-- Why: the backoff and the give-up rule live here, once, with the instant as a parameter.
create or replace function dialer.record_forward_attempt(p_id bigint, at timestamptz, p_status integer, p_error text,
                                                         p_duration_ms integer, base interval, cap interval,
                                                         give_up_after interval) returns text
  language sql volatile
as $$
  update dialer.forwards forward
     set state = case when p_error is null then 'delivered'
                      when at >= forward.created_at + give_up_after then 'failed'
                      else 'pending' end,
         next_attempt_at = case when p_error is null or at >= forward.created_at + give_up_after then null
                                else dialer.forward_retry_at(forward.attempts, at, base, cap) end,
         delivered_at = case when p_error is null then at end,
         lease_expires_at = null,
         last_status = p_status,
         last_error = left(p_error, 2000),
         last_duration_ms = p_duration_ms
   where forward.id = p_id and forward.state = 'pending'
  returning forward.state
$$;
comment on function dialer.record_forward_attempt(bigint, timestamptz, integer, text, integer, interval, interval, interval) is
  'Records one delivery attempt at `at`: p_error null = delivered; otherwise pending again at forward_retry_at(attempts, at, base, cap), or failed for good once `at` is give_up_after past the delivery''s creation. Returns the new state (null when the row was not pending).';

-- Why: the delivery loop arms its own timer with this (a delivery may fall due while a round runs).
create or replace function dialer.forwards_claimable_at() returns timestamptz
  language sql stable
as $$
  select min(greatest(forward.next_attempt_at, forward.lease_expires_at)) from dialer.forwards forward where forward.state = 'pending'
$$;
comment on function dialer.forwards_claimable_at() is
  'The earliest instant at which a pending delivery is claimable (its next attempt, or the end of its lease), now or past included; null when none is pending.';

-- Why: next_wake_at includes this, so a worker asleep wakes for the next retry (or a lease ending).
create or replace function dialer.next_forward_at(at timestamptz) returns timestamptz
  language sql stable
as $$
  -- greatest() ignores nulls: a delivery without a lease is due at next_attempt_at.
  select min(greatest(forward.next_attempt_at, forward.lease_expires_at))
    from dialer.forwards forward
   where forward.state = 'pending' and greatest(forward.next_attempt_at, forward.lease_expires_at) > at
$$;
comment on function dialer.next_forward_at(timestamptz) is
  'The earliest instant after `at` at which a pending delivery becomes claimable (its next attempt, or the end of its lease); null when none is pending.';

-- Why: what was relayed where, and how it went, from psql.
create or replace view dialer.forward_deliveries as
  select forward.id, forward.tenant_id, forward.call_id, forward.event_id, forward.mode, forward.type, forward.url,
         case when forward.state = 'pending' and forward.lease_expires_at > now() then 'delivering' else forward.state end as state,
         forward.attempts, forward.created_at, forward.last_attempt_at, forward.last_status, forward.last_error,
         forward.last_duration_ms, forward.next_attempt_at, forward.delivered_at
    from dialer.forwards forward;
comment on view dialer.forward_deliveries is
  'Every message relayed to a tenant''s forward URL: mode sync (request-response, answered while VAPI waited) or async (queued); state pending (waiting for next_attempt_at), delivering (leased by a worker now), delivered, or failed (sync: VAPI got pgdialer''s error answer; async: given up); attempts, the last HTTP status and error.';
