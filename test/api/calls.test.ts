import t, { type Test } from 'tap';
import { sql, type DatabasePool } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant, type TestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

async function seedContact(pool: DatabasePool, tenant: TestTenant, phone: string, name: string | null) {
  return pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone, name) values (${tenant.id}, ${phone}, ${name}) returning id`) as Promise<string>;
}

async function seedCall(pool: DatabasePool, tenant: TestTenant, contact: string, phone: string, createdAt: string, extra: { campaign?: string | null; status?: string; outcome?: string | null; attempt?: number } = {}) {
  const status = extra.status ?? (extra.outcome ? 'ended' : 'scheduled');
  return pool.oneFirst(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, status, outcome, attempt, due_at, created_at, cost)
    values (${tenant.id}, ${extra.campaign ?? null}, ${contact}, ${phone}, 'asst', 'pn', ${status}, ${extra.outcome ?? null}, ${extra.attempt ?? 1},
            ${createdAt}::timestamptz, ${createdAt}::timestamptz, ${extra.outcome ? 0.1 : null})
    returning id`) as Promise<string>;
}

async function setup(t: Test) {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const campaign = await db.pool.oneFirst(sql.unsafe`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
    values (${tenant.id}, 'Spring', 'a', 'p', 'UTC', '09:00', '17:00') returning id`) as string;
  const ada = await seedContact(db.pool, tenant, '+12025550101', 'Ada Lovelace');
  const bob = await seedContact(db.pool, tenant, '+13125550102', 'Bob, "the builder"');
  const eve = await seedContact(db.pool, tenant, '+14155550103', '=HYPERLINK("x")');
  const theirs = await seedContact(db.pool, other, '+12025550101', 'Ada Lovelace');
  const ids = {
    c1: await seedCall(db.pool, tenant, ada, '+12025550101', '2026-11-20T10:00:00Z', { campaign, outcome: 'answered' }),
    c2: await seedCall(db.pool, tenant, bob, '+13125550102', '2026-11-20T11:00:00Z', { campaign, outcome: 'busy' }),
    c3: await seedCall(db.pool, tenant, ada, '+12025550101', '2026-11-21T09:00:00Z', { outcome: 'no_answer' }),
    c4: await seedCall(db.pool, tenant, eve, '+14155550103', '2026-11-21T10:00:00Z'),
    c5: await seedCall(db.pool, tenant, bob, '+13125550102', '2026-11-22T10:00:00Z', { campaign, status: 'cancelled', attempt: 2 }),
    theirs: await seedCall(db.pool, other, theirs, '+12025550101', '2026-11-21T12:00:00Z', { outcome: 'answered' }),
  };
  const list = async (query: string, as: TestTenant = tenant) => request(`${api.url}/v1/calls?${query}`, { headers: as.headers() });
  return { db, api, tenant, other, campaign, contacts: { ada, bob, eve }, ids, list };
}

t.test('GET /v1/calls: newest first, each filter, keyset pages, only the tenant\'s', async (t) => {
  const { ids, list, campaign, contacts } = await setup(t);
  const idsOf = (body: { items: { id: string }[] }) => body.items.map((call) => call.id);
  const all = await list('');
  t.equal(all.status, 200);
  t.same(idsOf(all.body), [ids.c5, ids.c4, ids.c3, ids.c2, ids.c1], 'newest first; not the other tenant\'s');
  t.match(all.body.items[4], { campaignId: campaign, campaignName: 'Spring', contactName: 'Ada Lovelace', phone: '+12025550101', status: 'ended', outcome: 'answered', cost: 0.1 });
  t.equal(all.body.nextCursor, null);

  t.same(idsOf((await list(`campaignId=${campaign}`)).body), [ids.c5, ids.c2, ids.c1]);
  t.same(idsOf((await list(`contactId=${contacts.ada}`)).body), [ids.c3, ids.c1]);
  t.same(idsOf((await list('status=scheduled,cancelled')).body), [ids.c5, ids.c4]);
  t.same(idsOf((await list('outcome=busy,no_answer')).body), [ids.c3, ids.c2]);
  t.same(idsOf((await list('from=2026-11-21T00:00:00Z&to=2026-11-21T10:00:00Z')).body), [ids.c3], 'from inclusive, to exclusive');
  t.same(idsOf((await list('q=lovelace')).body), [ids.c3, ids.c1], 'by name, any case');
  t.same(idsOf((await list(`q=${encodeURIComponent('(312) 555')}`)).body), [ids.c5, ids.c2], 'by phone digits');
  t.same(idsOf((await list('q=%25')).body), [], 'LIKE wildcards are literal');

  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const response: any = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    pages.push(idsOf(response.body));
    cursor = response.body.nextCursor;
  } while (cursor && pages.length < 10);
  t.same(pages, [[ids.c5, ids.c4], [ids.c3, ids.c2], [ids.c1]]);
});

