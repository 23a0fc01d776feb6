// Internal helpers shared by the fetch and Node downloaders: request headers, redirect hops, error mapping.
import { GalleryError, isAbortError } from './errors.js';
import { checkDownloadUrl, describeUrl, type DownloadGuardOptions } from './url-guard.js';

/** Statuses whose `Location` a downloader follows. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Default limit of redirect hops. */
export const DEFAULT_MAX_REDIRECTS = 5;

/**
 * Headers that carry nothing secret and survive a redirect to another origin. Everything else the caller set
 * (`Authorization`, `Cookie`, `X-Api-Key`, `x-goog-api-key`, ...) is dropped when the origin changes.
 */
const SAFE_ACROSS_ORIGINS = new Set(['accept', 'accept-encoding', 'accept-language', 'user-agent', 'range', 'if-range']);

/** The headers of the first hop: the caller's (lower-cased) plus `Range` when resuming. */
export function initialHeaders(headers: Record<string, string> | undefined, offset: number | undefined, defaults: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...defaults };
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  if (offset !== undefined) {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new GalleryError('invalid_input', `offset must be a non-negative integer, got ${String(offset)}.`, { field: 'offset', retryable: false });
    }
    if (offset > 0) out.range = `bytes=${offset}-`;
  }
  return out;
}

/**
 * Validates one redirect hop and returns the next URL and the headers to send there. Throws `download_failed`
 * (not retryable) when there are too many hops, the `Location` is missing or invalid, the hop downgrades https to
 * http without `allowHttp`, or the target fails {@link checkDownloadUrl}.
 */
export function nextHop(
  current: URL,
  location: string | null | undefined,
  headers: Record<string, string>,
  hop: number,
  options: DownloadGuardOptions & { maxRedirects: number },
): { url: URL; headers: Record<string, string> } {
  const from = describeUrl(current);
  if (hop >= options.maxRedirects) {
    throw new GalleryError('download_failed', `Too many redirects downloading ${from} (more than ${options.maxRedirects}). Raise maxRedirects if this chain is expected.`, { retryable: false });
  }
  if (!location) throw new GalleryError('download_failed', `${from} answered with a redirect but no Location header.`, { retryable: false });
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new GalleryError('download_failed', `${from} redirected to an invalid URL.`, { retryable: false });
  }
  if (current.protocol === 'https:' && next.protocol === 'http:' && options.allowHttp !== true) {
    throw new GalleryError('download_failed', `Refusing the redirect from ${from} to ${describeUrl(next)}: it downgrades https to plain http. Pass allowHttp: true to permit it.`, { retryable: false });
  }
  try {
    checkDownloadUrl(next.href, options);
  } catch (error) {
    if (!GalleryError.isInstance(error)) throw error;
    throw new GalleryError(error.code, `Refusing the redirect from ${from}. ${error.message}`, { retryable: false, cause: error });
  }
  if (next.origin === current.origin) return { url: next, headers };
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (SAFE_ACROSS_ORIGINS.has(name)) kept[name] = value;
  return { url: next, headers: kept };
}

/** Maps a network failure to `cancelled` (aborted) or a retryable `download_failed` naming the cause. */
export function networkError(error: unknown, url: URL, signal: AbortSignal | undefined): GalleryError {
  if (GalleryError.isInstance(error)) return error;
  if (signal?.aborted || isAbortError(error)) {
    return new GalleryError('cancelled', `The download of ${describeUrl(url)} was cancelled.`, { retryable: false, cause: error });
  }
  const code = errorCode(error);
  const message = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, '');
  return new GalleryError('download_failed', `Downloading ${describeUrl(url)} failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}.`, { retryable: true, cause: error });
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
