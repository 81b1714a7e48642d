// One VAPI client per tenant, built from its encrypted settings and kept for a short while so a
// burst of calls does not read and decrypt the tenant row for every dial.
import type { CommonQueryMethods } from 'slonik';
import { tenantVapiSettings } from '../../db/queries/tenantVapi.js';
import { decryptSecret } from '../crypto.js';
import { createVapiClient, type VapiClient } from '../vapi/client.js';
import type { WebhookAuth } from '../vapi/callBody.js';

export type TenantVapi = {
  tenantId: string;
  client: VapiClient;
  webhookAuth: WebhookAuth;
  /** Which VAPI settings the client was built from (encrypted key and base URL), to tell a refusal of the current key from one of a key replaced since. */
  vapiSettings: string;
};

export type TenantClients = {
  get(db: CommonQueryMethods, tenantId: string): Promise<TenantVapi>;
  clear(): void;
  /** Drops the tenant's cached client: its next get reads the settings again. */
  forget(tenantId: string): void;
};

/** The identity of a tenant's VAPI settings, as TenantVapi.vapiSettings holds it. */
export const vapiSettingsOf = (row: { vapi_api_key_encrypted: string | null; vapi_base_url: string | null }) =>
  `${row.vapi_base_url ?? ''} ${row.vapi_api_key_encrypted ?? ''}`;

export class TenantNotConfigured extends Error {
  override name = 'TenantNotConfigured';
  /** True when the tenant exists but cannot call VAPI (no key): the account, not the contact. */
  constructor(message: string, readonly accountProblem = false) {
    super(message);
  }
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
    if (!row.vapi_api_key_encrypted) throw new TenantNotConfigured('the tenant has no VAPI API key', true);
    return {
      tenantId,
      vapiSettings: vapiSettingsOf(row),
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
    forget: (tenantId) => void cache.delete(tenantId),
  };
}
