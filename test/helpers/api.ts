// Starts the real Express app on a free port for one test, closed at teardown.
import type { Test } from 'tap';
import { createApp } from '../../server/app.js';
import { listen } from '../../server/httpServer.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/log.js';
import { systemClock } from '../../server/clock.js';
import type { AppContext } from '../../server/context.js';

export async function startTestApi(t: Test, overrides: Partial<AppContext> & Pick<AppContext, 'pool'>) {
  const context: AppContext = {
    config: loadConfig({ APP_SECRET: 'test-secret-'.padEnd(40, 'x'), ADMIN_TOKEN: 'test-admin-token-123' }),
    secrets: { appSecret: 'test-secret-'.padEnd(40, 'x'), adminToken: 'test-admin-token-123' },
    log: silentLogger,
    clock: systemClock,
    workerState: () => ({ state: 'external' }),
    ...overrides,
  };
  const server = await listen(createApp(context), 0, '127.0.0.1', 1_000);
  t.teardown(() => server.close());
  return { url: server.url, context };
}
