// One VAPI client per tenant, built from its encrypted settings and kept for a short while so a
// burst of calls does not read and decrypt the tenant row for every dial.
import type { CommonQueryMethods } from 'slonik';
import { tenantVapiSettings } from '../../db/queries/tenantVapi.js';
import { decryptSecret } from '../crypto.js';
import { createVapiClient, type VapiClient } from '../vapi/client.js';
import type { WebhookAuth } from '../vapi/callBody.js';

export type TenantVapi = { tenantId: string; client: VapiClient; webhookAuth: WebhookAuth };

export type TenantClients = {
  get(db: CommonQueryMethods, tenantId: string): Promise<TenantVapi>;
  clear(): void;
};

export class TenantNotConfigured extends Error {
  override name = 'TenantNotConfigured';
}

export function createTenantClients(options: {
  appSecret: string;
  defaultBaseUrl: string;
  requestTimeoutMs: number;
  ttlMs?: number;
}): TenantClients {
  const ttlMs = options.ttlMs ?? 30_000;
  const cache = new Map<string, { value: Promise<TenantVapi>; expires: number }>();

  async function load(db: CommonQueryMethods, tenantId: string): Promise<TenantVapi> {
    const row = await tenantVapiSettings(db, tenantId);
    if (!row) throw new TenantNotConfigured(`tenant ${tenantId} does not exist`);
    if (!row.vapi_api_key_encrypted) throw new TenantNotConfigured('the tenant has no VAPI API key');
    return {
      tenantId,
      client: createVapiClient({
        baseUrl: row.vapi_base_url ?? options.defaultBaseUrl,
        apiKey: decryptSecret(options.appSecret, row.vapi_api_key_encrypted),
        timeoutMs: options.requestTimeoutMs,
      }),
      webhookAuth: {
        type: row.webhook_auth_type,
        secret: row.webhook_secret_encrypted ? decryptSecret(options.appSecret, row.webhook_secret_encrypted) : null,
        credentialId: row.webhook_credential_id,
        options: row.webhook_auth_options,
      },
    };
  }

  return {
    get(db, tenantId) {
      const now = Date.now();
      const cached = cache.get(tenantId);
      if (cached && cached.expires > now) return cached.value;
      const value = load(db, tenantId);
      cache.set(tenantId, { value, expires: now + ttlMs });
      value.catch(() => cache.delete(tenantId));
      return value;
    },
    clear: () => cache.clear(),
  };
}
