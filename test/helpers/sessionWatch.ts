// Watches what clients do to one database over a window, from a session on another database
// (so watching costs the watched one nothing): the client sessions that existed at any poll
// (pg_stat_activity, every `pollMs`), and the sessions opened and transactions counted by
// pg_stat_database between the start and the end. Shared by test/worker/sleep.test.ts and
// bench/idle.bench.ts.
import pg from 'pg';
import { withDatabase } from '../../db/databaseUrls.js';

export type SessionWindow = {
  /** Distinct client sessions seen connected during the window (application names). */
  sessionsSeen: string[];
  /** pg_stat_database.sessions, end minus start. */
  sessionsOpened: number;
  /** pg_stat_database.xact_commit + xact_rollback, end minus start: autovacuum's visits count too. */
  transactions: number;
  /**
   * Transactions client sessions can have run: 0 when no client session existed in the window (none
   * seen at any poll, none opened: pg_stat_database.sessions counts client sessions only), else
   * `transactions`, an upper bound. Autovacuum workers visit every database now and then and
   * their catalog reads count in pg_stat_database, with nobody connected at all.
   */
  clientTransactions: number;
  ms: number;
};

export type SessionWatcher = {
  /** Client sessions connected now (application names). */
  connected(): Promise<string[]>;
  /** Counts from now until the returned function is called. */
  start(): Promise<() => Promise<SessionWindow>>;
  close(): Promise<void>;
};

export async function watchSessions(serverUrl: string, database: string, pollMs = 50): Promise<SessionWatcher> {
  const observer = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres'), application_name: 'pgdialer-observer' });
  await observer.connect();
  const connected = async () => {
    const { rows } = await observer.query(
      "select pid, application_name from pg_stat_activity where datname = $1 and backend_type = 'client backend' order by pid",
      [database],
    );
    return rows.map((row: { pid: number; application_name: string }) => `${row.pid}:${row.application_name || '?'}`);
  };
  const counters = async () => {
    // Each backend flushes its statistics at most once a second and at exit: read a fresh snapshot.
    await observer.query('select pg_stat_clear_snapshot()');
    const { rows } = await observer.query('select sessions, xact_commit + xact_rollback as xacts from pg_stat_database where datname = $1', [database]);
    return { sessions: Number(rows[0].sessions), xacts: Number(rows[0].xacts) };
  };
  return {
    connected: async () => (await connected()).map((entry) => entry.split(':').slice(1).join(':')),
    async start() {
      // Counts of sessions that ended just before are flushed at most a second late: let them land first.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const before = await counters();
      const started = Date.now();
      const seen = new Set<string>();
      let polling = true;
      const loop = (async () => {
        while (polling) {
          for (const entry of await connected()) seen.add(entry);
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      })();
      return async () => {
        polling = false;
        await loop;
        const ms = Date.now() - started;
        // Let every backend that ran in the window flush its counters (at most 1 s late).
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        const after = await counters();
        const sessionsSeen = [...seen].map((entry) => entry.split(':').slice(1).join(':'));
        const sessionsOpened = after.sessions - before.sessions;
        const transactions = after.xacts - before.xacts;
        const clientTransactions = sessionsSeen.length === 0 && sessionsOpened === 0 ? 0 : transactions;
        return { sessionsSeen, sessionsOpened, transactions, clientTransactions, ms };
      };
    },
    close: () => observer.end(),
  };
}
