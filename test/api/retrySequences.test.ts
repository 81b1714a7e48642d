// retrySequence and attemptOverrides through the API: accepted on create and PATCH, returned by
// GET, stored as the SQL reads them; every bad input a 400 with a detail per field (a negative
// delay, a sequence longer than maxAttempts, on create and when a PATCH lowers maxAttempts,
// overrides past maxAttempts or repeated); the waiting endpoint names the sequence step.
import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
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
  const post = (body: Record<string, unknown>) => request(`${api.url}/v1/campaigns`, { headers: tenant.headers(), json: campaign(body) });
  const patch = (id: string, body: Record<string, unknown>) =>
    request(`${api.url}/v1/campaigns/${id}`, { method: 'PATCH', headers: tenant.headers(), json: body });
  return { db, api, tenant, post, patch };
}

type Detail = { path: string; message: string };
const details = (body: { error: { details: Detail[] } }) => body.error.details;

const sequence = [{ afterMinutes: 120 }, { afterMinutes: 1440, shiftWindow: 'later' }];
const overrides = [{ attempt: 3, voicemailMessage: 'Sorry we missed you, please call us back.', variables: { tone: 'last' } }, { attempt: 1, variables: { tone: 'first' } }];

t.test('accepted on create, returned by GET, stored for the SQL', async (t) => {
  const { db, api, tenant, post } = await setup(t);
  const created = await post({ maxAttempts: 3, retrySequence: sequence, attemptOverrides: overrides });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const expected = {
    retrySequence: [{ afterMinutes: 120, shiftWindow: null }, { afterMinutes: 1440, shiftWindow: 'later' }],
    attemptOverrides: [{ attempt: 1, variables: { tone: 'first' } }, { attempt: 3, voicemailMessage: 'Sorry we missed you, please call us back.', variables: { tone: 'last' } }],
  };
  t.same({ retrySequence: created.body.retrySequence, attemptOverrides: created.body.attemptOverrides }, expected);
  const read = await request(`${api.url}/v1/campaigns/${created.body.id}`, { headers: tenant.headers() });
  t.same({ retrySequence: read.body.retrySequence, attemptOverrides: read.body.attemptOverrides }, expected);
  const listed = await request(`${api.url}/v1/campaigns`, { headers: tenant.headers() });
  t.same(listed.body.items[0].retrySequence, expected.retrySequence);
  const row = await db.pool.one(sql.unsafe`select retry_sequence, attempt_overrides from dialer.campaigns where id = ${created.body.id}`);
  t.same(row.retry_sequence, [{ after_minutes: 120 }, { after_minutes: 1440, shift_window: 'later' }]);
  t.same(row.attempt_overrides, [{ attempt: 1, variables: { tone: 'first' } }, { attempt: 3, variables: { tone: 'last' }, voicemail_message: 'Sorry we missed you, please call us back.' }]);

  const plain = await post({});
  t.same({ retrySequence: plain.body.retrySequence, attemptOverrides: plain.body.attemptOverrides }, { retrySequence: [], attemptOverrides: [] }, 'none by default');
  const full = await post({ maxAttempts: 2, retrySequence: [{ afterMinutes: 10 }, { afterMinutes: 20 }] });
  t.equal(full.status, 201, 'as many entries as maxAttempts is accepted (the last is never used)');
  const zero = await post({ maxAttempts: 2, retrySequence: [{ afterMinutes: 0, shiftWindow: 'earlier' }] });
  t.equal(zero.status, 201, 'a zero delay');
});

