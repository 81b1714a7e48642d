// The embedded Postgres belongs to the process that started it: tools run beside the server use
// its database and leave it running; a second server refuses, naming the first; only a dead
// owner's database is stopped (test/server/lifecycle.test.ts has the killed-owner case).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimOwnership, ownerFile, processStart, readOwner, releaseOwnership } from '../../db/embeddedOwner.js';
import { runMain, startServer } from '../helpers/serverProcess.js';
import { alive, endProcessesMentioning } from '../helpers/processes.js';

t.setTimeout(300_000); // an embedded Postgres, a server and six tool runs: slow on a loaded machine

const root = fileURLToPath(new URL('../..', import.meta.url));
const smallCsv = fileURLToPath(new URL('../fixtures/small.csv', import.meta.url));

function scratchDir(prefix = 'pgdialer-owner-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

function runTool(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ENV_FILE: '/dev/null', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const postmasterPid = (databaseDir: string) =>
  existsSync(join(databaseDir, 'postmaster.pid')) ? Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]) : undefined;

// A zombie (exited, not yet reaped by an init that may never reap it) does not count.
const running = (pid: number | undefined) => pid !== undefined && alive(pid);

t.test('the owner record', async (t) => {
  t.test('a free directory is claimed; the record names this process', async (t) => {
    const dir = scratchDir();
    t.match(claimOwnership(dir, join(dir, 'postgres')), { claimed: true, replaced: undefined });
    t.match(readOwner(dir), { pid: process.pid, processStart: processStart(process.pid), databaseDir: join(dir, 'postgres'), port: undefined });
    releaseOwnership(dir);
    t.notOk(existsSync(ownerFile(dir)), 'released: the file is gone');
  });

  t.test('a live owner keeps it', async (t) => {
    const dir = scratchDir();
    const other = spawn('sleep', ['30']);
    t.teardown(() => other.kill());
    const record = { pid: other.pid, processStart: processStart(other.pid!), command: 'npm start', since: 'x', databaseDir: dir, port: 5555 };
    writeFileSync(ownerFile(dir), JSON.stringify(record));
    t.match(claimOwnership(dir, dir), { claimed: false, owner: { pid: other.pid, port: 5555 } });
    releaseOwnership(dir);
    t.ok(existsSync(ownerFile(dir)), "another process's record is not removed");
  });

  t.test('a dead owner, or a pid now used by another process, is replaced', async (t) => {
    const dir = scratchDir();
    const gone = spawn('true');
    await once(gone, 'exit');
    writeFileSync(ownerFile(dir), JSON.stringify({ pid: gone.pid, processStart: '1', command: 'npm start', since: 'x', databaseDir: dir, port: 1 }));
    t.match(claimOwnership(dir, dir), { claimed: true, replaced: { pid: gone.pid } });
    releaseOwnership(dir);

    // pid 1 is alive, but it started at another moment than the recorded owner.
    writeFileSync(ownerFile(dir), JSON.stringify({ pid: 1, processStart: 'not-its-start', command: 'npm start', since: 'x', databaseDir: dir, port: 1 }));
    t.match(claimOwnership(dir, dir), { claimed: true, replaced: { pid: 1 } });
    t.equal(readOwner(dir)!.pid, process.pid);
    releaseOwnership(dir);
  });
});

