-- VAPI webhooks, received: stored once and applied, the webhooks that arrived together in one
-- statement (one round trip, one commit; bench/REPORT.md, webhooks). The steps are the functions that decide them
-- (advance_call_status, apply_call_result, record_call_details, note_call_details,
-- apply_in_call_opt_out, queue_forward); this file only orders them. What a message means (the
-- status to move to, the end and its details) is read in TypeScript (server/webhooks/apply.ts,
-- server/vapi/callDetails.ts) and passed in; authentication happens before, in TypeScript, with
-- the tenant's credential, whose version is checked here.

-- Why: the receiver keeps a tenant's decrypted credential for a short while; a webhook is stored
-- only if the credential it was authenticated with is still the tenant's (any change of secret,
-- method, options or relayed types changes this).
-- Stable, not immutable: row(…)::text is (record_out), and an immutable function over a stable
-- expression is not inlined (receive_webhook asks it of every webhook).
create or replace function dialer.webhook_credential_version(p_tenant dialer.tenants) returns text
  language sql stable parallel safe
as $$
  select md5(row(p_tenant.webhook_auth_type, p_tenant.webhook_secret_encrypted, p_tenant.webhook_credential_id,
                 p_tenant.webhook_auth_options, p_tenant.forward_messages)::text)
$$;
comment on function dialer.webhook_credential_version(dialer.tenants) is
  'A fingerprint of what the webhook receiver keeps of a tenant (webhook_auth_type, webhook_secret_encrypted, webhook_credential_id, webhook_auth_options, forward_messages): it changes whenever any of them does.';

-- Why: a webhook names its call by VAPI's id; when the worker died before recording that id, only
-- by ours (customer.externalId). One rule for the lookup and the ingest.
create or replace function dialer.webhook_call(p_vapi_call_id text, p_external_id uuid)
  returns table (id uuid, tenant_id uuid, vapi_call_id text)
  language sql stable
as $$
  select id, tenant_id, vapi_call_id from (
    select id, tenant_id, vapi_call_id, 1 as rank from dialer.calls where vapi_call_id = p_vapi_call_id
    union all
    select id, tenant_id, vapi_call_id, 2 from dialer.calls where id = p_external_id
  ) candidates order by rank limit 1
$$;
comment on function dialer.webhook_call(text, uuid) is
  'The call a webhook is about: the one with VAPI''s id p_vapi_call_id, else the one whose id is p_external_id (customer.externalId); no row when neither exists. Of any tenant: the caller checks it is the webhook''s.';

-- Why: many webhooks arrive at once, and on a small host each statement costs more than the row
-- it writes (bench/REPORT.md, webhooks): the webhooks that arrived together are stored in one
-- INSERT, their plain live-status moves applied in one UPDATE, and their plain reports' details
-- in another; everything else is applied
-- one webhook after the other, in order, each in a subtransaction. Stored before applied, applied
-- once, forward only: an event is stored (or found: deduplicated by tenant and body hash) first;
-- a failed application leaves it stored, unapplied, with its error (a redelivery applies it). An
-- event already applied is answered the same without applying again (a tool call still gets its
-- answer; the opt-out applied again changes nothing).
drop function if exists dialer.receive_webhook(uuid, text, text, uuid, text, text, timestamptz, bytea, jsonb, text, text, boolean, text, boolean, text, timestamptz, jsonb, text, interval, text, timestamptz);
create or replace function dialer.receive_webhooks(p_events jsonb)
  returns table (
    ord integer,
    outcome text,
    event_id bigint,
    call_id uuid,
    ended boolean,
    ended_class text,
    opt_out_reason text,
    opt_out_added boolean,
    opt_out_cancelled integer,
    tool_calls jsonb,
    forward_queued boolean,
    error text)
  language plpgsql volatile
  -- Its statements' plans depend on no value it is given: planned once per session, not per batch.
  set plan_cache_mode = force_generic_plan
  -- Every table it (and what it calls) reads is read by key. A plan is kept for the session's
  -- life: one made while call_events held a few rows would otherwise scan the whole table for
  -- each webhook once it holds millions (seen: the dedupe lookup planned as a Seq Scan).
  set enable_seqscan = off
