// Idle cost: database transactions (each statement outside an explicit transaction is one) while
// no window is open and nothing is in flight, counted from pg_stat_database over a quiet period
// and extrapolated to an hour. Three set-ups in the same run: API and worker in one process
// (npm start), API and worker as two processes, and a plain pg-boss instance with one worker on
// one queue, all defaults (the baseline). Measured from another database, so reading costs nothing.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { createBoss } from '../db/boss.js';
import { runMain } from '../test/helpers/serverProcess.js';
import { TEST_APP_SECRET, waitFor } from '../test/worker/fixtures.js';
import type { BenchContext, BenchSection, Goal } from './types.js';
import { createDatabasePool } from '../db/pool.js';
import { adminQuery } from '../db/databaseUrls.js';
import { freePort } from '../db/embeddedPostgres.js';
import { startVapiSimulator } from '../server/vapiSimulator/index.js';
import { watchSessions } from '../test/helpers/sessionWatch.js';
import { createTestTenant } from '../test/helpers/tenant.js';

const IDLE_SESSION_TIMEOUT_S = 15;

/**
 * `npm start` on a server that closes idle sessions after 15 s (idle_session_timeout, the stand-in
 * for Neon): the sessions opened and transactions run while the worker sleeps, then the dispatch
 * lag of calls falling due after a sleep (the API asks for each call at a later instant; the
 * worker looks, sleeps with no session, and its timer wakes it: connection set-up included).
 */
async function sleepOnDroppingServer(context: BenchContext) {
  const name = `${context.template}_idle_drop_${randomBytes(3).toString('hex')}`;
  await createDatabase(context.serverUrl, name, context.template);
  await adminQuery(context.serverUrl, `alter database ${name} set idle_session_timeout = '${IDLE_SESSION_TIMEOUT_S}s'`);
  const url = withDatabase(context.serverUrl, name);
  const sim = await startVapiSimulator({ timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 0 } });
  const watcher = await watchSessions(context.serverUrl, name);
  const port = await freePort();
  const child = runMain(['all'], { DATABASE_URL: url, APP_SECRET: TEST_APP_SECRET, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info' });
  const noSession = () => waitFor(async () => (await watcher.connected()).length === 0, 30_000, 'no client session');
  try {
    await waitFor(() => child.logs.some((line) => line.event === 'worker.sleeping'), 60_000, 'the worker to sleep');
    const pool = await createDatabasePool(url);
    const tenant = await createTestTenant(pool, 'Idle bench');
    await pool.end();
    const base = `http://127.0.0.1:${port}`;
    const put = await fetch(`${base}/v1/settings`, {
      method: 'PUT',
      headers: tenant.headers(true),
      body: JSON.stringify({ vapi: { apiKey: 'sk_bench', baseUrl: sim.url, webhookAuth: { type: 'secret', secret: 'whsec-bench-123456' } }, contactHours: { start: '00:00', end: '00:00' } }),
    });
    if (put.status !== 200) throw new Error(`settings: ${put.status} ${await put.text()}`);
    const sleeps = () => child.logs.filter((line) => line.event === 'worker.sleeping').length;
    await waitFor(() => sleeps() >= 2, 10_000, 'the worker to sleep after the settings');
    await noSession();
    const quietMs = context.quick ? 20_000 : 3 * IDLE_SESSION_TIMEOUT_S * 1_000;
    const end = await watcher.start();
    await sleep(quietMs);
    const asleep = await end();
    const lags: number[] = [];
    const samples = context.quick ? 3 : 10;
    for (let i = 0; i < samples; i++) {
      await noSession();
      const at = new Date(Date.now() + 3_000);
      const sleptBefore = sleeps();
      const response = await fetch(`${base}/v1/calls`, {
        method: 'POST',
        headers: tenant.headers(true),
        body: JSON.stringify({ phone: `+1 212 555 ${String(1000 + i)}`, assistantId: 'asst_1', phoneNumberId: 'pn_1', at: at.toISOString() }),
      });
      if (response.status !== 201) throw new Error(`direct call: ${response.status} ${await response.text()}`);
      const callId = ((await response.json()) as { id: string }).id;
      await waitFor(() => sleeps() > sleptBefore, 5_000, 'the worker to sleep until the call is due');
      await waitFor(() => sim.dials().some((dial) => dial.externalId === callId), 10_000, 'the dial');
      lags.push(sim.dials().find((dial) => dial.externalId === callId)!.at - at.getTime());
      await waitFor(() => sleeps() > sleptBefore + 1, 10_000, 'the worker to sleep again');
    }
    lags.sort((a, b) => a - b);
    const p99 = lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.99) - 1)]!;
    return { quietMs, asleep, lags, p99 };
  } finally {
    child.child.kill('SIGTERM');
    await new Promise((resolve) => (child.child.exitCode !== null ? resolve(null) : child.child.once('exit', resolve)));
    await watcher.close();
    await sim.close();
    await dropDatabase(context.serverUrl, name);
  }
}

