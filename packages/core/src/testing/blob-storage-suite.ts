// A conformance suite every BlobStorage adapter runs: `testBlobStorage({ name, create })` inside a vitest file.
// Pure Web-platform code plus vitest, so browser adapters (IndexedDB) can run it too; the memory check needs Node.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStorage, ObjectInfo } from '../contracts/storage.js';
import { GalleryError, type GalleryErrorCode } from '../errors.js';

/** Options of `testBlobStorage`. */
export interface BlobStorageSuiteOptions {
  /** Required. Shown in the describe block: `BlobStorage conformance: <name>`. */
  name: string;
  /** Required. Makes a fresh, empty storage for one test; `cleanup` (if any) runs after that test. */
  create: () => Promise<{ storage: BlobStorage; cleanup?: () => Promise<void> }>;
  /**
   * What `url()` gives: `'public'` a stable URL ending in the key, `'signed'` a URL with a query string,
   * `false` no URL (`url` missing or resolving to `null`). Default `false`.
   */
  supportsUrl?: 'public' | 'signed' | false;
  /**
   * Skip the suite, with the reason when a string (for example "S3 server not reachable"). A skip prints a warning;
   * with `VG_REQUIRE_ALL=1` in the environment the suite fails instead of skipping. Default `false`.
   */
  skip?: boolean | string;
  /** Size of the large streamed object. Default 64 MiB. */
  largeObjectBytes?: number;
  /**
   * Whether the storage keeps memory bounded while streaming (true for disk and network storage, false for the
   * memory storage, which holds every object in RAM). When true and `process.memoryUsage` exists, the large-object
   * test asserts the peak RSS growth stays under `maxRssGrowthBytes` (only when `largeObjectBytes` is at least
   * 32 MiB: below that the check could not tell streaming from buffering). Default `true`.
   */
  boundedMemory?: boolean;
  /**
   * RSS growth allowed while the large object streams in and out. Default: half of `largeObjectBytes` (32 MiB) when
   * the suite can collect garbage as it goes (Node: always, through `--expose-gc` set at run time), else
   * `largeObjectBytes`. For scale: the filesystem adapter peaks around 10-15 MiB, a storage that buffers the object
   * above 64 MiB.
   */
  maxRssGrowthBytes?: number;
}

const MiB = 1024 * 1024;
const INVALID_KEYS = ['../x', '/abs', 'a\\b', 'a\0b', 'a//b', '', 'a/../b', './a', 'a/', 'a b', 'vidéo.mp4'];

// ---- helpers -------------------------------------------------------------------------------------------------

function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `length` bytes of a position-dependent pattern starting at byte `start`: any slice can be recomputed on its own. */
function patternBytes(start: number, length: number, seed: number): Uint8Array<ArrayBuffer> {
  const firstWord = Math.floor(start / 4);
  const lastWord = Math.ceil((start + length) / 4);
  const words = new Uint32Array(Math.max(0, lastWord - firstWord));
  for (let i = 0; i < words.length; i++) words[i] = mix32((firstWord + i) ^ Math.imul(seed, 0x9e3779b1));
  const offset = start - firstWord * 4;
  return new Uint8Array(words.buffer, offset, length);
}

function bytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  return patternBytes(0, length, seed).slice();
}

/** A running 64-bit (two-lane FNV-1a) hash with the byte count. */
class RunningHash {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  private count = 0;
  update(chunk: Uint8Array): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x5bd1e995) ^ (b >>> 15);
    }
    this.a = a;
    this.b = b;
    this.count += chunk.length;
  }
  digest(): string {
    return `${(this.a >>> 0).toString(16)}-${(this.b >>> 0).toString(16)}-${this.count}`;
  }
}

/** A stream handing out `chunks` one per pull, each after a macrotask so concurrent puts interleave. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const chunk = chunks[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk.slice());
    },
  }, { highWaterMark: 0 });
}

function split(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
}

async function readBody(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares bytes without dumping megabytes into a failure message. */
function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let firstDiff = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff, `${what}: first differing byte`).toBe(-1);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