t.test('while the server runs: CLIs use its embedded database, a second server refuses', async (t) => {
  const dataDir = scratchDir();
  const server = await startServer([], { DATA_DIR: dataDir }, 60_000);
  t.teardown(async () => {
    await server.stop('SIGKILL');
    endProcessesMentioning(dataDir); // its Postgres, if the test ended before the server could stop it
  });
  const databaseDir = String(server.logs.find((line) => line.event === 'embedded_postgres.started')!.databaseDir);
  const postgres = postmasterPid(databaseDir);
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const healthy = async () => (await (await fetch(`${server.url}/health`)).json()) as { database: string };

  const migrated = await runTool('migrate', [], env);
  t.equal(migrated.code, 0, migrated.stderr);
  t.match(migrated.stdout, /"event":"embedded_postgres\.attached"/, 'db:migrate connects to the running database');
  t.match(migrated.stdout, /no new migrations/);
  t.match(await healthy(), { database: 'ok' }, 'the server still reaches its database');

  const tenant = await runTool('tenantCreate', ['--name', 'Owner Test'], env);
  t.equal(tenant.code, 0, tenant.stderr);
  const { id: tenantId, apiKey } = JSON.parse(tenant.stdout) as { id: string; apiKey: string };
  t.match(await healthy(), { database: 'ok' });

  // The tenant made by the CLI is the server's: its key works over HTTP.
  const created = await fetch(`${server.url}/v1/campaigns`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Owner', assistantId: 'asst_1', phoneNumberId: 'pn_1', timeZone: 'UTC', window: { start: '09:00', end: '17:00' }, days: [1, 2, 3, 4, 5] }),
  });
  t.equal(created.status, 201);
  const campaignId = ((await created.json()) as { id: string }).id;
  const imported = await runTool('import', ['--campaign', campaignId, '--tenant', tenantId, smallCsv], env);
  t.equal(imported.code, 0, imported.stderr);
  t.match(JSON.parse(imported.stdout), { importId: String, rows: 3 });
  t.match(await healthy(), { database: 'ok' });

  if (spawnSync('psql', ['--version']).status === 0) {
    const psql = await runTool('psql', ['-At', '-c', "select name from dialer.tenants where name = 'Owner Test'"], env);
    t.equal(psql.code, 0, psql.stderr);
    t.equal(psql.stdout.trim(), 'Owner Test', 'npm run psql opens psql on the running database');
  }
  const url = await runTool('psql', ['--url'], env);
  t.equal(url.stdout.trim(), `postgres://postgres:pgdialer@127.0.0.1:${readOwner(dataDir)!.port}/pgdialer`, '--url prints its URL');
  // Without psql on PATH (only node): the URL is printed instead.
  const bin = scratchDir('pgdialer-bin-');
  symlinkSync(process.execPath, join(bin, 'node'));
  const noPsql = await runTool('psql', [], { ...env, PATH: bin });
  t.equal(noPsql.code, 0, noPsql.stderr);
  t.equal(noPsql.stdout.trim(), url.stdout.trim());
  t.match(noPsql.stderr, /psql is not installed/);

  const second = runMain([], { DATA_DIR: dataDir, PORT: '0' });
  const [code] = await once(second.child, 'exit');
  t.equal(code, 1, 'a second server refuses to start');
  t.match(second.stderr(), new RegExp(`The embedded Postgres in .* belongs to pid ${server.child.pid} \\(node server/main\\.ts, since .*, port \\d+\\), which is still running`));

  t.equal(postmasterPid(databaseDir), postgres, 'the same Postgres ran throughout');
  t.ok(running(postgres));
  t.match(await healthy(), { database: 'ok' });
  t.equal(await server.stop('SIGTERM'), 0);
  t.notOk(running(postgres), 'it stops with its owner');
  t.notOk(existsSync(ownerFile(dataDir)));
});

t.test('with no server running, a CLI starts the embedded database for its own run and stops it', async (t) => {
  const dataDir = scratchDir();
  const tenant = await runTool('tenantCreate', ['--name', 'Alone'], { DATA_DIR: dataDir });
  t.equal(tenant.code, 0, tenant.stderr);
  t.match(JSON.parse(tenant.stdout), { name: 'Alone' });
  const databaseDir = join(dataDir, 'postgres');
  t.ok(existsSync(join(databaseDir, 'PG_VERSION')), 'it created the database');
  t.notOk(running(postmasterPid(databaseDir)), 'and stopped it');
  t.notOk(existsSync(ownerFile(dataDir)), 'leaving no owner record');
});
