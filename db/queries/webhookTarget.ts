// Who a webhook is for, in one round trip: the tenant (named in ?tenant=, else the owner of the
// call) with its webhook credential, and the call it is about (by VAPI's id, else by our id
// sent as customer.externalId: dialer.webhook_call), and the version of the credential
// (dialer.webhook_credential_version: dialer.receive_webhooks stores only with the current one).
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';
import { isUuid } from './callResults.js';

const target = z.object({
  tenant_id: z.string().nullable(),
  webhook_auth_type: z.enum(['secret', 'bearer', 'hmac']).nullable(),
  webhook_secret_encrypted: z.string().nullable(),
  webhook_credential_id: z.string().nullable(),
  webhook_auth_options: z.record(z.unknown()).nullable(),
  credential_version: z.string().nullable(),
  call_id: z.string().nullable(),
  call_tenant_id: z.string().nullable(),
  call_vapi_call_id: z.string().nullable(),
  /** Relay (sql/041_forwards.sql): where this call's messages go, and the tenant's relayed types (null = default). */
  forward_url: z.string().nullable(),
  forward_messages: z.array(z.string()).nullable(),
});
export type WebhookTarget = z.infer<typeof target>;

export async function webhookTarget(
  db: CommonQueryMethods,
  lookup: { tenantId: string | null; vapiCallId: string | null; externalId: string | null },
): Promise<WebhookTarget> {
  const tenantId = isUuid(lookup.tenantId) ? lookup.tenantId : null;
  const externalId = isUuid(lookup.externalId) ? lookup.externalId : null;
  return db.one(sql.type(target)`
    select tenant.id as tenant_id, tenant.webhook_auth_type, tenant.webhook_secret_encrypted,
           tenant.webhook_credential_id, tenant.webhook_auth_options, 
           case when tenant.id is not null then dialer.webhook_credential_version(tenant) end as credential_version,
           found.id as call_id, found.tenant_id as call_tenant_id, found.vapi_call_id as call_vapi_call_id,
           case when tenant.id is not null then dialer.forward_url_of(tenant.id, found.id) end as forward_url,
           tenant.forward_messages
    from (select 1) as one
    left join dialer.webhook_call(${lookup.vapiCallId}::text, ${externalId}::uuid) found on true
    left join dialer.tenants tenant on tenant.id = coalesce(${tenantId}::uuid, found.tenant_id)`);
}