async function expectGalleryError(promise: Promise<unknown>, codes: GalleryErrorCode[], what: string): Promise<GalleryError> {
  const error = await caught(promise);
  expect(GalleryError.isInstance(error), `${what}: rejects with a GalleryError, got ${String(error)}`).toBe(true);
  const code = (error as GalleryError).code;
  expect(codes, `${what}: code ${code}`).toContain(code);
  return error as GalleryError;
}

function isAbortLike(error: unknown): boolean {
  if (GalleryError.isInstance(error)) return error.code === 'cancelled';
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

async function expectAborted(promise: Promise<unknown>, what: string): Promise<void> {
  const error = await caught(promise);
  expect(isAbortLike(error), `${what}: rejects with an AbortError or GalleryError('cancelled'), got ${String(error)}`).toBe(true);
}

function currentRss(): number | null {
  const proc = (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process;
  const rss = proc?.memoryUsage?.rss;
  return typeof rss === 'function' ? rss.call(proc?.memoryUsage) : null;
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** `globalThis.gc` (node --expose-gc), or on Node the same function obtained through `v8.setFlagsFromString`. */
async function findGc(): Promise<(() => void) | null> {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  if (!isNode()) return null;
  try {
    // Specifiers in variables so that browser bundlers leave them alone; this only runs on Node.
    const v8Name = 'node:v8';
    const vmName = 'node:vm';
    const v8 = (await import(/* @vite-ignore */ v8Name)) as { setFlagsFromString(flags: string): void };
    const vm = (await import(/* @vite-ignore */ vmName)) as { runInNewContext(code: string): unknown };
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

function requireAll(): boolean {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.VG_REQUIRE_ALL === '1';
}

function expectSameInfo(actual: ObjectInfo | null, expected: ObjectInfo, what: string): void {
  expect(actual, `${what}: object exists`).not.toBeNull();
  expect(actual?.size, `${what}: size`).toBe(expected.size);
  expect(actual?.contentType, `${what}: contentType`).toBe(expected.contentType);
  expect(actual?.etag, `${what}: etag`).toBe(expected.etag);
}

// ---- the suite -----------------------------------------------------------------------------------------------

/**
 * Registers the BlobStorage conformance tests (vitest) for one adapter: bodies from a stream, a `Uint8Array` and a
 * `Blob`; whole and ranged reads; `head`; overwrite and etags; idempotent delete; a large object streamed in and out
 * with bounded memory; aborted and over-`maxBytes` puts leaving nothing behind; concurrent puts to one key; invalid
 * keys; content types; `url()`.
 *
 * @example
 * testBlobStorage({
 *   name: 'fs',
 *   create: async () => {
 *     const root = await mkdtemp(join(tmpdir(), 'vg-'));
 *     return { storage: createFsStorage({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
 *   },
 * });
 */
export function testBlobStorage(options: BlobStorageSuiteOptions): void {
  const title = `BlobStorage conformance: ${options.name}`;
  const skipReason = options.skip === true ? 'skipped by its caller' : typeof options.skip === 'string' && options.skip !== '' ? options.skip : null;
  if (skipReason !== null) {
    if (requireAll()) {
      describe(title, () => {
        it('runs (VG_REQUIRE_ALL=1 forbids skipping)', () => {
          throw new Error(`${title} cannot run: ${skipReason}`);
        });
      });
      return;
    }
    console.warn(`[video-gallery] SKIPPED ${title}: ${skipReason}. Set VG_REQUIRE_ALL=1 to make this a failure.`);
  }
  const supportsUrl = options.supportsUrl ?? false;
  const largeBytes = options.largeObjectBytes ?? 64 * MiB;
  // The RSS check needs an object well above the few MiB of noise a test run has on its own.
  const boundedMemory = (options.boundedMemory ?? true) && largeBytes >= 32 * MiB;

  describe.skipIf(skipReason !== null)(title, () => {
    let storage: BlobStorage;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const created = await options.create();
      storage = created.storage;
      cleanup = created.cleanup;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it('has a name', () => {
      expect(typeof storage.name).toBe('string');
      expect(storage.name.length).toBeGreaterThan(0);
    });

    describe('put and get', () => {
      it('stores a Uint8Array', async () => {
        const data = bytes(1000, 1);
        const put = await storage.put('u8/a.bin', data, { contentType: 'application/octet-stream' });
        expect(put.bytes).toBe(1000);
        const got = await storage.get('u8/a.bin');
        expect(got).not.toBeNull();
        expect(got?.size).toBe(1000);
        expect(got?.contentType).toBe('application/octet-stream');
        expect(got?.range).toBeUndefined();
        if (put.etag !== undefined) expect(got?.etag).toBe(put.etag);
        if (got?.lastModified !== undefined) {
          expect(got.lastModified).toBeInstanceOf(Date);
          expect(Number.isNaN(got.lastModified.getTime())).toBe(false);
        }
        expectBytes(await readBody(got!.body), data, 'body');
      });

      it('copies a Uint8Array body: changing the caller\'s array afterwards does not change the object', async () => {
        const data = bytes(100, 2);
        const expected = data.slice();
        await storage.put('copy.bin', data, { contentType: 'application/octet-stream' });
        data.fill(0);
        expectBytes(await readBody((await storage.get('copy.bin'))!.body), expected, 'body');
      });

      it('stores a ReadableStream of many chunks', async () => {
        const data = bytes(300_001, 3);
        const put = await storage.put('stream/b.bin', streamOf(split(data, 8191)), { contentType: 'video/mp4' });
        expect(put.bytes).toBe(data.length);
        const got = await storage.get('stream/b.bin');
        expect(got?.size).toBe(data.length);
        expect(got?.contentType).toBe('video/mp4');
        expectBytes(await readBody(got!.body), data, 'body');
      });

      it('stores a Blob, keeping the contentType option rather than the Blob\'s type', async () => {
        const data = bytes(5000, 4);
        const put = await storage.put('blob/c.json', new Blob([data], { type: 'text/plain' }), { contentType: 'application/json' });
        expect(put.bytes).toBe(5000);
        const got = await storage.get('blob/c.json');
        expect(got?.contentType).toBe('application/json');
        expectBytes(await readBody(got!.body), data, 'body');
      });

      it('stores an empty object', async () => {
        const put = await storage.put('empty.bin', new Uint8Array(0), { contentType: 'application/octet-stream' });
        expect(put.bytes).toBe(0);
        const got = await storage.get('empty.bin');
        expect(got?.size).toBe(0);
        expect((await readBody(got!.body)).length).toBe(0);
        expect((await storage.head('empty.bin'))?.size).toBe(0);
      });

      it('stores deeply nested keys next to each other', async () => {
        await storage.put('n/a/b/c/one.bin', bytes(10, 5), { contentType: 'application/octet-stream' });
        await storage.put('n/a/b/two.bin', bytes(20, 6), { contentType: 'application/octet-stream' });
        expect((await storage.head('n/a/b/c/one.bin'))?.size).toBe(10);
        expect((await storage.head('n/a/b/two.bin'))?.size).toBe(20);
      });

      it('returns null for a missing key, from get and head', async () => {
        expect(await storage.get('missing/nothing.bin')).toBeNull();
        expect(await storage.head('missing/nothing.bin')).toBeNull();
        expect(await storage.get('missing/nothing.bin', { range: { start: 0, end: 1 } })).toBeNull();
      });

      it('keeps content types', async () => {
        const types = ['video/mp4', 'image/jpeg', 'image/png', 'video/webm; codecs="vp9, opus"', 'application/x-custom+json'];
        for (const [i, type] of types.entries()) await storage.put(`types/${i}.bin`, bytes(10 + i, i), { contentType: type });
        for (const [i, type] of types.entries()) {
          expect((await storage.head(`types/${i}.bin`))?.contentType, `head ${type}`).toBe(type);
          const got = await storage.get(`types/${i}.bin`);
          expect(got?.contentType, `get ${type}`).toBe(type);
          await got?.body.cancel();
        }
      });

      it('rejects a missing or header-unsafe content type with invalid_input', async () => {
        for (const contentType of ['', 'video/mp4\r\nX-Evil: 1']) {
          await expectGalleryError(storage.put('ct.bin', bytes(4, 1), { contentType }), ['invalid_input'], `contentType ${JSON.stringify(contentType)}`);
        }
        expect(await storage.head('ct.bin')).toBeNull();
      });
    });

    describe('ranges', () => {
      const data = bytes(1000, 7);
      beforeEach(async () => {
        await storage.put('r/obj.bin', data, { contentType: 'application/octet-stream' });
      });

      const cases: { name: string; range: { start: number; end?: number }; start: number; end: number }[] = [
        { name: 'closed', range: { start: 10, end: 19 }, start: 10, end: 19 },
        { name: 'open-ended', range: { start: 990 }, start: 990, end: 999 },
        { name: 'single last byte', range: { start: 999, end: 999 }, start: 999, end: 999 },
        { name: 'single first byte', range: { start: 0, end: 0 }, start: 0, end: 0 },
        { name: 'from 0, open-ended (whole object)', range: { start: 0 }, start: 0, end: 999 },
        { name: 'end past the last byte (clamped)', range: { start: 995, end: 5000 }, start: 995, end: 999 },
      ];
      for (const c of cases) {
        it(`reads a ${c.name} range`, async () => {
          const got = await storage.get('r/obj.bin', { range: c.range });
          expect(got).not.toBeNull();
          expect(got?.range).toEqual({ start: c.start, end: c.end });
          expect(got?.size, 'size is the total size').toBe(1000);
          expect(got?.contentType).toBe('application/octet-stream');
          expectBytes(await readBody(got!.body), data.slice(c.start, c.end + 1), 'range body');
        });
      }

      it('rejects a range starting at or past the end with invalid_input', async () => {
        await expectGalleryError(storage.get('r/obj.bin', { range: { start: 1000 } }), ['invalid_input'], 'start = size');
        await expectGalleryError(storage.get('r/obj.bin', { range: { start: 5000, end: 6000 } }), ['invalid_input'], 'start > size');
      });

      it('rejects any range on an empty object with invalid_input', async () => {
        await storage.put('r/empty.bin', new Uint8Array(0), { contentType: 'application/octet-stream' });
        await expectGalleryError(storage.get('r/empty.bin', { range: { start: 0 } }), ['invalid_input'], 'empty object');
      });

      it('rejects malformed ranges with invalid_input', async () => {
        const bad = [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { start: Number.NaN }];
        for (const range of bad) await expectGalleryError(storage.get('r/obj.bin', { range }), ['invalid_input'], `range ${JSON.stringify(range)}`);
      });
    });

    describe('head, overwrite and etags', () => {
      it('head matches get, and both are stable while the object is unchanged', async () => {
        const put = await storage.put('h/x.txt', bytes(321, 8), { contentType: 'text/plain' });
        const first = await storage.head('h/x.txt');
        expect(first).toMatchObject({ size: 321, contentType: 'text/plain' });
        if (put.etag !== undefined) expect(first?.etag).toBe(put.etag);
        const got = await storage.get('h/x.txt');
        await got?.body.cancel();
        expectSameInfo(got, first!, 'get vs head');
        expectSameInfo(await storage.head('h/x.txt'), first!, 'second head');
        if (first?.etag !== undefined) expect(first.etag.length).toBeGreaterThan(0);
      });

      it('an overwrite replaces body, size, content type and etag', async () => {
        await storage.put('h/y.bin', bytes(100, 9), { contentType: 'video/mp4' });
        const before = await storage.head('h/y.bin');
        const next = bytes(50, 10);
        const put = await storage.put('h/y.bin', next, { contentType: 'image/jpeg' });
        const after = await storage.head('h/y.bin');
        expect(after).toMatchObject({ size: 50, contentType: 'image/jpeg' });
        if (before?.etag !== undefined) expect(after?.etag).not.toBe(before.etag);
        if (put.etag !== undefined) expect(after?.etag).toBe(put.etag);
        expectBytes(await readBody((await storage.get('h/y.bin'))!.body), next, 'new body');
      });

      it('an overwrite with identical bytes still gives a valid, stable etag', async () => {
        const data = bytes(64, 11);
        await storage.put('h/z.bin', data, { contentType: 'application/octet-stream' });
        await storage.put('h/z.bin', data, { contentType: 'application/octet-stream' });
        const a = await storage.head('h/z.bin');
        const b = await storage.head('h/z.bin');
        expect(a?.etag).toBe(b?.etag);
      });
    });

    describe('delete', () => {
      it('removes the object and is idempotent', async () => {
        await storage.put('d/a.bin', bytes(10, 12), { contentType: 'application/octet-stream' });
        await storage.delete('d/a.bin');
        expect(await storage.head('d/a.bin')).toBeNull();
        expect(await storage.get('d/a.bin')).toBeNull();
        await expect(storage.delete('d/a.bin')).resolves.toBeUndefined();
        await expect(storage.delete('never/existed.bin')).resolves.toBeUndefined();
      });

      it('leaves other keys alone, and the key can be stored again', async () => {
        await storage.put('d/one.bin', bytes(10, 13), { contentType: 'application/octet-stream' });
        await storage.put('d/two.bin', bytes(20, 14), { contentType: 'application/octet-stream' });
        await storage.delete('d/one.bin');
        expect((await storage.head('d/two.bin'))?.size).toBe(20);
        await storage.put('d/one.bin', bytes(30, 15), { contentType: 'text/plain' });
        expect(await storage.head('d/one.bin')).toMatchObject({ size: 30, contentType: 'text/plain' });
      });
    });

    describe('streaming', () => {
      it(`streams a ${Math.round(largeBytes / MiB)} MiB object in and out${boundedMemory ? ' with bounded memory' : ''}`, async () => {
        const chunkBytes = 256 * 1024;
        const seed = 42;
        const writeHash = new RunningHash();
        // Collect garbage every few MiB when a collector can be had, so the peak measures what the storage keeps,
        // not chunks the test already dropped. Without one, V8 lets dead buffers pile up to tens of MiB.
        const gc = boundedMemory ? await findGc() : null;
        const limit = options.maxRssGrowthBytes ?? (gc ? Math.floor(largeBytes / 2) : largeBytes);
        gc?.();
        const baseline = currentRss();
        let peak = baseline ?? 0;
        let sinceGc = 0;
        const sample = (bytesMoved: number): void => {
          sinceGc += bytesMoved;
          if (gc && sinceGc >= 8 * MiB) {
            sinceGc = 0;
            gc();
          }
          const now = currentRss();
          if (now !== null && now > peak) peak = now;
        };
        if (boundedMemory && baseline !== null && !gc) {
          console.warn(`[video-gallery] ${title}: no garbage collector hook (run node with --expose-gc for a tighter check); allowing ${(limit / MiB).toFixed(0)} MiB of RSS growth.`);
        }
        let produced = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (produced >= largeBytes) {
              controller.close();
              return;
            }
            const length = Math.min(chunkBytes, largeBytes - produced);
            const chunk = patternBytes(produced, length, seed); // generated now; never kept
            writeHash.update(chunk);
            produced += length;
            sample(length);
            controller.enqueue(chunk);
          },
        }, { highWaterMark: 0 });
        const put = await storage.put('large/object.bin', source, { contentType: 'application/octet-stream' });
        expect(put.bytes).toBe(largeBytes);
        expect((await storage.head('large/object.bin'))?.size).toBe(largeBytes);

        const got = await storage.get('large/object.bin');
        expect(got?.size).toBe(largeBytes);
        const readHash = new RunningHash();
        const reader = got!.body.getReader();
        let read = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          readHash.update(value);
          read += value.length;
          sample(value.length);
        }
        expect(read).toBe(largeBytes);
        expect(readHash.digest(), 'hash of the bytes read back').toBe(writeHash.digest());

        const mid = Math.floor(largeBytes / 2) + 3;
        const ranged = await storage.get('large/object.bin', { range: { start: mid, end: mid + 99_999 } });
        expect(ranged?.range).toEqual({ start: mid, end: mid + 99_999 });
        expectBytes(await readBody(ranged!.body), patternBytes(mid, 100_000, seed), 'range in the middle of the large object');

        if (boundedMemory && baseline !== null) {
          const growth = peak - baseline;
          expect(growth, `peak RSS growth ${(growth / MiB).toFixed(1)} MiB must stay under ${(limit / MiB).toFixed(1)} MiB`).toBeLessThan(limit);
        }
      }, 180_000);
    });

    describe('abort and limits', () => {
      it('an aborted put keeps the previous object intact', async () => {
        const old = bytes(1000, 16);
        await storage.put('ab/key.bin', old, { contentType: 'text/plain' });
        const before = (await storage.head('ab/key.bin'))!;
        const controller = new AbortController();
        let pulls = 0;
        // Keeps producing after the abort and then ends normally: a storage that ignores the signal would commit.
        const source = new ReadableStream<Uint8Array>({
          pull(c) {
            pulls++;
            if (pulls === 3) controller.abort();
            if (pulls > 20) c.close();
            else c.enqueue(bytes(64 * 1024, pulls));
          },
        }, { highWaterMark: 0 });
        await expectAborted(storage.put('ab/key.bin', source, { contentType: 'video/mp4', signal: controller.signal }), 'aborted put');
        expectSameInfo(await storage.head('ab/key.bin'), before, 'head after the aborted put');
        const got = await storage.get('ab/key.bin');
        expect(got?.contentType).toBe('text/plain');
        expectBytes(await readBody(got!.body), old, 'old body');
      });

      it('an aborted put of a new key leaves nothing visible', async () => {
        const controller = new AbortController();
        let pulls = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(c) {
            pulls++;
            if (pulls === 2) controller.abort();
            if (pulls > 10) c.close();
            else c.enqueue(bytes(32 * 1024, pulls));
          },
        }, { highWaterMark: 0 });
        await expectAborted(storage.put('ab/new.bin', source, { contentType: 'video/mp4', signal: controller.signal }), 'aborted put');
        expect(await storage.head('ab/new.bin')).toBeNull();
        expect(await storage.get('ab/new.bin')).toBeNull();
      });

      it('abort releases a put whose body has stalled, and cancels that body', async () => {
        const controller = new AbortController();
        let stalled!: () => void;
        const reachedStall = new Promise<void>((resolve) => {
          stalled = resolve;
        });
        let cancelled = false;
        let pulls = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(c) {
            pulls++;
            if (pulls === 1) {
              c.enqueue(bytes(1024, 1));
              return undefined;
            }
            stalled();
            return new Promise<void>(() => {}); // never produces again
          },
          cancel() {
            cancelled = true;
          },
        }, { highWaterMark: 0 });
        const put = storage.put('ab/stall.bin', source, { contentType: 'video/mp4', signal: controller.signal });
        await reachedStall;
        controller.abort();
        await expectAborted(put, 'stalled put');
        expect(cancelled, 'the body stream was cancelled').toBe(true);
        expect(await storage.head('ab/stall.bin')).toBeNull();
      });

      it('an already aborted signal rejects without storing', async () => {
        await expectAborted(storage.put('ab/pre.bin', bytes(10, 1), { contentType: 'video/mp4', signal: AbortSignal.abort() }), 'pre-aborted put');
        expect(await storage.head('ab/pre.bin')).toBeNull();
      });

      it('a body over maxBytes is refused, stores nothing and keeps the previous object', async () => {
        const old = bytes(10, 17);
        await storage.put('lim/key.bin', old, { contentType: 'text/plain' });
        const before = (await storage.head('lim/key.bin'))!;
        await expectGalleryError(storage.put('lim/key.bin', bytes(101, 18), { contentType: 'video/mp4', maxBytes: 100 }), ['storage_failed', 'invalid_input'], 'Uint8Array over maxBytes');
        await expectGalleryError(storage.put('lim/key.bin', streamOf(split(bytes(5000, 19), 1000)), { contentType: 'video/mp4', maxBytes: 4999 }), ['storage_failed', 'invalid_input'], 'stream over maxBytes');
        await expectGalleryError(storage.put('lim/new.bin', new Blob([bytes(200, 20)]), { contentType: 'video/mp4', maxBytes: 199 }), ['storage_failed', 'invalid_input'], 'Blob over maxBytes');
        expectSameInfo(await storage.head('lim/key.bin'), before, 'previous object');
        expect(await storage.head('lim/new.bin')).toBeNull();
        const exact = await storage.put('lim/exact.bin', streamOf(split(bytes(5000, 21), 1000)), { contentType: 'video/mp4', maxBytes: 5000 });
        expect(exact.bytes).toBe(5000);
      });

      it('get with an aborted signal rejects, and aborting mid-read errors the body', async () => {
        await storage.put('ab/read.bin', bytes(2 * MiB, 22), { contentType: 'application/octet-stream' });
        await expectAborted(storage.get('ab/read.bin', { signal: AbortSignal.abort() }), 'pre-aborted get');
        const controller = new AbortController();
        const got = await storage.get('ab/read.bin', { signal: controller.signal });
        const reader = got!.body.getReader();
        const first = await reader.read();
        expect(first.done).toBe(false);
        controller.abort();
        const rest = (async () => {
          for (;;) if ((await reader.read()).done) return 'completed';
        })();
        await expectAborted(rest, 'reading after abort');
      });
    });

    describe('concurrency', () => {
      it('5 concurrent puts to one key end with exactly one whole body and its content type', async () => {
        const bodies = Array.from({ length: 5 }, (_, i) => ({ data: bytes(200_000 + i * 7919, 100 + i), contentType: `application/x-test-${i}` }));
        const results = await Promise.allSettled(bodies.map((b) => storage.put('cc/key.bin', streamOf(split(b.data, 16 * 1024)), { contentType: b.contentType })));
        expect(results.filter((r) => r.status === 'fulfilled').length, 'at least one put succeeds').toBeGreaterThan(0);
        const got = await storage.get('cc/key.bin');
        const data = await readBody(got!.body);
        const winner = bodies.findIndex((b) => sameBytes(b.data, data));
        expect(winner, 'the stored bytes are exactly one of the bodies').toBeGreaterThanOrEqual(0);
        expect(got?.size).toBe(bodies[winner]!.data.length);
        expect(got?.contentType, 'content type belongs to the stored body').toBe(bodies[winner]!.contentType);
        expect(results[winner]?.status, 'the stored body\'s put succeeded').toBe('fulfilled');
        expect(await storage.head('cc/key.bin')).toMatchObject({ size: bodies[winner]!.data.length, contentType: bodies[winner]!.contentType });
      });
    });

    describe('keys', () => {
      for (const key of INVALID_KEYS) {
        it(`rejects the key ${JSON.stringify(key)} with invalid_input everywhere`, async () => {
          await expectGalleryError(storage.put(key, bytes(1, 1), { contentType: 'text/plain' }), ['invalid_input'], 'put');
          await expectGalleryError(storage.get(key), ['invalid_input'], 'get');
          await expectGalleryError(storage.head(key), ['invalid_input'], 'head');
          await expectGalleryError(storage.delete(key), ['invalid_input'], 'delete');
          if (storage.url) await expectGalleryError(storage.url(key), ['invalid_input'], 'url');
        });
      }

      it('accepts every character keys may use', async () => {
        const key = 'Az09._-/x.y_z-1/FILE.MP4';
        await storage.put(key, bytes(3, 1), { contentType: 'video/mp4' });
        expect((await storage.head(key))?.size).toBe(3);
      });
    });

    describe('url', () => {
      if (supportsUrl === false) {
        it('has no URL (url() missing or null)', async () => {
          await storage.put('u/a.mp4', bytes(3, 1), { contentType: 'video/mp4' });
          if (storage.url) expect(await storage.url('u/a.mp4')).toBeNull();
          else expect(storage.url).toBeUndefined();
        });
      } else {
        it(`gives a ${supportsUrl} URL naming the key`, async () => {
          await storage.put('u/dir/a.mp4', bytes(3, 1), { contentType: 'video/mp4' });
          expect(storage.url, 'url() is implemented').toBeTypeOf('function');
          const url = await storage.url!('u/dir/a.mp4', { expiresInSeconds: 60 });
          expect(typeof url).toBe('string');
          const parsed = new URL(url!, 'http://relative.invalid/');
          expect(parsed.pathname.endsWith('/u/dir/a.mp4'), `pathname ${parsed.pathname} ends with the key`).toBe(true);
          if (supportsUrl === 'public') expect(await storage.url!('u/dir/a.mp4'), 'a public URL is stable').toBe(url);
          else expect(parsed.search.length, 'a signed URL carries a query').toBeGreaterThan(1);
        });
      }
    });
  });
}
