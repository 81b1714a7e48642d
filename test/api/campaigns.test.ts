import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant, type TestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

const campaign = (overrides: Record<string, unknown> = {}) => ({
  name: 'Renewals',
  assistantId: 'asst_1',
  phoneNumberId: 'pn_1',
  timeZone: 'America/New_York',
  window: { start: '09:00', end: '17:00' },
  ...overrides,
});

async function setup(t: Test) {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const create = async (as: TestTenant = tenant, overrides: Record<string, unknown> = {}) => {
    const response = await request(`${api.url}/v1/campaigns`, { headers: as.headers(), json: campaign(overrides) });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body;
  };
  return { db, api, tenant, create };
}

t.test('POST /v1/campaigns creates a draft with defaults, and audits it', async (t) => {
  const { db, api, tenant } = await setup(t);
  const response = await request(`${api.url}/v1/campaigns`, { headers: tenant.headers(), json: campaign() });
  t.equal(response.status, 201);
  t.match(response.body, {
    id: String, name: 'Renewals', assistantId: 'asst_1', phoneNumberId: 'pn_1', timeZone: 'America/New_York',
    window: { start: '09:00', end: '17:00' }, days: [1, 2, 3, 4, 5], frequency: 'once', maxAttempts: 3,
    retryDelayMinutes: 60, retryOutcomes: ['no_answer', 'busy', 'voicemail', 'failed'], maxConcurrency: 5,
    startsOn: null, endsOn: null, blackoutDates: [], variables: {}, status: 'draft', startedAt: null,
  });
  const audit = await db.pool.one(sql.unsafe`select actor, action, entity, entity_id from dialer.audit_log where entity = 'campaign'`);
  t.same(audit, { actor: `api_key:${tenant.apiKeyId}`, action: 'create', entity: 'campaign', entity_id: response.body.id });
});

t.test('POST /v1/campaigns maps every field, per-outcome retry delays included', async (t) => {
  const { db, api, tenant } = await setup(t);
  const response = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: campaign({
      timeZone: 'Europe/Paris', window: { start: '22:00', end: '02:00' }, days: [7, 6], frequency: 'weekly', maxAttempts: 5,
      retryDelayMinutes: { busy: 10, voicemail: 240 }, retryOutcomes: ['busy', 'voicemail'], maxConcurrency: 2,
      startsOn: '2026-12-01', endsOn: '2026-12-31', blackoutDates: ['2026-12-25', '2026-12-24'], variables: { offer: 'gold' },
    }),
  });
  t.equal(response.status, 201);
  t.match(response.body, {
    window: { start: '22:00', end: '02:00' }, days: [6, 7], frequency: 'weekly', maxAttempts: 5,
    retryDelayMinutes: { no_answer: 60, busy: 10, voicemail: 240, failed: 60 }, retryOutcomes: ['busy', 'voicemail'],
    startsOn: '2026-12-01', endsOn: '2026-12-31', blackoutDates: ['2026-12-24', '2026-12-25'], variables: { offer: 'gold' },
  });
  const row = await db.pool.one(sql.unsafe`select retry_delay_minutes, retry_delays, window_end::text from dialer.campaigns where id = ${response.body.id}`);
  t.same(row, { retry_delay_minutes: 60, retry_delays: { busy: 10, voicemail: 240 }, window_end: '02:00:00' });
  const flat = await request(`${api.url}/v1/campaigns/${response.body.id}`, { method: 'PATCH', headers: tenant.headers(), json: { retryDelayMinutes: 15 } });
  t.equal(flat.body.retryDelayMinutes, 15, 'a number replaces the per-outcome delays');
  t.same(await db.pool.oneFirst(sql.unsafe`select retry_delays from dialer.campaigns where id = ${response.body.id}`), {});
});

