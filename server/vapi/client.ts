// A plain-fetch VAPI client. Creating a call is never retried here: VAPI has no idempotency
// key, so every failure is classified for the caller to decide, and "did the request reach
// VAPI?" is kept apart from "VAPI said no":
//   not_sent   - the connection was never made (refused, DNS): safe to dial again later;
//   ambiguous  - a timeout or reset after the request may have reached VAPI: look it up first.
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

// Connection errors that prove nothing was sent. Anything else after fetch started
// (ECONNRESET, "other side closed", a timeout) may have reached VAPI.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
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

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function createVapiClient(options: VapiClientOptions): VapiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const headers = { Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'application/json' };

  async function read(path: string): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetch(baseUrl + path, { headers, signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, body: await readBody(response) };
    } catch (error) {
      throw new VapiRequestError(`GET ${path} failed: ${describe(error)}`, undefined, { cause: error });
    }
  }

  return {
    async createCall(body) {
      let response: Response;
      let responseBody: unknown;
      try {
        response = await fetch(`${baseUrl}/call`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        responseBody = await readBody(response);
      } catch (error) {
        const message = describe(error);
        return provesNotSent(error) ? { kind: 'not_sent', message } : { kind: 'ambiguous', message };
      }
      const status = response.status;
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
        return { kind: 'retry_later', status, message, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
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
