import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

t.test('API keys: create, list without secrets, revoke; a revoked key stops working', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);

  const created = await request(`${api.url}/v1/api-keys`, { headers: tenant.headers(), json: { name: 'ci' } });
  t.equal(created.status, 201);
  t.match(created.body, { id: String, name: 'ci', apiKey: /^pgd_/, createdAt: String });
  const unnamed = await request(`${api.url}/v1/api-keys`, { method: 'POST', headers: tenant.headers() });
  t.equal(unnamed.status, 201, 'the body is optional');
  t.equal(unnamed.body.name, null);

  const list = await request(`${api.url}/v1/api-keys`, { headers: tenant.headers() });
  t.equal(list.status, 200);
  t.equal(list.body.items.length, 3);
  t.same(Object.keys(list.body.items[0]).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt']);
  t.notOk(JSON.stringify(list.body).includes(created.body.apiKey), 'no key in the list');
  t.ok(created.body.apiKey.startsWith(list.body.items.find((k: any) => k.id === created.body.id).prefix));

  const newKey = { authorization: `Bearer ${created.body.apiKey}` };
  t.equal((await request(`${api.url}/v1/api-keys`, { headers: newKey })).status, 200, 'the new key works');
  const revoked = await request(`${api.url}/v1/api-keys/${created.body.id}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(revoked.status, 200);
  t.type(revoked.body.revokedAt, 'string');
  const afterRevoke = await request(`${api.url}/v1/api-keys`, { headers: newKey });
  t.equal(afterRevoke.status, 401, 'a revoked key is refused');
  t.equal(afterRevoke.body.error.code, 'unauthorized');
  const audits = await db.pool.anyFirst(sql.unsafe`select action from dialer.audit_log where entity = 'api_key' order by id`);
  t.same(audits, ['create', 'create', 'revoke']);
});

t.test('API keys: a key cannot revoke itself; another tenant\'s key is 404; bad ids are 400', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const self = await request(`${api.url}/v1/api-keys/${tenant.apiKeyId}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(self.status, 409);
  t.equal(self.body.error.code, 'state_conflict');
  const foreign = await request(`${api.url}/v1/api-keys/${other.apiKeyId}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(foreign.status, 404);
  t.equal(await db.pool.oneFirst(sql.unsafe`select revoked_at from dialer.api_keys where id = ${other.apiKeyId}`), null, 'untouched');
  const list = await request(`${api.url}/v1/api-keys`, { headers: tenant.headers() });
  t.same(list.body.items.map((k: any) => k.id), [tenant.apiKeyId], 'only its own keys');
  const bad = await request(`${api.url}/v1/api-keys/not-a-uuid`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.details[0].path, 'id');
  t.equal((await request(`${api.url}/v1/api-keys`)).status, 401, 'no key');
  t.equal((await request(`${api.url}/v1/api-keys`, { headers: { authorization: 'Bearer pgd_wrong' } })).status, 401, 'a wrong key');
});

t.test('lastUsedAt is set on use and refreshed at most once a minute', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const lastUsed = () => db.pool.oneFirst(sql.unsafe`select last_used_at from dialer.api_keys where id = ${tenant.apiKeyId}`);
  t.equal(await lastUsed(), null);
  await request(`${api.url}/v1/api-keys`, { headers: tenant.headers() });
  t.type(await lastUsed(), 'string', 'set on first use');
  await db.pool.query(sql.unsafe`update dialer.api_keys set last_used_at = now() - interval '30 seconds' where id = ${tenant.apiKeyId}`);
  const recent = await lastUsed();
  await request(`${api.url}/v1/api-keys`, { headers: tenant.headers() });
  t.equal(await lastUsed(), recent, 'not rewritten within the minute');
  await db.pool.query(sql.unsafe`update dialer.api_keys set last_used_at = now() - interval '2 minutes' where id = ${tenant.apiKeyId}`);
  const old = await lastUsed();
  await request(`${api.url}/v1/api-keys`, { headers: tenant.headers() });
  t.ok(Date.parse(String(await lastUsed())) > Date.parse(String(old)), 'refreshed after a minute');
});
