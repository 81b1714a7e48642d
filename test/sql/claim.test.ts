// claim_calls: what it returns, every concurrency limit, one live call per number, fairness,
// and concurrent claimers on separate connections.
import t from 'tap';
import { sql, type DatabasePool } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import pg from 'pg';
import { AT, fixtures } from './fixtures.js';
import { claimedCall } from '../../db/queries/dispatch.js';

// The row the worker reads (db/queries/dispatch.ts), so the test checks the contract it relies on.
const claimed = claimedCall;

const claim = async (pool: Pick<DatabasePool, 'any'>, max: number, at = AT) =>
  [...(await pool.any(sql.type(claimed)`select * from dialer.claim_calls(${at}, ${max})`))];

/** `count` members of a new campaign, each with a call due at AT (due_at spaced by a second). */
async function campaignWithCalls(pool: DatabasePool, tenantId: string, count: number, campaign: Record<string, unknown> = {}, firstDue = AT) {
  const f = fixtures(pool);
  const campaignId = await f.campaign(tenantId, campaign);
  const calls: string[] = [];
  for (let i = 0; i < count; i++) {
    const contactId = await f.contact(tenantId);
    await f.member(campaignId, contactId);
    calls.push(await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId,
                              due_at: new Date(Date.parse(firstDue) - (count - i) * 1000).toISOString() }));
  }
  return { campaignId, calls };
}

const liveCount = async (pool: DatabasePool, column: 'tenant_id' | 'campaign_id', id: string) =>
  Number(await pool.oneFirst(sql.unsafe`
    select count(*) from dialer.calls where ${sql.identifier([column])} = ${id} and status in ('dialing', 'queued', 'ringing', 'in_progress')`));

// One database for the file, emptied before each test (a claim looks at every tenant).
const database = createTestDatabase(t);
const fresh = async () => {
  const db = await database;
  await db.pool.query(sql.unsafe`truncate dialer.tenants cascade`);
  return db;
};

t.test('what a claim returns and sets', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant();
  const campaignId = await f.campaign(tenantId, { assistant_id: 'asst_camp', phone_number_id: 'pn_camp', variables: { a: 'campaign', b: 'campaign', c: 'campaign', d: 'campaign' } });
  const contactId = await f.contact(tenantId, { name: 'Ada', attributes: { b: 'contact', c: 'contact', d: 'contact' } });
  await f.member(campaignId, contactId, { c: 'member', d: 'member' });
  const callId = await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId, variables: { d: 'call' } });
  const directContact = await f.contact(tenantId, { attributes: { x: 1 } });
  const directId = await f.call({ tenant_id: tenantId, contact_id: directContact, assistant_id: 'asst_direct', phone_number_id: 'pn_direct', due_at: '2026-06-10T14:00:00Z' });

  const rows = await pool.any(sql.type(claimed)`select * from dialer.claim_calls(${AT}, 10, '90 seconds')`);
  t.equal(rows.length, 2);
  const campaignCall = rows.find((row) => row.call_id === callId)!;
  t.match(campaignCall, { tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId, attempt: 1, name: 'Ada', assistant_id: 'asst_camp', phone_number_id: 'pn_camp' });
  t.same(campaignCall.variables, { a: 'campaign', b: 'contact', c: 'member', d: 'call' }, 'later layers win');
  t.equal(campaignCall.lease_expires_at, '2026-06-10T15:01:30.000Z');
  const directCall = rows.find((row) => row.call_id === directId)!;
  t.match(directCall, { campaign_id: null, assistant_id: 'asst_direct', phone_number_id: 'pn_direct' });
  t.same(directCall.variables, { x: 1 });
  const row = await f.callRow(callId);
  t.match(row, { status: 'dialing', claimed_at: AT, lease_expires_at: '2026-06-10T15:01:30.000Z' });
  t.same(await claim(pool, 10), [], 'a claimed call is not claimed again');
  t.same(await claim(pool, 0), [], 'max 0');
});

