// The file part of a multipart/form-data body, streamed: just enough of RFC 7578 to take the
// first part that carries a filename (form fields before it are skipped, anything after it is
// drained), without buffering the file and without a dependency.
export class MultipartError extends Error {
  override name = 'MultipartError';
}

export type FilePart = { filename: string; content: AsyncGenerator<Buffer> };

/** The boundary of a multipart/form-data Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Pulls chunks on demand, with the ability to push back what was read too far. */
class ChunkReader {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly iterator: AsyncIterator<Buffer>) {}

  /** Reads until `marker` is in the buffer; returns what precedes it and consumes the marker. */
  async readUntil(marker: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    for (;;) {
      const index = this.buffered.indexOf(marker);
      if (index >= 0) {
        const before = this.buffered.subarray(0, index);
        this.buffered = this.buffered.subarray(index + marker.length);
        return before;
      }
      if (this.buffered.length > maxBytes || !(await this.fill())) return undefined;
    }
  }

  /** Streams everything before `marker` (consumed); the last marker.length - 1 bytes wait for more. */
  async *streamUntil(marker: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const index = this.buffered.indexOf(marker);
      if (index >= 0) {
        if (index > 0) yield this.buffered.subarray(0, index);
        this.buffered = this.buffered.subarray(index + marker.length);
        return;
      }
      const safe = this.buffered.length - (marker.length - 1);
      if (safe > 0) {
        yield this.buffered.subarray(0, safe);
        this.buffered = this.buffered.subarray(safe);
      }
      if (!(await this.fill())) throw new MultipartError('the multipart body ends inside the file part');
    }
  }

  async drain(): Promise<void> {
    while (await this.fill()) this.buffered = Buffer.alloc(0);
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    return true;
  }
}

const headerLimit = 16 * 1024;

/**
 * The first file part of the body. Throws MultipartError when there is none or the body is not
 * multipart. The part's content must be read to its end (that also drains the rest of the body).
 */
export async function firstFilePart(chunks: AsyncIterable<Buffer>, boundary: string): Promise<FilePart> {
  const reader = new ChunkReader(chunks[Symbol.asyncIterator]());
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first boundary may open the body without the CRLF in front of it.
  const preamble = await reader.readUntil(Buffer.from(`--${boundary}`), headerLimit);
  if (preamble === undefined) throw new MultipartError('no multipart boundary found in the body');
  for (;;) {
    const afterBoundary = await reader.readUntil(Buffer.from('\r\n'), headerLimit);
    if (afterBoundary === undefined || afterBoundary.toString() === '--') {
      throw new MultipartError('the multipart body has no file part');
    }
    const headers = await reader.readUntil(Buffer.from('\r\n\r\n'), headerLimit);
    if (headers === undefined) throw new MultipartError('a multipart part has no end of headers');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers.toString('utf8'))?.[0] ?? '';
    const filename = /filename="([^"]*)"/i.exec(disposition)?.[1] ?? /filename=([^;\s]+)/i.exec(disposition)?.[1];
    if (filename !== undefined) {
      const content = (async function* () {
        yield* reader.streamUntil(delimiter);
        await reader.drain();
      })();
      return { filename, content };
    }
    // A form field: skip its value.
    for await (const _ of reader.streamUntil(delimiter));
  }
}
