import t from 'tap';
import { createHmac } from 'node:crypto';
import type { Vapi } from '@vapi-ai/server-sdk';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { ENDED_REASONS } from '../../server/vapi/endedReasons.js';
import { callBody, get, post, startReceiver } from './webhookReceiver.js';

const fast = { queuedMs: 5, ringingMs: 15, talkMs: 30, reportDelayMs: 5 };

t.test('an answered call plays queued → ringing → in-progress → ended, then the end-of-call-report, in VAPI\'s shapes', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ endedReason: 'customer-ended-call', durationMs: 60 }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody({}, `${receiver.url}/webhooks/vapi`));
  await sim.idle();

  const messages = receiver.received.map((r) => r.body.message);
  const lifecycle = messages.filter((m) => m.type === 'status-update' || m.type === 'end-of-call-report');
  t.same(
    lifecycle.map((m) => [m.type, m.status ?? null, m.endedReason ?? null]),
    [
      ['status-update', 'queued', null],
      ['status-update', 'ringing', null],
      ['status-update', 'in-progress', null],
      ['status-update', 'ended', 'customer-ended-call'],
      ['end-of-call-report', null, 'customer-ended-call'],
    ],
  );
  // Without serverMessages VAPI sends its default list: the per-turn messages come too.
  const turns = messages.filter((m) => m.type === 'speech-update' || m.type === 'conversation-update');
  t.same(
    turns.map((m) => [m.type, m.status ?? null, m.role ?? null]),
    [
      ['speech-update', 'started', 'assistant'], ['speech-update', 'stopped', 'assistant'], ['conversation-update', null, null],
      ['speech-update', 'started', 'user'], ['speech-update', 'stopped', 'user'], ['conversation-update', null, null],
      ['speech-update', 'started', 'assistant'], ['speech-update', 'stopped', 'assistant'], ['conversation-update', null, null],
    ],
  );
  const conversations = turns.filter((m) => m.type === 'conversation-update');
  t.same(conversations.map((m) => m.messages.length), [1, 2, 3], 'each conversation-update carries the whole history so far');
  t.match(conversations[2].messagesOpenAIFormatted, [{ role: 'assistant' }, { role: 'user', content: 'Sure, go ahead.' }, { role: 'assistant' }]);
  t.ok(receiver.received.every((r) => r.path === '/webhooks/vapi' && r.headers['content-type'] === 'application/json'));
  for (const message of messages) {
    t.type(message.timestamp, 'number', 'timestamp is epoch ms');
    t.ok(Math.abs(message.timestamp - Date.now()) < 10_000);
    t.equal(message.call.id, created.body.id);
    t.equal(message.call.type, 'outboundPhoneCall');
    t.same(message.customer, created.body.customer);
  }
  t.ok(messages.every((m) => m.call.status === 'queued' && m.call.cost === 0 && m.call.artifact === undefined && m.call.endedReason === undefined),
    'message.call is the Call as it was when created (status queued, cost 0), in every message');

  const report = lifecycle[4];
  t.match(report, {
    endedReason: 'customer-ended-call',
    artifact: {
      transcript: /Ada Example/,
      messages: Array,
      recording: { stereoUrl: /^https:\/\/.*stereo/, mono: { combinedUrl: /^https:\/\/.*mono/, assistantUrl: String, customerUrl: String } },
    },
    analysis: { summary: String, successEvaluation: 'true' },
    cost: Number,
    startedAt: String,
    endedAt: String,
  });
  t.same(report.costs.map((c: any) => c.type), ['transport', 'transcriber', 'model', 'voice', 'vapi'], 'the typed costs[]');
  const sum = report.costs.reduce((total: number, c: any) => total + c.cost, 0);
  t.equal(report.cost, sum, 'cost is the sum of costs[]');
  t.ok(String(report.cost).split('.')[1]!.length > 4, `costs have more than 4 decimals (${report.cost})`);
  for (const absent of ['costBreakdown', 'durationMs', 'durationSeconds', 'durationMinutes', 'transcript', 'recordingUrl', 'summary']) {
    t.equal(report[absent], undefined, `the report has no ${absent}`);
  }
  t.equal(report.artifact.recordingUrl, undefined, 'no deprecated artifact.recordingUrl unless asked');
  const talked = Date.parse(report.endedAt) - Date.parse(report.startedAt);
  t.ok(talked >= 55 && talked < 1_000, `talk time follows durationMs (${talked} ms)`);
  t.ok(report.cost > 0);

  const final = await get(sim.url, `/call/${created.body.id}`);
  t.match(final.body, {
    status: 'ended', endedReason: 'customer-ended-call', startedAt: report.startedAt, endedAt: report.endedAt, cost: report.cost,
    costBreakdown: { total: report.cost, transport: Number, stt: Number, llm: Number, tts: Number, vapi: Number },
    costs: report.costs,
    artifact: { recording: report.artifact.recording },
  });
  t.equal(final.body.transcript, undefined, 'no deprecated top-level transcript on the Call unless asked');
  t.equal(sim.webhooksSent.length, 14);
  t.ok(sim.webhooksSent.every((w) => w.responseStatus === 200 && w.callId === created.body.id && w.responseBody === '{}'));
  t.equal(sim.liveCalls(), 0);
  const stats = await fetch(`${sim.url}/__simulator/stats`);
  t.same(await stats.json(), {
    dials: 1,
    liveCalls: 0,
    maxConcurrent: 1,
    endedReasons: { 'customer-ended-call': 1 },
    webhooks: { sent: 14, failed: 0, lost: 0 },
    faults: sim.faults,
  });
});

