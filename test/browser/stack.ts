// The real stack for a browser test: a database cloned from npm test's template, the VAPI
// simulator, and the server as `npm start` runs it (a child process), on free ports.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createDatabase, dropDatabase, withDatabase } from '../../db/databaseUrls.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { startServer, type ServerProcess } from '../helpers/serverProcess.js';

export const ADMIN_TOKEN = 'browser-admin-token-123456';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type Stack = { url: string; simUrl: string; server: ServerProcess; close(): Promise<void> };

export async function startStack(): Promise<Stack> {
  const serverUrl = process.env.PGDIALER_TEST_SERVER_URL;
  const template = process.env.PGDIALER_TEST_TEMPLATE;
  if (!serverUrl || !template) throw new Error('run the browser tests with `npm test` (it prepares the database)');
  const name = `${template}_browser_${randomBytes(4).toString('hex')}`;
  await createDatabase(serverUrl, name, template);
  const sim = await startVapiSimulator({
    concurrencyLimit: 10,
    outcomes: { answered: 60, no_answer: 20, busy: 10, voicemail: 10, failed: 0 },
    timing: { queuedMs: [100, 300], ringingMs: [300, 800], talkMs: [1_500, 3_000], reportDelayMs: [50, 200] },
    seed: 7,
    // Known outcomes by the number's last digit: 1, 3, 5 answer; 2 does not; 4 is a voicemail.
    script: ({ customerNumber }) => ({ outcome: ({ '2': 'no_answer', '4': 'voicemail' } as const)[customerNumber.slice(-1) as '2' | '4'] ?? 'answered' }),
  });
  const port = await freePort();
  const server = await startServer(['all'], {
    DATABASE_URL: withDatabase(serverUrl, name),
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    APP_SECRET: 'browser-test-secret-'.padEnd(40, 'x'),
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
  }, 60_000);
  return {
    url: `http://127.0.0.1:${port}`,
    simUrl: sim.url,
    server,
    async close() {
      await server.stop();
      await sim.close();
      await dropDatabase(serverUrl, name);
    },
  };
}
