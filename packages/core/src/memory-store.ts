import { GalleryError } from './errors.js';
import { ACTIVE_STATUSES } from './contracts/entry.js';
import type { GalleryEntry } from './contracts/entry.js';
import type { EntryStore, ListQuery, ListResult } from './contracts/entry-store.js';
import {
  applyEntryPatch, assertExpectVersion, assertValidEntry, createdAtMs, encodeListCursor, entryNotFound, foldSearchText,
  normalizeListQuery, versionConflict,
} from './entry-store-utils.js';
import type { NormalizedListQuery } from './entry-store-utils.js';

/** Options of {@link createMemoryEntryStore}. */
export interface MemoryEntryStoreOptions {
  /** Clock used for `updatedAt` on updates. Default: `() => new Date()`. */
  now?: () => Date;
}

interface Row {
  entry: GalleryEntry;
  createdMs: number;
  id: string;
  /** `foldSearchText(entry.request.prompt)`. */
  folded: string;
}

/** Compares strings by Unicode code point (the order of their UTF-8 bytes, as SQL `BINARY` collations sort). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (supplementary planes) below U+E000..U+FFFF; code point order puts them above.
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Ascending `(createdAt, id)` order. */
function compareKey(aMs: number, aId: string, bMs: number, bId: string): number {
  return aMs !== bMs ? (aMs < bMs ? -1 : 1) : compareCodePoints(aId, bId);
}

