import {
  ACTIVE_STATUSES, GalleryError, applyEntryPatch, assertExpectVersion, assertValidEntry, createdAtMs, encodeListCursor,
  entryNotFound, foldSearchText, normalizeListQuery, versionConflict,
} from '@video-gallery/core';
import type { EntryStore, GalleryEntry, ListQuery, ListResult, NormalizedListQuery } from '@video-gallery/core';
import { IdbObjectStore, prefixRange } from './idb.js';
import type { IdbKeyvalModule } from './idb.js';

/** Options of {@link createIndexedDbEntryStore}. */
export interface IndexedDbEntryStoreOptions {
  /**
   * IndexedDB database name. It holds one object store, `'entries'` (idb-keyval keeps one store per database), so it
   * must differ from the blob storage's database. Default: `'video-gallery-entries'`.
   */
  dbName?: string;
  /** Clock for `updatedAt` on updates. Default: `() => new Date()`. */
  now?: () => Date;
}

/** The IndexedDB entry store: the `EntryStore` contract plus `close()`. */
export interface IndexedDbEntryStore extends EntryStore {
  readonly name: 'indexeddb';
  /** Closes the database connection. Later calls fail with `storage_failed`. */
  close(): Promise<void>;
}

// Records of the one object store (array keys, ordered by IndexedDB's key order):
//   ['r', owner, createdMs, sortId] → EntryRecord    the entries, grouped by owner, then in list order
//   ['a', createdMs, sortId]        → owner           every entry in list order (for listing every owner)
//   ['p', id]                       → Pointer         where an id's record is
//   ['k', owner, idempotencyKey]    → id             idempotency keys, unique per owner
// `owner` is the owner string, or the number 0 for `null` (keys cannot hold null; numbers sort before strings).

type OwnerTag = string | 0;

interface EntryRecord {
  entry: GalleryEntry;
  /** `foldSearchText(entry.request.prompt)`. */
  folded: string;
}

interface Pointer {
  owner: OwnerTag;
  createdMs: number;
}

const ACTIVE = new Set(ACTIVE_STATUSES);

function ownerTag(owner: string | null): OwnerTag {
  return owner === null ? 0 : owner;
}

/**
 * An id rewritten so that IndexedDB's order (UTF-16 code units) is code point order, the order every entry store
 * shares: the code units U+D800..U+FFFF are rotated so that surrogates sort above U+E000..U+FFFF. ASCII ids are
 * unchanged.
 */
export function sortId(id: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0xd800) continue;
    out += id.slice(from, i) + String.fromCharCode(c <= 0xdfff ? c + 0x2000 : c - 0x800);
    from = i + 1;
  }
  return from === 0 ? id : out + id.slice(from);
}

function recordKey(owner: OwnerTag, createdMs: number, id: string): IDBValidKey {
  return ['r', owner, createdMs, sortId(id)];
}

function orderKey(createdMs: number, id: string): IDBValidKey {
  return ['a', createdMs, sortId(id)];
}

function pointerKey(id: string): IDBValidKey {
  return ['p', id];
}

function idempotencyKey(owner: OwnerTag, key: string): IDBValidKey {
  return ['k', owner, key];
}

function request<T>(idb: IdbKeyvalModule, req: IDBRequest): Promise<T> {
  return idb.promisifyRequest(req as IDBRequest<T>);
}

function matchesFilters(record: EntryRecord, q: NormalizedListQuery): boolean {
  const { entry } = record;
  if (q.status !== undefined && !q.status.includes(entry.status)) return false;
  if (q.favorite !== undefined && entry.favorite !== q.favorite) return false;
  if (q.visibility !== undefined && entry.visibility !== q.visibility) return false;
  if (q.q !== undefined && !record.folded.includes(q.q)) return false;
  return true;
}

