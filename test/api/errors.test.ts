import t from 'tap';
import express from 'express';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { dropDatabase } from '../../db/databaseUrls.js';
import { listen } from '../../server/httpServer.js';
import { installErrorHandler } from '../../server/http/errors.js';
import { silentLogger } from '../../server/log.js';
import { rateLimitPerApiKey } from '../../server/api/rateLimit.js';

t.test('429 with Retry-After once a key spends its budget; other keys and the next window are unaffected', async (t) => {
  let now = 1_000_000;
  const app = express();
  app.use((request, response, next) => {
    response.locals.caller = { tenantId: 't', apiKeyId: String(request.headers['x-key']) };
    next();
  });
  app.use(rateLimitPerApiKey({ max: 3, windowMs: 60_000, now: () => now }));
  app.get('/', (_request, response) => void response.json({ ok: true }));
  installErrorHandler(app, silentLogger);
  const server = await listen(app, 0, '127.0.0.1', 1_000);
  t.teardown(() => server.close());
  const get = (key: string) => request(server.url + '/', { headers: { 'x-key': key } });

  for (let i = 0; i < 3; i++) t.equal((await get('a')).status, 200);
  now += 20_000;
  const limited = await get('a');
  t.equal(limited.status, 429);
  t.same(limited.body, { error: { code: 'rate_limited', message: 'more than 3 requests in a minute with this API key', details: [] } });
  t.equal(limited.headers.get('retry-after'), '40');
  t.equal((await get('b')).status, 200, 'another key has its own budget');
  now += 40_000;
  t.equal((await get('a')).status, 200, 'a new window');
});

t.test('unknown /v1 routes are 404 for a tenant; a failure inside is a 500 with no internals', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const unknown = await request(`${api.url}/v1/nope`, { headers: tenant.headers() });
  t.equal(unknown.status, 404);
  t.same(unknown.body, { error: { code: 'not_found', message: 'no route for GET /v1/nope', details: [] } });
  await dropDatabase(testServer().serverUrl, db.name);
  const broken = await request(`${api.url}/v1/campaigns`, { headers: tenant.headers() });
  t.equal(broken.status, 500);
  t.same(broken.body, { error: { code: 'internal_error', message: 'an unexpected error occurred', details: [] } });
});
