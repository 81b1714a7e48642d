// The worker's state machine (server/worker/lifecycle.ts), transition by transition: pure, so
// each is checked with exact states and effects, the awkward orders included (a wake-up during
// a pass, while falling asleep, a stale answer after stop).
import t from 'tap';
import { FIRST_PASS, restAfterPass, transition, viewOf, type LifecycleEvent, type LifecycleState } from '../../server/worker/lifecycle.js';

const wake = (at: number, reason = 'test', reconcile = false): LifecycleEvent => ({ type: 'wake', at, reason, reconcile });
const done = (at: number, rest: boolean, next: number | null, until = next): LifecycleEvent => ({ type: 'pass_done', at, next, rest, until });
const types = (effects: { type: string }[]) => effects.map((effect) => effect.type);

t.test('starting → passing: the first pass plans and reconciles, pg-boss starts', async (t) => {
  const { state, effects } = transition({ name: 'starting' }, wake(1, 'start'));
  t.same(state, { name: 'passing', since: 1, queued: null });
  t.same(effects, [{ type: 'start_boss' }, { type: 'run_pass', request: FIRST_PASS }]);
});

t.test('passing → falling_asleep → asleep when the pass says rest; the timer is armed and the sleep logged', async (t) => {
  const passing: LifecycleState = { name: 'passing', since: 1, queued: null };
  const falling = transition(passing, done(10, true, 5_000));
  t.same(falling.state, { name: 'falling_asleep', since: 10, until: 5_000, queued: null });
  t.same(falling.effects, [{ type: 'fall_asleep', next: 5_000 }]);
  const asleep = transition(falling.state, { type: 'slept', at: 20 });
  t.same(asleep.state, { name: 'asleep', since: 20, until: 5_000 });
  t.same(types(asleep.effects), ['arm_timer', 'log', 'settled']);
  t.match(asleep.effects[0], { type: 'arm_timer', at: 5_000 });
  t.match(asleep.effects[1], { event: 'worker.sleeping', fields: { until: new Date(5_000).toISOString() } });
});

t.test('passing → awake when calls are live: timer at next_wake_at, the durable job recorded, pg-boss kept', async (t) => {
  const { state, effects } = transition({ name: 'passing', since: 1, queued: null }, done(10, false, 7_000));
  t.same(state, { name: 'awake', since: 1, until: 7_000 });
  t.same(effects, [{ type: 'arm_timer', at: 7_000 }, { type: 'record_wake_job', next: 7_000 }, { type: 'settled' }]);
});

t.test('asleep → passing on a wake-up: timer cleared, pg-boss started, the wake logged at info', async (t) => {
  const { state, effects } = transition({ name: 'asleep', since: 100, until: 9_000 }, wake(600, 'timer', true));
  t.same(state, { name: 'passing', since: 600, queued: null });
  t.same(types(effects), ['arm_timer', 'log', 'start_boss', 'run_pass']);
  t.match(effects[0], { at: null });
  t.match(effects[1], { event: 'worker.woke', fields: { reason: 'timer', asleepMs: 500 } });
  t.match(effects[3], { request: { plan: true, reconcile: true } });
});

t.test('awake → passing on a wake-up, without restarting pg-boss', async (t) => {
  const { state, effects } = transition({ name: 'awake', since: 1, until: 7_000 }, wake(50, 'call-ended'));
  t.same(state, { name: 'passing', since: 1, queued: null });
  t.same(effects, [{ type: 'arm_timer', at: null }, { type: 'run_pass', request: { plan: false, reconcile: false } }]);
});

t.test('a wake-up during a pass is queued (merged) and runs as one more pass, whatever the pass said', async (t) => {
  let s: LifecycleState = { name: 'passing', since: 1, queued: null };
  let r = transition(s, wake(2, 'http:call-ended'));
  t.same(r.effects, [], 'no second pass in parallel');
  r = transition(r.state, wake(3, 'boss:reconcile', true));
  t.same((r.state as Extract<LifecycleState, { name: 'passing' }>).queued, { plan: true, reconcile: true });
  s = r.state;
  r = transition(s, done(4, true, null));
  t.same(r.state, { name: 'passing', since: 1, queued: null }, 'not asleep: asked again meanwhile');
  t.same(r.effects, [{ type: 'run_pass', request: { plan: true, reconcile: true } }]);
});

t.test('a wake-up while falling asleep: once asleep-ness is reached it passes again instead of sleeping', async (t) => {
  const falling: LifecycleState = { name: 'falling_asleep', since: 10, until: null, queued: null };
  const queued = transition(falling, wake(11, 'direct_call'));
  t.same(queued.effects, []);
  const r = transition(queued.state, { type: 'slept', at: 12 });
  t.same(r.state, { name: 'passing', since: 12, queued: null });
  t.same(r.effects, [{ type: 'start_boss' }, { type: 'run_pass', request: { plan: true, reconcile: false } }]);
});