t.test('deprecatedFields: the old places too (artifact.recordingUrl, top-level transcript/recordingUrl/summary)', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, deprecatedFields: true, script: () => ({ outcome: 'answered', durationMs: 20 }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody({ assistantOverrides: { server: { url: receiver.url }, serverMessages: ['end-of-call-report'] } }));
  await sim.idle();
  const report = receiver.received[0]!.body.message;
  t.match(report.artifact, { recordingUrl: /mono/, stereoRecordingUrl: /stereo/, recording: { mono: { combinedUrl: /mono/ } } });
  t.match(report, { transcript: /Ada Example/, recordingUrl: /mono/, summary: String });
  t.match((await get(sim.url, `/call/${created.body.id}`)).body, { transcript: /Ada Example/, recordingUrl: /mono/, summary: String });
});

t.test('a forwarded call passes through forwarding; a lost call reads not-found and sends nothing more', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({
    timing: fast,
    script: (dial) => (dial.customerNumber === '+15550100001' ? { endedReason: 'assistant-forwarded-call', durationMs: 30 } : { lostAs: 'not-found' }),
  });
  t.teardown(() => sim.close());
  const serverMessages = ['status-update', 'end-of-call-report'];
  await post(sim.url, callBody({ assistantOverrides: { server: { url: receiver.url }, serverMessages } }));
  const lost = await post(sim.url, callBody({ customer: { number: '+15550100002' }, assistantOverrides: { server: { url: receiver.url }, serverMessages } }));
  await sim.idle();
  const forwarded = receiver.received.filter((r) => r.body.message.customer.number === '+15550100001').map((r) => r.body.message.status ?? r.body.message.type);
  t.same(forwarded, ['queued', 'ringing', 'in-progress', 'forwarding', 'ended', 'end-of-call-report']);
  const forwardingUpdate = receiver.received.find((r) => r.body.message.status === 'forwarding')!.body.message;
  t.type(forwardingUpdate.messages, Array, 'a forwarding status-update carries the conversation');
  const lostMessages = receiver.received.filter((r) => r.body.message.customer.number === '+15550100002').map((r) => r.body.message.status);
  t.same(lostMessages, ['queued'], 'nothing after queued');
  t.equal((await get(sim.url, `/call/${lost.body.id}`)).body.status, 'not-found');
  t.equal(sim.liveCalls(), 0, 'its slot is free');
});

t.test('notFoundAs status: a young call reads status not-found instead of a 404', async (t) => {
  const sim = await startVapiSimulator({ timing: fast, notFoundWindowMs: 10_000, notFoundAs: 'status', script: () => ({ outcome: 'busy' }) });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody());
  const read = await get(sim.url, `/call/${created.body.id}`);
  t.equal(read.status, 200);
  t.equal(read.body.status, 'not-found');
  t.same((await get(sim.url, '/call')).body, [], 'still missing from the list');
  sim.configure({ notFoundAs: undefined });
  t.equal((await get(sim.url, `/call/${created.body.id}`)).status, 404, 'the default is a 404');
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
  t.ok([...a, ...b].every((r) => r.headers['x-signature'] === undefined), 'no signature without a credential');
});

