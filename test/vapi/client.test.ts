// The VAPI client's transport (node:http with keep-alive): answers read in full, connections
// reused, and each failure classified by whether the POST can have reached VAPI.
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVapiClient } from '../../server/vapi/client.js';
import type { CreateCallBody } from '../../server/vapi/types.js';

const body = { assistantId: 'asst', phoneNumberId: 'pn', customer: { number: '+15550100001', externalId: 'call-1' } } as CreateCallBody;

async function serve(t: Test, handle: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer(handle);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

t.test('201: the call, with the request as VAPI expects it; the connection is reused', async (t) => {
  const seen: Array<{ method?: string; url?: string; auth?: string; type?: string; body: string }> = [];
  const { url, connections } = await serve(t, (request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, auth: request.headers.authorization, type: request.headers['content-type'], body: text });
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `vapi-${seen.length}`, status: 'queued' }));
    });
  });
  const client = createVapiClient({ baseUrl: `${url}/`, apiKey: 'key-1' });
  t.match(await client.createCall(body), { kind: 'created', call: { id: 'vapi-1', status: 'queued' } });
  t.match(await client.createCall(body), { kind: 'created', call: { id: 'vapi-2' } });
  t.same(seen[0], { method: 'POST', url: '/call', auth: 'Bearer key-1', type: 'application/json', body: JSON.stringify(body) });
  t.equal(connections(), 1, 'one kept-alive connection for both');
});

t.test('429 with Retry-After, 400 over concurrency, other 4xx, GET 404', async (t) => {
  const answers = [
    [429, { 'retry-after': '7' }, { message: 'Too Many Requests' }],
    [400, {}, { message: 'Over Concurrency Limit', subscriptionLimits: { concurrencyLimit: 3 } }],
    [401, {}, { message: 'Invalid Key' }],
    [404, {}, { message: 'Call not found' }],
  ] as const;
  let index = 0;
  const { url } = await serve(t, (request, response) => {
    request.resume();
    request.on('end', () => {
      const [status, headers, answer] = answers[index++]!;
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(answer));
    });
  });
  const client = createVapiClient({ baseUrl: url, apiKey: 'k' });
  t.match(await client.createCall(body), { kind: 'retry_later', status: 429, retryAfterMs: 7_000 });
  t.match(await client.createCall(body), { kind: 'over_concurrency', concurrencyLimit: 3 });
  t.match(await client.createCall(body), { kind: 'rejected', status: 401, message: 'Invalid Key' });
  t.equal(await client.getCall('nope'), null);
});

t.test('no answer within the timeout after connecting: ambiguous', async (t) => {
  const { url } = await serve(t, () => {});
  const client = createVapiClient({ baseUrl: url, apiKey: 'k', timeoutMs: 200 });
  t.match(await client.createCall(body), { kind: 'ambiguous', message: /timed out after 200 ms/ });
  await t.rejects(client.getCall('x'), /timed out/);
});

t.test('reset after the request arrived: ambiguous', async (t) => {
  const { url } = await serve(t, (request) => request.socket.destroy());
  const client = createVapiClient({ baseUrl: url, apiKey: 'k' });
  t.match(await client.createCall(body), { kind: 'ambiguous' });
});

t.test('refused, unsupported protocol, invalid URL: not sent', async (t) => {
  const { url, server } = await serve(t, () => {});
  await new Promise((resolve) => server.close(resolve));
  t.match(await createVapiClient({ baseUrl: url, apiKey: 'k' }).createCall(body), { kind: 'not_sent', message: /ECONNREFUSED/ });
  t.match(await createVapiClient({ baseUrl: 'ftp://127.0.0.1', apiKey: 'k' }).createCall(body), { kind: 'not_sent' });
  t.match(await createVapiClient({ baseUrl: 'not a url', apiKey: 'k' }).createCall(body), { kind: 'not_sent' });
});
