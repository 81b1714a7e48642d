import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { request } from '../helpers/request.js';
import { sha256 } from '../../server/crypto.js';

const admin = { authorization: 'Bearer test-admin-token-123' };

t.test('POST /v1/tenants creates a tenant whose key works, stores only the hash, and is audited', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const created = await request(`${api.url}/v1/tenants`, { headers: admin, json: { name: '  Acme ' } });
  t.equal(created.status, 201);
  t.match(created.body, { id: String, name: 'Acme', apiKey: /^pgd_/ });
  const stored = await db.pool.one(sql.unsafe`select key_hash, key_prefix from dialer.api_keys where tenant_id = ${created.body.id}`);
  t.same(stored.key_hash, sha256(created.body.apiKey), 'the hash of the key is stored');
  t.notOk(JSON.stringify(await db.pool.any(sql.unsafe`select * from dialer.api_keys`)).includes(created.body.apiKey), 'the key itself is nowhere');
  const keys = await request(`${api.url}/v1/api-keys`, { headers: { authorization: `Bearer ${created.body.apiKey}` } });
  t.equal(keys.status, 200, 'the key authenticates');
  const audit = await db.pool.one(sql.unsafe`select actor, action, entity, entity_id from dialer.audit_log where tenant_id = ${created.body.id}`);
  t.same(audit, { actor: 'admin', action: 'create', entity: 'tenant', entity_id: created.body.id });
});

t.test('POST /v1/tenants needs the admin token, a valid name and JSON', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const none = await request(`${api.url}/v1/tenants`, { json: { name: 'A' } });
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'unauthorized');
  t.equal(none.headers.get('www-authenticate'), 'Bearer');
  const wrong = await request(`${api.url}/v1/tenants`, { headers: { authorization: 'Bearer nope' }, json: { name: 'A' } });
  t.equal(wrong.status, 401);
  const invalid = await request(`${api.url}/v1/tenants`, { headers: admin, json: { name: '' } });
  t.equal(invalid.status, 400);
  t.equal(invalid.body.error.code, 'validation_error');
  t.equal(invalid.body.error.details[0].path, 'name');
  const missing = await request(`${api.url}/v1/tenants`, { headers: admin, json: {} });
  t.equal(missing.status, 400);
  t.equal(missing.body.error.details[0].path, 'name');
  const text = await request(`${api.url}/v1/tenants`, { headers: { ...admin, 'content-type': 'text/plain' }, body: 'name=A' });
  t.equal(text.status, 415);
  t.same(Object.keys(text.body.error), ['code', 'message', 'details']);
  t.equal(text.body.error.code, 'unsupported_media_type');
  const broken = await request(`${api.url}/v1/tenants`, { headers: { ...admin, 'content-type': 'application/json' }, body: '{"name":' });
  t.equal(broken.status, 400);
  t.equal(broken.body.error.code, 'invalid_json');
  const huge = await request(`${api.url}/v1/tenants`, { headers: admin, json: { name: 'x'.repeat(2_000_000) } });
  t.equal(huge.status, 413);
  t.equal(huge.body.error.code, 'payload_too_large');
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.tenants`), 0, 'nothing was created');
});

t.test('POST /v1/tenants is 403 when the server has no ADMIN_TOKEN', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, secrets: { appSecret: 'x'.repeat(40), adminToken: undefined } });
  const response = await request(`${api.url}/v1/tenants`, { headers: admin, json: { name: 'A' } });
  t.equal(response.status, 403);
  t.equal(response.body.error.code, 'admin_disabled');
});
