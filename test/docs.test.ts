// Docs that cannot drift: the README's tables (commands, configuration, folders), .env.example
// and sql/README.md's error table are compared with what the code declares, so a change that
// forgets its docs fails here.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configVariables } from '../server/config.js';
import { sqlStates } from '../server/http/errors.js';
import { createTestDatabase } from './helpers/database.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The rows of the first Markdown table after `## heading` (cells trimmed, header and rule dropped). */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const lines = markdown.slice(start).split('\n').slice(2);
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows.slice(2);
}

const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
const readme = read('README.md');

t.test('README "Commands": one row per npm script, no more, no fewer', async (t) => {
  const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);
  const documented = tableAfter(readme, '## Commands').flatMap(([command]) =>
    codeSpans(command!).map((span) => /^npm (?:run )?([\w:-]+)/.exec(span)?.[1] ?? `(not an npm command: ${span})`),
  );
  t.same(sorted(documented), sorted(scripts));
});

t.test('README "Configuration" and .env.example: every variable the config schema reads', async (t) => {
  const documented = tableAfter(readme, '## Configuration').map(([variable]) => codeSpans(variable!)[0] ?? variable!);
  t.same(sorted(documented), sorted(configVariables), 'README table');
  // Set or commented out (`# NAME=…`): every variable is there, with its explanation above it.
  const example = [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
  t.same(sorted(example), sorted(configVariables), '.env.example');
});

t.test('README "Layout and docs": every top-level folder of the repository', async (t) => {
  let folders: string[];
  try {
    folders = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((path) => path.includes('/'))
      .map((path) => path.slice(0, path.indexOf('/')));
  } catch {
    // Not a git checkout (an unpacked archive): what is on disk, less what git ignores.
    const ignored = new Set(['node_modules', '.git', '.data', '.tap', 'coverage']);
    folders = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !ignored.has(entry.name)).map((entry) => entry.name);
  }
  const documented = tableAfter(readme, '## Layout and docs').map(([folder]) => codeSpans(folder!)[0]!.replace(/\/$/, ''));
  t.same(sorted(documented), sorted(folders));
});

t.test('sql/README.md error table = the SQLSTATE map, and covers every code sql/ raises', async (t) => {
  const rows = tableAfter(read('sql/README.md'), '## Errors raised on purpose');
  const documented = Object.fromEntries(rows.map(([state, , http]) => [codeSpans(state!)[0]!, http!]));
  const mapped = Object.fromEntries(Object.entries(sqlStates).map(([state, answer]) => [state, `${answer.status} \`${answer.code}\``]));
  t.same(documented, mapped, 'same codes, same HTTP answers');

  const raised = sorted(
    readdirSync(join(root, 'sql'))
      .filter((name) => name.endsWith('.sql'))
      .flatMap((name) => [...read(join('sql', name)).matchAll(/errcode\s*=\s*'(PD[0-9A-Z]{3})'/g)].map((match) => match[1]!)),
  );
  t.ok(raised.length > 0, 'sql/ raises PD codes');
  t.same(raised.filter((state) => !(state in sqlStates)), [], 'every PD code raised in sql/ is mapped');
  const reserved = rows.filter(([, meaning]) => meaning!.includes('(reserved')).map(([state]) => codeSpans(state!)[0]!);
  t.same(
    sorted(Object.keys(sqlStates).filter((state) => state.startsWith('PD') && !raised.includes(state))),
    sorted(reserved),
    'the mapped PD codes no SQL raises are exactly those the table marks reserved',
  );
});

const psqlInstalled = spawnSync('psql', ['--version']).status === 0;

t.test("README's SQL runs as written through `npm run psql`", { skip: psqlInstalled ? false : 'psql is not installed' }, async (t) => {
  const db = await createTestDatabase(t);
  const blocks = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1]!);
  t.ok(blocks.length >= 3, `${blocks.length} SQL blocks`);
  const file = join(mkdtempSync(join(tmpdir(), 'pgdialer-readme-sql-')), 'readme.sql');
  writeFileSync(file, blocks.join('\n'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/psql.ts', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ENV_FILE: '/dev/null', DATABASE_URL: db.url },
    encoding: 'utf8',
  });
  t.equal(run.status, 0, run.stderr);
  t.notMatch(run.stderr, /ERROR/);
});
