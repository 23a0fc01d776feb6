/**
 * The small HTTP client every provider adapter uses.
 *
 * - ky underneath, with ky's own retries switched off: retries are explicit (see `retry.ts`) so a paid submission is
 *   never repeated by accident.
 * - Headers come from a function that runs per request, so a rotated key is picked up without a new client.
 * - HTTP error statuses do NOT throw: the adapter reads its provider's error envelope and maps it. Only transport
 *   failures throw (network error → `provider_error`, timeout → `timeout`, caller abort → the signal's reason).
 * - The body is parsed as JSON when there is one; a body that is not JSON is flagged (`malformed`) with a short raw
 *   snippet, never thrown from here, because a 502 HTML page from a proxy is an HTTP failure, not a parse failure.
 */
import ky, { isTimeoutError } from 'ky';
import { GalleryError } from '@video-gallery/core';

/** Longest raw body snippet kept on an error (`GalleryError.raw`). */
export const RAW_SNIPPET_LIMIT = 500;

/**
 * Default `User-Agent` outside browsers. Some provider front doors (Cloudflare) answer requests with no browser-like
 * agent with a bare 403 "error code: 1010" that looks like an auth failure.
 */
export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 video-gallery';

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Provider name used in error messages, for example `DashScope`. **Required.** */
  provider: string;
  /**
   * API root that relative paths are joined to, for example `https://dashscope-intl.aliyuncs.com/api/v1`. A function
   * is called per request, so an environment variable can be read lazily. **Required.**
   */
  baseURL: string | (() => string);
  /** Headers sent with every request, read per request (keys can rotate). May throw (for a missing key). */
  headers?: () => Record<string, string>;
  /** A `fetch` implementation. Default: `globalThis.fetch` at call time (so msw and other interceptors apply). */
  fetch?: typeof fetch;
  /** Time limit per request until the response headers arrive, in ms. Default 60 000. `0` disables it. */
  timeoutMs?: number;
  /**
   * `User-Agent` to send where the platform allows it (not in browsers). Default {@link DEFAULT_USER_AGENT};
   * `false` sends none. A `User-Agent` from `headers` always wins.
   */
  userAgent?: string | false;
}

/** One request. */
export interface HttpRequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path relative to the base URL (a leading `/` is fine), or an absolute `http(s)://` URL. */
  path: string;
  /** Query parameters; `undefined` values are left out. */
  searchParams?: Record<string, string | number | boolean | undefined>;
  /** JSON body. */
  json?: unknown;
  /** Extra headers for this request (win over the client's headers). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this request. */
  timeoutMs?: number;
  /**
   * Whether repeating the request is harmless. Default: true for GET, false otherwise. When false, a timeout or a
   * connection dropped after the request may have been sent is reported as NOT retryable, because the provider may
   * have acted on it (a paid task may exist).
   */
  idempotent?: boolean;
}

/** A response whose body has been read. */
export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  /** Final URL. */
  url: string;
  /** Parsed JSON body, or `undefined` when the body is empty or not JSON (see `malformed`). */
  data: unknown;
  /** True when the body is not empty and is not valid JSON. */
  malformed: boolean;
  /** The body text cut to {@link RAW_SNIPPET_LIMIT} characters, for errors and logs. */
  snippet: string;
  /** `Retry-After` in ms when the response carries a valid one. */
  retryAfterMs: number | undefined;
}

/** What `createHttpClient` returns. */
export interface HttpClient {
  /** Provider name used in messages. */
  readonly provider: string;
  /** The base URL in effect now (resolved per call). */
  baseURL(): string;
  /** Sends one request and reads its body. Throws only for transport failures and aborts (see module docs). */
  request(options: HttpRequestOptions): Promise<HttpResponse>;
}

const transportErrors = new WeakSet<GalleryError>();

/** True for an error thrown by {@link HttpClient.request} because the request failed in transport (not an HTTP status). */
export function isTransportError(error: unknown): error is GalleryError {
  return GalleryError.isInstance(error) && transportErrors.has(error);
}

/** True when the current platform lets a `fetch` caller set `User-Agent` (everything but browser documents). */
export function canSetUserAgent(): boolean {
  return typeof (globalThis as { document?: unknown }).document === 'undefined';
}

