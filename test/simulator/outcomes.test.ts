import t from 'tap';
import { startVapiSimulator, type ScriptedCall } from '../../server/vapiSimulator/index.js';
import { callBody, post } from './webhookReceiver.js';

const timing = { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 };
const number = (n: number) => `+1555020${String(n).padStart(4, '0')}`;

async function dialMany(seed: number, count: number, options: Parameters<typeof startVapiSimulator>[0] = {}) {
  const sim = await startVapiSimulator({ seed, timing, concurrencyLimit: 10_000, ...options });
  try {
    for (let n = 0; n < count; n += 1) await post(sim.url, callBody({ customer: { number: number(n) } }));
    await sim.idle();
    return { dials: sim.dials(), calls: [...sim.calls.values()] };
  } finally {
    await sim.close();
  }
}

t.test('the outcome mix follows its weights and a seed replays it exactly', async (t) => {
  const outcomes = { answered: 50, no_answer: 30, busy: 20 };
  const first = await dialMany(42, 120, { outcomes });
  const again = await dialMany(42, 120, { outcomes });
  const other = await dialMany(43, 40, { outcomes });
  const reasons = (run: typeof first) => run.dials.map((d) => d.endedReason);
  t.same(reasons(again), reasons(first), 'same seed, same endedReasons in the same order');
  t.not(reasons(other).join(), reasons(first).slice(0, 40).join(), 'another seed, another sequence');

  const count = (outcome: string) => first.dials.filter((d) => d.outcome === outcome).length;
  // Binomial bounds of about ±3.5 standard deviations around 60 / 36 / 24.
  t.ok(count('answered') >= 40 && count('answered') <= 80, `answered ≈ 60 (${count('answered')})`);
  t.ok(count('no_answer') >= 18 && count('no_answer') <= 54, `no_answer ≈ 36 (${count('no_answer')})`);
  t.ok(count('busy') >= 9 && count('busy') <= 39, `busy ≈ 24 (${count('busy')})`);
  t.equal(count('voicemail') + count('failed'), 0, 'zero weight, never drawn');
  const allowed = new Set(['customer-ended-call', 'assistant-ended-call', 'customer-did-not-answer', 'customer-busy']);
  t.ok(first.dials.every((d) => allowed.has(d.endedReason)));
  t.ok(first.calls.every((call) => call.status === 'ended' && allowed.has(call.endedReason!)), 'every call ended with its drawn reason');
  t.ok(new Set(first.dials.filter((d) => d.outcome === 'answered').map((d) => d.endedReason)).size === 2, 'both answered reasons occur');
});

t.test('each outcome maps to its endedReasons', async (t) => {
  const expected: Record<string, string[]> = {
    answered: ['customer-ended-call', 'assistant-ended-call'],
    no_answer: ['customer-did-not-answer'],
    busy: ['customer-busy'],
    voicemail: ['voicemail'],
    failed: ['twilio-failed-to-connect-call', 'pipeline-error-openai-llm-failed'],
  };
  for (const [outcome, reasons] of Object.entries(expected)) {
    const run = await dialMany(1, 10, { outcomes: { [outcome]: 1 } });
    t.ok(run.dials.every((d) => reasons.includes(d.endedReason) && d.outcome === outcome), outcome);
  }
});

t.test('a script decides exact scenarios per number and attempt; undefined falls back to the mix', async (t) => {
  const seen: Array<{ customerNumber: string; externalId: string | undefined; attemptForNumber: number }> = [];
  const script = (dial: { customerNumber: string; externalId: string | undefined; attemptForNumber: number }): ScriptedCall | undefined => {
    seen.push({ customerNumber: dial.customerNumber, externalId: dial.externalId, attemptForNumber: dial.attemptForNumber });
    if (dial.customerNumber !== '+15550300001') return undefined;
    return dial.attemptForNumber < 3 ? { outcome: 'no_answer' } : { endedReason: 'assistant-said-end-call-phrase', durationMs: 60 };
  };
  const sim = await startVapiSimulator({ timing, script, outcomes: { busy: 1 } });
  t.teardown(() => sim.close());
  for (const externalId of ['a1', 'a2', 'a3']) {
    await post(sim.url, callBody({ customer: { number: '+15550300001', externalId } }));
    await sim.idle();
  }
  await post(sim.url, callBody({ customer: { number: '+15550300002', externalId: 'b1' } }));
  await sim.idle();
  t.same(seen, [
    { customerNumber: '+15550300001', externalId: 'a1', attemptForNumber: 1 },
    { customerNumber: '+15550300001', externalId: 'a2', attemptForNumber: 2 },
    { customerNumber: '+15550300001', externalId: 'a3', attemptForNumber: 3 },
    { customerNumber: '+15550300002', externalId: 'b1', attemptForNumber: 1 },
  ]);
  t.same(sim.dials().map((d) => [d.endedReason, d.outcome]), [
    ['customer-did-not-answer', 'no_answer'],
    ['customer-did-not-answer', 'no_answer'],
    ['assistant-said-end-call-phrase', 'answered'],
    ['customer-busy', 'busy'],
  ]);
  const third = sim.calls.get(sim.dials()[2]!.callId)!;
  const talked = Date.parse(third.endedAt!) - Date.parse(third.startedAt!);
  t.ok(talked >= 55 && talked < 1_000, `durationMs sets the talk time (${talked} ms)`);
});

t.test('a script answering some dials leaves the mix of the others unchanged', async (t) => {
  const plain = await dialMany(9, 30);
  const scripted = await dialMany(9, 30, { script: (dial) => (dial.customerNumber === number(5) ? { outcome: 'failed' } : undefined) });
  const without5 = (run: typeof plain) => run.dials.filter((d) => d.customerNumber !== number(5)).map((d) => d.endedReason);
  t.same(without5(scripted), without5(plain));
});

t.test('configure changes the mix at runtime and can clear the script', async (t) => {
  const sim = await startVapiSimulator({ timing, outcomes: { busy: 1 }, script: () => ({ outcome: 'voicemail' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({ customer: { number: number(1) } }));
  sim.configure({ script: undefined });
  await post(sim.url, callBody({ customer: { number: number(2) } }));
  sim.configure({ outcomes: { no_answer: 1 } });
  await post(sim.url, callBody({ customer: { number: number(3) } }));
  t.same(sim.dials().map((d) => d.outcome), ['voicemail', 'busy', 'no_answer']);
  t.throws(() => sim.configure({ outcomes: { answered: 0 } }), /not all zero/);
  t.throws(() => sim.configure({ faults: { rate429: 2 } }), /between 0 and 1/);
});
