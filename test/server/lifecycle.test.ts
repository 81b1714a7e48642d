// The real entry point as a user runs it: start, answer /health, stop cleanly on a signal.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/database.js';
import { startServer } from '../helpers/serverProcess.js';

t.setTimeout(300_000); // four servers, two of them on embedded Postgres: slow on a loaded machine

const appSecret = 'lifecycle-test-secret-'.padEnd(40, 'x');

function postmasterRunning(databaseDir: string): boolean {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 0);
    return true;
  } catch {
    return false;
  }
}

t.test('with DATABASE_URL: starts, serves /health, stops on SIGTERM with code 0', async (t) => {
  const db = await createTestDatabase(t);
  const server = await startServer([], { DATABASE_URL: db.url, APP_SECRET: appSecret });
  t.teardown(() => server.stop('SIGKILL'));
  const health = await fetch(`${server.url}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { database: 'ok', worker: { state: String } });
  t.equal(await server.stop('SIGTERM'), 0, 'exits 0');
  const events = server.logs.map((line) => line.event);
  t.ok(events.includes('shutdown.done'), 'logs the end of the shutdown');
  t.ok(events.indexOf('worker.stopped') < events.indexOf('shutdown.done'), 'the worker is stopped before the end');
});

t.test('api and worker run apart', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startServer(['api'], { DATABASE_URL: db.url, APP_SECRET: appSecret });
  const worker = await startServer(['worker'], { DATABASE_URL: db.url, APP_SECRET: appSecret });
  t.teardown(async () => {
    await api.stop('SIGKILL');
    await worker.stop('SIGKILL');
  });
  t.match(await (await fetch(`${api.url}/health`)).json(), { database: 'ok', worker: { state: 'external' } });
  t.notOk(worker.logs.some((line) => line.event === 'api.listening'), 'the worker serves no HTTP');
  t.equal(await worker.stop('SIGINT'), 0);
  t.equal(await api.stop('SIGINT'), 0);
});

t.test('embedded database: Ctrl-C leaves no Postgres running, and a second start finds the same data', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgdialer-lifecycle-'));
  chmodSync(dataDir, 0o755);
  t.teardown(() => first.stop('SIGKILL'));
  const first = await startServer([], { DATA_DIR: dataDir }, 60_000);
  const health = await fetch(`${first.url}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { database: 'ok' });
  const started = first.logs.find((line) => line.event === 'embedded_postgres.started')!;
  const databaseDir = String(started.databaseDir);
  t.ok(postmasterRunning(databaseDir), 'Postgres runs while the app runs');
  const secret = readFileSync(join(dataDir, 'app-secret'), 'utf8');

  t.equal(await first.stop('SIGINT'), 0, 'exits 0 on SIGINT');
  t.notOk(postmasterRunning(databaseDir), 'no Postgres left running');

  const second = await startServer([], { DATA_DIR: dataDir }, 60_000);
  t.teardown(() => second.stop('SIGKILL'));
  t.notOk(second.logs.some((line) => line.event === 'embedded_postgres.initialise'), 'the data directory is reused');
  t.equal(readFileSync(join(dataDir, 'app-secret'), 'utf8'), secret, 'and the same APP_SECRET');
  const migrated = second.logs.find((line) => line.event === 'db.migrated') as { migrationsRun: string[] };
  t.same(migrated.migrationsRun, [], 'nothing left to migrate: same database');
  t.equal(await second.stop('SIGTERM'), 0);
  t.notOk(postmasterRunning(databaseDir));
});

t.test('embedded database: a leftover Postgres from a killed run is stopped and replaced', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgdialer-lifecycle-'));
  chmodSync(dataDir, 0o755);
  const killed = await startServer([], { DATA_DIR: dataDir }, 60_000);
  const databaseDir = String(killed.logs.find((line) => line.event === 'embedded_postgres.started')!.databaseDir);
  await killed.stop('SIGKILL');
  t.ok(postmasterRunning(databaseDir), 'kill -9 leaves Postgres running');
  const next = await startServer([], { DATA_DIR: dataDir }, 60_000);
  t.teardown(() => next.stop('SIGKILL'));
  t.match(
    next.logs.find((line) => line.event === 'embedded_postgres.stopping_leftover'),
    { deadOwner: `pid ${killed.child.pid} (node server/main.ts, since ` },
    'the dead owner is named',
  );
  t.equal((await fetch(`${next.url}/health`)).status, 200);
  t.equal(await next.stop('SIGTERM'), 0);
  t.notOk(postmasterRunning(databaseDir));
});
