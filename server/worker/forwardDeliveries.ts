// Asynchronous relay: delivers the queued messages (dialer.forwards, mode async) to the tenants'
// forward URLs. SQL decides what is due and when a failed delivery is tried again
// (claim_forwards, record_forward_attempt); this module only claims, POSTs and records. It runs
// beside the tick, never inside it: a slow target must not hold up dialing. Kicked by the tick
// and by NOTIFY 'forward' (queue_forward); after each run it arms its own timer at the next
// claimable instant (a delivery may fall due while a round or a tick runs), and after a round
// that scheduled a retry it asks the worker for a tick, which re-arms the worker's own wake-up
// at next_wake_at (next_forward_at is part of it) for when it sleeps or restarts.
import type { DatabasePool } from 'slonik';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { decryptSecret } from '../crypto.js';
import { claimForwards, forwardPayload, forwardsClaimableAt, recordForwardAttempt, type ClaimedForward, type ForwardResult } from '../../db/queries/forwards.js';
import { postForward } from '../webhooks/forwardPost.js';
import type { WorkerSettings } from './settings.js';

const ROUND_RETRY_MS = 5_000;
// setTimeout takes at most 2^31-1 ms; a later delivery re-arms on the way.
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ForwardDeliveries = {
  /** Deliver what is due now (again after the current round, if one is running). */
  kick(): void;
  /** Resolves when no round is running or requested. */
  idle(): Promise<void>;
  /** Stops claiming; waits for deliveries in flight. */
  stop(): Promise<void>;
};

export type ForwardDeliveryOptions = {
  pool: DatabasePool;
  clock: Clock;
  log: Logger;
  appSecret: string;
  settings: WorkerSettings;
  /** A delivery failed and is due again later: the worker re-arms its wake-up. */
  onRetryScheduled: () => void;
};

export function createForwardDeliveries(options: ForwardDeliveryOptions): ForwardDeliveries {
  const { pool, clock, log, settings } = options;
  let requested = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let nextTimer: NodeJS.Timeout | undefined;

  /** The next claimable delivery: now → one more round; later → a timer for it. */
  async function armNext(): Promise<void> {
    const at = await forwardsClaimableAt(pool);
    clearTimeout(nextTimer);
    nextTimer = undefined;
    if (!at || stopping) return;
    const delay = at.getTime() - clock.now().getTime();
    if (delay <= 0) requested = true;
    else nextTimer = setTimeout(() => kick(), Math.min(delay, MAX_TIMER_MS));
  }

  async function deliver(forward: ClaimedForward): Promise<string | null> {
    const payload = await forwardPayload(pool, forward.event_id);
    let result: ForwardResult;
    if (!payload?.body || !payload.webhook_secret_encrypted) {
      result = { status: null, error: payload ? 'the tenant has no webhook secret to sign with' : 'the event is gone', durationMs: 0 };
    } else {
      const answer = await postForward({
        url: forward.url,
        body: payload.body,
        secret: decryptSecret(options.appSecret, payload.webhook_secret_encrypted),
        timeoutMs: settings.forwardTimeoutMs,
        headers: {
          'x-pgdialer-tenant': forward.tenant_id,
          'x-pgdialer-delivery': String(forward.id),
          'x-pgdialer-attempt': String(forward.attempts),
          ...(forward.call_id ? { 'x-pgdialer-call-id': forward.call_id } : {}),
        },
      });
      result = { status: answer.status, error: answer.ok ? null : answer.error, durationMs: answer.durationMs };
    }
    const state = await recordForwardAttempt(pool, forward.id, clock.now(), result, {
      baseMs: settings.forwardRetryBaseMs,
      maxMs: settings.forwardRetryMaxMs,
      giveUpAfterMs: settings.forwardGiveUpAfterMs,
    });
    if (state !== 'delivered') {
      const fields = { deliveryId: forward.id, type: forward.type, attempt: forward.attempts, status: result.status, error: result.error };
      if (state === 'failed') log.warn('forward.given_up', fields);
      else log.info('forward.retry_scheduled', fields);
    }
    return state;
  }

  async function round(): Promise<boolean> {
    let retries = false;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      // The lease covers the POST's timeout and the writes around it.
      const claimed = await claimForwards(pool, clock.now(), settings.forwardBatchSize, settings.forwardTimeoutMs + 30_000);
      for (const forward of claimed) {
        while (inFlight.size >= settings.forwardConcurrency) await Promise.race(inFlight);
        const delivery: Promise<void> = deliver(forward)
          .then((state) => {
            if (state === 'pending') retries = true;
          })
          // Left leased: claimed again when the lease ends (next_forward_at wakes the worker).
          .catch((error) => {
            retries = true;
            log.error('forward.delivery_failed', { deliveryId: forward.id, error });
          })
          .finally(() => inFlight.delete(delivery));
        inFlight.add(delivery);
      }
      if (claimed.length < settings.forwardBatchSize || stopping) break;
    }
    await Promise.all(inFlight);
    return retries;
  }

  async function run(): Promise<void> {
    while (requested && !stopping) {
      requested = false;
      try {
        if (await round()) options.onRetryScheduled();
        if (!requested) await armNext();
      } catch (error) {
        // The database may be restarting: try again shortly rather than spin.
        log.error('forward.round_failed', { error });
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => kick(), ROUND_RETRY_MS);
      }
    }
  }

  function kick(): void {
    if (stopping) return;
    requested = true;
    loop ??= run().finally(() => (loop = undefined));
  }

  return {
    kick,
    async idle() {
      while (loop) await loop;
    },
    async stop() {
      stopping = true;
      clearTimeout(retryTimer);
      clearTimeout(nextTimer);
      await loop;
    },
  };
}
