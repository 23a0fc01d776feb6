import { GalleryError } from '@video-gallery/core';

/** Longest download name accepted (characters). */
export const MAX_DOWNLOAD_NAME_LENGTH = 255;

/** RFC 5987 `attr-char`s other than letters and digits: these stay as they are in `filename*`. */
const ATTR_CHAR_PUNCTUATION = new Set(['!', '#', '$', '&', '+', '-', '.', '^', '_', '`', '|', '~']);

function encodeExtValue(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && (/[A-Za-z0-9]/.test(char) || ATTR_CHAR_PUNCTUATION.has(char)) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A `Content-Disposition: attachment` value for `name` following RFC 6266: an ASCII `filename="..."` fallback
 * (accents removed, other non-ASCII characters, quotes and backslashes replaced with `_`) and the exact name as
 * `filename*=UTF-8''...`. Path separators and control characters in `name` become `_`, so the name can never
 * point a browser at a directory. Throws `invalid_input` for an empty name or one longer than 255 characters.
 *
 * @example
 * attachmentDisposition('Crème brûlée "final".mp4')
 * // attachment; filename="Creme brulee _final_.mp4"; filename*=UTF-8''Cr%C3%A8me%20br%C3%BBl%C3%A9e%20%22final%22.mp4
 */
export function attachmentDisposition(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new GalleryError('invalid_input', `downloadName: ${JSON.stringify(String(name)).slice(0, 80)} must be a non-empty file name, for example 'paper-boat.mp4'.`, { field: 'downloadName', retryable: false });
  }
  if (name.length > MAX_DOWNLOAD_NAME_LENGTH) {
    throw new GalleryError('invalid_input', `downloadName: the name is ${name.length} characters long; use at most ${MAX_DOWNLOAD_NAME_LENGTH}.`, { field: 'downloadName', retryable: false });
  }
  // eslint-disable-next-line no-control-regex
  const safe = name.trim().replace(/[\u0000-\u001f\u007f/\\]/g, '_');
  const ascii = safe
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(safe)}`;
}
