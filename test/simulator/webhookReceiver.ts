// A small local webhook receiver for the simulator tests: records every POST with its raw body
// and headers, answers a chosen status after a chosen delay.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Test } from 'tap';

export type Received = { at: number; path: string; headers: IncomingHttpHeaders; raw: string; body: any };

export async function startReceiver(t: Test, answer: { status?: number; delayMs?: number; hang?: boolean } = {}) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ at: Date.now(), path: request.url ?? '', headers: request.headers, raw, body: JSON.parse(raw) });
      const reply = () => {
        response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        response.end('{}');
      };
      if (answer.hang) return; // never answers: the connection stays open until teardown
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${port}`, received };
}

/** A valid POST /call body, with overrides merged in. */
export function callBody(overrides: Record<string, unknown> = {}, serverUrl?: string): Record<string, unknown> {
  return {
    assistantId: 'asst-0001',
    phoneNumberId: 'pn-0001',
    customer: { number: '+15550100001', name: 'Ada Example', externalId: 'call-1' },
    assistantOverrides: {
      variableValues: { firstName: 'Ada' },
      ...(serverUrl ? { server: { url: serverUrl } } : {}),
    },
    ...overrides,
  };
}

export async function post(url: string, body: unknown, key: string | undefined = 'sk-test-1') {
  const response = await fetch(`${url}/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

export async function get(url: string, path: string, key = 'sk-test-1') {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as any };
}
