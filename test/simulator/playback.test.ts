import t from 'tap';
import { createHmac } from 'node:crypto';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, get, post, startReceiver } from './webhookReceiver.js';

const fast = { queuedMs: 5, ringingMs: 15, talkMs: 30, reportDelayMs: 5 };

t.test('an answered call plays queued → ringing → in-progress → ended, then the end-of-call-report', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ endedReason: 'customer-ended-call', durationMs: 40 }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody({}, `${receiver.url}/webhooks/vapi`));
  await sim.idle();

  const messages = receiver.received.map((r) => r.body.message);
  t.same(
    messages.map((m) => [m.type, m.status ?? null, m.endedReason ?? null]),
    [
      ['status-update', 'queued', null],
      ['status-update', 'ringing', null],
      ['status-update', 'in-progress', null],
      ['status-update', 'ended', 'customer-ended-call'],
      ['end-of-call-report', null, 'customer-ended-call'],
    ],
  );
  t.ok(receiver.received.every((r) => r.path === '/webhooks/vapi' && r.headers['content-type'] === 'application/json'));
  for (const message of messages) {
    t.type(message.timestamp, 'number', 'timestamp is epoch ms');
    t.ok(Math.abs(message.timestamp - Date.now()) < 10_000);
    t.equal(message.call.id, created.body.id);
    t.equal(message.call.type, 'outboundPhoneCall');
    t.same(message.customer, created.body.customer);
  }
  t.equal(messages[1].call.status, 'ringing', 'the call in each message is a snapshot at that moment');

  const report = messages[4];
  t.match(report, {
    endedReason: 'customer-ended-call',
    artifact: { transcript: /Ada Example/, recordingUrl: /^https:\/\//, messages: Array },
    analysis: { summary: String, successEvaluation: 'true' },
    cost: Number,
    costs: [{ type: 'vapi', cost: Number }],
    startedAt: String,
    endedAt: String,
    durationSeconds: Number,
    call: { status: 'ended', endedReason: 'customer-ended-call' },
  });
  const talked = Date.parse(report.endedAt) - Date.parse(report.startedAt);
  t.ok(talked >= 35 && talked < 1_000, `talk time follows durationMs (${talked} ms)`);
  t.equal(report.durationSeconds, talked / 1000);
  t.ok(report.cost > 0);

  const final = await get(sim.url, `/call/${created.body.id}`);
  t.match(final.body, { status: 'ended', endedReason: 'customer-ended-call', startedAt: report.startedAt, endedAt: report.endedAt, cost: report.cost });
  t.equal(sim.webhooksSent.length, 5);
  t.ok(sim.webhooksSent.every((w) => w.responseStatus === 200 && w.callId === created.body.id));
  t.equal(sim.liveCalls(), 0);
  const stats = await fetch(`${sim.url}/__simulator/stats`);
  t.same(await stats.json(), {
    dials: 1,
    liveCalls: 0,
    maxConcurrent: 1,
    endedReasons: { 'customer-ended-call': 1 },
    webhooks: { sent: 5, failed: 0, lost: 0 },
    faults: sim.faults,
  });
});

t.test('calls nobody answers skip in-progress; setup failures skip ringing too', async (t) => {
  const receiver = await startReceiver(t);
  const reasons: Record<string, string> = {
    '+15550100001': 'customer-did-not-answer',
    '+15550100002': 'customer-busy',
    '+15550100003': 'twilio-failed-to-connect-call',
    '+15550100004': 'call.start.error-get-assistant',
    '+15550100005': 'voicemail',
  };
  const sim = await startVapiSimulator({ timing: fast, script: (dial) => ({ endedReason: reasons[dial.customerNumber]! }) });
  t.teardown(() => sim.close());
  for (const number of Object.keys(reasons)) await post(sim.url, callBody({ customer: { number } }, receiver.url));
  await sim.idle();

  const statuses = (number: string) =>
    receiver.received.filter((r) => r.body.message.customer.number === number && r.body.message.type === 'status-update').map((r) => r.body.message.status);
  t.same(statuses('+15550100001'), ['queued', 'ringing', 'ended']);
  t.same(statuses('+15550100002'), ['queued', 'ringing', 'ended']);
  t.same(statuses('+15550100003'), ['queued', 'ended']);
  t.same(statuses('+15550100004'), ['queued', 'ended']);
  t.same(statuses('+15550100005'), ['queued', 'ringing', 'in-progress', 'ended'], 'a voicemail machine picks up');
  const unanswered = receiver.received.find((r) => r.body.message.type === 'end-of-call-report' && r.body.message.customer.number === '+15550100001')!;
  t.equal(unanswered.body.message.startedAt, undefined, 'no startedAt when nobody answered');
  t.equal(unanswered.body.message.cost, 0);
  t.same(sim.dials().map((d) => d.outcome), ['no_answer', 'busy', 'failed', 'failed', 'voicemail']);
});

