// End to end: API (webhooks) + worker + VAPI simulator + Postgres, run at a chosen instant. A
// once campaign of 200 contacts with a mixed outcome mix: every contact reaches a final state,
// retries happen exactly as configured, the concurrency cap holds, do-not-call numbers are never
// dialed, and nothing is dialed before the window opens (the simulator's record is the proof).
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { clockStartingAt } from '../../server/clock.js';
import { createLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { addMembers, allCalls, campaignStatus, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, waitFor } from '../worker/fixtures.js';

const CONTACTS = 200;
const MAX_ATTEMPTS = 2;
const CAP = 8;
// Tuesday 2026-03-10, two days after the US switched to daylight time: 09:00 in New York is
// 13:00 UTC. The clock starts four seconds before the window opens, so the worker is normally
// asleep when it opens (setting up takes one to three seconds on a loaded 2-core machine).
const windowOpens = new Date('2026-03-10T13:00:00Z');
const clock = clockStartingAt(new Date(windowOpens.getTime() - 4_000));
const clockOffset = () => clock.now().getTime() - Date.now();

const db = await createTestDatabase(t);
const sim = await startVapiSimulator({
  concurrencyLimit: 10,
  outcomes: { answered: 45, no_answer: 25, busy: 10, voicemail: 10, failed: 10 },
  timing: { queuedMs: [5, 20], ringingMs: [10, 40], talkMs: [20, 80], reportDelayMs: [0, 20] },
  seed: 42,
});
t.teardown(() => sim.close());
// As with npm start, the API (its webhooks) wakes the worker in-process: no LISTEN session.
const waker = inProcessWaker();
const api = await startTestApi(t, { pool: db.pool, clock, wakeWorker: waker, log: createLogger('error', {}, (line) => process.stderr.write(line + '\n')) });

const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, concurrencyLimit: 10, maxCallsPerNumberPer24h: 2 });
const campaignId = await insertCampaign(db.pool, tenantId, {
  maxAttempts: MAX_ATTEMPTS,
  maxConcurrency: CAP,
  retryDelayMinutes: 0,
  retryDelays: { busy: 0.02 }, // 1.2 s: a retry that must wait for the timer
});
const phones = await addMembers(db.pool, tenantId, campaignId, CONTACTS);
const dncBefore = phones.slice(0, 5);
const dncAfter = phones.slice(5, 10);
const addDnc = (list: string[]) =>
  db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) select ${tenantId}::uuid, unnest(${sql.array(list, 'text')})`);
await addDnc(dncBefore);
await startCampaign(db.pool, tenantId, campaignId, clock.now());
await addDnc(dncAfter); // planned already, must still never be dialed

const workerStartedAt = clock.now().getTime();
const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: createLogger(process.env.E2E_DEBUG ? 'debug' : 'warn', {}, (line) => process.stderr.write(line + '\n')),
  clock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: 'http://127.0.0.1:9',
  settings: { concurrency: 10, batchSize: 20, reconcileAfterSeconds: 30, requestTimeoutMs: 5_000 },
});
waker.attach((reason) => worker.wake(reason));
t.teardown(() => worker.stop());

// Settled, not 'completed': see the report on apply_call_result's completion race.
const unsettledCallable = async () =>
  (await allCalls(db.pool)).filter((call) => !['ended', 'skipped', 'cancelled'].includes(call.status) && !dncAfter.includes(call.phone)).length;
await waitFor(async () => (await unsettledCallable()) === 0, 100_000, 'every callable contact to settle').catch(async (error) => {
  const counts = await db.pool.any(sql.unsafe`select status, outcome, count(*) from dialer.calls group by 1, 2 order by 1, 2`);
  const hooks = sim.webhooksSent.map((w) => JSON.stringify(w).slice(200, 700)).filter((w) => !w.includes('"status":200')).slice(0, 5);
  throw new Error(`${error.message}: ${JSON.stringify(counts)} ${hooks.join('\n')}, campaign ${await campaignStatus(db.pool, campaignId)}`);
});
await sim.idle();

t.test('every contact reached a final state, retries exactly as configured', async (t) => {
  const calls = await allCalls(db.pool);
  const byPhone = new Map<string, typeof calls[number][]>();
  for (const call of calls) byPhone.set(call.phone, [...(byPhone.get(call.phone) ?? []), call]);
  const callable = phones.filter((phone) => !dncBefore.includes(phone) && !dncAfter.includes(phone));
  let retried = 0;
  for (const phone of callable) {
    const attempts = byPhone.get(phone) ?? [];
    t.ok(attempts.length >= 1 && attempts.length <= MAX_ATTEMPTS, `${phone}: 1..${MAX_ATTEMPTS} attempts`);
    t.same(attempts.map((a) => a.attempt), attempts.map((_, i) => i + 1), `${phone}: attempts numbered in order`);
    t.ok(attempts.every((a) => a.status === 'ended' && a.outcome !== null), `${phone}: all ended`);
    const last = attempts[attempts.length - 1]!;
    for (const earlier of attempts.slice(0, -1)) t.not(earlier.outcome, 'answered', `${phone}: no retry after an answer`);
    if (attempts.length < MAX_ATTEMPTS) t.equal(last.outcome, 'answered', `${phone}: stopped early only when answered`);
    retried += attempts.length - 1;
  }
  t.ok(retried > 40, `the mix produced retries (${retried})`);
  for (const phone of dncBefore) t.equal(byPhone.get(phone), undefined, `${phone} (dnc before start): never planned`);
  for (const phone of dncAfter) {
    t.ok(byPhone.get(phone)?.every((call) => call.status === 'skipped' || call.status === 'scheduled'), `${phone} (dnc after start): held, never dialed`);
  }
});

t.test('the simulator\'s record: each call row dialed once, caps held, no dnc, nothing before the window', async (t) => {
  const dials = sim.dials();
  const calls = await allCalls(db.pool);
  const dialedRows = calls.filter((call) => call.vapi_call_id !== null);
  t.equal(dials.length, dialedRows.length, 'one POST per dialed row');
  t.equal(new Set(dials.map((d) => d.externalId)).size, dials.length, 'no call row dialed twice');
  for (const row of dialedRows) t.ok(dials.some((d) => d.callId === row.vapi_call_id && d.externalId === row.id));
  t.ok(sim.maxConcurrent() <= CAP, `at most ${CAP} live at once (saw ${sim.maxConcurrent()})`);
  t.ok(sim.maxConcurrent() >= 2, 'calls did overlap (the cap was exercised)');
  const dnc = new Set([...dncBefore, ...dncAfter]);
  t.notOk(dials.some((d) => dnc.has(d.customerNumber)), 'no do-not-call number dialed');
  const earliest = Math.min(...dials.map((d) => d.at + clockOffset()));
  t.ok(earliest >= windowOpens.getTime(), `first dial at ${new Date(earliest).toISOString()}, not before the window opened`);
  // Within a second of the moment it could first dial: the window's opening, or the worker's
  // start should setting up have taken longer than the clock's lead.
  const allowedFrom = Math.max(windowOpens.getTime(), workerStartedAt);
  t.ok(earliest - allowedFrom < 1_000, `and within a second of ${allowedFrom === workerStartedAt ? 'the worker starting' : 'it'} (${earliest - allowedFrom} ms)`);
  t.equal(sim.faults.concurrencyRejected, 0, 'never refused by VAPI for concurrency');
});

t.test('details recorded from end-of-call reports', async (t) => {
  const calls = await allCalls(db.pool);
  const answered = calls.filter((call) => call.outcome === 'answered');
  t.ok(answered.length > 0);
  t.ok(answered.every((call) => call.ended_reason !== null), 'ended reasons stored');
  t.ok(answered.some((call) => call.transcript !== null), 'transcripts stored');
});
