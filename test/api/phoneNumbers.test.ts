// /v1/phone-numbers and campaign pools: round trip, bad input (per-field 400s), rest, removal
// (409 with a live call), the number a call used in /v1/calls, why-not text for a held pool.
import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';

const A = '3f1b7a2c-9d4e-4c1a-8b2f-5e6d7c8b9a01';
const B = '3f1b7a2c-9d4e-4c1a-8b2f-5e6d7c8b9a02';

async function setup(t: Test) {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const call = (method: string, path: string, json?: unknown) =>
    request(`${api.url}${path}`, { method, headers: tenant.headers(), ...(json === undefined ? {} : { json }) });
  return { db, api, tenant, call };
}

const campaign = (overrides: Record<string, unknown> = {}) => ({
  name: 'Pool', assistantId: 'asst_1', timeZone: 'America/New_York', window: { start: '00:00', end: '00:00' }, days: [1, 2, 3, 4, 5, 6, 7], ...overrides,
});

t.test('register, list, read, change, rest and remove a number', async (t) => {
  const { call } = await setup(t);
  const created = await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: A.toUpperCase(), number: '+1 305 555 0100', label: 'Miami', maxCallsPerDay: 100 });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { id: A, number: '+13055550100', label: 'Miami', areaCode: '305', jurisdictions: ['US', 'US-FL'], country: 'US',
                          timeZone: 'America/New_York', maxCallsPerDay: 100, maxConcurrentCalls: null, restMinutes: 1440, usedToday: 0, liveCalls: 0, hold: null });
  const london = await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: B, number: '+442071234567', timeZone: 'Europe/London' });
  t.match(london.body, { country: 'GB', areaCode: null, jurisdictions: [], timeZone: 'Europe/London' });

  const list = await call('GET', '/v1/phone-numbers');
  t.same(list.body.items.map((n: { id: string }) => n.id), [A, B], 'by number');
  t.equal((await call('GET', `/v1/phone-numbers/${A}`)).body.label, 'Miami');

  const patched = await call('PATCH', `/v1/phone-numbers/${A}`, { maxCallsPerDay: null, maxConcurrentCalls: 2, number: '+12145550100' });
  t.match(patched.body, { maxCallsPerDay: null, maxConcurrentCalls: 2, areaCode: '214', jurisdictions: ['US', 'US-TX'], timeZone: 'America/Chicago' });

  const rested = await call('POST', `/v1/phone-numbers/${A}/rest`, { until: '2099-01-01T00:00:00Z', reason: 'flagged as spam' });
  t.match(rested.body, { restedUntil: '2099-01-01T00:00:00.000Z', restReason: 'flagged as spam', hold: 'resting', freeAt: '2099-01-01T00:00:00.000Z' });
  const lifted = await call('POST', `/v1/phone-numbers/${A}/rest`, { until: null });
  t.match(lifted.body, { restedUntil: null, restReason: null, hold: null });

  t.equal((await call('DELETE', `/v1/phone-numbers/${A}`)).status, 204);
  t.equal((await call('GET', `/v1/phone-numbers/${A}`)).status, 404);
  t.equal((await call('DELETE', `/v1/phone-numbers/${A}`)).status, 404);
});

t.test('bad input: 400 with details per field', async (t) => {
  const { call } = await setup(t);
  const bad = await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: 'pn_1', number: '+1305555', maxCallsPerDay: 0, timeZone: 'Mars/Base' });
  t.equal(bad.status, 400);
  t.same(bad.body.error.details.map((d: { path: string }) => d.path).sort(), ['maxCallsPerDay', 'timeZone', 'vapiPhoneNumberId']);
  const badNumber = await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: A, number: '3055550100' });
  t.match(badNumber.body.error.details, [{ path: 'number', message: /E\.164/ }]);
  await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: A, number: '+13055550100' });
  const duplicate = await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: A, number: '+13055550100' });
  t.equal(duplicate.status, 400);
  t.same(duplicate.body.error.details.map((d: { path: string }) => d.path), ['vapiPhoneNumberId', 'number']);
  const past = await call('POST', `/v1/phone-numbers/${A}/rest`, { until: '2000-01-01T00:00:00Z' });
  t.equal(past.status, 400);
  t.match(past.body.error, { code: 'validation_error' });
  t.equal((await call('POST', `/v1/phone-numbers/${B}/rest`, { until: null })).status, 404);

  const unregistered = await call('POST', '/v1/campaigns', campaign({ phoneNumberIds: [A, B, 'pn_x'] }));
  t.equal(unregistered.status, 400);
  t.same(unregistered.body.error.details.map((d: { path: string }) => d.path), ['phoneNumberIds.1', 'phoneNumberIds.2']);
  t.match(unregistered.body.error.details, [{ message: /not a registered phone number/ }, { message: /not a VAPI phone number id/ }]);
  const repeated = await call('POST', '/v1/campaigns', campaign({ phoneNumberIds: [A, A] }));
  t.match(repeated.body.error.details, [{ path: 'phoneNumberIds', message: /repeat/ }]);
  const disagree = await call('POST', '/v1/campaigns', campaign({ phoneNumberId: B, phoneNumberIds: [A] }));
  t.match(disagree.body.error.details, [{ path: 'phoneNumberId' }]);
  const neither = await call('POST', '/v1/campaigns', campaign());
  t.match(neither.body.error.details, [{ path: 'phoneNumberId', message: /phoneNumberIds/ }]);
});