t.test('bad input: 400 with a detail per field', async (t) => {
  const { post } = await setup(t);
  const refused = async (body: Record<string, unknown>, expected: Detail[] | string[], what: string) => {
    const response = await post(body);
    t.equal(response.status, 400, what);
    t.equal(response.body.error?.code, 'validation_error', what);
    const got = details(response.body);
    if (typeof expected[0] === 'string') t.same(got.map((d) => d.path).sort(), [...(expected as string[])].sort(), what);
    else t.same(got, expected, what);
    return got;
  };
  const negative = await refused({ retrySequence: [{ afterMinutes: 60 }, { afterMinutes: -5 }] }, ['retrySequence.1.afterMinutes'], 'a negative delay');
  t.match(negative[0]!.message, /negative/);
  await refused(
    { maxAttempts: 2, retrySequence: [{ afterMinutes: 1 }, { afterMinutes: 2 }, { afterMinutes: 3 }] },
    [{ path: 'retrySequence', message: '3 entries is longer than maxAttempts (2): entry n is the wait before attempt n + 1, so a campaign of 2 attempts takes at most 2 entries (only the first is ever used)' }],
    'a sequence longer than maxAttempts',
  );
  await refused({ retrySequence: [{ afterMinutes: 1 }, { afterMinutes: 2 }, { afterMinutes: 3 }, { afterMinutes: 4 }] }, ['retrySequence'], 'longer than the default maxAttempts (3)');
  await refused({ retrySequence: [{ afterMinutes: 1.5 }, { afterMinutes: '5' }, { afterMinutes: 600_000 }, {}] }, ['retrySequence.0.afterMinutes', 'retrySequence.1.afterMinutes', 'retrySequence.2.afterMinutes', 'retrySequence.3.afterMinutes'], 'not whole minutes');
  await refused({ retrySequence: [{ afterMinutes: 5, shiftWindow: 'noon' }, { afterMinutes: 5, after: 3 }] }, ['retrySequence.0.shiftWindow', 'retrySequence.1'], 'an unknown shift, an unknown key');
  await refused({ retrySequence: { afterMinutes: 5 } }, ['retrySequence'], 'not a list');
  await refused(
    { maxAttempts: 2, attemptOverrides: [{ attempt: 3, voicemailMessage: 'Hi' }] },
    [{ path: 'attemptOverrides.0.attempt', message: 'attempt 3 is over maxAttempts (2)' }],
    'an override past maxAttempts',
  );
  await refused({ attemptOverrides: [{ attempt: 1 }, { attempt: 1, voicemailMessage: 'Hi' }] }, [{ path: 'attemptOverrides.1.attempt', message: 'attempt 1 is given twice' }], 'an attempt twice');
  await refused({ attemptOverrides: [{ attempt: 0 }, { attempt: 2, voicemailMessage: '  ' }, { attempt: 3, variables: [1] }, { attempt: 1, message: 'x' }] },
    ['attemptOverrides.0.attempt', 'attemptOverrides.1.voicemailMessage', 'attemptOverrides.2.variables', 'attemptOverrides.3'], 'bad overrides');
});

t.test('PATCH: replaced, kept, and checked against maxAttempts as it will be', async (t) => {
  const { api, tenant, post, patch } = await setup(t);
  const created = (await post({ maxAttempts: 3, retrySequence: sequence, attemptOverrides: [{ attempt: 3, voicemailMessage: 'Hi' }] })).body;
  const renamed = await patch(created.id, { name: 'Kept' });
  t.same(renamed.body.retrySequence, created.retrySequence, 'left out: kept');
  const lowered = await patch(created.id, { maxAttempts: 1 });
  t.equal(lowered.status, 400);
  t.same(details(lowered.body), [
    { path: 'maxAttempts', message: "maxAttempts 1 is lower than the campaign's retrySequence (2 entries): shorten the sequence in the same request" },
    { path: 'maxAttempts', message: "maxAttempts 1 is lower than attempt 3 of the campaign's attemptOverrides: change them in the same request" },
  ]);
  const longer = await patch(created.id, { retrySequence: [{ afterMinutes: 1 }, { afterMinutes: 2 }, { afterMinutes: 3 }, { afterMinutes: 4 }] });
  t.equal(longer.status, 400);
  t.same(details(longer.body).map((d) => d.path), ['retrySequence']);
  const both = await patch(created.id, { maxAttempts: 1, retrySequence: [], attemptOverrides: [] });
  t.equal(both.status, 200, 'lowered together with the sequence');
  t.match(both.body, { maxAttempts: 1, retrySequence: [], attemptOverrides: [] });
  const raised = await patch(created.id, { maxAttempts: 5, retrySequence: [{ afterMinutes: 30, shiftWindow: 'earlier' }] });
  t.match(raised.body.retrySequence, [{ afterMinutes: 30, shiftWindow: 'earlier' }]);
  const read = await request(`${api.url}/v1/campaigns/${created.id}`, { headers: tenant.headers() });
  t.same(read.body.retrySequence, [{ afterMinutes: 30, shiftWindow: 'earlier' }]);
});

