// GET /v1/events: the tenant's changes as server-sent events, from the in-process bus; progress
// read only after a change and only while a stream is open.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { addMembers, insertCampaign } from '../worker/fixtures.js';
import { events, watcherCount } from '../../server/events/bus.js';

type Received = { type: string; data: Record<string, unknown> };

/** Opens a stream and collects its events until closed. */
async function openStream(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/events`, { headers, signal: controller.signal });
  const received: Received[] = [];
  const done = (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) received.push({ type, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    received,
    async next(type: string, matches: (data: Record<string, unknown>) => boolean = () => true, timeoutMs = 5_000) {
      const started = Date.now();
      for (;;) {
        const found = received.find((event) => event.type === type && matches(event.data));
        if (found) return found.data;
        if (Date.now() - started > timeoutMs) throw new Error(`no ${type} event within ${timeoutMs} ms: ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

t.test('a stream gets its own tenant\'s call, campaign and progress events and the worker\'s, nobody else\'s', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const campaignId = await insertCampaign(db.pool, tenant.id, { windowStart: '00:00', windowEnd: '00:00' });
  await addMembers(db.pool, tenant.id, campaignId, 3);

  t.equal((await request(`${api.url}/v1/events`)).status, 401, 'no key: 401');
  t.equal(watcherCount(), 0);
  const stream = await openStream(api.url, tenant.headers());
  const otherStream = await openStream(api.url, other.headers());
  t.equal(stream.response.status, 200);
  t.match(stream.response.headers.get('content-type'), /^text\/event-stream/);
  await stream.next('ready');
  t.equal(watcherCount(), 2, 'two streams open');

  const started = await request(`${api.url}/v1/campaigns/${campaignId}/start`, { method: 'POST', headers: tenant.headers() });
  t.equal(started.status, 200);
  t.match(await stream.next('campaign'), { campaignId, status: 'active' });
  const progress = await stream.next('progress', (data) => data.campaignId === campaignId);
  t.match(progress, { status: 'active', progress: { contacts: 3, pending: 3, byContact: { contacts: 3, waiting: 3 } } });

  const [callId] = await db.pool.anyFirst(sql.unsafe`select id from dialer.calls where campaign_id = ${campaignId} limit 1`);
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered', ended_at = now() where id = ${callId as string}`);
  events.call(tenant.id, callId as string, 'ended'); // as the webhook does after applying
  t.match(await stream.next('call'), { callId, status: 'ended', campaignId: null });
  const after = await stream.next('progress', (data) => (data.progress as { answered: number }).answered === 1);
  t.match(after, { campaignId, progress: { byContact: { reached: 1, waiting: 2 } } }, 'progress re-read after the call ended');

  events.worker({ state: 'asleep', since: new Date().toISOString(), until: '2026-03-10T13:00:00.000Z' });
  t.match(await stream.next('worker'), { state: 'asleep', until: '2026-03-10T13:00:00.000Z' });
  t.match(await otherStream.next('worker'), { state: 'asleep' }, 'the worker\'s state goes to every stream');
  t.notOk(otherStream.received.some((event) => ['call', 'campaign', 'progress'].includes(event.type)), 'another tenant sees none of it');

  await stream.close();
  await otherStream.close();
  for (let i = 0; i < 50 && watcherCount() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(watcherCount(), 0, 'closed streams are forgotten');
});

t.test('with no stream open, changes read nothing from the database; with one open, one read per burst', async (t) => {
  const db = await createTestDatabase(t);
  // The API's pool, counting every query method called on it.
  let queries = 0;
  const countingPool = new Proxy(db.pool, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (['any', 'one', 'maybeOne', 'query', 'oneFirst', 'anyFirst', 'many', 'transaction', 'connect'].includes(String(property))) queries++;
        return value.apply(target, args);
      };
    },
  });
  const api = await startTestApi(t, { pool: countingPool });
  const tenant = await createTestTenant(db.pool);
  const burst = () => {
    for (let i = 0; i < 20; i++) events.call(tenant.id, '00000000-0000-4000-8000-000000000000', 'ended');
  };
  burst();
  await new Promise((resolve) => setTimeout(resolve, 800));
  t.equal(queries, 0, 'nobody watching: no statement');

  const stream = await openStream(api.url, tenant.headers());
  await stream.next('ready');
  const afterConnect = queries; // the key check
  burst();
  await stream.next('call');
  await new Promise((resolve) => setTimeout(resolve, 800));
  t.equal(queries - afterConnect, 1, 'twenty changes, one progress read');
  await stream.close();
});
