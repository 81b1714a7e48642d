// The indexed caller pools (migration 0013, sql/033_caller_numbers.sql): caller_pool_numbers stays
// equal to its definition through every change of pools and numbers, and the choice read from it
// (a few least-used candidates per pool and key) is the same as the rule applied to whole pools —
// checked against an independent implementation on random pools that share numbers, with limits,
// rests, live calls and counters of an ended day.
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

/** Rows of the table that its definition lacks, and the other way round (both empty when in step). */
async function drift(pool: DatabasePool) {
  const extra = await pool.any(sql.unsafe`
    select pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today from dialer.caller_pool_numbers
    except select pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today from dialer.caller_pool_number_rows`);
  const missing = await pool.any(sql.unsafe`
    select pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today from dialer.caller_pool_number_rows
    except select pool_id, position, tenant_id, vapi_phone_number_id, area_code, state, country_key, used_today from dialer.caller_pool_numbers`);
  const pools = await pool.one(sql.unsafe`
    select count(*) filter (where not exists (select 1 from dialer.campaigns c where c.caller_pool_id = p.id))::int as unused,
           (select count(*) from dialer.campaigns c join dialer.caller_pools q on q.id = c.caller_pool_id
            where q.phone_number_ids is distinct from c.phone_number_ids or q.tenant_id <> c.tenant_id)::int as wrong
    from dialer.caller_pools p`);
  return { extra: extra.length, missing: missing.length, unused: pools.unused, wrong: pools.wrong };
}
const inStep = { extra: 0, missing: 0, unused: 0, wrong: 0 };

t.test('caller_pool_numbers follows every change of pools and numbers', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const miami = await register(pool, tenantId, { number: '+13055550100' });
  const dallas = await register(pool, tenantId, { number: '+12145550100' });
  const later = vapiId(); // listed before it is registered

  const a = await f.campaign(tenantId, { phone_number_id: miami, phone_number_ids: [miami, dallas, later] });
  const b = await f.campaign(tenantId, { phone_number_id: miami, phone_number_ids: [miami, dallas, later] });
  t.same(await drift(pool), inStep, 'two campaigns with one pool');
  t.equal(await pool.oneFirst(sql.unsafe`select count(distinct caller_pool_id)::int from dialer.campaigns`), 1, 'they share it');
  t.equal(await pool.oneFirst(sql.unsafe`select count(*)::int from dialer.caller_pool_numbers`), 2, 'its registered numbers only');

  await pool.query(sql.unsafe`
    insert into dialer.phone_numbers (tenant_id, vapi_phone_number_id, number) values (${tenantId}, ${later}, '+18135550100')`);
  t.same(await drift(pool), inStep, 'a number registered after the pool lists it joins it');
  t.equal(await pool.oneFirst(sql.unsafe`select position from dialer.caller_pool_numbers where vapi_phone_number_id = ${later}`), 3, 'at its place');

  await pool.query(sql.unsafe`update dialer.phone_numbers set number = '+15125550100' where vapi_phone_number_id = ${dallas}`);
  t.same(await drift(pool), inStep, 'a new number moves its area code and state');
  t.same(await pool.one(sql.unsafe`select distinct area_code, state from dialer.caller_pool_numbers where vapi_phone_number_id = ${dallas}`),
         { area_code: '512', state: 'US-TX' });

  await pool.query(sql.unsafe`update dialer.phone_numbers set calls_today = 7, calls_day = '2026-06-10', calls_day_ends = '2026-06-11T04:00:00Z' where vapi_phone_number_id = ${miami}`);
  t.same(await drift(pool), inStep, 'a counter is copied');

  await pool.query(sql.unsafe`update dialer.campaigns set phone_number_ids = ${sql.array([dallas, miami], 'text')} where id = ${b}`);
  t.same(await drift(pool), inStep, 'a campaign given another pool');
  t.equal(await pool.oneFirst(sql.unsafe`select count(*)::int from dialer.caller_pools`), 2);

  await pool.query(sql.unsafe`update dialer.campaigns set phone_number_ids = ${sql.array([dallas, miami], 'text')} where id = ${a}`);
  t.same(await drift(pool), inStep, 'the pool no campaign uses is gone');
  t.equal(await pool.oneFirst(sql.unsafe`select count(*)::int from dialer.caller_pools`), 1);

  await pool.query(sql.unsafe`select dialer.delete_caller_number(${tenantId}, ${dallas}, ${AT})`);
  t.same(await drift(pool), inStep, 'a removed number leaves the pools');
  t.same(await pool.anyFirst(sql.unsafe`select vapi_phone_number_id from dialer.caller_pool_numbers`), [miami]);

  await pool.query(sql.unsafe`update dialer.campaigns set phone_number_id = 'pn_plain' where id = ${a}`);
  t.same(await drift(pool), inStep, 'the one-number form');
  await pool.query(sql.unsafe`delete from dialer.campaigns where id = ${b}`);
  t.same(await drift(pool), inStep, 'a deleted campaign takes its pool when no other uses it');
});

