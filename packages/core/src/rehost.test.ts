import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderOutput } from './contracts/provider.js';
import { GalleryError } from './errors.js';
import { createNodeDownloader } from './node/download.js';
import { createFetchDownloader, rehost, sniffVideoType, type Downloader, type RehostOptions } from './rehost.js';
import { createCountingStorage, fileHandler, sha256, startServer, videoBytes, type FileServerOptions, type LoopbackServer, type CountingStorage } from './test-helpers/loopback.js';
import { galleryErrorOf as rejection } from './testing/gallery-error-of.js';

const MiB = 1024 * 1024;
const BODY = videoBytes(6 * MiB, 42);
const BODY_HASH = sha256(BODY);
const KEY = 'videos/a.mp4';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: FileServerOptions = {}, body: Uint8Array = BODY): Promise<LoopbackServer> {
  const server = await startServer(fileHandler(body, options));
  servers.push(server);
  return server;
}


interface Run {
  storage: CountingStorage;
  delays: number[];
  progress: Array<[number, number | undefined]>;
  promise: ReturnType<typeof rehost>;
}

function run(server: LoopbackServer | null, overrides: Partial<RehostOptions> & { expiresAt?: string; downloader?: Downloader } = {}): Run {
  const storage = createCountingStorage();
  const delays: number[] = [];
  const progress: Array<[number, number | undefined]> = [];
  const { expiresAt, ...rest } = overrides;
  const output: ProviderOutput = { url: `${server?.origin ?? 'http://127.0.0.1:1'}/video.mp4`, ...(expiresAt ? { expiresAt } : {}) };
  const promise = rehost({
    output,
    storage,
    key: KEY,
    downloader: createNodeDownloader({ trustedOrigins: server ? [server.origin] : [] }),
    retryDelay: async (attempt) => { delays.push(attempt); },
    onProgress: (bytes, total) => { progress.push([bytes, total]); },
    ...rest,
  });
  return { storage, delays, progress, promise };
}

async function stored(storage: CountingStorage): Promise<Uint8Array> {
  const data = await storage.read(KEY);
  if (!data) throw new Error('nothing stored');
  return data;
}

describe('rehost: happy path', () => {
  it('streams a multi-MB body into storage byte for byte', async () => {
    const server = await serve();
    const { storage, progress, promise } = run(server);
    expect(await promise).toEqual({ bytes: BODY.byteLength, contentType: 'video/mp4' });
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(await storage.head(KEY)).toMatchObject({ size: BODY.byteLength, contentType: 'video/mp4' });
    expect(storage.putCalls).toBe(1);
    expect(progress.at(-1)).toEqual([BODY.byteLength, BODY.byteLength]);
    expect(progress.every(([bytes], i) => i === 0 || bytes > progress[i - 1]![0])).toBe(true);
  });

  it('works the same through createFetchDownloader', async () => {
    const server = await serve();
    const { storage, promise } = run(server, { downloader: createFetchDownloader({ trustedOrigins: [server.origin] }) });
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
  });

  it('re-hosts an `open` output', async () => {
    const offsets: number[] = [];
    const output: ProviderOutput = {
      open: async ({ offset = 0 }) => {
        offsets.push(offset);
        return { body: chunked(BODY.subarray(offset), 256 * 1024), contentType: 'video/webm', size: BODY.byteLength };
      },
    };
    const { storage, promise } = run(null, { output });
    expect(await promise).toEqual({ bytes: BODY.byteLength, contentType: 'video/webm' });
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(offsets).toEqual([0]);
  });
});