/** Joins a base URL and a path with exactly one `/` between them; absolute URLs are returned unchanged. */
export function joinURL(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The `scheme://host:port` origin of a URL, or `null` when it does not parse. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Parses a `Retry-After` header: delta seconds (`"120"`, `"1.5"`) or an HTTP date. Returns ms from `now`
 * (never negative), or `undefined` when absent or invalid.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Cuts a body to {@link RAW_SNIPPET_LIMIT} characters. */
export function snippetOf(text: string): string {
  return text.length > RAW_SNIPPET_LIMIT ? text.slice(0, RAW_SNIPPET_LIMIT) : text;
}

/** Connection-level error codes that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ERR_INVALID_URL']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeCause(error: unknown): string {
  const code = causeCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/** Creates the HTTP client an adapter uses. See {@link HttpClientOptions}. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const provider = options.provider;
  const resolveBase = typeof options.baseURL === 'function' ? options.baseURL : () => options.baseURL as string;
  const defaultTimeout = options.timeoutMs ?? 60_000;
  const userAgent = options.userAgent === undefined ? DEFAULT_USER_AGENT : options.userAgent;

  async function request(request: HttpRequestOptions): Promise<HttpResponse> {
    const { signal } = request;
    signal?.throwIfAborted();
    const base = resolveBase();
    const url = new URL(joinURL(base, request.path));
    for (const [key, value] of Object.entries(request.searchParams ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers = new Headers();
    if (userAgent !== false && canSetUserAgent()) headers.set('User-Agent', userAgent);
    for (const [key, value] of Object.entries(options.headers?.() ?? {})) headers.set(key, value);
    for (const [key, value] of Object.entries(request.headers ?? {})) headers.set(key, value);
    const timeoutMs = request.timeoutMs ?? defaultTimeout;
    const idempotent = request.idempotent ?? request.method === 'GET';
    const where = `${request.method} ${url.origin}${url.pathname}`;

    let response: Response;
    try {
      response = await ky(url, {
        method: request.method,
        headers,
        ...(request.json === undefined ? {} : { json: request.json }),
        ...(signal === undefined ? {} : { signal }),
        timeout: timeoutMs > 0 ? timeoutMs : false,
        retry: 0,
        throwHttpErrors: false,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (isTimeoutError(error)) {
        const gallery = new GalleryError(
          'timeout',
          `${provider} did not answer within ${timeoutMs} ms (${where}).` +
            (idempotent ? '' : ' The request may still have been processed; it is not repeated automatically.') +
            ' Raise `timeoutMs` if the provider is slow from your network.',
          { retryable: idempotent, cause: error },
        );
        transportErrors.add(gallery);
        throw gallery;
      }
      const neverSent = NOT_SENT_CODES.has(causeCode(error) ?? '');
      const gallery = new GalleryError(
        'provider_error',
        `Could not reach ${provider} (${where}): ${describeCause(error)}.` +
          (idempotent || neverSent ? '' : ' The request may have been processed; it is not repeated automatically.'),
        { retryable: idempotent || neverSent, cause: error },
      );
      transportErrors.add(gallery);
      throw gallery;
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const gallery = new GalleryError('provider_error', `${provider} closed the connection while sending its answer (${where}): ${describeCause(error)}.`, {
        retryable: idempotent,
        status: response.status,
        cause: error,
      });
      transportErrors.add(gallery);
      throw gallery;
    }

    let data: unknown;
    let malformed = false;
    if (text.trim() !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        malformed = true;
      }
    }
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      url: response.url || url.toString(),
      data,
      malformed,
      snippet: snippetOf(text),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  }

  return { provider, baseURL: resolveBase, request };
}

/** The error for a body that should be JSON and is not (or is empty). */
export function malformedResponseError(provider: string, response: HttpResponse, options: { retryable: boolean; what?: string }): GalleryError {
  const what = options.what ?? 'response';
  const body = response.snippet === '' ? 'an empty body' : 'a body that is not JSON';
  return new GalleryError('provider_error', `${provider} sent ${body} as its ${what} (HTTP ${response.status}).`, {
    retryable: options.retryable,
    status: response.status,
    raw: response.snippet,
  });
}

/** Options of {@link httpStatusError}. */
export interface HttpStatusErrorOptions {
  /** The provider's own error code, when its envelope has one. */
  providerCode?: string;
  /** The provider's message, when its envelope has one. */
  message?: string;
  /** Wait used for a 429 without a valid `Retry-After`, in ms. Default 5 000. */
  defaultRetryAfterMs?: number;
}

/**
 * Maps an HTTP failure with no provider-specific meaning: 401 → `auth_failed`; 408 → retryable `timeout`;
 * 429 → `rate_limited` with `retryAfterMs`; 5xx → retryable `provider_error`; anything else → `provider_error`
 * that is not retryable.
 */
export function httpStatusError(provider: string, response: HttpResponse, options: HttpStatusErrorOptions = {}): GalleryError {
  const status = response.status;
  const detail = [options.providerCode, options.message].filter((part) => part !== undefined && part !== '').join(': ');
  const suffix = detail === '' ? '' : ` (${detail})`;
  const base = {
    status,
    ...(options.providerCode === undefined ? {} : { providerCode: options.providerCode }),
    ...(response.malformed ? { raw: response.snippet } : {}),
  };
  if (status === 401) {
    return new GalleryError('auth_failed', `${provider} rejected the credentials with HTTP 401${suffix}. Check the API key.`, { ...base, retryable: false });
  }
  if (status === 408) {
    return new GalleryError('timeout', `${provider} timed out handling the request (HTTP 408)${suffix}.`, { ...base, retryable: true });
  }
  if (status === 429) {
    const retryAfterMs = response.retryAfterMs ?? options.defaultRetryAfterMs ?? 5_000;
    return new GalleryError('rate_limited', `${provider} is rate limiting requests (HTTP 429)${suffix}. Try again in ${Math.ceil(retryAfterMs / 1000)} s.`, {
      ...base,
      retryable: true,
      retryAfterMs,
    });
  }
  if (status >= 500) {
    return new GalleryError('provider_error', `${provider} had a server error (HTTP ${status})${suffix}. Trying again later may work.`, { ...base, retryable: true });
  }
  return new GalleryError('provider_error', `${provider} refused the request with HTTP ${status}${suffix}.`, { ...base, retryable: false });
}