t.test('webhooks carry the call\'s server headers: X-Vapi-Secret and Authorization: Bearer', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ outcome: 'busy' }) });
  t.teardown(() => sim.close());
  const withSecret = callBody({ assistantOverrides: { server: { url: `${receiver.url}/a`, headers: { 'X-Vapi-Secret': 'shh-123' } } } });
  const withBearer = callBody({ assistantOverrides: { server: { url: `${receiver.url}/b`, headers: { Authorization: 'Bearer tok-456' } } } });
  await post(sim.url, withSecret);
  await post(sim.url, withBearer);
  await sim.idle();
  const a = receiver.received.filter((r) => r.path === '/a');
  const b = receiver.received.filter((r) => r.path === '/b');
  t.equal(a.length, 4);
  t.equal(b.length, 4);
  t.ok(a.every((r) => r.headers['x-vapi-secret'] === 'shh-123' && r.headers.authorization === undefined));
  t.ok(b.every((r) => r.headers.authorization === 'Bearer tok-456' && r.headers['x-vapi-secret'] === undefined));
  t.ok([...a, ...b].every((r) => r.headers['x-signature'] === undefined), 'no signature without hmacSecret');
});

t.test('with hmacSecret every webhook is signed over "{x-timestamp}.{raw body}"', async (t) => {
  const receiver = await startReceiver(t);
  const secret = 'hmac-secret-789';
  const sim = await startVapiSimulator({ timing: fast, hmacSecret: secret, script: () => ({ outcome: 'answered' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.equal(receiver.received.length, 5);
  for (const { headers, raw } of receiver.received) {
    const timestamp = headers['x-timestamp'] as string;
    t.match(timestamp, /^\d{13}$/);
    const expected = createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex');
    t.equal(headers['x-signature'], expected);
    const forged = createHmac('sha256', 'other').update(`${timestamp}.${raw}`).digest('hex');
    t.not(headers['x-signature'], forged);
  }
});

t.test('webhookUrl overrides the per-call server; serverMessages limits the types sent', async (t) => {
  const receiver = await startReceiver(t);
  const other = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, webhookUrl: `${receiver.url}/override`, script: () => ({ outcome: 'no_answer' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({ assistantOverrides: { server: { url: other.url, headers: { 'X-Vapi-Secret': 's' } }, serverMessages: ['end-of-call-report'] } }));
  await sim.idle();
  t.equal(other.received.length, 0);
  t.same(receiver.received.map((r) => r.body.message.type), ['end-of-call-report']);
  t.equal(receiver.received[0]!.headers['x-vapi-secret'], 's', 'the headers still come from the call');
});

t.test('no server URL: the call still plays, nothing is posted', async (t) => {
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ outcome: 'answered', durationMs: 5 }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody());
  await sim.idle();
  t.equal(sim.calls.get(created.body.id)?.status, 'ended');
  t.equal(sim.webhooksSent.length, 0);
});

t.test('sendWebhooks false: the call still plays, nothing is posted even with a URL', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, sendWebhooks: false, script: () => ({ outcome: 'answered', durationMs: 5 }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.equal(sim.calls.get(created.body.id)?.status, 'ended');
  t.equal(sim.webhooksSent.length, 0);
  t.equal(receiver.received.length, 0);
  sim.configure({ sendWebhooks: true });
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.equal(receiver.received.length, 5, 'posted again once turned back on');
});

t.test('iso timestamps, as in 2024 payloads', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, timestampFormat: 'iso', script: () => ({ outcome: 'busy' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, receiver.url));
  await sim.idle();
  t.ok(receiver.received.every((r) => typeof r.body.message.timestamp === 'string' && !Number.isNaN(Date.parse(r.body.message.timestamp))));
});

t.test('a receiver slower than server.timeoutSeconds gets no retry; failures are recorded', async (t) => {
  const slow = await startReceiver(t, { delayMs: 1_500 });
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ endedReason: 'call.start.error-get-assistant' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({ assistantOverrides: { server: { url: slow.url, timeoutSeconds: 1 }, serverMessages: ['end-of-call-report'] } }));
  await post(sim.url, callBody({ assistantOverrides: { server: { url: 'http://127.0.0.1:1/refused' }, serverMessages: ['end-of-call-report'] } }));
  await sim.idle();
  const [timedOut, refused] = [sim.webhooksSent.find((w) => w.url === slow.url), sim.webhooksSent.find((w) => w.url.endsWith('/refused'))];
  t.match(timedOut, { responseStatus: null, error: 'timeout', type: 'end-of-call-report' });
  t.ok(timedOut!.durationMs >= 950 && timedOut!.durationMs < 3_000, `gave up after ~1 s (${timedOut!.durationMs} ms)`);
  t.match(refused, { responseStatus: null, error: /ECONNREFUSED/ });
  t.equal(sim.webhooksSent.length, 2, 'no retries');
  t.equal(slow.received.length, 1);
});

t.test('receiver errors (500) are recorded, not retried', async (t) => {
  const failing = await startReceiver(t, { status: 500 });
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ outcome: 'busy' }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, failing.url));
  await sim.idle();
  t.equal(failing.received.length, 4);
  t.ok(sim.webhooksSent.every((w) => w.responseStatus === 500));
});
