import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStorage } from '../contracts/storage.js';
import { VideoGallery } from '../gallery.js';
import { createMemoryEntryStore } from '../memory-store.js';
import { inProcessRunner } from '../runner.js';
import { createGalleryHandler, type GalleryHandler } from '../server/handler.js';
import { makeEntry } from './entry-fixtures.js';
import { createFakeProvider } from './fake-provider.js';

/** Options of {@link testHttpRanges}. */
export interface HttpRangeSuiteOptions {
  /** Required. Shown in the describe block: `HTTP range conformance: <name>`. */
  name: string;
  /** Required. Makes an empty storage for the suite; `cleanup` (if any) runs after it. */
  create: () => Promise<{ storage: BlobStorage; cleanup?: () => Promise<void> }>;
  /** Skip, with the reason when a string. Prints a warning; with `VG_REQUIRE_ALL=1` the suite fails instead. Default `false`. */
  skip?: boolean | string;
}

interface Context {
  etag: string;
  lastModified: string | null;
  size: number;
}

interface RangeCase {
  name: string;
  method?: 'GET' | 'HEAD';
  headers: (context: Context) => Record<string, string>;
  status: 200 | 206 | 304 | 416;
  /** The inclusive byte range the body must hold (206), `'full'` for the whole object, `'none'` for no body. */
  body: [number, number] | 'full' | 'none';
}

const SIZE = 10_000;
const OWNER = 'range-owner';

function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 3) % 256;
  return bytes;
}

const CASES: RangeCase[] = [
  { name: 'no Range → 200 whole', headers: () => ({}), status: 200, body: 'full' },
  { name: 'closed range', headers: () => ({ range: 'bytes=0-99' }), status: 206, body: [0, 99] },
  { name: 'closed range in the middle', headers: () => ({ range: 'bytes=1000-1999' }), status: 206, body: [1000, 1999] },
  { name: 'one byte', headers: () => ({ range: 'bytes=5-5' }), status: 206, body: [5, 5] },
  { name: 'open-ended', headers: () => ({ range: 'bytes=9000-' }), status: 206, body: [9000, SIZE - 1] },
  { name: 'suffix', headers: () => ({ range: 'bytes=-100' }), status: 206, body: [SIZE - 100, SIZE - 1] },
  { name: 'suffix longer than the object', headers: () => ({ range: 'bytes=-20000' }), status: 206, body: [0, SIZE - 1] },
  { name: 'end past the object is clamped', headers: () => ({ range: 'bytes=9990-20000' }), status: 206, body: [9990, SIZE - 1] },
  { name: 'unit is case-insensitive, spaces allowed', headers: () => ({ range: 'Bytes= 10-19 ' }), status: 206, body: [10, 19] },
  { name: 'start at the size → 416', headers: () => ({ range: `bytes=${SIZE}-` }), status: 416, body: 'none' },
  { name: 'start past the end → 416', headers: () => ({ range: 'bytes=20000-30000' }), status: 416, body: 'none' },
  { name: 'empty suffix → 416', headers: () => ({ range: 'bytes=-0' }), status: 416, body: 'none' },
  { name: 'huge numbers → 416', headers: () => ({ range: 'bytes=99999999999999999999-' }), status: 416, body: 'none' },
  { name: 'multiple ranges → 200 whole', headers: () => ({ range: 'bytes=0-9,20-29' }), status: 200, body: 'full' },
  { name: 'malformed: letters → ignored', headers: () => ({ range: 'bytes=abc' }), status: 200, body: 'full' },
  { name: 'malformed: last < first → ignored', headers: () => ({ range: 'bytes=50-10' }), status: 200, body: 'full' },
  { name: 'malformed: no spec → ignored', headers: () => ({ range: 'bytes=' }), status: 200, body: 'full' },
  { name: 'malformed: no dash → ignored', headers: () => ({ range: 'bytes=100' }), status: 200, body: 'full' },
  { name: 'other unit → ignored', headers: () => ({ range: 'items=0-9' }), status: 200, body: 'full' },
  { name: 'If-Range strong match → 206', headers: (c) => ({ range: 'bytes=0-9', 'if-range': c.etag }), status: 206, body: [0, 9] },
  { name: 'If-Range other ETag → 200 whole', headers: () => ({ range: 'bytes=0-9', 'if-range': '"something-else"' }), status: 200, body: 'full' },
  { name: 'If-Range weak ETag → 200 whole', headers: (c) => ({ range: 'bytes=0-9', 'if-range': `W/${c.etag}` }), status: 200, body: 'full' },
  { name: 'If-Range date → 200 whole', headers: (c) => ({ range: 'bytes=0-9', 'if-range': c.lastModified ?? new Date().toUTCString() }), status: 200, body: 'full' },
  { name: 'HEAD → 200 headers only', method: 'HEAD', headers: () => ({}), status: 200, body: 'none' },
  { name: 'HEAD ignores Range', method: 'HEAD', headers: () => ({ range: 'bytes=0-9' }), status: 200, body: 'none' },
  { name: 'If-None-Match current → 304', headers: (c) => ({ 'if-none-match': c.etag }), status: 304, body: 'none' },
  { name: 'If-None-Match weak form of current → 304', headers: (c) => ({ 'if-none-match': `"x", W/${c.etag}` }), status: 304, body: 'none' },
  { name: 'If-None-Match * → 304', headers: () => ({ 'if-none-match': '*' }), status: 304, body: 'none' },
  { name: 'If-None-Match other → 200', headers: () => ({ 'if-none-match': '"other"' }), status: 200, body: 'full' },
  { name: 'If-None-Match on HEAD → 304', method: 'HEAD', headers: (c) => ({ 'if-none-match': c.etag }), status: 304, body: 'none' },
  { name: 'If-Modified-Since later → 304', headers: () => ({ 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }), status: 304, body: 'none' },
  { name: 'If-Modified-Since earlier → 200', headers: () => ({ 'if-modified-since': new Date(0).toUTCString() }), status: 200, body: 'full' },
  { name: 'If-Modified-Since ignored when If-None-Match does not match', headers: () => ({ 'if-none-match': '"other"', 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() }), status: 200, body: 'full' },
  { name: 'invalid If-Modified-Since → 200', headers: () => ({ 'if-modified-since': 'yesterday' }), status: 200, body: 'full' },
  { name: 'Range with a non-matching If-None-Match → 206', headers: () => ({ range: 'bytes=0-9', 'if-none-match': '"other"' }), status: 206, body: [0, 9] },
];

