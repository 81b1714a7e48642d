// What the dashboard needed from the API: progress per contact, dueNow never negative, why calls
// wait (GET /v1/campaigns/:id/waiting), outcome buckets (GET /v1/stats/calls).
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { manualClock } from '../../server/clock.js';
import { addMembers, insertCampaign, startCampaign } from '../worker/fixtures.js';

t.test('progress counts contacts as well as calls; dueNow is never negative when a full campaign has calls not yet due', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  await db.pool.query(sql.unsafe`update dialer.tenants set contact_hours_start = '00:00', contact_hours_end = '00:00', disabled_rules = '{us-federal.tcpa}' where id = ${tenant.id}`);
  const campaignId = await insertCampaign(db.pool, tenant.id, { windowStart: '00:00', windowEnd: '00:00', maxConcurrency: 1 });
  await addMembers(db.pool, tenant.id, campaignId, 5);
  const draft = await request(`${api.url}/v1/campaigns/${campaignId}`, { headers: tenant.headers() });
  t.same(draft.body.progress.byContact, { contacts: 5, reached: 0, inFlight: 0, waiting: 0, notReached: 0, notStarted: 5 });

  await startCampaign(db.pool, tenant.id, campaignId, new Date());
  const calls = await db.pool.anyFirst(sql.unsafe`select id from dialer.calls where campaign_id = ${campaignId} order by phone`);
  // One live (the campaign's only slot), one answered, one not answered and finished, two due in an hour.
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'in_progress', dial_started_at = now() where id = ${calls[0]}`);
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered', dial_started_at = now() - interval '1 hour', ended_at = now() where id = ${calls[1]}`);
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'no_answer', dial_started_at = now() - interval '1 hour', ended_at = now() where id = ${calls[2]}`);
  await db.pool.query(sql.unsafe`update dialer.calls set due_at = now() + interval '1 hour' where id = any(${sql.array([calls[3], calls[4]] as string[], 'uuid')})`);

  const held = await db.pool.anyFirst(sql.unsafe`select reason from dialer.why_not(now()) where campaign_id = ${campaignId}`);
  t.same(held, ['campaign concurrency full', 'campaign concurrency full'], 'why_not lists the future calls under concurrency (the case that went negative)');
  const { body } = await request(`${api.url}/v1/campaigns/${campaignId}`, { headers: tenant.headers() });
  t.equal(body.progress.dueNow, 0, 'dueNow is 0, not -2');
  t.equal(body.progress.heldByConcurrency, 0, 'calls not yet due are not counted as held by concurrency');
  t.same(body.progress.byContact, { contacts: 5, reached: 1, inFlight: 1, waiting: 2, notReached: 1, notStarted: 0 });
  t.match(body.progress, { pending: 2, inFlight: 1, answered: 1, noAnswer: 1 });

  const status = await request(`${api.url}/v1/scheduler/status`, { headers: tenant.headers() });
  t.ok(status.body.campaigns.every((c: { due: number; waiting: number }) => c.due >= 0 && c.waiting >= 0), 'scheduler status has no negative counts');

  // Due now with a free slot: the live call ends.
  await db.pool.query(sql.unsafe`update dialer.calls set due_at = now() - interval '1 minute' where id = ${calls[3]}`);
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'busy', ended_at = now() where id = ${calls[0]}`);
  const after = await request(`${api.url}/v1/campaigns/${campaignId}`, { headers: tenant.headers() });
  t.equal(after.body.progress.dueNow, 1, 'the due call is counted once a slot is free');
  t.same(after.body.progress.byContact, { contacts: 5, reached: 1, inFlight: 0, waiting: 2, notReached: 2, notStarted: 0 });
});

