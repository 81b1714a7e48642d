// Where each do-not-call entry came from, over HTTP: GET /v1/dnc shows source and sourceCallId for
// every path onto the list (api, import, in-call, admin) and filters by source; the tenant's
// opt-out settings (PUT/GET /v1/settings optOut) are partial, validated and audited.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

t.test('GET /v1/dnc: every source, with the call of an in-call opt-out; ?source= filters', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenant.id}, '+12025550141') returning id`);
  const call = await db.pool.oneFirst(sql.unsafe`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, status, due_at, dial_started_at)
    values (${tenant.id}, ${contact}, '+12025550141', 'a', 'p', 'in_progress', now(), now()) returning id`);

  const added = await request(`${api.url}/v1/dnc`, { headers: tenant.headers(), json: { phone: '202-555-0140', reason: 'asked by email' } });
  t.equal(added.status, 201);
  t.match(added.body, { phone: '+12025550140', source: 'api', sourceCallId: null, reason: 'asked by email', cancelledCalls: 0 });
  await db.pool.query(sql.unsafe`select dialer.opt_out(${tenant.id}, '+12025550141', 'in-call', ${call}, now() + interval '1 second', 'said stop')`);
  await db.pool.query(sql.unsafe`select dialer.opt_out(${tenant.id}, '+12025550142', 'import', null, now() + interval '2 seconds')`);
  await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone, created_at) values (${tenant.id}, '+12025550143', now() + interval '3 seconds')`);

  const list = await request(`${api.url}/v1/dnc`, { headers: tenant.headers() });
  t.equal(list.status, 200);
  t.same(list.body.items.map((item: any) => [item.phone, item.source, item.sourceCallId]), [
    ['+12025550143', 'admin', null],
    ['+12025550142', 'import', null],
    ['+12025550141', 'in-call', call],
    ['+12025550140', 'api', null],
  ]);
  t.ok(list.body.items.every((item: any) => typeof item.createdAt === 'string'), 'when, for each');
  const inCall = await request(`${api.url}/v1/dnc?source=in-call`, { headers: tenant.headers() });
  t.same(inCall.body.items.map((item: any) => item.phone), ['+12025550141']);
  t.match(inCall.body.items[0], { reason: 'said stop', sourceCallId: call });
  const bad = await request(`${api.url}/v1/dnc?source=web`, { headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.details[0].path, 'source');
});

t.test('settings optOut: default field optOut and no tool; partial updates; null turns a test off; validation', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const url = `${api.url}/v1/settings`;
  const put = (json: unknown) => request(url, { method: 'PUT', headers: tenant.headers(), json });

  t.same((await request(url, { headers: tenant.headers() })).body.optOut, { structuredDataField: 'optOut', toolName: null });
  const tool = await put({ optOut: { toolName: 'opt_out-now' } });
  t.equal(tool.status, 200);
  t.same(tool.body.optOut, { structuredDataField: 'optOut', toolName: 'opt_out-now' }, 'the field left out is kept');
  const field = await put({ optOut: { structuredDataField: 'compliance.stop' }, concurrencyLimit: 5 });
  t.same(field.body.optOut, { structuredDataField: 'compliance.stop', toolName: 'opt_out-now' });
  const off = await put({ optOut: { structuredDataField: null, toolName: null } });
  t.same(off.body.optOut, { structuredDataField: null, toolName: null });
  t.same(await db.pool.one(sql.unsafe`select opt_out_structured_data_field, opt_out_tool_name from dialer.tenants where id = ${tenant.id}`),
    { opt_out_structured_data_field: null, opt_out_tool_name: null });
  const audited = await db.pool.anyFirst(sql.unsafe`select details -> 'optOut' from dialer.audit_log where entity = 'settings' order by id`);
  t.same(audited, [{ toolName: 'opt_out-now' }, { structuredDataField: 'compliance.stop' }, { structuredDataField: null, toolName: null }]);

  const invalid = await put({ optOut: { toolName: 'opt out!', structuredDataField: '', extra: 1 } });
  t.equal(invalid.status, 400);
  t.same(invalid.body.error.details.map((d: { path: string }) => d.path).sort(), ['optOut', 'optOut.structuredDataField', 'optOut.toolName'], 'the unknown key is named at its object');
  t.equal((await put({ optOut: { toolName: 'x'.repeat(65) } })).status, 400, 'VAPI allows 64 characters');
  t.same((await request(url, { headers: tenant.headers() })).body.optOut, { structuredDataField: null, toolName: null }, 'a refused change changes nothing');
});
