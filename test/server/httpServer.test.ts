import t from 'tap';
import express from 'express';
import { listen } from '../../server/httpServer.js';

t.test('close() lets a request in flight finish and refuses new ones', async (t) => {
  const app = express();
  let entered!: () => void;
  const requestArrived = new Promise<void>((resolve) => (entered = resolve));
  app.get('/slow', (_request, response) => {
    entered();
    setTimeout(() => response.json({ done: true }), 300);
  });
  const server = await listen(app, 0, '127.0.0.1');
  const pending = fetch(`${server.url}/slow`);
  await requestArrived;
  const closed = server.close();
  const response = await pending;
  t.equal(response.status, 200);
  t.same(await response.json(), { done: true });
  await closed;
  await t.rejects(fetch(`${server.url}/slow`), 'no new connections after close');
});

t.test('close() does not wait forever for a stuck request', async (t) => {
  const app = express();
  app.get('/stuck', () => {});
  const server = await listen(app, 0, '127.0.0.1', 200);
  const pending = fetch(`${server.url}/stuck`).catch((error: Error) => error);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await server.close();
  t.ok(Date.now() - started < 2_000, 'closed after the grace period');
  t.type(await pending, Error, 'the stuck request is cut');
});
