// Error → HTTP response mapping for the gallery handler. Web APIs only.
import type { Logger } from '../gallery.js';
import { GalleryError, type GalleryErrorCode } from '../errors.js';

/** Codes that can appear in an error body: the `GalleryError` codes, plus `internal_error` for unexpected failures. */
export type HttpErrorCode = GalleryErrorCode | 'internal_error';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; field?: string };
}

/** An error that already knows its HTTP status (raised by the handler itself). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly field?: string;
  readonly headers?: Record<string, string>;

  constructor(status: number, code: HttpErrorCode, message: string, options: { field?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

/** HTTP status for each code a route can raise. Provider-side codes are the server's problem, never the caller's. */
const STATUS: Record<GalleryErrorCode, number> = {
  invalid_input: 400,
  unsupported: 422,
  content_policy: 422,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  rate_limited: 429,
  // A provider refusing our key is a server misconfiguration: the caller did nothing wrong.
  auth_failed: 502,
  provider_error: 502,
  expired: 502,
  download_failed: 502,
  quota_exceeded: 503,
  cancelled: 503,
  timeout: 504,
  storage_failed: 500,
};

/** Generic messages for server-side failures: details go to the log, never to the client. */
const SERVER_MESSAGES: Partial<Record<GalleryErrorCode, string>> = {
  auth_failed: 'The video provider refused the server\'s credentials. This is a server configuration problem; try again later.',
  provider_error: 'The video provider failed. Try again later.',
  expired: 'The video provider no longer has this result.',
  download_failed: 'Fetching the result from the video provider failed. Try again later.',
  quota_exceeded: 'The server\'s quota at the video provider is used up. Try again later.',
  cancelled: 'The operation was interrupted. Try again.',
  timeout: 'The video provider did not answer in time. Try again later.',
  storage_failed: 'The server could not read or write its storage. Try again later.',
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** A JSON response with `no-store` caching unless `headers` say otherwise. */
export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS });
}

/** Turns anything a route threw into an error response, logging server-side failures with their details. */
export function errorResponse(error: unknown, logger: Logger, context: { method: string; path: string }): Response {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.field !== undefined) body.error.field = error.field;
    return jsonResponse(error.status, body, error.headers);
  }
  if (GalleryError.isInstance(error)) {
    const status = STATUS[error.code] ?? 500;
    const headers: Record<string, string> = {};
    if (status === 429 || status === 503) {
      if (error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs)) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
    }
    if (status >= 500) {
      log(logger, `video-gallery: ${context.method} ${context.path} failed: ${error.code}: ${error.message}`, error);
      return jsonResponse(status, { error: { code: error.code, message: SERVER_MESSAGES[error.code] ?? 'The server failed. Try again later.' } } satisfies ErrorBody, headers);
    }
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.field !== undefined) body.error.field = error.field;
    return jsonResponse(status, body, headers);
  }
  log(logger, `video-gallery: ${context.method} ${context.path} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`, error);
  return jsonResponse(500, { error: { code: 'internal_error', message: 'The server failed unexpectedly. Try again later.' } } satisfies ErrorBody);
}

function log(logger: Logger, message: string, error: unknown): void {
  const details: Record<string, unknown> = { error };
  (logger.error ?? logger.warn).call(logger, message, details);
}

export const notFound = (message = 'Not found.'): HttpError => new HttpError(404, 'not_found', message);
