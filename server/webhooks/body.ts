// Reading a webhook body: as a stream, never more than the limit (whatever Content-Length says:
// a chunked body has none), hashed once read. An hour-long call's end-of-call-report
// (transcript and messages) runs to tens of MB, so the limit is WEBHOOK_MAX_BYTES (64 MiB by
// default), far above that and far below what would hurt the process; beyond it, a clear 413.
import { hash } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from '../http/errors.js';

export type WebhookBody = { raw: Buffer; sha256: Buffer };

const tooLarge = (limit: number) =>
  new HttpError(413, 'payload_too_large', `webhook bodies are limited to ${limit} bytes (WEBHOOK_MAX_BYTES)`, [], { Connection: 'close' });

export function readWebhookBody(request: Request, limit: number): Promise<WebhookBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    // Refused before reading: the client learns at once, and the connection is not kept (the
    // unread body would otherwise be read into nothing, or poison the next request).
    request.resume();
    return Promise.reject(tooLarge(limit));
  }
  // Events rather than an async iterator, and one hash of the whole body: at thousands of
  // webhooks a second the iterator's promises and a Hash object per request cost more than the
  // hashing itself (bench/REPORT.md, webhooks).
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        cleanUp();
        request.unpipe();
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanUp();
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
      resolve({ raw, sha256: hash('sha256', raw, 'buffer') });
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    const cleanUp = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}
