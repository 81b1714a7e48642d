// CSV import throughput and memory. The pipeline measured is the in-process function the API and
// the CLI both call (server/csv/importContacts.ts: parse, normalise, batch INSERTs in one
// transaction), run in a child process so its peak RSS (process.resourceUsage().maxRSS) is its
// own. Next to it, a plain server-side COPY of the same file into a bare table of text columns in
// the same database: the floor of what loading those bytes costs. And a second floor, what
// storing the same rows in contacts + campaign_contacts costs with the data model's constraints
// (set-based INSERT … SELECT, rolled back). Goals: the pipeline at ≥ 30% of COPY's rows per
// second on 100,000 rows, and under 200 MB peak RSS on 1,000,000 rows.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import type { BenchContext, BenchSection, Goal } from './types.js';
import { processCpuMs } from './processCpu.js';

const CHILD_ENV = 'PGDIALER_IMPORT_BENCH_CHILD';
const FULL = { rateRows: 100_000, memoryRows: 1_000_000 };
const QUICK = { rateRows: 2_000, memoryRows: 20_000 };
const AREA_CODES = ['212', '312', '415', '617', '713', '305', '206', '303', '404', '850', '208', '416', '604', '702', '215', '503', '612', '314', '901', '808'];

type ChildResult = {
  ms: number;
  maxRssMb: number;
  /** CPU seconds of the import in Node (not the process start-up) and in its Postgres backends (from /proc; null when the server is not local). */
  nodeCpuS: number;
  serverCpuS: number | null;
  rows: number;
  imported: number;
  rejected: number;
  duplicates: number;
};

/** CPU seconds (user + system) a local process has used so far, or null if /proc cannot tell. */
function processCpuSeconds(pid: number): number | null {
  const ms = processCpuMs(pid);
  return ms === null ? null : ms / 1000;
}

