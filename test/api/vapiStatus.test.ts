// The tenant's standing with VAPI over the API: GET /v1/settings and /v1/scheduler/status show
// vapiStatus; new VAPI settings clear it; an operator clears it with POST
// /v1/settings/vapi-status/clear (audited); other settings leave it as it is.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

t.test('vapiStatus: shown, kept by other settings, cleared by new VAPI settings or by an operator', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const settings = `${api.url}/v1/settings`;
  const block = (reason: string) =>
    db.pool.query(sql.unsafe`select dialer.block_tenant_vapi(${tenant.id}, ${reason}, '2026-06-10T15:00:00Z')`);

  t.match((await request(settings, { headers: tenant.headers() })).body, { vapiStatus: { ok: true, reason: null, since: null } });

  await block('VAPI 401: Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.');
  const blocked = await request(settings, { headers: tenant.headers() });
  t.same(blocked.body.vapiStatus, {
    ok: false,
    reason: 'VAPI 401: Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
    since: '2026-06-10T15:00:00.000Z',
  });
  const status = await request(`${api.url}/v1/scheduler/status`, { headers: tenant.headers() });
  t.equal(status.status, 200);
  t.match(status.body.vapiStatus, { ok: false, since: '2026-06-10T15:00:00.000Z' }, 'the scheduler status shows it');
  t.match((await request(settings, { headers: other.headers() })).body, { vapiStatus: { ok: true } }, 'another tenant is not affected');

  const hours = await request(settings, { method: 'PUT', headers: tenant.headers(), json: { contactHours: { start: '09:00', end: '20:00' } } });
  t.equal(hours.status, 200);
  t.match(hours.body.vapiStatus, { ok: false }, 'other settings do not clear it');
  const key = await request(settings, { method: 'PUT', headers: tenant.headers(), json: { vapi: { apiKey: 'vapi-new-private-key-42' } } });
  t.match(key.body.vapiStatus, { ok: true, reason: null, since: null }, 'a new VAPI key clears it');

  await block('endedReason call.start.error-subscription-insufficient-credits');
  const url = await request(settings, { method: 'PUT', headers: tenant.headers(), json: { vapi: { baseUrl: 'https://api.vapi.ai' } } });
  t.match(url.body.vapiStatus, { ok: true }, 'a new base URL clears it');

  await block('endedReason call.start.error-subscription-frozen');
  const cleared = await request(`${settings}/vapi-status/clear`, { method: 'POST', headers: tenant.headers() });
  t.equal(cleared.status, 200);
  t.match(cleared.body, { vapiStatus: { ok: true, reason: null, since: null }, concurrencyLimit: 10 });
  const audits = () =>
    db.pool.any(sql.type(z.object({ actor: z.string(), details: z.record(z.unknown()) }))`
      select actor, details from dialer.audit_log where tenant_id = ${tenant.id} and action = 'clear_vapi_status'`);
  const [entry, ...more] = await audits();
  t.same(more, []);
  t.equal(entry?.actor, `api_key:${tenant.apiKeyId}`);
  t.same(entry?.details, { reason: 'endedReason call.start.error-subscription-frozen', since: '2026-06-10T15:00:00.000Z' });
  const again = await request(`${settings}/vapi-status/clear`, { method: 'POST', headers: tenant.headers() });
  t.equal(again.status, 200, 'clearing an ok status is a no-op');
  t.equal((await audits()).length, 1, 'and is not audited');
  t.equal((await request(`${settings}/vapi-status/clear`, { method: 'POST' })).status, 401, 'needs an API key');
});
