// End to end over the VAPI simulator: a campaign with a retry sequence and per-attempt overrides,
// run on a clock that is moved to each attempt's due time. Every attempt goes unanswered; the
// sequence sets each wait (2 h, then the next day moved into the later half of the window, across
// New York's spring-forward night), and what the simulator received over HTTP shows each
// attempt's overrides only on their attempt (the voicemail message only on the last).
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { manualClock } from '../../server/clock.js';
import { createLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { addMembers, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, waitFor, campaignStatus } from '../worker/fixtures.js';

// Saturday 2026-03-07 09:30 EST; New York springs forward that night (02:00 EST → 03:00 EDT).
const clock = manualClock(new Date('2026-03-07T14:30:00Z'));
const db = await createTestDatabase(t);
const sim = await startVapiSimulator({
  script: () => ({ endedReason: 'customer-did-not-answer' }),
  timing: { queuedMs: 5, ringingMs: 10, talkMs: 10, reportDelayMs: 5 },
});
t.teardown(() => sim.close());
const waker = inProcessWaker();
const quiet = createLogger('error', {}, (line) => process.stderr.write(line + '\n'));
const api = await startTestApi(t, { pool: db.pool, clock, wakeWorker: waker, log: quiet });

const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });
const campaignId = await insertCampaign(db.pool, tenantId, { maxAttempts: 3, retryDelayMinutes: 30 });
await db.pool.query(sql.unsafe`
  update dialer.campaigns
  set variables = '{"tone": "plain", "offer": "gold"}',
      retry_sequence = '[{"after_minutes": 120}, {"after_minutes": 1440, "shift_window": "later"}]',
      attempt_overrides = '[{"attempt": 1, "variables": {"tone": "first"}},
                            {"attempt": 3, "variables": {"tone": "last"}, "voicemail_message": "Sorry we missed you. Please call us back."}]'
  where id = ${campaignId}`);
const [phone] = await addMembers(db.pool, tenantId, campaignId, 1);
await startCampaign(db.pool, tenantId, campaignId, clock.now());

const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: quiet,
  clock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: 'http://127.0.0.1:9',
  settings: { concurrency: 2, batchSize: 5, reconcileAfterSeconds: 600, requestTimeoutMs: 5_000 },
});
waker.attach((reason) => worker.wake(reason));
t.teardown(() => worker.stop());

type Attempt = { id: string; attempt: number; status: string; due_at: string; ended_at: string | null; retry_step: unknown };
const attempts = async () =>
  db.pool.any(sql.unsafe`select id, attempt, status, due_at, ended_at, retry_step from dialer.calls where campaign_id = ${campaignId} order by attempt`) as Promise<readonly Attempt[]>;
/** Waits for attempt n to be planned after attempt n - 1 ended. */
const planned = async (n: number) => {
  await waitFor(async () => (await attempts()).some((a) => a.attempt === n && a.status === 'scheduled'), 20_000, `attempt ${n} planned`);
  return (await attempts()).find((a) => a.attempt === n)!;
};
const dialAt = (dueAt: string) => {
  clock.set(new Date(new Date(dueAt).getTime() + 1_000));
  worker.wake('test');
};

t.test('the sequence sets each wait, across the spring-forward night', async (t) => {
  worker.wake('test');
  const second = await planned(2);
  // Planned from the end as the receiver saw it on our clock (VAPI's endedAt moved onto the manual
  // clock: at most now); the row's ended_at is VAPI's own once the report refines it.
  const base = new Date(second.due_at).getTime() - 120 * 60_000;
  t.ok(base <= clock.now().getTime() && base > clock.now().getTime() - 5_000, 'attempt 2: 120 min after attempt 1 ended');
  t.match(second.retry_step, { step: 1, after_minutes: 120 });
  t.equal(sim.dials().length, 1, 'nothing dialed before the retry is due');

  dialAt(second.due_at);
  const third = await planned(3);
  // Attempt 2 ended about 11:30 EST Saturday; 1440 minutes later is 12:30 EDT Sunday (the clock
  // moved forward overnight), in the earlier half of 09:00-17:00: moved to 13:00 EDT, 17:00Z.
  t.equal(new Date(third.due_at).toISOString(), '2026-03-08T17:00:00.000Z', 'attempt 3: the next day, the later half of the window');
  t.match(third.retry_step, { step: 2, after_minutes: 1440, shift_window: 'later' });

  const held = await db.pool.one(sql.unsafe`select reason, until from dialer.why_not('2026-03-08T16:00:00Z') where call_id = ${third.id}`);
  t.equal(held.reason, 'retry not due: retry 2 of 2 (sequence step 2: 1440 min after attempt 2, later half of the window)');

  dialAt(third.due_at);
  await waitFor(async () => (await campaignStatus(db.pool, campaignId)) === 'completed', 20_000, 'the campaign to complete after attempt 3');
  await sim.idle();
});

t.test('the simulator received each attempt\'s overrides only on that attempt', async (t) => {
  const dials = sim.dials();
  t.equal(dials.length, 3);
  t.same(dials.map((d) => d.customerNumber), [phone, phone, phone]);
  t.same(dials.map((d) => d.variableValues?.tone), ['first', 'plain', 'last']);
  t.same(dials.map((d) => d.variableValues?.offer), ['gold', 'gold', 'gold'], "the campaign's variables stay under the override");
  t.same(dials.map((d) => d.voicemailMessage), [undefined, undefined, 'Sorry we missed you. Please call us back.']);
  // The raw request bodies agree: assistantOverrides.voicemailMessage only on the third POST /call.
  const posts = sim.requests.filter((r) => r.method === 'POST' && r.path === '/call');
  t.same(posts.map((r) => (r.body as { assistantOverrides?: { voicemailMessage?: string } }).assistantOverrides?.voicemailMessage ?? null),
    [null, null, 'Sorry we missed you. Please call us back.']);
  const ended = await attempts();
  t.same(ended.map((a) => a.status), ['ended', 'ended', 'ended']);
  t.ok(new Date(ended[2]!.ended_at!).getTime() >= new Date('2026-03-08T17:00:00Z').getTime(), 'attempt 3 dialed at its due time, not before');
});
