// What the worker and the webhook receiver need of a tenant: its VAPI credentials and webhook
// credential (decrypted by the caller), and the concurrency limit VAPI reports.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';

const tenantVapiRow = z.object({
  id: z.string(),
  vapi_api_key_encrypted: z.string().nullable(),
  vapi_base_url: z.string().nullable(),
  webhook_auth_type: z.enum(['secret', 'bearer', 'hmac']),
  webhook_secret_encrypted: z.string().nullable(),
  webhook_credential_id: z.string().nullable(),
  webhook_auth_options: z.record(z.unknown()),
});
export type TenantVapiRow = z.infer<typeof tenantVapiRow>;

export async function tenantVapiSettings(db: CommonQueryMethods, tenantId: string): Promise<TenantVapiRow | null> {
  return db.maybeOne(sql.type(tenantVapiRow)`
    select id, vapi_api_key_encrypted, vapi_base_url, webhook_auth_type, webhook_secret_encrypted,
           webhook_credential_id, webhook_auth_options
    from dialer.tenants where id = ${tenantId}::uuid`);
}

/**
 * Lowers (never raises) the limit VAPI imposes on this tenant, after VAPI refused a call for
 * concurrency. `reported` is the limit VAPI stated, or null: then the calls we have live with
 * VAPI, since that is what it accepted. Never below 1, so dialing resumes as calls end.
 */
export async function lowerVapiConcurrencyLimit(db: CommonQueryMethods, tenantId: string, reported: number | null): Promise<number | null> {
  return db.maybeOneFirst(sql.type(z.object({ limit: z.number().nullable() }))`
    update dialer.tenants t
       set vapi_concurrency_limit = least(coalesce(t.vapi_concurrency_limit, 10000), greatest(1, least(10000, l.value))),
           updated_at = now()
      from (select coalesce(${reported}::int,
                            (select count(*)::int from dialer.calls c
                              where c.tenant_id = ${tenantId}::uuid
                                and c.status in ('queued', 'ringing', 'in_progress'))) as value) l
     where t.id = ${tenantId}::uuid
    returning t.vapi_concurrency_limit as limit`);
}

/** Records the limit VAPI reported on an accepted call (it may have been raised since). */
export async function setVapiConcurrencyLimit(db: CommonQueryMethods, tenantId: string, reported: number): Promise<void> {
  await db.query(sql.unsafe`
    update dialer.tenants set vapi_concurrency_limit = greatest(1, least(10000, ${reported}::int)), updated_at = now()
     where id = ${tenantId}::uuid and vapi_concurrency_limit is distinct from greatest(1, least(10000, ${reported}::int))`);
}
