// The script's in-call behaviour: toolCalls post one tool-calls message each while the call is in
// progress (VAPI's OpenAPI ServerMessageToolCalls shape), structuredData lands in the report's
// analysis and on the Call; a call that never connects sends neither.
import t from 'tap';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, get, post, startReceiver } from './webhookReceiver.js';

const fast = { queuedMs: 5, ringingMs: 10, talkMs: 40, reportDelayMs: 5 };

t.test('toolCalls and structuredData of a connected call', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({
    timing: fast,
    script: () => ({ outcome: 'answered', toolCalls: ['optOut', 'lookup'], structuredData: { optOut: true } }),
  });
  t.teardown(() => sim.close());
  const created = await post(sim.url, callBody({}, `${receiver.url}/webhooks/vapi`));
  await sim.idle();

  // Per-turn messages (speech-update, conversation-update) are VAPI's default list: left out here.
  const messages = receiver.received.map((r) => r.body.message).filter((m) => !['speech-update', 'conversation-update'].includes(m.type));
  t.same(messages.map((m) => m.type === 'status-update' ? m.status : m.type),
    ['queued', 'ringing', 'in-progress', 'tool-calls', 'tool-calls', 'ended', 'end-of-call-report'], 'tool calls between in-progress and the end');
  const [optOut, lookup] = messages.filter((m) => m.type === 'tool-calls');
  t.match(optOut, {
    call: { id: created.body.id, status: 'queued' }, // message.call is the Call as created, as VAPI sends it
    toolCallList: [{ id: /^call_/, type: 'function', function: { name: 'optOut', arguments: '{}' } }],
    toolWithToolCallList: [{ type: 'function', function: { name: 'optOut' }, toolCall: { type: 'function', function: { name: 'optOut' } } }],
  });
  t.equal(optOut.toolWithToolCallList[0].toolCall.id, optOut.toolCallList[0].id, 'one id for the call in both lists');
  t.equal(lookup.toolCallList[0].function.name, 'lookup');
  t.not(lookup.toolCallList[0].id, optOut.toolCallList[0].id);
  t.same(messages.at(-1).analysis.structuredData, { optOut: true });
  t.same((await get(sim.url, `/call/${created.body.id}`)).body.analysis.structuredData, { optOut: true }, 'GET /call has it too');
});

t.test('a call that never connects has no tool calls and no structured data', async (t) => {
  const receiver = await startReceiver(t);
  const sim = await startVapiSimulator({ timing: fast, script: () => ({ outcome: 'no_answer', toolCalls: ['optOut'], structuredData: { optOut: true } }) });
  t.teardown(() => sim.close());
  await post(sim.url, callBody({}, `${receiver.url}/webhooks/vapi`));
  await sim.idle();
  const messages = receiver.received.map((r) => r.body.message);
  t.notOk(messages.some((m) => m.type === 'tool-calls'));
  t.notOk(messages.at(-1).analysis?.structuredData);
});
