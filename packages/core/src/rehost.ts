import type { ProviderOutput } from './contracts/provider.js';
import type { BlobStorage } from './contracts/storage.js';
import { DEFAULT_MAX_REDIRECTS, REDIRECT_STATUSES, initialHeaders, networkError, nextHop } from './download-shared.js';
import { GalleryError, isAbortError } from './errors.js';
import { assertValidKey } from './keys.js';
import { checkDownloadUrl, describeUrl, type DownloadGuardOptions } from './url-guard.js';

// ---------------------------------------------------------------------------------------------------------------
// Downloader contract
// ---------------------------------------------------------------------------------------------------------------

/** Per-request options of a {@link Downloader}. */
export interface DownloadRequestOptions {
  /** Extra request headers (for example a provider API key). Dropped on a redirect to another origin. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Ask for the bytes from this offset on (`Range: bytes=<offset>-`) when greater than 0. Default 0. */
  offset?: number;
}

/** What a {@link Downloader} resolves with once the final (non-redirect) response's headers arrived. */
export interface DownloadResponse {
  status: number;
  headers: Headers;
  /** The response body; errors with `download_failed` (retryable) when the connection is cut. */
  body: ReadableStream<Uint8Array>;
  /** The URL that answered, after redirects. */
  finalUrl: string;
}

/**
 * Opens a URL for download, following redirects itself and applying the SSRF guard to every hop. It does not
 * judge the final status: the caller does. Rejects with `download_failed` (a refused URL: not retryable; a network
 * failure: retryable) or `cancelled`.
 *
 * Implementations: {@link createFetchDownloader} (any platform) and `createNodeDownloader` from
 * `@video-gallery/core/node` (Node; also checks the resolved IP address at connect time).
 */
export type Downloader = (url: string, options?: DownloadRequestOptions) => Promise<DownloadResponse>;

/** Options of {@link createFetchDownloader}. */
export interface FetchDownloaderOptions extends DownloadGuardOptions {
  /** Redirect hops to follow, each checked again. Default 5. */
  maxRedirects?: number;
  /** `User-Agent` to send where the platform allows it. Default: the platform's. */
  userAgent?: string;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * A {@link Downloader} on the global `fetch` (browsers, edge runtimes, Deno, Bun, Node) with `redirect: 'manual'`,
 * checking every hop with `checkDownloadUrl`.
 *
 * Weaker than `createNodeDownloader`: `fetch` gives no access to the resolved IP address, so a public-looking
 * host name that resolves to a private address (or rebinds to one) is not caught. Prefer the Node downloader on
 * servers. In browsers a cross-origin redirect is opaque to `redirect: 'manual'`; such a download fails with a
 * clear error instead of being followed blindly.
 */
export function createFetchDownloader(options: FetchDownloaderOptions = {}): Downloader {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const guard = { allowHttp: options.allowHttp, allowPrivateNetwork: options.allowPrivateNetwork, trustedOrigins: options.trustedOrigins, maxRedirects };
  return async (url, request = {}) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    let current = checkDownloadUrl(url, guard);
    // identity: lengths and ranges then refer to the stored bytes (browsers ignore this forbidden header).
    const defaults: Record<string, string> = { 'accept-encoding': 'identity' };
    if (options.userAgent) defaults['user-agent'] = options.userAgent;
    let headers = initialHeaders(request.headers, request.offset, defaults);
    for (let hop = 0; ; hop++) {
      let response: Response;
      try {
        const init: RequestInit = { method: 'GET', headers, redirect: 'manual', credentials: 'omit' };
        if (request.signal) init.signal = request.signal;
        response = await fetchImpl(current.href, init);
      } catch (error) {
        throw networkError(error, current, request.signal);
      }
      if (response.type === 'opaqueredirect') {
        await response.body?.cancel().catch(() => undefined);
        throw new GalleryError('download_failed', `${describeUrl(current)} redirected, and this platform hides redirect targets from fetch, so the hop cannot be checked. Download on the server (createNodeDownloader) instead.`, { retryable: false });
      }
      if (REDIRECT_STATUSES.has(response.status)) {
        await response.body?.cancel().catch(() => undefined);
        ({ url: current, headers } = nextHop(current, response.headers.get('location'), headers, hop, guard));
        continue;
      }
      return { status: response.status, headers: response.headers, body: response.body ?? emptyStream(), finalUrl: current.href };
    }
  };
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
}

// ---------------------------------------------------------------------------------------------------------------
// rehost
// ---------------------------------------------------------------------------------------------------------------

