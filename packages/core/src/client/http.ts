// The HTTP layer of RemoteGallery: URL building, headers, timeouts, retries and error mapping.
// Browser-safe: only fetch, AbortController, URLSearchParams and timers.
import { GALLERY_ERROR_CODES, GalleryError, type GalleryErrorCode } from '../errors.js';

/** A `fetch`-compatible function. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Extra request headers: an object, or a function called before every request (for example to add a fresh bearer token). */
export type HeadersOption =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

/** How failed requests are retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Default `2`. */
  limit?: number;
  /** Wait before the first retry, ms; it doubles on each further retry. Default `300`. */
  delayMs?: number;
  /** Longest wait between attempts, ms; a longer `Retry-After` gives up instead of waiting. Default `10000`. */
  maxDelayMs?: number;
  /** Response statuses worth another attempt. Default `[408, 429, 500, 502, 503, 504]`. */
  statusCodes?: number[];
}

export interface HttpOptions {
  baseUrl: string;
  fetch: FetchLike;
  headers: HeadersOption | undefined;
  credentials: RequestCredentials;
  retry: Required<RetryOptions>;
  /** Per attempt, until the response headers arrive; `false` for none. */
  timeoutMs: number | false;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: URLSearchParams;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `multipart/form-data` (the browser sets the boundary). */
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** True when sending the request twice has the effect of sending it once (GET, PATCH, keyed POST...). */
  idempotent: boolean;
  /** Statuses returned as they are instead of thrown (for example 304 and 404 for `get`). */
  passStatuses?: number[];
  /** Statuses returned as they are when they answer a retry (404 to a retried DELETE: the first attempt did it). */
  passStatusesOnRetry?: number[];
  /** Apply the timeout. Default true; off for the event stream, which stays open. */
  timeout?: boolean;
}

/** The header every write carries so the server can tell it from a cross-site form post (the handler's CSRF rule). */
export const CSRF_HEADER = 'Video-Gallery-Request';
export const DEFAULT_RETRY: Required<RetryOptions> = { limit: 2, delayMs: 300, maxDelayMs: 10_000, statusCodes: [408, 429, 500, 502, 503, 504] };
export const DEFAULT_TIMEOUT_MS = 30_000;

const CODES = new Set<string>(GALLERY_ERROR_CODES);
const TIMEOUT = Symbol('timeout');

const STATUS_CODES: Record<number, GalleryErrorCode> = {
  401: 'auth_failed', 403: 'forbidden', 404: 'not_found', 410: 'not_found', 405: 'unsupported', 501: 'unsupported',
  408: 'timeout', 504: 'timeout', 409: 'conflict', 412: 'conflict', 429: 'rate_limited',
};

/** The code for an error response that carried no `{ error: { code } }` body (a proxy page, for example). */
export function codeForStatus(status: number): GalleryErrorCode {
  return STATUS_CODES[status] ?? (status >= 500 ? 'storage_failed' : 'invalid_input');
}

