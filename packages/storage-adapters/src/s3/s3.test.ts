import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { GalleryError, type GalleryErrorCode } from '@video-gallery/core';
import { galleryErrorOf, testBlobStorage } from '@video-gallery/core/testing';
import { attachmentDisposition, createS3Storage, S3_PEER_PACKAGES } from './index.js';
import { s3Error } from './errors.js';
import { importPeer } from './sdk.js';
import { requireAll, startS3rver, type S3rverHarness } from './testing/s3rver-harness.js';

const MiB = 1024 * 1024;
const BUCKET = 'vg-test';
const started = await startS3rver([BUCKET]);
const harness = started.harness as S3rverHarness; // only used inside blocks that are skipped without it
const skipReason = started.reason ?? null;
if (skipReason !== null && !requireAll()) console.warn(`[video-gallery] SKIPPED S3 storage tests against s3rver: ${skipReason}. Set VG_REQUIRE_ALL=1 to make this a failure.`);
afterAll(async () => {
  await started.harness?.close();
});

/** The client settings for s3rver (what a user would pass as clientConfig). */
function s3rverConfig(extra: S3ClientConfig = {}): S3ClientConfig {
  return { endpoint: harness.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: harness.credentials, ...extra };
}

function rawClient(): S3Client {
  return new S3Client(s3rverConfig({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }));
}

let bucketCounter = 0;
async function freshBucket(): Promise<string> {
  const bucket = `b-${++bucketCounter}`;
  await rawClient().send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}


async function expectCode(promise: Promise<unknown>, code: GalleryErrorCode): Promise<GalleryError> {
  const error = await galleryErrorOf(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function sha256OfStream(stream: ReadableStream<Uint8Array>): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { hash: hash.digest('hex'), bytes };
}

function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

/**
 * A stream of `total` random bytes in chunks of odd sizes, hashing what it hands out. `onProgress` sees the count
 * after each chunk; the stream waits for the promise it returns, if any.
 */
function randomStream(total: number, onProgress?: (produced: number) => Promise<void> | void): { stream: ReadableStream<Uint8Array>; digest: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let turn = 0;
  const sizes = [65_537, 1_000_003, 333_331, 2 * MiB + 1];
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (produced >= total) {
        controller.close();
        return;
      }
      const chunk = new Uint8Array(randomBytes(Math.min(sizes[turn++ % sizes.length]!, total - produced)));
      hash.update(chunk);
      produced += chunk.byteLength;
      controller.enqueue(chunk);
      await onProgress?.(produced);
    },
  }, { highWaterMark: 0 });
  return { stream, digest: () => hash.digest('hex') };
}

/** Polls `condition` (every 20 ms, up to 15 s): for states of another process, not for timing. */
async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once s3rver holds at least one completely stored part of an upload to `bucket`. */
async function partStored(bucket: string): Promise<void> {
  await waitFor(async () => {
    for (const id of await harness.pendingUploads(bucket)) {
      const files = await readdir(path.join(harness.directory, bucket, '._S3rver_uploads', id)).catch(() => [] as string[]);
      if (files.some((f) => f.endsWith('.md5'))) return true;
    }
    return false;
  }, 'a stored part');
}

async function pendingMultipartUploads(bucket: string): Promise<unknown[]> {
  const listed = await rawClient().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return listed.Uploads ?? [];
}

// ---- conformance --------------------------------------------------------------------------------------------

// The smallest part size and one part at a time here, so the suite's bounded-memory check (RSS growth under half of
// the 64 MiB object) proves the put streams. A put holds about (queueSize + 3) × partSizeBytes while it runs (the
// parts in flight, the part lib-storage is assembling, its concatenation and the buffer the remainder still points
// into): 20 MiB here, about 25 MiB with the defaults (5 MiB × 2), which `pnpm bench storage --adapter s3` measures.
testBlobStorage({
  name: 's3 (s3rver)',
  skip: skipReason ?? false,
  supportsUrl: 'signed',
  create: async () => ({
    storage: createS3Storage({ bucket: await freshBucket(), partSizeBytes: 5 * MiB, queueSize: 1, clientConfig: s3rverConfig() }),
  }),
});