/** Default content types `rehost` accepts. */
export const DEFAULT_VIDEO_CONTENT_TYPES: readonly string[] = ['video/mp4', 'video/webm', 'video/quicktime'];
const GENERIC_BINARY_TYPES = new Set(['application/octet-stream', 'binary/octet-stream']);
const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const SNIFF_BYTES = 64;

/** Options of {@link rehost}. */
export interface RehostOptions {
  /** Required. The provider result: a URL (plus headers) or an `open` stream opener. */
  output: ProviderOutput;
  /** Required. Where to store the video. */
  storage: BlobStorage;
  /** Required. The storage key to write. */
  key: string;
  /** Required. Fetches URL outputs (unused for `open` outputs). */
  downloader: Downloader;
  /** Refuse results larger than this. Default 2 GiB. */
  maxBytes?: number;
  /**
   * Accepted media types. Default `video/mp4`, `video/webm`, `video/quicktime`. A result served as
   * `application/octet-stream`, `binary/octet-stream` or with no type is accepted when its first bytes are an
   * MP4 / QuickTime / WebM signature of an accepted type, and stored with that type.
   */
  allowedContentTypes?: readonly string[];
  /**
   * Attempts after a retryable failure (connection refused or cut, 408/425/429/5xx, truncated body) before giving
   * up, counted since the last byte of progress. Default 3. Never retried once the output's `expiresAt` has passed.
   */
  retries?: number;
  /** Waits before retry `attempt` (1-based). Default: exponential backoff from 0.5 s, at most 8 s. */
  retryDelay?: (attempt: number) => Promise<void>;
  signal?: AbortSignal;
  /** Called after every chunk with the bytes stored so far and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
}

/** What {@link rehost} stored. */
export interface RehostResult {
  bytes: number;
  contentType: string;
}

/**
 * Streams a provider result into blob storage, never holding it whole in memory.
 *
 * Checks before storing anything: the status (200, or 206 when resuming), the content type, and the declared size
 * against `maxBytes`; while streaming it counts bytes and stops past `maxBytes`. A connection cut mid-transfer is
 * retried while the output has not expired: resumed with `Range` when the server answers 206 with the matching
 * `Content-Range` (and `If-Range` when the first response had a strong ETag), otherwise restarted from the first
 * byte with the already-stored part skipped. All of it is one stream handed to a single `storage.put`, so the
 * storage's atomic put never exposes a partial object, and on failure the put is aborted and nothing is stored.
 *
 * Errors (`GalleryError`):
 * - `download_failed`, retryable: network failures, 5xx / 408 / 425 / 429 after the retries ran out, a source
 *   that changed between attempts (a fresh re-host may succeed).
 * - `download_failed`, not retryable: a refused URL (SSRF guard), a non-video type, too large, 401 / 403 / 404 /
 *   410 (the URL is probably expired or not accessible) and other 4xx.
 * - `expired`, not retryable: the same statuses, or an interrupted transfer, once the output's `expiresAt` passed.
 * - Storage errors pass through (normally `storage_failed`).
 * - When `signal` aborts, the promise rejects with `signal.reason` (an `AbortError` unless the caller gave
 *   another reason), like `fetch`; nothing is stored.
 */
export async function rehost(options: RehostOptions): Promise<RehostResult> {
  assertValidKey(options.key);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes > 0)) throw new GalleryError('invalid_input', `maxBytes must be a positive number, got ${String(options.maxBytes)}.`, { field: 'maxBytes', retryable: false });
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) throw new GalleryError('invalid_input', `retries must be a non-negative integer, got ${String(options.retries)}.`, { field: 'retries', retryable: false });

  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) throw options.signal.reason;
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const transfer = new Transfer(options, maxBytes, retries, abort.signal);
  try {
    // Open the source and read its first bytes before touching storage: a wrong status, type or size never
    // reaches `put`.
    const head: Uint8Array[] = [];
    let headBytes = 0;
    while (headBytes < SNIFF_BYTES) {
      const chunk = await transfer.next();
      if (chunk === null) break;
      head.push(chunk);
      headBytes += chunk.byteLength;
    }
    if (headBytes === 0) {
      throw new GalleryError('download_failed', `${transfer.where} is empty (0 bytes); there is no video to store.`, { retryable: false });
    }
    const contentType = transfer.resolveContentType(concat(head, SNIFF_BYTES));

    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const queued = head.shift();
        if (queued) return controller.enqueue(queued);
        try {
          const chunk = await transfer.next();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (error) {
          const failure = transfer.fail(error);
          controller.error(failure);
          abort.abort(failure);
        }
      },
      cancel: (reason) => transfer.close(reason),
    });

    try {
      await options.storage.put(options.key, body, { contentType, signal: abort.signal, maxBytes });
    } catch (error) {
      if (transfer.failure) throw transfer.failure;
      if (options.signal?.aborted) throw cancelledError(options.signal.reason);
      throw GalleryError.from(error, 'storage_failed');
    }
    if (transfer.failure) throw transfer.failure;
    return { bytes: transfer.emitted, contentType };
  } catch (error) {
    const failure = transfer.fail(error);
    await transfer.close(failure);
    // Like fetch: an abort by the caller rejects with the signal's reason (an AbortError by default).
    if (options.signal?.aborted) throw options.signal.reason;
    throw failure;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** What one open of the source gave. */
interface Opened {
  body: ReadableStream<Uint8Array>;
  /** File position of the body's first byte. */
  start: number;
  total?: number;
  mediaType?: string;
  etag?: string;
  lastModified?: string;
}

/** An error that must not be retried inside this re-host even if marked retryable (for example a changed source). */
const noLocalRetry = new WeakSet<GalleryError>();

/** Reads the source as one logical byte sequence across reconnects. */
class Transfer {
  /** Bytes handed on so far. */
  emitted = 0;
  failure: GalleryError | undefined;
  private position = 0;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private first: Opened | undefined;
  private total: number | undefined;
  private useRange = true;
  private failuresWithoutProgress = 0;
  private attempts = 0;
  /** The source, for messages. */
  readonly where: string;

  constructor(
    private readonly options: RehostOptions,
    private readonly maxBytes: number,
    private readonly retries: number,
    private readonly signal: AbortSignal,
  ) {
    const output = options.output;
    this.where = output.url !== undefined ? safeDescribe(output.url) : 'the provider output stream';
  }

  /** The next chunk, or `null` at the end. Retries transparently; throws the final `GalleryError`. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.signal.aborted) throw cancelledError(this.signal.reason);
      try {
        if (!this.reader) await this.open();
        const { done, value } = await this.reader!.read();
        if (done) {
          if (this.total !== undefined && this.position < this.total) {
            throw new GalleryError('download_failed', `The download of ${this.where} ended after ${this.position} of ${this.total} bytes.`, { retryable: true });
          }
          this.releaseReader();
          return null;
        }
        let chunk = value;
        if (this.position < this.emitted) {
          // Restarted from an earlier position: skip what was already handed on.
          const skip = Math.min(this.emitted - this.position, chunk.byteLength);
          this.position += skip;
          chunk = chunk.subarray(skip);
          if (chunk.byteLength === 0) continue;
        }
        this.position += chunk.byteLength;
        if (this.emitted + chunk.byteLength > this.maxBytes) throw this.tooLarge(`more than ${this.maxBytes} bytes arrived`);
        if (this.total !== undefined && this.position > this.total) {
          throw terminal(new GalleryError('download_failed', `${this.where} sent more bytes than the ${this.total} it declared.`, { retryable: false }));
        }
        this.emitted += chunk.byteLength;
        this.failuresWithoutProgress = 0;
        this.options.onProgress?.(this.emitted, this.total);
        return chunk;
      } catch (error) {
        const failure = toFailure(error, this.signal);
        await this.releaseReader(failure);
        if (!failure.retryable || noLocalRetry.has(failure) || failure.code === 'cancelled') throw failure;
        if (this.total !== undefined && this.emitted === this.total) return null; // cut after the last byte
        if (this.isExpired()) {
          throw new GalleryError('expired', `The download of ${this.where} was interrupted (${failure.message}) and the result expired at ${this.options.output.expiresAt}, so it is not retried. Generate the video again.`, { retryable: false, cause: failure });
        }
        if (this.failuresWithoutProgress >= this.retries) {
          throw new GalleryError(failure.code, `${failure.message} Gave up after ${this.failuresWithoutProgress + 1} attempts without progress.`, { retryable: failure.retryable, cause: failure, ...(failure.status !== undefined ? { status: failure.status } : {}) });
        }
        this.failuresWithoutProgress++;
        this.attempts++;
        await abortable((this.options.retryDelay ?? defaultRetryDelay)(this.attempts), this.signal);
      }
    }
  }

  /** Decides the stored content type from the first response and its first bytes. */
  resolveContentType(firstBytes: Uint8Array): string {
    const allowed = (this.options.allowedContentTypes ?? DEFAULT_VIDEO_CONTENT_TYPES).map((t) => t.toLowerCase());
    const declared = this.first?.mediaType;
    if (declared && allowed.includes(declared)) return declared;
    if (declared === undefined || GENERIC_BINARY_TYPES.has(declared)) {
      const sniffed = sniffVideoType(firstBytes);
      if (sniffed && allowed.includes(sniffed)) return sniffed;
      throw terminal(new GalleryError('download_failed', `${this.where} was served as ${declared ?? 'an untyped body'} and its first bytes are ${sniffed ? `a ${sniffed} file, which is not accepted` : 'not a known video signature'} (accepted: ${allowed.join(', ')}). Pass allowedContentTypes to accept it.`, { retryable: false }));
    }
    throw terminal(new GalleryError('download_failed', `${this.where} was served as ${declared}, which is not an accepted video type (${allowed.join(', ')}). Pass allowedContentTypes to accept it.`, { retryable: false }));
  }

  /** Records the first failure and returns it as a `GalleryError`. */
  fail(error: unknown): GalleryError {
    this.failure ??= toFailure(error, this.signal);
    return this.failure;
  }

  async close(reason: unknown): Promise<void> {
    await this.releaseReader(reason);
  }

  private async releaseReader(reason?: unknown): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    if (!reader) return;
    if (reason === undefined) return reader.releaseLock();
    await reader.cancel(reason).catch(() => undefined);
  }

  private isExpired(): boolean {
    const expiresAt = this.options.output.expiresAt;
    if (!expiresAt) return false;
    const at = Date.parse(expiresAt);
    return Number.isFinite(at) && at <= Date.now();
  }

  private tooLarge(detail: string): GalleryError {
    return terminal(new GalleryError('download_failed', `${this.where} is too large: ${detail}, and the limit is ${this.maxBytes} bytes (maxBytes).`, { retryable: false }));
  }

  /** Opens the source at `emitted` (or 0 when ranges do not work) and checks the answer. */
  private async open(): Promise<void> {
    const offset = this.useRange ? this.emitted : 0;
    const opened = this.options.output.url !== undefined ? await this.openUrl(this.options.output.url, offset) : await this.openStream(offset);
    if (opened === 'retry-without-range') {
      this.useRange = false;
      return this.open();
    }
    const first = this.first;
    if (first) {
      const changed =
        (first.total !== undefined && opened.total !== undefined && first.total !== opened.total) ||
        (first.etag !== undefined && opened.etag !== undefined && first.etag !== opened.etag) ||
        (first.lastModified !== undefined && opened.lastModified !== undefined && first.lastModified !== opened.lastModified);
      if (changed) {
        await opened.body.cancel().catch(() => undefined);
        throw terminal(new GalleryError('download_failed', `${this.where} changed while it was being downloaded (its size or ETag differs between attempts), so the parts cannot be joined. Re-hosting again from the start may succeed.`, { retryable: true }));
      }
      if (opened.mediaType && !GENERIC_BINARY_TYPES.has(opened.mediaType) && opened.mediaType !== first.mediaType) {
        await opened.body.cancel().catch(() => undefined);
        throw terminal(new GalleryError('download_failed', `${this.where} answered a resumed request with ${opened.mediaType} instead of ${first.mediaType ?? 'the original body'}.`, { retryable: true }));
      }
    } else {
      this.first = opened;
    }
    this.total ??= opened.total;
    if (this.total !== undefined && this.total > this.maxBytes) {
      await opened.body.cancel().catch(() => undefined);
      throw this.tooLarge(`it declares ${this.total} bytes`);
    }
    this.position = opened.start;
    this.reader = opened.body.getReader();
  }

  private async openStream(offset: number): Promise<Opened> {
    const output = this.options.output;
    if (output.url !== undefined) throw new Error('unreachable');
    const result = await output.open({ signal: this.signal, offset });
    const opened: Opened = { body: result.body, start: offset };
    if (result.size !== undefined) opened.total = result.size;
    const mediaType = parseMediaType(result.contentType);
    if (mediaType) opened.mediaType = mediaType;
    return opened;
  }

  private async openUrl(url: string, offset: number): Promise<Opened | 'retry-without-range'> {
    const output = this.options.output;
    const headers: Record<string, string> = { ...(output.url !== undefined ? output.headers : undefined) };
    if (offset > 0 && this.first?.etag && !this.first.etag.startsWith('W/')) headers['if-range'] = this.first.etag;
    const response = await this.options.downloader(url, { headers, signal: this.signal, offset });
    const discard = (): Promise<void> => response.body.cancel().catch(() => undefined);
    const h = response.headers;
    const encoded = (h.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const opened: Opened = { body: response.body, start: 0 };
    const mediaType = parseMediaType(h.get('content-type'));
    if (mediaType) opened.mediaType = mediaType;
    const etag = h.get('etag');
    if (etag) opened.etag = etag;
    const lastModified = h.get('last-modified');
    if (lastModified) opened.lastModified = lastModified;

    if (response.status === 200) {
      const length = parseLength(h.get('content-length'));
      if (length !== undefined && !encoded) opened.total = length;
      return opened;
    }
    if (response.status === 206 && offset > 0) {
      const range = parseContentRange(h.get('content-range'));
      if (!range || range.start > offset || (range.total !== undefined && range.end + 1 !== range.total)) {
        await discard();
        return 'retry-without-range';
      }
      opened.start = range.start;
      if (range.total !== undefined) opened.total = range.total;
      return opened;
    }
    if (response.status === 416 && offset > 0) {
      await discard();
      return 'retry-without-range';
    }
    await discard();
    throw this.statusError(response.status);
  }

  private statusError(status: number): GalleryError {
    const where = this.where;
    if (status === 401 || status === 403 || status === 404 || status === 410) {
      if (this.isExpired()) {
        return new GalleryError('expired', `${where} answered ${status}: the result expired at ${this.options.output.expiresAt}. Generate the video again.`, { retryable: false, status });
      }
      return new GalleryError('download_failed', `${where} answered ${status}: the result URL has probably expired or needs headers that were not given. Not retried.`, { retryable: false, status });
    }
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      return new GalleryError('download_failed', `${where} answered ${status}.`, { retryable: true, status });
    }
    return new GalleryError('download_failed', `${where} answered ${status}, expected 200. Not retried.`, { retryable: false, status });
  }
}

