// The production image (Dockerfile, .dockerignore) has no devDependencies and no development
// tools: walking the runtime imports from every entry point it runs must reach neither the VAPI
// simulator, tests or benchmarks, nor a devDependency (@vapi-ai/server-sdk is used for its types
// only: `import type`, erased at run time).
import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const entryPoints = ['server/main.ts', 'scripts/migrate.ts', 'scripts/import.ts', 'scripts/tenantCreate.ts'];
const excluded = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));

/** Runtime imports of a file: `import … from`, `export … from`, `import(…)`, minus `import type` / `export type`. */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(statement)) if (!match[2]) found.push(match[3]!);
  for (const match of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

t.test('the runtime import graph of the production entry points stays inside the image', async (t) => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = entryPoints.map((entry) => join(root, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        if (existsSync(target)) queue.push(target);
        else if (existsSync(resolve(dirname(file), specifier))) seen.add(resolve(dirname(file), specifier));
      } else if (!specifier.startsWith('node:')) {
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
      }
    }
  }
  const files = [...seen].map((file) => relative(root, file));
  t.ok(files.length > 50, `the walk found the code (${files.length} files)`);
  t.same(files.filter((file) => excluded.some((pattern) => file === pattern || file.startsWith(`${pattern}/`))), [], 'no file the image leaves out');
  t.notOk(files.some((file) => file.startsWith('server/vapiSimulator/')), 'the simulator is not reached');
  t.same([...packages].filter((name) => !(name in packageJson.dependencies)), [], 'only dependencies, no devDependency, at run time');
  t.ok('@vapi-ai/server-sdk' in packageJson.devDependencies && packageJson.devDependencies['@vapi-ai/server-sdk'] === '2.0.1', 'the SDK is a pinned devDependency');
});

t.test('the import scan sees runtime imports and skips type-only ones', async (t) => {
  t.same(runtimeImports("import type { Vapi } from '@vapi-ai/server-sdk';\nimport { a } from './a.js';\nexport { b } from './b.js';\nexport type { C } from './c.js';\nconst d = await import('./d.js');"), ['./a.js', './b.js', './d.js']);
});
