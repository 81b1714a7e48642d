// The API as a serverless function (server/serverless.ts): a plain Node request handler built
// from the environment, with no listen() of its own and no background work. Between requests it
// holds no database session: the pool closes its connection a second after the last query.
import t from 'tap';
import { createServer } from 'node:http';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { watchSessions } from '../helpers/sessionWatch.js';
import { createServerlessApp } from '../../server/serverless.js';
import { TEST_APP_SECRET, waitFor } from '../worker/fixtures.js';

const db = await createTestDatabase(t);
await db.pool.end(); // only the function's own pool from here on
const watcher = await watchSessions(testServer().serverUrl, db.name);
t.teardown(() => watcher.close());

t.test('a request handler that answers the API, and holds no session once the request is done', async (t) => {
  await t.rejects(createServerlessApp({ APP_SECRET: TEST_APP_SECRET }), /DATABASE_URL is required/);
  const app = await createServerlessApp({ DATABASE_URL: db.url, APP_SECRET: TEST_APP_SECRET, ADMIN_TOKEN: 'serverless-admin-token', LOG_LEVEL: 'error' });
  t.same(await watcher.connected(), [], 'building it opens no lasting session');
  // The host calls the handler; here a bare node:http server stands in for it.
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  const created = await fetch(`${base}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: 'Bearer serverless-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Function tenant' }),
  });
  t.equal(created.status, 201);
  const tick = await fetch(`${base}/v1/admin/tick`, { headers: { authorization: 'Bearer serverless-admin-token' } });
  t.match(await tick.json(), { dialed: 0, reconciled: 0, nextWakeAt: null });
  t.ok((await watcher.connected()).length > 0, 'a session while requests run');
  await waitFor(async () => (await watcher.connected()).length === 0, 3_000, 'the pool to close its idle connection');
  const end = await watcher.start();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const window = await end();
  t.same(window.sessionsSeen, [], 'no session between requests');
  t.equal(window.sessionsOpened, 0, 'and none opened: no background work');
  const live = await fetch(`${base}/health/live`);
  t.match(await live.json(), { status: 'ok', worker: { state: 'external' } });
  t.same(await watcher.connected(), [], '/health/live needs no database session');
});
