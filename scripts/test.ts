// npm test — runs the tap suite against a real Postgres: DATABASE_URL's server when set,
// otherwise an embedded one in a temporary directory of its own (so two runs never share one),
// removed afterwards. Migrates one template database; each test file clones its own database
// from it (test/helpers/database.ts). Then the browser tests (Playwright, test/browser/*.spec.ts).
// Arguments: `npm test -- test/sql/x.test.ts` (tap), `npm test -- test/browser/dashboard.spec.ts`
// (Playwright), `npm test -- --browser-only`.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../server/config.js';
import { createLogger, silentLogger } from '../server/log.js';
import { startEmbeddedPostgres } from '../db/embeddedPostgres.js';
import { createDatabase, dropDatabase, withDatabase, databasesNamed } from '../db/databaseUrls.js';
import { migrate } from '../db/migrate.js';
import { join } from 'node:path';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runBrowserTests } from './browserTests.js';

const config = loadConfig();
const log = createLogger(config.logLevel, { process: 'test' });
const scratchDir = config.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'pgdialer-test-'));
if (scratchDir) chmodSync(scratchDir, 0o755);
const embedded = scratchDir ? await startEmbeddedPostgres({ dataDir: scratchDir, log: createLogger('warn') }) : undefined;
const serverUrl = config.databaseUrl ?? embedded!.url;
// A signal goes to the running runner's process group (tap does not pass it on to the test files,
// which would keep running; Playwright's browsers are in its group), and the runner's end runs the
// cleanup below; before a runner runs, the embedded Postgres (detached) is stopped here. Nothing
// outlives `npm test`.
let running: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (running?.pid && running.exitCode === null && running.signalCode === null) return void process.kill(-running.pid, signal);
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
  const args = process.argv.slice(2);
  // Browser tests (*.spec.ts, Playwright) run after tap; with file arguments, each runner gets its own.
  const browserFiles = args.filter((arg) => arg.endsWith('.spec.ts'));
  const tapArgs = args.filter((arg) => !arg.endsWith('.spec.ts'));
  const runTap = !args.includes('--browser-only') && (args.length === 0 || tapArgs.some((arg) => !arg.startsWith('-')));
  const runBrowser = args.length === 0 || browserFiles.length > 0 || args.includes('--browser-only');
  const env = { ...process.env, PGDIALER_TEST_SERVER_URL: serverUrl, PGDIALER_TEST_TEMPLATE: template };
  const totals = { passed: 0, failed: 0 };
  let tapCode = 0;
  if (runTap) {
    tapCode = await new Promise<number>((resolve) => {
      const child = spawn(join('node_modules', '.bin', 'tap'), tapArgs, {
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true, // its own process group, signalled as a whole
        env,
      });
      running = child;
      // tap's own summary is "# { total: N, pass: N, fail: N }".
      let summary = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk);
        summary = (summary + chunk.toString()).slice(-4_000);
      });
      child.on('close', (code) => {
        const counts = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(summary.split('\n').reverse().find((line) => line.startsWith('# { total')) ?? '');
        totals.passed += Number(counts?.[2] ?? 0);
        totals.failed += Number(counts?.[3] ?? 0);
        resolve(code ?? 1);
      });
    });
  }
  let browserCode = 0;
  if (runBrowser) {
    const result = await runBrowserTests(browserFiles, env, (child) => (running = child));
    browserCode = result.code;
    totals.passed += result.passed;
    totals.failed += result.failed;
  }
  // CI systems read this plain line: tap's checks and the browser tests together.
  process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed\n`);
  exitCode = tapCode || browserCode;
} finally {
  // Test files drop their own databases; this catches what a crashed file left behind.
  for (const name of await databasesNamed(serverUrl, `${template}%`)) await dropDatabase(serverUrl, name);
  await embedded?.stop();
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
}
process.exit(exitCode);
