// The IndexedDB adapters in Node on fake-indexeddb (an in-memory IndexedDB). The same adapters run in real Chromium
// in indexeddb.browser.test.ts.
import 'fake-indexeddb/auto';
import { readdir, readFile } from 'node:fs/promises';
import { resolveObjectURL } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, keys as idbKeys } from 'idb-keyval';
import { GalleryError } from '@video-gallery/core';
import { galleryErrorOf, makeEntry } from '@video-gallery/core/testing';
import { createIndexedDbEntryStore, createIndexedDbStorage } from './index.js';
import type { IndexedDbEntryStore, IndexedDbStorage } from './index.js';
import { dbName, deleteDatabase, indexedDbConformance } from './conformance.test-support.js';
import { loadIdbKeyval } from './idb.js';
import { sortId } from './entry-store.js';

async function readAllBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function pattern(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}


// fake-indexeddb keeps every record in this process's memory and clones each one, so the streamed object is
// 8 MiB here (the suite's 64 MiB default runs in real Chromium).
indexedDbConformance({ name: 'indexeddb (fake-indexeddb)', largeObjectBytes: 8 * 1024 * 1024 });

describe('indexeddb blob storage specifics', () => {
  const open: { storage: IndexedDbStorage; name: string }[] = [];
  function storageFor(chunkBytes?: number): { storage: IndexedDbStorage; name: string; rawKeys: () => Promise<IDBValidKey[]> } {
    const name = dbName('blobs');
    const storage = createIndexedDbStorage({ dbName: name, ...(chunkBytes === undefined ? {} : { chunkBytes }) });
    open.push({ storage, name });
    const raw = createStore(name, 'blobs');
    return { storage, name, rawKeys: () => idbKeys(raw) };
  }
  afterEach(async () => {
    for (const { storage } of open.splice(0)) await storage.close();
  });

  it('stores an object as chunk records of chunkBytes plus one metadata record', async () => {
    const { storage, rawKeys } = storageFor(4096);
    const data = pattern(4096 * 5 + 100);
    await storage.put('v/a.mp4', data, { contentType: 'video/mp4' });
    const keys = (await rawKeys()) as unknown[][];
    expect(keys.filter((k) => k[0] === 'm')).toEqual([['m', 'v/a.mp4']]);
    const chunks = keys.filter((k) => k[0] === 'c');
    expect(chunks.map((k) => k[2])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(keys.filter((k) => k[0] === 't')).toEqual([]);
  });

  it('a ranged get reads only the chunk records the range touches', async () => {
    const { storage } = storageFor(4096);
    const data = pattern(4096 * 6, 3);
    await storage.put('v/range.mp4', data, { contentType: 'video/mp4' });
    const proto = IDBObjectStore.prototype as { get: (key: IDBValidKey) => IDBRequest };
    const originalGet = proto.get;
    const requested: unknown[] = [];
    proto.get = function get(this: IDBObjectStore, key: IDBValidKey) {
      requested.push(key);
      return originalGet.call(this, key);
    };
    try {
      const got = await storage.get('v/range.mp4', { range: { start: 4096 * 2 + 10, end: 4096 * 3 + 5 } });
      expect(got?.range).toEqual({ start: 8202, end: 12293 });
      expect(await readAllBytes(got!.body)).toEqual(data.slice(8202, 12294));
    } finally {
      proto.get = originalGet;
    }
    const chunkReads = requested.filter((k) => Array.isArray(k) && k[0] === 'c').map((k) => (k as unknown[])[2]);
    expect(chunkReads).toEqual([2, 3]);
  });

  it('an aborted put leaves no records behind and the old object intact', async () => {
    const { storage, rawKeys } = storageFor(4096);
    await storage.put('v/keep.mp4', pattern(5000, 1), { contentType: 'video/mp4' });
    const before = await rawKeys();
    const controller = new AbortController();
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        if (pulls === 4) controller.abort();
        c.enqueue(pattern(4096, pulls));
      },
    }, { highWaterMark: 0 });
    const error = await galleryErrorOf(storage.put('v/keep.mp4', source, { contentType: 'video/webm', signal: controller.signal }));
    expect(error.code).toBe('cancelled');
    expect((await rawKeys()).map((k) => JSON.stringify(k)).sort()).toEqual(before.map((k) => JSON.stringify(k)).sort());
    expect(await storage.head('v/keep.mp4')).toMatchObject({ size: 5000, contentType: 'video/mp4' });
  });

  it('an overwrite removes the replaced chunk records; a reader of the old object gets storage_failed, not mixed bytes', async () => {
    const { storage, rawKeys } = storageFor(4096);
    await storage.put('v/x.bin', pattern(4096 * 3, 1), { contentType: 'application/octet-stream' });
    const reading = await storage.get('v/x.bin');
    const reader = reading!.body.getReader();
    expect((await reader.read()).value).toEqual(pattern(4096 * 3, 1).slice(0, 4096));
    await storage.put('v/x.bin', pattern(4096 * 2, 2), { contentType: 'application/octet-stream' });
    expect((await rawKeys()).filter((k) => (k as unknown[])[0] === 'c')).toHaveLength(2);
    const error = await reader.read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(GalleryError.isInstance(error) && error.code).toBe('storage_failed');
    expect(await readAllBytes((await storage.get('v/x.bin'))!.body)).toEqual(pattern(4096 * 2, 2));
  });

  it('url() gives a blob: object URL with the whole object and its type, null for a missing key', async () => {
    const { storage } = storageFor(4096);
    const data = pattern(4096 * 2 + 7, 9);
    await storage.put('v/play.webm', data, { contentType: 'video/webm' });
    const url = await storage.url('v/play.webm');
    expect(url).toMatch(/^blob:/);
    const blob = resolveObjectURL(url!);
    expect(blob?.type).toBe('video/webm');
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(data);
    URL.revokeObjectURL(url!);
    expect(await storage.url('v/missing.webm')).toBeNull();
  });

  it('sweep() removes the records of puts that never finished, and only old ones', async () => {
    const { storage, name, rawKeys } = storageFor(4096);
    const raw = createStore(name, 'blobs');
    await storage.put('v/live.bin', pattern(10), { contentType: 'application/octet-stream' });
    // What a tab closed mid-put leaves: a marker and some chunk records, no metadata record.
    await raw('readwrite', (store) => {
      store.put({ key: 'v/crashed.bin', startedAt: Date.now() - 2 * 60 * 60 * 1000 }, ['t', 'deadbeef']);
      store.put(pattern(4096), ['c', 'deadbeef', 0]);
      store.put(pattern(4096), ['c', 'deadbeef', 1]);
      store.put({ key: 'v/recent.bin', startedAt: Date.now() }, ['t', 'cafe']);
      return new Promise<void>((resolve) => {
        store.transaction.oncomplete = () => resolve();
      });
    });
    expect(await storage.sweep()).toBe(1);
    const left = (await rawKeys()).map((k) => JSON.stringify(k));
    expect(left.some((k) => k.includes('deadbeef'))).toBe(false);
    expect(left).toContain(JSON.stringify(['t', 'cafe']));
    expect(await storage.sweep({ olderThanMs: 0 })).toBe(1);
    expect((await storage.head('v/live.bin'))?.size).toBe(10);
  });

  it('explains a database that lacks the object store (one store per database in idb-keyval)', async () => {
    const { storage, name } = storageFor();
    await storage.put('a.bin', pattern(3), { contentType: 'application/octet-stream' });
    const other = createIndexedDbStorage({ dbName: name, storeName: 'other' });
    const error = await galleryErrorOf(other.head('a.bin'));
    expect(error.code).toBe('storage_failed');
    expect(error.message).toMatch(/one object store per database/);
    await other.close();
  });

  it('validates options, and fails with storage_failed after close()', async () => {
    for (const options of [{ chunkBytes: 100 }, { chunkBytes: 1.5 * 1024 * 1024 + 0.5 }, { dbName: '' }, { storeName: '' }]) {
      expect(() => createIndexedDbStorage(options)).toThrow(GalleryError);
    }
    const { storage } = storageFor();
    await storage.put('a.bin', pattern(3), { contentType: 'application/octet-stream' });
    await storage.close();
    expect((await galleryErrorOf(storage.head('a.bin'))).code).toBe('storage_failed');
  });
});