t.test('the waiting endpoint names the step a call waits for', async (t) => {
  const { db, api, tenant, post } = await setup(t);
  // All day, every day, contact hours and the federal hours rule off (a +1555 number has no
  // state), so at any real hour the reason is the retry itself.
  await db.pool.query(sql.unsafe`update dialer.tenants set contact_hours_start = '00:00', contact_hours_end = '00:00', disabled_rules = '{us-federal.tcpa}' where id = ${tenant.id}`);
  const created = (await post({ window: { start: '00:00', end: '00:00' }, days: [1, 2, 3, 4, 5, 6, 7], maxAttempts: 4, retrySequence: [{ afterMinutes: 120 }, { afterMinutes: 2880, shiftWindow: 'later' }] })).body;
  const contactId = await db.pool.oneFirst(sql.unsafe`insert into dialer.contacts (tenant_id, phone, time_zone) values (${tenant.id}, '+15550100142', 'America/New_York') returning id`);
  await db.pool.query(sql.unsafe`insert into dialer.campaign_contacts (campaign_id, contact_id) values (${created.id}, ${contactId})`);
  await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'active' where id = ${created.id}`);
  const first = await db.pool.oneFirst(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, attempt, occurrence, due_at, status)
    values (${tenant.id}, ${created.id}, ${contactId}, '+15550100142', 2, 'once', now() - interval '1 hour', 'in_progress') returning id`);
  const next = await db.pool.oneFirst(sql.unsafe`select dialer.apply_call_result(${first}, 'customer-did-not-answer', now(), null, null)`);
  const dueAt = new Date(String(await db.pool.oneFirst(sql.unsafe`select due_at from dialer.calls where id = ${next}`)));
  t.ok(dueAt.getTime() - Date.now() > 47 * 3600_000, 'two days later, in the later half');
  const waiting = await request(`${api.url}/v1/campaigns/${created.id}/waiting`, { headers: tenant.headers() });
  t.equal(waiting.status, 200);
  const reason = 'retry not due: retry 2 of 3 (sequence step 2: 2880 min after attempt 2, later half of the window)';
  t.match(waiting.body.reasons, [{ reason, calls: 1, nextLiftAt: dueAt.toISOString() }]);
  t.match(waiting.body.reasons[0].text, /^waiting for retry 2 of 3 \(sequence step 2: 2880 min after attempt 2, later half of the window\), due at \w{3} \d+ \w{3} (1[2-9]|2[0-3]):\d\d America\/New_York$/);
  const progress = await request(`${api.url}/v1/campaigns/${created.id}`, { headers: tenant.headers() });
  t.equal(progress.body.progress.waitingForRetry, 1, 'counted as waiting for a retry');
});

t.test('OpenAPI documents both fields on create, PATCH and the campaign', async (t) => {
  const { api } = await setup(t);
  const document = (await request(`${api.url}/openapi.json`)).body;
  const json = (operation: any, part: 'request' | 'response') =>
    (part === 'request' ? operation.requestBody : operation.responses[operation.responses['201'] ? '201' : '200']).content['application/json'].schema;
  const create = document.paths['/v1/campaigns'].post;
  const patch = document.paths['/v1/campaigns/{id}'].patch;
  for (const [name, schema] of [['create', json(create, 'request')], ['patch', json(patch, 'request')], ['view', json(create, 'response')], ['patched view', json(patch, 'response')]] as const) {
    t.match(schema.properties.retrySequence, { type: 'array', items: { properties: { afterMinutes: { type: 'integer', minimum: 0 } } } }, `${name}: retrySequence`);
    t.match(JSON.stringify(schema.properties.retrySequence), /"later","earlier"/, `${name}: shiftWindow`);
    t.match(schema.properties.attemptOverrides, { type: 'array', items: { properties: { attempt: { type: 'integer' }, voicemailMessage: { type: 'string' } } } }, `${name}: attemptOverrides`);
  }
  t.match(json(create, 'request').properties.retrySequence.description, /entry n is the wait before attempt n \+ 1/);
});