t.test('GET /v1/campaigns/:id/waiting: counts by reason, the next lift time, examples in words', async (t) => {
  const db = await createTestDatabase(t);
  // Tuesday 2026-03-10 10:00 UTC = 05:00 in Chicago (CDT), 03:00 in Los Angeles: before calling hours (08:00–21:00).
  const clock = manualClock(new Date('2026-03-10T10:00:00Z'));
  const api = await startTestApi(t, { pool: db.pool, clock });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const campaignId = await insertCampaign(db.pool, tenant.id, { timeZone: 'America/New_York', windowStart: '00:00', windowEnd: '00:00' });
  const phones = await addMembers(db.pool, tenant.id, campaignId, 4);
  await db.pool.query(sql.unsafe`update dialer.contacts set time_zone = 'America/Chicago' where phone = any(${sql.array(phones.slice(0, 3), 'text')})`);
  await db.pool.query(sql.unsafe`update dialer.contacts set time_zone = 'America/Los_Angeles' where phone = ${phones[3]!}`);
  await startCampaign(db.pool, tenant.id, campaignId, clock.now());

  const { status, body } = await request(`${api.url}/v1/campaigns/${campaignId}/waiting?limit=3`, { headers: tenant.headers() });
  t.equal(status, 200);
  t.equal(body.at, '2026-03-10T10:00:00.000Z');
  t.equal(body.total, 4);
  t.same(body.reasons, [
    { reason: 'contact hours closed', calls: 4, nextLiftAt: '2026-03-10T13:00:00.000Z', text: "outside the contact's calling hours until 08:00 America/Chicago" },
  ]);
  t.equal(body.examples.length, 3);
  t.type(body.nextCursor, 'string');
  const next = await request(`${api.url}/v1/campaigns/${campaignId}/waiting?limit=3&cursor=${body.nextCursor}`, { headers: tenant.headers() });
  t.equal(next.body.examples.length, 1);
  t.equal(next.body.nextCursor, null);
  const all = [...body.examples, ...next.body.examples];
  const la = all.find((example: { phone: string }) => example.phone === phones[3]);
  t.match(la, { reason: 'contact hours closed', until: '2026-03-10T15:00:00.000Z', text: "outside the contact's calling hours until 08:00 America/Los_Angeles" });

  // Paused: every call waits for the campaign, with no lift time.
  await db.pool.query(sql.unsafe`select dialer.pause_campaign(${tenant.id}::uuid, ${campaignId}::uuid, ${clock.now().toISOString()}::timestamptz)`);
  const paused = await request(`${api.url}/v1/campaigns/${campaignId}/waiting?reason=${encodeURIComponent('campaign paused')}`, { headers: tenant.headers() });
  t.same(paused.body.reasons, [{ reason: 'campaign paused', calls: 4, nextLiftAt: null, text: 'the campaign is paused' }]);
  t.equal(paused.body.examples.length, 4);

  t.equal((await request(`${api.url}/v1/campaigns/${campaignId}/waiting`, { headers: other.headers() })).status, 404, "another tenant's campaign is not found");
  t.equal((await request(`${api.url}/v1/campaigns/${campaignId}/waiting?cursor=forged`, { headers: tenant.headers() })).status, 400);
});

t.test('GET /v1/stats/calls: ended calls by outcome per hour and per day in a zone, with cost', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, clock: manualClock(new Date('2026-03-11T12:00:00Z')) });
  const tenant = await createTestTenant(db.pool);
  const campaignId = await insertCampaign(db.pool, tenant.id, { windowStart: '00:00', windowEnd: '00:00' });
  await addMembers(db.pool, tenant.id, campaignId, 4);
  await startCampaign(db.pool, tenant.id, campaignId, new Date('2026-03-10T00:00:00Z'));
  const calls = await db.pool.anyFirst(sql.unsafe`select id from dialer.calls where campaign_id = ${campaignId} order by phone`);
  const end = (id: unknown, outcome: string, at: string, cost: number) =>
    db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = ${outcome}, ended_at = ${at}::timestamptz, cost = ${cost} where id = ${id as string}`);
  // 04:30 and 05:10 UTC on the 11th are 23:30 and 00:10 in Chicago (CDT): two local days, two hours.
  await end(calls[0], 'answered', '2026-03-11T04:30:00Z', 0.25);
  await end(calls[1], 'busy', '2026-03-11T04:45:00Z', 0.05);
  await end(calls[2], 'answered', '2026-03-11T05:10:00Z', 0.5);
  const hourly = await request(`${api.url}/v1/stats/calls?bucket=hour&from=2026-03-10T12:00:00Z&timeZone=America/Chicago`, { headers: tenant.headers() });
  t.equal(hourly.status, 200);
  t.match(hourly.body.buckets, [
    { start: '2026-03-11T04:00:00.000Z', answered: 1, busy: 1, noAnswer: 0 },
    { start: '2026-03-11T05:00:00.000Z', answered: 1, busy: 0 },
  ]);
  t.match(hourly.body.totals, { answered: 2, busy: 1, other: 0 });
  t.equal(Math.round(hourly.body.totals.cost * 100), 80);
  const daily = await request(`${api.url}/v1/stats/calls?bucket=day&from=2026-03-10T00:00:00Z&timeZone=America/Chicago`, { headers: tenant.headers() });
  t.same(daily.body.buckets.map((b: { start: string; answered: number }) => [b.start, b.answered]), [
    ['2026-03-10T05:00:00.000Z', 1],
    ['2026-03-11T05:00:00.000Z', 1],
  ]);
  const bad = await request(`${api.url}/v1/stats/calls?bucket=week&from=2026-03-10T00:00:00Z&timeZone=Mars/Base`, { headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.same(bad.body.error.details.map((d: { path: string }) => d.path).sort(), ['bucket', 'timeZone']);
});
