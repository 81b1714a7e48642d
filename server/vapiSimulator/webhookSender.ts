// One webhook delivery: POST the JSON body with the call's server headers (and what its webhook
// credential sends: an HMAC signature or a bearer token), time out like VAPI (server.timeoutSeconds,
// default 20 s), never retry. The answer's body is kept (up to 64 KB) for request-response messages.
import http from 'node:http';
import https from 'node:https';
import { credentialHeaders } from './credentials.js';
import type { WebhookCredentialPlan } from './options.js';

export type Delivery = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The call's server credential (server.credentialId), applied before server.headers, which override it as with VAPI. */
  credential?: WebhookCredentialPlan;
};

export type DeliveryResult = { responseStatus: number | null; error?: string; durationMs: number; responseBody?: string };

const maxResponseBytes = 64 * 1024;

export class WebhookSender {
  // Own agents, so close() can drop their sockets without touching anyone else's.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly pending = new Set<http.ClientRequest>();
  private closed = false;

  send(delivery: Delivery): Promise<DeliveryResult> {
    const started = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'pgdialer-vapi-simulator',
      ...(delivery.credential ? credentialHeaders(delivery.credential, delivery.body, delivery.url) : {}),
      ...delivery.headers,
      'content-length': String(Buffer.byteLength(delivery.body)),
    };
    return this.attempt(delivery, headers, started, true);
  }

  /**
   * One POST. A keep-alive socket the receiver closed just as it was reused fails with
   * ECONNRESET before any answer; that one case is resent once on a fresh connection (what
   * browsers do too), since the receiver never saw the request. Everything else is final.
   */
  private attempt(delivery: Delivery, headers: Record<string, string>, started: number, mayResend: boolean): Promise<DeliveryResult> {
    return new Promise((resolve) => {
      if (this.closed) return resolve({ responseStatus: null, error: 'aborted', durationMs: 0 });
      let request: http.ClientRequest | undefined;
      let finished = false;
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = (responseStatus: number | null, error?: string) => {
        if (finished) return;
        finished = true;
        if (request) this.pending.delete(request);
        const responseBody = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
        resolve({ responseStatus, durationMs: Date.now() - started, ...(error ? { error } : {}), ...(responseBody !== undefined ? { responseBody } : {}) });
      };
      let url: URL;
      try {
        url = new URL(delivery.url);
      } catch {
        done(null, 'invalid url');
        return;
      }
      const secure = url.protocol === 'https:';
      const sent = (secure ? https : http).request(url, {
        method: 'POST',
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: delivery.timeoutMs,
      });
      request = sent;
      this.pending.add(sent);
      let answered = false;
      sent.on('response', (response) => {
        answered = true;
        response.on('data', (chunk: Buffer) => {
          if (kept >= maxResponseBytes) return;
          chunks.push(chunk.subarray(0, maxResponseBytes - kept));
          kept += Math.min(chunk.length, maxResponseBytes - kept);
        });
        response.on('end', () => done(response.statusCode ?? null));
        response.on('error', (error) => done(response.statusCode ?? null, error.message));
        response.on('close', () => done(response.statusCode ?? null, response.complete ? undefined : 'aborted'));
      });
      sent.on('timeout', () => sent.destroy(new Error('timeout')));
      sent.on('error', (error: NodeJS.ErrnoException) => {
        if (this.closed) return done(null, 'aborted');
        if (mayResend && !answered && sent.reusedSocket && error.code === 'ECONNRESET') {
          finished = true;
          this.pending.delete(sent);
          resolve(this.attempt(delivery, headers, started, false));
          return;
        }
        done(null, error.message);
      });
      sent.end(delivery.body);
    });
  }

  /** Aborts deliveries in flight (they finish with error 'aborted') and drops idle sockets. */
  close(): void {
    this.closed = true;
    for (const request of this.pending) request.destroy(new Error('aborted'));
    this.pending.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
