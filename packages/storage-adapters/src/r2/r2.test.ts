import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GalleryError } from '@video-gallery/core';
import { testBlobStorage } from '@video-gallery/core/testing';
import { createR2Storage, R2_JURISDICTIONS, r2Endpoint, type R2StorageOptions } from './index.js';
import { requireAll, startS3rver, type S3rverHarness } from '../s3/testing/s3rver-harness.js';

const MiB = 1024 * 1024;
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const started = await startS3rver(['r2-bucket']);
const harness = started.harness as S3rverHarness; // only used inside blocks that are skipped without it
const skipReason = started.reason ?? null;
if (skipReason !== null && !requireAll()) console.warn(`[video-gallery] SKIPPED R2 storage tests against s3rver: ${skipReason}. Set VG_REQUIRE_ALL=1 to make this a failure.`);
afterAll(async () => {
  await started.harness?.close();
});

/** The R2 adapter pointed at s3rver through the endpoint override (s3rver accepts its own access key, any secret). */
function r2OnS3rver(bucket: string, extra: Partial<R2StorageOptions> = {}) {
  return createR2Storage({ accountId: ACCOUNT, accessKeyId: harness.credentials.accessKeyId, secretAccessKey: harness.credentials.secretAccessKey, bucket, endpoint: harness.endpoint, ...extra });
}

let bucketCounter = 0;
async function freshBucket(): Promise<string> {
  const bucket = `r2-${++bucketCounter}`;
  const client = new S3Client({ endpoint: harness.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: harness.credentials });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (GalleryError.isInstance(error)) return `${error.code}:${error.field ?? ''}`;
    throw error;
  }
  return 'ok';
}

testBlobStorage({
  name: 'r2 (s3rver through the endpoint override)',
  skip: skipReason ?? false,
  supportsUrl: 'signed',
  largeObjectBytes: 20 * MiB,
  create: async () => ({ storage: r2OnS3rver(await freshBucket()) }),
});

describe('r2 endpoint', () => {
  it('builds the S3 API endpoint of the account, with the jurisdiction subdomain', () => {
    expect(r2Endpoint(ACCOUNT)).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(r2Endpoint(ACCOUNT, 'eu')).toBe(`https://${ACCOUNT}.eu.r2.cloudflarestorage.com`);
    expect(r2Endpoint(ACCOUNT, 'fedramp')).toBe(`https://${ACCOUNT}.fedramp.r2.cloudflarestorage.com`);
    expect(r2Endpoint(ACCOUNT.toUpperCase())).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(R2_JURISDICTIONS).toEqual(['eu', 'fedramp', 'us']);
  });

  it('refuses account IDs that are not a host name label, and unknown jurisdictions', () => {
    for (const accountId of ['', 'a.b', 'evil.com/x', 'x'.repeat(64), '-abc']) expect(codeOf(() => r2Endpoint(accountId)), accountId).toBe('invalid_input:accountId');
    expect(codeOf(() => r2Endpoint(ACCOUNT, 'apac' as never))).toBe('invalid_input:jurisdiction');
  });
});

