import {
  GalleryError, abortErrorFor, assertContentType, assertMaxBytes, assertValidKey, bodyChunks, resolveRange, throwIfAborted,
} from '@video-gallery/core';
import type { BlobBody, BlobStorage, GetOptions, ObjectInfo, PutOptions, StoredObject } from '@video-gallery/core';
import { IdbObjectStore, prefixRange } from './idb.js';

/** Options of {@link createIndexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** IndexedDB database name. Default: `'video-gallery'`. */
  dbName?: string;
  /**
   * Object store inside that database. idb-keyval keeps one object store per database, so a database created with
   * one store name cannot be reused with another: give each store name its own `dbName`. Default: `'blobs'`.
   */
  storeName?: string;
  /**
   * Size of the records an object is cut into, in bytes: a ranged `get` reads only the records the range touches,
   * and a `put` holds one record in memory at a time. Objects keep the size they were written with. 4 KiB to
   * 64 MiB. Default: `1048576` (1 MiB).
   */
  chunkBytes?: number;
}

/** The IndexedDB blob storage: the `BlobStorage` contract plus housekeeping. */
export interface IndexedDbStorage extends BlobStorage {
  readonly name: 'indexeddb';
  /** Always returns the new object's etag. */
  put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag: string }>;
  /**
   * A `blob:` object URL of the whole object, built from its records, when `URL.createObjectURL` exists (browsers;
   * also Node), else `null`; `null` for a missing key. The URL holds a copy of the bytes (browsers keep large blobs
   * on disk) until you call `URL.revokeObjectURL(url)` or the page goes away: revoke it when the player is done.
   * `expiresInSeconds` and `downloadName` do not apply to object URLs and are ignored.
   */
  url(key: string, options?: { expiresInSeconds?: number; downloadName?: string }): Promise<string | null>;
  /**
   * Deletes the records of puts that never finished (the tab closed mid-put) and started more than `olderThanMs`
   * ago (default: one hour). Puts that fail or are aborted clean up after themselves; this is for crashes. Resolves
   * with the number of unfinished puts removed.
   */
  sweep(options?: { olderThanMs?: number }): Promise<number>;
  /** Closes the database connection. Later calls fail with `storage_failed`. */
  close(): Promise<void>;
}

/** The metadata record of one object, written last by a put: the object exists once this record does. */
interface ObjectMeta {
  /** Id of the chunk records `['c', id, i]`. */
  id: string;
  size: number;
  contentType: string;
  etag: string;
  lastModified: number;
  chunkBytes: number;
  chunks: number;
}

/** The marker of a put in progress: `['t', id]`. */
interface PendingPut {
  key: string;
  startedAt: number;
}

const MiB = 1024 * 1024;
const DEFAULT_CHUNK_BYTES = MiB;
const WHAT = 'IndexedDB storage';

function metaKey(key: string): IDBValidKey {
  return ['m', key];
}

function chunkKey(id: string, index: number): IDBValidKey {
  return ['c', id, index];
}

function pendingKey(id: string): IDBValidKey {
  return ['t', id];
}

function newObjectId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function info(meta: ObjectMeta): ObjectInfo {
  return { size: meta.size, contentType: meta.contentType, etag: meta.etag, lastModified: new Date(meta.lastModified) };
}

function replacedWhileReading(key: string): GalleryError {
  return new GalleryError('storage_failed', `IndexedDB storage: ${JSON.stringify(key)} was replaced or deleted while it was being read. Read it again.`, { retryable: true });
}

class IndexedDbStorageImpl implements IndexedDbStorage {
  readonly name = 'indexeddb' as const;
  readonly #db: IdbObjectStore;
  readonly #chunkBytes: number;

