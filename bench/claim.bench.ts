// claim_calls at scale: its median time with 100k and with 1M calls of history, the same 10k due
// calls each time. The goal is that the claim costs what is due, not what happened before
// (partial indexes on scheduled calls), so 10x the history must not make it much slower.
// A third database is the 1M one with caller-number pools (sql/033_caller_numbers.sql): every
// campaign calls from 50 registered numbers with limits, chosen per call by local presence and
// use; its claim must stay within 20 % of the single-number claim on the same history.
import pg from 'pg';
import { cpus, loadavg } from 'node:os';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import type { BenchContext, BenchSection, Goal } from './types.js';
import { processCpuMs } from './processCpu.js';

/** The instant every benchmark claim runs at: all campaign windows and contact hours are open. */
const AT = '2026-06-10T16:00:00Z';

type Sizes = { tenants: number; campaigns: number; contactsPerCampaign: number; duePerCampaign: number; smallHistory: number; largeHistory: number; runs: number; poolSize: number };

export const FULL: Sizes = { tenants: 10, campaigns: 1_000, contactsPerCampaign: 50, duePerCampaign: 10, smallHistory: 100_000, largeHistory: 1_000_000, runs: 40, poolSize: 50 };
export const QUICK: Sizes = { tenants: 2, campaigns: 20, contactsPerCampaign: 20, duePerCampaign: 10, smallHistory: 2_000, largeHistory: 20_000, runs: 10, poolSize: 50 };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number) => Math.round(value * 100) / 100;

/** Tenants, campaigns (zones, 08:00–20:00 windows, every day), member contacts, and the due calls. */
export async function seedBase(client: pg.Client, sizes: Sizes) {
  await client.query(
    `insert into dialer.tenants (id, name, concurrency_limit)
     select ('00000000-0000-0000-0000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Bench tenant ' || t, 10000
     from generate_series(1, $1) t`,
    [sizes.tenants],
  );
  await client.query(
    `insert into dialer.campaigns (id, tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, days, status, max_concurrency)
     select ('00000000-0000-0000-0001-' || lpad(to_hex(c), 12, '0'))::uuid,
            ('00000000-0000-0000-0000-' || lpad(to_hex(1 + c % $2), 12, '0'))::uuid,
            'Bench campaign ' || c, 'asst_bench', 'pn_bench',
            (array['America/New_York', 'Europe/London', 'UTC', 'America/Chicago'])[1 + c % 4],
            '08:00', '20:00', '{1,2,3,4,5,6,7}', 'active', 5
     from generate_series(1, $1) c`,
    [sizes.campaigns, sizes.tenants],
  );
  // Contact n of campaign c: phone +1 555 c*1000+n, so phones are unique per tenant. Four in five
  // have a state whose calling rules the gate then checks (Florida's per-person cap, Texas,
  // Utah's holiday calendar, Rhode Island's weekday hours); the others get the federal pack.
  await client.query(
    `insert into dialer.contacts (id, tenant_id, phone, name, attributes, state)
     select ('00000000-0000-0000-0002-' || lpad(to_hex(c * 1000 + n), 12, '0'))::uuid,
            ('00000000-0000-0000-0000-' || lpad(to_hex(1 + c % $3), 12, '0'))::uuid,
            '+1555' || lpad((c * 1000 + n)::text, 7, '0'), 'Contact ' || n, jsonb_build_object('n', n),
            (array[null, 'US-FL', 'US-TX', 'US-UT', 'US-RI'])[1 + n % 5]
     from generate_series(1, $1) c, generate_series(1, $2) n`,
    [sizes.campaigns, sizes.contactsPerCampaign, sizes.tenants],
  );
  await client.query(
    `insert into dialer.campaign_contacts (campaign_id, contact_id)
     select ('00000000-0000-0000-0001-' || lpad(to_hex(c), 12, '0'))::uuid, ('00000000-0000-0000-0002-' || lpad(to_hex(c * 1000 + n), 12, '0'))::uuid
     from generate_series(1, $1) c, generate_series(1, $2) n`,
    [sizes.campaigns, sizes.contactsPerCampaign],
  );
  await client.query(
    `insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, due_at)
     select ('00000000-0000-0000-0000-' || lpad(to_hex(1 + c % $3), 12, '0'))::uuid,
            ('00000000-0000-0000-0001-' || lpad(to_hex(c), 12, '0'))::uuid,
            ('00000000-0000-0000-0002-' || lpad(to_hex(c * 1000 + n), 12, '0'))::uuid,
            '+1555' || lpad((c * 1000 + n)::text, 7, '0'), 'once', 1,
            $4::timestamptz - (n * interval '1 minute')
     from generate_series(1, $1) c, generate_series(1, $2) n`,
    [sizes.campaigns, sizes.duePerCampaign, sizes.tenants, AT],
  );
}

