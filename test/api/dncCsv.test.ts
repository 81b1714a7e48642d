// Do-not-call CSV over HTTP: POST /v1/dnc/import (text/csv and multipart, rows normalised like
// contact imports, bad rows reported with line and code, pending calls cancelled, all or nothing
// on a refused file) and GET /v1/dnc.csv (every entry, in phone order, streamed across batches),
// whose file the import reads back to the same list.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant, type TestTenant } from '../helpers/tenant.js';

const db = await createTestDatabase(t);
const api = await startTestApi(t, { pool: db.pool });

async function importCsv(tenant: TestTenant, body: string | FormData, query = '', contentType = 'text/csv') {
  const response = await fetch(`${api.url}/v1/dnc/import${query}`, {
    method: 'POST',
    headers: { ...tenant.headers(), ...(typeof body === 'string' ? { 'content-type': contentType } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as any };
}
async function exportCsv(tenant: TestTenant, query = '') {
  const response = await fetch(`${api.url}/v1/dnc.csv${query}`, { headers: tenant.headers() });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}
const listed = (tenantId: string) =>
  db.pool.any(sql.unsafe`select phone, reason, source from dialer.dnc where tenant_id = ${tenantId} order by phone`);

t.test('import: normalised numbers listed with source import; bad rows reported by line; counts add up', async (t) => {
  const tenant = await createTestTenant(db.pool);
  await db.pool.query(sql.unsafe`select dialer.opt_out(${tenant.id}, '+12025550103', 'api', null, now(), 'asked on the phone')`);
  const file = [
    'Name;Mobile Number;Notes',
    'Ann;(202) 555-0101;called twice',
    'Bob;;',
    'Cy;555-12;typo',
    '',
    'Di;+1 202 555 0101;again',
    'Ed;202.555.0103;',
    '"Fay";"+44 20 7946 0958";"moved, ""abroad"""',
    'Gus;2025550104;x;extra',
    `Hal;2025550105;${'r'.repeat(501)}`,
    'Ivy;+1 (202) 555-0106',
  ].join('\r\n');
  const answer = await importCsv(tenant, file);
  t.equal(answer.status, 200);
  t.match(answer.body, { rows: 9, added: 3, alreadyListed: 1, duplicates: 1, rejected: 4, cancelledCalls: 0, errorsOmitted: 0 });
  t.same(answer.body.errors, [
    { line: 3, code: 'missing_phone', message: 'the phone is empty' },
    { line: 4, code: 'invalid_phone', message: '"555-12" is not a valid phone number' },
    { line: 9, code: 'too_many_columns', message: '4 fields but the header has 3 columns' },
    { line: 10, code: 'value_too_long', message: 'the reason is longer than 500 characters' },
  ], 'one error per rejected row, at its physical line (the blank line 5 counts)');
  t.same(await listed(tenant.id), [
    { phone: '+12025550101', reason: 'called twice', source: 'import' },
    { phone: '+12025550103', reason: 'asked on the phone', source: 'api' },
    { phone: '+12025550106', reason: null, source: 'import' },
    { phone: '+442079460958', reason: 'moved, "abroad"', source: 'import' },
  ], 'the first listing is kept; a duplicate in the file changes nothing');
  t.equal(answer.body.rows, answer.body.added + answer.body.alreadyListed + answer.body.duplicates + answer.body.rejected);
  const audit = await db.pool.one(sql.unsafe`select action, entity, details from dialer.audit_log where tenant_id = ${tenant.id} and entity = 'dnc' and action = 'import'`);
  t.match(audit.details, { filename: null, rows: 9, added: 3, rejected: 4 });
});

t.test('import cancels the numbers\' pending calls, across campaigns; a duplicate across batches is a duplicate', async (t) => {
  const tenant = await createTestTenant(db.pool);
  const phones = Array.from({ length: 1_500 }, (_, i) => `+1212555${String(1000 + i).padStart(4, '0')}`);
  await db.pool.query(sql.unsafe`
    with contact as (
      insert into dialer.contacts (tenant_id, phone) select ${tenant.id}::uuid, unnest(${sql.array(phones.slice(0, 3), 'text')}) returning id, phone
    )
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at)
    select ${tenant.id}::uuid, id, phone, 'a', 'p', now() from contact`);
  // 1,500 numbers (two batches of the import), the first one again at the end.
  const file = ['phone', ...phones, phones[0]].join('\n');
  const answer = await importCsv(tenant, file);
  t.match(answer.body, { rows: 1_501, added: 1_500, alreadyListed: 0, duplicates: 1, rejected: 0, cancelledCalls: 3 });
  t.same(await db.pool.anyFirst(sql.unsafe`select distinct status from dialer.calls where tenant_id = ${tenant.id}`), ['cancelled']);
});

t.test('multipart upload, a named column, a default region', async (t) => {
  const tenant = await createTestTenant(db.pool);
  const form = new FormData();
  form.append('note', 'a field before the file');
  form.append('file', new Blob(['Tel,Why\n020 7946 0958,moved\n'], { type: 'text/csv' }), 'list.csv');
  const answer = await importCsv(tenant, form, '?phone=tel&reason=why&defaultRegion=GB');
  t.equal(answer.status, 200);
  t.match(answer.body, { rows: 1, added: 1 });
  t.same(await listed(tenant.id), [{ phone: '+442079460958', reason: 'moved', source: 'import' }]);
});

t.test('refused files list nothing', async (t) => {
  const tenant = await createTestTenant(db.pool);
  const noPhone = await importCsv(tenant, 'name,reason\nAnn,x\n');
  t.equal(noPhone.status, 422);
  t.equal(noPhone.body.error.code, 'missing_phone_column');
  t.equal((await importCsv(tenant, 'phone\n2025550101\n', '?phone=mobile')).body.error.code, 'unknown_column');
  const malformed = await importCsv(tenant, 'phone,reason\n2025550101,ok\n2025550102,"unterminated\n');
  t.equal(malformed.status, 422);
  t.equal(malformed.body.error.code, 'malformed_csv');
  t.equal((await importCsv(tenant, '')).body.error.code, 'empty_file');
  t.equal((await importCsv(tenant, '{"phone": 1}', '', 'application/json')).status, 415);
  t.equal((await importCsv(tenant, 'phone\n2025550101\n', '?defaultRegion=XX')).status, 400);
  t.same(await listed(tenant.id), [], 'the good row before the malformed one was rolled back');
});

t.test('export: every entry in phone order across batches, user text protected; the import reads it back', async (t) => {
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const phones = Array.from({ length: 2_345 }, (_, i) => `+1303555${String(i).padStart(4, '0')}`);
  await db.pool.query(sql.unsafe`
    insert into dialer.dnc (tenant_id, phone, reason, source)
    select ${tenant.id}::uuid, phone, case when n % 3 = 0 then 'reason ' || n end, case when n % 2 = 0 then 'api' else 'import' end
    from unnest(${sql.array(phones, 'text')}) with ordinality as row (phone, n)`);
  await db.pool.query(sql.unsafe`
    insert into dialer.dnc (tenant_id, phone, reason, source) values
      (${tenant.id}, '+12025550199', '=HYPERLINK("x"), then a comma', 'api'),
      (${tenant.id}, '+12025550198', 'line one
line two', 'admin'),
      (${other.id}, '+12025550197', 'not yours', 'api')`);

  const exported = await exportCsv(tenant);
  t.equal(exported.status, 200);
  t.match(exported.type, /^text\/csv/);
  const lines = exported.text.split('\r\n');
  t.equal(lines[0], 'phone,reason,source,source_call_id,created_at');
  t.equal(lines[1]!.split(',')[0], '+12025550198', 'phone order');
  t.match(lines[1], /^\+12025550198,"line one\nline two",admin,,\d{4}-/);
  t.match(lines[2], /^\+12025550199,"'=HYPERLINK\(""x""\), then a comma",api,,/, 'a formula is prefixed and quoted');
  t.equal(lines.length, 2_347 + 2, 'header, every entry once, and the final line break');
  t.notOk(exported.text.includes('+12025550197'), 'only the tenant\'s own');
  const adminOnly = await exportCsv(tenant, '?source=admin');
  t.equal(adminOnly.text.split('\r\n').length, 3);

  const before = await listed(tenant.id);
  const copy = await createTestTenant(db.pool);
  const reimported = await importCsv(copy, exported.text);
  t.match(reimported.body, { rows: 2_347, added: 2_347, rejected: 0 });
  t.same((await listed(copy.id)).map(({ phone, reason }) => ({ phone, reason })), before.map(({ phone, reason }) => ({ phone, reason })),
    'the same numbers with the same reasons, the formula prefix taken off again');
  t.ok((await listed(copy.id)).every((row) => row.source === 'import'));
});

t.test('a body over IMPORT_MAX_BYTES is a 413 and lists nothing, even streamed without a length past a written batch', async (t) => {
  const { loadConfig } = await import('../../server/config.js');
  const small = await startTestApi(t, {
    pool: db.pool,
    config: loadConfig({ APP_SECRET: 'test-secret-'.padEnd(40, 'x'), ADMIN_TOKEN: 'test-admin-token-123', IMPORT_MAX_BYTES: '20000' }),
  });
  const tenant = await createTestTenant(db.pool);
  // 1,600 rows of 13 bytes: the first batch of 1,000 is written before the body passes 20,000 bytes.
  const lines = ['phone', ...Array.from({ length: 1_600 }, (_, i) => `+1720555${String(i).padStart(4, '0')}`)];
  const declared = await fetch(`${small.url}/v1/dnc/import`, { method: 'POST', headers: { ...tenant.headers(), 'content-type': 'text/csv' }, body: lines.join('\n') });
  t.equal(declared.status, 413, 'refused by its Content-Length');
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= lines.length) return controller.close();
      controller.enqueue(new TextEncoder().encode(lines.slice(next, next + 50).join('\n') + '\n'));
      next += 50;
    },
  });
  const chunked = await fetch(`${small.url}/v1/dnc/import`, {
    method: 'POST',
    headers: { ...tenant.headers(), 'content-type': 'text/csv' },
    body,
    duplex: 'half',
  } as RequestInit);
  t.equal(chunked.status, 413, 'cut off while streaming');
  t.match(await chunked.json(), { error: { code: 'payload_too_large' } });
  t.same(await listed(tenant.id), [], 'the batch already written was rolled back');
});
