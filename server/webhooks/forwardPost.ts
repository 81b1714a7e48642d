// One POST of a relayed message to a tenant's forward URL: the body as given, signed (see
// forwardSignature.ts), with a hard deadline, and the answer read up to a size limit. Shared by
// the synchronous relay (the webhook receiver, while VAPI waits) and the worker's deliveries.
// node:http with keep-alive agents, like the VAPI client: a relay adds as little as possible.
import http from 'node:http';
import https from 'node:https';
import { FORWARD_SIGNATURE_HEADER, forwardSignatureOf } from './forwardSignature.js';

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 }),
};

/** Largest answer read from a target (an assistant-request may answer a whole transient assistant). */
export const MAX_FORWARD_ANSWER_BYTES = 4 * 1024 * 1024;

export type ForwardPost = {
  url: string;
  body: Buffer | string;
  /** The tenant's secret: signs the body. */
  secret: string;
  /** The whole exchange (connect, send, answer) ends by then. */
  timeoutMs: number;
  /** X-Pgdialer-* context headers (tenant, call, delivery). */
  headers?: Record<string, string>;
};

export type ForwardAnswer =
  | { ok: true; status: number; body: Buffer; durationMs: number }
  | { ok: false; status: number | null; error: string; body?: Buffer; durationMs: number };

export function postForward(request: ForwardPost): Promise<ForwardAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: ForwardAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(answer);
    };
    let url: URL;
    try {
      url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
    } catch (error) {
      resolve({ ok: false, status: null, error: `invalid forward URL: ${(error as Error).message}`, durationMs: 0 });
      return;
    }
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const secure = url.protocol === 'https:';
    const sent = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': 'pgdialer-relay',
        ...request.headers,
        [FORWARD_SIGNATURE_HEADER]: forwardSignatureOf(request.secret, Math.floor(Date.now() / 1000), body),
      },
    });
    const deadline = setTimeout(() => {
      sent.destroy();
      finish({ ok: false, status: null, error: `no answer within ${request.timeoutMs} ms`, durationMs: elapsed() });
    }, request.timeoutMs);
    sent.on('error', (error) => finish({ ok: false, status: null, error: error.message, durationMs: elapsed() }));
    sent.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_FORWARD_ANSWER_BYTES) {
          sent.destroy();
          finish({ ok: false, status, error: `answer larger than ${MAX_FORWARD_ANSWER_BYTES} bytes`, durationMs: elapsed() });
        } else chunks.push(chunk);
      });
      response.on('error', (error) => finish({ ok: false, status, error: error.message, durationMs: elapsed() }));
      response.on('end', () => {
        const answer = Buffer.concat(chunks);
        if (status >= 200 && status < 300) finish({ ok: true, status, body: answer, durationMs: elapsed() });
        else finish({ ok: false, status, error: `the target answered ${status}`, body: answer, durationMs: elapsed() });
      });
    });
    sent.end(body);
  });
}
