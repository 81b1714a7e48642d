import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, get, post } from './webhookReceiver.js';

const timing = { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 };
const number = (n: number) => `+1555040${String(n).padStart(4, '0')}`;

t.test('nextResponses injects 429, 500, 503, timeout and reset in order, then answers normally', async (t) => {
  const sim = await startVapiSimulator({ timing, faults: { nextResponses: ['429', '500', '503', 'timeout', 'reset'], retryAfterSeconds: 7 } });
  t.teardown(() => sim.close());

  const limited = await post(sim.url, callBody({ customer: { number: number(1) } }));
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '7');
  t.match(limited.body, { error: 'Too Many Requests', statusCode: 429 });
  const failed = await post(sim.url, callBody({ customer: { number: number(2) } }));
  t.same(failed.body, { message: 'Internal server error', error: 'Internal Server Error', statusCode: 500 });
  t.equal((await post(sim.url, callBody({ customer: { number: number(3) } }))).status, 503);
  t.equal(sim.dials().length, 0, 'an answered error created nothing');

  const started = Date.now();
  await t.rejects(
    fetch(`${sim.url}/call`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-1', 'content-type': 'application/json' },
      body: JSON.stringify(callBody({ customer: { number: number(4), externalId: 'ambiguous-1' } })),
      signal: AbortSignal.timeout(200),
    }),
    { name: 'TimeoutError' },
    'the answer never comes',
  );
  t.ok(Date.now() - started >= 190);
  await t.rejects(post(sim.url, callBody({ customer: { number: number(5), externalId: 'ambiguous-2' } })), 'the connection is reset');

  t.match(sim.dials(), [
    { customerNumber: number(4), externalId: 'ambiguous-1', fault: 'timeout' },
    { customerNumber: number(5), externalId: 'ambiguous-2', fault: 'reset' },
  ], 'both ambiguous cases created the call');
  const listed = await get(sim.url, '/call');
  t.same(listed.body.map((c: { customer: { externalId: string } }) => c.customer.externalId).sort(), ['ambiguous-1', 'ambiguous-2'], 'and a lookup finds them');

  t.equal((await post(sim.url, callBody({ customer: { number: number(6) } }))).status, 201, 'the queue is used up');
  t.same(sim.requests.map((r) => [r.status, r.fault ?? null]), [
    [429, '429'], [500, '500'], [503, '503'], [null, 'timeout'], [null, 'reset'], [200, null], [201, null],
  ]);
  t.match(sim.faults, { http429: 1, http500: 1, http503: 1, timeout: 1, reset: 1 });
});

t.test('the before-create variants look the same on the wire but create nothing', async (t) => {
  const sim = await startVapiSimulator({ timing, faults: { nextResponses: ['timeout-before-create', 'reset-before-create'], hangMs: 50 } });
  t.teardown(() => sim.close());
  await t.rejects(post(sim.url, callBody({ customer: { number: number(1) } })), 'dropped after hangMs');
  await t.rejects(post(sim.url, callBody({ customer: { number: number(2) } })), 'reset');
  t.equal(sim.dials().length, 0);
  t.same((await get(sim.url, '/call')).body, [], 'a lookup finds nothing');
  t.match(sim.faults, { timeoutBeforeCreate: 1, resetBeforeCreate: 1, timeout: 0, reset: 0 });
  t.same(sim.requests.slice(0, 2).map((r) => [r.status, r.fault]), [[null, 'timeout-before-create'], [null, 'reset-before-create']]);
});

t.test('configure with undefined clears an optional setting', async (t) => {
  const sim = await startVapiSimulator({ timing, apiKeys: ['sk-only'], faults: { nextResponses: ['429', '429'], retryAfterSeconds: 3 } });
  t.teardown(() => sim.close());
  t.equal((await post(sim.url, callBody(), 'sk-other')).status, 401);
  sim.configure({ apiKeys: undefined });
  t.equal((await post(sim.url, callBody(), 'sk-other')).headers.get('retry-after'), '3');
  sim.configure({ faults: { retryAfterSeconds: undefined } });
  const second = await post(sim.url, callBody(), 'sk-other');
  t.equal(second.status, 429);
  t.equal(second.headers.get('retry-after'), null);
  sim.configure({ concurrencyLimit: undefined });
  t.equal((await post(sim.url, callBody(), 'sk-other')).body.subscriptionLimits.concurrencyLimit, 10, 'a required setting goes back to its default');
});

t.test('hangMs drops a withheld answer after a delay', async (t) => {
  const sim = await startVapiSimulator({ timing, faults: { timeoutAfterCreate: 1, hangMs: 60 } });
  t.teardown(() => sim.close());
  const started = Date.now();
  await t.rejects(post(sim.url, callBody()));
  const waited = Date.now() - started;
  t.ok(waited >= 55 && waited < 2_000, `dropped after ~60 ms (${waited} ms)`);
  t.equal(sim.dials().length, 1);
  t.equal(sim.faults.timeout, 1);
});

t.test('fault rates are drawn from the seed and counted exactly', async (t) => {
  const run = async () => {
    const sim = await startVapiSimulator({ seed: 11, timing, concurrencyLimit: 1_000, faults: { rate429: 0.2, rate500: 0.1 } });
    const statuses: number[] = [];
    for (let n = 0; n < 100; n += 1) statuses.push((await post(sim.url, callBody({ customer: { number: number(n) } }))).status);
    const counts = { ...sim.faults };
    const dials = sim.dials().length;
    await sim.close();
    return { statuses, counts, dials };
  };
  const first = await run();
  const second = await run();
  t.same(second.statuses, first.statuses, 'the same seed injects the same faults');
  const observed429 = first.statuses.filter((s) => s === 429).length;
  const observed500 = first.statuses.filter((s) => s === 500).length;
  t.equal(first.counts.http429, observed429);
  t.equal(first.counts.http500, observed500);
  t.equal(first.dials, 100 - observed429 - observed500);
  t.ok(observed429 >= 7 && observed429 <= 34, `≈ 20% 429 (${observed429})`);
  t.ok(observed500 >= 1 && observed500 <= 20, `≈ 8% 500 (${observed500})`);
});

t.test('faults hit GETs only with scope "all"', async (t) => {
  const sim = await startVapiSimulator({ timing, faults: { rate500: 1 } });
  t.teardown(() => sim.close());
  t.equal((await get(sim.url, '/call')).status, 200, 'scope "create" spares GETs');
  sim.configure({ faults: { scope: 'all' } });
  t.equal((await get(sim.url, '/call')).status, 500);
  sim.configure({ faults: { rate500: 0, rate429: 1, retryAfterSeconds: 2 } });
  const limited = await fetch(`${sim.url}/call/some-id`, { headers: { authorization: 'Bearer k' } });
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '2');
});

t.test('responseLatencyMs delays every answer', async (t) => {
  const sim = await startVapiSimulator({ timing, responseLatencyMs: 80 });
  t.teardown(() => sim.close());
  const started = Date.now();
  t.equal((await post(sim.url, callBody())).status, 201);
  t.ok(Date.now() - started >= 75);
  const call = sim.calls.values().next().value!;
  t.ok(Date.parse(call.createdAt) - sim.requests[0]!.at >= 75, 'the call is created when the answer is ready');
});

t.test('validation still wins over queued faults, so a bad request never eats one', async (t) => {
  const sim = await startVapiSimulator({ timing, faults: { nextResponses: ['429'] } });
  t.teardown(() => sim.close());
  t.equal((await post(sim.url, { customer: {} })).status, 400);
  t.equal((await post(sim.url, callBody())).status, 429);
});
