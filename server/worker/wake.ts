// How anything (the API, an import, a webhook) tells the worker to look again at once:
// a NOTIFY on one channel. The worker LISTENs on it even while asleep, which costs no
// statements; delayed and cron work is covered by the worker's own timer (see worker docs).
import { sql, type CommonQueryMethods } from 'slonik';

export const WAKE_CHANNEL = 'dialer_wake';

/** Wakes every worker process; delivered when the surrounding transaction commits. */
export async function notifyWorker(connection: CommonQueryMethods, reason: string): Promise<void> {
  await connection.query(sql.unsafe`select pg_notify(${WAKE_CHANNEL}, ${reason})`);
}
