// Builds the dashboard (src/ → dist/) with Vite's API: `npm install` runs it (postinstall), and
// the API process runs it at first start when dist/ is missing. No CDN: every asset is bundled.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const dashboardRoot = dirname(fileURLToPath(import.meta.url));
export const dashboardDist = join(dashboardRoot, 'dist');

export async function buildDashboard(options: { quiet?: boolean } = {}): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: dashboardRoot,
    base: '/',
    logLevel: options.quiet ? 'warn' : 'info',
    esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
    resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
    build: {
      outDir: dashboardDist,
      emptyOutDir: true,
      target: 'es2020',
      assetsInlineLimit: 0,
      reportCompressedSize: !options.quiet,
    },
  });
}
