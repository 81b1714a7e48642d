// SIGTERM to the npm process itself (what a host that runs `npm start` sends): every script that
// runs a server stops gracefully and leaves no node or Postgres process behind, nor its port held.
// npm forwards SIGTERM to its direct child only, the `sh -c` running the script; the scripts
// `exec` node so that child is node itself (see the README, "Stopping").
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/database.js';
import { alive, descendantsOf, endProcessesMentioning, portFree, processesMentioning, waitUntil } from '../helpers/processes.js';

t.setTimeout(300_000); // five npm scripts started and stopped, one of them a whole `npm test`: slow on a loaded machine

const appSecret = 'npm-signals-test-secret-'.padEnd(40, 'x');

type Scenario = {
  script: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves with the port the server listens on (or undefined) once it is up. */
  ready: (output: string, dir: string) => number | undefined | false;
  graceful: RegExp;
  /** A server ends with 0; an interrupted test run honestly fails. */
  interruptedFails?: boolean;
  /** Where npm runs (default: this checkout). */
  cwd?: string;
};

/**
 * A copy of the project (its node_modules linked) for a nested `npm test`: tap clears its
 * project's .tap/coverage and .tap/processinfo when it starts, which in this checkout would pull
 * them from under the run this test is part of.
 */
function projectCopy(t: Test): string {
  const root = join(import.meta.dirname, '..', '..');
  const copy = mkdtempSync(join(tmpdir(), 'pgdialer-project-'));
  const skipped = new Set(['node_modules', '.git', '.data', '.tap', 'test-results', 'dist']);
  cpSync(root, copy, { recursive: true, filter: (source) => !skipped.has(source.slice(source.lastIndexOf('/') + 1)) });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  return copy;
}

async function sigtermToNpm(t: Test, scenario: Scenario) {
  const dir = mkdtempSync(join(tmpdir(), 'pgdialer-npm-'));
  chmodSync(dir, 0o755);
  const npm = spawn('npm', scenario.script, {
    ...(scenario.cwd ? { cwd: scenario.cwd } : {}),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ENV_FILE: '/dev/null', LOG_LEVEL: 'info', DATA_DIR: dir, TMPDIR: dir, PORT: '0', ...scenario.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk));
  t.teardown(() => {
    for (const info of descendantsOf(npm.pid!)) process.kill(info.pid, 'SIGKILL');
    endProcessesMentioning(dir);
  });
  let port: number | undefined;
  await waitUntil(() => {
    if (npm.exitCode !== null) throw new Error(`npm exited early: ${output}`);
    const found = scenario.ready(output, dir);
    if (found === false) return false;
    port = found;
    return true;
  }, 90_000, `${scenario.script.join(' ')} to be ready`);

  const tree = descendantsOf(npm.pid!);
  const started = [...tree, ...processesMentioning(dir)];
  t.notOk(tree.some((info) => /^(\/bin\/)?sh -c/.test(info.cmdline)), 'no shell stands between npm and node');
  t.ok(tree.some((info) => info.cmdline.startsWith('node ') || info.cmdline.includes('/node ')), 'node runs under npm');

  npm.kill('SIGTERM');
  const [code, signal] = await once(npm, 'exit');
  if (scenario.interruptedFails) t.ok(code !== 0, `npm ends, reporting the run as failed (code ${code}, signal ${signal})`);
  else t.ok(code === 0 || signal === 'SIGTERM', `npm ends (code ${code}, signal ${signal})`);
  await waitUntil(() => started.every((info) => !alive(info.pid)), 15_000, 'every process it started to end').catch(() => {});
  t.same(started.filter((info) => alive(info.pid)).map((info) => info.cmdline), [], 'no process survives npm');
  t.same(processesMentioning(dir).map((info) => info.cmdline), [], 'no Postgres of its data directory runs');
  if (port) t.ok(await portFree(port), `port ${port} is free`);
  t.match(output, scenario.graceful, 'it shut down gracefully');
  return { dir, output };
}

const listeningPort = (output: string) => {
  const match = /"event":"api\.listening"[^\n]*"url":"http:\/\/localhost:(\d+)"/.exec(output);
  return match ? Number(match[1]) : false;
};

t.test('npm start (embedded Postgres)', async (t) => {
  const { dir } = await sigtermToNpm(t, { script: ['start'], ready: listeningPort, graceful: /"event":"shutdown\.done"[^\n]*"reason":"SIGTERM"/ });
  t.notOk(existsSync(join(dir, 'postgres-owner.json')), 'the owner record is removed with the database');
});

t.test('npm run start:api and start:worker (DATABASE_URL)', async (t) => {
  const db = await createTestDatabase(t);
  const env = { DATABASE_URL: db.url, APP_SECRET: appSecret };
  await sigtermToNpm(t, { script: ['run', 'start:api'], env, ready: listeningPort, graceful: /"event":"shutdown\.done"/ });
  await sigtermToNpm(t, {
    script: ['run', 'start:worker'],
    env,
    ready: (output) => (/"event":"started"/.test(output) ? undefined : false),
    graceful: /"event":"worker\.stopped"[\s\S]*"event":"shutdown\.done"/,
  });
});

t.test('npm run vapi:sim', async (t) => {
  await sigtermToNpm(t, {
    script: ['run', 'vapi:sim'],
    env: { VAPI_SIM_PORT: '0' },
    ready: (output) => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      return match ? Number(match[1]) : false;
    },
    graceful: /"event":"stopped"/,
  });
});

t.test('npm test: tap, the test files and the embedded Postgres of the run all end', async (t) => {
  const readyFile = join(mkdtempSync(join(tmpdir(), 'pgdialer-sleeper-')), 'pid');
  const { dir } = await sigtermToNpm(t, {
    script: ['test', '--', 'test/fixtures/signalSleeper.ts'],
    cwd: projectCopy(t),
    env: { SLEEPER_READY: readyFile, DATABASE_URL: '' },
    ready: () => (existsSync(readyFile) && readFileSync(readyFile, 'utf8') !== '' ? undefined : false),
    graceful: /tests: 0 passed, 1 failed/,
    interruptedFails: true,
  });
  t.notOk(alive(Number(readFileSync(readyFile, 'utf8'))), 'the test file process ended');
  t.same(readdirSync(dir).filter((name) => name.startsWith('pgdialer-test-')), [], 'the run removed its scratch Postgres');
});