testBlobStorage({
  name: 's3 (s3rver) with prefix and publicBaseUrl, default part size',
  skip: skipReason ?? false,
  supportsUrl: 'public',
  largeObjectBytes: 20 * MiB,
  create: async () => ({
    storage: createS3Storage({ bucket: await freshBucket(), prefix: 'gallery/v1', publicBaseUrl: 'https://cdn.example.com/media', clientConfig: s3rverConfig() }),
  }),
});

// ---- behaviour against s3rver ------------------------------------------------------------------------------

describe.skipIf(skipReason !== null && !requireAll())('s3 storage against s3rver', () => {
  beforeEach(async () => {
    if (skipReason !== null) throw new Error(`s3rver is required (VG_REQUIRE_ALL=1) but could not start: ${skipReason}`);
    await harness.clearRequests();
  });

  it('stores a 20 MiB streamed body byte-identical through a multipart upload of 5 MiB parts', async () => {
    const bucket = await freshBucket();
    const storage = createS3Storage({ bucket, clientConfig: s3rverConfig() });
    const total = 20 * MiB + 12_345;
    const { stream, digest } = randomStream(total);
    const put = await storage.put('videos/big.mp4', stream, { contentType: 'video/mp4' });
    const sent = digest();
    expect(put.bytes).toBe(total);
    expect(typeof put.etag).toBe('string');

    const requests = (await harness.requests()).filter((r) => r.path === `/${bucket}/videos/big.mp4`);
    expect(requests.map((r) => r.operation)).toEqual(['CreateMultipartUpload', ...Array(5).fill('UploadPart'), 'CompleteMultipartUpload']);
    const parts = requests.filter((r) => r.operation === 'UploadPart').sort((a, b) => Number(a.query.partNumber) - Number(b.query.partNumber));
    expect(parts.map((r) => r.contentLength)).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 5 * MiB, total - 20 * MiB]);

    expect(await sha256OfFile(harness.objectFile(bucket, 'videos/big.mp4')), 'bytes s3rver stored').toBe(sent);
    const got = await storage.get('videos/big.mp4');
    expect(got).toMatchObject({ size: total, contentType: 'video/mp4', etag: put.etag });
    expect(await sha256OfStream(got!.body), 'bytes read back').toEqual({ hash: sent, bytes: total });
    expect(await pendingMultipartUploads(bucket)).toEqual([]);
  });

  it('sends a body up to partSizeBytes as one PutObject, byte-identical', async () => {
    const bucket = await freshBucket();
    const storage = createS3Storage({ bucket, clientConfig: s3rverConfig() });
    const { stream, digest } = randomStream(3 * MiB + 7);
    await storage.put('small.bin', stream, { contentType: 'application/octet-stream' });
    expect((await harness.requests()).filter((r) => r.path === `/${bucket}/small.bin`).map((r) => r.operation)).toEqual(['PutObject']);
    expect(await sha256OfFile(harness.objectFile(bucket, 'small.bin'))).toBe(digest());
  });

  it('an aborted put leaves no incomplete multipart upload (checked with ListMultipartUploads)', async () => {
    const bucket = await freshBucket();
    const storage = createS3Storage({ bucket, clientConfig: s3rverConfig() });
    const controller = new AbortController();
    // Past two parts, wait until s3rver has stored a part, then abort while the third part is being read.
    let gate: Promise<void> | null = null;
    const { stream } = randomStream(64 * MiB, (produced) => {
      if (produced <= 17 * MiB) return undefined;
      gate ??= partStored(bucket).then(() => controller.abort());
      return gate;
    });
    const error = await expectCode(storage.put('videos/aborted.mp4', stream, { contentType: 'video/mp4', signal: controller.signal }), 'cancelled');
    expect(error.retryable).toBe(false);
    const operations = (await harness.requests()).map((r) => r.operation);
    expect(operations, 'the put was a multipart upload').toContain('CreateMultipartUpload');
    expect(operations).toContain('UploadPart');
    expect(operations).toContain('AbortMultipartUpload');
    expect(operations).not.toContain('CompleteMultipartUpload');
    expect(await pendingMultipartUploads(bucket)).toEqual([]);
    expect(await harness.pendingUploads(bucket), 'upload directories left in s3rver').toEqual([]);
    expect(await storage.head('videos/aborted.mp4')).toBeNull();
  });

  it('a put over maxBytes is refused mid-stream and leaves no incomplete multipart upload', async () => {
    const bucket = await freshBucket();
    const storage = createS3Storage({ bucket, clientConfig: s3rverConfig() });
    // Past two parts, wait until s3rver has stored a part, then go on past maxBytes.
    let gate: Promise<void> | null = null;
    const { stream } = randomStream(40 * MiB, (produced) => (produced <= 17 * MiB ? undefined : (gate ??= partStored(bucket))));
    const error = await expectCode(storage.put('videos/huge.mp4', stream, { contentType: 'video/mp4', maxBytes: 20 * MiB }), 'storage_failed');
    expect(error.retryable).toBe(false);
    expect(error.field).toBe('maxBytes');
    const operations = (await harness.requests()).map((r) => r.operation);
    expect(operations).toContain('UploadPart');
    expect(operations).toContain('AbortMultipartUpload');
    expect(await pendingMultipartUploads(bucket)).toEqual([]);
    expect(await harness.pendingUploads(bucket)).toEqual([]);
    expect(await storage.head('videos/huge.mp4')).toBeNull();
  });

  it('a presigned URL downloads through fetch, with the RFC 6266 Content-Disposition', async () => {
    const bucket = await freshBucket();
    const storage = createS3Storage({ bucket, prefix: 'p', clientConfig: s3rverConfig() });
    const data = new Uint8Array(randomBytes(50_000));
    await storage.put('clips/a.mp4', data, { contentType: 'video/mp4' });
    const name = 'Crème brûlée "final".mp4';
    const url = await storage.url('clips/a.mp4', { downloadName: name, expiresInSeconds: 120 });
    const parsed = new URL(url);
    expect(parsed.pathname).toBe(`/${bucket}/p/clips/a.mp4`);
    expect(parsed.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(parsed.searchParams.get('response-content-disposition')).toBe(attachmentDisposition(name));

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="Creme brulee _final_.mp4"; filename*=UTF-8''Cr%C3%A8me%20br%C3%BBl%C3%A9e%20%22final%22.mp4`);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(data));

    const plain = await fetch(await storage.url('clips/a.mp4'));
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-disposition')).toBeNull();
    expect(new URL(await storage.url('clips/a.mp4')).searchParams.get('X-Amz-Expires'), 'default lifetime').toBe('3600');
    await plain.arrayBuffer();
  });

  it('isolates storages with different prefixes in one bucket', async () => {
    const bucket = await freshBucket();
    const a = createS3Storage({ bucket, prefix: 'tenant-a', clientConfig: s3rverConfig() });
    const b = createS3Storage({ bucket, prefix: '/tenant-b/', clientConfig: s3rverConfig() });
    const root = createS3Storage({ bucket, clientConfig: s3rverConfig() });
    expect([a.prefix, b.prefix, root.prefix]).toEqual(['tenant-a/', 'tenant-b/', '']);
    expect(a.objectKey('v/x.bin')).toBe('tenant-a/v/x.bin');

    await a.put('v/x.bin', new TextEncoder().encode('from a'), { contentType: 'text/plain' });
    await b.put('v/x.bin', new TextEncoder().encode('from b!'), { contentType: 'text/plain' });
    expect(await new Response((await a.get('v/x.bin'))!.body).text()).toBe('from a');
    expect(await new Response((await b.get('v/x.bin'))!.body).text()).toBe('from b!');
    expect(await root.head('v/x.bin')).toBeNull();
    expect((await root.head('tenant-a/v/x.bin'))?.size).toBe(6);

    const listed = await rawClient().send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['tenant-a/v/x.bin', 'tenant-b/v/x.bin']);

    await a.delete('v/x.bin');
    expect(await a.head('v/x.bin')).toBeNull();
    expect((await b.head('v/x.bin'))?.size).toBe(7);
    expect(await a.url('v/x.bin')).toContain(`/${bucket}/tenant-a/v/x.bin?`);
  });

  it('maps a missing bucket to not_found naming it (HEAD cannot tell it from a missing key)', async () => {
    const storage = createS3Storage({ bucket: 'no-such-bucket', clientConfig: s3rverConfig() });
    for (const [what, call] of [
      ['put', () => storage.put('a.bin', new Uint8Array(10), { contentType: 'text/plain' })],
      ['get', () => storage.get('a.bin')],
      ['delete', () => storage.delete('a.bin')],
    ] as const) {
      const error = await expectCode(call(), 'not_found');
      expect(error.message, what).toContain('"no-such-bucket"');
      expect(error.providerCode).toBe('NoSuchBucket');
      expect(error.retryable).toBe(false);
    }
    // S3 answers a HEAD without a body, so a missing bucket and a missing key are both a plain 404.
    expect(await storage.head('a.bin')).toBeNull();
  });

  it('maps an unknown access key to auth_failed', async () => {
    const storage = createS3Storage({ bucket: BUCKET, clientConfig: s3rverConfig({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } }) });
    const error = await expectCode(storage.get('a.bin'), 'auth_failed');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(403);
    expect(error.providerCode).toBe('InvalidAccessKeyId');
    await expectCode(storage.put('a.bin', new Uint8Array(5), { contentType: 'text/plain' }), 'auth_failed');
    // A HEAD answer has no body to name the reason: a bare 403 reads as a permission problem.
    await expectCode(storage.head('a.bin'), 'forbidden');
  });

  it('maps an unreachable endpoint to a retryable storage_failed', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const storage = createS3Storage({ bucket: BUCKET, clientConfig: s3rverConfig({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }) });
    const error = await expectCode(storage.get('a.bin'), 'storage_failed');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('could not reach S3');
  });

  it('creates its client with checksums only when required, and keeps an injected client as it is', async () => {
    const created = await createS3Storage({ bucket: BUCKET, clientConfig: s3rverConfig() }).client();
    expect(await created.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await created.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    const explicit = await createS3Storage({ bucket: BUCKET, clientConfig: s3rverConfig({ requestChecksumCalculation: 'WHEN_SUPPORTED' }) }).client();
    expect(await explicit.config.requestChecksumCalculation(), 'an explicit setting wins').toBe('WHEN_SUPPORTED');
    const injected = new S3Client(s3rverConfig());
    expect(await createS3Storage({ bucket: BUCKET, client: injected }).client()).toBe(injected);
  });

  it('stores bytes intact even through an injected client with the SDK default checksums (unlike a streamed PutObject)', async () => {
    const bucket = await freshBucket();
    const defaults = new S3Client(s3rverConfig()); // requestChecksumCalculation: WHEN_SUPPORTED
    const storage = createS3Storage({ bucket, client: defaults });
    for (const size of [6, 9 * MiB + 3]) {
      const { stream, digest } = randomStream(size);
      await storage.put(`ok-${size}.bin`, stream, { contentType: 'application/octet-stream' });
      expect(await sha256OfFile(harness.objectFile(bucket, `ok-${size}.bin`)), `${size} bytes`).toBe(digest());
    }
    // The pitfall the checksum settings avoid: the same client streaming a PutObject itself sends it aws-chunked
    // with a trailing CRC32, and s3rver stores that framing instead of the bytes.
    await defaults.send(new PutObjectCommand({ Bucket: bucket, Key: 'raw.bin', Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]), ContentLength: 6 }));
    expect((await storage.head('raw.bin'))?.size, 'the raw streamed PutObject was stored with its chunk framing').not.toBe(6);
  });

  it('returns publicBaseUrl + prefix + key for public URLs, ignoring expiry and downloadName', async () => {
    const storage = createS3Storage({ bucket: BUCKET, prefix: 'g', publicBaseUrl: 'https://cdn.example.com/media', clientConfig: s3rverConfig() });
    expect(await storage.url('videos/a.mp4', { expiresInSeconds: 5, downloadName: 'x.mp4' })).toBe('https://cdn.example.com/media/g/videos/a.mp4');
    const relative = createS3Storage({ bucket: BUCKET, publicBaseUrl: '/media/', clientConfig: s3rverConfig() });
    expect(await relative.url('a.mp4')).toBe('/media/a.mp4');
  });
});

// ---- units (no server) ---------------------------------------------------------------------------------------

describe('s3 storage options', () => {
  const codeOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (GalleryError.isInstance(error)) return `${error.code}:${error.field ?? ''}`;
      throw error;
    }
    return 'ok';
  };

  it('validates its options with invalid_input naming the field', () => {
    expect(codeOf(() => createS3Storage({} as never))).toBe('invalid_input:bucket');
    expect(codeOf(() => createS3Storage({ bucket: 'a b' }))).toBe('invalid_input:bucket');
    expect(codeOf(() => createS3Storage({ bucket: 'b', client: new S3Client({ region: 'us-east-1' }), clientConfig: {} }))).toBe('invalid_input:clientConfig');
    expect(codeOf(() => createS3Storage({ bucket: 'b', partSizeBytes: 5 * MiB - 1 }))).toBe('invalid_input:partSizeBytes');
    expect(codeOf(() => createS3Storage({ bucket: 'b', partSizeBytes: 5 * MiB + 0.5 }))).toBe('invalid_input:partSizeBytes');
    expect(codeOf(() => createS3Storage({ bucket: 'b', queueSize: 0 }))).toBe('invalid_input:queueSize');
    expect(codeOf(() => createS3Storage({ bucket: 'b', signedUrlExpiresInSeconds: 604_801 }))).toBe('invalid_input:signedUrlExpiresInSeconds');
    expect(codeOf(() => createS3Storage({ bucket: 'b', publicBaseUrl: 'ftp://x' }))).toBe('invalid_input:publicBaseUrl');
    expect(codeOf(() => createS3Storage({ bucket: 'b', publicBaseUrl: 'https://x/?a=1' }))).toBe('invalid_input:publicBaseUrl');
    for (const prefix of ['../x', 'a//b', 'a b', 'é']) expect(codeOf(() => createS3Storage({ bucket: 'b', prefix })), prefix).toBe('invalid_input:prefix');
    expect(codeOf(() => createS3Storage({ bucket: 'b', prefix: '/', partSizeBytes: 5 * MiB, queueSize: 1, signedUrlExpiresInSeconds: 604_800 }))).toBe('ok');
  });

  it('checks keys and URL options before any request', async () => {
    const storage = createS3Storage({ bucket: 'b', prefix: 'x'.repeat(1000), clientConfig: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' } });
    expect((await galleryErrorOf(storage.head('../a'))).code).toBe('invalid_input');
    expect((await galleryErrorOf(storage.head('k'.repeat(30)))).field, 'prefix + key longer than 1024').toBe('key');
    expect((await galleryErrorOf(storage.url('a', { expiresInSeconds: 0 }))).field).toBe('expiresInSeconds');
    expect((await galleryErrorOf(storage.url('a', { downloadName: '' }))).field).toBe('downloadName');
  });

  it('names the packages to install when a peer dependency is missing', async () => {
    const error = await galleryErrorOf(importPeer('@aws-sdk/lib-storage', () => import(/* @vite-ignore */ ['@aws-sdk', 'no-such-package-vg'].join('/'))));
    expect(error.code).toBe('unsupported');
    expect(error.retryable).toBe(false);
    for (const name of S3_PEER_PACKAGES) expect(error.message).toContain(name);
    expect(error.message).toContain('not installed');
  });
});

describe('attachmentDisposition', () => {
  it('writes an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987)', () => {
    expect(attachmentDisposition('clip.mp4')).toBe(`attachment; filename="clip.mp4"; filename*=UTF-8''clip.mp4`);
    expect(attachmentDisposition('視頻 1.mp4')).toBe(`attachment; filename="__ 1.mp4"; filename*=UTF-8''%E8%A6%96%E9%A0%BB%201.mp4`);
    expect(attachmentDisposition("it's (a) 100%*.mp4")).toBe(`attachment; filename="it's (a) 100_*.mp4"; filename*=UTF-8''it%27s%20%28a%29%20100%25%2A.mp4`);
  });

  it('never lets a name carry a path, a control character or a header break', () => {
    const value = attachmentDisposition('../../etc/pa\\ss\r\nX-Evil: 1.mp4');
    expect(value).not.toMatch(/[\r\n]/);
    expect(value).toContain('filename=".._.._etc_pa_ss__X-Evil: 1.mp4"');
    expect(value).toContain(`filename*=UTF-8''.._.._etc_pa_ss__X-Evil%3A%201.mp4`);
  });

  it('refuses empty and overlong names', () => {
    expect(() => attachmentDisposition('  ')).toThrow(/downloadName/);
    expect(() => attachmentDisposition('a'.repeat(256))).toThrow(/at most 255/);
  });
});

describe('s3Error', () => {
  const context = { bucket: 'videos', service: 'S3', prefix: 'gallery/' };
  const sdkError = (name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error =>
    Object.assign(new Error(`${name} happened`), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra });

  it('maps S3 answers to GalleryError codes', () => {
    const cases: [Error, GalleryErrorCode, boolean][] = [
      [sdkError('NoSuchBucket', 404), 'not_found', false],
      [sdkError('AccessDenied', 403), 'forbidden', false],
      [sdkError('InvalidAccessKeyId', 403), 'auth_failed', false],
      [sdkError('SignatureDoesNotMatch', 403), 'auth_failed', false],
      [sdkError('ExpiredToken', 400), 'auth_failed', false],
      [sdkError('CredentialsProviderError', undefined), 'auth_failed', false],
      [sdkError('InternalError', 500), 'storage_failed', true],
      [sdkError('SlowDown', 503), 'storage_failed', true],
      [sdkError('RequestTimeout', 400), 'storage_failed', true],
      [sdkError('EntityTooLarge', 400), 'storage_failed', false],
      [sdkError('TimeoutError', undefined), 'storage_failed', true],
      [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), 'storage_failed', true],
      [sdkError('AbortError', undefined), 'cancelled', false],
    ];
    for (const [error, code, retryable] of cases) {
      const mapped = s3Error('put "a"', error, context);
      expect([error.name, mapped.code, mapped.retryable]).toEqual([error.name, code, retryable]);
      expect(mapped.cause).toBe(error);
    }
  });

  it('names the bucket and the permissions in its messages', () => {
    expect(s3Error('get "a"', sdkError('NoSuchBucket', 404), context).message).toContain('"videos" does not exist');
    const forbidden = s3Error('get "a"', sdkError('AccessDenied', 403), context);
    expect(forbidden.message).toContain('s3:GetObject');
    expect(forbidden.message).toContain('s3:AbortMultipartUpload on videos/gallery/*');
    expect(forbidden.message).toContain('s3:ListBucket on videos');
    expect(forbidden.status).toBe(403);
    expect(forbidden.providerCode).toBe('AccessDenied');
    const existing = new GalleryError('conflict', 'x');
    expect(s3Error('put', existing, context)).toBe(existing);
  });
});
