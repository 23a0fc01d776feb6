import { abortErrorFor, assertContentType, assertMaxBytes, bodyChunks, READ_CHUNK_BYTES, resolveRange, throwIfAborted } from './blob-utils.js';
import type { BlobBody, BlobStorage, GetOptions, ObjectInfo, PutOptions, StoredObject } from './contracts/storage.js';
import { assertValidKey } from './keys.js';

/** A `BlobStorage` that keeps objects in this process's memory, plus a few helpers for tests. */
export interface MemoryStorage extends BlobStorage {
  readonly name: 'memory';
  /** Always returns the new object's etag. */
  put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag: string }>;
  /** Always `null`: objects in memory have no URL. */
  url(key: string, options?: { expiresInSeconds?: number; downloadName?: string }): Promise<string | null>;
  /** The keys stored now, sorted. */
  keys(): string[];
  /** Total bytes held. */
  totalBytes(): number;
  /** Drops every object. */
  clear(): void;
}

interface MemoryObject {
  data: Uint8Array;
  contentType: string;
  etag: string;
  lastModified: Date;
}

let instances = 0;

/**
 * Creates a blob storage that keeps objects in memory: for tests, demos and the browser playground.
 * Everything is lost when the process (or page) ends, and every object takes its full size in RAM.
 *
 * Same semantics as the other adapters: `put` copies the bytes and replaces the object atomically only once the
 * whole body arrived (an aborted or over-`maxBytes` put leaves the old object untouched), `get` serves inclusive
 * byte ranges, etags are strong (`"mem-<instance>-<generation>"`) and change on every overwrite, keys are checked
 * with `assertValidKey`. A body over `maxBytes` rejects with `storage_failed` (not retryable).
 *
 * @example
 * const storage = createMemoryStorage();
 * await storage.put('videos/a.mp4', new Uint8Array([1, 2, 3]), { contentType: 'video/mp4' });
 * const object = await storage.get('videos/a.mp4', { range: { start: 1 } }); // bytes 1..2
 */
export function createMemoryStorage(): MemoryStorage {
  const objects = new Map<string, MemoryObject>();
  const instance = (++instances).toString(36);
  let generation = 0;

  const info = (object: MemoryObject): ObjectInfo => ({
    size: object.data.byteLength,
    contentType: object.contentType,
    etag: object.etag,
    lastModified: new Date(object.lastModified.getTime()),
  });

  return {
    name: 'memory',

    async put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag: string }> {
      assertValidKey(key);
      assertContentType(options?.contentType);
      assertMaxBytes(options.maxBytes);
      const what = `put ${JSON.stringify(key)}`;
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of bodyChunks(body, { key, signal: options.signal, maxBytes: options.maxBytes, what })) {
        chunks.push(new Uint8Array(chunk)); // a copy now (not .slice(), which is a view on a Buffer): the producer may reuse its buffer
        total += chunk.byteLength;
      }
      throwIfAborted(options.signal, what);
      const data = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        data.set(chunk, offset);
        offset += chunk.byteLength;
      }
      const etag = `"mem-${instance}-${(++generation).toString(36)}"`;
      objects.set(key, { data, contentType: options.contentType, etag, lastModified: new Date() });
      return { bytes: total, etag };
    },

    async get(key: string, options: GetOptions = {}): Promise<StoredObject | null> {
      assertValidKey(key);
      const what = `get ${JSON.stringify(key)}`;
      throwIfAborted(options.signal, what);
      const object = objects.get(key);
      if (!object) return null;
      // The stored array is never mutated (a put replaces it), so the stream can keep reading it after an overwrite.
      const { data } = object;
      const range = options.range ? resolveRange(options.range, data.byteLength, key) : undefined;
      let position = range ? range.start : 0;
      const stop = range ? range.end + 1 : data.byteLength;
      const { signal } = options;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (signal?.aborted) {
            controller.error(abortErrorFor(signal, what));
            return;
          }
          if (position >= stop) {
            controller.close();
            return;
          }
          const next = Math.min(stop, position + READ_CHUNK_BYTES);
          controller.enqueue(data.slice(position, next)); // a copy: the reader may not change the stored bytes
          position = next;
        },
      }, { highWaterMark: 0 });
      const result: StoredObject = { ...info(object), body };
      if (range) result.range = range;
      return result;
    },

    async head(key: string): Promise<ObjectInfo | null> {
      assertValidKey(key);
      const object = objects.get(key);
      return object ? info(object) : null;
    },

    async delete(key: string): Promise<void> {
      assertValidKey(key);
      objects.delete(key);
    },

    async url(key: string): Promise<string | null> {
      assertValidKey(key);
      return null;
    },

    keys(): string[] {
      return [...objects.keys()].sort();
    },

    totalBytes(): number {
      let total = 0;
      for (const object of objects.values()) total += object.data.byteLength;
      return total;
    },

    clear(): void {
      objects.clear();
    },
  };
}
