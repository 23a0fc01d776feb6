/**
 * Shared rules for `EntryStore` implementations (memory, SQLite, Postgres, IndexedDB): query validation,
 * keyset cursors, the search folding and the update patch. Every store uses these so that the same query gives
 * the same page, the same cursor semantics and the same errors whatever the backend.
 */
import { GalleryError } from './errors.js';
import { JOB_STATUSES } from './contracts/entry.js';
import type { GalleryEntry, JobStatus, Visibility } from './contracts/entry.js';
import type { ListQuery } from './contracts/entry-store.js';

/** Largest `limit` a list query accepts. */
export const MAX_LIST_LIMIT = 100;

const VISIBILITIES: readonly Visibility[] = ['draft', 'published'];

/**
 * Folds text for the case-insensitive, literal prompt search: NFC normalisation, full case folding through
 * upper then lower case (so `ß` matches `SS`), and the Greek final sigma folded to `σ`.
 * Stores keep `foldSearchText(prompt)` next to the entry and test `folded.includes(foldSearchText(q))`.
 */
export function foldSearchText(text: string): string {
  return text.normalize('NFC').toUpperCase().toLowerCase().replace(/ς/g, 'σ').normalize('NFC');
}

/** Where a keyset page starts: the sort key `(createdAt, id)` of the last item of the previous page. */
export interface ListCursorPosition {
  sort: 'newest' | 'oldest';
  /** `createdAt` in milliseconds since the epoch. */
  createdMs: number;
  id: string;
}

/** A list query after validation, as every store executes it. */
export interface NormalizedListQuery {
  /** `undefined`: every owner; `null`: entries whose owner is `null`. */
  owner: string | null | undefined;
  /** `undefined`: any status. An empty array matches nothing. */
  status: readonly JobStatus[] | undefined;
  /** The search text folded with `foldSearchText`, or `undefined` for no search (also for `''`). */
  q: string | undefined;
  favorite: boolean | undefined;
  visibility: Visibility | undefined;
  sort: 'newest' | 'oldest';
  limit: number;
  /** Items strictly after this position in sort order, or `null` for the first page. */
  after: ListCursorPosition | null;
}

const CURSOR_VERSION = 1;

function base64UrlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlDecode(text: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Encodes a keyset position as the opaque base64url cursor handed to callers as `nextCursor`. */
export function encodeListCursor(position: ListCursorPosition): string {
  return base64UrlEncode(JSON.stringify([CURSOR_VERSION, position.sort === 'newest' ? 'n' : 'o', position.createdMs, position.id]));
}

function badCursor(why: string): never {
  throw new GalleryError('invalid_input', `cursor: ${why}. Pass the nextCursor of a previous page with the same sort, or leave it out for the first page.`, { field: 'cursor', retryable: false });
}

/** Decodes a cursor made by `encodeListCursor`. Throws `invalid_input` for anything else. */
export function decodeListCursor(cursor: string): ListCursorPosition {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096) badCursor('it is not a cursor this store issued');
  const json = base64UrlDecode(cursor);
  if (json === null) badCursor('it is not valid base64url');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return badCursor('it is not a cursor this store issued');
  }
  if (!Array.isArray(value) || value.length !== 4) return badCursor('it is not a cursor this store issued');
  const [version, sort, createdMs, id] = value as unknown[];
  if (version !== CURSOR_VERSION) return badCursor('it comes from an unsupported cursor version');
  if ((sort !== 'n' && sort !== 'o') || typeof createdMs !== 'number' || !Number.isSafeInteger(createdMs) || typeof id !== 'string') {
    return badCursor('it is not a cursor this store issued');
  }
  return { sort: sort === 'n' ? 'newest' : 'oldest', createdMs, id };
}

function invalid(field: string, message: string): never {
  throw new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}

/**
 * Validates a `ListQuery` and returns it in the form stores execute. Throws `invalid_input` (with `field`) for a
 * `limit` outside 1..100, an unknown status / visibility / sort, a non-boolean `favorite`, a non-string `q`, a
 * malformed cursor, or a cursor issued for the other sort order.
 */
