// How anything (the API, an import, a webhook) tells the worker to look again at once, without
// the worker holding a database session while it sleeps:
// - in one process (`npm start`) the API calls the worker directly (`inProcessWaker`);
// - apart, the API POSTs the worker's small wake endpoint, WORKER_WAKE_URL (`httpWaker`);
// - and a NOTIFY on `dialer_wake` in the same transaction (`notifyWorker`), which reaches
//   workers that LISTEN (only where DATABASE_LISTEN declares the database not serverless).
// Whoever wakes does so after its transaction committed, so the pass sees the change. The
// worker's timer and pg-boss's durable wake-up job stay the source of truth for the next wake-up.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { sql, type CommonQueryMethods } from 'slonik';
import type { Logger } from '../log.js';

export const WAKE_CHANNEL = 'dialer_wake';

/** Wakes every LISTENing worker process; delivered when the surrounding transaction commits. */
export async function notifyWorker(connection: CommonQueryMethods, reason: string): Promise<void> {
  await connection.query(sql.unsafe`select pg_notify(${WAKE_CHANNEL}, ${reason})`);
}

/** Call after the change committed; never throws, never waits. */
export type WorkerWaker = (reason: string) => void;

export const noWaker: WorkerWaker = () => {};

/** Both processes share APP_SECRET: the wake endpoint's bearer token is derived from it. */
export function workerWakeToken(appSecret: string): string {
  return createHmac('sha256', appSecret).update('pgdialer worker wake v1').digest('hex');
}

export function wakeTokenMatches(appSecret: string, authorization: string | undefined): boolean {
  const expected = Buffer.from(`Bearer ${workerWakeToken(appSecret)}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** POSTs `{reason}` to the worker's wake endpoint; resolves with the status (202: accepted). */
export function postWake(options: { url: string; appSecret: string; reason: string; timeoutMs?: number }): Promise<number> {
  const url = new URL(options.url);
  const send = url.protocol === 'https:' ? httpsRequest : request;
  const body = JSON.stringify({ reason: options.reason });
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${workerWakeToken(options.appSecret)}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: options.timeoutMs ?? 2_000,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A waker over HTTP: a failure is logged, never raised (the worker's timer still holds). */
export function httpWaker(options: { url: string; appSecret: string; log: Logger; timeoutMs?: number }): WorkerWaker {
  return (reason) => {
    postWake({ ...options, reason }).then(
      (status) => {
        if (status !== 202) options.log.warn('worker_wake.refused', { url: options.url, status, reason });
      },
      (error: Error) => options.log.warn('worker_wake.failed', { url: options.url, reason, error: error.message }),
    );
  };
}

/** A waker that calls the worker of this process once it exists. */
export function inProcessWaker(): WorkerWaker & { attach(wake: WorkerWaker): void } {
  let target: WorkerWaker = noWaker;
  const waker = ((reason: string) => target(reason)) as WorkerWaker & { attach(wake: WorkerWaker): void };
  waker.attach = (wake) => (target = wake);
  return waker;
}
