// Webhooks lost, duplicated and reordered by VAPI: every call still ends in the right state.
// Duplicates are applied once, a report arriving before its 'ended' status-update changes
// nothing, and calls whose webhooks were lost are settled by reconciliation (GET /call/{id}).
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { loadConfig } from '../../server/config.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { systemClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { addMembers, allCalls, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, unsettledCalls, waitFor } from '../worker/fixtures.js';

const CONTACTS = 40;
// Live calls are looked up a second after their last news here (60 s by default).
const db = await createTestDatabase(t, { settings: { 'pgdialer.live_check_seconds': '1' } });
const sim = await startVapiSimulator({
  concurrencyLimit: 20,
  outcomes: { answered: 50, no_answer: 30, busy: 20 },
  timing: { queuedMs: 5, ringingMs: [10, 30], talkMs: [20, 60], reportDelayMs: [0, 20] },
  webhookFaults: { loseRate: 0.25, duplicateRate: 0.3, reorder: true },
  seed: 7,
});
t.teardown(() => sim.close());
const waker = inProcessWaker();
const api = await startTestApi(t, {
  pool: db.pool,
  wakeWorker: waker,
  // The receiver arms the lookup of a call that ended without its report (RECONCILE_AFTER_SECONDS).
  config: loadConfig({ APP_SECRET: TEST_APP_SECRET, RECONCILE_AFTER_SECONDS: '1' }),
});
const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, concurrencyLimit: 20 });
const campaignId = await insertCampaign(db.pool, tenantId, { timeZone: 'UTC', windowStart: '00:00', windowEnd: '00:00', maxAttempts: 2, maxConcurrency: 10 });
await addMembers(db.pool, tenantId, campaignId, CONTACTS, '5');

const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: silentLogger,
  clock: systemClock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: sim.url,
  settings: { reconcileAfterSeconds: 1 },
});
waker.attach((reason) => worker.wake(reason));
t.teardown(() => worker.stop());
// In production the reconciliation sweep is a pg-boss cron job, every minute; here every second.
const sweeps = setInterval(() => worker.wake('test-sweep', true), 1_000);
t.teardown(() => clearInterval(sweeps));

await startCampaign(db.pool, tenantId, campaignId, new Date());
worker.wake('campaign-started');
await waitFor(async () => (await unsettledCalls(db.pool)) === 0, 45_000, 'every call to settle');
await sim.idle();

t.test('faults were injected', async (t) => {
  t.ok(sim.faults.webhookLost > 0, `${sim.faults.webhookLost} webhooks lost`);
  t.ok(sim.faults.webhookDuplicated > 0, `${sim.faults.webhookDuplicated} duplicated`);
  t.ok(sim.faults.webhookReordered > 0, `${sim.faults.webhookReordered} reordered`);
});

t.test('every call ended with what VAPI says, each dialed once, retries as configured', async (t) => {
  const calls = await allCalls(db.pool);
  const dials = sim.dials();
  t.equal(new Set(dials.map((d) => d.externalId)).size, dials.length, 'no row dialed twice');
  for (const call of calls) {
    const vapiCall = sim.calls.get(call.vapi_call_id ?? '');
    t.ok(vapiCall, `${call.phone} #${call.attempt} has its VAPI call`);
    t.equal(call.status, 'ended');
    t.equal(call.ended_reason, vapiCall?.endedReason, `${call.phone} #${call.attempt}: ended reason as VAPI has it`);
  }
  const byPhone = new Map<string, typeof calls[number][]>();
  for (const call of calls) byPhone.set(call.phone, [...(byPhone.get(call.phone) ?? []), call]);
  for (const [phone, attempts] of byPhone) {
    const first = attempts.find((a) => a.attempt === 1)!;
    t.equal(attempts.length, first.outcome === 'answered' ? 1 : 2, `${phone}: a retry exactly when not answered`);
  }
});

t.test('duplicates stored once and applied once', async (t) => {
  const duplicateBodies = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from (select body_sha256 from dialer.call_events group by tenant_id, body_sha256 having count(*) > 1) d`);
  t.equal(duplicateBodies, 0);
  const retries = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from dialer.calls where attempt > 2`);
  t.equal(retries, 0, 'no extra attempt from a twice-applied end');
});

t.test('a lost end-of-call-report loses nothing: the details are read from VAPI', async (t) => {
  const missing = () =>
    db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      select count(*)::int as n from dialer.calls where outcome = 'answered' and (transcript is null or details_received_at is null)`);
  await waitFor(async () => (await missing()) === 0, 20_000, 'every answered call to have its details').catch(async (e) => {
    t.comment(JSON.stringify(await db.pool.any(sql.unsafe`select id, status, vapi_call_id, check_at, checks, details_received_at, transcript is null as nt, last_error, now() from dialer.calls where outcome = 'answered' and (transcript is null or details_received_at is null)`)));
    throw e;
  });
  t.equal(await missing(), 0, 'every answered call has its transcript');
  const reports = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(distinct call.id)::int as n from dialer.calls call
    where call.outcome = 'answered'
      and not exists (select 1 from dialer.call_events event where event.call_id = call.id and event.type = 'end-of-call-report')`);
  t.comment(`${reports} answered calls lost their report and were read from VAPI`);
  const live = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from dialer.calls where check_at is not null and status <> 'ended'`);
  t.equal(live, 0, 'no live call is still armed');
});