as $$
declare
  -- What storing found, per event (index = the event's position in p_events).
  v_current boolean[];      -- authenticated with the tenant's current credential
  v_event_ids bigint[];
  v_call_ids uuid[];        -- the tenant's call the event is about, if any
  v_needs_vapi_id boolean[]; -- found by our id only: VAPI's id is to be recorded
  v_inserted boolean[];     -- new (else a duplicate of an event stored before, or earlier in p_events)
  v_forward_urls text[];    -- where the event is relayed, when the tenant relays its type
  v_call_over boolean[];    -- the call had ended (or was cancelled or skipped): terminal, it stays so
  v_advanced boolean[];     -- applied by the batch's status moves
  v_recorded boolean[];     -- applied by the batch's details
  v_moves integer[];
  v_detailed integer[];
  v_item jsonb;
  v_type text;
  v_message jsonb;
  v_carrier boolean;
  v_applied_at timestamptz;
  v_at timestamptz;
  i integer;
begin
  -- 1. Every event of a current credential stored in one statement; a new event about the
  -- tenant's call is stored as applied: should its application below fail, its handler clears
  -- applied_at in the same transaction, so no commit ever shows an event applied that was not.
  with w as (
    -- The payload as the jsonb it is: jsonb_to_record would print it and parse it again.
    select item.ord::integer as ord, x.*, decode(x.body_sha256_hex, 'hex') as body_sha256, item.value -> 'payload' as payload
    from jsonb_array_elements(p_events) with ordinality as item(value, ord)
    cross join lateral jsonb_to_record(item.value) as x(tenant_id uuid, credential_version text, vapi_call_id text,
      external_id uuid, type text, status text, event_at timestamptz, body_sha256_hex text, raw_body text,
      error text, forward boolean)
  ), checked as (
    -- Lookups by key are laterals with LIMIT 1: index scans whatever the statistics were when the
    -- plan was made (a plan kept from a session's first batch saw the tables near empty).
    select w.*, coalesce(tenant.version = w.credential_version, false) as is_current
    from w left join lateral (select dialer.webhook_credential_version(tenant) as version
                                from dialer.tenants tenant where tenant.id = w.tenant_id limit 1) tenant on true
  ), about as (
    -- A call of another tenant is not this message's business: the event is kept, nothing applied.
    select checked.*, case when call.tenant_id = checked.tenant_id then call.id end as call_id,
           call.tenant_id = checked.tenant_id and checked.vapi_call_id is not null and call.vapi_call_id is null as needs_vapi_id,
           dialer._status_rank(state.status) = 9 as call_over
    from checked left join lateral dialer.webhook_call(checked.vapi_call_id, checked.external_id) call on true
    left join lateral (select found.status from dialer.calls found where found.id = call.id limit 1) state on true
    where checked.is_current
  ), stored as (
    insert into dialer.call_events (tenant_id, call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, error, applied_at)
    select tenant_id, about.call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, about.error,
           case when about.call_id is not null and about.error is null then now() end
    from about order by about.ord
    on conflict (tenant_id, body_sha256) do nothing
    returning id, tenant_id, body_sha256
  ), placed as (
    select checked.ord, checked.is_current, about.call_id, coalesce(about.needs_vapi_id, false) as needs_vapi_id,
           coalesce(about.call_over, false) as call_over,
           coalesce(stored.id, earlier.id) as event_id,
           stored.id is not null
             and row_number() over (partition by checked.is_current, checked.tenant_id, checked.body_sha256 order by checked.ord) = 1 as inserted,
           forwarded.url as forward_url
    from checked
    left join about on about.ord = checked.ord
    left join lateral dialer.forward_urls_of(checked.tenant_id, about.call_id) forwarded on checked.is_current and checked.forward
    left join stored on checked.is_current and stored.tenant_id = checked.tenant_id and stored.body_sha256 = checked.body_sha256
    -- (The condition inside: only a duplicate is looked up.)
    left join lateral (select event.id from dialer.call_events event
                        where checked.is_current and stored.id is null
                          and event.tenant_id = checked.tenant_id and event.body_sha256 = checked.body_sha256 limit 1) earlier on true
  )
  select array_agg(placed.is_current order by placed.ord), array_agg(placed.event_id order by placed.ord),
         array_agg(placed.call_id order by placed.ord), array_agg(placed.needs_vapi_id order by placed.ord),
         array_agg(coalesce(placed.inserted, false) order by placed.ord), array_agg(placed.forward_url order by placed.ord),
         array_agg(placed.call_over order by placed.ord)
    into v_current, v_event_ids, v_call_ids, v_needs_vapi_id, v_inserted, v_forward_urls, v_call_over
  from placed;

  -- 2. The plain writes, each kind in one statement: live-status moves (a new status-update about
  -- a call no other event of the batch touches otherwise), and reports' details (a new
  -- end-of-call-report about a call already over that asks no opt-out, the only event of the
  -- batch about its call). Should one of the statements fail, its events are applied one by one below.
  with event as (
    select item.ord::integer as ord, v_call_ids[item.ord] as call_id, item.value ->> 'type' as type,
           coalesce((item.value ->> 'ended')::boolean, false) as ended, item.value ->> 'advance_to' as advance_to,
           (item.value ->> 'tenant_id')::uuid as tenant_id, item.value -> 'payload' -> 'message' as message,
           v_inserted[item.ord] and not v_needs_vapi_id[item.ord] and item.value ->> 'error' is null as plain
    from jsonb_array_elements(p_events) with ordinality as item(value, ord)
    where v_current[item.ord] and v_call_ids[item.ord] is not null
  ), kind as (
    select e.ord, e.call_id,
           case when not e.plain then null
                when e.advance_to is not null and not e.ended and coalesce(e.type, '') not in ('end-of-call-report', 'tool-calls') then 'move'
                when e.type = 'end-of-call-report' and e.ended and v_call_over[e.ord]
                     and dialer.opt_out_requested(e.message, tenant.opt_out_structured_data_field, tenant.opt_out_tool_name) is null then 'details'
           end as kind
    from event e
    left join lateral (select t.opt_out_structured_data_field, t.opt_out_tool_name from dialer.tenants t
                        where t.id = e.tenant_id and e.type = 'end-of-call-report' limit 1) tenant on true
  )
  select array_agg(k.ord order by k.ord) filter (where k.kind = 'move' and not exists (
           select from kind other where other.call_id = k.call_id and other.kind is distinct from 'move')),
         array_agg(k.ord order by k.ord) filter (where k.kind = 'details' and not exists (
           select from kind other where other.call_id = k.call_id and other.ord <> k.ord))
    into v_moves, v_detailed
  from kind k;
  v_advanced := array_fill(false, array[jsonb_array_length(p_events)]);
  v_recorded := array_fill(false, array[jsonb_array_length(p_events)]);
  if v_moves is not null then
    begin
      perform dialer.advance_call_statuses(array(select v_call_ids[m] from unnest(v_moves) m),
                                           array(select p_events -> (m - 1) ->> 'advance_to' from unnest(v_moves) m),
                                           array(select (p_events -> (m - 1) ->> 'at')::timestamptz from unnest(v_moves) m));
      foreach i in array v_moves loop
        v_advanced[i] := true;
      end loop;
    exception when others then
      null;
    end;
  end if;
  if v_detailed is not null then
    begin
      perform dialer.record_calls_details(array(select v_call_ids[m] from unnest(v_detailed) m),
                                          array(select coalesce(nullif(p_events -> (m - 1) -> 'details', 'null'), '{}') from unnest(v_detailed) m),
                                          array(select coalesce(p_events -> (m - 1) ->> 'details_state', 'null') from unnest(v_detailed) m),
                                          array(select (p_events -> (m - 1) ->> 'recheck_after')::interval from unnest(v_detailed) m),
                                          array(select (p_events -> (m - 1) ->> 'at')::timestamptz from unnest(v_detailed) m));
      foreach i in array v_detailed loop
        v_recorded[i] := true;
      end loop;
    exception when others then
      null;
    end;
  end if;

  -- 3. Each event, in order.
  for i in 1 .. coalesce(array_length(v_current, 1), 0) loop
    ord := i;
    outcome := null;
    event_id := v_event_ids[i];
    call_id := v_call_ids[i];
    ended := false;
    ended_class := null;
    opt_out_reason := null;
    opt_out_added := null;
    opt_out_cancelled := null;
    tool_calls := '[]';
    forward_queued := false;
    error := null;
    if not v_current[i] then
      outcome := 'stale';
      return next;
      continue;
    end if;
    v_item := p_events -> (i - 1);
    v_type := v_item ->> 'type';
    v_at := (v_item ->> 'at')::timestamptz;
    -- Only these carry an in-call opt-out (052); other messages cost no opt-out statement.
    v_carrier := v_type in ('end-of-call-report', 'tool-calls');
    v_applied_at := null;
    if not v_inserted[i] then
      select event.applied_at into v_applied_at from dialer.call_events event where event.id = v_event_ids[i];
    end if;
    if v_item ->> 'error' is not null then
      outcome := 'invalid';
      return next;
      continue;
    end if;

    -- Relayed later by the worker (041) when the tenant relays this type; a duplicate whose first
    -- delivery never finished may not have been queued (queue_forward is idempotent).
    if v_forward_urls[i] is not null and (v_inserted[i] or v_applied_at is null) then
      forward_queued := dialer.queue_forward(event_id, v_forward_urls[i], v_at);
    end if;

    if call_id is null then
      outcome := 'stored';
      return next;
      continue;
    end if;
    v_message := case when v_carrier then v_item -> 'payload' -> 'message' end;
    if v_applied_at is not null then
      if v_carrier then
        select opted.tool_calls into tool_calls from dialer.apply_in_call_opt_out(call_id, v_message, v_at) opted;
      end if;
      outcome := 'duplicate';
      return next;
      continue;
    end if;
    if v_advanced[i] then
      outcome := 'applied';
      return next;
      continue;
    end if;
    if v_recorded[i] then
      ended := true;
      ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      perform pg_notify(v_item ->> 'wake_channel', 'call-ended');
      outcome := 'applied';
      return next;
      continue;
    end if;

    begin
      -- Found by our id only: the worker died before recording VAPI's; tie them now, so
      -- reconciliation and later webhooks find the call by VAPI's id.
      if v_needs_vapi_id[i] then
        perform dialer.record_dialed(call_id, v_item ->> 'vapi_call_id', null, v_at);
      end if;
      -- The number is listed first, so from the moment the call reads ended no claim can dial it.
      if v_carrier then
        select opted.reason, opted.added, opted.cancelled_calls, opted.tool_calls
          into opt_out_reason, opt_out_added, opt_out_cancelled, tool_calls
          from dialer.apply_in_call_opt_out(call_id, v_message, v_at) opted;
      end if;
      if coalesce((v_item ->> 'ended')::boolean, false) and v_call_over[i] then
        -- Over already (the report after an `ended` status-update): all apply_call_result would
        -- do is record the details, so that is done without its UPDATE that finds nothing live.
        perform dialer.record_call_details(call_id, coalesce(nullif(v_item -> 'details', 'null'), '{}'),
                                           coalesce(v_item ->> 'details_state', 'null'),
                                           (v_item ->> 'recheck_after')::interval, v_at);
        ended := true;
        ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      elsif coalesce((v_item ->> 'ended')::boolean, false) then
        -- The end, its details and where they stand (record_call_details, note_call_details), in one row version.
        perform dialer.apply_call_result(p_call_id => call_id, p_ended_reason => v_item ->> 'ended_reason',
                                         p_ended_at => (v_item ->> 'ended_at')::timestamptz,
                                         p_details => coalesce(nullif(v_item -> 'details', 'null'), '{}'),
                                         p_details_state => coalesce(v_item ->> 'details_state', 'null'),
                                         p_recheck_after => (v_item ->> 'recheck_after')::interval, at => v_at);
        ended := true;
        ended_class := dialer.ended_reason_class(v_item ->> 'ended_reason');
      elsif v_item ->> 'advance_to' is not null then
        perform dialer.advance_call_status(call_id, v_item ->> 'advance_to', v_at);
      end if;
      -- Once more after the result, to cancel what it created (a retry of the call).
      if opt_out_reason is not null and v_type = 'end-of-call-report' then
        perform dialer.apply_in_call_opt_out(call_id, v_message, v_at);
      end if;
      if not v_inserted[i] then
        update dialer.call_events event set applied_at = now(), error = null where event.id = v_event_ids[i];
      end if;
      -- A slot is free: the worker refills it now (delivered at commit).
      if ended then
        perform pg_notify(v_item ->> 'wake_channel', 'call-ended');
      end if;
      outcome := 'applied';
    exception when others then
      get stacked diagnostics error = message_text;
      ended := false;
      ended_class := null;
      opt_out_reason := null;
      opt_out_added := null;
      opt_out_cancelled := null;
      tool_calls := '[]';
      update dialer.call_events event set applied_at = null, error = receive_webhooks.error where event.id = v_event_ids[i];
      outcome := 'failed';
    end;
    return next;
  end loop;
end
$$;
comment on function dialer.receive_webhooks(jsonb) is
  'Authenticated VAPI webhooks, in one statement: p_events is a JSON array, one object per webhook, with tenant_id, credential_version, vapi_call_id, external_id (uuid or null), type, status, event_at, body_sha256_hex, payload (the body without secrets) or raw_body and error (a body that is not JSON), forward, advance_to, ended, ended_reason, ended_at, details, details_state, recheck_after (interval text), wake_channel, at. One row per webhook, by ord (its position from 1). stale (nothing done): credential_version is not webhook_credential_version of the tenant (or no such tenant): authenticate again. Otherwise the event is stored in call_events, once per tenant and body hash (all of them in one INSERT), about the call webhook_call(vapi_call_id, external_id) if it is the tenant''s; invalid: error was given. When forward and the event is new or unapplied, queued for the relay (queue_forward to forward_url_of, if any). stored: no call of the tenant, nothing applied. duplicate: applied before (or earlier in p_events); only the opt-out tool''s calls are returned again. Else applied, in order: a status-update''s advance_to about a call no other webhook of p_events touches otherwise goes with the others in one advance_call_statuses, and a new end-of-call-report about a call already over (ended or cancelled), the only webhook of p_events about it, for which opt_out_requested (with the tenant''s settings) is null, goes with the others in one record_calls_details (ended true; each kind one by one, below, should its statement fail); every other webhook in a subtransaction: VAPI''s id recorded if the call lacked one (record_dialed); for an end-of-call-report or tool-calls, apply_in_call_opt_out; with ended, apply_call_result(ended_reason, ended_at, details, details_state, recheck_after), ended_class; else advance_call_status(advance_to); an end-of-call-report that opted out is opted out again (cancelling a retry it created); the event marked applied and wake_channel notified ''call-ended'' when ended: applied. If any of it fails: failed, the event kept unapplied with error = the message.';
