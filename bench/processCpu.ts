// CPU time from /proc (Linux, processes on this machine): what a benchmark's processes used,
// which unlike wall time does not grow when other work loads the machine.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const CLOCK_TICKS_PER_SECOND = 100;

/** /proc/<pid>/stat fields after the command name: [0] is field 3 (state). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null;
  }
}

const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

/** User + system CPU ms of a live process (all its threads), or null if /proc cannot tell. */
export function processCpuMs(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? ticksToMs(Number(fields[11]) + Number(fields[12])) : null;
}

/**
 * A Postgres server's total CPU ms so far: the postmaster, its live children (backends,
 * background processes), and the children it already reaped (cutime + cstime), so backends
 * that exit between two readings still count. null when the server is not local.
 */
export type ServerCpu = () => number | null;

export async function postgresServerCpu(url: string): Promise<ServerCpu> {
  const client = new pg.Client(url);
  await client.connect();
  let postmaster: number;
  try {
    const backend = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    postmaster = Number(statFields(backend)?.[1] ?? NaN); // read while the backend lives
  } finally {
    await client.end();
  }
  if (!Number.isFinite(postmaster)) return () => null;
  return () => {
    const own = statFields(postmaster);
    if (!own) return null;
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(Number(entry));
      if (fields && Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticksToMs(ticks);
  };
}
