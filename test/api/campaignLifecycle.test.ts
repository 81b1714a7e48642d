import t from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { manualClock } from '../../server/clock.js';

const at = new Date('2026-11-23T15:00:00.000Z');

t.test('start, pause, resume, stop: SQL transitions, audited, each wakes the worker after commit', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, clock: manualClock(at) });
  const tenant = await createTestTenant(db.pool);
  const listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  t.teardown(() => listener.end());
  const wakes: string[] = [];
  listener.on('notification', (message) => wakes.push(message.payload ?? ''));
  await listener.query('listen dialer_wake');

  const created = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: { name: 'C', assistantId: 'a', phoneNumberId: 'p', timeZone: 'America/Chicago', window: { start: '09:00', end: '17:00' } },
  });
  const id = created.body.id;
  const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenant.id}, '+13125550100') returning id`);
  await db.pool.query(sql.unsafe`insert into dialer.campaign_contacts (campaign_id, contact_id) values (${id}, ${contact})`);
  const post = (action: string, as = tenant) => request(`${api.url}/v1/campaigns/${id}/${action}`, { method: 'POST', headers: as.headers() });

  const started = await post('start');
  t.equal(started.status, 200);
  t.match(started.body, { id, status: 'active', startedAt: at.toISOString() });
  const call = await db.pool.one(sql.unsafe`select status, due_at from dialer.calls where campaign_id = ${id}`);
  t.same(call, { status: 'scheduled', due_at: at.toISOString() }, 'the member is scheduled at the API clock\'s instant');

  const again = await post('start');
  t.equal(again.status, 409);
  t.equal(again.body.error.code, 'state_conflict');
  t.equal((await post('resume')).status, 409, 'resume needs paused');

  t.equal((await post('pause')).body.status, 'paused');
  t.equal((await post('pause')).status, 409);
  t.equal((await post('resume')).body.status, 'active');
  const stopped = await post('stop');
  t.equal(stopped.body.status, 'stopped');
  t.equal(await db.pool.oneFirst(sql.unsafe`select status from dialer.calls where campaign_id = ${id}`), 'cancelled');
  t.equal((await post('stop')).status, 409);

  const audits = await db.pool.any(sql.unsafe`
    select action, details->>'from' as "from", details->>'to' as "to" from dialer.audit_log
    where entity = 'campaign' and action <> 'create' order by id`);
  t.same(audits, [
    { action: 'start', from: 'draft', to: 'active' },
    { action: 'pause', from: 'active', to: 'paused' },
    { action: 'resume', from: 'paused', to: 'active' },
    { action: 'stop', from: 'active', to: 'stopped' },
  ], 'only successful changes are audited');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(wakes, ['campaign_start', 'campaign_pause', 'campaign_resume', 'campaign_stop'], 'refused changes wake nobody');
});

t.test('lifecycle routes: another tenant\'s campaign is 404 and unchanged; unknown or bad ids', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const created = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: { name: 'Mine', assistantId: 'a', phoneNumberId: 'p', timeZone: 'UTC', window: { start: '09:00', end: '17:00' } },
  });
  const foreign = await request(`${api.url}/v1/campaigns/${created.body.id}/start`, { method: 'POST', headers: other.headers() });
  t.equal(foreign.status, 404);
  t.notOk(JSON.stringify(foreign.body).includes('Mine'));
  t.equal(await db.pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${created.body.id}`), 'draft');
  const unknown = await request(`${api.url}/v1/campaigns/00000000-0000-4000-8000-000000000000/pause`, { method: 'POST', headers: tenant.headers() });
  t.equal(unknown.status, 404);
  const bad = await request(`${api.url}/v1/campaigns/nope/stop`, { method: 'POST', headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.details[0].path, 'id');
});

t.test('concurrent starts: exactly one wins, the others are 409, members are scheduled once', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, clock: manualClock(at) });
  const tenant = await createTestTenant(db.pool);
  const created = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: { name: 'Race', assistantId: 'a', phoneNumberId: 'p', timeZone: 'UTC', window: { start: '09:00', end: '17:00' } },
  });
  await db.pool.query(sql.unsafe`
    with added as (
      insert into dialer.contacts (tenant_id, phone) select ${tenant.id}, '+1312555' || lpad(i::text, 4, '0') from generate_series(1, 50) i returning id)
    insert into dialer.campaign_contacts (campaign_id, contact_id) select ${created.body.id}, id from added`);
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => request(`${api.url}/v1/campaigns/${created.body.id}/start`, { method: 'POST', headers: tenant.headers() })),
  );
  t.same(answers.map((a) => a.status).sort(), [200, 409, 409, 409, 409, 409]);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.calls where campaign_id = ${created.body.id}`), 50, 'one call per member');
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.audit_log where action = 'start'`), 1);
});
