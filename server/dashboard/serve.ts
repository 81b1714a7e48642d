// Serves the built dashboard at / (index.html and /assets/*, hashed names cached for good).
// The dashboard is a client of the public /v1 API only: this module serves files, nothing else.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from '../log.js';
import { buildDashboard, dashboardDist, dashboardRoot } from './build.js';

const indexFile = join(dashboardDist, 'index.html');

/** At first start: build when dist/ is missing (a checkout whose install skipped the build). */
export async function ensureDashboardBuilt(log: Logger): Promise<void> {
  if (existsSync(indexFile) || !existsSync(join(dashboardRoot, 'index.html'))) return;
  const started = Date.now();
  try {
    await buildDashboard({ quiet: true });
    log.info('dashboard.built', { ms: Date.now() - started });
  } catch (error) {
    log.warn('dashboard.build_failed', { error, hint: 'run npm run dashboard:build' });
  }
}

export function installDashboard(app: Express): void {
  app.use('/assets', express.static(join(dashboardDist, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));
  app.get(['/', '/index.html'], (_request, response) => {
    if (!existsSync(indexFile)) {
      response.status(503).type('text/plain').send('The dashboard is not built: run `npm run dashboard:build` (or restart the server).\n');
      return;
    }
    response.set('Cache-Control', 'no-cache').sendFile(indexFile);
  });
}
