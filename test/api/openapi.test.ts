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
  t.match(create.requestBody.content['application/json'].schema, { type: 'object', required: ['name', 'assistantId', 'phoneNumberId', 'timeZone', 'window'] });
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
