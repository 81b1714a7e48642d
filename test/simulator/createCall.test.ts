import type { Vapi } from '@vapi-ai/server-sdk';
import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, get, post } from './webhookReceiver.js';

const invalidKey = {
  message: 'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
  error: 'Unauthorized',
  statusCode: 401,
};

t.test('POST /call answers 201 with a queued outboundPhoneCall', async (t) => {
  const sim = await startVapiSimulator({ seed: 7 });
  t.teardown(() => sim.close());
  const answer = await post(sim.url, callBody({ name: 'campaign 12' }));
  t.equal(answer.status, 201);
  const call = answer.body;
  t.match(call, {
    id: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    orgId: /^[0-9a-f-]{36}$/,
    type: 'outboundPhoneCall',
    status: 'queued',
    assistantId: 'asst-0001',
    phoneNumberId: 'pn-0001',
    name: 'campaign 12',
    customer: { number: '+15550100001', name: 'Ada Example', externalId: 'call-1' },
    assistantOverrides: { variableValues: { firstName: 'Ada' } },
    cost: 0,
    subscriptionLimits: { concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 9 },
  });
  t.equal(call.createdAt, call.updatedAt);
  t.ok(Math.abs(Date.parse(call.createdAt) - Date.now()) < 5_000);
  t.equal(call.endedReason, undefined, 'no endedReason before the end');

  const read = await get(sim.url, `/call/${call.id}`);
  t.equal(read.status, 200);
  t.equal(read.body.id, call.id);
  t.equal(sim.calls.get(call.id)?.customer.number, '+15550100001');
  t.match(sim.dials(), [{ callId: call.id, apiKey: 'sk-test-1', customerNumber: '+15550100001', externalId: 'call-1', attemptForNumber: 1 }]);
  t.match(sim.requests, [
    { method: 'POST', path: '/call', status: 201, body: { customer: { number: '+15550100001' } } },
    { method: 'GET', path: `/call/${call.id}`, status: 200 },
  ]);
  t.equal(sim.requests[0]!.headers.authorization, 'Bearer sk-test-1');
});

t.test('an inline assistant replaces assistantId', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  const body = callBody({ assistant: { firstMessage: 'Hello' } });
  delete body.assistantId;
  const answer = await post(sim.url, body);
  t.equal(answer.status, 201);
  t.same(answer.body.assistant, { firstMessage: 'Hello' });
});

t.test('missing, malformed and unknown keys answer VAPI\'s 401', async (t) => {
  const sim = await startVapiSimulator({ apiKeys: ['sk-good'] });
  t.teardown(() => sim.close());
  for (const key of [undefined, '', 'sk-bad']) {
    const answer = await post(sim.url, callBody(), key);
    t.equal(answer.status, 401, `key ${JSON.stringify(key)}`);
    t.same(answer.body, invalidKey);
  }
  const basic = await fetch(`${sim.url}/call`, { headers: { authorization: 'Basic abc' } });
  t.equal(basic.status, 401);
  t.equal((await get(sim.url, '/call', 'sk-bad')).status, 401, 'GET needs a key too');
  t.equal((await post(sim.url, callBody(), 'sk-good')).status, 201);
  t.equal(sim.dials().length, 1, 'only the valid key dialed');
});

