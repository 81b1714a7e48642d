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
  const figures = {
    quiet_period_s: quietMs / 1000,
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
  ].join('\n');
  return {
    name: 'idle',
    figures,
    goals,
    table,
    notes: `Counted over ${quietMs / 1000} s of quiet (after the idle connections closed and ${settleMs / 1000} s more for Postgres to flush statistics); transactions extrapolated to one hour. pg_stat_database's transactions include Postgres's own background work (autovacuum, analyze: the "nothing connected" row), so the statements of the clients themselves are read from pg_stat_activity: a client session that runs any statement moves its query_start, and a session opened in the window counts too. 0 there means no statement at all from the set-up.`,
  };
}