t.test('a claim applies the due gate', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const due = await f.scenario();
  await f.scenario({ tenantId: due.tenantId, campaign: { status: 'paused' } });
  await f.scenario({ tenantId: due.tenantId, campaign: { window_start: '16:00', window_end: '17:00' } });
  await f.scenario({ tenantId: due.tenantId, call: { due_at: '2026-06-10T16:00:00Z' } });
  t.same((await claim(pool, 10)).map((row) => row.call_id), [due.callId]);
});

t.test("a campaign's max_concurrency counts its live calls", async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const { campaignId } = await campaignWithCalls(pool, tenantId, 5, { max_concurrency: 3 });
  const contactId = await f.contact(tenantId);
  await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId, status: 'in_progress', occurrence: 'x' });
  t.equal((await claim(pool, 10)).length, 2, '3 - 1 live');
  t.equal(await liveCount(pool, 'campaign_id', campaignId), 3);
  t.same(await claim(pool, 10), [], 'full');
});

t.test("a tenant's effective limit is the lower of its own and VAPI's", async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 5, vapi_concurrency_limit: 3 });
  await campaignWithCalls(pool, tenantId, 4);
  await campaignWithCalls(pool, tenantId, 4);
  t.equal((await claim(pool, 10)).length, 3, 'VAPI reported 3');
  await pool.query(sql.unsafe`update dialer.tenants set vapi_concurrency_limit = null, concurrency_limit = 4 where id = ${tenantId}`);
  t.equal((await claim(pool, 10)).length, 1, 'own limit 4, 3 live');
  t.equal(await liveCount(pool, 'tenant_id', tenantId), 4);
});

t.test('one live call per number, within a claim and across claims', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant();
  const contactId = await f.contact(tenantId);
  const first = await f.campaign(tenantId);
  const second = await f.campaign(tenantId);
  await f.call({ tenant_id: tenantId, campaign_id: first, contact_id: contactId });
  await f.call({ tenant_id: tenantId, campaign_id: second, contact_id: contactId });
  await f.call({ tenant_id: tenantId, contact_id: contactId });
  t.equal((await claim(pool, 10)).length, 1, 'three due calls to one number: one claimed');
  t.same(await claim(pool, 10), [], 'the others wait for it to end');
});

t.test('fairness: campaigns of a tenant, and tenants, take turns', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const big = await campaignWithCalls(pool, tenantId, 12, { max_concurrency: 50 }, '2026-06-10T10:00:00Z');
  const small = await campaignWithCalls(pool, tenantId, 3, { max_concurrency: 50 });
  const rows = await claim(pool, 4);
  t.equal(rows.filter((row) => row.campaign_id === big.campaignId).length, 2, 'the older, bigger campaign gets 2 of 4');
  t.equal(rows.filter((row) => row.campaign_id === small.campaignId).length, 2, 'the small one gets 2 of 4');
  t.same(rows.filter((row) => row.campaign_id === big.campaignId).map((row) => row.call_id).sort(), big.calls.slice(0, 2).sort(), 'oldest due first within a campaign');

  const busy = await f.tenant({ concurrency_limit: 100 });
  const quiet = await f.tenant({ concurrency_limit: 100 });
  await campaignWithCalls(pool, busy, 10, { max_concurrency: 50 }, '2026-06-10T09:00:00Z');
  await campaignWithCalls(pool, busy, 10, { max_concurrency: 50 }, '2026-06-10T09:00:00Z');
  await campaignWithCalls(pool, quiet, 2, { max_concurrency: 50 });
  const next = await claim(pool, 6);
  t.equal(next.filter((row) => row.tenant_id === quiet).length, 2, 'a tenant with one small campaign is not starved by a busy one');
  t.equal(next.filter((row) => row.tenant_id === tenantId).length, 2);
  t.equal(next.filter((row) => row.tenant_id === busy).length, 2);
  t.equal((await claim(pool, 100)).length, 10 + 1 + 18 - 2, 'then everything left (within limits)');
});

