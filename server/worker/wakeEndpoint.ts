// POST /internal/wake: how an API running apart from the worker wakes it (WORKER_WAKE_URL), so
// the worker need not hold a LISTEN session while it sleeps. The bearer token is derived from
// APP_SECRET (workerWakeToken), which both processes have. It only asks for a pass: the worker
// re-reads everything from Postgres, so a wake-up carries no data and a spare one costs one pass.
import express, { type Express } from 'express';
import { z } from '../../db/zod.js';
import type { Logger } from '../log.js';
import { wakeTokenMatches } from './wake.js';

export const WAKE_PATH = '/internal/wake';

const wakeBody = z.object({ reason: z.string().max(100).optional() }).strict();

export function installWorkerWake(app: Express, deps: { appSecret: string; log: Logger; wake: (reason: string) => void }): void {
  app.post(WAKE_PATH, express.json({ limit: '1kb' }), (request, response) => {
    if (!wakeTokenMatches(deps.appSecret, request.headers.authorization)) {
      deps.log.warn('worker_wake.unauthorized', { ip: request.ip });
      response.status(401).json({ error: { code: 'unauthorized', message: 'a valid wake token is required', details: [] } });
      return;
    }
    const body = wakeBody.safeParse(request.body ?? {});
    if (!body.success) {
      response.status(400).json({
        error: { code: 'validation_error', message: 'invalid wake request', details: body.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) },
      });
      return;
    }
    deps.wake(`http:${body.data.reason ?? 'wake'}`);
    response.status(202).json({ accepted: true });
  });
}
