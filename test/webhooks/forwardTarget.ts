// A stand-in for a tenant's own assistant server: records every request pgdialer relays to it
// (path, headers, exact body) and answers as the test says (status, JSON, a delay, or never).
import http from 'node:http';
import type { Test } from 'tap';

export type Received = { at: number; path: string; headers: http.IncomingHttpHeaders; raw: string; message: Record<string, any> };
export type Reply = { status?: number; json?: unknown; text?: string; delayMs?: number; hang?: boolean };

export type ForwardTarget = {
  url: string;
  received: Received[];
  /** How each request is answered (default 200 {}); by path. */
  reply: (request: Received) => Reply;
  on(path: string, reply: (request: Received) => Reply): void;
  of(path: string): Received[];
};

export async function startForwardTarget(t: Test): Promise<ForwardTarget> {
  const handlers = new Map<string, (request: Received) => Reply>();
  const hung = new Set<http.ServerResponse>();
  const target: ForwardTarget = {
    url: '',
    received: [],
    reply: (request) => handlers.get(request.path)?.(request) ?? { status: 200, json: {} },
    on: (path, reply) => void handlers.set(path, reply),
    of: (path) => target.received.filter((request) => request.path === path),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let message: Record<string, any> = {};
      try {
        message = JSON.parse(raw).message ?? {};
      } catch {
        // recorded as is
      }
      const received: Received = { at: Date.now(), path: request.url ?? '/', headers: request.headers, raw, message };
      target.received.push(received);
      const reply = target.reply(received);
      if (reply.hang) {
        hung.add(response);
        return;
      }
      const send = () => {
        if (reply.text !== undefined) response.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' }).end(reply.text);
        else response.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json ?? {}));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  target.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const response of hung) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return target;
}
