// npm test — runs the tap suite against a real Postgres: DATABASE_URL's server when set,
// otherwise an embedded one in a temporary directory of its own (so two runs never share one),
// removed afterwards. Migrates one template database; each test file clones its own database
// from it (test/helpers/database.ts). Arguments go to tap: `npm test -- test/sql/x.test.ts`.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../server/config.js';
import { createLogger, silentLogger } from '../server/log.js';
import { startEmbeddedPostgres } from '../db/embeddedPostgres.js';
import { createDatabase, dropDatabase, withDatabase, databasesNamed } from '../db/databaseUrls.js';
import { migrate } from '../db/migrate.js';
import { join } from 'node:path';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const config = loadConfig();
const log = createLogger(config.logLevel, { process: 'test' });
const scratchDir = config.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'pgdialer-test-'));
if (scratchDir) chmodSync(scratchDir, 0o755);
const embedded = scratchDir ? await startEmbeddedPostgres({ dataDir: scratchDir, log: createLogger('warn') }) : undefined;
const serverUrl = config.databaseUrl ?? embedded!.url;
// A signal goes to tap's process group (tap does not pass it on to the test files, which would keep
// running), and tap's end runs the cleanup below; before tap runs, the embedded Postgres (detached)
// is stopped here. Nothing outlives `npm test`.
let tap: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (tap?.pid && tap.exitCode === null && tap.signalCode === null) return void process.kill(-tap.pid, signal);
    void (embedded?.stop() ?? Promise.resolve()).finally(() => {
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
const template = `pgdialer_test_${process.pid}`;

let exitCode = 1;
try {
  await dropDatabase(serverUrl, template);
  await createDatabase(serverUrl, template);
  const started = Date.now();
  await migrate(withDatabase(serverUrl, template), silentLogger);
  log.debug('test.template_ready', { template, ms: Date.now() - started });
  exitCode = await new Promise<number>((resolve) => {
    tap = spawn(join('node_modules', '.bin', 'tap'), process.argv.slice(2), {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true, // its own process group, signalled as a whole
      env: { ...process.env, PGDIALER_TEST_SERVER_URL: serverUrl, PGDIALER_TEST_TEMPLATE: template },
    });
    // tap's own summary is "# { total: N, pass: N, fail: N }"; CI systems read the plain line printed after it.
    let summary = '';
    tap.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      summary = (summary + chunk.toString()).slice(-4_000);
    });
    tap.on('close', (code) => {
      const counts = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(summary.split('\n').reverse().find((line) => line.startsWith('# { total')) ?? '');
      if (counts) process.stdout.write(`\ntests: ${counts[2] ?? 0} passed, ${counts[3] ?? 0} failed\n`);
      resolve(code ?? 1);
    });
  });
} finally {
  // Test files drop their own databases; this catches what a crashed file left behind.
  for (const name of await databasesNamed(serverUrl, `${template}%`)) await dropDatabase(serverUrl, name);
  await embedded?.stop();
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
}
process.exit(exitCode);
