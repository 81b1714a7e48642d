// The Express app, assembled from small install modules in a fixed order: request log first,
// routes next, "not found" and the error handler last.
import express, { type Express } from 'express';
import type { AppContext } from './context.js';
import { installRequestLog } from './http/requestLog.js';
import { installHealth } from './http/health.js';
import { installApi } from './api/index.js';
import { installWebhooks } from './webhooks/index.js';
import { installNotFound, installErrorHandler } from './http/errors.js';
import { installDashboard } from './dashboard/serve.js';
import { installWorkerWake } from './worker/wakeEndpoint.js';

export function createApp(context: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  installRequestLog(app, context.log);
  installHealth(app, context);
  if (context.serveWorkerWake && context.wakeWorker) installWorkerWake(app, { appSecret: context.secrets.appSecret, log: context.log, wake: context.wakeWorker });
  // Before /v1 and its JSON parser: webhooks need the raw bytes for HMAC.
  installWebhooks(app, context);
  installApi(app, context);
  installDashboard(app);
  installNotFound(app);
  installErrorHandler(app, context.log);
  return app;
}