/**
 * `count` ended calls spread over the last 90 days, numbered from `first`; about 1% (every 97th: a
 * prime, so they spread over all campaigns and numbers) within the last 24 hours. Plain indexes are dropped during the bulk insert and rebuilt after (the way one
 * loads data), which is several times faster than maintaining them row by row.
 */
export async function seedHistory(client: pg.Client, sizes: Sizes, first: number, count: number) {
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
     from pg_index i
     where indrelid = 'dialer.calls'::regclass and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
  );
  for (const index of indexes) await client.query(`drop index ${index.name}`);
  // The rows are generated consistent, so the per-row foreign-key checks can be skipped where the
  // role may do so (superuser, as with the embedded Postgres); elsewhere they simply run.
  const skipChecks = await client.query('set session_replication_role = replica').then(() => true, () => false);
  await client.query(
    `insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, occurrence, attempt, status, outcome, ended_reason,
                               due_at, claimed_at, dial_started_at, vapi_call_id, started_at, ended_at, cost)
     select ('00000000-0000-0000-0000-' || lpad(to_hex(1 + c % $4), 12, '0'))::uuid,
            ('00000000-0000-0000-0001-' || lpad(to_hex(c), 12, '0'))::uuid,
            ('00000000-0000-0000-0002-' || lpad(to_hex(c * 1000 + n), 12, '0'))::uuid,
            '+1555' || lpad((c * 1000 + n)::text, 7, '0'), 'h' || i, 1, 'ended',
            (array['answered', 'no_answer', 'busy', 'voicemail', 'failed'])[1 + i % 5],
            (array['customer-ended-call', 'customer-did-not-answer', 'customer-busy', 'voicemail', 'pipeline-error-openai-llm-failed'])[1 + i % 5],
            started, started, started, 'bench-' || i, started, started + interval '2 minutes', 0.05
     from generate_series($1::bigint, $1::bigint + $2 - 1) i,
          lateral (select 1 + (i % $3) as c, 1 + ((i / $3) % $5) as n,
                          $6::timestamptz - case when i % 97 = 0 then (i % 1440) * interval '1 minute'
                                                 else interval '1 day' + (i % 129600) * interval '1 minute' end as started) shape`,
    [first, count, sizes.campaigns, sizes.tenants, sizes.contactsPerCampaign, AT],
  );
  if (skipChecks) await client.query('reset session_replication_role');
  for (const index of indexes) await client.query(index.definition);
  // What autovacuum does on a live system: statistics, and the visibility map for index-only scans
  // (so the claim's plan does not depend on whether autovacuum got to the new tables first).
  await client.query('vacuum analyze dialer.calls');
  await client.query('analyze dialer.tenants, dialer.campaigns, dialer.contacts, dialer.campaign_contacts');
}


/**
 * Every campaign gets a pool of `poolSize` registered numbers of its own, in real area codes of
 * several states (so local presence has candidates for the contacts' states, FL, TX, UT, RI, and
 * falls back to the country for the others), each limited (5 concurrent, 500 a day) and already
 * used today (counters 0–49), so every check of the choice runs.
 */
