// RFC 9110 range and conditional-request helpers. Pure functions, Web APIs only.

/** What a `Range` header asks for, resolved against a representation of `size` bytes. */
export type RangeDecision =
  /** No usable range: send the whole representation (no header, another unit, malformed, or several ranges). */
  | { kind: 'full'; reason: 'none' | 'malformed' | 'multiple' }
  /** One satisfiable range, inclusive. */
  | { kind: 'partial'; start: number; end: number }
  /** The range starts past the end (or is an empty suffix): 416. */
  | { kind: 'unsatisfiable' };

const FULL_NONE: RangeDecision = { kind: 'full', reason: 'none' };
const FULL_MALFORMED: RangeDecision = { kind: 'full', reason: 'malformed' };
const FULL_MULTIPLE: RangeDecision = { kind: 'full', reason: 'multiple' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };
const INT_RANGE = /^(\d+)[ \t]*-[ \t]*(\d*)$/;
const SUFFIX_RANGE = /^-[ \t]*(\d+)$/;

/**
 * Parses a `Range` header (RFC 9110 §14.1.2) against `size` bytes. Only the `bytes` unit is understood; any
 * syntax error makes the whole header ignored (a full 200), as §14.2 allows. Several ranges are also answered
 * with the whole representation (allowed: a server may ignore `Range`).
 */
export function parseRange(header: string | null, size: number): RangeDecision {
  if (header === null) return FULL_NONE;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL_MALFORMED;
  const specs: string[] = [];
  for (const part of header.slice(eq + 1).split(',')) {
    const spec = part.trim();
    if (spec !== '') specs.push(spec); // empty list elements are allowed by the list syntax
  }
  if (specs.length === 0) return FULL_MALFORMED;
  let single: RangeDecision | null = null;
  for (const spec of specs) {
    const decision = parseSpec(spec, size);
    if (decision === null) return FULL_MALFORMED;
    single = decision;
  }
  if (specs.length > 1) return FULL_MULTIPLE;
  return single ?? FULL_MALFORMED;
}

function parseSpec(spec: string, size: number): RangeDecision | null {
  const int = INT_RANGE.exec(spec);
  if (int) {
    const first = toPosition(int[1]!);
    const last = int[2] === '' ? null : toPosition(int[2]!);
    if (last !== null && last < first) return null; // invalid: last-pos < first-pos
    if (first >= size) return UNSATISFIABLE;
    return { kind: 'partial', start: first, end: last === null ? size - 1 : Math.min(last, size - 1) };
  }
  const suffix = SUFFIX_RANGE.exec(spec);
  if (suffix) {
    const length = toPosition(suffix[1]!);
    if (length === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  return null;
}

/** A decimal byte position; digits beyond the safe-integer range mean "further than any object". */
function toPosition(digits: string): number {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : Number.MAX_SAFE_INTEGER;
}

/** The opaque-tags of an `If-None-Match` / `If-Match` list, `'*'` for the wildcard, `[]` when unparsable. */
export function parseEntityTags(header: string): string[] | '*' {
  const trimmed = header.trim();
  if (trimmed === '*') return '*';
  const tags: string[] = [];
  const pattern = /\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < trimmed.length && (match = pattern.exec(trimmed)) !== null) tags.push((match[1] ?? '') + match[2]!);
  return tags;
}

/** Weak comparison (§8.8.3.2): the opaque tags are equal, ignoring `W/`. */
export function weakMatch(a: string, b: string): boolean {
  return stripWeak(a) === stripWeak(b);
}

/** Strong comparison: both strong and equal. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** True when `If-None-Match` matches `etag` (weak comparison; `*` matches any current representation). */
export function noneMatch(header: string, etag: string | null): boolean {
  const tags = parseEntityTags(header);
  if (tags === '*') return true;
  return etag !== null && tags.some((tag) => weakMatch(tag, etag));
}

/**
 * Whether `If-Range` lets a range through: only a strong ETag equal to the current one does. An HTTP date is
 * never trusted here (a Last-Modified time is a weak validator unless proven otherwise), so it gives a full 200.
 */
export function ifRangeAllows(header: string, etag: string | null): boolean {
  const value = header.trim();
  if (etag === null || !value.startsWith('"')) return false;
  return strongMatch(value, etag);
}

/** True when `If-Modified-Since` says the client's copy is still current. Invalid dates are ignored. */
export function notModifiedSince(header: string, lastModified: Date | undefined): boolean {
  if (!lastModified) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  // HTTP dates have whole seconds.
  return Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}