describe('rehost: interrupted transfers', () => {
  it('resumes with Range after a cut when the server supports it', async () => {
    const server = await serve({ ranges: true, etag: '"abc"', cutAfter: (i) => (i === 0 ? 2_500_000 : undefined) });
    const { storage, delays, promise } = run(server);
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.headers.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1]!.headers.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(2_500_000);
    expect(server.requests[1]!.headers['if-range']).toBe('"abc"');
    expect(delays).toEqual([1]);
    expect(storage.putCalls).toBe(1);
  });

  it('restarts from the first byte (skipping what it has) when the server ignores Range', async () => {
    const server = await serve({ ranges: false, cutAfter: (i) => (i === 0 ? 2_500_000 : undefined) });
    const { storage, delays, promise } = run(server);
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers.range).toMatch(/^bytes=\d+-$/); // asked, got a full 200
    expect(delays).toEqual([1]);
  });

  it('resumes through createFetchDownloader too', async () => {
    const server = await serve({ ranges: true, cutAfter: (i) => (i === 0 ? 3_000_000 : undefined) });
    const { storage, promise } = run(server, { downloader: createFetchDownloader({ trustedOrigins: [server.origin] }) });
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(server.requests).toHaveLength(2);
  });

  it('progress renews the retry budget: many cuts with Range still finish', async () => {
    const server = await serve({ ranges: true, cutAfter: () => MiB });
    const { storage, promise } = run(server, { retries: 1 });
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(server.requests.length).toBeGreaterThanOrEqual(6);
  });

  it('gives up after the retries without progress, stores nothing and leaves an existing object alone', async () => {
    const server = await serve({ ranges: false, cutAfter: () => MiB });
    const r = run(server, { retries: 2 });
    const existing = new TextEncoder().encode('old video');
    await r.storage.put('videos/other.mp4', existing, { contentType: 'video/mp4' });
    r.storage.putCalls = 0;
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Gave up after 3 attempts without progress/);
    expect(server.requests).toHaveLength(3);
    expect(r.delays).toEqual([1, 2]);
    expect(await r.storage.head(KEY)).toBeNull();
    expect(await r.storage.read('videos/other.mp4')).toEqual(existing);
  });

  it('does not retry once the source has expired', async () => {
    const server = await serve({ ranges: true, cutAfter: (i) => (i === 0 ? MiB : undefined) });
    const r = run(server, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    const error = await rejection(r.promise);
    expect(error.code).toBe('expired');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/expired at .* not retried/);
    expect(server.requests).toHaveLength(1);
    expect(r.delays).toEqual([]);
    expect(await r.storage.head(KEY)).toBeNull();
  });

  it('still retries a source whose expiresAt is in the future', async () => {
    const server = await serve({ ranges: true, cutAfter: (i) => (i === 0 ? MiB : undefined) });
    const r = run(server, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await r.promise).bytes).toBe(BODY.byteLength);
    expect(server.requests).toHaveLength(2);
  });

  it('refuses to splice a source that changed between attempts', async () => {
    const server = await startServer((req, res, i) => fileHandler(BODY, { etag: `"v${i}"`, cutAfter: () => (i === 0 ? MiB : undefined) })(req, res, i));
    servers.push(server);
    const r = run(server);
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.message).toMatch(/changed while it was being downloaded/);
    expect(server.requests).toHaveLength(2);
    expect(await r.storage.head(KEY)).toBeNull();
  });

  it('resumes an `open` output from the byte count reached', async () => {
    const offsets: number[] = [];
    const output: ProviderOutput = {
      open: async ({ offset = 0 }) => {
        offsets.push(offset);
        const rest = BODY.subarray(offset);
        return { body: offsets.length === 1 ? chunked(rest, 64 * 1024, 2 * MiB) : chunked(rest, 64 * 1024), size: BODY.byteLength, contentType: 'video/mp4' };
      },
    };
    const { storage, promise } = run(null, { output });
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(offsets).toEqual([0, 2 * MiB]);
  });
});

