// npm run dashboard:build (and npm install's postinstall): builds server/dashboard into
// server/dashboard/dist. With --if-present it does nothing when the sources are not there yet
// (a Docker layer that installs packages before copying the code).
import { existsSync } from 'node:fs';

const ifPresent = process.argv.includes('--if-present');
if (ifPresent && !existsSync('server/dashboard/index.html')) {
  process.stdout.write('dashboard: sources not present yet, not built (the server builds it at first start)\n');
  process.exit(0);
}
const { buildDashboard } = await import('../server/dashboard/build.js');
await buildDashboard();
