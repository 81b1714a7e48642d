// Asleep means no database session at all, on a server that closes idle sessions (Postgres's
// idle_session_timeout, the stand-in for Neon's suspend): while the worker sleeps it holds no
// session and opens none, and runs no transaction; its timer wakes it when next_wake_at says,
// connection set-up included, within a second; the API wakes it in-process or over HTTP
// (WORKER_WAKE_URL); LISTEN holds one session only where it is asked for; the next wake-up is
// also recorded durably in pg-boss.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { watchSessions } from '../helpers/sessionWatch.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { systemClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { startWorker, type Worker } from '../../server/worker/worker.js';
import { httpWaker, inProcessWaker, notifyWorker, workerWakeToken } from '../../server/worker/wake.js';
import { startWorkerServer } from '../../server/worker/processWake.js';
import { createDatabasePool } from '../../db/pool.js';
import { adminQuery } from '../../db/databaseUrls.js';
import { insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET, waitFor } from './fixtures.js';

const IDLE_SESSION_TIMEOUT_S = 3;
const db = await createTestDatabase(t);
// Every new session of this database is closed by the server after 3 s without a statement.
await adminQuery(testServer().serverUrl, `alter database ${db.name} set idle_session_timeout = '${IDLE_SESSION_TIMEOUT_S}s'`);

const sim = await startVapiSimulator({ timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 0 } });
t.teardown(() => sim.close());
const waker = inProcessWaker();
// The API's own pool, apart from the worker's (one process would share one; apart counts are clearer).
const apiPool = await createDatabasePool(db.url + '?application_name=test-api');
t.teardown(() => apiPool.end());
const api = await startTestApi(t, { pool: apiPool, wakeWorker: waker });
const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });
const watcher = await watchSessions(testServer().serverUrl, db.name);
t.teardown(() => watcher.close());

const workerPool = await createDatabasePool(db.url + '?application_name=test-worker');
t.teardown(() => workerPool.end());
const startTheWorker = (listenUrl?: string) =>
  startWorker({
    databaseUrl: db.url,
    pool: workerPool,
    log: silentLogger,
    clock: systemClock,
    appSecret: TEST_APP_SECRET,
    publicUrl: api.url,
    vapiBaseUrl: sim.url,
    listenUrl,
    settings: { minSleepMs: 1_000 },
  });
let worker: Worker = await startTheWorker();
waker.attach((reason) => worker.wake(reason));
t.teardown(() => worker.stop());
const asleep = () => worker.state().state === 'asleep';

let phoneSeq = 0;
async function scheduleCall(dueAt: Date, tenant = tenantId): Promise<string> {
  const phone = `+1555300${String(++phoneSeq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenant, phone);
  return insertDirectCall(db.pool, tenant, contactId, phone, dueAt);
}
const dialOf = (callId: string) => sim.dials().find((dial) => dial.externalId === callId);
const callStatus = (callId: string) =>
  db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from dialer.calls where id = ${callId}::uuid`);
/** Asleep, and every pool's idle connection closed (1 s): nobody holds a session. */
const noSession = () => waitFor(async () => asleep() && (await watcher.connected()).length === 0, 10_000, 'no client session');

t.test('asleep, the worker holds no session, opens none and runs no transaction', async (t) => {
  await waitFor(asleep, 15_000, 'the worker to sleep');
  t.match(worker.state(), { state: 'asleep', until: null, nextWakeAt: null });
  await noSession();
  const end = await watcher.start();
  // Past two of the server's idle timeouts: a held session would have been dropped (and, before, reopened).
  await new Promise((resolve) => setTimeout(resolve, (2 * IDLE_SESSION_TIMEOUT_S + 1) * 1_000));
  const window = await end();
  t.same(window.sessionsSeen, [], 'no client session connected at any moment');
  t.equal(window.sessionsOpened, 0, 'no session opened');
  t.equal(window.clientTransactions, 0, `no transaction by a client (pg_stat_database counted ${window.transactions}, autovacuum's visits included)`);
  t.ok(asleep(), 'still asleep');
});

t.test('its timer wakes it at the next due time, connection set-up included, within a second', async (t) => {
  const lags: number[] = [];
  for (let sample = 0; sample < 3; sample++) {
    await noSession();
    const dueAt = new Date(Date.now() + 2_500);
    const callId = await scheduleCall(dueAt);
    worker.wake('test'); // it looks, finds the call not yet due, sleeps until it is
    await waitFor(() => asleep() && worker.state().until === dueAt.toISOString(), 5_000, 'a sleep until the due time');
    await waitFor(async () => (await watcher.connected()).length === 0, 2_000, 'idle connections to close before the due time');
    t.ok(Date.now() < dueAt.getTime(), 'asleep with no session before the call fell due');
    await waitFor(() => dialOf(callId) !== undefined, 6_000, 'the dial');
    const lag = dialOf(callId)!.at - dueAt.getTime();
    t.ok(lag >= 0, `not dialed early (${lag} ms)`);
    lags.push(lag);
    await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
  }
  t.ok(Math.max(...lags) < 1_000, `dispatch lags ${lags.join(', ')} ms, all under 1 s`);
});

