/**
 * Every error the SDK raises or records on an entry is a `GalleryError` with a stable `code`.
 * `retryable` says whether trying the same thing again later may succeed.
 */
export type GalleryErrorCode =
  | 'invalid_input'
  | 'unsupported'
  | 'content_policy'
  | 'rate_limited'
  | 'auth_failed'
  | 'quota_exceeded'
  | 'provider_error'
  | 'timeout'
  | 'expired'
  | 'download_failed'
  | 'storage_failed'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'cancelled';

export const GALLERY_ERROR_CODES: readonly GalleryErrorCode[] = [
  'invalid_input', 'unsupported', 'content_policy', 'rate_limited', 'auth_failed', 'quota_exceeded',
  'provider_error', 'timeout', 'expired', 'download_failed', 'storage_failed', 'not_found', 'forbidden',
  'conflict', 'cancelled',
];

const MARKER = Symbol.for('video-gallery.error');

/** Codes that are worth retrying unless the thrower says otherwise. */
const RETRYABLE_BY_DEFAULT = new Set<GalleryErrorCode>(['rate_limited', 'provider_error', 'timeout', 'download_failed', 'storage_failed']);

export interface GalleryErrorOptions {
  retryable?: boolean;
  /** The provider's own error code, for example DashScope `InvalidApiKey`. */
  providerCode?: string;
  /** HTTP status of the response that caused it, if any. */
  status?: number;
  /** The request field the error is about, for `invalid_input`. */
  field?: string;
  /** How long to wait before trying again, for `rate_limited`. */
  retryAfterMs?: number;
  /** A short raw snippet of a malformed response, kept for logs. Never shown to end users by the HTTP handler. */
  raw?: string;
  cause?: unknown;
}

export class GalleryError extends Error {
  readonly [MARKER] = true;
  readonly code: GalleryErrorCode;
  readonly retryable: boolean;
  readonly providerCode?: string;
  readonly status?: number;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly raw?: string;

  constructor(code: GalleryErrorCode, message: string, options: GalleryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GalleryError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    if (options.providerCode !== undefined) this.providerCode = options.providerCode;
    if (options.status !== undefined) this.status = options.status;
    if (options.field !== undefined) this.field = options.field;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.raw !== undefined) this.raw = options.raw;
  }

  /** True for a `GalleryError` from any copy of this package (cross-realm safe). */
  static isInstance(value: unknown): value is GalleryError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** Wraps anything thrown into a `GalleryError`, keeping one that already is. */
  static from(value: unknown, fallback: GalleryErrorCode = 'provider_error'): GalleryError {
    if (GalleryError.isInstance(value)) return value;
    if (isAbortError(value)) return new GalleryError('cancelled', 'The operation was aborted.', { cause: value, retryable: false });
    const message = value instanceof Error ? value.message : String(value);
    return new GalleryError(fallback, message, { cause: value });
  }

  /** The serialisable form stored on an entry. */
  toJSON(): EntryError {
    const json: EntryError = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.providerCode !== undefined) json.providerCode = this.providerCode;
    if (this.field !== undefined) json.field = this.field;
    return json;
  }
}

/** The error as stored on a failed entry. */
export interface EntryError {
  code: GalleryErrorCode;
  message: string;
  retryable: boolean;
  providerCode?: string;
  field?: string;
}

export function isAbortError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AbortError';
}

/** Throws `invalid_input` naming the field. */
export function invalidInput(field: string, message: string): never {
  throw new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}
