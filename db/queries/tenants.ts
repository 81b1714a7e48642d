// Creating a tenant with its first API key: used by POST /v1/tenants, `npm run tenant:create`
// and tests. The key is returned once; only its SHA-256 is stored.
import { sql, type DatabasePool } from 'slonik';
import { z } from '../zod.js';
import { generateApiKey } from '../../server/crypto.js';
import { audit } from './audit.js';

export type CreatedTenant = { id: string; name: string; apiKey: string; apiKeyId: string };

export async function createTenant(pool: DatabasePool, input: { name: string; actor: string }): Promise<CreatedTenant> {
  const key = generateApiKey();
  return pool.transaction(async (connection) => {
    const tenant = await connection.one(sql.type(z.object({ id: z.string(), name: z.string() }))`
      insert into dialer.tenants (name) values (${input.name}) returning id, name`);
    const apiKey = await connection.one(sql.type(z.object({ id: z.string() }))`
      insert into dialer.api_keys (tenant_id, key_hash, key_prefix, name)
      values (${tenant.id}, ${sql.binary(key.hash)}, ${key.prefix}, 'initial')
      returning id`);
    await audit(connection, { tenantId: tenant.id, actor: input.actor, action: 'create', entity: 'tenant', entityId: tenant.id, details: { name: tenant.name } });
    return { id: tenant.id, name: tenant.name, apiKey: key.key, apiKeyId: apiKey.id };
  });
}