t.test('POST /v1/campaigns validation: one detail per problem, nothing stored', async (t) => {
  const { db, api, tenant } = await setup(t);
  const response = await request(`${api.url}/v1/campaigns`, {
    headers: tenant.headers(),
    json: campaign({
      name: '', timeZone: 'Mars/Olympus_Mons', window: { start: '9am', end: '24:00' }, days: [0, 8], frequency: 'hourly',
      maxAttempts: 21, retryDelayMinutes: { sometimes: 5 }, maxConcurrency: 0, startsOn: '2026-12-31', endsOn: '2026-12-01',
      blackoutDates: ['tomorrow'], surprise: true,
    }),
  });
  t.equal(response.status, 400);
  t.equal(response.body.error.code, 'validation_error');
  const paths = new Set(response.body.error.details.map((d: { path: string }) => d.path));
  for (const path of ['name', 'timeZone', 'window.start', 'window.end', 'days.0', 'days.1', 'frequency', 'maxAttempts', 'retryDelayMinutes', 'maxConcurrency', 'blackoutDates.0', '(body)']) {
    t.ok(paths.has(path), `a detail for ${path}`);
  }
  const dates = await request(`${api.url}/v1/campaigns`, { headers: tenant.headers(), json: campaign({ startsOn: '2026-12-31', endsOn: '2026-12-01' }) });
  t.equal(dates.status, 400);
  t.same(dates.body.error.details, [{ path: 'endsOn', message: 'endsOn must not be before startsOn' }]);
  const repeated = await request(`${api.url}/v1/campaigns`, { headers: tenant.headers(), json: campaign({ days: [1, 1] }) });
  t.equal(repeated.status, 400);
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.campaigns`), 0);
  const text = await request(`${api.url}/v1/campaigns`, { headers: { ...tenant.headers(), 'content-type': 'text/csv' }, body: 'name\nx' });
  t.equal(text.status, 415);
});

t.test('GET /v1/campaigns: newest first, status filter, keyset pages, only the tenant\'s, not deleted', async (t) => {
  const { db, api, tenant, create } = await setup(t);
  const other = await createTestTenant(db.pool);
  await create(other, { name: 'theirs' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await create(tenant, { name: `c${i}` })).id);
  await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'paused' where id = any(${sql.array([ids[1]!, ids[3]!], 'uuid')})`);
  await request(`${api.url}/v1/campaigns/${ids[4]}`, { method: 'DELETE', headers: tenant.headers() });
  // c1 and c2 created in the same microsecond (as a bulk insert would): paging must keep both.
  await db.pool.query(sql.unsafe`update dialer.campaigns set created_at = (select created_at + interval '1 microsecond' from dialer.campaigns where id = ${ids[2]!}) where id = ${ids[1]!}`);

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response: any = await request(`${api.url}/v1/campaigns?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: tenant.headers() });
    t.equal(response.status, 200);
    seen.push(...response.body.items.map((c: { name: string }) => c.name));
    cursor = response.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  t.same([...seen].sort(), ['c0', 'c1', 'c2', 'c3'], 'no duplicates, no deleted, none of another tenant');
  t.same([seen[0], seen[3]], ['c3', 'c0'], 'newest first');
  t.equal(pages, 2);

  const paused = await request(`${api.url}/v1/campaigns?status=paused`, { headers: tenant.headers() });
  t.same(paused.body.items.map((c: { name: string }) => c.name), ['c3', 'c1']);
  const both = await request(`${api.url}/v1/campaigns?status=paused,draft`, { headers: tenant.headers() });
  t.equal(both.body.items.length, 4);
  const bad = await request(`${api.url}/v1/campaigns?status=running&limit=0`, { headers: tenant.headers() });
  t.equal(bad.status, 400);
  t.same(bad.body.error.details.map((d: { path: string }) => d.path).sort(), ['limit', 'status']);
  const badCursor = await request(`${api.url}/v1/campaigns?cursor=garbage`, { headers: tenant.headers() });
  t.equal(badCursor.status, 400);
  t.equal(badCursor.body.error.details[0].path, 'cursor');
});

t.test('GET /v1/campaigns/:id has progress counts and the next window opening', async (t) => {
  const { db, api, tenant, create } = await setup(t);
  const created = await create(tenant, { timeZone: 'UTC', window: { start: '00:00', end: '00:00' }, days: [1, 2, 3, 4, 5, 6, 7] });
  const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenant.id}, '+12025550100') returning id`);
  await db.pool.query(sql.unsafe`insert into dialer.campaign_contacts (campaign_id, contact_id) values (${created.id}, ${contact})`);
  await db.pool.query(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, status, outcome, due_at, cost, ended_reason)
    values (${tenant.id}, ${created.id}, ${contact}, '+12025550100', 'ended', 'busy', now() - interval '1 hour', 0.25, 'customer-busy')`);
  const response = await request(`${api.url}/v1/campaigns/${created.id}`, { headers: tenant.headers() });
  t.equal(response.status, 200);
  t.match(response.body, { id: created.id, status: 'draft', progress: { contacts: 1, busy: 1, answered: 0, inFlight: 0, totalCost: 0.25 } });
  t.ok('nextWindowOpen' in response.body);
  const other = await createTestTenant(db.pool);
  const foreign = await request(`${api.url}/v1/campaigns/${created.id}`, { headers: other.headers() });
  t.equal(foreign.status, 404);
  t.notOk(JSON.stringify(foreign.body).includes('Renewals'), 'nothing of the other tenant\'s campaign');
});

t.test('PATCH /v1/campaigns/:id only while draft or paused', async (t) => {
  const { db, api, tenant, create } = await setup(t);
  const created = await create();
  const patched = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { name: 'Renamed', maxAttempts: 1 } });
  t.equal(patched.status, 200);
  t.match(patched.body, { name: 'Renamed', maxAttempts: 1, assistantId: 'asst_1', timeZone: 'America/New_York' });
  const dates = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { startsOn: '2026-12-10' } });
  t.equal(dates.status, 200);
  const backwards = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { endsOn: '2026-12-01' } });
  t.equal(backwards.status, 400, 'the stored startsOn is checked too (constraint)');
  const invalid = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { maxAttempts: 0 } });
  t.equal(invalid.status, 400);
  t.equal(invalid.body.error.details[0].path, 'maxAttempts');

  for (const status of ['active', 'completed', 'stopped']) {
    await db.pool.query(sql.unsafe`update dialer.campaigns set status = ${status} where id = ${created.id}`);
    const refused = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { name: 'No' } });
    t.equal(refused.status, 409, `409 while ${status}`);
    t.equal(refused.body.error.code, 'state_conflict');
  }
  await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'paused' where id = ${created.id}`);
  t.equal((await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: tenant.headers(), json: { name: 'Paused edit' } })).status, 200);

  const other = await createTestTenant(db.pool);
  const foreign = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'PATCH', headers: other.headers(), json: { name: 'Hijacked' } });
  t.equal(foreign.status, 404);
  t.equal(await db.pool.oneFirst(sql.unsafe`select name from dialer.campaigns where id = ${created.id}`), 'Paused edit');
});

