// A tenant with an API key, for API tests: created the way the product creates them
// (db/queries/tenants.ts), so the key works against requireApiKey.
import type { DatabasePool } from 'slonik';
import { createTenant } from '../../db/queries/tenants.js';

export type TestTenant = {
  id: string;
  name: string;
  apiKey: string;
  apiKeyId: string;
  /** Headers for fetch: the bearer key and, with `json`, Content-Type: application/json. */
  headers(json?: boolean): Record<string, string>;
};

let counter = 0;

export async function createTestTenant(pool: DatabasePool, name = `Tenant ${++counter}`): Promise<TestTenant> {
  const tenant = await createTenant(pool, { name, actor: 'test' });
  return {
    ...tenant,
    headers: (json = false) => ({
      authorization: `Bearer ${tenant.apiKey}`,
      ...(json ? { 'content-type': 'application/json' } : {}),
    }),
  };
}
