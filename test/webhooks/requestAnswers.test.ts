// Which messages are asked for and relayed how (server/vapi/serverMessages.ts), and the error
// answers VAPI gets when a request cannot be relayed (requestAnswers.ts), for every request type
// and both tool-call shapes VAPI's documents show.
import t from 'tap';
import {
  DEFAULT_FORWARD_MESSAGES,
  isForwardedAsync,
  PER_TURN_MESSAGES,
  REQUEST_MESSAGES,
  SERVER_MESSAGE_TYPES,
  serverMessagesFor,
  VAPI_DEFAULT_SERVER_MESSAGES,
} from '../../server/vapi/serverMessages.js';
import { requestErrorAnswer, toolCallsOf } from '../../server/webhooks/requestAnswers.js';
import { createCallBody } from '../../server/vapi/callBody.js';

t.test('serverMessages: only values of the enum, never a per-turn type unless listed', async (t) => {
  const enumValues = new Set<string>(SERVER_MESSAGE_TYPES);
  t.ok(VAPI_DEFAULT_SERVER_MESSAGES.every((type) => enumValues.has(type)));
  t.same(DEFAULT_FORWARD_MESSAGES, ['end-of-call-report', 'function-call', 'hang', 'status-update', 'tool-calls', 'transfer-destination-request', 'handoff-destination-request', 'user-interrupted', 'assistant.started']);
  t.same(serverMessagesFor(null), ['end-of-call-report', 'status-update']);
  const withDefault = serverMessagesFor({ messages: DEFAULT_FORWARD_MESSAGES });
  t.ok(withDefault.every((type) => enumValues.has(type)), 'assistant-request and knowledge-base-request are not serverMessages values: left out');
  t.notOk(withDefault.some((type) => PER_TURN_MESSAGES.includes(type)));
  const minimal = serverMessagesFor({ messages: [] });
  t.same(minimal, ['end-of-call-report', 'function-call', 'status-update', 'tool-calls', 'transfer-destination-request', 'handoff-destination-request'], 'the request types even when the tenant lists nothing');
  t.ok(serverMessagesFor({ messages: ['conversation-update', 'conversation-update'] }).filter((type) => type === 'conversation-update').length === 1);
});

t.test('the POST /call body asks for the list explicitly, with the server timeout', async (t) => {
  const target = { callId: 'c1', tenantId: 't1', phone: '+15550001234', name: null, assistantId: 'a', phoneNumberId: 'p', variables: {} };
  const plain = createCallBody(target, 'https://d.example', { type: 'secret', secret: 'whsec-123456' });
  t.same(plain.assistantOverrides.serverMessages, ['end-of-call-report', 'status-update']);
  t.equal(plain.assistantOverrides.server.timeoutSeconds, 20);
  const relayed = createCallBody(target, 'https://d.example', { type: 'secret', secret: 'whsec-123456' }, { forwarding: { messages: ['transcript'] }, serverTimeoutSeconds: 30 });
  t.ok(relayed.assistantOverrides.serverMessages!.includes('transcript'));
  t.ok(relayed.assistantOverrides.serverMessages!.includes('tool-calls'));
  t.equal(relayed.assistantOverrides.server.timeoutSeconds, 30);
});

t.test('async relay: what the tenant lists, never a request type', async (t) => {
  t.ok(isForwardedAsync('status-update', DEFAULT_FORWARD_MESSAGES));
  t.notOk(isForwardedAsync('tool-calls', DEFAULT_FORWARD_MESSAGES), 'relayed while VAPI waits instead');
  t.notOk(isForwardedAsync('conversation-update', DEFAULT_FORWARD_MESSAGES));
  t.ok(isForwardedAsync('conversation-update', ['conversation-update']));
  t.notOk(isForwardedAsync(null, DEFAULT_FORWARD_MESSAGES));
});

t.test('error answers: the shape of each request type, never {}', async (t) => {
  const openApiShape = {
    toolCallList: [{ id: 'call_a', type: 'function', function: { name: 'book', arguments: '{}' } }],
    toolWithToolCallList: [{ type: 'function', function: { name: 'book' }, toolCall: { id: 'call_a' } }, { name: 'cancel', toolCall: { id: 'call_b' } }],
  };
  t.same(toolCallsOf(openApiShape), [{ toolCallId: 'call_a', name: 'book' }, { toolCallId: 'call_b', name: 'cancel' }], 'both lists, ids once');
  const docsShape = { toolCallList: [{ id: 'abc123', name: 'sendEmail', parameters: { emailAddress: 'a@example.com' } }] };
  t.same(requestErrorAnswer('tool-calls', docsShape, 'down'), { results: [{ toolCallId: 'abc123', name: 'sendEmail', error: 'down' }] });
  t.same(requestErrorAnswer('knowledge-base-request', {}, 'down'), { documents: [] });
  for (const type of REQUEST_MESSAGES) {
    const answer = requestErrorAnswer(type, openApiShape, 'down');
    t.not(JSON.stringify(answer), '{}', `${type}: not {}`);
    if (type !== 'tool-calls' && type !== 'knowledge-base-request') t.same(answer, { error: 'down' }, type);
  }
});