t.test("fairness: a tenant's sources take turns in a rotation that survives between claims", async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 100 });
  const campaigns = [];
  for (let i = 0; i < 5; i++) campaigns.push(await campaignWithCalls(pool, tenantId, 3, { max_concurrency: 50 }));
  // Direct calls are one more source, with the nil uuid as its place in the rotation (first).
  const directContact = await f.contact(tenantId);
  const direct = await f.call({ tenant_id: tenantId, contact_id: directContact });
  const rotation = [null, ...campaigns.map((campaign) => campaign.campaignId).sort()];
  const sourcesOf = (rows: { campaign_id: string | null }[]) => [...new Set(rows.map((row) => row.campaign_id))].sort();

  const served: (string | null)[][] = [];
  for (let round = 0; round < 3; round++) served.push(sourcesOf(await claim(pool, 2)));
  t.same(served, [rotation.slice(0, 2).sort(), rotation.slice(2, 4).sort(), rotation.slice(4, 6).sort()],
    'each claim of 2 serves the next 2 sources, one call each');
  t.equal(await pool.oneFirst(sql.unsafe`select claim_cursor from dialer.tenants where id = ${tenantId}`), rotation[5],
    'the cursor is the last source served');
  t.ok(served[0]!.includes(null) && (await pool.oneFirst(sql.unsafe`select status from dialer.calls where id = ${direct}`)) === 'dialing',
    'the direct call had its turn');

  // The direct source is empty now: the walk wraps around and skips it.
  const wrapped = sourcesOf(await claim(pool, 2));
  t.same(wrapped, rotation.slice(1, 3).sort(), 'after the last source the rotation starts again, skipping empty sources');
  // A source with no room is skipped without ending the walk.
  await pool.query(sql.unsafe`update dialer.campaigns set max_concurrency = 1 where id = ${rotation[3]!}`);
  t.same(sourcesOf(await claim(pool, 2)), [rotation[4], rotation[5]].sort(), 'a full campaign is passed over');
});

t.test('concurrent claimers never share a call and never exceed a cap', async (t) => {
  const { pool } = await fresh();
  const f = fixtures(pool);
  const tenants: string[] = [];
  for (let i = 0; i < 4; i++) {
    const tenantId = await f.tenant({ concurrency_limit: 7 });
    tenants.push(tenantId);
    await campaignWithCalls(pool, tenantId, 6, { max_concurrency: 4 });
    await campaignWithCalls(pool, tenantId, 6, { max_concurrency: 4 });
  }
  const seen = new Set<string>();
  for (let round = 0; round < 6; round++) {
    const batches = await Promise.all([1, 2, 3].map(() => pool.transaction((tx) => claim(tx, 5))));
    for (const row of batches.flat()) {
      t.notOk(seen.has(row.call_id), `call ${row.call_id} claimed once`);
      seen.add(row.call_id);
    }
  }
  t.equal(seen.size, 4 * 7, 'every tenant filled to its limit, no more');
  for (const tenantId of tenants) t.equal(await liveCount(pool, 'tenant_id', tenantId), 7, 'tenant cap held');
  const perCampaign = await pool.anyFirst(sql.unsafe`
    select count(*) from dialer.calls where status = 'dialing' group by campaign_id`);
  t.ok(perCampaign.every((count) => Number(count) <= 4), 'campaign caps held');
});

t.test('a claimer skips a tenant another claimer is serving, and rows locked elsewhere', async (t) => {
  const { pool, url } = await fresh();
  // slonik refuses a query on another of its connections inside a transaction callback, so the
  // second claimer is a plain pg client.
  const elsewhere = new pg.Client({ connectionString: url });
  await elsewhere.connect();
  t.teardown(() => elsewhere.end());
  const claimElsewhere = async (max: number) =>
    (await elsewhere.query<{ call_id: string }>('select * from dialer.claim_calls($1, $2)', [AT, max])).rows;
  const f = fixtures(pool);
  const tenantId = await f.tenant({ concurrency_limit: 3 });
  await campaignWithCalls(pool, tenantId, 6, { max_concurrency: 10 });
  let duringFirst: unknown[] = [];
  const first = await pool.transaction(async (tx) => {
    const rows = await claim(tx, 2);
    duringFirst = await claimElsewhere(10); // another connection, while the first has not committed
    return rows;
  });
  t.equal(first.length, 2);
  t.same(duringFirst, [], 'the tenant is being claimed elsewhere: skipped, not waited for, not double-counted');
  t.equal((await claim(pool, 10)).length, 1, 'after the first commits, the cap (3) is exact');

  const other = await f.tenant();
  const { calls } = await campaignWithCalls(pool, other, 2);
  const rows = await pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`select id from dialer.calls where id = ${calls[0]!} for update`);
    return claimElsewhere(10);
  });
  t.same(rows.map((row) => row.call_id), [calls[1]], 'a row locked by another transaction is skipped');
});

