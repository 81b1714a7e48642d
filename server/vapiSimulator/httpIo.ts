// Small node:http helpers: read a JSON body with a size limit, answer JSON, VAPI's error bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const maxBodyBytes = 1024 * 1024;

export type BodyResult = { ok: true; body: unknown; raw: string } | { ok: false; status: 400 | 413; message: string; raw: string };

export function readBody(request: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('error', () => resolve({ ok: false, status: 400, message: 'request aborted', raw: '' }));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (tooLarge) return resolve({ ok: false, status: 413, message: 'request entity too large', raw: '' });
      if (raw.trim() === '') return resolve({ ok: true, body: undefined, raw });
      try {
        resolve({ ok: true, body: JSON.parse(raw) as unknown, raw });
      } catch (error) {
        resolve({ ok: false, status: 400, message: (error as Error).message, raw });
      }
    });
  });
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** NestJS's error body, VAPI's format: {message, error, statusCode}. */
export function errorBody(status: number, message: string | string[]): { message: string | string[]; error: string; statusCode: number } {
  return { message, error: reasons[status] ?? 'Error', statusCode: status };
}

export const invalidKeyBody = {
  message: 'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
  error: 'Unauthorized',
  statusCode: 401,
};

export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
