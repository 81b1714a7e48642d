// The API as a serverless function (Vercel's Node runtime, or any host that wants a request
// handler): `export default` is a plain (request, response) handler around createApp, with no
// listen(), no worker, no migrate and no background work. The pool opens a session only while a
// request runs a query and closes it after a second idle. Wake-ups for a worker elsewhere go to
// WORKER_WAKE_URL; with none, calls are dialed by the next tick (GET /v1/admin/tick from Vercel
// Cron). Requires DATABASE_URL (the pooled URL) and APP_SECRET. See DEPLOY.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';
import { resolveSecrets } from './localSecrets.js';
import { systemClock } from './clock.js';
import { createApp } from './app.js';
import { createDatabasePool } from '../db/pool.js';
import { workerWaking } from './worker/processWake.js';

let app: Promise<Express> | undefined;

/** Builds the app once per function instance (a cold start), from the environment. */
export async function createServerlessApp(env: NodeJS.ProcessEnv = process.env): Promise<Express> {
  const config = loadConfig(env);
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for the serverless API (there is no embedded Postgres on a function host)');
  const log = createLogger(config.logLevel, { process: 'api-function' });
  const secrets = resolveSecrets(config, log);
  const pool = await createDatabasePool(config.databaseUrl);
  return createApp({
    config,
    secrets,
    log,
    pool,
    clock: systemClock,
    workerState: () => ({ state: 'external' }),
    wakeWorker: workerWaking({ config, secrets, log, worker: undefined }),
  });
}

export default async function handler(request: IncomingMessage, response: ServerResponse): Promise<void> {
  app ??= createServerlessApp().catch((error) => {
    app = undefined; // the next request tries again
    throw error;
  });
  (await app)(request, response);
}
