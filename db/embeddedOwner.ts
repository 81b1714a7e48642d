// Who owns the embedded Postgres of a data directory: the process that started it, recorded in
// <dataDir>/postgres-owner.json before Postgres starts and removed after it stops. Another
// process reads it to tell a database in use (connect to it, or refuse to start a second one)
// from the leftover of a killed run (only then may it be stopped).
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type OwnerRecord = {
  pid: number;
  /** The owner's start time as the kernel counts it (Linux): tells a live owner from a reused pid. */
  processStart: string | undefined;
  /** What the owner is, for people: "npm start", "npm run import", "node scripts/x.ts". */
  command: string;
  since: string;
  databaseDir: string;
  /** Set once Postgres accepts connections. */
  port: number | undefined;
};

export const OWNER_FILE = 'postgres-owner.json';

export function ownerFile(dataDir: string): string {
  return join(dataDir, OWNER_FILE);
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22, the start time in clock ticks since boot (Linux; undefined elsewhere). */
export const processStart = (pid: number): string | undefined => statFields(pid)?.[19];

/** Alive: exists, is not a zombie (exited, unreaped), and (when known) started when recorded. */
export function processAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, owned by another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (!fields) return true; // no /proc (macOS): the signal check is all there is
  return fields[0] !== 'Z' && (start === undefined || fields[19] === start);
}

export function ownerAlive(owner: OwnerRecord): boolean {
  return processAlive(owner.pid, owner.processStart);
}

function thisCommand(): string {
  const script = process.env.npm_lifecycle_event;
  if (script) return script === 'start' || script === 'test' ? `npm ${script}` : `npm run ${script}`;
  return ['node', ...process.argv.slice(1).map((arg) => relative(process.cwd(), arg) || arg)].join(' ');
}

export function readOwner(dataDir: string): OwnerRecord | undefined {
  try {
    return JSON.parse(readFileSync(ownerFile(dataDir), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

export function describeOwner(owner: OwnerRecord): string {
  return `pid ${owner.pid} (${owner.command}, since ${owner.since}${owner.port ? `, port ${owner.port}` : ''})`;
}

export type Claim = { claimed: true; replaced: OwnerRecord | undefined } | { claimed: false; owner: OwnerRecord };

/**
 * Records this process as the owner unless a live process already is. The file is written
 * whole under a temporary name and linked into place, which fails if one exists: two processes
 * never both claim a free directory.
 */
export function claimOwnership(dataDir: string, databaseDir: string): Claim {
  mkdirSync(dataDir, { recursive: true });
  const record: OwnerRecord = {
    pid: process.pid,
    processStart: processStart(process.pid),
    command: thisCommand(),
    since: new Date().toISOString(),
    databaseDir,
    port: undefined,
  };
  const path = ownerFile(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2) + '\n');
  let replaced: OwnerRecord | undefined;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(temporary, path);
        return { claimed: true, replaced };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(dataDir);
      if (owner && ownerAlive(owner)) return { claimed: false, owner };
      // A dead owner (or an unreadable file): move it aside atomically, then try again.
      replaced = owner;
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        unlinkSync(`${path}.stale-${process.pid}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`could not record the owner of ${databaseDir} in ${path}`);
  } finally {
    unlinkSync(temporary);
  }
}

/** Adds the port once Postgres listens (replaced atomically: readers never see half a file). */
export function recordPort(dataDir: string, port: number): void {
  const owner = readOwner(dataDir);
  if (!owner || owner.pid !== process.pid) return;
  const temporary = `${ownerFile(dataDir)}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ ...owner, port }, null, 2) + '\n');
  renameSync(temporary, ownerFile(dataDir));
}

export function releaseOwnership(dataDir: string): void {
  const owner = readOwner(dataDir);
  if (owner?.pid === process.pid && existsSync(ownerFile(dataDir))) unlinkSync(ownerFile(dataDir));
}
