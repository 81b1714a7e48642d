import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { createBoss } from '../../db/boss.js';

t.test('dialer.queue_health counts pg-boss jobs by state, recent failures and the oldest ready job', async (t) => {
  const db = await createTestDatabase(t);
  const boss = createBoss(db.url, { supervise: false, schedule: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  t.teardown(() => boss.stop({ graceful: false }));
  await boss.createQueue('health-test', { retryLimit: 0 });
  await boss.send('health-test', { n: 1 });
  await boss.send('health-test', { n: 2 });
  await boss.send('health-test', { n: 3 }, { startAfter: 3600 });
  const [job] = await boss.fetch('health-test');
  await boss.fail('health-test', job!.id, { reason: 'test' });

  const row = await db.pool.one(sql.unsafe`select * from dialer.queue_health where queue = 'health-test'`);
  t.match(row, { ready: 1, deferred: 1, retry: 0, active: 0, completed: 0, failed: 1, failed_last_hour: 1 });
  t.ok(row.oldest_ready_seconds >= 0 && row.oldest_ready_seconds < 60, 'the oldest ready job waited seconds');
  t.ok(Date.parse(row.next_start_after) > Date.now() + 3500_000, 'the deferred job starts in an hour');
  const later = await db.pool.one(sql.unsafe`select * from dialer.queue_health_at(now() + interval '2 hours') where queue = 'health-test'`);
  t.match(later, { ready: 2, deferred: 0, failed_last_hour: 0 }, 'at another instant: the deferred job is ready, the failure is old');
});

t.test('GET /v1/scheduler/status: the tenant\'s numbers, its active campaigns, the queues', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  await db.pool.query(sql.unsafe`update dialer.tenants set concurrency_limit = 7, contact_hours_start = '00:00', contact_hours_end = '00:00', disabled_rules = '{us-federal.tcpa}' where id = ${tenant.id}`);
  // An always-open active campaign with one call due, and another tenant's due call.
  const campaign = await db.pool.oneFirst(sql.unsafe`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, days, status)
    values (${tenant.id}, 'Always', 'a', 'p', 'UTC', '00:00', '00:00', '{1,2,3,4,5,6,7}', 'active') returning id`);
  await db.pool.query(sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end) values (${tenant.id}, 'Draft', 'a', 'p', 'UTC', '09:00', '17:00')`);
  for (const [owner, phone] of [[tenant.id, '+12025550100'], [tenant.id, '+12025550101'], [other.id, '+12025550100']] as const) {
    const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone, time_zone) values (${owner}, ${phone}, 'UTC') returning id`);
    if (owner === tenant.id) await db.pool.query(sql.unsafe`insert into dialer.campaign_contacts (campaign_id, contact_id) values (${campaign}, ${contact})`);
    await db.pool.query(sql.unsafe`
      insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, due_at, status, dial_started_at)
      values (${owner}, ${owner === tenant.id ? campaign : null}, ${contact}, ${phone}, 'a', 'p', now() - interval '1 minute',
              ${phone.endsWith('01') ? 'in_progress' : 'scheduled'}, ${phone.endsWith('01') ? sql.fragment`now()` : null})`);
  }
  const response = await request(`${api.url}/v1/scheduler/status`, { headers: tenant.headers() });
  t.equal(response.status, 200);
  t.match(response.body, { now: String, dueNow: 1, inFlight: 1, concurrencyLimit: 7 });
  t.ok(response.body.nextWakeAt === null || typeof response.body.nextWakeAt === 'string');
  t.same(response.body.campaigns.map((c: { name: string }) => c.name), ['Always'], 'active and paused campaigns only, only its own');
  t.match(response.body.campaigns[0], { id: campaign, status: 'active', due: 1, waiting: 0, inFlight: 1 });
  t.ok(Array.isArray(response.body.queues));
  for (const queue of response.body.queues) t.match(queue, { name: String, ready: Number, failed: Number, failedLastHour: Number });
  t.equal((await request(`${api.url}/v1/scheduler/status`)).status, 401);
});

t.test('GET /v1/scheduler/status: the worker, as this process knows it or, apart, as SQL says (next_wake_at)', async (t) => {
  const db = await createTestDatabase(t);
  const tenant = await createTestTenant(db.pool);
  const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone, time_zone) values (${tenant.id}, '+12025550177', 'UTC') returning id`);
  const dueAt = '2099-01-01T10:00:00.000Z';
  await db.pool.query(sql.unsafe`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at)
    values (${tenant.id}, ${contact}, '+12025550177', 'a', 'p', ${dueAt}::timestamptz)`);
  const apart = await startTestApi(t, { pool: db.pool });
  const external = await request(`${apart.url}/v1/scheduler/status`, { headers: tenant.headers() });
  t.same(external.body.worker, { state: 'external', nextWakeAt: dueAt }, 'apart: the next wake-up from SQL');
  const inProcess = await startTestApi(t, {
    pool: db.pool,
    workerState: () => ({ state: 'asleep', since: '2098-12-31T23:00:00.000Z', until: dueAt, nextWakeAt: dueAt }),
  });
  const local = await request(`${inProcess.url}/v1/scheduler/status`, { headers: tenant.headers() });
  t.same(local.body.worker, { state: 'asleep', since: '2098-12-31T23:00:00.000Z', until: dueAt, nextWakeAt: dueAt });
});
