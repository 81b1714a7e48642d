import t from 'tap';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { dropDatabase } from '../../db/databaseUrls.js';

t.test('GET /health reports the database and the worker', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, workerState: () => ({ state: 'sleeping', until: '2026-11-23T14:00:00.000Z' }) });
  const response = await fetch(`${api.url}/health`);
  t.equal(response.status, 200);
  t.same(await response.json(), { status: 'ok', database: 'ok', worker: { state: 'sleeping', until: '2026-11-23T14:00:00.000Z' } });
});

t.test('GET /health is 503 when the database cannot be reached', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  await dropDatabase(testServer().serverUrl, db.name);
  const response = await fetch(`${api.url}/health`);
  t.equal(response.status, 503);
  t.match(await response.json(), { status: 'degraded', database: 'unreachable' });
});

t.test('unknown routes answer in the one error format', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const response = await fetch(`${api.url}/nope`);
  t.equal(response.status, 404);
  t.same(await response.json(), { error: { code: 'not_found', message: 'no route for GET /nope', details: [] } });
});