describe('indexeddb entry store specifics', () => {
  let store: IndexedDbEntryStore;
  let name: string;
  afterEach(async () => {
    await store?.close();
    if (name) await deleteDatabase(name);
  });

  it('orders ids by code point like every other store, not by UTF-16 code unit', async () => {
    name = dbName('entries');
    store = createIndexedDbEntryStore({ dbName: name });
    const createdAt = '2025-01-01T00:00:00.000Z';
    // U+E000 is below U+1F600 as a code point, but above its surrogate pair (U+D83D U+DE00) as UTF-16.
    const ids = ['a', 'z', '\uE000', '\u{1F600}'];
    for (const id of [...ids].reverse()) await store.insert(makeEntry({ id, createdAt, owner: 'o' }));
    expect((await store.list({ limit: 10, sort: 'oldest' })).items.map((e) => e.id)).toEqual(ids);
    expect((await store.list({ owner: 'o', limit: 10, sort: 'oldest' })).items.map((e) => e.id)).toEqual(ids);
    expect((await store.list({ owner: 'o', limit: 10, sort: 'oldest', favorite: false })).items.map((e) => e.id)).toEqual(ids);
    const first = await store.list({ owner: 'o', limit: 2, sort: 'oldest' });
    expect((await store.list({ owner: 'o', limit: 10, sort: 'oldest', cursor: first.nextCursor! })).items.map((e) => e.id)).toEqual(ids.slice(2));
    expect(sortId('abc')).toBe('abc');
  });

  it('keeps its data across store instances (the database persists)', async () => {
    name = dbName('entries');
    const first = createIndexedDbEntryStore({ dbName: name });
    const entry = makeEntry({ owner: 'alice', idempotencyKey: 'k' });
    await first.insert(entry);
    await first.close();
    store = createIndexedDbEntryStore({ dbName: name });
    expect(await store.get(entry.id)).toEqual(entry);
    expect((await store.findByIdempotencyKey('alice', 'k'))?.id).toBe(entry.id);
  });
});