/** Index of the first row whose key is greater than (or, with `inclusive`, equal to) the key. */
function lowerBound(rows: readonly Row[], ms: number, id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKey(rows[mid]!.createdMs, rows[mid]!.id, ms, id);
    if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(rows: Row[], row: Row): void {
  rows.splice(lowerBound(rows, row.createdMs, row.id, true), 0, row);
}

function removeSorted(rows: Row[], row: Row): void {
  const i = lowerBound(rows, row.createdMs, row.id, true);
  if (rows[i] === row) rows.splice(i, 1);
}

function matches(row: Row, query: NormalizedListQuery): boolean {
  const { entry } = row;
  if (query.owner !== undefined && entry.owner !== query.owner) return false;
  if (query.status !== undefined && !query.status.includes(entry.status)) return false;
  if (query.favorite !== undefined && entry.favorite !== query.favorite) return false;
  if (query.visibility !== undefined && entry.visibility !== query.visibility) return false;
  if (query.q !== undefined && !row.folded.includes(query.q)) return false;
  return true;
}

class MemoryEntryStore implements EntryStore {
  readonly name = 'memory';
  readonly #now: () => Date;
  readonly #byId = new Map<string, Row>();
  /** Every row in ascending `(createdAt, id)` order. */
  readonly #all: Row[] = [];
  /** Each owner's rows in ascending `(createdAt, id)` order (`null` is the anonymous owner). */
  readonly #byOwner = new Map<string | null, Row[]>();
  /** owner → idempotency key → entry id. */
  readonly #idempotency = new Map<string | null, Map<string, string>>();

  constructor(options: MemoryEntryStoreOptions) {
    this.#now = options.now ?? (() => new Date());
  }

  async insert(entry: GalleryEntry): Promise<void> {
    assertValidEntry(entry);
    if (this.#byId.has(entry.id)) {
      throw new GalleryError('conflict', `An entry with id ${JSON.stringify(entry.id)} exists already.`, { retryable: false });
    }
    this.#assertKeyFree(entry.owner, entry.idempotencyKey, null);
    this.#add(this.#toRow(structuredClone(entry)));
  }

  async get(id: string): Promise<GalleryEntry | null> {
    const row = this.#byId.get(id);
    return row ? structuredClone(row.entry) : null;
  }

  async update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }): Promise<GalleryEntry> {
    const expected = assertExpectVersion(options);
    const row = this.#byId.get(id);
    if (!row) return entryNotFound(id);
    if (row.entry.version !== expected) return versionConflict(id, expected, row.entry.version);
    const next = applyEntryPatch(row.entry, structuredClone(patch), this.#now());
    this.#assertKeyFree(next.owner, next.idempotencyKey, id);
    this.#remove(row);
    this.#add(this.#toRow(next));
    return structuredClone(next);
  }

  async delete(id: string): Promise<void> {
    const row = this.#byId.get(id);
    if (row) this.#remove(row);
  }

  async list(query: ListQuery): Promise<ListResult> {
    const q = normalizeListQuery(query);
    const rows = q.owner === undefined ? this.#all : (this.#byOwner.get(q.owner) ?? []);
    if (q.status !== undefined && q.status.length === 0) return { items: [], total: 0, nextCursor: null };
    const unfiltered = q.status === undefined && q.favorite === undefined && q.visibility === undefined && q.q === undefined;
    const newest = q.sort === 'newest';
    // Rows strictly after the cursor, in sort order: indexes below `start` (newest) or from `start` on (oldest).
    const start = q.after
      ? lowerBound(rows, q.after.createdMs, q.after.id, newest)
      : newest ? rows.length : 0;
    const page: Row[] = [];
    let more = false;
    let total = 0;
    // One pass in sort order: count every match, and collect the page from the cursor on.
    const step = newest ? -1 : 1;
    for (let i = newest ? rows.length - 1 : 0; i >= 0 && i < rows.length; i += step) {
      const inPage = newest ? i < start : i >= start;
      if (unfiltered) {
        if (!inPage) { i = newest ? start : start - 1; continue; } // jump to the cursor
        if (page.length === q.limit) { more = true; break; }
        page.push(rows[i]!);
        continue;
      }
      const row = rows[i]!;
      if (!matches(row, q)) continue;
      total++;
      if (!inPage) continue;
      if (page.length < q.limit) page.push(row);
      else more = true;
    }
    if (unfiltered) total = rows.length;
    const last = page[page.length - 1];
    return {
      items: page.map((row) => structuredClone(row.entry)),
      total,
      nextCursor: more && last ? encodeListCursor({ sort: q.sort, createdMs: last.createdMs, id: last.id }) : null,
    };
  }

  async findByIdempotencyKey(owner: string | null, key: string): Promise<GalleryEntry | null> {
    const id = this.#idempotency.get(owner)?.get(key);
    const row = id === undefined ? undefined : this.#byId.get(id);
    return row ? structuredClone(row.entry) : null;
  }

  async listActive(): Promise<GalleryEntry[]> {
    return this.#all.filter((row) => ACTIVE_STATUSES.includes(row.entry.status)).map((row) => structuredClone(row.entry));
  }

  #toRow(entry: GalleryEntry): Row {
    return { entry, createdMs: createdAtMs(entry), id: entry.id, folded: foldSearchText(entry.request.prompt) };
  }

  #assertKeyFree(owner: string | null, key: string | null, selfId: string | null): void {
    if (key === null) return;
    const holder = this.#idempotency.get(owner)?.get(key);
    if (holder !== undefined && holder !== selfId) {
      throw new GalleryError(
        'conflict',
        `Owner ${JSON.stringify(owner)} already has an entry (${JSON.stringify(holder)}) with idempotency key ${JSON.stringify(key)}.`,
        { retryable: false },
      );
    }
  }

  #add(row: Row): void {
    this.#byId.set(row.id, row);
    insertSorted(this.#all, row);
    let ownerRows = this.#byOwner.get(row.entry.owner);
    if (!ownerRows) this.#byOwner.set(row.entry.owner, (ownerRows = []));
    insertSorted(ownerRows, row);
    const key = row.entry.idempotencyKey;
    if (key !== null) {
      let keys = this.#idempotency.get(row.entry.owner);
      if (!keys) this.#idempotency.set(row.entry.owner, (keys = new Map()));
      keys.set(key, row.id);
    }
  }

  #remove(row: Row): void {
    this.#byId.delete(row.id);
    removeSorted(this.#all, row);
    const ownerRows = this.#byOwner.get(row.entry.owner);
    if (ownerRows) {
      removeSorted(ownerRows, row);
      if (ownerRows.length === 0) this.#byOwner.delete(row.entry.owner);
    }
    const key = row.entry.idempotencyKey;
    if (key !== null) {
      const keys = this.#idempotency.get(row.entry.owner);
      if (keys?.get(key) === row.id) {
        keys.delete(key);
        if (keys.size === 0) this.#idempotency.delete(row.entry.owner);
      }
    }
  }
}

/**
 * An `EntryStore` that keeps entries in process memory (name `'memory'`). Nothing survives a restart, so use it
 * for tests, demos and short-lived scripts; use the SQLite or Postgres store from `@video-gallery/storage-adapters`
 * to keep a gallery. Entries are deep-copied (`structuredClone`) on the way in and out, so callers can never change
 * stored state by mutating an object they passed or received. Runs anywhere (browser, Node, edge).
 *
 * @example
 * const store = createMemoryEntryStore();
 * await store.insert(entry);
 * const { items, nextCursor } = await store.list({ owner: 'user-1', limit: 20 });
 */
export function createMemoryEntryStore(options: MemoryEntryStoreOptions = {}): EntryStore {
  return new MemoryEntryStore(options);
}
