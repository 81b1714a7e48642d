// kill -9 of a worker process in the middle of dialing (VAPI answers slowly, so POSTs are in
// flight), then a restart: no call row is dialed twice and none is lost. The restarted worker
// settles what the dead one left (claims never sent, POSTs that may have reached VAPI) through
// reconciliation, with a short lease.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startServer, type ServerProcess } from '../helpers/serverProcess.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { addMembers, allCalls, unsettledCalls, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, waitFor } from '../worker/fixtures.js';

const CONTACTS = 60;
const db = await createTestDatabase(t);
const sim = await startVapiSimulator({
  concurrencyLimit: 50,
  responseLatencyMs: [300, 700],
  outcomes: { answered: 100 },
  timing: { queuedMs: 10, ringingMs: 20, talkMs: [50, 150], reportDelayMs: 5 },
});
t.teardown(() => sim.close());
const api = await startTestApi(t, { pool: db.pool });
const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, concurrencyLimit: 20 });
const campaignId = await insertCampaign(db.pool, tenantId, { timeZone: 'UTC', windowStart: '00:00', windowEnd: '00:00', maxAttempts: 1, maxConcurrency: 20 });
await addMembers(db.pool, tenantId, campaignId, CONTACTS, '4');

const env = {
  DATABASE_URL: db.url,
  DATABASE_DIRECT_URL: db.directUrl,
  DATABASE_LISTEN: 'true', // woken by the NOTIFY below
  APP_SECRET: TEST_APP_SECRET,
  PUBLIC_URL: api.url,
  DIAL_LEASE_SECONDS: '3',
  RECONCILE_AFTER_SECONDS: '5',
  LOG_LEVEL: 'info', // the helper waits for the 'started' line
};
let worker: ServerProcess | undefined;
t.teardown(async () => {
  await worker?.stop('SIGKILL');
});

worker = await startServer(['worker'], env, 60_000);
await startCampaign(db.pool, tenantId, campaignId, new Date());
await db.pool.query(sql.unsafe`select pg_notify('dialer_wake', 'test')`);

// Kill it while POSTs are in flight: some dials done, more requested than answered.
await waitFor(() => sim.dials().length >= 8, 30_000, 'the first dials');
const postsBefore = sim.requests.filter((r) => r.method === 'POST').length;
worker.child.kill('SIGKILL');
await new Promise((resolve) => worker!.child.once('exit', resolve));
const dialsAtKill = sim.dials().length;

const leftDialing = (await allCalls(db.pool)).filter((call) => call.status === 'dialing').length;

worker = await startServer(['worker'], env, 60_000);
// Settled, not 'completed': see the report on apply_call_result's completion race.
await waitFor(async () => (await unsettledCalls(db.pool)) === 0, 45_000, 'every call to settle').catch(async (error) => {
  const counts = await db.pool.any(sql.unsafe`select status, count(*) from dialer.calls group by 1`);
  throw new Error(`${error.message}: ${JSON.stringify(counts)}\n${worker?.stderr()}\n${JSON.stringify(worker?.logs.slice(-10))}`);
});

t.test('the kill happened mid-dial', async (t) => {
  t.ok(leftDialing > 0, `${leftDialing} calls were claimed and not settled when the worker died`);
  t.ok(dialsAtKill < CONTACTS, 'work was left to do');
  t.ok(postsBefore >= 8);
});

t.test('after the restart: every contact called exactly once, none lost', async (t) => {
  const calls = await allCalls(db.pool);
  t.equal(calls.length, CONTACTS, 'one call row per contact (max_attempts 1)');
  t.ok(calls.every((call) => call.status === 'ended' && call.outcome === 'answered'), 'all ended, answered');
  const dials = sim.dials();
  const perRow = new Map<string, number>();
  for (const dial of dials) perRow.set(dial.externalId!, (perRow.get(dial.externalId!) ?? 0) + 1);
  t.same([...perRow.values()].filter((n) => n > 1), [], 'no call row dialed twice');
  t.equal(dials.length, CONTACTS, 'each contact dialed once');
  for (const call of calls) t.ok(dials.some((dial) => dial.callId === call.vapi_call_id && dial.externalId === call.id), `${call.phone} tied to its VAPI call`);
});
