// Throughput: calls placed per second by worker processes (server/main.ts worker) on one
// database, against the VAPI simulator answering at once. Baseline in the same run: one worker
// process; the figure: three. Every call must be dialed exactly once (the simulator's record).
// Calls never end here (no webhooks), so the measure is claim + begin_dial + POST + record_dialed.
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { runMain } from '../test/helpers/serverProcess.js';
import { startVapiSimulator } from '../server/vapiSimulator/index.js';
import { encryptSecret } from '../server/crypto.js';
import { TEST_APP_SECRET, waitFor } from '../test/worker/fixtures.js';
import { postgresServerCpu, processCpuMs } from './processCpu.js';
import { defaultWorkerSettings } from '../server/worker/settings.js';
import type { BenchContext, BenchSection, Goal } from './types.js';

const TENANTS = 6;

async function seed(url: string, vapiUrl: string, calls: number): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const key = encryptSecret(TEST_APP_SECRET, 'bench-key');
    await client.query(
      `insert into dialer.tenants (id, name, vapi_api_key_encrypted, vapi_base_url, concurrency_limit, max_calls_per_number_per_24h,
                                   contact_hours_start, contact_hours_end)
       select ('00000000-0000-0000-0000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Bench ' || t, $1, $2, 10000, 100, '00:00', '00:00'
       from generate_series(1, $3) t`,
      [key, vapiUrl, TENANTS],
    );
    await client.query(
      `with contact as (
         insert into dialer.contacts (tenant_id, phone)
         select ('00000000-0000-0000-0000-' || lpad(to_hex(1 + n % $2), 12, '0'))::uuid, '+1555' || lpad(n::text, 7, '0')
         from generate_series(1, $1) n
         returning id, tenant_id, phone
       )
       insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at)
       select tenant_id, id, phone, 'asst_bench', 'pn_bench', now() - interval '1 second' from contact`,
      [calls, TENANTS],
    );
  } finally {
    await client.end();
  }
}

async function measure(context: BenchContext, workers: number, calls: number) {
  const name = `${context.template}_tp_${randomBytes(3).toString('hex')}`;
  await createDatabase(context.serverUrl, name, context.template);
  const url = withDatabase(context.serverUrl, name);
  // Calls stay queued for an hour: nothing plays, and no webhooks (not even 'queued': there is no
  // receiver here, and failed deliveries cost this process more than answering the POST).
  // Records stay small: 6,000 requests.
  const sim = await startVapiSimulator({
    concurrencyLimit: 1_000_000,
    timing: { queuedMs: 3_600_000 },
    sendWebhooks: false,
    recordBodies: false,
  });
  const children: ReturnType<typeof runMain>[] = [];
  try {
    // One after another: each migrates on start.
    for (let i = 0; i < workers; i++) {
      const child = runMain(['worker'], { DATABASE_URL: url, DATABASE_LISTEN: 'true', APP_SECRET: TEST_APP_SECRET, LOG_LEVEL: 'info', PUBLIC_URL: 'http://127.0.0.1:9' });
      children.push(child);
      await waitFor(() => child.logs.some((line) => line.event === 'worker.sleeping'), 60_000, 'a worker to start and sleep');
    }
    await seed(url, sim.url, calls);
    const serverCpu = await postgresServerCpu(context.serverUrl);
    const cpuNow = () => ({
      workers: children.reduce((sum, { child }) => sum + (processCpuMs(child.pid!) ?? NaN), 0),
      bench: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
      postgres: serverCpu() ?? NaN,
    });
    const client = new pg.Client(url);
    await client.connect();
    const before = cpuNow();
    await client.query(`select pg_notify('dialer_wake', 'bench')`);
    await client.end();
    await waitFor(() => sim.calls.size >= calls, 120_000, 'every call dialed');
    const after = cpuNow();
    const load = loadavg()[0]!;
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything dialed twice would show now
    const dials = sim.dials();
    const times = dials.map((dial) => dial.at);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    return {
      perSecond: Math.round(calls / seconds),
      dials: dials.length,
      distinct: new Set(dials.map((dial) => dial.externalId)).size,
      // CPU µs per call placed, from the notify to the last dial: the worker processes together,
      // this process (the simulator, and the bench's polling), the whole Postgres server.
      cpuUsPerCall: {
        workers: Math.round(((after.workers - before.workers) * 1000) / calls),
        simulator: Math.round(((after.bench - before.bench) * 1000) / calls),
        postgres: Math.round(((after.postgres - before.postgres) * 1000) / calls),
      },
      load: Math.round(load * 100) / 100,
    };
  } finally {
    for (const { child } of children) {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
    await sim.close();
    await dropDatabase(context.serverUrl, name);
  }
}

export async function run(context: BenchContext): Promise<BenchSection> {
  const calls = context.quick ? 600 : 6_000;
  const one = await measure(context, 1, calls);
  const three = await measure(context, 3, calls);
  const figures = {
    calls,
    calls_per_s_one_worker: one.perSecond,
    calls_per_s_three_workers: three.perSecond,
    dialed_twice_three_workers: three.dials - three.distinct,
    dialed_twice_one_worker: one.dials - one.distinct,
    cpu_us_per_call_one_worker_processes: one.cpuUsPerCall.workers,
    cpu_us_per_call_one_simulator: one.cpuUsPerCall.simulator,
    cpu_us_per_call_one_postgres: one.cpuUsPerCall.postgres,
    cpu_us_per_call_three_worker_processes: three.cpuUsPerCall.workers,
    cpu_us_per_call_three_simulator: three.cpuUsPerCall.simulator,
    cpu_us_per_call_three_postgres: three.cpuUsPerCall.postgres,
    load_average_1m: three.load,
  };
  const goals: Goal[] = [
    { name: 'calls placed per second, three workers', value: three.perSecond, target: '≥ 500/s', met: three.perSecond >= 500 },
    { name: 'calls dialed twice', value: figures.dialed_twice_three_workers, target: '0', met: figures.dialed_twice_three_workers === 0 && three.dials === calls },
  ];
  const table = [
    '| worker processes | calls | calls placed per second | dialed twice | CPU µs per call: worker processes | simulator (bench process) | Postgres | total | load average (1 min) |',
    '|---|---|---|---|---|---|---|---|---|',
    row('1 (baseline)', one, figures.dialed_twice_one_worker),
    row('3', three, figures.dialed_twice_three_workers),
  ].join('\n');
  function row(label: string, m: typeof one, twice: number): string {
    const cpu = m.cpuUsPerCall;
    return `| ${label} | ${calls} | ${m.perSecond} | ${twice} | ${cpu.workers} | ${cpu.simulator} | ${cpu.postgres} | ${cpu.workers + cpu.simulator + cpu.postgres} | ${m.load} |`;
  }
  return {
    name: 'throughput',
    figures,
    goals,
    table,
    notes: `Direct calls of ${TENANTS} tenants, all due; simulator answering at once; each worker process claims ${defaultWorkerSettings.batchSize} calls at a time and has up to ${defaultWorkerSettings.concurrency} POSTs in flight. Everything (Postgres, simulator, workers) shares this machine's ${cpus().length} cores: at N cores the rate cannot exceed N × 10⁶ / (total CPU µs per call). CPU from /proc between the wake-up and the last dial (Postgres: the whole server, reaped backends included).`,
  };
}