export async function seedPools(client: pg.Client, sizes: Sizes, shared = false) {
  if (shared) return seedSharedPools(client, sizes);
  await client.query(
    `with areas as (
       -- One area code of each state in turn (so FL, TX, UT and RI are among them), then more.
       select area_code, row_number() over (order by turn, area_code) - 1 as k
       from (select area_code, row_number() over (partition by jurisdictions[1] order by area_code) as turn
             from dialer.area_codes where cardinality(jurisdictions) = 1) a
       order by turn, area_code limit $2
     )
     insert into dialer.phone_numbers (tenant_id, vapi_phone_number_id, number, country, country_calling_code,
                                       max_concurrent_calls, max_calls_per_day, calls_today, calls_day)
     select campaign.tenant_id,
            ('00000000-0000-4000-8' || lpad(to_hex(k), 3, '0') || '-' || lpad(to_hex(c), 12, '0')),
            '+1' || areas.area_code || '555' || lpad(c::text, 4, '0'), 'US', '1', 5, 500, (c + k) % 50,
            ($3::timestamptz at time zone 'America/New_York')::date
     from generate_series(1, $1) c
     join dialer.campaigns campaign on campaign.id = ('00000000-0000-0000-0001-' || lpad(to_hex(c), 12, '0'))::uuid
     cross join areas`,
    [sizes.campaigns, sizes.poolSize, AT],
  );
  // The counters are of each number's own local day.
  await client.query(`update dialer.phone_numbers set calls_day = ($1::timestamptz at time zone time_zone)::date`, [AT]);
  await client.query(
    `update dialer.campaigns campaign
     set phone_number_ids = (select array_agg(vapi_phone_number_id order by vapi_phone_number_id)
                             from dialer.phone_numbers pn
                             where pn.tenant_id = campaign.tenant_id and right(pn.vapi_phone_number_id, 12) = right(campaign.id::text, 12))`,
  );
  await client.query('vacuum analyze dialer.phone_numbers, dialer.campaigns, dialer.caller_pools, dialer.caller_pool_numbers');
}

/** The other shape: each tenant registers 50 numbers, and every campaign of it calls from them all. */
async function seedSharedPools(client: pg.Client, sizes: Sizes) {
  await client.query(
    `with areas as (
       select area_code, row_number() over (order by turn, area_code) - 1 as k
       from (select area_code, row_number() over (partition by jurisdictions[1] order by area_code) as turn
             from dialer.area_codes where cardinality(jurisdictions) = 1) a
       order by turn, area_code limit $2
     )
     insert into dialer.phone_numbers (tenant_id, vapi_phone_number_id, number, country, country_calling_code,
                                       max_concurrent_calls, max_calls_per_day, calls_today)
     select ('00000000-0000-0000-0000-' || lpad(to_hex(t), 12, '0'))::uuid,
            ('00000000-0000-4000-8' || lpad(to_hex(k), 3, '0') || '-' || lpad(to_hex(t), 12, '0')),
            '+1' || areas.area_code || '555' || lpad(t::text, 4, '0'), 'US', '1', 50, 5000, (t + k) % 50
     from generate_series(1, $1) t cross join areas`,
    [sizes.tenants, sizes.poolSize],
  );
  await client.query(`update dialer.phone_numbers set calls_day = ($1::timestamptz at time zone time_zone)::date`, [AT]);
  await client.query(
    `update dialer.campaigns campaign
     set phone_number_ids = (select array_agg(vapi_phone_number_id order by vapi_phone_number_id)
                             from dialer.phone_numbers pn where pn.tenant_id = campaign.tenant_id)`,
  );
  await client.query('vacuum analyze dialer.phone_numbers, dialer.campaigns, dialer.caller_pools, dialer.caller_pool_numbers');
}