  constructor(options: IndexedDbStorageOptions) {
    const dbName = options.dbName ?? 'video-gallery';
    const storeName = options.storeName ?? 'blobs';
    if (typeof dbName !== 'string' || dbName === '') throw new GalleryError('invalid_input', 'createIndexedDbStorage: dbName must be a non-empty string.', { field: 'dbName', retryable: false });
    if (typeof storeName !== 'string' || storeName === '') throw new GalleryError('invalid_input', 'createIndexedDbStorage: storeName must be a non-empty string.', { field: 'storeName', retryable: false });
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 4096 || chunkBytes > 64 * MiB) {
      throw new GalleryError('invalid_input', `createIndexedDbStorage: chunkBytes must be an integer from 4096 to ${64 * MiB}, got ${String(chunkBytes)}.`, { field: 'chunkBytes', retryable: false });
    }
    this.#db = new IdbObjectStore(dbName, storeName, WHAT);
    this.#chunkBytes = chunkBytes;
  }

  async #meta(key: string): Promise<ObjectMeta | null> {
    return this.#db.run('read', 'readonly', async (store, idb) => (await idb.promisifyRequest(store.get(metaKey(key)) as IDBRequest<ObjectMeta | undefined>)) ?? null);
  }

  async put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag: string }> {
    assertValidKey(key);
    assertContentType(options?.contentType);
    assertMaxBytes(options.maxBytes);
    const what = `put ${JSON.stringify(key)}`;
    throwIfAborted(options.signal, what);
    const id = newObjectId();
    const chunkBytes = this.#chunkBytes;
    // The marker lets sweep() find the records of a put whose tab closed before it could clean up.
    await this.#db.run('put', 'readwrite', async (store, idb) => {
      await idb.promisifyRequest(store.put({ key, startedAt: Date.now() } satisfies PendingPut, pendingKey(id)));
    });
    let index = 0;
    let total = 0;
    try {
      let buffer = new Uint8Array(chunkBytes);
      let filled = 0;
      const flush = async (record: Uint8Array): Promise<void> => {
        const at = index++;
        await this.#db.run('put', 'readwrite', async (store, idb) => {
          await idb.promisifyRequest(store.put(record, chunkKey(id, at)));
        });
      };
      for await (const chunk of bodyChunks(body, { key, signal: options.signal, maxBytes: options.maxBytes, what })) {
        let offset = 0;
        while (offset < chunk.byteLength) {
          const n = Math.min(chunkBytes - filled, chunk.byteLength - offset);
          buffer.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === chunkBytes) {
            await flush(buffer); // a fresh buffer per record: IndexedDB clones the whole ArrayBuffer
            buffer = new Uint8Array(chunkBytes);
            filled = 0;
          }
        }
        total += chunk.byteLength;
      }
      if (filled > 0) await flush(buffer.slice(0, filled));
      throwIfAborted(options.signal, what);
      const meta: ObjectMeta = { id, size: total, contentType: options.contentType, etag: `"idb-${id}"`, lastModified: Date.now(), chunkBytes, chunks: index };
      // The commit: one transaction writes the metadata record (the object becomes visible whole), drops the marker
      // and the replaced object's records. Concurrent puts to one key commit one after the other; the last one wins.
      await this.#db.run('put', 'readwrite', async (store, idb) => {
        const old = (await idb.promisifyRequest(store.get(metaKey(key)) as IDBRequest<ObjectMeta | undefined>)) ?? null;
        store.put(meta, metaKey(key));
        store.delete(pendingKey(id));
        if (old) store.delete(prefixRange(['c', old.id]));
      });
      return { bytes: total, etag: meta.etag };
    } catch (error) {
      await this.#discard(id);
      throw GalleryError.isInstance(error) ? error : this.#db.failure(what, error);
    }
  }

  /** Removes the records and marker of an unfinished put. Best effort: a leftover is swept later. */
  async #discard(id: string): Promise<void> {
    await this.#db
      .run('discard', 'readwrite', async (store) => {
        store.delete(prefixRange(['c', id]));
        store.delete(pendingKey(id));
      })
      .catch(() => {});
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject | null> {
    assertValidKey(key);
    const what = `get ${JSON.stringify(key)}`;
    throwIfAborted(options.signal, what);
    const meta = await this.#meta(key);
    if (!meta) return null;
    const range = options.range ? resolveRange(options.range, meta.size, key) : undefined;
    const start = range ? range.start : 0;
    const stop = range ? range.end + 1 : meta.size; // exclusive
    let position = start;
    const { signal } = options;
    const db = this.#db;
    // Reads one record per pull, starting with the record that holds `start`: a range never reads the whole object.
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (signal?.aborted) {
            controller.error(abortErrorFor(signal, what));
            return;
          }
          if (position >= stop) {
            controller.close();
            return;
          }
          const index = Math.floor(position / meta.chunkBytes);
          let record: Uint8Array | undefined;
          try {
            record = await db.run('get', 'readonly', async (store, idb) => idb.promisifyRequest(store.get(chunkKey(meta.id, index)) as IDBRequest<Uint8Array | undefined>));
          } catch (error) {
            controller.error(db.failure(what, error));
            return;
          }
          if (signal?.aborted) {
            controller.error(abortErrorFor(signal, what));
            return;
          }
          if (!record) {
            controller.error(replacedWhileReading(key));
            return;
          }
          const base = index * meta.chunkBytes;
          const end = Math.min(stop, base + record.byteLength);
          controller.enqueue(record.subarray(position - base, end - base));
          position = end;
        },
      },
      { highWaterMark: 0 },
    );
    const result: StoredObject = { ...info(meta), body };
    if (range) result.range = range;
    return result;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const meta = await this.#meta(key);
    return meta ? info(meta) : null;
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.#db.run('delete', 'readwrite', async (store, idb) => {
      const meta = (await idb.promisifyRequest(store.get(metaKey(key)) as IDBRequest<ObjectMeta | undefined>)) ?? null;
      if (!meta) return;
      store.delete(metaKey(key));
      store.delete(prefixRange(['c', meta.id]));
    });
  }

  async url(key: string): Promise<string | null> {
    assertValidKey(key);
    if (typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function') return null;
    const meta = await this.#meta(key);
    if (!meta) return null;
    // One record at a time into small Blobs, then one Blob made of them: the JS heap never holds the whole video.
    const parts: Blob[] = [];
    for (let index = 0; index < meta.chunks; index++) {
      const record = await this.#db.run('url', 'readonly', async (store, idb) => idb.promisifyRequest(store.get(chunkKey(meta.id, index)) as IDBRequest<Uint8Array | undefined>));
      if (!record) throw replacedWhileReading(key);
      parts.push(new Blob([record as Uint8Array<ArrayBuffer>]));
    }
    return URL.createObjectURL(new Blob(parts, { type: meta.contentType }));
  }

  async sweep(options: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 60 * 60 * 1000;
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      throw new GalleryError('invalid_input', `sweep: olderThanMs must be a non-negative number of milliseconds, got ${String(olderThanMs)}.`, { field: 'olderThanMs', retryable: false });
    }
    const cutoff = Date.now() - olderThanMs;
    return this.#db.run('sweep', 'readwrite', async (store, idb) => {
      const range = prefixRange(['t']);
      const [keys, markers] = await Promise.all([
        idb.promisifyRequest(store.getAllKeys(range)),
        idb.promisifyRequest(store.getAll(range) as IDBRequest<PendingPut[]>),
      ]);
      let removed = 0;
      keys.forEach((markerKey, i) => {
        if (markers[i]!.startedAt > cutoff) return;
        const id = (markerKey as [string, string])[1];
        store.delete(prefixRange(['c', id]));
        store.delete(markerKey);
        removed++;
      });
      return removed;
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/**
 * A `BlobStorage` in the browser's IndexedDB through idb-keyval (an optional peer dependency, loaded on first use).
 * Name `'indexeddb'`. Each object is a metadata record plus records of `chunkBytes` (1 MiB): `put` streams the body
 * record by record under a fresh object id and commits by writing the metadata record last (an aborted or failed put
 * leaves nothing visible and the previous object intact); `get` with a range reads only the records it needs and
 * streams them; `url()` builds a `blob:` object URL (revoke it when done). Keys are checked with `assertValidKey`.
 *
 * @example
 * import { createIndexedDbStorage } from '@video-gallery/storage-adapters/indexeddb';
 * const storage = createIndexedDbStorage();
 * await storage.put('videos/a.mp4', response.body!, { contentType: 'video/mp4' });
 * const src = await storage.url('videos/a.mp4'); // blob:… for a <video>; URL.revokeObjectURL(src) when done
 */
export function createIndexedDbStorage(options: IndexedDbStorageOptions = {}): IndexedDbStorage {
  return new IndexedDbStorageImpl(options);
}
