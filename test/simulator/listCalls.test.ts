import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { callBody, get, post } from './webhookReceiver.js';

t.test('GET /call filters like VAPI and lists newest first', async (t) => {
  const sim = await startVapiSimulator({ timing: { queuedMs: 1, ringingMs: 1, talkMs: 1, reportDelayMs: 1 }, script: () => ({ outcome: 'busy' }) });
  t.teardown(() => sim.close());
  const created = [];
  for (const [assistantId, phoneNumberId] of [['asst-a', 'pn-1'], ['asst-b', 'pn-1'], ['asst-a', 'pn-2']]) {
    created.push((await post(sim.url, callBody({ assistantId, phoneNumberId }))).body);
    await sleep(5); // distinct createdAt milliseconds
  }
  await post(sim.url, callBody(), 'sk-other-account');
  await sim.idle();
  const ids = async (query: string) => {
    const answer = await get(sim.url, `/call${query}`);
    t.equal(answer.status, 200, query);
    t.ok(Array.isArray(answer.body), 'a plain array');
    return answer.body.map((call: { id: string }) => call.id);
  };
  const [first, second, third] = created.map((call) => call.id);
  t.same(await ids(''), [third, second, first], 'newest first, only this account');
  t.same(await ids(`?id=${second}`), [second]);
  t.same(await ids('?assistantId=asst-a'), [third, first]);
  t.same(await ids('?phoneNumberId=pn-1'), [second, first]);
  t.same(await ids('?assistantId=asst-a&phoneNumberId=pn-1'), [first]);
  t.same(await ids('?limit=2'), [third, second]);
  t.same(await ids('?limit=0'), []);
  const middle = created[1].createdAt;
  t.same(await ids(`?createdAtGe=${middle}`), [third, second], 'Ge includes the bound');
  t.same(await ids(`?createdAtGt=${middle}`), [third], 'Gt excludes it');
  t.same(await ids(`?createdAtLe=${middle}`), [second, first]);
  t.same(await ids(`?createdAtLt=${middle}`), [first]);
  t.same(await ids(`?createdAtGe=${created[0].createdAt}&createdAtLt=${created[2].createdAt}`), [second, first]);
  const ended = (await get(sim.url, `/call/${first}`)).body;
  t.equal(ended.status, 'ended');
  t.ok(ended.updatedAt > ended.createdAt, 'updatedAt moves as the call plays');
  t.same(await ids(`?updatedAtGt=${new Date(Date.now() + 1_000).toISOString()}`), []);
  t.same(await ids(`?updatedAtLe=${new Date().toISOString()}&id=${first}`), [first]);
  t.same((await get(sim.url, `/call?id=${first}`, 'sk-other-account')).body, [], 'another account sees none of them');
  t.equal((await get(sim.url, `/call/${first}`, 'sk-other-account')).status, 404);
});

t.test('GET /call rejects bad filters with NestJS-style 400s', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  const cases: Array<[string, string[]]> = [
    ['?limit=1001', ['limit must not be greater than 1000']],
    ['?limit=abc', ['limit must be a number']],
    ['?createdAtGt=yesterday', ['createdAtGt must be a valid ISO 8601 date string']],
    ['?updatedAtLe=2026-13-45T00:00:00Z', ['updatedAtLe must be a valid ISO 8601 date string']],
    ['?status=ended', ['property status should not exist']],
  ];
  for (const [query, message] of cases) {
    const answer = await get(sim.url, `/call${query}`);
    t.equal(answer.status, 400, query);
    t.same(answer.body, { message, error: 'Bad Request', statusCode: 400 }, query);
  }
  t.equal((await get(sim.url, '/call?limit=1000')).status, 200);
});

t.test('GET /call/:id of an unknown id is 404', async (t) => {
  const sim = await startVapiSimulator();
  t.teardown(() => sim.close());
  const answer = await get(sim.url, '/call/00000000-0000-4000-8000-000000000000');
  t.equal(answer.status, 404);
  t.same(answer.body, { message: 'Call not found', error: 'Not Found', statusCode: 404 });
});

t.test('a call younger than notFoundWindowMs reads 404 and is missing from lists', async (t) => {
  const sim = await startVapiSimulator({ notFoundWindowMs: 400, timing: { queuedMs: 1_000 } });
  t.teardown(() => sim.close());
  const created = (await post(sim.url, callBody())).body;
  t.equal((await get(sim.url, `/call/${created.id}`)).status, 404);
  t.same((await get(sim.url, '/call')).body, []);
  await sleep(450);
  t.equal((await get(sim.url, `/call/${created.id}`)).status, 200);
  t.equal((await get(sim.url, '/call')).body.length, 1);
});
