// Sweeps over every documented route, so a route added later cannot forget authentication or
// quietly accept a non-JSON body.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { registeredRoutes } from '../../server/api/openapi.js';

const sample: Record<string, string> = { id: '00000000-0000-4000-8000-000000000000', phone: '+12025550100' };
const concrete = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(sample[name] ?? 'x'));

t.test('every route refuses a missing, wrong or revoked credential with 401 in the one error format', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  await db.pool.query(sql.unsafe`update dialer.api_keys set revoked_at = now() where id = ${tenant.apiKeyId}`);
  const routes = registeredRoutes();
  t.ok(routes.length >= 25);
  for (const route of routes) {
    const url = api.url + concrete(route.path);
    for (const [what, headers] of [
      ['no key', {}],
      ['a wrong key', { authorization: 'Bearer pgd_wrong' }],
      ['a revoked key', tenant.headers()],
    ] as const) {
      const response = await request(url, { method: route.method.toUpperCase(), headers: { ...headers } });
      t.equal(response.status, 401, `${route.method.toUpperCase()} ${route.path} with ${what}`);
      t.equal(response.body?.error?.code, 'unauthorized');
    }
  }
});

t.test('every JSON route refuses a body of another content type with 415', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const admin = { authorization: 'Bearer test-admin-token-123' };
  const jsonRoutes = registeredRoutes().filter((route) => route.body && (route.bodyContentType ?? 'application/json') === 'application/json');
  t.ok(jsonRoutes.length >= 8);
  for (const route of jsonRoutes) {
    const headers = { ...(route.auth === 'admin' ? admin : tenant.headers()), 'content-type': 'text/plain' };
    const response = await request(api.url + concrete(route.path), { method: route.method.toUpperCase(), headers, body: 'hello' });
    t.equal(response.status, 415, `${route.method.toUpperCase()} ${route.path}`);
    t.same(Object.keys(response.body.error), ['code', 'message', 'details']);
  }
});
