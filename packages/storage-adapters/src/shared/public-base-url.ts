import { GalleryError } from '@video-gallery/core';

/**
 * Checks a `publicBaseUrl` option: an absolute http(s) URL or a `/path` (not `//host`), with no query or fragment.
 * Returns it ending with `/`, or `undefined` when left out. `example` goes into the error message.
 */
export function normalisePublicBaseUrl(value: unknown, example: string): string | undefined {
  if (value === undefined) return undefined;
  const fail = (): never => {
    throw new GalleryError('invalid_input', `publicBaseUrl: ${JSON.stringify(String(value)).slice(0, 120)} must be an absolute http(s) URL or a path starting with '/', for example ${example}.`, { field: 'publicBaseUrl', retryable: false });
  };
  if (typeof value !== 'string' || value.length === 0 || value.includes('?') || value.includes('#')) return fail();
  if (value.startsWith('/')) {
    if (value.startsWith('//')) return fail();
  } else {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return fail();
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return fail();
  }
  return value.endsWith('/') ? value : `${value}/`;
}
