import t from 'tap';
import { createServer } from 'node:http';
import { WebhookSender } from '../../server/vapiSimulator/webhookSender.js';

t.test('a reused keep-alive socket the receiver drops is resent once on a fresh connection', async (t) => {
  // The receiver answers the first request of each connection and drops the connection when a
  // second one arrives on it: the race of a keep-alive socket closing just as it is reused.
  const seen: Array<{ connection: number; body: string }> = [];
  let connections = 0;
  const receiver = createServer((request, response) => {
    const socket = request.socket as typeof request.socket & { rank?: number; served?: number };
    socket.rank ??= ++connections;
    socket.served = (socket.served ?? 0) + 1;
    if (socket.served > 1) {
      socket.destroy();
      return;
    }
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ connection: socket.rank!, body });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    receiver.close();
    receiver.closeAllConnections();
  });
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
  const sender = new WebhookSender();
  t.teardown(() => sender.close());

  const first = await sender.send({ url, headers: {}, body: '{"n":1}', timeoutMs: 2_000 });
  const second = await sender.send({ url, headers: {}, body: '{"n":2}', timeoutMs: 2_000 });
  t.equal(first.responseStatus, 200);
  t.equal(second.responseStatus, 200, 'the dropped reuse was resent');
  t.same(seen, [
    { connection: 1, body: '{"n":1}' },
    { connection: 2, body: '{"n":2}' },
  ], 'delivered once, on a new connection');
});

t.test('close() aborts a delivery in flight', async (t) => {
  const receiver = createServer(() => {}); // never answers
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    receiver.close();
    receiver.closeAllConnections();
  });
  const sender = new WebhookSender();
  const delivery = sender.send({ url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`, headers: {}, body: '{}', timeoutMs: 20_000 });
  setTimeout(() => sender.close(), 50);
  t.match(await delivery, { responseStatus: null, error: 'aborted' });
  t.match(await sender.send({ url: 'http://127.0.0.1:1/', headers: {}, body: '{}', timeoutMs: 1_000 }), { error: 'aborted' }, 'nothing is sent after close');
});
