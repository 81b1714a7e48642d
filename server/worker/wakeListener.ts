// The worker's ear where the database is not serverless (DATABASE_LISTEN=true): ONE dedicated
// connection LISTENing on the wake channel. It issues no statements but holds a session, which
// keeps a serverless Postgres (Neon) awake: hence off by default. A NOTIFY from
// any process reaches it at once. If the connection drops it is re-opened with backoff, and the
// worker is woken, since notifications sent meanwhile are lost.
import pg from 'pg';
import type { Logger } from '../log.js';
import { WAKE_CHANNEL } from './wake.js';

export type WakeListener = { close(): Promise<void>; connected(): boolean };

export async function listenForWakeUps(options: {
  databaseUrl: string;
  log: Logger;
  onWake: (reason: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}): Promise<WakeListener> {
  const { log } = options;
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let client: pg.Client | undefined;
  let closed = false;
  let backoff = minBackoff;
  let retryTimer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.databaseUrl, application_name: 'pgdialer-wake', keepAlive: true });
    next.on('notification', (message) => {
      if (message.channel === WAKE_CHANNEL) options.onWake(message.payload || 'notify');
    });
    next.on('error', (error) => {
      log.warn('wake.listener_error', { error: error.message });
      void next.end().catch(() => {});
    });
    next.on('end', () => {
      if (client === next) client = undefined;
      if (!closed) scheduleReconnect();
    });
    await next.connect();
    await next.query(`listen ${WAKE_CHANNEL}`);
    client = next;
    backoff = minBackoff;
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    const delay = backoff;
    backoff = Math.min(maxBackoff, backoff * 2);
    retryTimer = setTimeout(async () => {
      retryTimer = undefined;
      try {
        await connect();
        log.info('wake.listener_reconnected');
        options.onWake('listener-reconnected');
      } catch (error) {
        log.warn('wake.listener_reconnect_failed', { error: error instanceof Error ? error.message : String(error), retryInMs: backoff });
        scheduleReconnect();
      }
    }, delay);
  }

  await connect();
  return {
    connected: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
