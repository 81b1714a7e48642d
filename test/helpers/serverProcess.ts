// Runs server/main.ts as a real child process, as `npm start` would, and reads its JSON logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export type ServerProcess = {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export function runMain(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; logs: Record<string, unknown>[]; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    // ENV_FILE: a developer's .env must not reach the servers a test starts.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ENV_FILE: '/dev/null', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ event: 'non_json_line', line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, logs, stderr: () => stderr };
}

export async function startServer(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ServerProcess> {
  const { child, logs, stderr } = runMain(args, { PORT: '0', ...env });
  const started = Date.now();
  while (!logs.some((line) => line.event === 'started')) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr()} ${JSON.stringify(logs)}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`server did not start within ${timeoutMs} ms: ${JSON.stringify(logs)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const listening = logs.find((line) => line.event === 'api.listening');
  return {
    child,
    url: String(listening?.url ?? ''),
    logs,
    stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}
