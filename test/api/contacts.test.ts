import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { manualClock } from '../../server/clock.js';

async function setup(t: Test) {
  const db = await createTestDatabase(t);
  const clock = manualClock(new Date('2026-11-23T14:00:00Z'));
  const api = await startTestApi(t, { pool: db.pool, clock });
  const tenant = await createTestTenant(db.pool);
  const call = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${api.url}/v1${path}`, { ...init, headers: { ...tenant.headers(), ...init.headers } });
  return { db, api, tenant, clock, call };
}

t.test('create a contact: E.164, zone from the area code or given, 409 on the same number', async (t) => {
  const { call } = await setup(t);
  const created = await call('/contacts', { json: { phone: '(850) 555-0100', name: 'Frank', attributes: { plan: 'gold' } } });
  t.equal(created.status, 201);
  t.match(created.body, {
    phone: '+18505550100',
    name: 'Frank',
    timeZone: null,
    timeZoneSource: 'area_code',
    possibleTimeZones: ['America/New_York', 'America/Chicago'],
    attributes: { plan: 'gold' },
    createdAt: '2026-11-23T14:00:00.000Z',
  });
  t.equal(created.headers.get('location'), `/v1/contacts/${created.body.id}`);

  const manual = await call('/contacts', { json: { phone: '020 7946 0958', defaultRegion: 'GB', timeZone: 'europe/london' } });
  t.match(manual.body, { phone: '+442079460958', timeZone: 'Europe/London', timeZoneSource: 'manual', possibleTimeZones: [] });

  const again = await call('/contacts', { json: { phone: '+1 850 555 0100' } });
  t.equal(again.status, 409);

  for (const json of [{ phone: 'nope' }, { phone: '+12125550100', timeZone: 'Mars/Olympus' }, { phone: '+12125550100', extra: 1 }, {}]) {
    const bad = await call('/contacts', { json });
    t.equal(bad.status, 400, JSON.stringify(json));
    t.equal(bad.body.error.code, 'validation_error');
  }
  const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
  t.equal((await call('/contacts', { json: { phone: '+12125550100', attributes: tooMany } })).status, 400);
});

t.test('list and search, paginated by phone', async (t) => {
  const { call } = await setup(t);
  for (const [phone, name] of [['+12125550101', 'Ada Lovelace'], ['+12125550102', 'Grace Hopper'], ['+13125550103', 'Alan Turing'], ['+442079460958', 'Ada Byron']]) {
    t.equal((await call('/contacts', { json: { phone, name } })).status, 201);
  }
  const first = await call('/contacts?limit=3');
  t.same(first.body.items.map((c: { phone: string }) => c.phone), ['+12125550101', '+12125550102', '+13125550103']);
  const second = await call(`/contacts?limit=3&cursor=${first.body.nextCursor}`);
  t.same(second.body.items.map((c: { phone: string }) => c.phone), ['+442079460958']);
  t.equal(second.body.nextCursor, null);

  const byName = await call('/contacts?q=ada');
  t.same(byName.body.items.map((c: { name: string }) => c.name), ['Ada Lovelace', 'Ada Byron']);
  const byPhone = await call(`/contacts?q=${encodeURIComponent('(312) 555')}`);
  t.same(byPhone.body.items.map((c: { name: string }) => c.name), ['Alan Turing']);
  const wildcard = await call('/contacts?q=%25');
  t.same(wildcard.body.items, [], 'a % in q is a literal character');
  t.equal((await call('/contacts?cursor=garbage')).status, 400);
});

t.test('read and edit; the zone set by hand can be dropped to infer it again', async (t) => {
  const { call, clock } = await setup(t);
  const { body: created } = await call('/contacts', { json: { phone: '+12125550100', name: 'Ada' } });
  t.match((await call(`/contacts/${created.id}`)).body, { id: created.id, timeZone: 'America/New_York', timeZoneSource: 'area_code' });

  clock.advance(60_000);
  const edited = await call(`/contacts/${created.id}`, { method: 'PATCH', json: { name: 'Ada L.', timeZone: 'America/Chicago' } });
  t.equal(edited.status, 200);
  t.match(edited.body, { name: 'Ada L.', timeZone: 'America/Chicago', timeZoneSource: 'manual', attributes: {}, updatedAt: '2026-11-23T14:01:00.000Z' });

  const reset = await call(`/contacts/${created.id}`, { method: 'PATCH', json: { timeZone: null, attributes: { vip: true } } });
  t.match(reset.body, { name: 'Ada L.', timeZone: 'America/New_York', timeZoneSource: 'area_code', attributes: { vip: true } });

  t.equal((await call(`/contacts/${created.id}`, { method: 'PATCH', json: { phone: '+13125550100' } })).status, 400, 'the phone is not editable');
  t.equal((await call(`/contacts/${created.id}`, { method: 'PATCH', json: { timeZone: 'Nowhere/Land' } })).status, 400);
});

t.test("another tenant's contact is a 404 everywhere", async (t) => {
  const { db, api, call } = await setup(t);
  const other = await createTestTenant(db.pool);
  const theirs = await request(`${api.url}/v1/contacts`, { json: { phone: '+12125550100' }, headers: other.headers() });
  t.equal(theirs.status, 201);
  t.equal((await call(`/contacts/${theirs.body.id}`)).status, 404);
  t.equal((await call(`/contacts/${theirs.body.id}`, { method: 'PATCH', json: { name: 'x' } })).status, 404);
  t.equal((await call(`/contacts/${theirs.body.id}`, { method: 'DELETE' })).status, 404);
  t.same((await call('/contacts')).body.items, []);
  t.equal((await call('/contacts', { json: { phone: '+12125550100' } })).status, 201, 'the same number is a separate contact of this tenant');
});

t.test('delete is soft, cancels scheduled calls, and creating the number again restores the contact', async (t) => {
  const { db, tenant, call } = await setup(t);
  const { body: created } = await call('/contacts', { json: { phone: '+12125550100', name: 'Ada' } });
  const callRow = z.object({ id: z.string(), status: z.string() });
  const insertCall = (status: string, attempt: number) => db.pool.one(sql.type(callRow)`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, status, outcome, attempt, due_at)
    values (${tenant.id}, ${created.id}, '+12125550100', 'asst', 'pn', ${status}, ${status === 'ended' ? 'answered' : null}, ${attempt}, now())
    returning id, status`);
  const scheduled = await insertCall('scheduled', 1);
  const ended = await insertCall('ended', 2);

  const deleted = await call(`/contacts/${created.id}`, { method: 'DELETE' });
  t.equal(deleted.status, 204);
  t.equal((await call(`/contacts/${created.id}`)).status, 404);
  t.equal((await call(`/contacts/${created.id}`, { method: 'DELETE' })).status, 404);
  t.same((await call('/contacts')).body.items, []);
  const calls = await db.pool.any(sql.type(callRow)`select id, status from dialer.calls order by attempt`);
  t.same(calls, [{ id: scheduled.id, status: 'cancelled' }, { id: ended.id, status: 'ended' }]);
  const row = await db.pool.one(sql.type(z.object({ deleted_at: z.string().nullable() }))`select deleted_at from dialer.contacts where id = ${created.id}`);
  t.equal(row.deleted_at, '2026-11-23T14:00:00.000Z', 'the row is kept');

  const restored = await call('/contacts', { json: { phone: '+12125550100', name: 'Ada again' } });
  t.equal(restored.status, 201);
  t.match(restored.body, { id: created.id, name: 'Ada again' });
  const audit = await db.pool.anyFirst(sql.type(z.object({ action: z.string() }))`
    select action from dialer.audit_log where entity = 'contact' order by id`);
  t.same(audit, ['create', 'delete', 'create']);
});
