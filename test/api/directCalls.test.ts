import t, { type Test } from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { manualClock } from '../../server/clock.js';

// 10:00 in Washington DC (202): inside the default calling hours 08:00–21:00.
const now = new Date('2026-11-23T15:00:00.000Z');
const target = { assistantId: 'asst_1', phoneNumberId: 'pn_1' };

async function setup(t: Test) {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool, clock: manualClock(now) });
  const tenant = await createTestTenant(db.pool);
  const post = (json: unknown, as = tenant) => request(`${api.url}/v1/calls`, { headers: as.headers(), json });
  return { db, api, tenant, post };
}

t.test('POST /v1/calls to a number: creates the contact, schedules a direct call the SQL gate lets through, wakes the worker', async (t) => {
  const { db, post } = await setup(t);
  const wakes: string[] = [];
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.teardown(() => client.end());
  client.on('notification', (message) => wakes.push(message.payload ?? ''));
  await client.query('listen dialer_wake');

  const created = await post({ phone: '(202) 555-0142', ...target, variables: { name: 'Ada' } });
  t.equal(created.status, 201);
  t.match(created.body, {
    id: String, campaignId: null, phone: '+12025550142', status: 'scheduled', dueAt: now.toISOString(), attempt: 1,
    occurrence: 'once', assistantId: 'asst_1', phoneNumberId: 'pn_1', variables: { name: 'Ada' }, events: [],
  });
  const contact = await db.pool.one(sql.unsafe`select id, time_zone, time_zone_source from dialer.contacts where phone = '+12025550142'`);
  t.same(contact, { id: created.body.contactId, time_zone: 'America/New_York', time_zone_source: 'area_code' });
  const due = await db.pool.anyFirst(sql.unsafe`select id from dialer.due_calls(${now.toISOString()}::timestamptz)`);
  t.same(due, [created.body.id], 'due now through the same gate as campaign calls');
  const night = await db.pool.anyFirst(sql.unsafe`select id from dialer.due_calls('2026-11-24T03:00:00Z')`);
  t.same(night, [], 'but not at 22:00 in the contact\'s zone');

  const again = await post({ phone: '+1 202 555 0142', ...target });
  t.equal(again.status, 409, 'a second direct call while the first is pending');
  t.equal(again.body.error.code, 'state_conflict');
  const end = (id: string) => db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered', ended_reason = 'customer-ended-call' where id = ${id}`);
  await end(created.body.id);
  const byPhone = await post({ phone: '+1 202 555 0142', ...target });
  t.equal(byPhone.status, 201, 'once it has ended, another may be placed');
  t.equal(byPhone.body.contactId, created.body.contactId, 'the same contact');
  await end(byPhone.body.id);
  const byId = await post({ contactId: created.body.contactId, ...target, at: '2026-11-25T14:00:00Z' });
  t.equal(byId.status, 201);
  t.equal(byId.body.dueAt, '2026-11-25T14:00:00.000Z', 'not before `at`');
  await end(byId.body.id);
  const past = await post({ contactId: created.body.contactId, ...target, at: '2020-01-01T00:00:00Z' });
  t.equal(past.body.dueAt, now.toISOString(), 'an instant in the past means now');
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.audit_log where entity = 'call'`), 4);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(wakes, ['direct_call', 'direct_call', 'direct_call', 'direct_call'], 'the refused one woke nobody');
});

t.test('POST /v1/calls refusals: do-not-call (422), validation (400), another tenant\'s contact (404), 415', async (t) => {
  const { db, api, tenant, post } = await setup(t);
  await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${tenant.id}, '+12025550142')`);
  const dnc = await post({ phone: '202-555-0142', ...target });
  t.equal(dnc.status, 422);
  t.equal(dnc.body.error.code, 'business_rule');
  const invalid = await post({ phone: '12', ...target });
  t.equal(invalid.status, 400);
  t.same(invalid.body.error.details, [{ path: 'phone', message: '"12" is not a valid phone number' }]);
  const neither = await post({ ...target });
  t.equal(neither.status, 400);
  t.equal(neither.body.error.details[0].path, 'phone');
  const both = await post({ phone: '+12025550100', contactId: '00000000-0000-4000-8000-000000000000', ...target });
  t.equal(both.status, 400);
  const missing = await post({ phone: '+12025550100', at: 'tomorrow' });
  t.same(missing.body.error.details.map((d: { path: string }) => d.path).sort(), ['assistantId', 'at', 'phoneNumberId']);
  const other = await createTestTenant(db.pool);
  const theirContact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${other.id}, '+13125550100') returning id`);
  const foreign = await post({ contactId: theirContact, ...target });
  t.equal(foreign.status, 404);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.calls`), 0, 'nothing scheduled');
  const text = await request(`${api.url}/v1/calls`, { headers: { ...tenant.headers(), 'content-type': 'text/plain' }, body: 'call me' });
  t.equal(text.status, 415);
  t.equal((await request(`${api.url}/v1/calls`, { json: { phone: '+12025550100', ...target } })).status, 401);
});

t.test('POST /v1/calls twice at once (a client retrying): one call, one 409', async (t) => {
  const { db, post } = await setup(t);
  const answers = await Promise.all([post({ phone: '+13125550100', ...target }), post({ phone: '(312) 555-0100', ...target }), post({ phone: '312-555-0100', ...target })]);
  t.same(answers.map((a) => a.status).sort(), [201, 409, 409]);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.calls`), 1);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.contacts`), 1);
});
