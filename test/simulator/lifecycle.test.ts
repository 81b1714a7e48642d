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
  t.equal(receiver.received.length, 5, 'every webhook arrived before idle() resolved');
  t.ok(sim.webhooksSent.every((w) => w.responseStatus === 200));
  t.equal(sim.liveCalls(), 0);
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
  await sleep(20);
  t.ok(countTimers() <= before, `no timers left (${countTimers()} vs ${before} before)`);
  t.ok(sim.webhooksSent.some((w) => w.error === 'aborted'), 'the stuck deliveries were aborted');
  const sentAtClose = sim.webhooksSent.length;
  await sleep(50);
  t.equal(sim.webhooksSent.length, sentAtClose, 'nothing is sent after close');
  await t.rejects(fetch(`${sim.url}/call`), 'the port is closed');
  await sim.close(); // twice is fine
});
