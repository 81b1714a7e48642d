// Caller-number pools (sql/033_caller_numbers.sql): local presence and its fallbacks, limits
// (concurrent, daily, rest) under concurrent claims, the daily-limit end retried on another
// number without using an attempt, resting after unanswered calls, why_not and next_wake_at.
import t from 'tap';
import pg from 'pg';
import { sql, type DatabasePool } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, iso, registerNumber, vapiId } from './fixtures.js';

const database = createTestDatabase(t);
const fresh = async () => {
  const db = await database;
  await db.pool.query(sql.unsafe`truncate dialer.tenants cascade`);
  return db;
};

const register = registerNumber;

const claim = async (pool: Pick<DatabasePool, 'any'>, max: number, at = AT) =>
  [...(await pool.any(sql.unsafe`select call_id, phone_number_id, attempt from dialer.claim_calls(${at}, ${max})`))] as
    { call_id: string; phone_number_id: string; attempt: number }[];

/** A campaign with the pool, and a member with a call due at AT for each phone given. */
async function poolCampaign(pool: DatabasePool, tenantId: string, numbers: string[], phones: string[], campaign: Record<string, unknown> = {}) {
  const f = fixtures(pool);
  const campaignId = await f.campaign(tenantId, { phone_number_id: numbers[0], phone_number_ids: numbers, max_concurrency: 100, ...campaign });
  const calls: string[] = [];
  for (const [i, phone] of phones.entries()) {
    const contactId = await f.contact(tenantId, { phone });
    await f.member(campaignId, contactId);
    calls.push(await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId,
                              due_at: new Date(Date.parse(AT) - (phones.length - i) * 1000).toISOString() }));
  }
  return { campaignId, calls };
}

const phoneOf = (prefix: string, n: number) => `${prefix}${String(n).padStart(4, '0')}`;

t.test('a registered number derives its area code, jurisdictions, country and zone', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  await register(pool, tenantId, { number: '+13055550100' });
  await register(pool, tenantId, { number: '+442071234567', country: 'GB', country_calling_code: '44' });
  const rows = await pool.any(sql.unsafe`select number, area_code, jurisdictions, country, time_zone from dialer.phone_numbers order by number`);
  t.same(rows, [
    { number: '+13055550100', area_code: '305', jurisdictions: ['US', 'US-FL'], country: 'US', time_zone: 'America/New_York' },
    { number: '+442071234567', area_code: null, jurisdictions: [], country: 'GB', time_zone: 'UTC' },
  ]);
});

t.test('local presence: same area code, else same state, else same country, else any; then least used', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const london = await register(pool, tenantId, { number: '+442071234567', country: 'GB', country_calling_code: '44' });
  const texas = await register(pool, tenantId, { number: '+12145550100' });      // Dallas, US-TX
  const tampa = await register(pool, tenantId, { number: '+18135550100' });      // Tampa, US-FL
  const miami = await register(pool, tenantId, { number: '+13055550100' });      // Miami, US-FL
  const { calls } = await poolCampaign(pool, tenantId, [london, texas, tampa, miami], [
    '+13055550101', // Miami: the Miami number (area code)
    '+17865550101', // Miami overlay 786: a Florida number (state), the least used of the two
    '+12125550101', // New York: a US number (country)
    '+442071234568', // London: the London number (country by calling code)
    '+33142685300', // Paris: any number, the least used
  ]);
  const rows = await claim(pool, 10);
  const chosen = Object.fromEntries(rows.map((row) => [row.call_id, row.phone_number_id]));
  t.equal(chosen[calls[0]!], miami, 'same area code');
  t.equal(chosen[calls[1]!], tampa, 'same state: the Florida number not used yet (Miami has one call)');
  t.equal(chosen[calls[2]!], texas, 'same country: the US number least used (Dallas, none yet)');
  t.equal(chosen[calls[3]!], london, 'same country outside NANP: by calling code');
  t.ok([texas, tampa, miami, london].includes(chosen[calls[4]!]!), 'no local number: any');
  const recorded = await pool.anyFirst(sql.unsafe`select phone_number_id from dialer.calls where id = any(${sql.array(calls, 'uuid')}) order by due_at`);
  t.same(recorded.slice(0, 4), [miami, tampa, texas, london], 'the number is recorded on the call');
  const used = await pool.any(sql.unsafe`select vapi_phone_number_id, calls_today from dialer.phone_numbers order by number`);
  t.equal(used.reduce((sum, row) => sum + Number(row.calls_today), 0), 5, 'each claim counted on its number');
});