t.test('a pool removed by one transaction while another takes the same numbers: made again, no error', async (t) => {
  const db = await fresh();
  const { pool } = db;
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const miami = await register(pool, tenantId, { number: '+13055550100' });
  const dallas = await register(pool, tenantId, { number: '+12145550100' });
  const a = await f.campaign(tenantId, { phone_number_id: miami, phone_number_ids: [miami, dallas] });
  const [first, second] = [new pg.Client({ connectionString: db.directUrl }), new pg.Client({ connectionString: db.directUrl })];
  await Promise.all([first.connect(), second.connect()]);
  try {
    // The first moves the only campaign of the pool elsewhere: the pool goes, not yet committed.
    await first.query('begin');
    await first.query('update dialer.campaigns set phone_number_ids = $1 where id = $2', [[dallas], a]);
    // The second makes a campaign with the pool's numbers: it waits for the first, then makes the pool again.
    await second.query('begin');
    const made = second.query(`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, phone_number_ids, time_zone, window_start, window_end, days)
                               values ($1, 'B', 'asst_1', $2, $3, 'UTC', '09:00', '17:00', '{1,2,3,4,5}') returning caller_pool_id`, [tenantId, miami, [miami, dallas]]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.query('commit');
    const row = (await made).rows[0] as { caller_pool_id: string };
    await second.query('commit');
    t.ok(row.caller_pool_id, 'the campaign has its pool');
    t.same(await drift(pool), inStep, 'and the pool its numbers');
  } finally {
    await Promise.all([first.end(), second.end()]);
  }
});

t.test('a counter whose local day ended restarts at the claim, and the index orders by today', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  // Yesterday's heavy use of the first number no longer counts; the second is used today.
  const yesterday = await register(pool, tenantId, { number: '+13055550100', calls_today: 40, calls_day: '2026-06-09' });
  const today = await register(pool, tenantId, { number: '+13055550200', calls_today: 2, calls_day: '2026-06-10' });
  const campaignId = await f.campaign(tenantId, { phone_number_id: yesterday, phone_number_ids: [yesterday, today], max_concurrency: 10 });
  const contactId = await f.contact(tenantId, { phone: '+13055550999' });
  await f.member(campaignId, contactId);
  await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId });
  t.same((await pool.any(sql.unsafe`select vapi_phone_number_id, calls_day_ends from dialer.phone_numbers order by number`))
    .map((row) => ({ ...row, calls_day_ends: iso(row.calls_day_ends) })), [
    { vapi_phone_number_id: yesterday, calls_day_ends: '2026-06-10T04:00:00.000Z' },
    { vapi_phone_number_id: today, calls_day_ends: '2026-06-11T04:00:00.000Z' },
  ], 'the end of each counter\'s day (its next local midnight), at registration');

  const claimed = await pool.any(sql.unsafe`select phone_number_id from dialer.claim_calls(${AT}, 10)`);
  t.same(claimed.map((row) => row.phone_number_id), [yesterday], 'the number unused today is the least used');
  t.same(await pool.any(sql.unsafe`select vapi_phone_number_id, calls_today, calls_day::text from dialer.phone_numbers order by number`), [
    { vapi_phone_number_id: yesterday, calls_today: 1, calls_day: '2026-06-10' },
    { vapi_phone_number_id: today, calls_today: 2, calls_day: '2026-06-10' },
  ], 'its counter restarted for today and counts the claim');
  t.same(await drift(pool), inStep, 'the copies follow');

  // Whoever writes the day, its end follows (the zone's midnight; a new zone moves it).
  await pool.query(sql.unsafe`update dialer.phone_numbers set calls_day = '2026-06-09' where vapi_phone_number_id = ${today}`);
  t.equal(iso(await pool.oneFirst(sql.unsafe`select calls_day_ends from dialer.phone_numbers where vapi_phone_number_id = ${today}`)), '2026-06-10T04:00:00.000Z');
  await pool.query(sql.unsafe`update dialer.phone_numbers set time_zone = 'America/Los_Angeles' where vapi_phone_number_id = ${today}`);
  t.equal(iso(await pool.oneFirst(sql.unsafe`select calls_day_ends from dialer.phone_numbers where vapi_phone_number_id = ${today}`)), '2026-06-10T07:00:00.000Z');
});

