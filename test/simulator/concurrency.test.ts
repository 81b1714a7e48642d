import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, post, startReceiver } from './webhookReceiver.js';

const timing = { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 5 };
const number = (n: number) => `+1555010${String(n).padStart(4, '0')}`;

t.test('reject mode: over the limit answers 400 Over Concurrency Limit and creates nothing', async (t) => {
  const sim = await startVapiSimulator({ concurrencyLimit: 2, timing, script: () => ({ outcome: 'answered', durationMs: 1_500 }) });
  t.teardown(() => sim.close());
  const first = await post(sim.url, callBody({ customer: { number: number(1) } }));
  const second = await post(sim.url, callBody({ customer: { number: number(2) } }));
  t.same(first.body.subscriptionLimits, { concurrencyBlocked: false, concurrencyLimit: 2, remainingConcurrentCalls: 1 });
  t.same(second.body.subscriptionLimits, { concurrencyBlocked: false, concurrencyLimit: 2, remainingConcurrentCalls: 0 });
  const third = await post(sim.url, callBody({ customer: { number: number(3) } }));
  t.equal(third.status, 400);
  t.same(third.body, { message: 'Over Concurrency Limit', error: 'Over Concurrency Limit', statusCode: 400 });
  t.equal((await post(sim.url, callBody(), 'sk-second-account')).status, 201, 'the limit is per account (API key)');
  t.equal(sim.dials().length, 3);
  t.equal(sim.liveCalls('sk-test-1'), 2);
  t.equal(sim.faults.concurrencyRejected, 1);

  await sim.idle();
  t.equal((await post(sim.url, callBody({ customer: { number: number(3) } }))).status, 201, 'a slot frees when a call ends');
  await sim.idle();
  t.equal(sim.maxConcurrent('sk-test-1'), 2);
  t.equal(sim.maxConcurrent('sk-second-account'), 1);
  t.equal(sim.maxConcurrent(), 2, 'the busiest account');
});

t.test('the minimal over-limit body, as in VAPI\'s docs example', async (t) => {
  const sim = await startVapiSimulator({ concurrencyLimit: 0, concurrencyErrorBody: 'minimal' });
  t.teardown(() => sim.close());
  const answer = await post(sim.url, callBody());
  t.equal(answer.status, 400);
  t.same(answer.body, { error: 'Over Concurrency Limit' });
});

t.test('block mode: 201 with concurrencyBlocked, the call ends with …concurrency-limit-reached', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({
    concurrencyLimit: 1,
    concurrencyMode: 'block',
    timing,
    script: () => ({ outcome: 'answered', durationMs: 1_500 }),
  });
  t.teardown(() => sim.close());
  const live = await post(sim.url, callBody({ customer: { number: number(1) } }, receiver.url));
  const blocked = await post(sim.url, callBody({ customer: { number: number(2) } }, receiver.url));
  t.equal(live.body.subscriptionLimits.concurrencyBlocked, false);
  t.equal(blocked.status, 201);
  t.match(blocked.body, { status: 'queued', subscriptionLimits: { concurrencyBlocked: true, concurrencyLimit: 1, remainingConcurrentCalls: 0 } });
  await sim.idle();
  const blockedMessages = receiver.received.filter((r) => r.body.message.call.id === blocked.body.id).map((r) => r.body.message);
  t.same(
    blockedMessages.map((m) => [m.type, m.status ?? null]),
    [['status-update', 'queued'], ['status-update', 'ended'], ['end-of-call-report', null]],
  );
  t.equal(blockedMessages[1].endedReason, 'call.start.error-subscription-concurrency-limit-reached');
  t.match(sim.dials()[1], { concurrencyBlocked: true, endedReason: 'call.start.error-subscription-concurrency-limit-reached' });
  t.equal(sim.maxConcurrent(), 1, 'a blocked call never occupies a slot');
  t.equal(sim.faults.concurrencyBlocked, 1);
});

t.test('maxConcurrent counts calls overlapping in time', async (t) => {
  const sim = await startVapiSimulator({ concurrencyLimit: 50, timing, script: (dial) => ({ outcome: 'answered', durationMs: dial.customerNumber.endsWith('1') ? 2_500 : 1_000 }) });
  // Every call outlives the few requests below by a wide margin, even on a loaded machine.
  t.teardown(() => sim.close());
  await post(sim.url, callBody({ customer: { number: number(1) } })); // long
  await Promise.all([2, 3, 4].map((n) => post(sim.url, callBody({ customer: { number: number(n) } }))));
  t.equal(sim.liveCalls(), 4);
  await sim.idle();
  await post(sim.url, callBody({ customer: { number: number(5) } }));
  await sim.idle();
  t.equal(sim.maxConcurrent(), 4);
  t.equal(sim.liveCalls(), 0);
});

t.test('per-key limits and a limit changed at runtime', async (t) => {
  const sim = await startVapiSimulator({ concurrencyLimit: 5, concurrencyLimits: { 'sk-small': 1 }, timing, script: () => ({ outcome: 'answered', durationMs: 5_000 }) });
  t.teardown(() => sim.close());
  t.equal((await post(sim.url, callBody(), 'sk-small')).status, 201);
  t.equal((await post(sim.url, callBody(), 'sk-small')).status, 400);
  sim.configure({ concurrencyLimits: { 'sk-small': 2 } });
  const answer = await post(sim.url, callBody(), 'sk-small');
  t.equal(answer.status, 201);
  t.equal(answer.body.subscriptionLimits.concurrencyLimit, 2);
});
