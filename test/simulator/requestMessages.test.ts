// The simulator's request-response messages: tool-calls and transfer-destination-request, posted
// to the call's server during the call, waiting for the answer and recording it; VAPI's shapes;
// serverMessages honoured; the server's timeoutSeconds as the wait.
import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { startForwardTarget } from '../webhooks/forwardTarget.js';
import { waitFor } from '../worker/fixtures.js';

const target = await startForwardTarget(t);
const sim = await startVapiSimulator({
  timing: { queuedMs: 5, ringingMs: 5, talkMs: 300, reportDelayMs: 5 },
  script: ({ customerNumber }) =>
    customerNumber === '+15550200001'
      ? { outcome: 'answered', durationMs: 400, requests: [{ afterMs: 50, type: 'tool-calls', toolCalls: [{ id: 'call_s1', name: 'lookup', arguments: { order: 'A-1' } }] }, { afterMs: 100, type: 'transfer-destination-request' }] }
      : undefined,
});
t.teardown(() => sim.close());

const create = async (number: string, server: Record<string, unknown>, serverMessages?: string[]) => {
  const response = await fetch(`${sim.url}/call`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-sim', 'content-type': 'application/json' },
    body: JSON.stringify({
      assistantId: 'asst-0001',
      phoneNumberId: 'pn-0001',
      customer: { number },
      assistantOverrides: { server, ...(serverMessages ? { serverMessages } : {}) },
    }),
  });
  t.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
};

t.test('scripted requests are played during the call; the answers are recorded', async (t) => {
  target.on('/scripted', (request) =>
    request.message.type === 'tool-calls'
      ? { json: { results: [{ toolCallId: request.message.toolCallList[0].id, name: 'lookup', result: 'shipped' }] } }
      : request.message.type === 'transfer-destination-request'
        ? { json: { destination: { type: 'number', number: '+15550009999' } } }
        : { json: {} },
  );
  const id = await create('+15550200001', { url: `${target.url}/scripted`, headers: { 'x-vapi-secret': 'whsec-sim-1' } });
  await sim.idle();
  const records = sim.requestMessages.filter((record) => record.callId === id);
  t.same(records.map((record) => record.type), ['tool-calls', 'transfer-destination-request']);
  t.same(records[0]!.toolCallIds, ['call_s1']);
  t.same(records[0]!.response, { results: [{ toolCallId: 'call_s1', name: 'lookup', result: 'shipped' }] });
  t.same(records[1]!.response, { destination: { type: 'number', number: '+15550009999' } });

  // VAPI's shape (ServerMessageToolCalls): toolCallList of ToolCall, toolWithToolCallList, the call.
  const sent = target.of('/scripted').find((request) => request.message.type === 'tool-calls')!;
  t.equal(sent.headers['x-vapi-secret'], 'whsec-sim-1', "the server's headers");
  t.same(sent.message.toolCallList, [{ id: 'call_s1', type: 'function', function: { name: 'lookup', arguments: '{"order":"A-1"}' } }]);
  t.same(sent.message.toolWithToolCallList[0].toolCall.id, 'call_s1');
  t.equal(sent.message.call.id, id);
  t.equal(sent.raw, records[0]!.raw, 'recorded as sent');
  // Sent while the call is in progress (webhooks are separate requests: their arrival order is not VAPI's promise).
  const call = sim.calls.get(id)!;
  t.ok(Date.parse(call.startedAt!) <= records[0]!.at && records[1]!.at <= Date.parse(call.endedAt!), 'while the call is in progress');
});

t.test('serverMessages without the type: nothing sent; timeoutSeconds bounds the wait', async (t) => {
  const limited = await create('+15550200002', { url: `${target.url}/limited` }, ['status-update', 'end-of-call-report']);
  await waitFor(() => sim.calls.get(limited)?.status === 'in-progress', 5_000, 'in-progress');
  const skipped = await sim.sendRequestMessage(limited, { type: 'tool-calls', toolCalls: [{ name: 'lookup' }] });
  t.equal(skipped.skipped, 'not in serverMessages');
  t.equal(target.of('/limited').filter((r) => r.message.type === 'tool-calls').length, 0);

  target.on('/slow', () => ({ hang: true }));
  const slow = await create('+15550200003', { url: `${target.url}/slow`, timeoutSeconds: 1 });
  await waitFor(() => sim.calls.get(slow)?.status === 'in-progress' || sim.calls.get(slow)?.status === 'ended', 5_000, 'in-progress');
  const record = await sim.sendRequestMessage(slow, { type: 'transfer-destination-request' });
  t.equal(record.responseStatus, null);
  t.equal(record.error, 'timeout');
  t.ok(record.durationMs >= 950 && record.durationMs < 2_000, `gave up after ${record.durationMs} ms`);
});
