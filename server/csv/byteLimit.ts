// Stops reading a body once it passes a size limit, whatever Content-Length claimed (a chunked
// upload has none), so an import never reads more than it accepts.
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

export async function* limitBytes(chunks: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limit) throw new PayloadTooLargeError(limit);
    yield chunk;
  }
}

/** Counts bytes as they pass (the CLI's progress bar). */
export async function* countBytes(chunks: AsyncIterable<Buffer>, onBytes: (total: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}