function terminal(error: GalleryError): GalleryError {
  noLocalRetry.add(error);
  return error;
}

function toFailure(error: unknown, signal: AbortSignal): GalleryError {
  if (signal.aborted && !GalleryError.isInstance(signal.reason)) return cancelledError(signal.reason);
  if (GalleryError.isInstance(error)) return error;
  if (isAbortError(error)) return cancelledError(error);
  // Anything else a body stream throws (undici's "terminated", a reset socket) is a network failure.
  const message = error instanceof Error ? error.message : String(error);
  return new GalleryError('download_failed', `The download was interrupted: ${message}.`, { retryable: true, cause: error });
}

function cancelledError(reason: unknown): GalleryError {
  if (GalleryError.isInstance(reason) && reason.code === 'cancelled') return reason;
  return new GalleryError('cancelled', 'The re-host was cancelled.', { retryable: false, cause: reason });
}

function safeDescribe(url: string): string {
  try {
    return describeUrl(new URL(url));
  } catch {
    return 'the result URL';
  }
}

async function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw cancelledError(signal.reason);
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(cancelledError(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function defaultRetryDelay(attempt: number): Promise<void> {
  const ms = Math.min(500 * 2 ** (attempt - 1), 8000);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseMediaType(value: string | null | undefined): string | undefined {
  const type = value?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

function parseLength(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses `bytes <start>-<end>/<total|*>`. */
function parseContentRange(value: string | null): { start: number; end: number; total?: number } | null {
  const match = value ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim()) : null;
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) return null;
  return match[3] === '*' ? { start, end } : { start, end, total: Number(match[3]) };
}

function concat(chunks: Uint8Array[], limit: number): Uint8Array {
  const size = Math.min(limit, chunks.reduce((n, c) => n + c.byteLength, 0));
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    if (at >= size) break;
    const part = chunk.subarray(0, size - at);
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/**
 * The video type a file's first bytes announce: `video/mp4` (an `ftyp` box), `video/quicktime` (`ftyp` with the
 * `qt  ` brand, or an old QuickTime file starting with a `moov`/`mdat`/`wide`/`free`/`skip` atom), `video/webm`
 * (an EBML header with the `webm` doc type), `video/x-matroska` (EBML, other doc type); `null` otherwise.
 */
export function sniffVideoType(bytes: Uint8Array): string | null {
  if (bytes.byteLength >= 12 && ascii(bytes, 4, 8) === 'ftyp') return ascii(bytes, 8, 12) === 'qt  ' ? 'video/quicktime' : 'video/mp4';
  if (bytes.byteLength >= 8 && ['moov', 'mdat', 'wide', 'free', 'skip'].includes(ascii(bytes, 4, 8))) return 'video/quicktime';
  if (bytes.byteLength >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return ascii(bytes, 4, bytes.byteLength).includes('webm') ? 'video/webm' : 'video/x-matroska';
  }
  return null;
}