t.test('campaign pools: both forms agree; calls show the number; removal 409 while live; waiting text', async (t) => {
  const { db, call, tenant } = await setup(t);
  await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: A, number: '+13055550100', maxCallsPerDay: 1, timeZone: 'America/New_York' });
  await call('POST', '/v1/phone-numbers', { vapiPhoneNumberId: B, number: '+12145550100', maxCallsPerDay: 1 });
  const single = await call('POST', '/v1/campaigns', campaign({ phoneNumberId: 'pn_legacy' }));
  t.match(single.body, { phoneNumberId: 'pn_legacy', phoneNumberIds: ['pn_legacy'] }, 'an unregistered single number still works');
  const created = await call('POST', '/v1/campaigns', campaign({ phoneNumberIds: [A, B] }));
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { phoneNumberId: A, phoneNumberIds: [A, B] });
  const id = created.body.id;
  const onlyB = await call('PATCH', `/v1/campaigns/${id}`, { phoneNumberId: B });
  t.match(onlyB.body, { phoneNumberId: B, phoneNumberIds: [B] }, 'the one-number form replaces the pool');
  t.match((await call('PATCH', `/v1/campaigns/${id}`, { phoneNumberIds: [A, B] })).body, { phoneNumberId: A, phoneNumberIds: [A, B] });

  // Three contacts in Miami; the daily limits (1 each) let two be called.
  const contacts = [];
  for (const phone of ['+13055550101', '+13055550102', '+13055550103']) {
    const contact = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenant.id}, ${phone}) returning id`);
    await db.pool.query(sql.unsafe`insert into dialer.campaign_contacts (campaign_id, contact_id) values (${id}, ${contact})`);
    contacts.push(contact);
  }
  await db.pool.query(sql.unsafe`update dialer.tenants set contact_hours_start = '00:00', contact_hours_end = '00:00', disabled_rules = '{us-federal.tcpa,us-fl.501.616}' where id = ${tenant.id}`);
  t.equal((await call('POST', `/v1/campaigns/${id}/start`)).status, 200);
  const claimed = await db.pool.any(sql.unsafe`select call_id, phone_number_id from dialer.claim_calls(now(), 10)`);
  t.equal(claimed.length, 2);
  t.same(new Set(claimed.map((row) => row.phone_number_id)), new Set([A, B]));

  const calls = await call('GET', `/v1/calls?campaignId=${id}`);
  const byStatus = Object.fromEntries(calls.body.items.map((c: { status: string; phoneNumberId: string | null; id: string }) => [c.id, c]));
  for (const row of claimed) t.equal(byStatus[row.call_id as string].phoneNumberId, row.phone_number_id, 'the list shows the number used');
  const detail = await call('GET', `/v1/calls/${claimed[0]!.call_id}`);
  t.equal(detail.body.phoneNumberId, claimed[0]!.phone_number_id, 'and the detail');

  const conflict = await call('DELETE', `/v1/phone-numbers/${A}`);
  t.equal(conflict.status, 409);
  t.match(conflict.body.error, { code: 'state_conflict', message: /live call/ });

  const waiting = await call('GET', `/v1/campaigns/${id}/waiting`);
  t.match(JSON.stringify(waiting.body), /every caller number at its daily limit until \d\d:\d\d America\/(New_York|Chicago)/);

  const progress = await call('GET', `/v1/campaigns/${id}`);
  t.same(progress.body.callerNumbers.map((n: { inFlight: number }) => n.inFlight), [1, 1]);
  t.match(progress.body.progress, { heldByCallerNumbers: 1, dueNow: 0, inFlight: 2 }, 'the third call waits for a number');
});
