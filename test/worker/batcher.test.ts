// The batcher the worker sends begin_dial / record_dialed through: what is asked for together
// travels together, one batch at a time, each item gets its own answer, a failure fails its batch only.
import t from 'tap';
import { createBatcher } from '../../server/worker/batcher.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('items asked for in one turn share a batch; answers in order', async (t) => {
  const batches: number[][] = [];
  const double = createBatcher<number, number>(async (items) => {
    batches.push([...items]);
    return items.map((n) => n * 2);
  });
  t.same(await Promise.all([double(1), double(2), double(3)]), [2, 4, 6]);
  t.same(batches, [[1, 2, 3]]);
});

t.test('one flush at a time: items asked for meanwhile go together into the next', async (t) => {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const echo = createBatcher<number, number>(async (items) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    batches.push([...items]);
    if (batches.length === 1) await gate;
    running--;
    return items;
  });
  const first = echo(1);
  await tick();
  await tick();
  const later = [echo(2), echo(3)];
  await tick();
  t.same(batches, [[1]], 'nothing else is sent while the first batch runs');
  release();
  t.same(await Promise.all([first, ...later]), [1, 2, 3]);
  t.same(batches, [[1], [2, 3]]);
  t.equal(maxRunning, 1);
});

t.test('at most maxBatch items per flush', async (t) => {
  const sizes: number[] = [];
  const echo = createBatcher<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, 2);
  t.same(await Promise.all([1, 2, 3, 4, 5].map((n) => echo(n))), [1, 2, 3, 4, 5]);
  t.same(sizes, [2, 2, 1]);
});

t.test('a failed flush fails the items of its batch only', async (t) => {
  let calls = 0;
  const flaky = createBatcher<number, number>(async (items) => {
    calls++;
    if (calls === 1) throw new Error('database restarting');
    return items;
  });
  const failed = await Promise.allSettled([flaky(1), flaky(2)]);
  t.same(failed.map((r) => r.status), ['rejected', 'rejected']);
  t.equal(await flaky(3), 3, 'the next batch goes through');
});

t.test('a flush answering the wrong number of results fails its batch', async (t) => {
  const broken = createBatcher<number, number>(async () => [1]);
  await t.rejects(Promise.all([broken(1), broken(2)]), /answered 1 results for 2 items/);
});

t.test('concurrency 2: two flushes at once, never three; the rest waits for the next', async (t) => {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const gates: Array<() => void> = [];
  const echo = createBatcher<number, number>(async (items) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    batches.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    return items;
  }, 500, 2);
  const first = echo(1);
  await tick();
  const second = echo(2);
  await tick();
  const rest = [echo(3), echo(4)];
  await tick();
  t.same(batches, [[1], [2]], 'two flushes running, the third waiting');
  gates.shift()!();
  t.same(await first, 1);
  await tick();
  t.same(batches, [[1], [2], [3, 4]], 'what waited goes together');
  gates.shift()!();
  gates.shift()!();
  t.same(await Promise.all([second, ...rest]), [2, 3, 4]);
  t.equal(maxRunning, 2);
});
