// /v1/compliance: the check (same verdict as calling_allowed, 400s per field), the profile of the
// tenant and its campaigns (audited, switched-off rules listed), holidays, and blackouts CRUD
// holding the matching calls.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

t.test('/v1/compliance', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const get = (path: string) => request(`${api.url}${path}`, { headers: tenant.headers() });
  const put = (path: string, json: unknown) => request(`${api.url}${path}`, { method: 'PUT', headers: tenant.headers(), json });

  await t.test('check: the verdict, the rule and when it lifts', async (t) => {
    const late = await get(`/v1/compliance/check?phone=${encodeURIComponent('(305) 555-0101')}&at=2026-12-02T01:00:00Z`);
    t.equal(late.status, 200);
    t.same(late.body, { at: '2026-12-02T01:00:00.000Z', allowed: false, rule: 'us-fl.501.616', nextAllowedAt: '2026-12-02T13:00:00.000Z' });
    const fine = await get('/v1/compliance/check?phone=%2B12125550101&at=2026-12-02T01:00:00Z');
    t.match(fine.body, { allowed: true, rule: null, nextAllowedAt: '2026-12-02T01:00:00.000Z' });
    const strict = await get('/v1/compliance/check?phone=%2B12125550101&state=FL&at=2026-12-02T01:00:00Z');
    t.match(strict.body, { allowed: false, rule: 'us-fl.501.616' }, 'the state given adds its rules');
    const zip = await get('/v1/compliance/check?phone=%2B12125550101&postalCode=33101&at=2026-12-02T01:00:00Z');
    t.match(zip.body, { allowed: false, rule: 'us-fl.501.616' });
  });

  await t.test('check: bad input is a 400 naming the field', async (t) => {
    const cases: Array<[string, string]> = [
      ['phone=hello', 'phone'],
      ['phone=%2B13055550101&state=ZZ', 'state'],
      ['phone=%2B13055550101&postalCode=3310A', 'postalCode'],
      ['phone=%2B13055550101&at=tomorrow', 'at'],
    ];
    for (const [query, path] of cases) {
      const response = await get(`/v1/compliance/check?${query}`);
      t.equal(response.status, 400, query);
      t.equal(response.body.error.code, 'validation_error');
      t.match(response.body.error.details, [{ path }], `${query}: details name ${path}`);
    }
  });

  await t.test('profile: switch rules off per tenant and campaign, audited, listed', async (t) => {
    const refused = await put('/v1/compliance', { disabledRules: ['us-zz.nothing'] });
    t.equal(refused.status, 400);
    t.match(refused.body.error.details, [{ path: 'disabledRules', message: /us-zz.nothing/ }]);

    const changed = await put('/v1/compliance', { callType: 'solicitation', disabledRules: ['us-tx.301.051'] });
    t.equal(changed.status, 200);
    t.match(changed.body.tenant, { callType: 'solicitation', automatedVoice: true, disabledRules: ['us-tx.301.051'] });
    const campaignId = await db.pool.oneFirst(sql.unsafe`
      insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
      values (${tenant.id}, 'Loans', 'a', 'p', 'America/New_York', '09:00', '17:00') returning id`);
    const campaign = await put(`/v1/compliance/campaigns/${campaignId}`, { disabledRules: ['us-fl.501.616'], subject: 'loans', callType: 'informational' });
    t.equal(campaign.status, 200);
    t.match(campaign.body, { id: campaignId, subject: 'loans', callType: 'informational', automatedVoice: null, disabledRules: ['us-fl.501.616'] });

    const view = await get('/v1/compliance');
    t.equal(view.status, 200);
    t.equal(view.body.ruleSet, 1);
    t.same(view.body.switchedOff, [
      { rule: 'us-tx.301.051', scope: 'tenant', campaignId: null },
      { rule: 'us-fl.501.616', scope: 'campaign', campaignId },
    ]);
    t.match(view.body.rules.find((rule: { id: string }) => rule.id === 'us-pa.sb992-2025'), { shippedEnabled: false, confidence: '?' });
    t.ok(view.body.rules.some((rule: { id: string }) => rule.id === 'us-federal.tcpa'));
    const audited = await db.pool.anyFirst(sql.unsafe`
      select entity from dialer.audit_log where tenant_id = ${tenant.id} and entity in ('compliance', 'campaign_compliance') order by id`);
    t.same(audited, ['compliance', 'campaign_compliance'], 'each change audited (the refused one not)');

    const unknownCampaign = await put(`/v1/compliance/campaigns/${randomUUID()}`, { subject: 'x' });
    t.equal(unknownCampaign.status, 404);
    await put('/v1/compliance', { disabledRules: [] });
  });

  await t.test('contacts carry a state, postal code and person key; their jurisdictions follow', async (t) => {
    const post = (json: unknown) => request(`${api.url}/v1/contacts`, { headers: tenant.headers(), json });
    const created = await post({ phone: '+12125550901', state: 'fl', personKey: 'ann' });
    t.equal(created.status, 201);
    t.match(created.body, { state: 'US-FL', postalCode: null, personKey: 'ann', jurisdictions: ['US', 'US-FL', 'US-NY'] });
    const bad = await post({ phone: '+12125550902', state: 'ZZ', postalCode: '1234' });
    t.equal(bad.status, 400);
    t.same(bad.body.error.details.map((detail: { path: string }) => detail.path).sort(), ['postalCode', 'state']);
    const patched = await request(`${api.url}/v1/contacts/${created.body.id}`, { method: 'PATCH', headers: tenant.headers(), json: { state: null, postalCode: 'V6B 1A1' } });
    t.equal(patched.status, 200);
    t.match(patched.body, { state: null, postalCode: 'V6B 1A1', personKey: 'ann', jurisdictions: ['CA', 'CA-BC', 'US', 'US-NY'] });
    const check = await get('/v1/compliance/check?phone=%2B12125550901&at=2026-06-11T01:00:00Z'); // 21:00 EDT, 18:00 PDT
    t.match(check.body, { allowed: false, rule: 'us-federal.tcpa' }, "the contact's own candidates count in the check");
  });

  await t.test('holidays', async (t) => {
    const response = await get('/v1/compliance/holidays?jurisdiction=us-ut&from=2026-07-01&to=2026-07-31');
    t.equal(response.status, 200);
    t.same(response.body.data.map((row: { day: string; observed: boolean }) => `${row.day}${row.observed ? '*' : ''}`),
      ['2026-07-03*', '2026-07-04', '2026-07-24']);
  });

  await t.test('blackouts: CRUD, and while one is in force the check waits for it', async (t) => {
    const body = { jurisdiction: 'US-LA', county: 'Orleans', startsAt: '2026-06-10T16:00:00Z', endsAt: '2026-06-12T23:00:00Z', reason: 'Hurricane: LPSC EOC' };
    const badOrder = await request(`${api.url}/v1/compliance/blackouts`, { headers: tenant.headers(), json: { ...body, endsAt: body.startsAt } });
    t.equal(badOrder.status, 400);
    const created = await request(`${api.url}/v1/compliance/blackouts`, { headers: tenant.headers(), json: body });
    t.equal(created.status, 201);
    t.match(created.body, { id: String, jurisdiction: 'US-LA', county: 'Orleans', appliesTo: ['solicitation'] });
    const id = created.body.id as string;
    const held = await get('/v1/compliance/check?phone=%2B12255550101&at=2026-06-10T17:00:00Z');
    t.same(held.body, { at: '2026-06-10T17:00:00.000Z', allowed: false, rule: `blackout:${id}`, nextAllowedAt: '2026-06-12T23:00:00.000Z' });

    const shortened = await put(`/v1/compliance/blackouts/${id}`, { ...body, endsAt: '2026-06-10T18:00:00Z' });
    t.equal(shortened.status, 200);
    t.match((await get('/v1/compliance/check?phone=%2B12255550101&at=2026-06-10T17:00:00Z')).body, { nextAllowedAt: '2026-06-10T18:00:00.000Z' });
    t.equal((await get(`/v1/compliance/blackouts/${id}`)).body.endsAt, '2026-06-10T18:00:00.000Z');
    t.equal((await get('/v1/compliance/blackouts')).body.data.length, 1);

    const other = await createTestTenant(db.pool);
    t.equal((await request(`${api.url}/v1/compliance/blackouts/${id}`, { headers: other.headers() })).status, 404, "another tenant's blackout");
    const deleted = await request(`${api.url}/v1/compliance/blackouts/${id}`, { method: 'DELETE', headers: tenant.headers() });
    t.equal(deleted.status, 204);
    t.match((await get('/v1/compliance/check?phone=%2B12255550101&at=2026-06-10T17:00:00Z')).body, { allowed: true });
    const unknown = await request(`${api.url}/v1/compliance/blackouts`, { headers: tenant.headers(), json: { ...body, jurisdiction: 'US-ZZ' } });
    t.equal(unknown.status, 400);
  });
});