t.test('DELETE /v1/campaigns/:id is soft, refused while active, and cancels scheduled calls', async (t) => {
  const { db, api, tenant, create } = await setup(t);
  const created = await create();
  const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenant.id}, '+12025550100') returning id`);
  await db.pool.query(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, due_at) values (${tenant.id}, ${created.id}, ${contact}, '+12025550100', now())`);
  await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'active' where id = ${created.id}`);
  const refused = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(refused.status, 409);
  await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'paused' where id = ${created.id}`);
  const other = await createTestTenant(db.pool);
  t.equal((await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'DELETE', headers: other.headers() })).status, 404);
  const deleted = await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'DELETE', headers: tenant.headers() });
  t.equal(deleted.status, 204);
  t.ok(await db.pool.oneFirst(sql.unsafe`select deleted_at from dialer.campaigns where id = ${created.id}`), 'the row is kept');
  t.equal(await db.pool.oneFirst(sql.unsafe`select status from dialer.calls where campaign_id = ${created.id}`), 'cancelled');
  t.equal((await request(`${api.url}/v1/campaigns/${created.id}`, { headers: tenant.headers() })).status, 404);
  t.equal((await request(`${api.url}/v1/campaigns/${created.id}`, { method: 'DELETE', headers: tenant.headers() })).status, 404);
});

t.test('campaign routes need a valid, unrevoked key', async (t) => {
  const { db, api, tenant, create } = await setup(t);
  const created = await create();
  t.equal((await request(`${api.url}/v1/campaigns`)).status, 401);
  t.equal((await request(`${api.url}/v1/campaigns/${created.id}`, { headers: { authorization: 'Bearer pgd_nope' } })).status, 401);
  await db.pool.query(sql.unsafe`update dialer.api_keys set revoked_at = now() where id = ${tenant.apiKeyId}`);
  const revoked = await request(`${api.url}/v1/campaigns/${created.id}/start`, { method: 'POST', headers: tenant.headers() });
  t.equal(revoked.status, 401);
  t.same(Object.keys(revoked.body.error), ['code', 'message', 'details']);
});
