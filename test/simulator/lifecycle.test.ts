import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, post, startReceiver } from './webhookReceiver.js';

const countTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

t.test('idle() resolves at once with nothing to play', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  await sim.idle();
  t.pass();
});

t.test('idle() waits for the last call to end and its last webhook to be delivered', async (t) => {
  const receiver = await startReceiver(t, { delayMs: 60 });
  const sim = await startVapiSimulator({ timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 5 }, script: () => ({ outcome: 'answered', durationMs: 400 }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  let resolved = false;
  const idle = sim.idle().then(() => (resolved = true));
  await sleep(60);
  t.notOk(resolved, 'not while the call is live');
  await idle;
  t.equal(receiver.received.length, 14, 'every webhook arrived before idle() resolved (5 status-updates and the report, 9 per-turn messages)');
  t.ok(sim.webhooksSent.every((w) => w.responseStatus === 200));
  t.equal(sim.liveCalls(), 0);
});

t.test('a throwing script, lose() or onEvent never breaks the simulator', async (t) => {
  const receiver = await startReceiver(t);
  const errors: unknown[] = [];
  const sim = await startVapiSimulator({
    timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 5 },
    script: (dial) => {
      if (dial.customerNumber.endsWith('9')) throw new Error('script bug');
      return { outcome: 'answered' };
    },
    webhookFaults: {
      lose: (type) => {
        if (type === 'status-update') throw new Error('lose bug');
        return false;
      },
    },
    onEvent: (event, fields) => {
      if (event === 'error') errors.push(fields.message);
      throw new Error('listener bug');
    },
  });
  t.teardown(() => sim.close());
  const failed = await post(sim.url, callBody({ customer: { number: '+15550800009' } }, receiver.url));
  t.equal(failed.status, 500, 'a throwing script is a 500');
  const created = await post(sim.url, callBody({ customer: { number: '+15550800001' } }, receiver.url));
  t.equal(created.status, 201);
  await sim.idle();
  t.equal(sim.calls.get(created.body.id)?.status, 'ended', 'the call still played to the end');
  const types = receiver.received.map((r) => r.body.message.type);
  t.same(types.filter((type) => type !== 'speech-update' && type !== 'conversation-update'), ['end-of-call-report'], 'only the webhooks lose() did not throw on');
  t.ok(types.includes('conversation-update'), 'the per-turn messages went too');
  t.ok(errors.includes('script bug') && errors.includes('lose bug'), 'errors were reported through onEvent');
});

t.test('recordBodies: false keeps the records small', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ recordBodies: false, timing: { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 }, outcomes: { busy: 1 } });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.match(sim.requests[0], { method: 'POST', path: '/call', status: 201, body: undefined, headers: {} });
  t.equal(sim.requests[0]!.response, undefined);
  t.equal(sim.webhooksSent.length, 4);
  t.ok(sim.webhooksSent.every((w) => w.raw === undefined && w.responseStatus === 200));
  t.equal(sim.dials()[0]!.customerNumber, '+15550100001', 'dials are still complete');
});

t.test('close() stops every timer, pending delivery and hanging request, and releases idle()', async (t) => {
  const before = countTimers();
  const slow = await startReceiver(t, { hang: true });
  const sim = await startVapiSimulator({
    timing: { queuedMs: 5, ringingMs: 5_000, talkMs: 60_000, reportDelayMs: 5 },
    responseLatencyMs: 0,
    faults: { nextResponses: ['timeout'], hangMs: 60_000 },
  });
  const hanging = fetch(`${sim.url}/call`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(callBody({ customer: { number: '+15550600001' } }, slow.url)),
  }).then(
    () => 'answered',
    () => 'dropped',
  );
  for (let n = 2; n <= 5; n += 1) await post(sim.url, callBody({ customer: { number: `+1555060000${n}` } }, slow.url));
  await sleep(30); // queued webhooks are now stuck at the slow receiver
  t.ok(countTimers() > before, 'playback timers are running');
  const idle = sim.idle();

  const started = Date.now();
  await sim.close();
  await idle;
  t.ok(Date.now() - started < 1_000, 'close() does not wait for calls or deliveries');
  t.equal(await hanging, 'dropped', 'the hanging request was dropped');
  // fetch's own keep-alive timers may take a moment to go; the simulator's (5 s ringing, 60 s
  // talk, 60 s hang) would stay far longer than this wait if close() had left them.
  const deadline = Date.now() + 2_000;
  while (countTimers() > before && Date.now() < deadline) await sleep(50);
  t.ok(countTimers() <= before, `no timers left (${countTimers()} vs ${before} before)`);
  t.ok(sim.webhooksSent.some((w) => w.error === 'aborted'), 'the stuck deliveries were aborted');
  const sentAtClose = sim.webhooksSent.length;
  await sleep(50);
  t.equal(sim.webhooksSent.length, sentAtClose, 'nothing is sent after close');
  await t.rejects(fetch(`${sim.url}/call`), 'the port is closed');
  await sim.close(); // twice is fine
});
