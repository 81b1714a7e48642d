// One pass for cron hosts: `npm run tick` (a real process) and POST/GET /v1/admin/tick. A tick
// plans, dials what is due (every POST answered before it returns), reconciles, prints one JSON
// line and exits 0; two ticks at once never dial a call twice; the route takes ADMIN_TOKEN or
// CRON_SECRET and nothing else.
import t from 'tap';
import { spawn } from 'node:child_process';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { loadConfig } from '../../server/config.js';
import { systemClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { runTick } from '../../server/worker/tick.js';
import { addMembers, insertCampaign, insertContact, insertDirectCall, insertTenant, startCampaign, TEST_APP_SECRET, waitFor } from './fixtures.js';

const db = await createTestDatabase(t);
// Slow answers (150 ms a POST), so two ticks really overlap.
const sim = await startVapiSimulator({ timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 0 }, responseLatencyMs: 150, concurrencyLimit: 1000 });
t.teardown(() => sim.close());
const CRON_SECRET = 'cron-secret-0123456789';
const api = await startTestApi(t, {
  pool: db.pool,
  config: loadConfig({ APP_SECRET: TEST_APP_SECRET, ADMIN_TOKEN: 'test-admin-token-123', CRON_SECRET, PUBLIC_URL: 'http://127.0.0.1:9' }),
});
const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, concurrencyLimit: 100 });

let phoneSeq = 0;
async function directCalls(count: number, dueAt = new Date()): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const phone = `+1555400${String(++phoneSeq).padStart(4, '0')}`;
    ids.push(await insertDirectCall(db.pool, tenantId, await insertContact(db.pool, tenantId, phone), phone, dueAt));
  }
  return ids;
}
const statuses = () => db.pool.any(sql.type(z.object({ status: z.string(), n: z.number() }))`select status, count(*)::int as n from dialer.calls group by 1 order by 1`);
const tickOptions = { pool: db.pool, clock: systemClock, log: silentLogger, appSecret: TEST_APP_SECRET, publicUrl: 'http://127.0.0.1:9', vapiBaseUrl: sim.url };

t.test('two ticks at once never dial a call twice', async (t) => {
  const ids = await directCalls(40);
  // Small claims, so the two interleave rather than one taking everything at once.
  const small = { ...tickOptions, settings: { batchSize: 4, concurrency: 4 } };
  const [a, b] = await Promise.all([runTick(small), runTick(small)]);
  // Which tick gets which calls is timing: a claim that finds the tenant locked by the other tick
  // comes back short and that tick stops (the other serves the tenant). Either way, once each.
  t.equal(a.dialed + b.dialed, ids.length, `every call dialed once between them (${a.dialed} + ${b.dialed})`);
  const dials = sim.dials().filter((dial) => ids.includes(dial.externalId!));
  t.equal(dials.length, ids.length, 'one POST per call');
  t.equal(new Set(dials.map((dial) => dial.externalId)).size, ids.length, 'no call POSTed twice');
  // Every POST was answered before the tick returned: nothing is left 'dialing'.
  t.notOk((await statuses()).some((row) => row.status === 'dialing'), 'no claim left mid-dial');
  await sim.idle();
});

t.test('npm run tick: plans a campaign\'s occurrence, dials it, prints one JSON line and exits 0', async (t) => {
  const campaignId = await insertCampaign(db.pool, tenantId, { timeZone: 'UTC', windowStart: '00:00', windowEnd: '00:00' });
  await addMembers(db.pool, tenantId, campaignId, 3, '6');
  await startCampaign(db.pool, tenantId, campaignId, new Date());
  const later = await directCalls(1, new Date(Date.now() + 3_600_000));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/tick.ts'], {
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, APP_SECRET: TEST_APP_SECRET, LOG_LEVEL: 'info', PUBLIC_URL: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, `exit 0 ${stderr.slice(-500)}`);
  const lines = stdout.trim().split('\n');
  t.equal(lines.length, 1, 'one line on stdout');
  const result = JSON.parse(lines[0]!);
  t.match(result, { dialed: 3, reconciled: 0, at: String, ms: Number });
  t.ok(result.planned >= 0);
  // The next instant something falls due: the later call, or the first look-up of a call just dialed
  // (a live call is looked up on VAPI 60 s after its last news, calls.check_at).
  const nextWake = await db.pool.oneFirst(sql.type(z.object({ at: z.string() }))`
    select least((select due_at from dialer.calls where id = ${later[0]!}::uuid),
                 (select min(check_at) from dialer.calls where status in ('queued', 'ringing', 'in_progress'))) as at`);
  t.equal(result.nextWakeAt, nextWake, 'nextWakeAt: the next call to fall due, or the next look-up of a live one');
  t.match(stderr, /tick\.done/, 'logs on stderr');
  await sim.idle();
});

t.test('/v1/admin/tick: ADMIN_TOKEN or CRON_SECRET, POST or GET (Vercel Cron), the same JSON', async (t) => {
  const none = await fetch(`${api.url}/v1/admin/tick`, { method: 'POST' });
  t.equal(none.status, 401);
  const wrong = await fetch(`${api.url}/v1/admin/tick`, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all' } });
  t.equal(wrong.status, 401);
  const apiKeyLike = await fetch(`${api.url}/v1/admin/tick`, { headers: { authorization: 'Bearer pgd_somebodys_key' } });
  t.equal(apiKeyLike.status, 401, 'a tenant key is not enough');
  const ids = await directCalls(2);
  const byAdmin = await fetch(`${api.url}/v1/admin/tick`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token-123' } });
  t.equal(byAdmin.status, 200);
  const body = await byAdmin.json();
  t.match(body, { dialed: 2, reconciled: 0, planned: Number, nextWakeAt: String, at: String, ms: Number });
  t.equal(sim.dials().filter((dial) => ids.includes(dial.externalId!)).length, 2, 'dialed before the answer');
  const byCron = await fetch(`${api.url}/v1/admin/tick`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
  t.equal(byCron.status, 200);
  t.match(await byCron.json(), { dialed: 0 });
  await waitFor(async () => !(await statuses()).some((row) => ['queued', 'ringing', 'in_progress'].includes(row.status)), 10_000, 'calls to end').catch(() => {});
});
