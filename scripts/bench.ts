// npm run bench [-- name …] — runs the benchmark sections in bench/*.bench.ts (all, or those
// named), prints their tables, and writes bench/results.json and bench/REPORT.md.
// BENCH_QUICK=1 runs them at small sizes (a check that they work, not a measurement).
import { readdir, writeFile } from 'node:fs/promises';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../server/config.js';
import { createLogger, silentLogger } from '../server/log.js';
import { startEmbeddedPostgres } from '../db/embeddedPostgres.js';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { migrate } from '../db/migrate.js';
import type { BenchModule, BenchSection } from '../bench/types.js';

const benchDir = fileURLToPath(new URL('../bench', import.meta.url));
const config = loadConfig();
const log = createLogger(config.logLevel, { process: 'bench' });
const quick = process.env.BENCH_QUICK === '1';
const wanted = process.argv.slice(2);

const files = (await readdir(benchDir)).filter((name) => name.endsWith('.bench.ts')).sort();
const selected = files.filter((name) => wanted.length === 0 || wanted.some((w) => name.startsWith(w)));
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}; there are: ${files.join(', ')}\n`);
  process.exit(2);
}

const scratchDir = config.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'pgdialer-bench-'));
if (scratchDir) chmodSync(scratchDir, 0o755);
const embedded = scratchDir ? await startEmbeddedPostgres({ dataDir: scratchDir, log: createLogger('warn') }) : undefined;
const serverUrl = config.databaseUrl ?? embedded!.url;
const template = `pgdialer_bench_${process.pid}`;
const sections: BenchSection[] = [];
try {
  await createDatabase(serverUrl, template);
  await migrate(withDatabase(serverUrl, template), silentLogger);
  for (const file of selected) {
    log.info('bench.section_start', { file });
    const module = (await import(pathToFileURL(join(benchDir, file)).href)) as BenchModule;
    const section = await module.run({ serverUrl, template, log, quick });
    sections.push(section);
    process.stdout.write(`\n## ${section.name}\n\n${section.table}\n${section.notes ? `\n${section.notes}\n` : ''}`);
  }
} finally {
  await dropDatabase(serverUrl, template);
  await embedded?.stop();
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
}

// Running some sections keeps the others' last results: each section records when and where it ran.
type StoredSection = BenchSection & { at: string; machine: Record<string, unknown> };
const resultsFile = join(benchDir, 'results.json');
const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { sections: StoredSection[] }).sections : [];
const machine = { node: process.version, cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), quick };
const at = new Date().toISOString();
const merged: StoredSection[] = [
  ...previous.filter((old) => !sections.some((section) => section.name === old.name)),
  ...sections.map((section) => ({ ...section, at, machine })),
].sort((a, b) => a.name.localeCompare(b.name));
await writeFile(resultsFile, JSON.stringify({ sections: merged }, null, 2) + '\n');
const report = [
  '# Benchmark report',
  '',
  'Written by `npm run bench`; each section says when and on what it last ran.',
  '',
  ...merged.flatMap((section) => [
    `## ${section.name}`,
    '',
    `_${section.at}, ${section.machine.cpus} cores, ${section.machine.memoryGb} GB, Node ${section.machine.node}${section.machine.quick ? ', QUICK sizes: not a measurement' : ''}_`,
    '',
    section.table,
    '',
    ...section.goals.map((goal) => `- ${goal.met ? 'met' : '**missed**'}: ${goal.name} = ${goal.value} (target ${goal.target})`),
    ...(section.goals.length ? [''] : []),
    ...(section.notes ? [section.notes, ''] : []),
  ]),
].join('\n');
await writeFile(join(benchDir, 'REPORT.md'), report);
const missed = sections.flatMap((section) => section.goals.filter((goal) => !goal.met).map((goal) => `${section.name}: ${goal.name}`));
process.stdout.write(`\nwrote bench/results.json and bench/REPORT.md; goals missed: ${missed.length ? missed.join('; ') : 'none'}\n`);
