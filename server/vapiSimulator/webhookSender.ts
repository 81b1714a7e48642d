// One webhook delivery: POST the JSON body with the call's server headers (and an HMAC signature
// when configured), time out like VAPI (server.timeoutSeconds, default 20 s), never retry.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export type Delivery = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  hmacSecret?: string;
};

export type DeliveryResult = { responseStatus: number | null; error?: string; durationMs: number };

export function signature(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

export class WebhookSender {
  // Own agents, so close() can drop their sockets without touching anyone else's.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly pending = new Set<http.ClientRequest>();
  private closed = false;

  send(delivery: Delivery): Promise<DeliveryResult> {
    const started = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'pgdialer-vapi-simulator',
      ...delivery.headers,
      'content-length': String(Buffer.byteLength(delivery.body)),
    };
    if (delivery.hmacSecret) {
      const timestamp = String(Date.now());
      headers['x-timestamp'] = timestamp;
      headers['x-signature'] = signature(delivery.hmacSecret, timestamp, delivery.body);
    }
    return new Promise((resolve) => {
      if (this.closed) return resolve({ responseStatus: null, error: 'aborted', durationMs: 0 });
      let request: http.ClientRequest | undefined;
      let finished = false;
      const done = (responseStatus: number | null, error?: string) => {
        if (finished) return;
        finished = true;
        if (request) this.pending.delete(request);
        resolve({ responseStatus, durationMs: Date.now() - started, ...(error ? { error } : {}) });
      };
      let url: URL;
      try {
        url = new URL(delivery.url);
      } catch {
        done(null, 'invalid url');
        return;
      }
      const secure = url.protocol === 'https:';
      request = (secure ? https : http).request(url, {
        method: 'POST',
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: delivery.timeoutMs,
      });
      this.pending.add(request);
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => done(response.statusCode ?? null));
        response.on('error', (error) => done(response.statusCode ?? null, error.message));
        response.on('close', () => done(response.statusCode ?? null, response.complete ? undefined : 'aborted'));
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error) => done(null, this.closed ? 'aborted' : error.message));
      request.end(delivery.body);
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
