// The wake-up path: a worker with nothing to do sleeps and costs the database nothing (no
// statements at all); a NOTIFY wakes it at once; its timer wakes it when next_wake_at says.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import pg from 'pg';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { systemClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { notifyWorker } from '../../server/worker/wake.js';
import { withDatabase } from '../../db/databaseUrls.js';
import { insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET, waitFor } from './fixtures.js';

const db = await createTestDatabase(t);
const sim = await startVapiSimulator({ timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 0 } });
t.teardown(() => sim.close());
const api = await startTestApi(t, { pool: db.pool });
const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });

// The client sessions of the test database and when each last started a statement, read from
// another database so reading does not count. (pg_stat_database's transaction counts would
// also count autovacuum's work, which is not the worker's.)
const observer = new pg.Client(withDatabase(testServer().serverUrl, 'postgres'));
await observer.connect();
t.teardown(() => observer.end());
async function clientStatements(): Promise<string[]> {
  const { rows } = await observer.query(
    "select pid, query_start::text as query_start from pg_stat_activity where datname = $1 and backend_type = 'client backend' order by pid",
    [db.name],
  );
  return rows.map((row: { pid: number; query_start: string | null }) => `${row.pid} ${row.query_start}`);
}

const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: silentLogger,
  clock: systemClock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: sim.url,
  settings: { minSleepMs: 1_000 },
});
t.teardown(() => worker.stop());
const sleeping = () => worker.state().state === 'sleeping';

let phoneSeq = 0;
async function scheduleCall(dueAt: Date): Promise<string> {
  const phone = `+1555300${String(++phoneSeq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone);
  return insertDirectCall(db.pool, tenantId, contactId, phone, dueAt);
}
const dialOf = (callId: string) => sim.dials().find((dial) => dial.externalId === callId);
const callStatus = (callId: string) =>
  db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from dialer.calls where id = ${callId}::uuid`);

t.test('with nothing to do the worker sleeps, and issues no statement while asleep', async (t) => {
  await waitFor(sleeping, 15_000, 'the worker to sleep');
  t.match(worker.state(), { state: 'sleeping', until: null });
  // Let the pool's idle connections close (5 s) until only the LISTEN connection is left.
  await waitFor(async () => {
    const { rows } = await observer.query('select application_name from pg_stat_activity where datname = $1', [db.name]);
    return rows.length === 1 && rows[0].application_name === 'pgdialer-wake';
  }, 20_000, 'only the LISTEN connection to remain');
  // A session that runs any statement moves its query_start; a session opened meanwhile shows up.
  const before = await clientStatements();
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  t.same(await clientStatements(), before, 'no statement and no new session in the database over 4 s of sleep');
  t.ok(sleeping(), 'still asleep');
});

t.test('a NOTIFY wakes it at once; it dials, and sleeps again when the call has ended', async (t) => {
  const callId = await scheduleCall(new Date());
  const notifiedAt = Date.now();
  await notifyWorker(db.pool, 'test');
  await waitFor(() => dialOf(callId) !== undefined, 5_000, 'the dial');
  t.ok(dialOf(callId)!.at - notifiedAt < 1_000, `dialed ${dialOf(callId)!.at - notifiedAt} ms after the NOTIFY`);
  await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
  await waitFor(sleeping, 15_000, 'the worker to sleep again');
});

t.test('its timer wakes it when next_wake_at says, not before', async (t) => {
  const dueAt = new Date(Date.now() + 3_000);
  const callId = await scheduleCall(dueAt);
  await notifyWorker(db.pool, 'test'); // it looks, finds the call not yet due, sleeps until it is
  await waitFor(() => sleeping() && worker.state().until === dueAt.toISOString(), 5_000, 'a sleep until the due time');
  t.equal(dialOf(callId), undefined, 'not dialed early');
  await waitFor(() => dialOf(callId) !== undefined, 6_000, 'the dial');
  const lag = dialOf(callId)!.at - dueAt.getTime();
  t.ok(lag >= 0 && lag < 1_000, `dialed ${lag} ms after it fell due`);
  await waitFor(async () => (await callStatus(callId)) === 'ended', 10_000, 'the call to end');
});

t.test('the durable record: a pg-boss job waits for the next wake-up', async (t) => {
  const dueAt = new Date(Date.now() + 60_000);
  await scheduleCall(dueAt);
  await notifyWorker(db.pool, 'test');
  await waitFor(() => sleeping() && worker.state().until === dueAt.toISOString(), 5_000, 'a sleep until the due time');
  const startAfter = await db.pool.oneFirst(sql.type(z.object({ at: z.string() }))`
    select start_after as at from pgboss.job where name = 'dialer-wake' and state = 'created' and singleton_key = 'next'`);
  t.ok(Math.abs(new Date(startAfter).getTime() - dueAt.getTime()) < 50, 'startAfter = next_wake_at');
});