/** One timed claim, rolled back so every run sees the same data. */
async function timedClaim(client: pg.Client): Promise<{ ms: number; claimed: number }> {
  await client.query('begin');
  const started = process.hrtime.bigint();
  const result = await client.query('select * from dialer.claim_calls($1, 100)', [AT]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await client.query('rollback');
  return { ms, claimed: result.rowCount ?? 0 };
}

type Measured = { medianMs: number; cpuMs: number | null; claimed: number };

/**
 * Runs claims on both databases in turn (small, large, small, large …), so both medians are taken
 * under the same machine load; the first two rounds warm the caches.
 */
async function measureInTurn(clients: pg.Client[], runs: number): Promise<Measured[]> {
  const pids = await Promise.all(clients.map(async (client) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid));
  const times: number[][] = clients.map(() => []);
  const claimed = clients.map(() => 0);
  let cpuBefore: (number | null)[] = [];
  for (let round = 0; round < runs + 2; round++) {
    if (round === 2) cpuBefore = pids.map(processCpuMs);
    for (const [index, client] of clients.entries()) {
      const result = await timedClaim(client);
      claimed[index] = result.claimed;
      if (round >= 2) times[index]!.push(result.ms);
    }
  }
  const cpuAfter = pids.map(processCpuMs);
  return clients.map((_client, index) => {
    const before = cpuBefore[index];
    const after = cpuAfter[index];
    return {
      medianMs: round(median(times[index]!)),
      cpuMs: before == null || after == null ? null : round((after - before) / runs),
      claimed: claimed[index]!,
    };
  });
}

async function explainDue(client: pg.Client): Promise<string> {
  const result = await client.query(`explain (analyze, buffers, costs off, timing on) select * from dialer.due_calls('${AT}')`);
  return result.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
}

export async function run(context: BenchContext): Promise<BenchSection> {
  const sizes = context.quick ? QUICK : FULL;
  const smallDatabase = `${context.template}_claim_small`;
  const largeDatabase = `${context.template}_claim_large`;
  const poolDatabase = `${context.template}_claim_pools`;
  const sharedDatabase = `${context.template}_claim_shared`;
  const connect = async (database: string) => {
    const client = new pg.Client({ connectionString: withDatabase(context.serverUrl, database), application_name: 'pgdialer-bench-claim' });
    await client.connect();
    return client;
  };
  const clients: pg.Client[] = [];
  try {
    // The small database: campaigns, contacts, the due calls and the small history.
    await createDatabase(context.serverUrl, smallDatabase, context.template);
    const seedStarted = Date.now();
    const seeding = await connect(smallDatabase);
    await seedBase(seeding, sizes);
    const due = sizes.campaigns * sizes.duePerCampaign;
    await seedHistory(seeding, sizes, 1, sizes.smallHistory - due);
    await seeding.end();
    const smallSeedS = (Date.now() - seedStarted) / 1000;
    context.log.info('bench.claim_seeded', { calls: sizes.smallHistory, seconds: smallSeedS });
    // The large one: a copy of it with more history.
    const largeStarted = Date.now();
    await createDatabase(context.serverUrl, largeDatabase, smallDatabase);
    const largeSeeding = await connect(largeDatabase);
    await seedHistory(largeSeeding, sizes, sizes.smallHistory - due + 1, sizes.largeHistory - sizes.smallHistory);
    await largeSeeding.end();
    const largeSeedS = (Date.now() - largeStarted) / 1000;
    context.log.info('bench.claim_seeded', { calls: sizes.largeHistory, seconds: largeSeedS });
    // The pools: a copy of the large one, every campaign calling from its own pool of numbers.
    const poolStarted = Date.now();
    await createDatabase(context.serverUrl, poolDatabase, largeDatabase);
    const pools = await connect(poolDatabase);
    clients.push(pools);
    await seedPools(pools, sizes);
    const poolSeedS = (Date.now() - poolStarted) / 1000;
    const sharedStarted = Date.now();
    await createDatabase(context.serverUrl, sharedDatabase, largeDatabase);
    const shared = await connect(sharedDatabase);
    clients.push(shared);
    await seedPools(shared, sizes, true);
    const sharedSeedS = (Date.now() - sharedStarted) / 1000;
    const large = await connect(largeDatabase);
    clients.push(large);
    const small = await connect(smallDatabase);
    clients.push(small);
    // Write out what the bulk load dirtied before measuring: otherwise a checkpoint triggered by
    // the load runs during the runs, and each first change of a page after it logs the whole page.
    // (A role without the right to CHECKPOINT measures without it.)
    await large.query('checkpoint').catch(() => context.log.warn('bench.claim_no_checkpoint', {}));

    const [smallResult, largeResult, poolResult, sharedResult] = (await measureInTurn([small, large, pools, shared], sizes.runs)) as [Measured, Measured, Measured, Measured];
    const poolRatio = round(poolResult.medianMs / largeResult.medianMs);
    const sharedRatio = round(sharedResult.medianMs / largeResult.medianMs);
    const load = round(loadavg()[0]!);
    const smallPlan = await explainDue(small);
    const largePlan = await explainDue(large);
    const ratio = round(largeResult.medianMs / smallResult.medianMs);
    const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
    const goals: Goal[] = [
      { name: `claim_calls(at, 100) median with ${label(sizes.largeHistory)} calls`, value: largeResult.medianMs, target: '< 20 ms', met: largeResult.medianMs < 20 },
      { name: `median ${label(sizes.largeHistory)} / median ${label(sizes.smallHistory)}`, value: ratio, target: '<= 1.5', met: ratio <= 1.5 },
      { name: `median with pools of ${sizes.poolSize} numbers per campaign / single number, ${label(sizes.largeHistory)} calls`, value: poolRatio, target: '<= 1.2', met: poolRatio <= 1.2 },
      { name: `median with each tenant's ${sizes.poolSize} numbers shared by its campaigns / single number, ${label(sizes.largeHistory)} calls`, value: sharedRatio, target: '<= 1.2', met: sharedRatio <= 1.2 },
    ];
    const table = [
      '| calls in history | due now | campaigns | tenants | claimed per run | claim_calls median (ms) | server CPU per claim (ms) | seeding (s) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${sizes.smallHistory.toLocaleString('en')} | ${due.toLocaleString('en')} | ${sizes.campaigns} | ${sizes.tenants} | ${smallResult.claimed} | ${smallResult.medianMs} | ${smallResult.cpuMs ?? 'n/a'} | ${round(smallSeedS)} |`,
      `| ${sizes.largeHistory.toLocaleString('en')} | ${due.toLocaleString('en')} | ${sizes.campaigns} | ${sizes.tenants} | ${largeResult.claimed} | ${largeResult.medianMs} | ${largeResult.cpuMs ?? 'n/a'} | ${round(largeSeedS)} (copy + ${(sizes.largeHistory - sizes.smallHistory).toLocaleString('en')}) |`,
      `| ${sizes.largeHistory.toLocaleString('en')}, pools of ${sizes.poolSize} numbers | ${due.toLocaleString('en')} | ${sizes.campaigns} | ${sizes.tenants} | ${poolResult.claimed} | ${poolResult.medianMs} | ${poolResult.cpuMs ?? 'n/a'} | ${round(poolSeedS)} (copy + ${(sizes.campaigns * sizes.poolSize).toLocaleString('en')} numbers) |`,
      `| ${sizes.largeHistory.toLocaleString('en')}, each tenant's ${sizes.poolSize} numbers shared by its campaigns | ${due.toLocaleString('en')} | ${sizes.campaigns} | ${sizes.tenants} | ${sharedResult.claimed} | ${sharedResult.medianMs} | ${sharedResult.cpuMs ?? 'n/a'} | ${round(sharedSeedS)} (copy + ${(sizes.tenants * sizes.poolSize).toLocaleString('en')} numbers) |`,
    ].join('\n');
    const notes = [
      `Each run: \`begin; select * from dialer.claim_calls('${AT}', 100); rollback\`, so every run sees the same data; the databases are claimed from in turn (small, large, large with pools per campaign, large with shared pools, …) so the four medians are taken under the same load (the machine is shared: other work runs beside it); median of ${sizes.runs} runs each after 2 warm-up rounds. Pools: every campaign calls from its own ${sizes.poolSize} registered numbers (${(sizes.campaigns * sizes.poolSize).toLocaleString('en')} in all) in real area codes of several states, each limited to 5 concurrent and 500 calls a day and already used 0–49 times today, so the claim chooses each call's number by local presence (the contacts' states FL, TX, UT, RI, else the country) and use (sql/033_caller_numbers.sql). Shared pools: each tenant's ${sizes.poolSize} numbers (50 concurrent, 5,000 a day each) are the pool of every one of its campaigns. A claim of 100 calls here spans about 100 campaigns (each campaign's oldest due call; those contacts have no known place, so each call takes its pool's least-used usable number): the claim reads each pool's few least-used numbers from the indexed pools (caller_pool_numbers, migration 0013: about 100 rows in all, not the ${(100 * sizes.poolSize).toLocaleString('en')} numbers of the pools) and writes, per call, its number's counter and the counter's copy in the index (two row versions). History: ended calls over the last 90 days, 1% of them within the last 24 hours (they feed the per-number cap); four contacts in five have a state (FL, TX, UT, RI), so the calling rules of sql/024_rules.sql are checked for them (windows, Utah's holidays, Florida's per-person cap); after seeding, ANALYZE of the seeded tables and a CHECKPOINT, as after any bulk load. Server CPU per claim: the backend's user + system time from /proc over the runs, divided by the runs (it includes begin/rollback); unlike the wall-clock median it does not grow with the machine's load (1-minute load average at the end of the runs: ${load}, on ${cpus().length} cores).`,
      '',
      `\`EXPLAIN (ANALYZE, BUFFERS) select * from dialer.due_calls('${AT}')\` (the whole due gate over all ${due.toLocaleString('en')} due calls; the claim applies the same rules only to the sources its per-tenant rotation reaches, and only until its share is found) with ${label(sizes.largeHistory)} calls:`,
      '',
      '```',
      largePlan,
      '```',
      '',
      `The same with ${label(sizes.smallHistory)} calls:`,
      '',
      '```',
      smallPlan,
      '```',
    ].join('\n');
    return {
      name: 'claim',
      figures: {
        small_history_calls: sizes.smallHistory,
        large_history_calls: sizes.largeHistory,
        due_calls: due,
        claim_median_small_ms: smallResult.medianMs,
        claim_median_large_ms: largeResult.medianMs,
        claim_cpu_small_ms: smallResult.cpuMs ?? 'n/a',
        claim_cpu_large_ms: largeResult.cpuMs ?? 'n/a',
        load_average_1m: load,
        large_over_small: ratio,
        claimed_per_run: largeResult.claimed,
        claim_median_pools_ms: poolResult.medianMs,
        claim_cpu_pools_ms: poolResult.cpuMs ?? 'n/a',
        claimed_per_run_pools: poolResult.claimed,
        pools_over_single: poolRatio,
        pool_size: sizes.poolSize,
        seed_pools_s: round(poolSeedS),
        claim_median_shared_pools_ms: sharedResult.medianMs,
        claim_cpu_shared_pools_ms: sharedResult.cpuMs ?? 'n/a',
        shared_pools_over_single: sharedRatio,
        seed_shared_pools_s: round(sharedSeedS),
        seed_small_s: round(smallSeedS),
        seed_large_s: round(largeSeedS),
      },
      goals,
      table,
      notes,
    };
  } finally {
    for (const client of clients) await client.end();
    await dropDatabase(context.serverUrl, sharedDatabase);
    await dropDatabase(context.serverUrl, poolDatabase);
    await dropDatabase(context.serverUrl, largeDatabase);
    await dropDatabase(context.serverUrl, smallDatabase);
  }
}