/** A CSV of `rows` distinct valid numbers (1 in 20 international), a name and three variables. */
async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('phone,name,company,city,notes\n');
  for (let i = 0; i < rows; i++) {
    const rest = Math.floor(i / 20);
    const phone =
      i % 20 === 7
        ? `+44 20 7${String(i).padStart(7, '0')}`
        : `(${AREA_CODES[i % 20]}) ${200 + Math.floor(rest / 10_000)}-${String(rest % 10_000).padStart(4, '0')}`;
    const line = `${phone},Person ${i},"Company ${i % 997}, Inc.",City ${i % 113},note for row ${i}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function seedCampaign(client: pg.Client, label: string): Promise<{ tenantId: string; campaignId: string }> {
  const tenant = await client.query<{ id: string }>(`insert into dialer.tenants (name) values ($1) returning id`, [label]);
  const tenantId = tenant.rows[0]!.id;
  const campaign = await client.query<{ id: string }>(
    `insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
     values ($1, $2, 'asst_bench', 'pn_bench', 'America/New_York', '09:00', '17:00') returning id`,
    [tenantId, label],
  );
  return { tenantId, campaignId: campaign.rows[0]!.id };
}

/** Runs the import pipeline in a child process (this same file) and returns its timing and peak RSS. */
function importInChild(databaseUrl: string, file: string, target: { tenantId: string; campaignId: string }, excludePid: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify({ databaseUrl, file, excludePid, ...target }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as ChildResult) : reject(new Error(`import child exited with ${code}`))));
  });
}

async function runChild(): Promise<void> {
  const { databaseUrl, file, tenantId, campaignId, excludePid } = JSON.parse(process.env[CHILD_ENV]!);
  const { createDatabasePool } = await import('../db/pool.js');
  const { importContacts } = await import('../server/csv/importContacts.js');
  const pool = await createDatabasePool(databaseUrl, { maximumPoolSize: 2 });
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  const report = await importContacts(pool, {
    tenantId,
    campaignId,
    source: createReadStream(file),
    filename: 'bench.csv',
    defaultRegion: 'US',
    actor: 'bench',
    at: new Date(),
  });
  const ms = performance.now() - started;
  const nodeCpu = process.cpuUsage(cpuAtStart);
  // The pool's backends were opened for this import: their CPU is the server's share of it.
  const { sql } = await import('slonik');
  const { z } = await import('zod');
  const pids = await pool.anyFirst(sql.type(z.object({ pid: z.number() }))`
    select pid from pg_stat_activity where datname = current_database() and pid <> ${Number(excludePid)}`);
  const serverCpu = pids.map(processCpuSeconds);
  await pool.end();
  const usage = process.resourceUsage();
  const result: ChildResult = {
    ms,
    maxRssMb: usage.maxRSS / 1024,
    nodeCpuS: (nodeCpu.user + nodeCpu.system) / 1e6,
    serverCpuS: serverCpu.some((cpu) => cpu === null) ? null : serverCpu.reduce<number>((sum, cpu) => sum + cpu!, 0),
    rows: report.rows,
    imported: report.imported,
    rejected: report.rejected,
    duplicates: report.duplicates,
  };
  process.stdout.write(JSON.stringify(result));
}

type Timed = { ms: number; rows: number; serverCpuS: number | null };

/** Wall time and the backend's CPU seconds of one statement. */
async function timed(client: pg.Client, backendPid: number, text: string, values: unknown[] = []): Promise<Timed> {
  const cpuBefore = processCpuSeconds(backendPid);
  const started = performance.now();
  const result = await client.query(text, values);
  const ms = performance.now() - started;
  const cpuAfter = processCpuSeconds(backendPid);
  return { ms, rows: result.rowCount ?? 0, serverCpuS: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

/** The server-side COPY; leaves the rows in bench_copy for setBasedFloor (the caller drops it). */
async function copyRate(client: pg.Client, file: string, backendPid: number): Promise<Timed> {
  await client.query('create table bench_copy (phone text, name text, company text, city text, notes text)');
  return timed(client, backendPid, `copy bench_copy from ${pg.escapeLiteral(file)} with (format csv, header true)`);
}

/**
 * The floor of the pipeline's database work: the same rows, already normalised, written into
 * contacts and campaign_contacts (with all their constraints, indexes and foreign keys) by two
 * set-based INSERT … SELECT from the COPY's table, in one transaction rolled back afterwards.
 * No parsing, no per-batch statements, no conflict handling: what the rows cost to store.
 */
async function setBasedFloor(client: pg.Client, target: { tenantId: string; campaignId: string }, backendPid: number): Promise<Timed> {
  await client.query('begin');
  try {
    const contacts = await timed(client, backendPid, `
      insert into dialer.contacts (tenant_id, phone, name, time_zone, time_zone_source)
      select $1, case when phone like '+%' then '+' else '+1' end || regexp_replace(phone, '[^0-9]', '', 'g'), name,
        'America/New_York', 'area_code'
      from bench_copy`, [target.tenantId]);
    const members = await timed(client, backendPid, `
      insert into dialer.campaign_contacts (campaign_id, contact_id, variables)
      select $1, c.id, jsonb_build_object('company', b.company, 'city', b.city, 'notes', b.notes)
      from bench_copy b
      join dialer.contacts c on c.tenant_id = $2
        and c.phone = case when b.phone like '+%' then '+' else '+1' end || regexp_replace(b.phone, '[^0-9]', '', 'g')`,
      [target.campaignId, target.tenantId]);
    return {
      ms: contacts.ms + members.ms,
      rows: members.rows,
      serverCpuS: contacts.serverCpuS === null || members.serverCpuS === null ? null : contacts.serverCpuS + members.serverCpuS,
    };
  } finally {
    await client.query('rollback');
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

export async function run(context: BenchContext): Promise<BenchSection> {
  const sizes = context.quick ? QUICK : FULL;
  const directory = mkdtempSync(join(tmpdir(), 'pgdialer-import-bench-'));
  // Server-side COPY reads the file as the Postgres server's user.
  chmodSync(directory, 0o755);
  const database = `pgdialer_bench_import_${process.pid}`;
  await createDatabase(context.serverUrl, database, context.template);
  const url = withDatabase(context.serverUrl, database);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rateFile = join(directory, 'rate.csv');
    const memoryFile = join(directory, 'memory.csv');
    await writeCsv(rateFile, sizes.rateRows);
    await writeCsv(memoryFile, sizes.memoryRows);
    chmodSync(rateFile, 0o644);
    chmodSync(memoryFile, 0o644);

    const backendPid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const copy = await copyRate(client, rateFile, backendPid);
    // Before the pipeline, into the same empty tables it will write to (rolled back: its dead
    // index entries can only slow the pipeline down, never flatter it).
    const floor = await setBasedFloor(client, await seedCampaign(client, 'floor'), backendPid);
    await client.query('drop table bench_copy');
    const pipeline = await importInChild(url, rateFile, await seedCampaign(client, 'rate'), backendPid);
    context.log.info('bench.import_rate_done', { copy, floor, pipeline });
    const large = await importInChild(url, memoryFile, await seedCampaign(client, 'memory'), backendPid);
    context.log.info('bench.import_memory_done', { large });

    const copyPerSecond = copy.rows / (copy.ms / 1000);
    const pipelinePerSecond = pipeline.rows / (pipeline.ms / 1000);
    const largePerSecond = large.rows / (large.ms / 1000);
    const ratio = pipelinePerSecond / copyPerSecond;
    const goals: Goal[] = [
      { name: `pipeline rate vs COPY on ${sizes.rateRows} rows (%)`, value: round(ratio * 100), target: '>= 30', met: ratio >= 0.3 },
      { name: `pipeline peak RSS on ${sizes.memoryRows} rows`, value: round(large.maxRssMb), target: '< 200 MB', met: large.maxRssMb < 200 },
    ];
    const cpu = (seconds: number | null) => (seconds === null ? '–' : String(Math.round(seconds * 100) / 100));
    const copyCpuPerSecond = copy.serverCpuS ? copy.rows / copy.serverCpuS : null;
    const pipelineCpu = pipeline.serverCpuS === null ? null : pipeline.serverCpuS + pipeline.nodeCpuS;
    const cpuRatio = copyCpuPerSecond && pipelineCpu ? pipeline.rows / pipelineCpu / copyCpuPerSecond : null;
    const load = loadavg()[0]!.toFixed(1);
    const table = [
      '| run | rows | imported | time (s) | rows/s | Postgres CPU (s) | Node CPU (s) | peak RSS (MB) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      `| COPY into a bare table (server-side) | ${copy.rows} | ${copy.rows} | ${round(copy.ms / 1000)} | ${Math.round(copyPerSecond)} | ${cpu(copy.serverCpuS)} | – | – |`,
      `| floor: the same rows normalised, INSERT … SELECT from the COPY's table into contacts + campaign_contacts | ${floor.rows} | ${floor.rows} | ${round(floor.ms / 1000)} | ${Math.round(floor.rows / (floor.ms / 1000))} | ${cpu(floor.serverCpuS)} | – | – |`,
      `| import pipeline | ${pipeline.rows} | ${pipeline.imported} | ${round(pipeline.ms / 1000)} | ${Math.round(pipelinePerSecond)} | ${cpu(pipeline.serverCpuS)} | ${cpu(pipeline.nodeCpuS)} | ${round(pipeline.maxRssMb)} |`,
      `| import pipeline | ${large.rows} | ${large.imported} | ${round(large.ms / 1000)} | ${Math.round(largePerSecond)} | ${cpu(large.serverCpuS)} | ${cpu(large.nodeCpuS)} | ${round(large.maxRssMb)} |`,
      '',
      `Rows per CPU second, pipeline (Postgres + Node) vs COPY: ${cpuRatio === null ? 'not measured (server not local)' : `${round(cpuRatio * 100)} %`}; ` +
        `1-minute load average at the end: ${load} on ${cpus().length} cores (wall-clock rates shrink with the load, CPU seconds much less).`,
    ].join('\n');
    return {
      name: 'CSV import',
      figures: {
        copy_rows_per_s: Math.round(copyPerSecond),
        pipeline_rows_per_s: Math.round(pipelinePerSecond),
        pipeline_vs_copy_percent: round(ratio * 100),
        pipeline_peak_rss_mb: round(pipeline.maxRssMb),
        copy_server_cpu_s: copy.serverCpuS ?? 'n/a',
        floor_rows_per_s: Math.round(floor.rows / (floor.ms / 1000)),
        floor_server_cpu_s: floor.serverCpuS ?? 'n/a',
        pipeline_server_cpu_s: pipeline.serverCpuS ?? 'n/a',
        pipeline_node_cpu_s: round(pipeline.nodeCpuS),
        pipeline_vs_copy_cpu_percent: cpuRatio === null ? 'n/a' : round(cpuRatio * 100),
        large_rows: large.rows,
        large_rows_per_s: Math.round(largePerSecond),
        large_peak_rss_mb: round(large.maxRssMb),
      },
      goals,
      table,
      notes:
        'Pipeline = `importContacts()` in a child process (the function behind `POST /v1/campaigns/:id/contacts/import` ' +
        'and `npm run import`, without HTTP), reading the file from disk; time from the first byte to the committed ' +
        'report. Rows: US numbers in `(212) 555-0100` form over 20 area codes, 1 in 20 international (+44), name and ' +
        'three variable columns. COPY: `COPY … FROM file (FORMAT csv, HEADER)` of the same file into a table of five ' +
        'text columns without indexes, in the same database. Floor: what storing the rows costs with the data model\'s ' +
        'constraints, indexes and foreign keys, without parsing or conflict handling (two set-based INSERT … SELECT ' +
        'from the COPY\'s table, phones normalised by a regexp, rolled back); no import can be cheaper than it.',
    };
  } finally {
    await client.end();
    await dropDatabase(context.serverUrl, database);
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.env[CHILD_ENV]) await runChild();
