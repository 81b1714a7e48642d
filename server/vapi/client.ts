// A plain node:http(s) VAPI client (no SDK; not fetch, which costs about three times the CPU per
// request: see server/worker/README.md, Throughput). Creating a call is never retried here: VAPI
// has no idempotency key, so every failure is classified for the caller to decide, and "did the
// request reach VAPI?" is kept apart from "VAPI said no":
//   not_sent   - the connection was never made (refused, DNS, connect timeout): safe to dial again later;
//   ambiguous  - a timeout or reset after the request may have reached VAPI: look it up first.
import http from 'node:http';
import https from 'node:https';
import type { CreateCallBody, VapiCall } from './types.js';

export type VapiClientOptions = {
  baseUrl: string;
  apiKey: string;
  /** Per request; a create that takes longer is "ambiguous". */
  timeoutMs?: number;
};

export type CreateCallResult =
  | { kind: 'created'; call: VapiCall }
  | { kind: 'over_concurrency'; status: number; message: string; concurrencyLimit?: number }
  | { kind: 'retry_later'; status: number; message: string; retryAfterMs?: number }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'not_sent'; message: string }
  | { kind: 'ambiguous'; message: string };

export type ListCallsQuery = {
  phoneNumberId?: string;
  createdAtGe?: string;
  createdAtLe?: string;
  limit?: number;
};

export class VapiRequestError extends Error {
  override name = 'VapiRequestError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type VapiClient = {
  createCall(body: CreateCallBody): Promise<CreateCallResult>;
  /** null when VAPI does not know the id (404). */
  getCall(id: string): Promise<VapiCall | null>;
  listCalls(query: ListCallsQuery): Promise<VapiCall[]>;
};

/** Our code for a request whose timeout ran out before its connection was even made. */
const CONNECT_TIMEOUT = 'PGDIALER_CONNECT_TIMEOUT';

// Connection errors that prove nothing was sent. Anything else after the request started
// (ECONNRESET, "other side closed", a timeout) may have reached VAPI.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  CONNECT_TIMEOUT,
  'ERR_INVALID_URL',
  'ERR_INVALID_PROTOCOL',
]);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return;
    seen.add(value);
    const candidate = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string') codes.push(candidate.code);
    visit(candidate.cause, depth + 1);
    if (Array.isArray(candidate.errors)) for (const inner of candidate.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

function describe(error: unknown): string {
  const codes = errorCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  return codes.length > 0 ? `${message} (${codes.join(', ')})` : message;
}

/** True when the failure proves the request never left this machine. */
export function provesNotSent(error: unknown): boolean {
  const codes = errorCodes(error);
  return codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

/** VAPI's error message: `message` (string or string[]) or `error`. */
export function errorMessageOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string' && message) return message;
    if (typeof error === 'string' && error) return error;
  }
  if (typeof body === 'string' && body) return body.slice(0, 500);
  return fallback;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Shared keep-alive connections. An idle socket is closed after 4 s, or 1 s before the server's
// Keep-Alive timeout hint when it sends a shorter one (Node's agent reads it), so a request is
// rarely written on a socket the server is closing (that would be an ambiguous POST).
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

type RawResponse = { status: number; headers: http.IncomingHttpHeaders; body: unknown };

/**
 * One request, answered in full, or rejected with the error that stopped it (its `code` tells
 * whether anything can have been sent). `timeoutMs` bounds the whole exchange; when it runs out
 * before the connection is made, the error carries CONNECT_TIMEOUT.
 */
function send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (error) {
      return reject(error);
    }
    const agent = target.protocol === 'http:' || target.protocol === 'https:' ? agents[target.protocol] : undefined;
    if (!agent) return reject(Object.assign(new Error(`unsupported protocol ${target.protocol}`), { code: 'ERR_INVALID_PROTOCOL' }));
    let connected = false;
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method,
      agent,
      headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(() => {
      const error = connected
        ? Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })
        : Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: CONNECT_TIMEOUT });
      request.destroy(error);
    }, timeoutMs);
    request.on('socket', (socket) => {
      if (!socket.connecting) connected = true; // a kept-alive socket
      else socket.once('connect', () => (connected = true));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parseBody(Buffer.concat(chunks).toString('utf8')) });
      });
      response.on('aborted', () => request.destroy(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

export function createVapiClient(options: VapiClientOptions): VapiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const headers = { Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'application/json' };

  async function read(path: string): Promise<{ status: number; body: unknown }> {
    try {
      return await send(baseUrl + path, 'GET', headers, undefined, timeoutMs);
    } catch (error) {
      throw new VapiRequestError(`GET ${path} failed: ${describe(error)}`, undefined, { cause: error });
    }
  }

  return {
    async createCall(body) {
      let response: RawResponse;
      try {
        response = await send(`${baseUrl}/call`, 'POST', headers, JSON.stringify(body), timeoutMs);
      } catch (error) {
        const message = describe(error);
        return provesNotSent(error) ? { kind: 'not_sent', message } : { kind: 'ambiguous', message };
      }
      const { status, body: responseBody } = response;
      const message = errorMessageOf(responseBody, `HTTP ${status}`);
      if (status === 200 || status === 201) {
        const call = responseBody as VapiCall | undefined;
        // A 2xx without a call id cannot be tied to our row: treat it as "maybe dialed".
        if (!call || typeof call !== 'object' || typeof call.id !== 'string') {
          return { kind: 'ambiguous', message: `VAPI answered ${status} without a call id` };
        }
        return { kind: 'created', call };
      }
      if (status === 400 && /over concurrency limit/i.test(message)) {
        const limit = (responseBody as { subscriptionLimits?: { concurrencyLimit?: unknown } } | undefined)?.subscriptionLimits
          ?.concurrencyLimit;
        return { kind: 'over_concurrency', status, message, concurrencyLimit: typeof limit === 'number' ? limit : undefined };
      }
      if (status === 408 || status === 429 || status >= 500) {
        return { kind: 'retry_later', status, message, retryAfterMs: parseRetryAfter(headerValue(response.headers['retry-after'])) };
      }
      return { kind: 'rejected', status, message };
    },

    async getCall(id) {
      const { status, body } = await read(`/call/${encodeURIComponent(id)}`);
      if (status === 404) return null;
      if (status !== 200 || !body || typeof body !== 'object') {
        throw new VapiRequestError(`GET /call/${id}: ${errorMessageOf(body, `HTTP ${status}`)}`, status);
      }
      return body as VapiCall;
    },

    async listCalls(query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      const { status, body } = await read(`/call?${params}`);
      if (status !== 200 || !Array.isArray(body)) {
        throw new VapiRequestError(`GET /call: ${errorMessageOf(body, `HTTP ${status}`)}`, status);
      }
      return body as VapiCall[];
    },
  };
}
