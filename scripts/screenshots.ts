// npm run screenshots: the browser suite's flows (test/browser/dashboard.spec.ts) run against a
// throw-away database, writing each page's screenshot to server/dashboard/screenshots/ (the
// README's pictures), at 1280 px and, for a few pages, 375 px.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/test.ts', '--browser-only'], {
  stdio: 'inherit',
  env: { ...process.env, PGDIALER_SCREENSHOTS_DIR: 'server/dashboard/screenshots' },
});
child.on('close', (code) => process.exit(code ?? 1));