t.test('a claim takes exactly what due_calls allows when no limit binds', async (t) => {
  // claim_calls applies the due gate campaign by campaign, with its own query: this keeps the
  // two in step. Every scenario is a tenant of its own, so no limit or shared number interferes.
  const { pool } = await fresh();
  const f = fixtures(pool);
  const auckland = { time_zone: 'Pacific/Auckland' };
  const variants = [
    {},
    { call: { due_at: '2026-06-10T15:00:01Z' } },
    { campaign: { status: 'paused' } },
    { campaign: { deleted_at: '2026-06-01T00:00:00Z' } },
    { campaign: { ...auckland, starts_on: '2026-06-12' }, contact: { time_zone: 'UTC' } },
    { campaign: { ...auckland, starts_on: '2026-06-11' }, contact: { time_zone: 'UTC' } },
    { campaign: { ...auckland, ends_on: '2026-06-10' }, contact: { time_zone: 'UTC' } },
    { campaign: { ...auckland, blackout_dates: ['2026-06-11'] }, contact: { time_zone: 'UTC' } },
    { campaign: { ...auckland, blackout_dates: ['2026-06-10'] }, contact: { time_zone: 'UTC' } },
    { campaign: { window_start: '09:00', window_end: '15:00' } },
    { campaign: { window_start: '22:00', window_end: '16:00' } },
    { campaign: { days: [1, 2, 4, 5] } },
    { campaign: { max_attempts: 2 }, call: { attempt: 3 } },
    { campaign: { frequency: 'daily' }, call: { occurrence: '2026-06-09' } },
    { campaign: { frequency: 'daily' }, call: { occurrence: '2026-06-10' } },
    { campaign: { frequency: 'weekly' }, call: { occurrence: '2026-W24' } },
    { contact: { time_zone: 'Asia/Tokyo' } },
    { contact: { possible_time_zones: ['America/New_York', 'America/Los_Angeles'] } },
    { contact: { possible_time_zones: ['America/New_York', 'Asia/Tokyo'] } },
    { campaign: { time_zone: 'Asia/Tokyo' } },
    { contact: { deleted_at: '2026-06-01T00:00:00Z' } },
    { tenant: { contact_hours_start: '16:00', contact_hours_end: '20:00' } },
  ];
  for (const variant of variants) await f.scenario(variant);
  const dnc = await f.scenario();
  await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${dnc.tenantId}, ${dnc.phone})`);
  const capped = await f.scenario({ tenant: { max_calls_per_number_per_24h: 1 } });
  await f.call({ tenant_id: capped.tenantId, contact_id: capped.contactId, status: 'ended', outcome: 'busy', dial_started_at: '2026-06-10T12:00:00Z' });
  const live = await f.scenario();
  await f.call({ tenant_id: live.tenantId, contact_id: live.contactId, status: 'ringing' });
  const directTenant = await f.tenant();
  await f.call({ tenant_id: directTenant, contact_id: await f.contact(directTenant, { time_zone: 'UTC' }) });
  await f.call({ tenant_id: directTenant, contact_id: await f.contact(directTenant, { time_zone: 'Asia/Tokyo' }) });

  const due = [...(await pool.anyFirst(sql.unsafe`select id from dialer.due_calls(${AT})`))].sort();
  t.equal(due.length, 8, 'the scenarios leave 8 calls due');
  const taken = (await claim(pool, 1000)).map((row) => row.call_id).sort();
  t.same(taken, due);
});