/** Ascending list order of two records: `(createdMs, id by code point)`. */
function compareRecords(a: EntryRecord, b: EntryRecord): number {
  const am = Date.parse(a.entry.createdAt);
  const bm = Date.parse(b.entry.createdAt);
  if (am !== bm) return am < bm ? -1 : 1;
  const as = sortId(a.entry.id);
  const bs = sortId(b.entry.id);
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function duplicateId(entry: GalleryEntry): never {
  throw new GalleryError('conflict', `An entry with id ${JSON.stringify(entry.id)} exists already.`, { retryable: false });
}

function duplicateIdempotency(entry: GalleryEntry): never {
  throw new GalleryError('conflict', `Owner ${JSON.stringify(entry.owner)} already has an entry with idempotency key ${JSON.stringify(entry.idempotencyKey)}.`, { retryable: false });
}

class IndexedDbEntryStoreImpl implements IndexedDbEntryStore {
  readonly name = 'indexeddb' as const;
  readonly #db: IdbObjectStore;
  readonly #now: () => Date;

  constructor(options: IndexedDbEntryStoreOptions) {
    const dbName = options.dbName ?? 'video-gallery-entries';
    if (typeof dbName !== 'string' || dbName === '') {
      throw new GalleryError('invalid_input', 'createIndexedDbEntryStore: dbName must be a non-empty string.', { field: 'dbName', retryable: false });
    }
    this.#db = new IdbObjectStore(dbName, 'entries', 'IndexedDB entry store');
    this.#now = options.now ?? (() => new Date());
  }

  /** Writes every record of `entry` (the caller has checked the unique keys). */
  #write(store: IDBObjectStore, entry: GalleryEntry): void {
    const owner = ownerTag(entry.owner);
    const createdMs = createdAtMs(entry);
    store.put({ entry, folded: foldSearchText(entry.request.prompt) } satisfies EntryRecord, recordKey(owner, createdMs, entry.id));
    store.put(owner, orderKey(createdMs, entry.id));
    store.put({ owner, createdMs } satisfies Pointer, pointerKey(entry.id));
    if (entry.idempotencyKey !== null) store.put(entry.id, idempotencyKey(owner, entry.idempotencyKey));
  }

  /** Deletes every record of `entry` but its pointer. */
  #erase(store: IDBObjectStore, entry: GalleryEntry): void {
    const owner = ownerTag(entry.owner);
    const createdMs = createdAtMs(entry);
    store.delete(recordKey(owner, createdMs, entry.id));
    store.delete(orderKey(createdMs, entry.id));
    if (entry.idempotencyKey !== null) store.delete(idempotencyKey(owner, entry.idempotencyKey));
  }

  async #read(store: IDBObjectStore, idb: IdbKeyvalModule, id: string): Promise<EntryRecord | null> {
    const pointer = await request<Pointer | undefined>(idb, store.get(pointerKey(id)));
    if (!pointer) return null;
    return (await request<EntryRecord | undefined>(idb, store.get(recordKey(pointer.owner, pointer.createdMs, id)))) ?? null;
  }

  async insert(entry: GalleryEntry): Promise<void> {
    assertValidEntry(entry);
    await this.#db.run('insert', 'readwrite', async (store, idb) => {
      // Transactions on one store run one at a time, so check-then-write cannot race.
      if ((await request<unknown>(idb, store.get(pointerKey(entry.id)))) !== undefined) duplicateId(entry);
      if (entry.idempotencyKey !== null && (await request<unknown>(idb, store.get(idempotencyKey(ownerTag(entry.owner), entry.idempotencyKey)))) !== undefined) {
        duplicateIdempotency(entry);
      }
      this.#write(store, entry); // structured clone: later changes to `entry` do not reach the stored copy
    });
  }

  async get(id: string): Promise<GalleryEntry | null> {
    return this.#db.run('get', 'readonly', async (store, idb) => (await this.#read(store, idb, id))?.entry ?? null);
  }

  async update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }): Promise<GalleryEntry> {
    const expected = assertExpectVersion(options);
    const now = this.#now();
    return this.#db.run('update', 'readwrite', async (store, idb) => {
      const record = await this.#read(store, idb, id);
      if (!record) return entryNotFound(id);
      const current = record.entry;
      if (current.version !== expected) return versionConflict(id, expected, current.version);
      const next = applyEntryPatch(current, patch, now);
      const keyChanged = next.owner !== current.owner || next.idempotencyKey !== current.idempotencyKey;
      if (keyChanged && next.idempotencyKey !== null) {
        const holder = await request<string | undefined>(idb, store.get(idempotencyKey(ownerTag(next.owner), next.idempotencyKey)));
        if (holder !== undefined && holder !== id) duplicateIdempotency(next);
      }
      this.#erase(store, current);
      this.#write(store, next);
      return structuredClone(next);
    });
  }

  async delete(id: string): Promise<void> {
    await this.#db.run('delete', 'readwrite', async (store, idb) => {
      const record = await this.#read(store, idb, id);
      if (!record) return;
      this.#erase(store, record.entry);
      store.delete(pointerKey(id));
    });
  }

  async findByIdempotencyKey(owner: string | null, key: string): Promise<GalleryEntry | null> {
    return this.#db.run('findByIdempotencyKey', 'readonly', async (store, idb) => {
      const id = await request<string | undefined>(idb, store.get(idempotencyKey(ownerTag(owner), key)));
      return id === undefined ? null : ((await this.#read(store, idb, id))?.entry ?? null);
    });
  }

  async listActive(): Promise<GalleryEntry[]> {
    return this.#db.run('listActive', 'readonly', async (store, idb) => {
      const records = await request<EntryRecord[]>(idb, store.getAll(prefixRange(['r'])));
      return records.filter((r) => ACTIVE.has(r.entry.status)).sort(compareRecords).map((r) => r.entry);
    });
  }

  async list(query: ListQuery): Promise<ListResult> {
    const q = normalizeListQuery(query);
    if (q.status !== undefined && q.status.length === 0) return { items: [], total: 0, nextCursor: null };
    const filtered = q.status !== undefined || q.favorite !== undefined || q.visibility !== undefined || q.q !== undefined;
    const page = await this.#db.run('list', 'readonly', (store, idb) => (filtered ? this.#listFiltered(store, idb, q) : this.#listKeyset(store, idb, q)));
    const more = page.records.length > q.limit;
    if (more) page.records.length = q.limit;
    const last = page.records[page.records.length - 1];
    return {
      items: page.records.map((r) => r.entry),
      total: page.total,
      nextCursor: more && last ? encodeListCursor({ sort: q.sort, createdMs: createdAtMs(last.entry), id: last.entry.id }) : null,
    };
  }

  /**
   * No filter but the owner: count the owner's (or every) key range and walk a cursor from the keyset position,
   * reading `limit + 1` records.
   */
  async #listKeyset(store: IDBObjectStore, idb: IdbKeyvalModule, q: NormalizedListQuery): Promise<{ records: EntryRecord[]; total: number }> {
    const newest = q.sort === 'newest';
    const direction: IDBCursorDirection = newest ? 'prev' : 'next';
    const prefix: IDBValidKey[] = q.owner === undefined ? ['a'] : ['r', ownerTag(q.owner)];
    const whole = prefixRange(prefix);
    let range = whole;
    if (q.after) {
      const at = [...prefix, q.after.createdMs, sortId(q.after.id)];
      range = newest ? IDBKeyRange.bound(prefix, at, false, true) : IDBKeyRange.bound(at, [...prefix, []], true, false);
    }
    const total = await request<number>(idb, store.count(whole));
    const found: { key: IDBValidKey; value: unknown }[] = [];
    await new Promise<void>((resolve, reject) => {
      const cursorRequest = store.openCursor(range, direction);
      cursorRequest.onerror = () => reject(cursorRequest.error);
      cursorRequest.onsuccess = () => {
        const cursor = cursorRequest.result;
        if (!cursor || found.length > q.limit) {
          resolve();
          return;
        }
        found.push({ key: cursor.key, value: cursor.value });
        if (found.length > q.limit) resolve();
        else cursor.continue();
      };
    });
    let records: EntryRecord[];
    if (q.owner === undefined) {
      // Order keys ['a', createdMs, sortId] → owner: fetch the records they point at.
      records = await Promise.all(
        found.map(async ({ key, value }) => {
          const [, createdMs, sid] = key as [string, number, string];
          const record = await request<EntryRecord | undefined>(idb, store.get(['r', value as OwnerTag, createdMs, sid]));
          if (!record) throw new GalleryError('storage_failed', 'IndexedDB entry store: the list order index points at a missing entry; the database is inconsistent.', { retryable: false });
          return record;
        }),
      );
    } else {
      records = found.map(({ value }) => value as EntryRecord);
    }
    return { records, total };
  }

  /**
   * Filters (status, favorite, visibility, q) are applied in memory to every entry of the owner (or to every entry
   * when no owner is given), which is what bounds this store to browser-sized galleries.
   */
  async #listFiltered(store: IDBObjectStore, idb: IdbKeyvalModule, q: NormalizedListQuery): Promise<{ records: EntryRecord[]; total: number }> {
    const range = prefixRange(q.owner === undefined ? ['r'] : ['r', ownerTag(q.owner)]);
    const all = await request<EntryRecord[]>(idb, store.getAll(range));
    // One owner's records come in list order already; every owner's are grouped by owner and need a sort.
    if (q.owner === undefined) all.sort(compareRecords);
    const matching = all.filter((record) => matchesFilters(record, q));
    if (q.sort === 'newest') matching.reverse();
    let start = 0;
    if (q.after) {
      const after = q.after;
      const position: EntryRecord = { entry: { createdAt: new Date(after.createdMs).toISOString(), id: after.id } as GalleryEntry, folded: '' };
      const sign = q.sort === 'newest' ? -1 : 1;
      start = matching.findIndex((record) => sign * compareRecords(record, position) > 0);
      if (start === -1) start = matching.length;
    }
    return { records: matching.slice(start, start + q.limit + 1), total: matching.length };
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/**
 * An `EntryStore` in the browser's IndexedDB through idb-keyval (an optional peer dependency, loaded on first use).
 * Name `'indexeddb'`. Uses the shared list rules of every entry store (query validation, keyset cursors, search
 * folding, patches). Unfiltered lists (all entries, or one owner's) read only the page through key ranges; lists with
 * `status`, `favorite`, `visibility` or `q` filter the owner's entries in memory, so it suits galleries of up to a
 * few thousand entries per owner. Writes are transactions; updates are optimistic (`expectVersion`).
 *
 * @example
 * import { createIndexedDbEntryStore } from '@video-gallery/storage-adapters/indexeddb';
 * const store = createIndexedDbEntryStore();
 * const page = await store.list({ owner: null, limit: 20 });
 */
export function createIndexedDbEntryStore(options: IndexedDbEntryStoreOptions = {}): IndexedDbEntryStore {
  return new IndexedDbEntryStoreImpl(options);
}
