// Split mode (`start:api` and `start:worker` apart): the worker's events (dials, wake/sleep)
// reach the API process's streams through Postgres, on the channel dialer_events.
//
// - The API process LISTENs on ONE dedicated connection, opened when the first /v1/events
//   stream opens and closed when the last one closes: with nobody watching it holds nothing.
// - The worker process sends its events with pg_notify, batched (one statement per
//   FORWARD_EVERY_MS at most), only when it has events, which it has only while awake and
//   holding connections anyway; a sleeping worker sends nothing. NOTIFY without a listener
//   is dropped by Postgres at no cost beyond the statement.
// In one process (`npm start`) neither runs: the bus is shared in memory.
import pg from 'pg';
import { sql, type DatabasePool } from 'slonik';
import type { Logger } from '../log.js';
import { onWatchersChange, publish, subscribe, watcherCount, type DialerEvent } from './bus.js';

export const EVENTS_CHANNEL = 'dialer_events';
const FORWARD_EVERY_MS = 250;
// NOTIFY payloads must stay under 8,000 bytes.
const MAX_PAYLOAD = 7_000;

export type Relay = { close(): Promise<void> };

export function relayFromPostgres(options: { databaseUrl: string; log: Logger }): Relay {
  let client: pg.Client | undefined;
  let opening: Promise<void> | undefined;
  let closed = false;

  async function open(): Promise<void> {
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: 'pgdialer-events' });
    next.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      try {
        for (const event of JSON.parse(message.payload) as DialerEvent[]) publish(event, 'relayed');
      } catch (error) {
        options.log.warn('events.relay_bad_payload', { error });
      }
    });
    next.on('error', (error) => options.log.warn('events.relay_error', { error: error.message }));
    next.on('end', () => {
      if (client === next) client = undefined;
      // Dropped while streams are open: listen again.
      if (!closed && watcherCount() > 0) setTimeout(sync, 1_000).unref();
    });
    await next.connect();
    await next.query(`listen ${EVENTS_CHANNEL}`);
    client = next;
  }

  function sync(): void {
    const wanted = !closed && watcherCount() > 0;
    if (wanted && !client && !opening) {
      opening = open()
        .catch((error) => options.log.warn('events.relay_listen_failed', { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          opening = undefined;
          sync();
        });
    } else if (!wanted && client) {
      const current = client;
      client = undefined;
      void current.end().catch(() => {});
    }
  }

  const unsubscribe = onWatchersChange(sync);
  sync();
  return {
    async close() {
      closed = true;
      unsubscribe();
      await opening;
      sync();
    },
  };
}

export function forwardToPostgres(options: { pool: DatabasePool; log: Logger }): Relay {
  let buffer: DialerEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function payloads(batch: DialerEvent[]): string[] {
    const out: string[] = [];
    let current: string[] = [];
    let size = 2;
    for (const event of batch) {
      const json = JSON.stringify(event);
      if (current.length > 0 && size + json.length + 1 > MAX_PAYLOAD) {
        out.push(`[${current.join(',')}]`);
        current = [];
        size = 2;
      }
      current.push(json);
      size += json.length + 1;
    }
    if (current.length > 0) out.push(`[${current.join(',')}]`);
    return out;
  }

  function flush(): Promise<void> {
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return flushing;
    flushing = flushing
      .then(() => options.pool.query(sql.unsafe`select pg_notify(${EVENTS_CHANNEL}, payload) from unnest(${sql.array(payloads(batch), 'text')}) payload`))
      .then(() => undefined)
      .catch((error) => options.log.warn('events.forward_failed', { error }));
    return flushing;
  }

  const unsubscribe = subscribe((event, origin) => {
    if (origin !== 'local' || event.type === 'progress') return;
    buffer.push(event);
    timer ??= setTimeout(flush, FORWARD_EVERY_MS);
  });
  return {
    async close() {
      unsubscribe();
      clearTimeout(timer);
      await flush();
    },
  };
}
