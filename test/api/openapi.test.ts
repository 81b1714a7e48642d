import t from 'tap';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { request } from '../helpers/request.js';
import { createApp } from '../../server/app.js';
import { openApiPath } from '../../server/api/openapi.js';

type Layer = { name?: string; route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every (method, path) Express would answer under /v1, read from the router stacks. */
function expressRoutes(app: ReturnType<typeof createApp>): Set<string> {
  const routes = new Set<string>();
  const root = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  for (const layer of root) {
    if (layer.name !== 'router' || !layer.handle?.stack) continue;
    for (const inner of layer.handle.stack) {
      if (!inner.route) continue;
      for (const method of Object.keys(inner.route.methods)) if (method !== '_all') routes.add(`${method} /v1${inner.route.path}`);
    }
  }
  return routes;
}

t.test('GET /openapi.json is OpenAPI 3.1 and documents every /v1 route Express has', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const response = await request(`${api.url}/openapi.json`);
  t.equal(response.status, 200);
  const document = response.body;
  t.equal(document.openapi, '3.1.0');
  t.type(document.info.title, 'string');
  t.ok(document.components.schemas.Error, 'the error format is a component');

  const routes = expressRoutes(createApp(api.context));
  t.ok(routes.size >= 25, `found ${routes.size} routes`);
  const documented = new Set<string>();
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(methods)) documented.add(`${method} ${path}`);
  }
  for (const route of routes) {
    const [method, path] = route.split(' ') as [string, string];
    t.ok(documented.has(`${method} ${openApiPath(path)}`), `${method.toUpperCase()} ${path} is documented`);
  }
  t.equal(documented.size, routes.size, 'and nothing is documented that does not exist');
  const operationIds = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
  t.equal(new Set(operationIds).size, operationIds.length, 'operationIds are unique');
  t.equal(document.paths['/v1/campaigns/{id}/start'].post.operationId, 'postCampaignsIdStart');

  for (const path of ['/v1/tenants', '/v1/api-keys', '/v1/api-keys/{id}', '/v1/settings', '/v1/campaigns', '/v1/campaigns/{id}',
    '/v1/campaigns/{id}/start', '/v1/campaigns/{id}/pause', '/v1/campaigns/{id}/resume', '/v1/campaigns/{id}/stop',
    '/v1/dnc', '/v1/dnc/{phone}', '/v1/calls', '/v1/calls.csv', '/v1/calls/{id}', '/v1/scheduler/status']) {
    t.ok(document.paths[path], `${path} is in the document`);
  }
  const create = document.paths['/v1/campaigns'].post;
  // phoneNumberId or phoneNumberIds (the pool): either is enough, so neither is required alone.
  t.match(create.requestBody.content['application/json'].schema, { type: 'object', required: ['name', 'assistantId', 'timeZone', 'window'],
                                                                    properties: { phoneNumberId: {}, phoneNumberIds: { type: 'array' } } });
  t.match(create.responses, { 201: { content: { 'application/json': { schema: { type: 'object' } } } }, 400: {}, 401: {}, 415: {} });
  t.same(document.paths['/v1/tenants'].post.security, [{ adminToken: [] }]);
  const list = document.paths['/v1/calls'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
  t.same(list.sort(), ['query:campaignId', 'query:contactId', 'query:cursor', 'query:from', 'query:limit', 'query:outcome', 'query:q', 'query:status', 'query:to']);
});

t.test('GET /docs renders the document as a self-contained page', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const response = await request(`${api.url}/docs`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/html/);
  const html = response.body as string;
  t.match(html, /<code>\/v1\/campaigns\/\{id\}\/start<\/code>/);
  t.match(html, /Create a campaign \(status draft\)/);
  t.notMatch(html, /<script|https?:\/\/(?!localhost)/, 'no scripts, nothing loaded from the network');
});