t.test('GET /v1/calls pages through calls created in the same microsecond without losing one', async (t) => {
  const { db, tenant, contacts, list } = await setup(t);
  const bulk = await db.pool.anyFirst(sql.unsafe`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at, created_at)
    select ${tenant.id}, ${contacts.eve}, '+14155550103', 'a', 'p', now(), timestamptz '2026-12-01 00:00:00.123456+00'
    from generate_series(1, 7) returning id`);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const response: any = await list(`contactId=${contacts.eve}&from=2026-12-01T00:00:00Z&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...response.body.items.map((call: { id: string }) => call.id));
    cursor = response.body.nextCursor;
  } while (cursor && seen.length < 20);
  t.same([...seen].sort(), [...bulk].sort(), 'all 7, each once');
});

t.test('GET /v1/calls: invalid filters are 400 with details; auth', async (t) => {
  const { list, api } = await setup(t);
  const bad = await list('status=bogus&outcome=answered,maybe&from=yesterday&limit=501&campaignId=x');
  t.equal(bad.status, 400);
  const paths = bad.body.error.details.map((d: { path: string }) => d.path).sort();
  t.same(paths, ['campaignId', 'from', 'limit', 'outcome.1', 'status.0']);
  t.equal((await request(`${api.url}/v1/calls`)).status, 401);
  t.equal((await request(`${api.url}/v1/calls.csv`, { headers: { authorization: 'Bearer pgd_x' } })).status, 401);
});

t.test('GET /v1/calls/:id: the call with its event timeline; another tenant\'s is 404', async (t) => {
  const { db, api, tenant, other, ids } = await setup(t);
  await db.pool.query(sql.unsafe`
    update dialer.calls set transcript = 'AI: Hello', recording_url = 'https://example.com/r.wav', summary = 'Said hi',
           vapi_call_id = 'vapi-1', ended_reason = 'customer-ended-call', variables = '{"offer":"gold"}'
    where id = ${ids.c1}`);
  for (const [i, type] of ['status-update', 'end-of-call-report'].entries()) {
    await db.pool.query(sql.unsafe`
      insert into dialer.call_events (tenant_id, call_id, vapi_call_id, type, status, body_sha256, payload, applied_at)
      values (${tenant.id}, ${ids.c1}, 'vapi-1', ${type}, ${i === 0 ? 'ringing' : null}, ${sql.binary(Buffer.alloc(32, i))}, '{}', now())`);
  }
  const response = await request(`${api.url}/v1/calls/${ids.c1}`, { headers: tenant.headers() });
  t.equal(response.status, 200);
  t.match(response.body, {
    id: ids.c1, transcript: 'AI: Hello', recordingUrl: 'https://example.com/r.wav', summary: 'Said hi', cost: 0.1,
    endedReason: 'customer-ended-call', vapiCallId: 'vapi-1', variables: { offer: 'gold' }, assistantId: 'asst',
  });
  t.same(response.body.events.map((e: { type: string; status: string | null }) => [e.type, e.status]), [['status-update', 'ringing'], ['end-of-call-report', null]]);
  const foreign = await request(`${api.url}/v1/calls/${ids.c1}`, { headers: other.headers() });
  t.equal(foreign.status, 404);
  t.notOk(JSON.stringify(foreign.body).includes('Hello'));
  t.equal((await request(`${api.url}/v1/calls/${ids.theirs}`, { headers: tenant.headers() })).status, 404);
  t.equal((await request(`${api.url}/v1/calls/123`, { headers: tenant.headers() })).status, 400);
});

t.test('GET /v1/calls.csv: same filters, quoting, formula guard, every row across batches', async (t) => {
  const { db, api, tenant, contacts, ids } = await setup(t);
  const csv = await request(`${api.url}/v1/calls.csv?contactId=${contacts.bob}`, { headers: tenant.headers() });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = (csv.body as string).trimEnd().split('\r\n');
  t.match(lines[0], /^id,created_at,campaign_id,campaign_name,contact_id,contact_name,phone,status,outcome/);
  t.equal(lines.length, 3);
  t.match(lines[1], new RegExp(`^${ids.c5},.*,"Bob, ""the builder""",\\+13125550102,cancelled,`));
  const eve = await request(`${api.url}/v1/calls.csv?contactId=${contacts.eve}`, { headers: tenant.headers() });
  t.match(eve.body, /,"'=HYPERLINK\(""x""\)",\+14155550103,/, 'a formula-looking name is defused; the phone is not');

  // 2,500 more calls created by one statement (one created_at, to the microsecond): the export
  // reads in batches of 1,000 and must neither lose nor repeat one.
  await db.pool.query(sql.unsafe`
    insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at, created_at)
    select ${tenant.id}, ${contacts.ada}, '+12025550101', 'a', 'p', now(), timestamptz '2026-01-01 00:00:00.123456+00'
    from generate_series(1, 2500) i`);
  const big = await request(`${api.url}/v1/calls.csv?contactId=${contacts.ada}`, { headers: tenant.headers() });
  const rows = (big.body as string).trimEnd().split('\r\n').slice(1);
  t.equal(rows.length, 2502);
  t.equal(new Set(rows.map((row) => row.split(',')[0])).size, 2502, 'no call twice');
  const bad = await request(`${api.url}/v1/calls.csv?status=nope`, { headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'validation_error');
});
