-- One VAPI webhook, received: stored once and applied, in one statement (one round trip, one
-- commit; bench/REPORT.md, webhooks). The steps are the functions that decide them
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

-- Why: stored before applied, applied once, forward only, in one statement. The event is stored
-- (or found: deduplicated by tenant and body hash) first; the application runs in a
-- subtransaction, so a failed one leaves the event stored, unapplied, with its error (a
-- redelivery applies it). An event already applied is answered the same without applying again
-- (a tool call still gets its answer; the opt-out applied again changes nothing).
create or replace function dialer.receive_webhook(
  p_tenant_id uuid,
  p_credential_version text,
  p_vapi_call_id text,
  p_external_id uuid,
  p_type text,
  p_status text,
  p_event_at timestamptz,
  p_body_sha256 bytea,
  p_payload jsonb,
  p_raw_body text,
  p_error text,
  p_forward boolean,
  p_advance_to text,
  p_end boolean,
  p_ended_reason text,
  p_ended_at timestamptz,
  p_details jsonb,
  p_details_state text,
  p_recheck_after interval,
  p_wake_channel text,
  at timestamptz,
  out outcome text,
  out event_id bigint,
  out call_id uuid,
  out ended boolean,
  out ended_class text,
  out opt_out_reason text,
  out opt_out_added boolean,
  out opt_out_cancelled integer,
  out tool_calls jsonb,
  out forward_queued boolean,
  out error text)
  language plpgsql volatile
as $$
declare
  v_tenant dialer.tenants;
  v_call record;
  v_applied_at timestamptz;
  v_inserted boolean;
  v_message constant jsonb := p_payload -> 'message';
  -- Only these carry an in-call opt-out (052); other messages cost no opt-out statement.
  v_carrier constant boolean := p_type in ('end-of-call-report', 'tool-calls');
  v_url text;
begin
  ended := false;
  forward_queued := false;
  tool_calls := '[]';
  select * into v_tenant from dialer.tenants tenant where tenant.id = p_tenant_id;
  if not found or dialer.webhook_credential_version(v_tenant) is distinct from p_credential_version then
    outcome := 'stale';
    return;
  end if;
  select * into v_call from dialer.webhook_call(p_vapi_call_id, p_external_id);
  -- A call of another tenant is not this message's business: the event is kept, nothing applied.
  if v_call.tenant_id = p_tenant_id then
    call_id := v_call.id;
  end if;

  -- A new event about the tenant's call is stored as applied: should the apply below fail, its
  -- handler clears applied_at in the same transaction, so no commit ever shows an event applied
  -- that was not (and no second row version is written for the common case).
  insert into dialer.call_events (tenant_id, call_id, vapi_call_id, type, status, event_at, body_sha256, payload, raw_body, error, applied_at)
  values (p_tenant_id, receive_webhook.call_id, p_vapi_call_id, p_type, p_status, p_event_at, p_body_sha256, p_payload, p_raw_body, p_error,
          case when receive_webhook.call_id is not null and p_error is null then now() end)
  on conflict (tenant_id, body_sha256) do nothing
  returning id into event_id;
  v_inserted := found;
  if not v_inserted then
    select event.id, event.applied_at into event_id, v_applied_at
      from dialer.call_events event where event.tenant_id = p_tenant_id and event.body_sha256 = p_body_sha256;
  end if;
  if p_error is not null then
    outcome := 'invalid';
    return;
  end if;

  -- Relayed later by the worker (041) when the tenant relays this type; a duplicate whose first
  -- delivery never finished may not have been queued (queue_forward is idempotent).
  if p_forward and (v_inserted or v_applied_at is null) then
    v_url := dialer.forward_url_of(p_tenant_id, v_call.id);
    if v_url is not null then
      forward_queued := dialer.queue_forward(event_id, v_url, at);
    end if;
  end if;

  if call_id is null then
    outcome := 'stored';
    return;
  end if;
  if v_applied_at is not null then
    if v_carrier then
      select opted.tool_calls into tool_calls from dialer.apply_in_call_opt_out(call_id, v_message, at) opted;
    end if;
    outcome := 'duplicate';
    return;
  end if;

  begin
    -- Found by our id only: the worker died before recording VAPI's; tie them now, so
    -- reconciliation and later webhooks find the call by VAPI's id.
    if p_vapi_call_id is not null and v_call.vapi_call_id is null then
      perform dialer.record_dialed(call_id, p_vapi_call_id, null, at);
    end if;
    -- The number is listed first, so from the moment the call reads ended no claim can dial it.
    if v_carrier then
      select opted.reason, opted.added, opted.cancelled_calls, opted.tool_calls
        into opt_out_reason, opt_out_added, opt_out_cancelled, tool_calls
        from dialer.apply_in_call_opt_out(call_id, v_message, at) opted;
    end if;
    if p_end then
      -- The end, its details and where they stand (record_call_details, note_call_details), in one row version.
      perform dialer.apply_call_result(p_call_id => call_id, p_ended_reason => p_ended_reason, p_ended_at => p_ended_at,
                                       p_details => coalesce(p_details, '{}'), p_details_state => coalesce(p_details_state, 'null'),
                                       p_recheck_after => p_recheck_after, at => at);
      ended := true;
      ended_class := dialer.ended_reason_class(p_ended_reason);
    elsif p_advance_to is not null then
      perform dialer.advance_call_status(call_id, p_advance_to, at);
    end if;
    -- Once more after the result, to cancel what it created (a retry of the call).
    if opt_out_reason is not null and p_type = 'end-of-call-report' then
      perform dialer.apply_in_call_opt_out(call_id, v_message, at);
    end if;
    if not v_inserted then
      update dialer.call_events event set applied_at = now(), error = null where event.id = receive_webhook.event_id;
    end if;
    -- A slot is free: the worker refills it now (delivered at commit).
    if ended then
      perform pg_notify(p_wake_channel, 'call-ended');
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
    update dialer.call_events event set applied_at = null, error = receive_webhook.error where event.id = receive_webhook.event_id;
    outcome := 'failed';
  end;
end
$$;
comment on function dialer.receive_webhook(uuid, text, text, uuid, text, text, timestamptz, bytea, jsonb, text, text, boolean, text, boolean, text, timestamptz, jsonb, text, interval, text, timestamptz) is
  'One authenticated VAPI webhook of tenant p_tenant_id, in one statement. stale (nothing done): p_credential_version is not webhook_credential_version of the tenant (or no such tenant): authenticate again. Otherwise the event is stored in call_events (type, status, event_at, payload without secrets, or raw_body and p_error for a body that is not JSON), once per tenant and p_body_sha256, about the call webhook_call(p_vapi_call_id, p_external_id) if it is the tenant''s; invalid: p_error was given. When p_forward and the event is new or unapplied, queued for the relay (queue_forward to forward_url_of, if any). stored: no call of the tenant, nothing applied. duplicate: applied before; only the opt-out tool''s calls are returned again. Else, in a subtransaction: VAPI''s id recorded if the call lacked one (record_dialed); for an end-of-call-report or tool-calls, apply_in_call_opt_out; with p_end, apply_call_result(p_ended_reason, p_ended_at), record_call_details(p_details), note_call_details(p_details_state, p_recheck_after), ended_class; else advance_call_status(p_advance_to) if given; an end-of-call-report that opted out is opted out again (cancelling a retry it created); the event marked applied and p_wake_channel notified ''call-ended'' when ended: applied. If any of it fails: failed, the event kept unapplied with error = the message.';
