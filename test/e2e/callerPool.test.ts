// End to end with a caller-number pool: API (webhooks) + worker + VAPI simulator + Postgres. A
// campaign of Miami contacts calls from a Miami number and a Dallas one; VAPI refuses the Miami
// number for its daily outbound limit. Every contact is first dialed from the local number, that
// number rests, and each call is placed again from the Dallas one with the same attempt (the
// campaign allows one attempt), so every contact is answered; the simulator's record is the proof.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { clockStartingAt } from '../../server/clock.js';
import { createLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { allCalls, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, waitFor } from '../worker/fixtures.js';

const MIAMI = '3f1b7a2c-9d4e-4c1a-8b2f-5e6d7c8b9a01';
const DALLAS = '3f1b7a2c-9d4e-4c1a-8b2f-5e6d7c8b9a02';
const CONTACTS = 6;
// Wednesday 2026-06-10, 11:00 in Miami: the Florida rules allow calls.
const clock = clockStartingAt(new Date('2026-06-10T15:00:00Z'));

const db = await createTestDatabase(t);
const sim = await startVapiSimulator({
  timing: { queuedMs: 5, ringingMs: 5, talkMs: [10, 30], reportDelayMs: 1 },
  script: (dial) =>
    dial.body.phoneNumberId === MIAMI
      ? { outcome: 'failed', endedReason: 'call.start.error-vapi-number-outbound-daily-limit', durationMs: 0 }
      : { outcome: 'answered', endedReason: 'customer-ended-call' },
});
t.teardown(() => sim.close());
const waker = inProcessWaker();
const api = await startTestApi(t, { pool: db.pool, clock, wakeWorker: waker, log: createLogger('error', {}, (line) => process.stderr.write(line + '\n')) });

const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, concurrencyLimit: 10, disabledRules: ['us-federal.tcpa', 'us-fl.501.616'] });
await db.pool.query(sql.unsafe`
  insert into dialer.phone_numbers (tenant_id, vapi_phone_number_id, number, country, country_calling_code)
  values (${tenantId}, ${MIAMI}, '+13055550100', 'US', '1'), (${tenantId}, ${DALLAS}, '+12145550100', 'US', '1')`);
const campaignId = await insertCampaign(db.pool, tenantId, { maxAttempts: 1, maxConcurrency: 10, windowStart: '00:00', windowEnd: '00:00' });
await db.pool.query(sql.unsafe`update dialer.campaigns set phone_number_ids = ${sql.array([DALLAS, MIAMI], 'text')} where id = ${campaignId}`);
const phones = Array.from({ length: CONTACTS }, (_, i) => `+130555501${String(i + 10)}`);
await db.pool.query(sql.unsafe`
  with contact as (
    insert into dialer.contacts (tenant_id, phone) select ${tenantId}::uuid, unnest(${sql.array(phones, 'text')}) returning id
  )
  insert into dialer.campaign_contacts (campaign_id, contact_id) select ${campaignId}::uuid, id from contact`);
await startCampaign(db.pool, tenantId, campaignId, clock.now());

const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: createLogger('warn', {}, (line) => process.stderr.write(line + '\n')),
  clock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: 'http://127.0.0.1:9',
  settings: { concurrency: 10, batchSize: 20, reconcileAfterSeconds: 30, requestTimeoutMs: 5_000 },
});
waker.attach((reason) => worker.wake(reason));
t.teardown(() => worker.stop());

const answered = async () => (await allCalls(db.pool)).filter((call) => call.outcome === 'answered').length;
await waitFor(async () => (await answered()) === CONTACTS, 60_000, 'every contact answered');
await sim.idle();

t.test('local number first; its daily limit rests it; the same attempt again from the other number', async (t) => {
  const dials = sim.dials();
  for (const phone of phones) {
    const mine = dials.filter((dial) => dial.customerNumber === phone).map((dial) => dial.phoneNumberId);
    t.ok(mine.length >= 1 && mine.at(-1) === DALLAS, `${phone} answered from Dallas`);
  }
  t.equal(dials.filter((dial) => dial.phoneNumberId === MIAMI).length >= 1, true, 'the Miami number was chosen first (local presence)');
  t.equal(dials[0]!.phoneNumberId, MIAMI, 'the very first dial is from the local number');
  const calls = await db.pool.any(sql.unsafe`
    select phone, attempt, counts_as_attempt, phone_number_id, ended_reason, outcome from dialer.calls order by phone, created_at`);
  t.ok(calls.every((call) => call.attempt === 1), 'every call is attempt 1: the refused one did not use it (max_attempts 1)');
  t.ok(calls.filter((call) => call.phone_number_id === MIAMI).every((call) => call.counts_as_attempt === false && call.outcome === 'failed'));
  const rest = await db.pool.one(sql.unsafe`select rested_until, rest_reason from dialer.phone_numbers where vapi_phone_number_id = ${MIAMI}`);
  t.equal(new Date(String(rest.rested_until)).toISOString(), '2026-06-11T04:00:00.000Z', 'rested until midnight in Miami');
  const progress = await db.pool.any(sql.unsafe`
    select phone_number_id, calls::int, answered::int from dialer.caller_number_progress where campaign_id = ${campaignId} order by phone_number_id`);
  t.same(progress, [{ phone_number_id: MIAMI, calls: 0, answered: 0 }, { phone_number_id: DALLAS, calls: CONTACTS, answered: CONTACTS }],
         'per number: the refused calls are not counted as attempts');
});
