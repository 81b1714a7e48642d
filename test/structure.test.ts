// Layers point one way, and each layer has one zod (see server/README.md, "Layers"):
//   leaf modules (server/log, config, clock, crypto, server/vapi/) ← db/ ← server/{csv,http,worker,webhooks}/ ← server/api/
// db/ never imports the layers that use it; nothing but the app's assembly imports server/api/.
// zod comes from db/zod.ts (row schemas for slonik) or server/zod.ts (the edges), never directly.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

type Source = { path: string; text: string };
type Violation = { file: string; imports: string; rule: string };

const ZOD_ENTRIES = ['db/zod.ts', 'server/zod.ts'];
const LEAVES = [/^server\/(log|config|clock|crypto)\.ts$/, /^server\/vapi\//];
const BELOW_API = [/^db\//, /^server\/(csv|http|worker|webhooks|vapi|vapiSimulator)\//];

/** Each import of a file: the package name, or the repository path a relative import resolves to. */
function importsOf(source: Source): string[] {
  const specifiers = [...source.text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? normalize(join(dirname(source.path), specifier)).replace(/\.js$/, '.ts') : specifier,
  );
}

function violations(sources: Source[]): Violation[] {
  const found: Violation[] = [];
  for (const source of sources) {
    for (const target of importsOf(source)) {
      const add = (rule: string) => found.push({ file: source.path, imports: target, rule });
      if (/^zod(\/|$)/.test(target) && !ZOD_ENTRIES.includes(source.path)) add('zod only through db/zod.ts or server/zod.ts');
      if (source.path.startsWith('db/') && target.startsWith('server/') && !LEAVES.some((leaf) => leaf.test(target))) {
        add('db/ imports from server/ only the leaf modules (log, config, clock, crypto, vapi/)');
      }
      if (target.startsWith('server/api/') && BELOW_API.some((layer) => layer.test(source.path))) add('nothing below server/api/ imports it');
    }
  }
  return found;
}

t.test('the rules catch a wrong-way import', async (t) => {
  t.match(violations([{ path: 'db/queries/x.ts', text: "import { generateApiKey } from '../../server/api/auth.js';" }]), [
    { file: 'db/queries/x.ts', imports: 'server/api/auth.ts', rule: /db\/ imports from server\/ only/ },
    { rule: /nothing below server\/api/ },
  ]);
  t.match(violations([{ path: 'server/worker/x.ts', text: "import type { Caller } from '../api/auth.js';" }]), [{ rule: /nothing below server\/api/ }]);
  t.match(violations([{ path: 'server/api/x.ts', text: "import { z } from 'zod/v4';\nimport { z as z3 } from 'zod';" }]), [
    { imports: 'zod/v4' },
    { imports: 'zod' },
  ]);
  t.same(violations([{ path: 'db/x.ts', text: "import type { Logger } from '../server/log.js';\nimport { z } from './zod.js';" }]), []);
});

t.test('the code follows them', async (t) => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'server', 'db', 'scripts', 'bench'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((path) => path.endsWith('.ts'));
  t.ok(files.length > 50, `${files.length} modules read`);
  const sources = files.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
  t.same(violations(sources), []);
});