t.test('every status a route answers is in its OpenAPI responses (each provoked for real), the import documents multipart', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const noAdmin = await startTestApi(t, { pool: db.pool, secrets: { appSecret: 'test-secret-'.padEnd(40, 'x'), adminToken: undefined } });
  const { createTestTenant } = await import('../helpers/tenant.js');
  const tenant = await createTestTenant(db.pool);
  const document = (await request(`${api.url}/openapi.json`)).body;
  const documented = (method: string, path: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {}).map(Number);

  const campaign = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: { name: 'C', assistantId: 'a', phoneNumberId: 'p', timeZone: 'America/New_York', window: { start: '09:00', end: '17:00' } },
  });
  const id = campaign.body.id;
  await request(`${api.url}/v1/campaigns/${id}/start`, { method: 'POST', headers: tenant.headers() });
  await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone: '+12125550100' } });
  const bigJson = JSON.stringify({ name: 'x'.repeat(1_100_000) });
  const cases: [string, string, string, () => Promise<{ status: number }>][] = [
    ['409', 'patch', '/v1/campaigns/{id}', () => request(`${api.url}/v1/campaigns/${id}`, { method: 'PATCH', headers: tenant.headers(), json: { name: 'D' } })],
    ['409', 'post', '/v1/campaigns/{id}/start', () => request(`${api.url}/v1/campaigns/${id}/start`, { method: 'POST', headers: tenant.headers() })],
    ['409', 'delete', '/v1/campaigns/{id}', () => request(`${api.url}/v1/campaigns/${id}`, { method: 'DELETE', headers: tenant.headers() })],
    ['409', 'delete', '/v1/api-keys/{id}', () => request(`${api.url}/v1/api-keys/${tenant.apiKeyId}`, { method: 'DELETE', headers: tenant.headers() })],
    ['422', 'post', '/v1/calls', () => request(`${api.url}/v1/calls`, { headers: tenant.headers(), json: { phone: '+12125550100', assistantId: 'a', phoneNumberId: 'p' } })],
    ['422', 'post', '/v1/campaigns/{id}/contacts/import', () => request(`${api.url}/v1/campaigns/${id}/contacts/import`, { headers: { ...tenant.headers(), 'content-type': 'text/csv' }, body: 'name\nAnn\n' })],
    ['415', 'post', '/v1/campaigns/{id}/contacts/import', () => request(`${api.url}/v1/campaigns/${id}/contacts/import`, { headers: { ...tenant.headers(), 'content-type': 'application/pdf' }, body: 'x' })],
    ['415', 'post', '/v1/dnc', () => request(`${api.url}/v1/dnc`, { headers: { ...tenant.headers(), 'content-type': 'text/plain' }, body: 'x' })],
    ['413', 'post', '/v1/campaigns', () => request(`${api.url}/v1/campaigns`, { headers: tenant.headers(true), body: bigJson })],
    ['403', 'post', '/v1/tenants', () => request(`${noAdmin.url}/v1/tenants`, { json: { name: 'T' } })],
  ];
  for (const [status, method, path, provoke] of cases) {
    const answer = await provoke();
    t.equal(answer.status, Number(status), `${method.toUpperCase()} ${path} answers ${status}`);
    t.ok(documented(method, path).includes(Number(status)), `${method.toUpperCase()} ${path} documents ${status}`);
  }

  // 429: the per-key budget applies to every tenant route, so every one documents it.
  let limited = 0;
  for (let round = 0; round < 65 && limited === 0; round++) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(`${api.url}/v1/dnc?limit=1`, { headers: tenant.headers() })));
    limited = answers.filter((answer) => answer.status === 429).length;
  }
  t.ok(limited > 0, 'the rate limit answers 429');
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { security: Record<string, unknown>[]; responses: Record<string, unknown> }>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const statuses = Object.keys(operation.responses);
      if (operation.security.some((scheme) => 'apiKey' in scheme)) t.ok(statuses.includes('429') && statuses.includes('401'), `${method} ${path} documents 401 and 429`);
    }
  }
  const importBody = document.paths['/v1/campaigns/{id}/contacts/import'].post.requestBody.content;
  t.same(Object.keys(importBody).sort(), ['multipart/form-data', 'text/csv']);
  t.match(importBody['multipart/form-data'].schema, { type: 'object', properties: { file: { type: 'string', format: 'binary' } } });
  t.match(document.paths['/v1/events'].get.responses[200].content, { 'text/event-stream': {} });
});
