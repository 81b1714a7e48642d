// The synchronous relay's cost: a tool-calls webhook posted to pgdialer (authenticated, stored,
// relayed to the tenant's server, answered with its result) against the target's own time for the
// same request, measured on the target from request to answer. Goal (issue #9): the relay adds at
// most 50 ms at p99. The target takes TARGET_MS per request (a tool that does some work); the
// direct round trip (client → target) is measured in the same run, interleaved, as a reference.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { createDatabasePool } from '../db/pool.js';
import { createApp } from '../server/app.js';
import { listen } from '../server/httpServer.js';
import { loadConfig } from '../server/config.js';
import { silentLogger } from '../server/log.js';
import { systemClock } from '../server/clock.js';
import { insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET } from '../test/worker/fixtures.js';
import type { BenchContext, BenchSection, Goal } from './types.js';

const TARGET_MS = 10;
const SECRET = 'whsec-test'; // insertTenant's webhook secret
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round1 = (value: number) => Math.round(value * 10) / 10;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The tenant's tool server: answers each tool call after TARGET_MS, and records its own time per call id. */
async function startTarget() {
  const ownMs = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')).message;
      const id: string = message.toolCallList[0].id;
      setTimeout(() => {
        const body = JSON.stringify({ results: [{ toolCallId: id, name: 'lookup', result: 'ok' }] });
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        response.end(body, () => ownMs.set(id, performance.now() - started));
      }, TARGET_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, ownMs, close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
}

async function measure(context: BenchContext, requests: number, inFlight: number) {
  const name = `${context.template}_relay_${randomBytes(3).toString('hex')}`;
  await createDatabase(context.serverUrl, name, context.template);
  const pool = await createDatabasePool(withDatabase(context.serverUrl, name));
  const target = await startTarget();
  const config = loadConfig({ APP_SECRET: TEST_APP_SECRET });
  const server = await listen(
    createApp({ config, secrets: { appSecret: TEST_APP_SECRET, adminToken: undefined }, log: silentLogger, pool, clock: systemClock, workerState: () => ({ state: 'external' }) }),
    0,
    '127.0.0.1',
  );
  try {
    const tenantId = await insertTenant(pool);
    await pool.query(sql.unsafe`update dialer.tenants set forward_url = ${`${target.url}/tools`} where id = ${tenantId}::uuid`);
    const contactId = await insertContact(pool, tenantId, '+15550009000');
    const callId = await insertDirectCall(pool, tenantId, contactId, '+15550009000', new Date());
    await pool.query(sql.unsafe`update dialer.calls set status = 'in_progress', vapi_call_id = 'bench-relay-call' where id = ${callId}::uuid`);
    const webhook = `${server.url}/webhooks/vapi?tenant=${tenantId}`;
    const call = { id: 'bench-relay-call', customer: { number: '+15550009000', externalId: callId }, status: 'queued', cost: 0 };
    const bodyOf = (id: string) =>
      JSON.stringify({
        message: {
          type: 'tool-calls',
          timestamp: Date.now(),
          toolCallList: [{ id, type: 'function', function: { name: 'lookup', arguments: '{"order":"A-1"}' } }],
          toolWithToolCallList: [{ type: 'function', function: { name: 'lookup' }, toolCall: { id, type: 'function', function: { name: 'lookup', arguments: '{"order":"A-1"}' } } }],
          artifact: { messages: [] },
          call,
        },
      });
    const added: number[] = [];
    const relayed: number[] = [];
    const direct: number[] = [];
    let seq = 0;
    let failures = 0;
    const one = async (warmup: boolean) => {
      const relayId = `call_r${++seq}`;
      const answer = await post(webhook, bodyOf(relayId), { 'x-vapi-secret': SECRET });
      if (answer.status !== 200 || !answer.text.includes('"result":"ok"')) failures++;
      const own = target.ownMs.get(relayId);
      const directId = `call_d${++seq}`;
      const reference = await post(`${target.url}/tools`, bodyOf(directId), {});
      if (warmup || own === undefined) return;
      relayed.push(answer.ms);
      added.push(answer.ms - own);
      direct.push(reference.ms);
    };
    for (let i = 0; i < 20; i++) await one(true);
    let remaining = requests;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (remaining-- > 0) await one(false);
      }),
    );
    return { added, relayed, direct, failures };
  } finally {
    await server.close();
    await target.close();
    await pool.end();
    await dropDatabase(context.serverUrl, name);
  }
}

export async function run(context: BenchContext): Promise<BenchSection> {
  const requests = context.quick ? 50 : 1_000;
  const alone = await measure(context, requests, 1);
  const loaded = await measure(context, requests, 10);
  const row = (label: string, m: Awaited<ReturnType<typeof measure>>) =>
    `| ${label} | ${round1(percentile(m.added, 50))} / ${round1(percentile(m.added, 99))} ms | ${round1(percentile(m.relayed, 50))} / ${round1(percentile(m.relayed, 99))} ms | ${round1(percentile(m.direct, 50))} / ${round1(percentile(m.direct, 99))} ms | ${m.added.length} (${m.failures} failed) |`;
  const figures = {
    target_ms: TARGET_MS,
    added_p50_ms: round1(percentile(alone.added, 50)),
    added_p99_ms: round1(percentile(alone.added, 99)),
    relayed_p99_ms: round1(percentile(alone.relayed, 99)),
    direct_p99_ms: round1(percentile(alone.direct, 99)),
    added_10_in_flight_p50_ms: round1(percentile(loaded.added, 50)),
    added_10_in_flight_p99_ms: round1(percentile(loaded.added, 99)),
    samples: alone.added.length,
    failures: alone.failures + loaded.failures,
  };
  const goals: Goal[] = [
    { name: 'relay added latency p99 (tool call)', value: figures.added_p99_ms, target: '≤ 50 ms', met: figures.added_p99_ms <= 50 && figures.failures === 0 },
  ];
  const table = [
    `| tool call relayed (target takes ${TARGET_MS} ms) | added over the target's own time, p50 / p99 | relayed round trip, p50 / p99 | direct round trip (no relay), p50 / p99 | requests |`,
    '|---|---|---|---|---|',
    row('one at a time', alone),
    row('10 in flight', loaded),
  ].join('\n');
  return {
    name: 'relay',
    figures,
    goals,
    table,
    notes:
      "Added = the webhook's round trip (authenticate, then relay while the event is stored; the relay is recorded in dialer.forwards after the answer left) minus the target's own time for that request, measured on the target. The direct round trip is the same body posted straight to the target, interleaved with the relayed ones.",
  };
}
