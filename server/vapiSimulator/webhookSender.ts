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
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
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
        response.resume();
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
