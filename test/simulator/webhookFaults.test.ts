import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, post, startReceiver } from './webhookReceiver.js';

const timing = { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 5 };
// The status-updates and the report (the per-turn messages of VAPI's default serverMessages left out).
const kinds = (received: Array<{ body: any }>) =>
  received
    .filter((r) => r.body.message.type !== 'speech-update' && r.body.message.type !== 'conversation-update')
    .map((r) => (r.body.message.type === 'status-update' ? r.body.message.status : r.body.message.type));

t.test('lose() drops exactly the chosen webhooks', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({
    timing,
    script: () => ({ outcome: 'answered' }),
    webhookFaults: { lose: (type) => type === 'end-of-call-report' },
  });
  t.teardown(() => sim.close());
  const created = (await post(sim.url, callBody({}, receiver.url))).body;
  await sim.idle();
  t.same(kinds(receiver.received), ['queued', 'ringing', 'in-progress', 'ended']);
  t.match(sim.webhooksLost, [{ type: 'end-of-call-report', callId: created.id }]);
  t.equal(sim.faults.webhookLost, 1);
  t.equal(sim.calls.get(created.id)?.status, 'ended', 'the call itself still ended');
});

t.test('loseRate 1 loses every webhook; the call is only visible through GET', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing, script: () => ({ outcome: 'busy' }), webhookFaults: { loseRate: 1 } });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.equal(receiver.received.length, 0);
  t.equal(sim.webhooksSent.length, 0);
  t.same(sim.webhooksLost.map((w) => w.status ?? w.type), ['queued', 'ringing', 'ended', 'end-of-call-report']);
  t.equal(sim.faults.webhookLost, 4);
});

t.test('duplicateRate 1 sends every webhook twice, identical bodies', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing, script: () => ({ outcome: 'no_answer' }), webhookFaults: { duplicateRate: 1 } });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.same(kinds(receiver.received), ['queued', 'queued', 'ringing', 'ringing', 'ended', 'ended', 'end-of-call-report', 'end-of-call-report']);
  for (let index = 0; index < receiver.received.length; index += 2) {
    t.equal(receiver.received[index]!.raw, receiver.received[index + 1]!.raw);
  }
  t.equal(sim.webhooksSent.filter((w) => w.duplicate).length, 4);
  t.equal(sim.faults.webhookDuplicated, 4);
});

t.test('reorder sends the end-of-call-report before the ended status-update', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing, script: () => ({ outcome: 'answered' }), webhookFaults: { reorder: true } });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.same(kinds(receiver.received), ['queued', 'ringing', 'in-progress', 'end-of-call-report', 'ended']);
  const [report, ended] = receiver.received.slice(-2).map((r) => r.body.message);
  t.equal(report.type, 'end-of-call-report');
  t.equal(ended.endedReason, report.endedReason);
  t.equal(sim.faults.webhookReordered, 1);
});

t.test('webhook fault rates are seeded: the same seed loses the same webhooks', async (t) => {
  const run = async () => {
    const receiver = await startReceiver(t);
    const sim = await startVapiSimulator({ seed: 5, timing, concurrencyLimit: 100, outcomes: { busy: 1 }, webhookFaults: { loseRate: 0.3, duplicateRate: 0.2 } });
    for (let n = 0; n < 20; n += 1) {
      await post(sim.url, callBody({ customer: { number: `+1555050${String(n).padStart(4, '0')}` } }, receiver.url));
    }
    await sim.idle();
    const lost = sim.webhooksLost.map((w) => `${sim.calls.get(w.callId)!.customer.number}:${w.status ?? w.type}`).sort();
    const faults = { ...sim.faults };
    await sim.close();
    return { lost, faults, received: receiver.received.length };
  };
  const first = await run();
  const second = await run();
  t.same(second.lost, first.lost);
  t.equal(first.faults.webhookLost, first.lost.length);
  t.ok(first.lost.length >= 10 && first.lost.length <= 40, `≈ 30% of 80 lost (${first.lost.length})`);
  t.equal(first.received, 80 - first.faults.webhookLost + first.faults.webhookDuplicated, 'received = sent − lost + duplicated');
});