t.test('a number at a limit is skipped: concurrent, daily (its last allowed call), resting', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const local = await register(pool, tenantId, { number: '+13055550100', max_calls_per_day: 2 });
  const other = await register(pool, tenantId, { number: '+12145550100', max_concurrent_calls: 1 });
  const { calls } = await poolCampaign(pool, tenantId, [local, other], [1, 2, 3, 4].map((n) => phoneOf('+1305555', n)));
  const rows = await claim(pool, 10);
  t.same(rows.map((row) => row.phone_number_id), [local, local, other], 'two on the local number (its daily limit), one on the other (its concurrency)');
  t.equal((await pool.oneFirst(sql.unsafe`select status from dialer.calls where id = ${calls[3]!}`)), 'scheduled', 'the fourth waits');
  const why = await pool.one(sql.unsafe`select reason, until from dialer.why_not(${AT}) where call_id = ${calls[3]!}`);
  t.equal(why.reason, 'every caller number at a limit (concurrent calls, daily limit) until 00:00 America/New_York');
  t.equal(iso(why.until), '2026-06-11T04:00:00.000Z', 'the local number\'s next midnight');
  t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${AT})`)), '2026-06-10T15:05:00.000Z', 'the leases end first');

  // The call on the other number ends: it is free again, the local one still at its limit.
  await pool.query(sql.unsafe`select dialer.apply_call_result(${rows[2]!.call_id}, 'customer-ended-call', ${AT})`);
  const later = await claim(pool, 10);
  t.same(later.map((row) => [row.call_id, row.phone_number_id]), [[calls[3]!, other]]);

  // Rested: skipped even with room.
  await pool.query(sql.unsafe`select dialer.apply_call_result(${later[0]!.call_id}, 'customer-ended-call', ${AT})`);
  await pool.query(sql.unsafe`select dialer.rest_caller_number(${tenantId}, ${other}, '2026-06-10T18:00:00Z', 'flagged as spam', ${AT})`);
  const f = fixtures(pool);
  const contactId = await f.contact(tenantId, { phone: '+13055559999' });
  const campaignId = String(await pool.oneFirst(sql.unsafe`select campaign_id from dialer.calls where id = ${calls[0]!}`));
  await f.member(campaignId, contactId);
  const waiting = await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId });
  t.same(await claim(pool, 10), [], 'rested and at its daily limit: nothing claimed');
  const reason = await pool.one(sql.unsafe`select reason, until from dialer.why_not(${AT}) where call_id = ${waiting}`);
  t.equal(reason.reason, 'every caller number at a limit (daily limit, resting) until 13:00 America/Chicago');
  t.equal(iso(reason.until), '2026-06-10T18:00:00.000Z');
  t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${AT})`)), '2026-06-10T15:05:00.000Z');
  await pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered' where status = 'dialing'`);
  t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${AT})`)), '2026-06-10T18:00:00.000Z', 'the worker wakes when the rest ends');
  const after = await claim(pool, 10, '2026-06-10T18:00:00Z');
  t.same(after.map((row) => row.phone_number_id), [other], 'after the rest, the rested number is used');
});

t.test('the daily count starts again at the number\'s local midnight', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  // Contacts outside the calling rules' places, calling hours all day: only the number's day matters.
  await pool.query(sql.unsafe`update dialer.tenants set contact_hours_start = '00:00', contact_hours_end = '00:00', disabled_rules = '{us-federal.tcpa}' where id = ${tenantId}`);
  const only = await register(pool, tenantId, { number: '+13055550100', max_calls_per_day: 1 });
  const { calls } = await poolCampaign(pool, tenantId, [only], ['+33142685301', '+33142685302']);
  t.equal((await claim(pool, 10)).length, 1, 'the last allowed call of the day');
  t.equal((await claim(pool, 10, '2026-06-11T03:59:59Z')).length, 0, 'still 23:59 in New York');
  const next = await claim(pool, 10, '2026-06-11T04:00:00Z');
  t.same(next.map((row) => row.call_id), [calls[1]!], 'a new local day');
});

t.test('limits hold under concurrent claims by two workers', async (t) => {
  const db = await fresh();
  const { pool } = db;
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const a = await register(pool, tenantId, { number: '+13055550100', max_calls_per_day: 3 });
  const b = await register(pool, tenantId, { number: '+13055550200', max_concurrent_calls: 2 });
  await poolCampaign(pool, tenantId, [a, b], Array.from({ length: 20 }, (_, n) => phoneOf('+1786555', n)));
  const workers = [new pg.Client({ connectionString: db.directUrl }), new pg.Client({ connectionString: db.directUrl })];
  await Promise.all(workers.map((client) => client.connect()));
  try {
    // Both claim at once, one call at a time, until claims keep coming back empty (a claim that
    // meets the other's locks may come back empty before the limits are reached: on a loaded
    // machine eight rounds each were not always enough to reach them).
    const claimedBy = await Promise.all(workers.map(async (client) => {
      const got: string[] = [];
      for (let round = 0, empty = 0; round < 40 && empty < 6; round++) {
        await client.query('begin');
        const result = await client.query('select phone_number_id from dialer.claim_calls($1, 1)', [AT]);
        await client.query('commit');
        got.push(...result.rows.map((row: { phone_number_id: string }) => row.phone_number_id));
        empty = result.rows.length === 0 ? empty + 1 : 0;
      }
      return got;
    }));
    const all = claimedBy.flat();
    t.equal(all.filter((id) => id === a).length, 3, 'the daily limit of a');
    t.equal(all.filter((id) => id === b).length, 2, 'the concurrency of b');
    const live = await pool.any(sql.unsafe`select phone_number_id, count(*)::int as n from dialer.calls where status = 'dialing' group by 1 order by 1`);
    t.same(live, [{ phone_number_id: a, n: 3 }, { phone_number_id: b, n: 2 }]);
  } finally {
    await Promise.all(workers.map((client) => client.end()));
  }
});

t.test('the daily-limit end rests the number and retries on another without using an attempt', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const local = await register(pool, tenantId, { number: '+13055550100' });
  const other = await register(pool, tenantId, { number: '+12145550100' });
  const { calls } = await poolCampaign(pool, tenantId, [local, other], ['+13055550101'], { max_attempts: 1 });
  const first = await claim(pool, 10);
  t.same(first.map((row) => row.phone_number_id), [local]);
  const retryId = await pool.oneFirst(sql.unsafe`
    select dialer.apply_call_result(${calls[0]!}, 'call.start.error-vapi-number-outbound-daily-limit', ${AT})`);
  t.ok(retryId, 'a new call, although max_attempts is 1');
  const ended = await pool.one(sql.unsafe`select counts_as_attempt, outcome from dialer.calls where id = ${calls[0]!}`);
  t.same(ended, { counts_as_attempt: false, outcome: 'failed' }, 'the refused call is not an attempt');
  const rest = await pool.one(sql.unsafe`select rested_until, rest_reason from dialer.phone_numbers where vapi_phone_number_id = ${local}`);
  t.equal(iso(rest.rested_until), '2026-06-11T04:00:00.000Z', 'rested until its local midnight');
  t.match(rest.rest_reason, /daily limit/);
  const retry = await claim(pool, 10);
  t.same(retry.map((row) => [row.call_id, row.phone_number_id, row.attempt]), [[retryId, other, 1]], 'the same attempt, on the other number');
});

t.test('rest after N consecutive unanswered calls; an answer resets the count', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const flagged = await register(pool, tenantId, { number: '+13055550100', rest_after_unanswered: 2, rest_minutes: 120 });
  await poolCampaign(pool, tenantId, [flagged], ['+13055550101', '+13055550102', '+13055550103', '+13055550104'], { max_attempts: 1 });
  const end = async (reason: string) => {
    const [row] = await claim(pool, 1);
    await pool.query(sql.unsafe`select dialer.apply_call_result(${row!.call_id}, ${reason}, ${AT})`);
  };
  await end('customer-did-not-answer');
  await end('customer-ended-call');
  await end('customer-busy');
  t.equal(Number(await pool.oneFirst(sql.unsafe`select consecutive_unanswered from dialer.phone_numbers`)), 1, 'reset by the answer');
  await end('customer-did-not-answer');
  const row = await pool.one(sql.unsafe`select consecutive_unanswered, rested_until, rest_reason from dialer.phone_numbers`);
  t.same({ ...row, rested_until: iso(row.rested_until) }, { consecutive_unanswered: 0, rested_until: '2026-06-10T17:00:00.000Z', rest_reason: '2 unanswered calls in a row' });
});

t.test('a campaign with one unregistered number has no limits; progress per number', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const campaignId = await f.campaign(tenantId, { phone_number_id: 'pn_legacy', max_concurrency: 100 });
  t.same(await pool.oneFirst(sql.unsafe`select phone_number_ids from dialer.campaigns where id = ${campaignId}`), ['pn_legacy'], 'the pool of one');
  for (let n = 0; n < 3; n++) {
    const contactId = await f.contact(tenantId);
    await f.member(campaignId, contactId);
    await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId });
  }
  const rows = await claim(pool, 10);
  t.same(rows.map((row) => row.phone_number_id), ['pn_legacy', 'pn_legacy', 'pn_legacy']);
  await pool.query(sql.unsafe`select dialer.apply_call_result(${rows[0]!.call_id}, 'customer-ended-call', ${AT})`);
  await pool.query(sql.unsafe`select dialer.apply_call_result(${rows[1]!.call_id}, 'customer-did-not-answer', ${AT})`);
  const progress = await pool.one(sql.unsafe`select calls, answered, no_answer, in_flight, answer_rate from dialer.caller_number_progress where campaign_id = ${campaignId}`);
  t.same(progress, { calls: 2, answered: 1, no_answer: 1, in_flight: 1, answer_rate: 0.5 });
});

t.test('removing a number: 409 with live calls, else it leaves the pools', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant({ concurrency_limit: 100 });
  const a = await register(pool, tenantId, { number: '+13055550100' });
  const b = await register(pool, tenantId, { number: '+12145550100' });
  const { campaignId, calls } = await poolCampaign(pool, tenantId, [a, b], ['+13055550101', '+13055550102']);
  await claim(pool, 1);
  await t.rejects(pool.query(sql.unsafe`select dialer.delete_caller_number(${tenantId}, ${a}, ${AT})`), { code: 'PD409' });
  await pool.query(sql.unsafe`select dialer.apply_call_result(${calls[0]!}, 'customer-ended-call', ${AT})`);
  t.equal(Number(await pool.oneFirst(sql.unsafe`select dialer.delete_caller_number(${tenantId}, ${a}, ${AT})`)), 1, 'one pool changed');
  const campaign = await pool.one(sql.unsafe`select phone_number_id, phone_number_ids from dialer.campaigns where id = ${campaignId}`);
  t.same(campaign, { phone_number_id: b, phone_number_ids: [b] });
  t.same((await claim(pool, 10)).map((row) => [row.call_id, row.phone_number_id]), [[calls[1]!, b]], 'the scheduled call gets the remaining number');
  await t.rejects(pool.query(sql.unsafe`select dialer.delete_caller_number(${tenantId}, ${a}, ${AT})`), { code: 'PD404' });
});
