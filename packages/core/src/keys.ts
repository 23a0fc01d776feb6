import { GalleryError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9._-]+$/;
export const MAX_KEY_LENGTH = 1024;

/**
 * Checks a blob storage key: relative path segments of `[A-Za-z0-9._-]` joined by `/`, with no empty,
 * `.` or `..` segment. Rejects absolute paths, backslashes, NUL and anything else that could escape a root.
 * Throws `invalid_input` naming the problem.
 */
export function assertValidKey(key: unknown): asserts key is string {
  const fail = (why: string): never => {
    throw new GalleryError('invalid_input', `Invalid storage key ${JSON.stringify(String(key)).slice(0, 120)}: ${why}. Use relative segments of letters, digits, '.', '_' and '-' joined by '/'.`, { field: 'key', retryable: false });
  };
  if (typeof key !== 'string') return fail('it must be a string');
  if (key.length === 0) return fail('it is empty');
  if (key.length > MAX_KEY_LENGTH) return fail(`it is longer than ${MAX_KEY_LENGTH} characters`);
  if (key.includes('\0')) return fail('it contains a NUL byte');
  if (key.includes('\\')) return fail('it contains a backslash');
  if (key.startsWith('/')) return fail('it is absolute');
  for (const segment of key.split('/')) {
    if (segment === '') return fail('it has an empty segment');
    if (segment === '.' || segment === '..') return fail(`it has a '${segment}' segment`);
    if (!SEGMENT.test(segment)) return fail(`segment ${JSON.stringify(segment)} has characters outside [A-Za-z0-9._-]`);
  }
}

export function isValidKey(key: unknown): key is string {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}
