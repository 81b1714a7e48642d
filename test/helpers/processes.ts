// What processes exist, from /proc (Linux): to prove that stopping something left nothing behind.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

type ProcessInfo = { pid: number; ppid: number; cmdline: string };

export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie has exited; only its parent's wait is missing
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      found.push({ pid: Number(entry), ppid: Number(fields[1]), cmdline });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

export function descendantsOf(pid: number): ProcessInfo[] {
  const all = processes();
  const result: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const info of all) {
      if (parents.has(info.ppid) && !parents.has(info.pid)) {
        parents.add(info.pid);
        result.push(info);
        grew = true;
      }
    }
  }
  return result;
}

/** Processes whose command line mentions `text` (e.g. `postgres -D <dir>/postgres`). */
export const processesMentioning = (text: string) => processes().filter((info) => info.cmdline.includes(text));

export function alive(pid: number): boolean {
  return processes().some((info) => info.pid === pid);
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Teardown for a test that may have failed half-way: ends every process mentioning `text` (a test's own directory). */
export function endProcessesMentioning(text: string): void {
  for (const info of processesMentioning(text)) {
    try {
      // SIGQUIT is Postgres's immediate shutdown (its backends go with it); anything else is killed.
      process.kill(info.pid, /\bpostgres\b/.test(info.cmdline) ? 'SIGQUIT' : 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
