// npm run dashboard:build (and npm install's postinstall, which skips it when the sources are
// not there yet, as in a Docker layer that installs packages before copying the code): builds
// server/dashboard into server/dashboard/dist.
import { buildDashboard } from '../server/dashboard/build.js';

await buildDashboard();