t.test('the API wakes it in-process: a direct call made through the API is dialed at once', async (t) => {
  await noSession();
  const tenant = await createTestTenant(apiPool);
  const configured = await fetch(`${api.url}/v1/settings`, {
    method: 'PUT',
    headers: tenant.headers(true),
    body: JSON.stringify({ vapi: { apiKey: 'sk_test', baseUrl: sim.url, webhookAuth: { type: 'secret', secret: 'whsec-test-123456' } }, contactHours: { start: '00:00', end: '00:00' } }),
  });
  t.equal(configured.status, 200);
  // Dialed at any hour the suite runs: the New York number's calling-hour rules switched off.
  const rules = await fetch(`${api.url}/v1/compliance`, {
    method: 'PUT',
    headers: tenant.headers(true),
    body: JSON.stringify({ disabledRules: ['us-federal.tcpa', 'us-ny.399-z'] }),
  });
  t.equal(rules.status, 200);
  await waitFor(asleep, 5_000, 'the worker to sleep again');
  const sentAt = Date.now();
  const created = await fetch(`${api.url}/v1/calls`, {
    method: 'POST',
    headers: tenant.headers(true),
    body: JSON.stringify({ phone: '+1 212 555 0199', assistantId: 'asst_1', phoneNumberId: 'pn_1' }),
  });
  t.equal(created.status, 201);
  const callId = ((await created.json()) as { id: string }).id;
  await waitFor(() => dialOf(callId) !== undefined, 5_000, 'the dial');
  t.ok(dialOf(callId)!.at - sentAt < 1_000, `dialed ${dialOf(callId)!.at - sentAt} ms after the request`);
  await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
});

t.test('apart, the API wakes it over HTTP (WORKER_WAKE_URL); a wrong token is refused', async (t) => {
  const server = await startWorkerServer({ port: 0, appSecret: TEST_APP_SECRET, log: silentLogger, worker });
  t.teardown(() => server.close());
  const health = await fetch(`${server.url}/health`);
  t.match(await health.json(), { status: 'ok', worker: { state: /awake|asleep/ } });
  const refused = await fetch(`${server.url}/internal/wake`, { method: 'POST', headers: { authorization: 'Bearer nope' } });
  t.equal(refused.status, 401);
  const malformed = await fetch(`${server.url}/internal/wake`, {
    method: 'POST',
    headers: { authorization: `Bearer ${workerWakeToken(TEST_APP_SECRET)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'x'.repeat(200) }),
  });
  t.equal(malformed.status, 400);
  await noSession();
  const callId = await scheduleCall(new Date());
  const sentAt = Date.now();
  httpWaker({ url: `${server.url}/internal/wake`, appSecret: TEST_APP_SECRET, log: silentLogger })('direct_call');
  await waitFor(() => dialOf(callId) !== undefined, 5_000, 'the dial');
  t.ok(dialOf(callId)!.at - sentAt < 1_000, `dialed ${dialOf(callId)!.at - sentAt} ms after the wake-up`);
  await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
});

t.test('the durable record: a pg-boss job waits for the next wake-up', async (t) => {
  const dueAt = new Date(Date.now() + 60_000);
  const callId = await scheduleCall(dueAt);
  worker.wake('test');
  // Until the due time, or sooner when a pg-boss job (the reconciliation cron) is pending.
  await waitFor(() => asleep() && worker.state().until! <= dueAt.toISOString(), 5_000, 'a sleep until the due time at most');
  const startAfter = await db.pool.oneFirst(sql.type(z.object({ at: z.string() }))`
    select start_after as at from pgboss.job where name = 'dialer-wake' and state = 'created' and singleton_key = 'next'`);
  t.ok(Math.abs(new Date(startAfter).getTime() - dueAt.getTime()) < 50, 'startAfter = next_wake_at');
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'cancelled' where id = ${callId}::uuid`);
});

t.test('with LISTEN asked for (a database that is not serverless), one session is held and a NOTIFY wakes it', async (t) => {
  await worker.stop();
  // Such a database does not drop idle sessions (with idle_session_timeout LISTEN would be dropped and reopened).
  await adminQuery(testServer().serverUrl, `alter database ${db.name} reset idle_session_timeout`);
  worker = await startTheWorker(db.directUrl);
  await waitFor(asleep, 15_000, 'the worker to sleep');
  await waitFor(async () => (await watcher.connected()).join() === 'pgdialer-wake', 10_000, 'only the LISTEN session to remain');
  const callId = await scheduleCall(new Date());
  const notifiedAt = Date.now();
  await notifyWorker(db.pool, 'test');
  await waitFor(() => dialOf(callId) !== undefined, 5_000, 'the dial');
  t.ok(dialOf(callId)!.at - notifiedAt < 1_000, `dialed ${dialOf(callId)!.at - notifiedAt} ms after the NOTIFY`);
  await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
});