/**
 * HTTP range and conditional-request conformance (RFC 9110) of `GET/HEAD /generations/:id/video`, served by
 * `createGalleryHandler` from a given blob storage. One table, run per storage: adding an adapter is one call.
 */
export function testHttpRanges(options: HttpRangeSuiteOptions): void {
  const title = `HTTP range conformance: ${options.name}`;
  const skipReason = options.skip === true ? 'skipped by its caller' : typeof options.skip === 'string' && options.skip !== '' ? options.skip : null;
  if (skipReason !== null) {
    if (process.env.VG_REQUIRE_ALL === '1') {
      describe(title, () => {
        it('runs (VG_REQUIRE_ALL=1 forbids skipping)', () => {
          throw new Error(`${title} cannot run: ${skipReason}`);
        });
      });
      return;
    }
    console.warn(`[video-gallery] SKIPPED ${title}: ${skipReason}. Set VG_REQUIRE_ALL=1 to make this a failure.`);
  }
  describe.skipIf(skipReason !== null)(title, () => {
    const bytes = pattern(SIZE);
    let handler: GalleryHandler;
    let gallery: VideoGallery;
    let storage: BlobStorage;
    let cleanup: (() => Promise<void>) | undefined;
    let id: string;
    let context: Context;
    const call = (method: string, headers: Record<string, string>, query = '') =>
      handler(new Request(`http://range.test/api/gallery/generations/${id}/video${query}`, { method, headers: { authorization: OWNER, ...headers } }));

    beforeAll(async () => {
      ({ storage, cleanup } = await options.create());
      const store = createMemoryEntryStore();
      gallery = new VideoGallery({ providers: [createFakeProvider()], storage, store, runner: inProcessRunner(), logger: { warn: () => {} } });
      handler = createGalleryHandler(gallery, { authenticate: (request) => request.headers.get('authorization'), logger: { warn: () => {} } });
      const entry = makeEntry({ owner: OWNER, status: 'ready', request: { prompt: 'Range "test"/clip' } });
      const key = `videos/${entry.id}.mp4`;
      await storage.put(key, bytes, { contentType: 'video/mp4' });
      entry.video = { key, contentType: 'video/mp4', bytes: SIZE, durationSeconds: 1, width: 16, height: 16 };
      await store.insert(entry);
      id = entry.id;
      const first = await call('HEAD', {});
      context = { etag: first.headers.get('etag')!, lastModified: first.headers.get('last-modified'), size: SIZE };
    });
    afterAll(async () => {
      handler?.close();
      await gallery?.runner.close();
      await cleanup?.();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const method = c.method ?? 'GET';
        const response = await call(method, c.headers(context));
        expect(response.status).toBe(c.status);
        const body = new Uint8Array(await response.arrayBuffer());
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        if (c.status === 304) {
          expect(body.byteLength).toBe(0);
          expect(response.headers.get('etag')).toBe(context.etag);
          expect(response.headers.get('content-range')).toBeNull();
          return;
        }
        if (c.status === 416) {
          expect(response.headers.get('content-range')).toBe(`bytes */${SIZE}`);
          return;
        }
        expect(response.headers.get('accept-ranges')).toBe('bytes');
        expect(response.headers.get('etag')).toBe(context.etag);
        expect(response.headers.get('content-type')).toBe('video/mp4');
        if (c.body === 'none') {
          expect(body.byteLength).toBe(0);
          expect(response.headers.get('content-length')).toBe(String(SIZE));
          expect(response.headers.get('content-range')).toBeNull();
        } else if (c.body === 'full') {
          expect(response.headers.get('content-range')).toBeNull();
          expect(response.headers.get('content-length')).toBe(String(SIZE));
          expect(body).toEqual(bytes);
        } else {
          const [start, end] = c.body;
          expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
          expect(response.headers.get('content-length')).toBe(String(end - start + 1));
          expect(body).toEqual(bytes.slice(start, end + 1));
        }
      });
    }

    it('a strong ETag and a Last-Modified date', () => {
      expect(context.etag).toMatch(/^"[^"]+"$/);
      if (context.lastModified !== null) expect(Number.isNaN(Date.parse(context.lastModified))).toBe(false);
    });

    it('?download=1: a Content-Disposition safe for any prompt text', async () => {
      const response = await call('GET', { range: 'bytes=0-0' }, '?download=1');
      expect(response.status).toBe(206);
      await response.body?.cancel();
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="Range test clip.mp4"; filename*=UTF-8''Range%20test%20clip.mp4`);
    });

    it('an overwrite changes the ETag: the old one no longer satisfies If-Range or If-None-Match', async () => {
      const entry = (await gallery.get(id))!;
      const other = pattern(SIZE).reverse();
      await storage.put(entry.video!.key, other, { contentType: 'video/mp4' });
      const head = await call('HEAD', {});
      const etag = head.headers.get('etag');
      expect(etag).not.toBe(context.etag);
      const ranged = await call('GET', { range: 'bytes=0-9', 'if-range': context.etag });
      expect(ranged.status).toBe(200);
      expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(other);
      expect((await call('GET', { 'if-none-match': context.etag })).status).toBe(200);
      const matched = await call('GET', { range: 'bytes=0-9', 'if-range': etag! });
      expect(matched.status).toBe(206);
      expect(new Uint8Array(await matched.arrayBuffer())).toEqual(other.slice(0, 10));
    });

    it('a stale recorded size (the object shrank) still answers correctly: 416 for past the new end, 206 clamped', async () => {
      const entry = (await gallery.get(id))!;
      await storage.put(entry.video!.key, pattern(100), { contentType: 'video/mp4' });
      const past = await call('GET', { range: 'bytes=500-' });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe('bytes */100');
      const suffix = await call('GET', { range: 'bytes=-10' });
      expect(suffix.status).toBe(206);
      expect(suffix.headers.get('content-range')).toBe('bytes 90-99/100');
      expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(pattern(100).slice(90));
      const whole = await call('GET', {});
      expect(whole.headers.get('content-length')).toBe('100');
      expect(new Uint8Array(await whole.arrayBuffer())).toEqual(pattern(100));
    });
  });
}