describe('rehost: status codes', () => {
  it('retries a 5xx and then succeeds', async () => {
    const server = await serve({ status: (i) => (i === 0 ? 503 : undefined) });
    const { storage, delays, promise } = run(server);
    expect((await promise).bytes).toBe(BODY.byteLength);
    expect(sha256(await stored(storage))).toBe(BODY_HASH);
    expect(delays).toEqual([1]);
  });

  it('does not retry a 404 (probably an expired URL)', async () => {
    const server = await serve({ status: () => 404 });
    const r = run(server);
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/answered 404: the result URL has probably expired/);
    expect(server.requests).toHaveLength(1);
    expect(r.storage.putCalls).toBe(0);
  });

  it('reports a 403 after expiresAt as expired', async () => {
    const server = await serve({ status: () => 403 });
    const error = await rejection(run(server, { expiresAt: '2020-01-01T00:00:00Z' }).promise);
    expect(error.code).toBe('expired');
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});

describe('rehost: size and type checks', () => {
  it('refuses a Content-Length over maxBytes before storing anything', async () => {
    const server = await serve();
    const r = run(server, { maxBytes: MiB });
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/too large: it declares 6291456 bytes, and the limit is 1048576 bytes \(maxBytes\)/);
    expect(r.storage.putCalls).toBe(0);
    expect(await r.storage.head(KEY)).toBeNull();
  });

  it('counts bytes when there is no Content-Length and aborts past maxBytes', async () => {
    const server = await serve({ contentLength: false });
    const r = run(server, { maxBytes: MiB });
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/more than 1048576 bytes arrived/);
    expect(r.storage.putCalls).toBe(1); // streaming had started
    expect(await r.storage.head(KEY)).toBeNull();
    expect(r.progress.at(-1)![0]).toBeLessThanOrEqual(MiB);
  });

  it('stops reading a source that sends more than the size it declared', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = videoBytes(64 * 1024, pulled + 1);
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const r = run(null, { output: { open: async () => ({ body: endless, size: 100_000, contentType: 'video/mp4' }) }, maxBytes: 4 * MiB });
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.message).toMatch(/sent more bytes than the 100000 it declared/);
    expect(await r.storage.head(KEY)).toBeNull();
    expect(pulled).toBeLessThan(MiB);
  });

  it('stops an endless source without a declared size at maxBytes', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = videoBytes(64 * 1024, pulled + 1);
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const r = run(null, { output: { open: async () => ({ body: endless, contentType: 'video/mp4' }) }, maxBytes: 2 * MiB });
    const error = await rejection(r.promise);
    expect(error.message).toMatch(/more than 2097152 bytes arrived/);
    expect(await r.storage.head(KEY)).toBeNull();
    expect(pulled).toBeLessThan(3 * MiB);
  });

  it('refuses a non-video content type without storing or retrying', async () => {
    const server = await serve({ contentType: 'text/html; charset=utf-8' });
    const r = run(server);
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/served as text\/html, which is not an accepted video type \(video\/mp4, video\/webm, video\/quicktime\)/);
    expect(r.storage.putCalls).toBe(0);
    expect(await r.storage.head(KEY)).toBeNull();
    expect(server.requests).toHaveLength(1);
  });

  it('accepts a custom allowedContentTypes list', async () => {
    const server = await serve({ contentType: 'video/x-matroska' }, BODY.subarray(0, 1000));
    const { promise } = run(server, { allowedContentTypes: ['video/x-matroska'] });
    expect(await promise).toEqual({ bytes: 1000, contentType: 'video/x-matroska' });
  });

  it('sniffs octet-stream and untyped bodies', async () => {
    const mp4 = await serve({ contentType: 'application/octet-stream' });
    expect((await run(mp4).promise).contentType).toBe('video/mp4');

    const webmBytes = videoBytes(4096, 3, false);
    webmBytes.set([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d]); // EBML, DocType "webm"
    const webm = await serve({ contentType: 'binary/octet-stream' }, webmBytes);
    expect(await run(webm).promise).toEqual({ bytes: 4096, contentType: 'video/webm' });

    const qtBytes = videoBytes(4096, 4, false);
    qtBytes.set([0, 0, 0, 0x14, 0x66, 0x74, 0x79, 0x70, 0x71, 0x74, 0x20, 0x20]); // ftyp "qt  "
    const qt = await serve({ contentType: null }, qtBytes);
    expect((await run(qt).promise).contentType).toBe('video/quicktime');
  });

  it('refuses octet-stream whose first bytes are not a video', async () => {
    const server = await serve({ contentType: 'application/octet-stream' }, videoBytes(100_000, 5, false));
    const r = run(server);
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/first bytes are not a known video signature/);
    expect(await r.storage.head(KEY)).toBeNull();
  });

  it('refuses an empty body', async () => {
    const server = await serve({}, new Uint8Array(0));
    const error = await rejection(run(server).promise);
    expect(error.message).toMatch(/is empty/);
  });
});

