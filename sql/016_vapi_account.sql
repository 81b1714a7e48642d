-- A tenant's standing with VAPI. A wrong or revoked key (401/403 on POST /call) or an
-- account-problem endedReason (credits, frozen subscription, a credential, quota or configuration
-- fault: ended_reason_class = 'account') would fail every call of the account alike: the tenant
-- is stopped instead of burning its contacts' attempts, until its VAPI settings change or an
-- operator clears it. The gate is one column read once per tenant (claim_calls, due_calls,
-- next_wake_at, why_not), never per call.

-- Why: the one rule "this tenant may place calls on VAPI", shared by every gate.
create or replace function dialer._vapi_account_ok(tenant dialer.tenants) returns boolean
  language sql immutable parallel safe
as $$ select tenant.vapi_blocked_at is null $$;
comment on function dialer._vapi_account_ok(dialer.tenants) is
  'Internal: true unless VAPI refused the tenant''s account (tenants.vapi_blocked_at set): the tenant gate of claim_calls, due_calls, next_wake_at and why_not.';

-- Why: the first refusal stops the tenant; later ones keep the first instant and reason, so
-- `since` says how long the account has been down.
create or replace function dialer.block_tenant_vapi(p_tenant_id uuid, p_reason text, at timestamptz) returns boolean
  language sql volatile
as $$
  with blocked as (
    update dialer.tenants
    set vapi_blocked_at = at, vapi_blocked_reason = left(coalesce(nullif(p_reason, ''), 'VAPI refused the account'), 500)
    where id = p_tenant_id and vapi_blocked_at is null
    returning 1
  )
  select exists (select 1 from blocked)
$$;
comment on function dialer.block_tenant_vapi(uuid, text, timestamptz) is
  'Marks the tenant''s VAPI account as refused (vapi_blocked_at = at, vapi_blocked_reason = p_reason, at most 500 characters) unless already marked; no call of the tenant is claimed until clear_tenant_vapi. Returns whether it marked it now.';

-- Why: new VAPI settings, or an operator who fixed the account, lift the stop; the worker is
-- woken by the caller (the calls that waited are due).
create or replace function dialer.clear_tenant_vapi(p_tenant_id uuid) returns boolean
  language sql volatile
as $$
  with cleared as (
    update dialer.tenants set vapi_blocked_at = null, vapi_blocked_reason = null
    where id = p_tenant_id and vapi_blocked_at is not null
    returning 1
  )
  select exists (select 1 from cleared)
$$;
comment on function dialer.clear_tenant_vapi(uuid) is
  'Lifts the stop block_tenant_vapi put on the tenant (PUT /v1/settings of the VAPI key or base URL, or POST /v1/settings/vapi-status/clear). Returns whether it was stopped.';
