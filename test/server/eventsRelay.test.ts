// Split mode: the worker's events reach the API's streams through Postgres. The API side holds
// its one LISTEN connection only while a stream is open; the worker side NOTIFYs only when it
// has events (both run in this one process here; origin tells them apart).
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { silentLogger } from '../../server/log.js';
import { addWatcher, events, subscribe, type DialerEvent } from '../../server/events/bus.js';
import { forwardToPostgres, relayFromPostgres } from '../../server/events/relay.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('one LISTEN while a stream is open, none otherwise; the worker\'s events arrive relayed', async (t) => {
  const db = await createTestDatabase(t);
  const listeners = () =>
    db.pool.oneFirst(sql.unsafe`select count(*)::int from pg_stat_activity where datname = current_database() and application_name = 'pgdialer-events'`);
  const waitForListeners = async (n: number) => {
    for (let i = 0; i < 100 && (await listeners()) !== n; i++) await wait(20);
    return listeners();
  };
  const relay = relayFromPostgres({ databaseUrl: db.url, log: silentLogger });
  const forward = forwardToPostgres({ pool: db.pool, log: silentLogger });
  t.teardown(async () => {
    await forward.close();
    await relay.close();
  });
  const relayed: DialerEvent[] = [];
  const unsubscribe = subscribe((event, origin) => origin === 'relayed' && relayed.push(event));
  t.teardown(unsubscribe);

  await wait(300);
  t.equal(await listeners(), 0, 'nobody watching: no connection held');
  const removeA = addWatcher();
  const removeB = addWatcher();
  t.equal(await waitForListeners(1), 1, 'two streams share one LISTEN connection');

  events.worker({ state: 'awake', since: new Date().toISOString() });
  events.call('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'queued', '00000000-0000-4000-8000-000000000003');
  for (let i = 0; i < 100 && relayed.length < 2; i++) await wait(20);
  t.match(relayed, [{ type: 'worker', state: 'awake' }, { type: 'call', status: 'queued', campaignId: '00000000-0000-4000-8000-000000000003' }], 'in one NOTIFY, in order');
  await wait(400);
  t.equal(relayed.length, 2, 'relayed events are not forwarded again (no loop)');

  removeA();
  t.equal(await waitForListeners(1), 1, 'one stream left: still listening');
  removeB();
  t.equal(await waitForListeners(0), 0, 'the last stream closed: the connection is closed');
});
