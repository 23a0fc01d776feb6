// Helpers for BlobStorage implementations (the memory storage here, the adapters in
// @video-gallery/storage-adapters, and third-party adapters). Pure Web-platform code, no Node imports.
import type { BlobBody, GetOptions } from './contracts/storage.js';
import { GalleryError } from './errors.js';

/** Size of the chunks the adapters hand out when they stream an object back. */
export const READ_CHUNK_BYTES = 64 * 1024;

/** The error a put or get rejects with when its signal fires: `timeout` for a timeout signal, else `cancelled`. */
export function abortErrorFor(signal: AbortSignal, what: string): GalleryError {
  const reason: unknown = signal.reason;
  if (GalleryError.isInstance(reason)) return reason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
    return new GalleryError('timeout', `${what} timed out (its signal fired with a TimeoutError).`, { cause: reason, retryable: true });
  }
  return new GalleryError('cancelled', `${what} was aborted by its signal.`, { cause: reason, retryable: false });
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortErrorFor(signal, what);
}

/** Checks `contentType` (a non-empty header-safe string of at most 255 printable ASCII characters). */
export function assertContentType(contentType: unknown): asserts contentType is string {
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 255 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(contentType)) {
    throw new GalleryError('invalid_input', `contentType: ${JSON.stringify(String(contentType)).slice(0, 80)} is not a valid media type; pass something like 'video/mp4' (printable ASCII, at most 255 characters).`, { field: 'contentType', retryable: false });
  }
}

/** Checks `maxBytes` (a non-negative integer, or `Infinity` / `undefined` for no limit). */
export function assertMaxBytes(maxBytes: unknown): asserts maxBytes is number | undefined {
  if (maxBytes === undefined || maxBytes === Number.POSITIVE_INFINITY) return;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new GalleryError('invalid_input', `maxBytes: ${String(maxBytes)} must be a non-negative integer number of bytes (or left out for no limit).`, { field: 'maxBytes', retryable: false });
  }
}

/** The error a put rejects with when its body is larger than `maxBytes`. */
export function tooLargeError(key: string, maxBytes: number): GalleryError {
  return new GalleryError('storage_failed', `Refused to store ${JSON.stringify(key)}: the body is larger than maxBytes (${maxBytes} bytes). Nothing was stored; raise maxBytes or send a smaller body.`, { field: 'maxBytes', retryable: false });
}

/**
 * Resolves an inclusive byte range against an object of `size` bytes. `end` past the last byte is clamped (as HTTP
 * does); a `start` at or past the end throws `invalid_input` (the HTTP layer answers 416).
 */
export function resolveRange(range: NonNullable<GetOptions['range']>, size: number, key: string): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new GalleryError('invalid_input', `range.start: ${String(start)} must be a non-negative integer byte offset.`, { field: 'range', retryable: false });
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new GalleryError('invalid_input', `range.end: ${String(end)} must be an integer byte offset no smaller than range.start (${start}); the end is inclusive.`, { field: 'range', retryable: false });
  }
  if (start >= size) {
    throw new GalleryError('invalid_input', `range not satisfiable: start ${start} is past the end of ${JSON.stringify(key)}, which is ${size} byte${size === 1 ? '' : 's'} long${size === 0 ? '' : ` (last byte ${size - 1})`}.`, { field: 'range', retryable: false });
  }
  return { start, end: end === undefined ? size - 1 : Math.min(end, size - 1) };
}

/** How many bytes an up-front known body holds, or `null` for a stream. */
export function knownSize(body: BlobBody): number | null {
  if (body instanceof Uint8Array) return body.byteLength;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.size;
  return null;
}

/**
 * Iterates a body as chunks while honouring `signal` and `maxBytes`. On abort the source stream is cancelled
 * (so a stalled producer does not hold the put) and the iteration throws the abort error; a body over
 * `maxBytes` throws `tooLargeError` before the excess chunk is yielded. Leaving the loop early cancels the source.
 */
export async function* bodyChunks(body: BlobBody, options: { key: string; signal?: AbortSignal; maxBytes?: number; what: string }): AsyncGenerator<Uint8Array, void, undefined> {
  const { key, signal, what } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  throwIfAborted(signal, what);
  const size = knownSize(body);
  if (size !== null && size > maxBytes) throw tooLargeError(key, maxBytes);
  if (body instanceof Uint8Array) {
    if (body.byteLength > 0) yield body;
    throwIfAborted(signal, what);
    return;
  }
  const stream = body instanceof ReadableStream ? body : (body.stream() as ReadableStream<Uint8Array>);
  const reader = stream.getReader();
  let finished = false;
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let total = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        finished = true; // an errored stream needs no cancel
        if (signal?.aborted) throw abortErrorFor(signal, what);
        throw GalleryError.isInstance(error) ? error : new GalleryError('storage_failed', `${what}: reading the body failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      // A cancel on abort resolves the pending read as done: that is not the end of the body.
      if (signal?.aborted) throw abortErrorFor(signal, what);
      if (result.done) {
        finished = true;
        return;
      }
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new GalleryError('invalid_input', `${what}: the body stream produced a ${typeof chunk} chunk; it must produce Uint8Array chunks.`, { field: 'body', retryable: false });
      }
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLargeError(key, maxBytes);
      if (chunk.byteLength > 0) yield chunk;
      throwIfAborted(signal, what);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) reader.cancel(signal?.aborted ? signal.reason : undefined).catch(() => {});
    else reader.releaseLock();
  }
}
