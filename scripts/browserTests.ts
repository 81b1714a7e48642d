// Runs the Playwright suite (test/browser) with the system Chromium and reads its JSON report
// for the pass/fail counts. Playwright's own browser download is never used.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const reportFile = join('test-results', 'browser', 'report.json');

/** `started` gets the Playwright process (its own process group), so a signal can reach it and its browsers. */
export async function runBrowserTests(
  files: string[],
  env: NodeJS.ProcessEnv,
  started: (child: ChildProcess) => void = () => {},
): Promise<{ code: number; passed: number; failed: number }> {
  const chromium = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    process.stderr.write(`browser tests: ${chromium} is missing (apt-get install chromium, or set CHROMIUM_PATH)\n`);
    return { code: 1, passed: 0, failed: 1 };
  }
  // Built from the sources every run, so the tests never see a stale dist/.
  const { buildDashboard } = await import('../server/dashboard/build.js');
  await buildDashboard({ quiet: true });
  rmSync(reportFile, { force: true });
  const code = await new Promise<number>((resolve) => {
    const child = spawn(join('node_modules', '.bin', 'playwright'), ['test', '--config', 'test/browser/playwright.config.ts', ...files], {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      env: { ...env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    started(child);
    child.on('close', (exit) => resolve(exit ?? 1));
  });
  try {
    const stats = JSON.parse(readFileSync(reportFile, 'utf8')).stats as { expected: number; unexpected: number; flaky: number };
    return { code, passed: stats.expected + stats.flaky, failed: stats.unexpected };
  } catch {
    return { code: code || 1, passed: 0, failed: 1 };
  }
}
