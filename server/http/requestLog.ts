// One log line per request, written when the response is finished.
import type { Express } from 'express';
import type { Logger } from '../log.js';

export function installRequestLog(app: Express, log: Logger): void {
  app.use((request, response, next) => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug('http.request', { method: request.method, path: request.path, status: response.statusCode, ms: Math.round(ms * 10) / 10 });
    });
    next();
  });
}