t.test('pools sharing numbers: a later pool sees what an earlier call of the claim took', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const shared = await register(pool, tenantId, { number: '+13055550100' });
  const onlyA = await register(pool, tenantId, { number: '+13055550200', calls_today: 1, calls_day: '2026-06-10' });
  const onlyB = await register(pool, tenantId, { number: '+13055550300', calls_today: 1, calls_day: '2026-06-10' });
  const calls: string[] = [];
  for (const [i, numbers] of [[shared, onlyA], [shared, onlyB]].entries()) {
    const campaignId = await f.campaign(tenantId, { phone_number_id: numbers[0], phone_number_ids: numbers });
    const contactId = await f.contact(tenantId, { phone: `+1555555010${i}` });
    await f.member(campaignId, contactId);
    calls.push(await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId }));
  }
  // A's call takes the shared number (used 0); for B's, the shared one is now used 1 like B's own,
  // and the tie goes to pool order: the shared one again (it is first in B's pool). With B's own
  // number at 0, B's call must take it instead.
  const choice = async () => (await pool.any(sql.unsafe`select call_id, phone_number_id from dialer.choose_caller_numbers(${sql.array(calls, 'uuid')}, ${AT})`))
    .map((row) => row.phone_number_id);
  t.same(await choice(), [shared, shared], 'ties by pool order');
  await pool.query(sql.unsafe`update dialer.phone_numbers set calls_today = 0 where vapi_phone_number_id = ${onlyB}`);
  t.same(await choice(), [shared, onlyB], 'the earlier call\'s take counts in the other pool');
});

/** A small deterministic PRNG (mulberry32), so a failing case can be run again. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Numbered = { id: string; area: string | null; state: string | null; country: string | null; usable: boolean; room: number | null; used: number };

/** The rule, applied to whole pools in memory (an independent implementation of sql/033's choice). */
function referenceChoice(calls: { pool: string[]; phone: string; jurisdictions: string[] }[], numbers: Map<string, Numbered>): (string | null)[] {
  const room = new Map([...numbers].map(([id, n]) => [id, n.room]));
  const used = new Map([...numbers].map(([id, n]) => [id, n.used]));
  return calls.map((call) => {
    const area = /^\+1[2-9]\d{9}$/.test(call.phone) ? call.phone.slice(2, 5) : null;
    const states = call.jurisdictions.filter((code) => /^..-..$/.test(code));
    const countries = call.jurisdictions.filter((code) => /^..$/.test(code));
    const members = call.pool.map((id, index) => ({ n: numbers.get(id), position: index + 1 }))
      .filter((m): m is { n: Numbered; position: number } => m.n !== undefined && m.n.usable);
    const tiers = [
      members.filter((m) => area !== null && m.n.area === area),
      members.filter((m) => m.n.state !== null && states.includes(m.n.state)),
      members.filter((m) => m.n.country !== null && countries.includes(m.n.country)),
      members,
    ];
    for (const tier of tiers) {
      const open = tier.filter((m) => room.get(m.n.id) === null || room.get(m.n.id)! > 0);
      if (open.length === 0) continue;
      open.sort((x, y) => used.get(x.n.id)! - used.get(y.n.id)! || x.position - y.position);
      const best = open[0]!.n.id;
      used.set(best, used.get(best)! + 1);
      if (room.get(best) !== null) room.set(best, room.get(best)! - 1);
      return best;
    }
    return null;
  });
}

