// How a process started by server/main.ts wakes its worker, and the worker's own small HTTP
// server when it runs apart (`npm run start:worker` with WORKER_PORT): GET /health (the worker's
// state, no database session) and POST /internal/wake (wakeEndpoint.ts).
import express from 'express';
import type { Config } from '../config.js';
import type { Secrets } from '../localSecrets.js';
import type { Logger } from '../log.js';
import { listen, type RunningServer } from '../httpServer.js';
import { httpWaker, noWaker, type WorkerWaker } from './wake.js';
import { installWorkerWake, WAKE_PATH } from './wakeEndpoint.js';
import type { Worker } from './worker.js';

/** In one process: the worker itself. Apart: WORKER_WAKE_URL, or nothing (its timer, LISTEN or the next tick). */
export function workerWaking(deps: { config: Config; secrets: Secrets; log: Logger; worker: Worker | undefined }): WorkerWaker {
  const { config, log, worker } = deps;
  if (worker) return (reason) => worker.wake(reason);
  if (config.workerWakeUrl) return httpWaker({ url: config.workerWakeUrl, appSecret: deps.secrets.appSecret, log });
  log.info('api.worker_wake_disabled', {
    effect: 'changes made through this API reach a worker at its next wake-up (or through LISTEN, or the next tick)',
    fix: `set WORKER_WAKE_URL to the worker's ${WAKE_PATH} (npm run start:worker with WORKER_PORT)`,
  });
  return noWaker;
}

export async function startWorkerServer(deps: { port: number; appSecret: string; log: Logger; worker: Worker }): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok', worker: deps.worker.state() });
  });
  installWorkerWake(app, { appSecret: deps.appSecret, log: deps.log, wake: (reason) => deps.worker.wake(reason) });
  const server = await listen(app, deps.port);
  deps.log.info('worker.listening', { url: `http://localhost:${server.port}`, wake: WAKE_PATH });
  return server;
}