t.test('a failed pass retries at retryAt, or at once when asked meanwhile', async (t) => {
  const failed = transition({ name: 'passing', since: 1, queued: null }, { type: 'pass_failed', at: 5, retryAt: 5_005 });
  t.same(failed.state, { name: 'awake', since: 1, until: 5_005 });
  t.same(failed.effects, [{ type: 'arm_timer', at: 5_005 }, { type: 'settled' }]);
  const again = transition({ name: 'passing', since: 1, queued: { plan: false, reconcile: true } }, { type: 'pass_failed', at: 5, retryAt: 5_005 });
  t.same(again.effects, [{ type: 'run_pass', request: { plan: false, reconcile: true } }]);
});

t.test('stop from any state: timer cleared, shut down once; stale answers afterwards change nothing', async (t) => {
  for (const s of [
    { name: 'starting' },
    { name: 'passing', since: 1, queued: null },
    { name: 'awake', since: 1, until: 2 },
    { name: 'falling_asleep', since: 1, until: null, queued: null },
    { name: 'asleep', since: 1, until: null },
  ] as LifecycleState[]) {
    const r = transition(s, { type: 'stop' });
    t.same(r.state, { name: 'stopping' }, `${s.name} → stopping`);
    t.same(r.effects, [{ type: 'arm_timer', at: null }, { type: 'shut_down' }]);
  }
  const stopping: LifecycleState = { name: 'stopping' };
  t.same(transition(stopping, { type: 'stop' }).effects, [], 'a second stop does nothing');
  t.same(transition(stopping, wake(1)).effects, [], 'no pass while stopping');
  t.same(transition(stopping, done(1, true, null)).state, stopping, 'a pass that ends while stopping does not sleep');
  const stopped = transition(stopping, { type: 'stopped' });
  t.same(stopped.state, { name: 'stopped' });
  t.same(transition(stopped.state, wake(2)), { state: { name: 'stopped' }, effects: [] });
});

t.test('events that cannot happen in a state are ignored', async (t) => {
  const asleep: LifecycleState = { name: 'asleep', since: 1, until: null };
  t.same(transition(asleep, done(2, false, null)), { state: asleep, effects: [] });
  t.same(transition(asleep, { type: 'slept', at: 2 }), { state: asleep, effects: [] });
  const awake: LifecycleState = { name: 'awake', since: 1, until: null };
  t.same(transition(awake, { type: 'pass_failed', at: 2, retryAt: 3 }), { state: awake, effects: [] });
});

t.test('restAfterPass: sleep only with nothing live and nothing due (nor a pg-boss job) within minSleepMs', async (t) => {
  const base = { now: 1_000, dialed: 0, live: 0, next: null, pendingJob: null, minSleepMs: 2_000 };
  t.same(restAfterPass(base), { rest: true, until: null }, 'nothing at all: asleep until woken');
  t.same(restAfterPass({ ...base, dialed: 1, next: 9_000 }), { rest: false, until: 9_000 }, 'just dialed: calls are live');
  t.same(restAfterPass({ ...base, live: 2 }), { rest: false, until: null }, 'calls live: awake (reconciliation needs pg-boss)');
  t.same(restAfterPass({ ...base, next: 2_999 }), { rest: false, until: 2_999 }, 'due in under minSleepMs: stay awake');
  t.same(restAfterPass({ ...base, next: 3_000 }), { rest: true, until: 3_000 }, 'due in exactly minSleepMs: sleep');
  t.same(restAfterPass({ ...base, next: 60_000, pendingJob: 30_000 }), { rest: true, until: 30_000 }, 'a pending job comes first');
  t.same(restAfterPass({ ...base, next: 60_000, pendingJob: 1_500 }), { rest: false, until: 60_000 }, 'a job due soon keeps it awake');
});

t.test('viewOf: what /health and the scheduler status show', async (t) => {
  t.same(viewOf({ name: 'asleep', since: 0, until: 60_000 }), {
    state: 'asleep', since: '1970-01-01T00:00:00.000Z', until: '1970-01-01T00:01:00.000Z', nextWakeAt: '1970-01-01T00:01:00.000Z',
  });
  t.same(viewOf({ name: 'passing', since: 0, queued: null }), { state: 'awake', since: '1970-01-01T00:00:00.000Z' });
  t.same(viewOf({ name: 'awake', since: 0, until: null }), { state: 'awake', since: '1970-01-01T00:00:00.000Z', nextWakeAt: null });
  t.same(viewOf({ name: 'stopped' }), { state: 'stopped' });
});