describe('rehost: guard, cancellation and storage errors', () => {
  it('refuses an untrusted loopback URL without a request', async () => {
    const server = await serve();
    const r = run(server, { downloader: createNodeDownloader({ allowHttp: true }) });
    const error = await rejection(r.promise);
    expect(error.code).toBe('download_failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/loopback/);
    expect(server.requests).toHaveLength(0);
    expect(r.delays).toEqual([]);
  });

  it('an abort stops the transfer, stores nothing and rejects with the signal reason', async () => {
    const server = await serve({ contentLength: false });
    const controller = new AbortController();
    const storage = createCountingStorage();
    const promise = rehost({
      output: { url: `${server.origin}/v.mp4` }, storage, key: KEY,
      downloader: createNodeDownloader({ trustedOrigins: [server.origin] }),
      signal: controller.signal,
      onProgress: (bytes) => { if (bytes > MiB) controller.abort(); },
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(await storage.head(KEY)).toBeNull();
  });

  it('passes a storage failure through and releases the source', async () => {
    const server = await serve();
    const storage = createCountingStorage();
    storage.put = async () => { throw new GalleryError('storage_failed', 'disk full'); };
    const error = await rejection(rehost({ output: { url: `${server.origin}/v.mp4` }, storage, key: KEY, downloader: createNodeDownloader({ trustedOrigins: [server.origin] }) }));
    expect(error.code).toBe('storage_failed');
    expect(error.message).toBe('disk full');
  });

  it('validates the key before any request', async () => {
    const server = await serve();
    const error = await rejection(run(server, { key: '../escape.mp4' }).promise);
    expect(error.code).toBe('invalid_input');
    expect(server.requests).toHaveLength(0);
  });
});

describe('createFetchDownloader', () => {
  it('refuses private and loopback literals before any request', async () => {
    const server = await serve();
    const download = createFetchDownloader({ allowHttp: true });
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0', 'localhost', '[::ffff:7f00:1]']) {
      const error = await rejection(download(`http://${host}:${server.port}/v.mp4`));
      expect(error.message).toMatch(/Refusing to download/);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('checks every redirect hop: a trusted origin cannot send it to an untrusted loopback server', async () => {
    const b = await serve();
    const a = await startServer((req, res) => {
      if (req.url === '/same') return void res.writeHead(302, { location: '/file' }).end();
      if (req.url === '/file') return fileHandler(BODY.subarray(0, 100))(req, res, 0);
      res.writeHead(302, { location: `${b.origin}/v.mp4` }).end();
    });
    servers.push(a);
    const strict = createFetchDownloader({ trustedOrigins: [a.origin] });
    const error = await rejection(strict(`${a.origin}/go`));
    expect(error.message).toMatch(/Refusing the redirect from/);
    expect(b.requests).toHaveLength(0);

    const same = await strict(`${a.origin}/same`, { headers: { authorization: 'Bearer t' } });
    expect(same.finalUrl).toBe(`${a.origin}/file`);
    await same.body.cancel();
    expect(a.requests.at(-1)!.headers.authorization).toBe('Bearer t');

    const open = createFetchDownloader({ allowHttp: true, allowPrivateNetwork: true });
    const cross = await open(`${a.origin}/go`, { headers: { authorization: 'Bearer t', 'x-goog-api-key': 'k' }, offset: 5 });
    expect(cross.status).toBe(200);
    await cross.body.cancel();
    expect(b.requests[0]!.headers.authorization).toBeUndefined();
    expect(b.requests[0]!.headers['x-goog-api-key']).toBeUndefined();
    expect(b.requests[0]!.headers.range).toBe('bytes=5-');
  });

  it('fails clearly where the platform hides redirect targets', async () => {
    const fakeFetch = (async () => ({ type: 'opaqueredirect', status: 0, headers: new Headers(), body: null }) as unknown as Response) as typeof fetch;
    const error = await rejection(createFetchDownloader({ fetch: fakeFetch })('https://cdn.example.com/v.mp4'));
    expect(error.message).toMatch(/hides redirect targets/);
  });
});

describe('sniffVideoType', () => {
  it('recognises the signatures', () => {
    expect(sniffVideoType(new Uint8Array([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]))).toBe('video/mp4');
    expect(sniffVideoType(new Uint8Array([0, 0, 0, 0x08, 0x6d, 0x6f, 0x6f, 0x76]))).toBe('video/quicktime');
    expect(sniffVideoType(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x42, 0x82, 0x88, ...new TextEncoder().encode('matroska')]))).toBe('video/x-matroska');
    expect(sniffVideoType(new TextEncoder().encode('<!doctype html><html>'))).toBeNull();
    expect(sniffVideoType(new Uint8Array([0, 0]))).toBeNull();
  });
});

/** A stream of `bytes` in chunks; with `failAt`, it errors (like a cut connection) after that many bytes. */
function chunked(bytes: Uint8Array, size: number, failAt?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAt !== undefined && at >= failAt) return controller.error(new Error('socket hang up'));
      if (at >= bytes.byteLength) return controller.close();
      const end = Math.min(at + size, bytes.byteLength, failAt ?? Number.POSITIVE_INFINITY);
      controller.enqueue(bytes.slice(at, end));
      at = end;
    },
  });
}