t.test('validation answers NestJS-style 400s, one message per problem', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['unknown top-level fields', callBody({ metadata: { x: 1 }, phone: {} }), ['property metadata should not exist', 'property phone should not exist']],
    ['no assistant', callBody({ assistantId: undefined }), ["Couldn't Get Assistant. Need Either `assistant`, `assistantId`, `squad`, Or `squadId`."]],
    ['no phoneNumberId', callBody({ phoneNumberId: undefined }), ['phoneNumberId must be a string']],
    ['number not E.164', callBody({ customer: { number: '555-0100' } }), ['customer.number must be a valid phone number in the E.164 format.']],
    ['number without plus', callBody({ customer: { number: '15550100001' } }), ['customer.number must be a valid phone number in the E.164 format.']],
    ['no customer', callBody({ customer: undefined }), ['customer must be an object']],
    ['externalId over 40', callBody({ customer: { number: '+15550100001', externalId: 'x'.repeat(41) } }), ['customer.externalId must be shorter than or equal to 40 characters']],
    ['name over 40', callBody({ name: 'n'.repeat(41) }), ['name must be shorter than or equal to 40 characters']],
    ['unknown customer field', callBody({ customer: { number: '+15550100001', phone: '+15550100001' } }), ['customer.property phone should not exist']],
    ['bad server url', callBody({ assistantOverrides: { server: { url: 'not a url' } } }), ['assistantOverrides.server.url must be a URL address']],
    ['body not an object', [] as unknown as Record<string, unknown>, ['body must be an object']],
    ['voicemailMessage not a string', callBody({ assistantOverrides: { voicemailMessage: 42 } }), ['assistantOverrides.voicemailMessage must be a string of at most 1000 characters']],
  ];
  for (const [label, body, messages] of cases) {
    const answer = await post(sim.url, body);
    t.equal(answer.status, 400, label);
    t.same(answer.body, { message: messages, error: 'Bad Request', statusCode: 400 }, label);
  }
  t.equal((await post(sim.url, callBody({ name: 'n'.repeat(40), customer: { number: '+15550100001', externalId: 'x'.repeat(40) } }))).status, 201, '40 characters pass');
  t.equal(sim.dials().length, 1, 'no invalid request created a call');
  t.equal((await post(sim.url, callBody({ assistantOverrides: { voicemailMessage: 'Please call back.' } }))).status, 201);
  t.same(sim.dials().map((dial) => dial.voicemailMessage), [undefined, 'Please call back.'], 'the voicemail message is recorded as received');
});

t.test('every CreateCallDto field is accepted (VAPI\'s OpenAPI of 2026-08-19), and comes back on the Call', async (t) => {
  const sim = await startVapiSimulator({ timing: { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 } });
  t.teardown(() => sim.close());
  // Made-up ids; every top-level property of CreateCallDto and every property of CreateCustomerDto.
  const body = {
    assistantVersion: 'v3',
    transport: { provider: 'vapi.websocket' },
    name: 'Every field',
    schedulePlan: { earliestAt: new Date(Date.now() + 60_000).toISOString() },
    assistantId: 'asst-0001',
    assistant: { name: 'inline', firstMessage: 'Hi' },
    assistantOverrides: { variableValues: { a: 1 }, serverMessages: ['end-of-call-report'], server: { url: 'http://127.0.0.1:1/x', timeoutSeconds: 5 } },
    squadId: 'squad-0001',
    squad: { members: [] },
    squadOverrides: {},
    workflowId: 'wf-0001',
    workflow: { name: 'wf', nodes: [], edges: [] },
    workflowOverrides: {},
    phoneNumberId: 'pn-0001',
    phoneNumber: { twilioPhoneNumber: '+15550100099', twilioAccountSid: 'AC0', twilioAuthToken: 'tok' },
    customerId: 'cust-0001',
    customer: {
      numberE164CheckEnabled: true, extension: '12', assistantOverrides: {}, squadOverrides: {}, number: '+15550100001',
      sipUri: 'sip:ada@example.com', name: 'Ada', email: 'ada@example.com', externalId: 'ext-1',
    },
  } satisfies Vapi.CreateCallDto;
  const created = await post(sim.url, body);
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { assistantVersion: 'v3', workflowId: 'wf-0001', customerId: 'cust-0001', customer: { sipUri: 'sip:ada@example.com', email: 'ada@example.com' } });
  t.same(Object.keys(body).filter((key) => created.body[key] === undefined), [], 'every field given is on the Call');
  const batch = await post(sim.url, { assistantId: 'asst-0001', phoneNumberId: 'pn-0001', customers: [{ number: '+15550100001' }] });
  t.equal(batch.status, 400);
  t.match(batch.body.message, [/batch calls are not simulated/]);
  await sim.idle();
});

t.test('malformed JSON is a 400 and the simulator keeps serving', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  const answer = await post(sim.url, '{"assistantId": ');
  t.equal(answer.status, 400);
  t.match(answer.body, { error: 'Bad Request', statusCode: 400, message: String });
  t.equal(sim.requests[0]!.body, '{"assistantId": ', 'the raw text is recorded');
  const unknownRoute = await fetch(`${sim.url}/assistant`, { headers: { authorization: 'Bearer k' } });
  t.equal(unknownRoute.status, 404);
  t.same(await unknownRoute.json(), { message: 'Cannot GET /assistant', error: 'Not Found', statusCode: 404 });
  const huge = await post(sim.url, JSON.stringify(callBody({ name: 'x'.repeat(1_100_000) })));
  t.equal(huge.status, 413, 'over 1 MB');
  t.equal((await post(sim.url, callBody())).status, 201);
});