export function normalizeListQuery(query: ListQuery): NormalizedListQuery {
  if (typeof query !== 'object' || query === null) invalid('query', 'expected an object with at least `limit`');
  const { limit, owner, status, q, favorite, visibility, cursor } = query;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    invalid('limit', `expected an integer from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)}`);
  }
  if (owner !== undefined && owner !== null && typeof owner !== 'string') invalid('owner', 'expected a string, null or undefined');
  const sort = query.sort ?? 'newest';
  if (sort !== 'newest' && sort !== 'oldest') invalid('sort', `expected 'newest' or 'oldest', got ${JSON.stringify(sort)}`);
  let statuses: JobStatus[] | undefined;
  if (status !== undefined) {
    if (!Array.isArray(status)) invalid('status', 'expected an array of job statuses');
    for (const s of status) {
      if (!JOB_STATUSES.includes(s)) invalid('status', `unknown status ${JSON.stringify(s)}; expected one of ${JOB_STATUSES.join(', ')}`);
    }
    statuses = [...new Set(status)];
  }
  if (q !== undefined && typeof q !== 'string') invalid('q', 'expected a string');
  if (favorite !== undefined && typeof favorite !== 'boolean') invalid('favorite', 'expected true or false');
  if (visibility !== undefined && !VISIBILITIES.includes(visibility)) {
    invalid('visibility', `expected 'draft' or 'published', got ${JSON.stringify(visibility)}`);
  }
  let after: ListCursorPosition | null = null;
  if (cursor !== undefined && cursor !== null) {
    after = decodeListCursor(cursor);
    if (after.sort !== sort) badCursor(`it was issued for sort '${after.sort}', not '${sort}'`);
  }
  return {
    owner,
    status: statuses,
    q: q === undefined || q === '' ? undefined : foldSearchText(q),
    favorite,
    visibility,
    sort,
    limit,
    after,
  };
}

/** `entry.createdAt` in milliseconds since the epoch; throws `invalid_input` when it is not a date. */
export function createdAtMs(entry: Pick<GalleryEntry, 'createdAt'>): number {
  const ms = typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Number.NaN;
  if (!Number.isFinite(ms)) invalid('createdAt', `expected an ISO 8601 timestamp, got ${JSON.stringify(entry.createdAt)}`);
  return ms;
}

/**
 * Checks the fields a store indexes: `id`, `owner`, `status`, `version`, `idempotencyKey`, `favorite`, `visibility`,
 * `createdAt` and `request.prompt`. Throws `invalid_input` naming the first bad field.
 */
export function assertValidEntry(entry: GalleryEntry): void {
  if (typeof entry !== 'object' || entry === null) invalid('entry', 'expected a GalleryEntry object');
  if (typeof entry.id !== 'string' || entry.id.length === 0) invalid('id', 'expected a non-empty string');
  if (entry.owner !== null && typeof entry.owner !== 'string') invalid('owner', 'expected a string or null');
  if (!JOB_STATUSES.includes(entry.status)) invalid('status', `unknown status ${JSON.stringify(entry.status)}`);
  if (!Number.isSafeInteger(entry.version)) invalid('version', 'expected an integer');
  if (entry.idempotencyKey !== null && typeof entry.idempotencyKey !== 'string') invalid('idempotencyKey', 'expected a string or null');
  if (typeof entry.favorite !== 'boolean') invalid('favorite', 'expected true or false');
  if (!VISIBILITIES.includes(entry.visibility)) invalid('visibility', `expected 'draft' or 'published', got ${JSON.stringify(entry.visibility)}`);
  if (typeof entry.request !== 'object' || entry.request === null || typeof entry.request.prompt !== 'string') {
    invalid('request.prompt', 'expected a string');
  }
  createdAtMs(entry);
}

/**
 * The entry after an update: `patch` applied over `current` (keys whose value is `undefined` are ignored),
 * `version` set to `current.version + 1` and `updatedAt` to `now`. The caller has already checked
 * `expectVersion`. Throws `invalid_input` when the patch tries to change `id` or leaves an invalid entry.
 */
export function applyEntryPatch(current: GalleryEntry, patch: Partial<GalleryEntry>, now: Date): GalleryEntry {
  if (typeof patch !== 'object' || patch === null) invalid('patch', 'expected an object');
  if (patch.id !== undefined && patch.id !== current.id) {
    invalid('id', `an update cannot change the id (from ${JSON.stringify(current.id)} to ${JSON.stringify(patch.id)})`);
  }
  const next: GalleryEntry = { ...current };
  for (const [key, value] of Object.entries(patch) as [keyof GalleryEntry, unknown][]) {
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  next.id = current.id;
  next.version = current.version + 1;
  next.updatedAt = now.toISOString();
  assertValidEntry(next);
  return next;
}

/** Throws the `not_found` error stores raise from `update` when the entry is gone. */
export function entryNotFound(id: string): never {
  throw new GalleryError('not_found', `Entry ${JSON.stringify(id)} does not exist (it may have been deleted).`, { retryable: false });
}

/** Throws the `conflict` error stores raise from `update` when the stored version is not the expected one. */
export function versionConflict(id: string, expected: number, actual: number): never {
  throw new GalleryError(
    'conflict',
    `Entry ${JSON.stringify(id)} is at version ${actual}, not the expected ${expected}: it was changed by another write. Read it again and retry.`,
    { retryable: false },
  );
}

/** Checks `options.expectVersion` of an update; throws `invalid_input` when it is not an integer. */
export function assertExpectVersion(options: { expectVersion: number } | undefined): number {
  const expected = options?.expectVersion;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected)) {
    invalid('expectVersion', 'expected the integer version the caller read');
  }
  return expected;
}
