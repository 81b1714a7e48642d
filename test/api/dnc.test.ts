import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

t.test('POST /v1/dnc normalises, cancels only that tenant\'s scheduled calls to the number, is idempotent', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const phone = '+12025550123';
  const callTo = async (owner: typeof tenant, status: string, number = phone) => {
    const contact = await db.pool.oneFirst(sql.unsafe`
      insert into dialer.contacts (tenant_id, phone) values (${owner.id}, ${number})
      on conflict (tenant_id, phone) do update set updated_at = now() returning id`);
    return db.pool.oneFirst(sql.unsafe`
      insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, status, due_at, dial_started_at)
      values (${owner.id}, ${contact}, ${number}, 'a', 'p', ${status}, now(), case when ${status} <> 'scheduled' then now() end) returning id`);
  };
  const scheduled = await callTo(tenant, 'scheduled');
  const live = await callTo(tenant, 'in_progress');
  const otherNumber = await callTo(tenant, 'scheduled', '+12025550199');
  const otherTenant = await callTo(other, 'scheduled');

  const added = await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone: '(202) 555-0123', reason: 'asked' } });
  t.equal(added.status, 201);
  t.match(added.body, { phone, reason: 'asked', createdAt: String, cancelledCalls: 1 });
  const status = async (id: unknown) => db.pool.oneFirst(sql.unsafe`select status from dialer.calls where id = ${id as string}`);
  t.equal(await status(scheduled), 'cancelled');
  t.equal(await status(live), 'in_progress', 'a live call is left to finish');
  t.equal(await status(otherNumber), 'scheduled');
  t.equal(await status(otherTenant), 'scheduled', 'another tenant\'s call to the same number is untouched');

  const again = await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone: '+1 202 555 0123' } });
  t.equal(again.status, 200, 'already listed');
  t.match(again.body, { phone, reason: 'asked', createdAt: added.body.createdAt, cancelledCalls: 0 });
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.dnc`), 1);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.audit_log where entity = 'dnc' and action = 'add'`), 2);
});

t.test('POST /v1/dnc validation', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const invalid = await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone: '555-12' } });
  t.equal(invalid.status, 400);
  t.same(invalid.body.error.details, [{ path: 'phone', message: '"555-12" is not a valid phone number' }]);
  const missing = await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { reason: 'x'.repeat(501) } });
  t.equal(missing.status, 400);
  t.same(missing.body.error.details.map((d: { path: string }) => d.path).sort(), ['phone', 'reason']);
  t.equal((await request(`${api.url}/v1/dnc`, { json: { phone: '+12025550123' } })).status, 401);
  t.equal((await request(`${api.url}/v1/dnc`, { headers: { ...tenant.headers(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'phone=1' })).status, 415);
});

t.test('GET /v1/dnc pages newest first; DELETE /v1/dnc/:phone removes only the tenant\'s entry', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  for (let i = 0; i < 5; i++) {
    await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone, created_at) values (${tenant.id}, ${`+1202555010${i}`}, timestamptz '2026-11-20 10:00:00.123456+00' - make_interval(mins => ${i >= 3 ? 3 : i}))`);
  }
  await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${other.id}, '+12025550100')`);
  const phones: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response: any = await request(`${api.url}/v1/dnc?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: tenant.headers() });
    phones.push(...response.body.items.map((item: { phone: string }) => item.phone));
    cursor = response.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  // The last two share a microsecond: ties are ordered by phone, descending.
  t.same(phones, ['+12025550100', '+12025550101', '+12025550102', '+12025550104', '+12025550103']);
  t.equal(pages, 3);

  const removed = await request(`${api.url}/v1/dnc/${encodeURIComponent('+12025550100')}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(removed.status, 204);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.dnc where phone = '+12025550100'`), 1, 'the other tenant\'s entry stays');
  const national = await request(`${api.url}/v1/dnc/202-555-0101`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(national.status, 204, 'any format');
  t.equal((await request(`${api.url}/v1/dnc/+12025550100`, { method: 'DELETE', headers: tenant.headers() })).status, 404, 'already removed');
  t.equal((await request(`${api.url}/v1/dnc/12`, { method: 'DELETE', headers: tenant.headers() })).status, 400);
});

t.test('concurrent adds of the same number: one row, one 201, the rest 200', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const answers = await Promise.all(
    ['+12025550123', '(202) 555-0123', '202.555.0123', '+1 202 555 0123', '2025550123'].map((phone) =>
      request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone } })),
  );
  t.same(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 201]);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.dnc`), 1);
});