describe('r2 client', () => {
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'SECRET' };

  it('creates an S3 client for R2: account endpoint, region auto, path style, checksums only when required', async () => {
    const storage = createR2Storage({ accountId: ACCOUNT, ...credentials, bucket: 'videos', jurisdiction: 'eu' });
    expect(storage.name).toBe('r2');
    const client = await storage.client();
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}`).toBe(`https://${ACCOUNT}.eu.r2.cloudflarestorage.com`);
    expect(await client.config.region()).toBe('auto');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await client.config.credentials()).toMatchObject(credentials);
  });

  it('presigns URLs on the S3 API endpoint (never on a custom domain), path style, with the download name', async () => {
    const storage = createR2Storage({ accountId: ACCOUNT, ...credentials, bucket: 'videos', prefix: 'gallery' });
    const url = new URL(await storage.url('v/a.mp4', { expiresInSeconds: 900, downloadName: 'a.mp4' }));
    expect(url.origin).toBe(`https://${ACCOUNT}.r2.cloudflarestorage.com`);
    expect(url.pathname).toBe('/videos/gallery/v/a.mp4');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKID\/\d{8}\/auto\/s3\/aws4_request$/);
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="a.mp4"; filename*=UTF-8''a.mp4`);
  });

  it('gives public URLs on r2.dev or a custom domain when publicBaseUrl is set', async () => {
    const storage = createR2Storage({ accountId: ACCOUNT, ...credentials, bucket: 'videos', prefix: 'gallery', publicBaseUrl: 'https://pub-abc123.r2.dev' });
    expect(await storage.url('v/a.mp4', { downloadName: 'x.mp4' })).toBe('https://pub-abc123.r2.dev/gallery/v/a.mp4');
  });

  it('uses an injected client as it is', async () => {
    const client = new S3Client({ region: 'auto', endpoint: r2Endpoint(ACCOUNT), credentials });
    const storage = createR2Storage({ bucket: 'videos', client });
    expect(await storage.client()).toBe(client);
  });

  it('validates its options with invalid_input naming the field', () => {
    expect(codeOf(() => createR2Storage({ ...credentials, bucket: 'videos' }))).toBe('invalid_input:accountId');
    expect(codeOf(() => createR2Storage({ accountId: ACCOUNT, secretAccessKey: 'x', bucket: 'videos' }))).toBe('invalid_input:accessKeyId');
    expect(codeOf(() => createR2Storage({ accountId: ACCOUNT, accessKeyId: 'x', bucket: 'videos' }))).toBe('invalid_input:secretAccessKey');
    expect(codeOf(() => createR2Storage({ accountId: ACCOUNT, ...credentials } as never))).toBe('invalid_input:bucket');
    expect(codeOf(() => createR2Storage({ accountId: ACCOUNT, ...credentials, bucket: 'videos', jurisdiction: 'mars' as never }))).toBe('invalid_input:jurisdiction');
    expect(codeOf(() => createR2Storage({ ...credentials, bucket: 'videos', endpoint: 'not a url' }))).toBe('invalid_input:endpoint');
    expect(codeOf(() => createR2Storage({ bucket: 'videos', client: new S3Client({ region: 'auto' }), accessKeyId: 'x' }))).toBe('invalid_input:client');
    expect(codeOf(() => createR2Storage({ ...credentials, bucket: 'videos', endpoint: 'http://127.0.0.1:9000' })), 'the endpoint override needs no account').toBe('ok');
  });
});

describe.skipIf(skipReason !== null && !requireAll())('r2 storage against s3rver', () => {
  beforeEach(async () => {
    if (skipReason !== null) throw new Error(`s3rver is required (VG_REQUIRE_ALL=1) but could not start: ${skipReason}`);
    await harness.clearRequests();
  });

  it('uploads multipart parts of one size except a smaller last one (R2 requires it), byte-identical', async () => {
    const bucket = await freshBucket();
    const storage = r2OnS3rver(bucket, { partSizeBytes: 5 * MiB });
    const total = 17 * MiB + 333;
    const hash = createHash('sha256');
    let produced = 0;
    // Chunks of uneven sizes, so parts only come out equal if the uploader cuts them so.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        const chunk = new Uint8Array(randomBytes(Math.min(700_001 + (produced % 3) * 111_111, total - produced)));
        hash.update(chunk);
        produced += chunk.byteLength;
        controller.enqueue(chunk);
        return undefined;
      },
    }, { highWaterMark: 0 });
    await storage.put('big.bin', stream, { contentType: 'application/octet-stream' });
    const parts = (await harness.requests()).filter((r) => r.operation === 'UploadPart').sort((a, b) => Number(a.query.partNumber) - Number(b.query.partNumber));
    expect(parts.map((p) => p.contentLength)).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB + 333]);
    const got = await storage.get('big.bin');
    const readHash = createHash('sha256');
    for await (const chunk of got!.body as unknown as AsyncIterable<Uint8Array>) readHash.update(chunk);
    expect(readHash.digest('hex')).toBe(hash.digest('hex'));
  });

  it('maps errors with R2 in the message', async () => {
    const storage = r2OnS3rver('missing-bucket');
    try {
      await storage.get('a.bin');
      throw new Error('expected a rejection');
    } catch (error) {
      expect(GalleryError.isInstance(error)).toBe(true);
      expect((error as GalleryError).code).toBe('not_found');
      expect((error as GalleryError).message).toContain('R2 bucket "missing-bucket" does not exist');
    }
  });
});