t.test('the indexed choice equals the rule on whole pools (random pools sharing numbers)', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const areas = ['305', '786', '813', '214', '512', '212', '416'];
  const contactPhones = (rand: () => number) => {
    const pick = rand();
    if (pick < 0.15) return `+1555${String(Math.floor(rand() * 1e7)).padStart(7, '0')}`; // no known place
    return `+1${areas[Math.floor(rand() * areas.length)]}555${String(Math.floor(rand() * 1e4)).padStart(4, '0')}`;
  };
  let checked = 0;
  for (let seed = 1; seed <= 25; seed++) {
    const rand = random(seed);
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    const tenantId = await f.tenant({ concurrency_limit: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const day = rand() < 0.2 ? '2026-06-09' : '2026-06-10'; // some counters are of an ended day
      ids.push(await register(pool, tenantId, {
        number: `+1${areas[Math.floor(rand() * areas.length)]}555${String(1000 + i)}`,
        calls_today: Math.floor(rand() * 4), calls_day: day,
        ...(rand() < 0.3 ? { max_calls_per_day: 2 + Math.floor(rand() * 4) } : {}),
        ...(rand() < 0.3 ? { max_concurrent_calls: 1 + Math.floor(rand() * 2) } : {}),
        ...(rand() < 0.1 ? { rested_until: '2026-06-10T18:00:00Z' } : {}),
      }));
    }
    // Live calls on some numbers (they hold concurrency).
    const liveContact = await f.contact(tenantId, { phone: '+15550000001' });
    for (const id of ids) {
      if (rand() < 0.25) await f.call({ tenant_id: tenantId, contact_id: liveContact, status: 'in_progress', phone_number_id: id, due_at: '2026-06-10T14:00:00Z' });
    }
    const callInputs: { id: string; pool: string[] }[] = [];
    for (let c = 0; c < 4; c++) {
      const poolIds = ids.filter(() => rand() < 0.55);
      if (poolIds.length < 2) poolIds.push(...ids.slice(0, 2).filter((id) => !poolIds.includes(id)));
      poolIds.sort(() => rand() - 0.5);
      const campaignId = await f.campaign(tenantId, { phone_number_id: poolIds[0], phone_number_ids: poolIds });
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const contactId = await f.contact(tenantId, { phone: contactPhones(rand) });
        await f.member(campaignId, contactId);
        callInputs.push({ id: await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId }), pool: poolIds });
      }
    }
    callInputs.sort(() => rand() - 0.5);

    const state = await pool.any(sql.unsafe`
      select pn.vapi_phone_number_id as id, pn.area_code as area, pn.state, pn.country, hold.hold is null as usable, hold.room, hold.used_today as used
      from dialer.phone_numbers pn
      cross join lateral dialer.caller_number_hold(pn, dialer._caller_number_live(pn.tenant_id, pn.vapi_phone_number_id), ${AT}) hold`);
    const numbers = new Map(state.map((row) => [String(row.id), row as unknown as Numbered]));
    const contacts = await pool.any(sql.unsafe`
      select call.id, call.phone, contact.jurisdictions from dialer.calls call join dialer.contacts contact on contact.id = call.contact_id
      where call.id = any(${sql.array(callInputs.map((c) => c.id), 'uuid')})`);
    const byId = new Map(contacts.map((row) => [String(row.id), row]));
    const expected = referenceChoice(callInputs.map((c) => ({ pool: c.pool, phone: String(byId.get(c.id)!.phone), jurisdictions: byId.get(c.id)!.jurisdictions as string[] })), numbers);

    const chosen = new Map((await pool.any(sql.unsafe`
      select call_id, phone_number_id from dialer.choose_caller_numbers(${sql.array(callInputs.map((c) => c.id), 'uuid')}, ${AT})`))
      .map((row) => [String(row.call_id), String(row.phone_number_id)]));
    const actual = callInputs.map((c) => chosen.get(c.id) ?? null);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      t.same(actual, expected, `seed ${seed}: the same numbers, call by call`);
    }
    checked += callInputs.length;
  }
  t.ok(checked > 100, `${checked} calls checked on 25 random cases`);
});

t.test('a zone that is not one is still refused (checked when the zone is set)', async (t) => {
  const { pool } = await fresh();
  const tenantId = await fixtures(pool).tenant();
  const error = await register(pool, tenantId, { number: '+13055550100', time_zone: 'Mars/Olympus_Mons' }).catch((caught: unknown) => caught);
  t.match(error, { constraint: 'phone_numbers_time_zone_valid', table: 'phone_numbers' }, 'the check violation the API maps, as before');
});