describe('loading and environment', () => {
  it('fails with unsupported and install instructions when idb-keyval is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'idb-keyval'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await galleryErrorOf(loadIdbKeyval(() => Promise.reject(missing)));
    expect(error.code).toBe('unsupported');
    expect(error.message).toMatch(/npm install idb-keyval/);
  });

  it('fails with unsupported where there is no IndexedDB (server-side rendering)', async () => {
    const saved = globalThis.indexedDB;
    (globalThis as { indexedDB?: unknown }).indexedDB = undefined;
    try {
      expect((await galleryErrorOf(createIndexedDbEntryStore({ dbName: dbName('none') }).get('x'))).code).toBe('unsupported');
      expect((await galleryErrorOf(createIndexedDbStorage({ dbName: dbName('none') }).head('x'))).code).toBe('unsupported');
    } finally {
      globalThis.indexedDB = saved;
    }
  });

  it('has no Node imports in the browser folder (platform neutral)', async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    // Library code only: tests and their shared support (*.test-support.ts) run under vitest, not in an app.
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-support.ts'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const source = await readFile(new URL(file, import.meta.url), 'utf8');
      // Static imports / re-exports at the start of a line (not the @example lines of JSDoc), and dynamic imports.
      const imports = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)].map((m) => m[1] ?? m[2]);
      expect(imports.length, file).toBeGreaterThan(0);
      for (const specifier of imports) expect(specifier, `${file} imports ${specifier}`).toMatch(/^(\.\/|@video-gallery\/core$|idb-keyval$)/);
    }
  });
});