async function transactionsOf(serverUrl: string, database: string): Promise<number> {
  const client = new pg.Client(withDatabase(serverUrl, 'postgres'));
  await client.connect();
  try {
    const { rows } = await client.query('select xact_commit + xact_rollback as n from pg_stat_database where datname = $1', [database]);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * What the clients themselves did, apart from Postgres's own background work (autovacuum and
 * analyze also count in pg_stat_database's transactions): every statement a client session runs
 * sets its query_start, and pg_stat_database.sessions counts sessions opened. So a window in which
 * no client session's query_start moved and no session was opened saw no statement at all.
 */
type ClientSnapshot = { sessions: number; queryStarts: Map<number, string> };

async function clientSnapshot(serverUrl: string, database: string): Promise<ClientSnapshot> {
  const client = new pg.Client(withDatabase(serverUrl, 'postgres'));
  await client.connect();
  try {
    const sessions = await client.query('select sessions from pg_stat_database where datname = $1', [database]);
    const activity = await client.query(
      "select pid, query_start::text as query_start from pg_stat_activity where datname = $1 and backend_type = 'client backend'",
      [database],
    );
    return {
      sessions: Number(sessions.rows[0].sessions),
      queryStarts: new Map(activity.rows.map((row: { pid: number; query_start: string }) => [row.pid, row.query_start])),
    };
  } finally {
    await client.end();
  }
}

/** Client sessions that ran at least one statement, or were opened, between two snapshots. */
function activeClients(before: ClientSnapshot, after: ClientSnapshot): number {
  let moved = 0;
  for (const [pid, queryStart] of after.queryStarts) if (before.queryStarts.get(pid) !== queryStart) moved++;
  return Math.max(moved, after.sessions - before.sessions);
}

/** Connections to the database other than LISTEN connections (pg-boss's or the worker's). */
async function busyConnections(serverUrl: string, database: string): Promise<unknown[]> {
  const client = new pg.Client(withDatabase(serverUrl, 'postgres'));
  await client.connect();
  try {
    const { rows } = await client.query(
      "select application_name, state, left(query, 60) as query from pg_stat_activity where datname = $1 and backend_type = 'client backend' and application_name <> 'pgdialer-wake'",
      [database],
    );
    return rows;
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `setUp` on a fresh database, lets it settle, then counts transactions over `quietMs`. */
async function measure(
  context: BenchContext,
  quietMs: number,
  settleMs: number,
  setUp: (url: string) => Promise<() => Promise<void>>,
  expectIdleConnections = true,
): Promise<{ transactionsPerHour: number; activeClients: number }> {
  const name = `${context.template}_idle_${randomBytes(3).toString('hex')}`;
  await createDatabase(context.serverUrl, name, context.template);
  const url = withDatabase(context.serverUrl, name);
  try {
    const tearDown = await setUp(url);
    try {
      // Settled: the pools' idle connections closed (only LISTEN connections left, which issue
      // nothing), then past Postgres's 10 s idle statistics flush.
      if (expectIdleConnections) await waitFor(async () => (await busyConnections(context.serverUrl, name)).length === 0, 60_000, 'idle connections to close').catch(async (error) => {
        throw new Error(`${error.message}: ${JSON.stringify(await busyConnections(context.serverUrl, name))}`);
      });
      await sleep(settleMs);
      const before = await transactionsOf(context.serverUrl, name);
      const clientsBefore = await clientSnapshot(context.serverUrl, name);
      await sleep(quietMs);
      // Statistics are flushed at most once a second per backend: wait before the second read.
      const after = await transactionsOf(context.serverUrl, name);
      const clientsAfter = await clientSnapshot(context.serverUrl, name);
      return {
        transactionsPerHour: Math.round(((after - before) * 3_600_000) / quietMs),
        activeClients: activeClients(clientsBefore, clientsAfter),
      };
    } finally {
      await tearDown();
    }
  } finally {
    await dropDatabase(context.serverUrl, name);
  }
}

/** Starts server/main.ts processes and waits until each has started (and every worker sleeps). */
async function processes(url: string, modes: string[]): Promise<() => Promise<void>> {
  const children = modes.map((mode) =>
    runMain([mode], { DATABASE_URL: url, APP_SECRET: TEST_APP_SECRET, PORT: '0', LOG_LEVEL: 'info' }),
  );
  for (const [index, child] of children.entries()) {
    await waitFor(() => child.logs.some((line) => line.event === 'started'), 60_000, `${modes[index]} to start`);
    if (modes[index] !== 'api') await waitFor(() => child.logs.some((line) => line.event === 'worker.sleeping'), 60_000, 'the worker to sleep');
  }
  return async () => {
    for (const { child } of children) {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
  };
}

export async function run(context: BenchContext): Promise<BenchSection> {
  const quietMs = context.quick ? 10_000 : 60_000;
  // Postgres flushes an idle backend's statistics within 10 s.
  const settleMs = 11_000;
  const nothing = await measure(context, quietMs, settleMs, async () => async () => {}, false);
  const all = await measure(context, quietMs, settleMs, (url) => processes(url, ['all']));
  const split = await measure(context, quietMs, settleMs, (url) => processes(url, ['api', 'worker']));
  const pgBoss = await measure(context, quietMs, settleMs, async (url) => {
    const boss = createBoss(url, { migrate: false });
    boss.on('error', () => {});
    await boss.start();
    await boss.createQueue('idle-baseline');
    await boss.work('idle-baseline', async () => {});
    return () => boss.stop({ graceful: false, close: true });
  }, false);
  const dropping = await sleepOnDroppingServer(context);
  const figures = {
    quiet_period_s: quietMs / 1000,
    idle_session_timeout_s: IDLE_SESSION_TIMEOUT_S,
    asleep_window_s: Math.round(dropping.quietMs / 1000),
    sessions_opened_while_asleep_dropping_server: dropping.asleep.sessionsOpened,
    client_transactions_while_asleep_dropping_server: dropping.asleep.clientTransactions,
    pg_stat_database_transactions_while_asleep_dropping_server: dropping.asleep.transactions,
    sessions_seen_while_asleep_dropping_server: dropping.asleep.sessionsSeen.length,
    dispatch_lag_after_sleep_p99_ms: dropping.p99,
    dispatch_lag_after_sleep_max_ms: dropping.lags[dropping.lags.length - 1]!,
    dispatch_lag_after_sleep_samples: dropping.lags.length,
    transactions_per_hour_nothing_connected: nothing.transactionsPerHour,
    transactions_per_hour_all_in_one: all.transactionsPerHour,
    transactions_per_hour_api_and_worker_split: split.transactionsPerHour,
    transactions_per_hour_pgboss_defaults: pgBoss.transactionsPerHour,
    client_sessions_with_statements_all_in_one: all.activeClients,
    client_sessions_with_statements_split: split.activeClients,
    client_sessions_with_statements_pgboss_defaults: pgBoss.activeClients,
  };
  const goals: Goal[] = [
    {
      name: `sessions opened while asleep, server closing idle sessions after ${IDLE_SESSION_TIMEOUT_S} s`,
      value: dropping.asleep.sessionsOpened,
      target: '0',
      met: dropping.asleep.sessionsOpened === 0 && dropping.asleep.sessionsSeen.length === 0,
    },
    {
      name: 'transactions by client sessions while asleep, same server',
      value: dropping.asleep.clientTransactions,
      target: '0',
      met: dropping.asleep.clientTransactions === 0,
    },
    {
      name: 'dispatch lag of a call falling due after a sleep, p99 (connection set-up included)',
      value: dropping.p99,
      target: '≤ 1000 ms',
      met: dropping.p99 <= 1_000,
    },
    {
      name: 'client sessions that ran a statement while idle, api+worker in one process',
      value: all.activeClients,
      target: '0 between wake-ups',
      met: all.activeClients === 0,
    },
    {
      name: 'client sessions that ran a statement while idle, api and worker apart',
      value: split.activeClients,
      target: '0 between wake-ups',
      met: split.activeClients === 0,
    },
  ];
  const row = (label: string, m: { transactionsPerHour: number; activeClients: number }) =>
    `| ${label} | ${m.transactionsPerHour} | ${m.activeClients} |`;
  const table = [
    '| set-up | transactions per hour while idle (pg_stat_database) | client sessions that ran a statement in the window |',
    '|---|---:|---:|',
    row('nothing connected: Postgres\'s own background work', nothing),
    row('pgdialer, API + worker in one process', all),
    row('pgdialer, API and worker as two processes', split),
    row('baseline: pg-boss defaults, one worker on one queue', pgBoss),
    '',
    `| npm start, server closing idle sessions after ${IDLE_SESSION_TIMEOUT_S} s (idle_session_timeout) | figure |`,
    '|---|---:|',
    `| asleep for ${Math.round(dropping.quietMs / 1000)} s: client sessions seen / opened | ${dropping.asleep.sessionsSeen.length} / ${dropping.asleep.sessionsOpened} |`,
    `| asleep: transactions by client sessions / all in pg_stat_database (autovacuum's visits included) | ${dropping.asleep.clientTransactions} / ${dropping.asleep.transactions} |`,
    `| dispatch lag after a sleep, ${dropping.lags.length} calls: p99 / max (ms) | ${dropping.p99} / ${dropping.lags[dropping.lags.length - 1]} |`,
  ].join('\n');
  return {
    name: 'idle',
    figures,
    goals,
    table,
    notes: `Counted over ${quietMs / 1000} s of quiet (after the idle connections closed and ${settleMs / 1000} s more for Postgres to flush statistics); transactions extrapolated to one hour. pg_stat_database's transactions include Postgres's own background work (autovacuum, analyze: the "nothing connected" row), so the statements of the clients themselves are read from pg_stat_activity: a client session that runs any statement moves its query_start, and a session opened in the window counts too. 0 there means no statement at all from the set-up. The second table runs npm start (DATABASE_URL, so no LISTEN) against a database whose sessions the server closes after ${IDLE_SESSION_TIMEOUT_S} s without a statement (idle_session_timeout, the stand-in for Neon's suspend): client sessions are polled every 50 ms from another database over ${Math.round(dropping.quietMs / 1000)} s of sleep, sessions opened come from pg_stat_database.sessions (client sessions only); with no client session in the window, client transactions are 0, while pg_stat_database also counts the visits of autovacuum workers. Then ${dropping.lags.length} direct calls, each asked for through the API 3 s ahead: the worker looks, sleeps with no session (checked before each due time), and its timer wakes it; the lag is the simulator's receipt of the POST minus the due instant, connection set-up and pg-boss's start included. Taken on a machine shared with other work: figures vary.`,
  };
}
