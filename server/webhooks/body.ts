// Reading a webhook body: as a stream, never more than the limit (whatever Content-Length says:
// a chunked body has none), hashed while it arrives. An hour-long call's end-of-call-report
// (transcript and messages) runs to tens of MB, so the limit is WEBHOOK_MAX_BYTES (64 MiB by
// default), far above that and far below what would hurt the process; beyond it, a clear 413.
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from '../http/errors.js';

export type WebhookBody = { raw: Buffer; sha256: Buffer };

const tooLarge = (limit: number) =>
  new HttpError(413, 'payload_too_large', `webhook bodies are limited to ${limit} bytes (WEBHOOK_MAX_BYTES)`, [], { Connection: 'close' });

export async function readWebhookBody(request: Request, limit: number): Promise<WebhookBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    // Refused before reading: the client learns at once, and the connection is not kept (the
    // unread body would otherwise be read into nothing, or poison the next request).
    request.resume();
    throw tooLarge(limit);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      request.unpipe();
      request.resume();
      throw tooLarge(limit);
    }
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total), sha256: hash.digest() };
}
