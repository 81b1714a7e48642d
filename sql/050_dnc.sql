-- Do-not-call from the API: adding a number also cancels what is already planned for it, in the
-- same statement's transaction, so no scheduled call to it can be claimed after the commit.
-- Calls already being dialed or live are left to finish (they cannot be taken back).

-- Why: "do not call" must hold for calls planned before the number was added, not only new ones.
create or replace function dialer.add_dnc(p_tenant_id uuid, p_phone text, p_reason text, at timestamptz,
  out phone text, out reason text, out created_at timestamptz, out added boolean, out cancelled_calls integer)
  language plpgsql volatile
as $$
#variable_conflict use_column
begin
  insert into dialer.dnc as existing (tenant_id, phone, reason, created_at)
  values (p_tenant_id, p_phone, p_reason, at)
  on conflict on constraint dnc_pkey do update set reason = coalesce(excluded.reason, existing.reason)
  returning existing.phone, existing.reason, existing.created_at, (existing.xmax = 0)
  into phone, reason, created_at, added;
  update dialer.calls set status = 'cancelled', last_error = 'number added to do-not-call', updated_at = at
  where calls.tenant_id = p_tenant_id and calls.phone = p_phone and calls.status = 'scheduled';
  get diagnostics cancelled_calls = row_count;
end
$$;
comment on function dialer.add_dnc(uuid, text, text, timestamptz) is
  'Adds an E.164 number to the tenant''s do-not-call list (a second add keeps the first created_at and replaces the reason when one is given) and cancels the tenant''s scheduled calls to it. Returns the entry, added (false when it was already listed) and cancelled_calls.';
