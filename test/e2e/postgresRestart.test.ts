// Postgres stops and starts again in the middle of a campaign (`npm start`'s process, API and
// worker in one, on a Postgres of this test's own): the process stays up, reconnects, and every
// contact is called exactly once, none lost. Webhooks that arrive while the database is down
// are answered 500 and lost (VAPI does not resend); reconciliation looks those calls up on VAPI.
// The same run shows the lines a user follows at `info`: one per dial, per ended call, per
// refused webhook.
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'slonik';
import { z } from 'zod';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embeddedPostgres.js';
import { createDatabaseIfMissing } from '../../db/database.js';
import { migrate } from '../../db/migrate.js';
import { createDatabasePool } from '../../db/pool.js';
import { silentLogger } from '../../server/log.js';
import { startServer } from '../helpers/serverProcess.js';
import { endProcessesMentioning } from '../helpers/processes.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { postWake } from '../../server/worker/wake.js';
import { WAKE_PATH } from '../../server/worker/wakeEndpoint.js';
import { addMembers, allCalls, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, unsettledCalls, waitFor } from '../worker/fixtures.js';

const CONTACTS = 30;
t.setTimeout(300_000); // a Postgres of its own, a server, a campaign: slow on a loaded machine
const dataDir = mkdtempSync(join(tmpdir(), 'pgdialer-restart-'));
chmodSync(dataDir, 0o755);
const pgPort = await freePort();
let postgres: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, log: silentLogger, port: pgPort });
t.teardown(async () => {
  await postgres.stop().catch(() => endProcessesMentioning(dataDir));
  rmSync(dataDir, { recursive: true, force: true });
});
await createDatabaseIfMissing(postgres.url, 'pgdialer');
const url = postgres.urlFor('pgdialer');
await migrate(url, silentLogger);
// Live calls whose webhooks were lost are looked up after 5 s, not the default minute: this test
// is about the restart, and a minute's wait (times two on a loaded machine) would be its whole budget.
{
  const admin = await createDatabasePool(url);
  await admin.query(sql.unsafe`alter database pgdialer set pgdialer.live_check_seconds = 5`);
  await admin.end();
}

const sim = await startVapiSimulator({
  concurrencyLimit: 50,
  responseLatencyMs: [20, 60],
  outcomes: { answered: 100 },
  timing: { queuedMs: 20, ringingMs: 50, talkMs: [800, 1500], reportDelayMs: 20 },
});
t.teardown(() => sim.close());

let pool = await createDatabasePool(url);
const tenantId = await insertTenant(pool, { vapiBaseUrl: sim.url, concurrencyLimit: 20 });
const campaignId = await insertCampaign(pool, tenantId, { timeZone: 'UTC', windowStart: '00:00', windowEnd: '00:00', maxAttempts: 1, maxConcurrency: 6 });
await addMembers(pool, tenantId, campaignId, CONTACTS, '7');

const port = await freePort();
const server = await startServer([], {
  DATABASE_URL: url,
  APP_SECRET: TEST_APP_SECRET,
  PORT: String(port),
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  DIAL_LEASE_SECONDS: '3',
  RECONCILE_AFTER_SECONDS: '3',
  LOG_LEVEL: 'info',
}, 60_000);
t.teardown(() => server.stop('SIGKILL'));
await startCampaign(pool, tenantId, campaignId, new Date());
// What the API does after a change (the server holds no LISTEN): its worker's wake endpoint.
await postWake({ url: `http://127.0.0.1:${port}${WAKE_PATH}`, appSecret: TEST_APP_SECRET, reason: 'test' });

// Stop Postgres while calls are live (talks last about a second) and more are due.
await waitFor(() => sim.dials().length >= 8, 30_000, 'the first dials');
await pool.end();
await postgres.stop();
const dialsWhileDown = sim.dials().length;
const down = await fetch(`http://127.0.0.1:${port}/health`);
await new Promise((resolve) => setTimeout(resolve, 3_000));
postgres = await startEmbeddedPostgres({ dataDir, log: silentLogger, port: pgPort });
pool = await createDatabasePool(url);
t.teardown(() => pool.end());

await waitFor(async () => (await unsettledCalls(pool)) === 0, 90_000, 'every call to settle').catch(async (error) => {
  const counts = await pool.any(sql.unsafe`select status, count(*) from dialer.calls group by 1`);
  throw new Error(`${error.message}: ${JSON.stringify(counts)}\n${server.stderr()}\n${JSON.stringify(server.logs.slice(-15))}`);
});

t.test('the restart happened mid-campaign, and the process stayed up', async (t) => {
  t.ok(dialsWhileDown < CONTACTS, `${dialsWhileDown} of ${CONTACTS} dialed when Postgres stopped`);
  t.equal(down.status, 503, '/health says the database is down meanwhile');
  t.equal(server.child.exitCode, null, 'the process did not exit');
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  t.equal(health.status, 200, '/health is ok again');
});

t.test('after it: every contact called exactly once, none lost', async (t) => {
  const calls = await allCalls(pool);
  t.equal(calls.length, CONTACTS, 'one call row per contact (max_attempts 1)');
  t.same(calls.filter((call) => call.status !== 'ended' || call.outcome !== 'answered').map((call) => [call.status, call.outcome]), [], 'all ended, answered');
  const perRow = new Map<string, number>();
  for (const dial of sim.dials()) perRow.set(dial.externalId!, (perRow.get(dial.externalId!) ?? 0) + 1);
  t.same([...perRow.values()].filter((n) => n > 1), [], 'no call row dialed twice');
  t.equal(sim.dials().length, CONTACTS, 'each contact dialed once');
});

t.test('logs a user can follow at info: each dial, each ended call, each refused webhook', async (t) => {
  const events = (name: string) => server.logs.filter((line) => line.event === name);
  const calls = await allCalls(pool);
  // A POST whose answer was lost is logged dial.ambiguous, then dial.found_after_ambiguity.
  const dialed = new Set([...events('dial.sent'), ...events('dial.found_after_ambiguity')].map((line) => line.callId));
  t.same([...dialed].sort(), calls.map((call) => call.id).sort(), 'a dial line for every call, logged when VAPI accepts it (the database may be down)');
  t.equal(events('dial.sent').length, new Set(events('dial.sent').map((line) => line.callId)).size, 'one per call');
  t.ok(events('dial.sent').every((line) => line.level === 'info' && line.vapiCallId && line.campaignId === campaignId));
  const ended = new Set(events('call.ended').map((line) => line.callId));
  t.ok(ended.size > 0 && [...ended].every((id) => dialed.has(id)), `${ended.size} calls logged as ended by their webhook`);

  const refused = await fetch(`http://127.0.0.1:${port}/webhooks/vapi?tenant=${tenantId}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Vapi-Secret': 'not-the-secret' },
    body: JSON.stringify({ message: { type: 'status-update', status: 'ringing', call: { id: 'c-1' } } }),
  });
  t.equal(refused.status, 401);
  await waitFor(() => events('webhook.refused').length > 0, 5_000, 'the refusal to be logged');
  t.match(events('webhook.refused')[0], { level: 'warn', status: 401, why: 'invalid webhook credential', tenant: tenantId });
  const calledTwice = z.number().parse(
    await pool.oneFirst(sql.unsafe`select count(*)::int from (select contact_id from dialer.calls group by 1 having count(*) > 1) twice`),
  );
  t.equal(calledTwice, 0);
});