t.test('webhook credentials: HMAC only through server.credentialId, with the credential\'s options; bearer too', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({
    timing: fast,
    script: () => ({ outcome: 'busy' }),
    credentials: { 'cred-bearer-opt': { type: 'bearer', token: 'tok-opt-123', headerName: 'X-Vapi-Secret' } },
  });
  t.teardown(() => sim.close());
  const credential = {
    provider: 'webhook',
    name: 'pgdialer test',
    authenticationPlan: {
      type: 'hmac', secretKey: 'hmac-secret-789', algorithm: 'sha512', signatureEncoding: 'base64',
      signatureHeader: 'X-Sig', timestampHeader: 'X-Ts', signaturePrefix: 'v1=', payloadFormat: '{timestamp}:{body}',
    },
  } satisfies Vapi.CreateWebhookCredentialDto & { provider: 'webhook' };
  const response = await fetch(`${sim.url}/credential`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-1' }, body: JSON.stringify(credential),
  });
  t.equal(response.status, 201);
  const created = (await response.json()) as Vapi.WebhookCredential;
  t.match(created, { id: String, orgId: String, provider: 'webhook', name: 'pgdialer test', authenticationPlan: { type: 'hmac', algorithm: 'sha512' } });

  await post(sim.url, callBody({ assistantOverrides: { server: { url: `${receiver.url}/hmac`, credentialId: created.id } } }));
  await post(sim.url, callBody({ assistantOverrides: { server: { url: `${receiver.url}/bearer`, credentialId: 'cred-bearer-opt' } } }));
  await post(sim.url, callBody({ assistantOverrides: { server: { url: `${receiver.url}/plain` } } }));
  await sim.idle();
  const signed = receiver.received.filter((r) => r.path === '/hmac');
  t.equal(signed.length, 4);
  for (const { headers, raw } of signed) {
    const timestamp = headers['x-ts'] as string;
    t.match(timestamp, /^\d{13}$/);
    const expected = createHmac('sha512', 'hmac-secret-789').update(`${timestamp}:${raw}`).digest('base64');
    t.equal(headers['x-sig'], `v1=${expected}`, 'signed the way the credential says');
    t.equal(headers['x-signature'], undefined);
  }
  const bearer = receiver.received.filter((r) => r.path === '/bearer');
  t.ok(bearer.length === 4 && bearer.every((r) => r.headers['x-vapi-secret'] === 'Bearer tok-opt-123'), 'a bearer credential: its header, Bearer prefix by default');
  const plain = receiver.received.filter((r) => r.path === '/plain');
  t.ok(plain.length === 4 && plain.every((r) => r.headers['x-signature'] === undefined && r.headers['x-sig'] === undefined), 'no credential, no signature');

  const unknown = await post(sim.url, callBody({ assistantOverrides: { server: { url: receiver.url, credentialId: 'cred-nobody-has' } } }));
  t.equal(unknown.status, 400);
  t.match(unknown.body.message, [/credentialId/]);
  const otherAccount = await post(sim.url, callBody({ assistantOverrides: { server: { url: receiver.url, credentialId: created.id } } }), 'sk-test-2');
  t.equal(otherAccount.status, 400, 'a credential belongs to its account');
  const bad = await fetch(`${sim.url}/credential`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-1' },
    body: JSON.stringify({ provider: 'webhook', authenticationPlan: { type: 'hmac', secretKey: 'x', algorithm: 'md5' } }),
  });
  t.equal(bad.status, 400);
  t.match(await bad.json(), { message: [/algorithm must be one of/] });
});

t.test('endedReasons weights draw from VAPI\'s whole list', async (t) => {
  const sim = await startVapiSimulator({ timing: { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 }, endedReasons: 'all', seed: 5 });
  t.teardown(() => sim.close());
  for (let i = 0; i < 60; i++) await post(sim.url, callBody({ customer: { number: `+1555020${String(i).padStart(4, '0')}` } }));
  await sim.idle();
  const drawn = new Set(sim.dials().map((dial) => dial.endedReason));
  t.ok(drawn.size > 40, `many different reasons (${drawn.size} of 60)`);
  t.ok([...drawn].every((reason) => (ENDED_REASONS as readonly string[]).includes(reason)), 'all of them VAPI\'s');
  t.ok([...sim.calls.values()].every((call) => call.status === 'ended' && drawn.has(call.endedReason!)));
  sim.configure({ endedReasons: { 'call.forwarding.operator-busy': 1, 'customer-busy': 0 } });
  await post(sim.url, callBody({ customer: { number: '+15550299999' } }));
  await sim.idle();
  t.equal(sim.dials().at(-1)!.endedReason, 'call.forwarding.operator-busy');
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
  t.equal(receiver.received.filter((r) => ['status-update', 'end-of-call-report'].includes(r.body.message.type)).length, 5, 'posted again once turned back on');
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

t.test('the request-response hook: onTalk, then request() resolves with the server\'s answer', async (t) => {
  const { createServer } = await import('node:http');
  const answers: string[] = [];
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => (raw += chunk));
    request.on('end', () => {
      const type = JSON.parse(raw).message.type;
      answers.push(type);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(type === 'tool-calls' ? JSON.stringify({ results: [{ toolCallId: 'tc-1', result: 'ok' }] }) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const { SimulatorState } = await import('../../server/vapiSimulator/state.js');
  const { createSimulatorServer } = await import('../../server/vapiSimulator/server.js');
  const state = new SimulatorState({ timing: fast, script: () => ({ outcome: 'answered', durationMs: 50 }) });
  const replies: Array<string | undefined> = [];
  state.playback.onTalk((call) => {
    void state.playback.request(call, 'tool-calls', { toolCallList: [{ id: 'tc-1', type: 'function', function: { name: 'lookup', arguments: {} } }] })
      .then((record) => replies.push(record?.responseBody));
  });
  const http = createSimulatorServer(state);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    state.scheduler.close();
    state.sender.close();
    http.closeAllConnections();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  const simUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  await post(simUrl, callBody({ assistantOverrides: { server: { url: `http://127.0.0.1:${port}/` }, serverMessages: ['tool-calls', 'end-of-call-report'] } }));
  await state.scheduler.idle();
  t.same(replies, [JSON.stringify({ results: [{ toolCallId: 'tc-1', result: 'ok' }] })], 'the answer came back to the caller');
  t.same(answers, ['tool-calls', 'end-of-call-report']);
});
