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
): Promise<number> {
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
      await sleep(quietMs);
      // Statistics are flushed at most once a second per backend: wait before the second read.
      const after = await transactionsOf(context.serverUrl, name);
      return Math.round(((after - before) * 3_600_000) / quietMs);
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
    transactions_per_hour_all_in_one: all,
    transactions_per_hour_api_and_worker_split: split,
    transactions_per_hour_pgboss_defaults: pgBoss,
  };
  const goals: Goal[] = [
    { name: 'idle statements per hour, api+worker in one process', value: all, target: '0 between wake-ups', met: all === 0 },
  ];
  const table = [
    '| set-up | transactions per hour while idle |',
    '|---|---|',
    `| pgdialer, API + worker in one process | ${all} |`,
    `| pgdialer, API and worker as two processes | ${split} |`,
    `| baseline: pg-boss defaults, one worker on one queue | ${pgBoss} |`,
  ].join('\n');
  return {
    name: 'idle',
    figures,
    goals,
    table,
    notes: `Counted over ${quietMs / 1000} s of quiet (after the idle connections closed and ${settleMs / 1000} s more for Postgres to flush statistics) and extrapolated to one hour; one transaction ≈ one statement here (no explicit transactions while idle).`,
  };
}