/** `value` when it is a string, else undefined. */
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `Retry-After` as milliseconds (delta seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Turns an error response into a `GalleryError` carrying the server's code, message, field and the HTTP status. */
export async function errorFromResponse(response: Response, what: string): Promise<GalleryError> {
  const status = response.status;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const e: Record<string, unknown> = Object((body as { error?: unknown } | null)?.error);
  const message = str(e.message);
  if (typeof e.code === 'string' && CODES.has(e.code)) {
    return new GalleryError(e.code as GalleryErrorCode, message || `${what} failed with HTTP ${status}.`, {
      status,
      field: str(e.field),
      retryable: typeof e.retryable === 'boolean' ? e.retryable : undefined,
      providerCode: str(e.providerCode),
      retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : retryAfterMs,
    });
  }
  // A JSON error with a code outside GalleryErrorCode (the handler's `internal_error`): keep the server's message.
  return new GalleryError(codeForStatus(status), message || `${what} failed with HTTP ${status}, not a gallery error: check that baseUrl points at the gallery handler.`, { status, retryAfterMs });
}

/** The message of anything thrown. */
export const reasonOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/** A `cancelled` error: the caller's signal aborted `what`. */
const aborted = (what: string, cause: unknown): GalleryError => new GalleryError('cancelled', `${what} was aborted.`, { cause, retryable: false });

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Joins a base URL (absolute, or relative like `/api/gallery`) with a path and query without needing a document base. */
export function joinUrl(baseUrl: string, path: string, query?: URLSearchParams): string {
  const search = query ? `${query}` : '';
  return `${baseUrl.replace(/\/+$/, '')}${path}${search && `?${search}`}`;
}

/** The small HTTP client RemoteGallery is built on. */
export class Http {
  readonly #options: HttpOptions;

  constructor(options: HttpOptions) {
    this.#options = options;
  }

  get credentials(): RequestCredentials {
    return this.#options.credentials;
  }

  url(path: string, query?: URLSearchParams): string {
    return joinUrl(this.#options.baseUrl, path, query);
  }

  /** The configured extra headers, resolved for one request. */
  async extraHeaders(): Promise<Record<string, string>> {
    const option = this.#options.headers;
    if (option === undefined) return {};
    return typeof option === 'function' ? await option() : option;
  }

  /**
   * Sends one request, retrying transient failures of idempotent requests. Resolves with the response for 2xx
   * (and `passStatuses`); throws a `GalleryError` otherwise (`cancelled` when `signal` aborts, `timeout` when an
   * attempt times out, `storage_failed` when the server cannot be reached).
   */
  async send(request: HttpRequest): Promise<Response> {
    const url = this.url(request.path, request.query);
    const what = `${request.method} ${request.path}`;
    const retry = this.#options.retry;
    const limit = request.idempotent ? retry.limit : 0;
    for (let attempt = 0; ; attempt++) {
      let failure: GalleryError;
      try {
        const response = await this.#attempt(url, request);
        if (response.ok || request.passStatuses?.includes(response.status)) return response;
        if (attempt > 0 && request.passStatusesOnRetry?.includes(response.status)) return response;
        failure = await errorFromResponse(response, what);
        if (attempt >= limit || !retry.statusCodes.includes(response.status)) throw failure;
      } catch (error) {
        if (GalleryError.isInstance(error)) {
          if (error.status !== undefined || attempt >= limit || !error.retryable) throw error;
          failure = error;
        } else if (request.signal?.aborted) {
          throw aborted(what, error);
        } else {
          failure = new GalleryError('storage_failed', `${what}: could not reach ${url} (${reasonOf(error)}); check the network and baseUrl.`, { cause: error, retryable: true });
          if (attempt >= limit) throw failure;
        }
      }
      const backoff = Math.min(retry.maxDelayMs, retry.delayMs * 2 ** attempt);
      const wait = failure.retryAfterMs ?? backoff;
      if (wait > retry.maxDelayMs) throw failure;
      try {
        await sleep(wait, request.signal);
      } catch (error) {
        throw aborted(what, error);
      }
    }
  }

  async #attempt(url: string, request: HttpRequest): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...(await this.extraHeaders()), ...request.headers };
    let body: BodyInit | undefined;
    if (request.form !== undefined) {
      body = request.form;
    } else if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['Content-Type'] = 'application/json';
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') headers[CSRF_HEADER] = '1';
    request.signal?.throwIfAborted();
    const timeoutMs = request.timeout === false ? false : this.#options.timeoutMs;
    const init: RequestInit = { method: request.method, headers, credentials: this.#options.credentials };
    if (body !== undefined) init.body = body;
    // Without a timeout the caller's signal goes straight to fetch, so it also aborts reading a streamed body.
    if (timeoutMs === false) return this.#options.fetch(url, request.signal ? { ...init, signal: request.signal } : init);
    const controller = new AbortController();
    const onAbort = () => controller.abort(abortError(request.signal!));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    try {
      return await this.#options.fetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      if (controller.signal.reason === TIMEOUT) {
        throw new GalleryError('timeout', `${request.method} ${request.path}: no answer within ${timeoutMs} ms.`, { cause: error, retryable: true });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }
}
