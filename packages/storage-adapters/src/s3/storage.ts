// The S3 blob storage, shared by the `/s3` and `/r2` subpaths. Internal module: the public names are re-exported by
// s3/index.ts and r2/index.ts.
import type { GetObjectCommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import {
  abortErrorFor, assertContentType, assertMaxBytes, assertValidKey, bodyChunks, GalleryError, MAX_KEY_LENGTH, resolveRange, throwIfAborted,
  type BlobBody, type BlobStorage, type GetOptions, type ObjectInfo, type PutOptions, type StoredObject,
} from '@video-gallery/core';
import { attachmentDisposition } from './content-disposition.js';
import { isMissingObject, s3Error, s3ErrorCode, type S3ErrorContext } from './errors.js';
import { loadClientS3, loadLibStorage, loadPresigner, type ClientS3Module } from './sdk.js';
import { normalisePublicBaseUrl as normalisePublicBaseUrlShared } from '../shared/public-base-url.js';

const MiB = 1024 * 1024;
/** Smallest multipart part S3 accepts (except for the last part). */
export const MIN_PART_SIZE_BYTES = 5 * MiB;
/** Largest multipart part S3 accepts. */
export const MAX_PART_SIZE_BYTES = 5 * 1024 * MiB;
/** Longest presigned URL lifetime S3 (SigV4) and R2 accept: 7 days. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60;
/** Default `partSizeBytes`: 5 MiB (S3's minimum; objects up to ~48 GiB). Keeps a 256 MiB put under 200 MB peak RSS. */
export const DEFAULT_PART_SIZE_BYTES = 5 * MiB;
/** Default `queueSize`: 2 parts in parallel. */
export const DEFAULT_QUEUE_SIZE = 2;
/** Default `signedUrlExpiresInSeconds`: one hour. */
export const DEFAULT_SIGNED_URL_SECONDS = 3600;

/** Options shared by `createS3Storage` and `createR2Storage`. */
export interface S3CommonOptions {
  /** Required. The bucket objects live in. It must exist: the storage never creates buckets. */
  bucket: string;
  /**
   * A key prefix (a "folder") every object of this storage lives under, for example `'gallery'` or `'tenants/a'`:
   * key `videos/x.mp4` is stored as `gallery/videos/x.mp4`. Segments follow the key rules (`[A-Za-z0-9._-]`);
   * leading and trailing `/` are ignored. Two storages with different prefixes never see each other's objects.
   * Default: none.
   */
  prefix?: string;
  /**
   * Where the bucket (or the prefix) is served publicly: a CDN, an S3 website / CloudFront origin, an R2 custom
   * domain or `r2.dev` URL. An absolute `http(s)` URL or a path starting with `/` (a missing trailing `/` is added).
   * `url(key)` then returns `publicBaseUrl + prefix + key` (never signed, `expiresInSeconds` and `downloadName` are
   * ignored). Default: none, so `url()` returns a presigned GET URL.
   */
  publicBaseUrl?: string;
  /**
   * Size of each multipart upload part (bytes, at least 5 MiB, at most 5 GiB). Every part but the last has exactly
   * this size. A put holds about `(queueSize + 3) × partSizeBytes` in memory (parts in flight, plus the one
   * being assembled and its copy). Bodies up to this size are sent as one `PutObject`. Default 5 MiB.
   */
  partSizeBytes?: number;
  /** How many parts upload at the same time (1 to 64). Default 4. */
  queueSize?: number;
  /** Lifetime of presigned URLs when `url()` is called without `expiresInSeconds` (1 to 604800). Default 3600. */
  signedUrlExpiresInSeconds?: number;
}

/** A `BlobStorage` on S3 or an S3-compatible service. */
export interface S3Storage extends BlobStorage {
  /** `'s3'`, or `'r2'` for `createR2Storage`. */
  readonly name: string;
  readonly bucket: string;
  /** The normalised key prefix: `''`, or segments ending with `/` (for example `'gallery/'`). */
  readonly prefix: string;
  /** `url()` never returns `null` here: a public URL with `publicBaseUrl`, else a presigned GET URL. */
  url(key: string, options?: { expiresInSeconds?: number; downloadName?: string }): Promise<string>;
  /** The object key in the bucket for `key` (`prefix + key`), after validating `key`. */
  objectKey(key: string): string;
  /** The S3 client this storage uses (the injected one, or the one it created on first use). */
  client(): Promise<S3Client>;
}

/** How the R2 wrapper (or the S3 factory) configures the shared implementation. */
export interface S3Flavour {
  name: string;
  service: string;
  /** Called to build the client when none is injected; gets the SDK to construct it with. */
  createClient: (sdk: ClientS3Module) => S3Client;
}

const DEFAULT_CHECKSUMS = { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const;

/** The client config `createS3Storage` builds a client from: the caller's, with checksums only when required. */
export function withChecksumDefaults(config: S3ClientConfig): S3ClientConfig {
  return {
    ...config,
    requestChecksumCalculation: config.requestChecksumCalculation ?? DEFAULT_CHECKSUMS.requestChecksumCalculation,
    responseChecksumValidation: config.responseChecksumValidation ?? DEFAULT_CHECKSUMS.responseChecksumValidation,
  };
}

function invalid(field: string, message: string): never {
  throw new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}

function integerOption(field: string, value: unknown, fallback: number, min: number, max: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(field, `${String(value)} must be an integer from ${min} to ${max} ${unit}.`);
  }
  return value;
}

/** Validates and normalises a bucket name (S3 rules, loosely: what could not possibly be a bucket is refused). */
export function normaliseBucket(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) invalid('bucket', 'pass the name of an existing bucket, for example { bucket: "my-videos" }.');
  if (value.length > 255 || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) {
    invalid('bucket', `${JSON.stringify(value).slice(0, 80)} is not a bucket name (letters, digits, '.', '_' and '-', starting with a letter or digit).`);
  }
  return value;
}

/** `''` or `segments/` (validated with the key rules). */
export function normalisePrefix(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') invalid('prefix', 'must be a string such as "gallery" or "tenants/a".');
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  try {
    assertValidKey(trimmed);
  } catch (error) {
    invalid('prefix', `${JSON.stringify(value).slice(0, 80)} is not a valid key prefix (${(error as Error).message})`);
  }
  return `${trimmed}/`;
}

/** An absolute http(s) URL or a `/path`, ending with `/`; refuses queries and fragments. */
export function normalisePublicBaseUrl(value: unknown): string | undefined {
  return normalisePublicBaseUrlShared(value, "'https://media.example.com/' or 'https://pub-<hash>.r2.dev/'");
}

/** Parses `bytes <start>-<end>/<total>` (total may be `*`). */
function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const match = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

type NodeReadableLike = AsyncIterable<Uint8Array | string> & { destroy?: (error?: Error) => void };

/** An async iterator over the SDK's response body, whatever form it has (Node Readable, web stream, Blob). */
function sourceIterator(body: unknown): { next: () => Promise<IteratorResult<Uint8Array>>; close: () => void } {
  if (body && typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    return { next: () => reader.read() as Promise<IteratorResult<Uint8Array>>, close: () => void reader.cancel().catch(() => {}) };
  }
  if (body && typeof (body as NodeReadableLike)[Symbol.asyncIterator] === 'function') {
    const readable = body as NodeReadableLike;
    const iterator = readable[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await iterator.next();
        if (result.done) return { done: true, value: undefined };
        const chunk = result.value;
        return { done: false, value: typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk };
      },
      close: () => {
        readable.destroy?.();
        void iterator.return?.().catch(() => {});
      },
    };
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob) return sourceIterator(body.stream());
  if (body === undefined || body === null) {
    return { next: async () => ({ done: true, value: undefined }), close: () => {} };
  }
  throw new GalleryError('storage_failed', 'The S3 response body has an unknown type; expected a Node.js Readable, a ReadableStream or a Blob.', { retryable: false });
}

/**
 * A pull-based web stream over the response body that skips `skip` bytes, ends after `length` bytes (closing the
 * connection), errors when the body ends early, and errors with the abort error when `signal` fires.
 */
function objectBody(source: ReturnType<typeof sourceIterator>, skip: number, length: number, signal: AbortSignal | undefined, what: string): ReadableStream<Uint8Array> {
  let toSkip = skip;
  let remaining = length;
  let closed = false;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
  const close = (): void => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener('abort', onAbort);
    source.close();
  };
  function onAbort(): void {
    if (signal) controllerRef?.error(abortErrorFor(signal, what));
    close();
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      if (remaining === 0) {
        close();
        controller.close();
      }
    },
    async pull(controller) {
      while (!closed) {
        let result: IteratorResult<Uint8Array>;
        try {
          result = await source.next();
        } catch (error) {
          if (closed) return;
          close();
          controller.error(signal?.aborted ? abortErrorFor(signal, what) : new GalleryError('storage_failed', `${what} failed while reading the body: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true }));
          return;
        }
        if (closed) return;
        if (result.done) {
          close();
          controller.error(new GalleryError('storage_failed', `${what} failed: the response body ended ${remaining} bytes early.`, { retryable: true }));
          return;
        }
        let chunk = result.value;
        if (toSkip > 0) {
          if (chunk.byteLength <= toSkip) {
            toSkip -= chunk.byteLength;
            continue;
          }
          chunk = chunk.subarray(toSkip);
          toSkip = 0;
        }
        if (chunk.byteLength === 0) continue;
        if (chunk.byteLength >= remaining) {
          controller.enqueue(chunk.byteLength === remaining ? chunk : chunk.subarray(0, remaining));
          remaining = 0;
          close();
          controller.close();
          return;
        }
        remaining -= chunk.byteLength;
        controller.enqueue(chunk);
        return;
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}

/**
 * Builds the storage. `createS3Storage` and `createR2Storage` validate their own options, then call this with
 * their flavour (name, service label, how to create a client).
 */
export function buildS3Storage(options: S3CommonOptions & { client?: S3Client | undefined }, flavour: S3Flavour): S3Storage {
  const bucket = normaliseBucket(options.bucket);
  const prefix = normalisePrefix(options.prefix);
  const publicBaseUrl = normalisePublicBaseUrl(options.publicBaseUrl);
  const partSize = integerOption('partSizeBytes', options.partSizeBytes, DEFAULT_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES, MAX_PART_SIZE_BYTES, 'bytes (5 MiB to 5 GiB)');
  const queueSize = integerOption('queueSize', options.queueSize, DEFAULT_QUEUE_SIZE, 1, 64, 'parts');
  const defaultExpiry = integerOption('signedUrlExpiresInSeconds', options.signedUrlExpiresInSeconds, DEFAULT_SIGNED_URL_SECONDS, 1, MAX_SIGNED_URL_SECONDS, 'seconds');
  const injected = options.client;
  if (injected !== undefined && (typeof injected !== 'object' || injected === null || typeof (injected as { send?: unknown }).send !== 'function')) {
    invalid('client', 'must be an S3Client from @aws-sdk/client-s3.');
  }
  const context: S3ErrorContext = { bucket, service: flavour.service, prefix };
  let clientPromise: Promise<S3Client> | undefined;

  const getClient = (): Promise<S3Client> =>
    (clientPromise ??= loadClientS3().then((sdk) => injected ?? flavour.createClient(sdk)).catch((error: unknown) => {
      clientPromise = undefined;
      throw s3Error(`${flavour.name} storage`, error, context);
    }));

  function objectKey(key: string): string {
    assertValidKey(key);
    const full = prefix + key;
    if (full.length > MAX_KEY_LENGTH) {
      invalid('key', `${JSON.stringify(key).slice(0, 80)} is too long with the prefix ${JSON.stringify(prefix)} (${full.length} characters; ${flavour.service} keys have at most ${MAX_KEY_LENGTH}).`);
    }
    return full;
  }

  const fail = (what: string, error: unknown): GalleryError => s3Error(what, error, context);

  async function abortMultipart(client: S3Client, sdk: ClientS3Module, key: string, uploadId: string): Promise<void> {
    // Best effort, twice at most: a part that was still in flight when the first abort landed can re-create storage.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        return;
      } catch (error) {
        if (s3ErrorCode(error) === 'NoSuchUpload') return;
      }
    }
  }

  const storage: S3Storage = {
    name: flavour.name,
    bucket,
    prefix,
    objectKey,
    client: getClient,

    async put(key: string, body: BlobBody, putOptions: PutOptions): Promise<{ bytes: number; etag?: string }> {
      const fullKey = objectKey(key);
      assertContentType(putOptions?.contentType);
      assertMaxBytes(putOptions.maxBytes);
      const { signal, contentType, maxBytes } = putOptions;
      const what = `put ${JSON.stringify(key)}`;
      throwIfAborted(signal, what);
      let sdk: ClientS3Module;
      let client: S3Client;
      let Upload: Awaited<ReturnType<typeof loadLibStorage>>['Upload'];
      try {
        [sdk, client, { Upload }] = await Promise.all([loadClientS3(), getClient(), loadLibStorage()]);
      } catch (error) {
        throw fail(what, error);
      }
      throwIfAborted(signal, what);

      // `stop` ends the put early: it cancels the body (even a stalled one) and the requests that carry a body
      // (UploadPart, PutObject), so a failed put never waits for data or parts it will throw away. It fires on the
      // caller's abort (through `active`), on a body error and on a failed request. Requests without a body
      // (Create / Complete / Abort multipart upload) are never cancelled: an abandoned CreateMultipartUpload would
      // leave an upload we could not name.
      const stop = new AbortController();
      const active = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      let bodyError: unknown;
      let requestError: unknown;
      let bytes = 0;
      let uploadId: string | undefined;
      let completed = false;

      const chunks = bodyChunks(body, { key, signal: active, ...(maxBytes === undefined ? {} : { maxBytes }), what });
      const source = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) {
              controller.close();
              return;
            }
            bytes += next.value.byteLength;
            controller.enqueue(next.value);
          } catch (error) {
            if (!active.aborted) bodyError ??= error; // else: a consequence of the abort, not a cause
            stop.abort(error);
            controller.error(error);
          }
        },
        async cancel() {
          await chunks.return(undefined);
        },
      }, { highWaterMark: 0 });

      // A view of the client for this upload only: lib-storage calls `send(command)`; we add the abort signal to the
      // commands that carry a body and note the upload id, without touching the (possibly shared) client itself.
      const scoped = Object.create(client) as S3Client;
      const send = async (command: { input: object }): Promise<unknown> => {
        const input = command.input as { Body?: unknown; MultipartUpload?: unknown };
        const hasBody = input.Body !== undefined;
        try {
          const output = await client.send(command as never, hasBody ? { abortSignal: active } : {});
          const id = (output as { UploadId?: unknown } | undefined)?.UploadId;
          if (!hasBody && typeof id === 'string' && input.MultipartUpload === undefined) uploadId ??= id;
          return output;
        } catch (error) {
          if (!active.aborted) requestError ??= error;
          stop.abort(error);
          throw error;
        }
      };
      (scoped as unknown as { send: typeof send }).send = send;

      const upload = new Upload({
        client: scoped,
        params: { Bucket: bucket, Key: fullKey, Body: source, ContentType: contentType },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      try {
        const result = await upload.done();
        completed = true;
        const etag = (result as { ETag?: unknown }).ETag;
        return typeof etag === 'string' ? { bytes, etag } : { bytes };
      } catch (error) {
        stop.abort(error);
        if (uploadId !== undefined) await abortMultipart(client, sdk, fullKey, uploadId);
        if (signal?.aborted) throw abortErrorFor(signal, what);
        if (bodyError !== undefined) throw GalleryError.isInstance(bodyError) ? bodyError : fail(what, bodyError);
        throw fail(what, requestError ?? error);
      } finally {
        if (!completed) void chunks.return(undefined).catch(() => {});
      }
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<StoredObject | null> {
      const fullKey = objectKey(key);
      const { signal, range } = getOptions;
      const what = `get ${JSON.stringify(key)}`;
      if (range !== undefined) resolveRange(range, Number.MAX_SAFE_INTEGER, key); // shape checks only
      throwIfAborted(signal, what);
      let sdk: ClientS3Module;
      let client: S3Client;
      try {
        [sdk, client] = await Promise.all([loadClientS3(), getClient()]);
      } catch (error) {
        throw fail(what, error);
      }
      throwIfAborted(signal, what);
      let output: GetObjectCommandOutput;
      try {
        output = await client.send(
          new sdk.GetObjectCommand({ Bucket: bucket, Key: fullKey, ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}) }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        if (signal?.aborted) throw abortErrorFor(signal, what);
        if (isMissingObject(error)) return null;
        if (range !== undefined && s3ErrorCode(error) === 'InvalidRange') {
          // 416: the range starts past the end. Name the size like the other adapters do.
          const reported = Number((error as { ActualObjectSize?: unknown }).ActualObjectSize);
          const size = Number.isSafeInteger(reported) && reported >= 0 ? reported : (await storage.head(key))?.size;
          if (size === undefined) return null;
          resolveRange(range, size, key); // throws invalid_input
        }
        throw fail(what, error);
      }

      const source = sourceIterator(output.Body);
      try {
        const contentRange = parseContentRange(output.ContentRange);
        const length = output.ContentLength;
        const size = contentRange?.total ?? (contentRange === null ? length : undefined);
        if (size === undefined || !Number.isSafeInteger(size)) {
          throw new GalleryError('storage_failed', `${what} failed: ${flavour.service} did not say how large the object is (Content-Length ${String(length)}, Content-Range ${String(output.ContentRange)}).`, { retryable: true });
        }
        // What the server sent: a 206 with Content-Range, or the whole object.
        const served = contentRange ?? { start: 0, end: size - 1 };
        const wanted = range !== undefined ? resolveRange(range, size, key) : { start: 0, end: size - 1 };
        if (size > 0 && (served.start > wanted.start || served.end < wanted.end)) {
          throw new GalleryError('storage_failed', `${what} failed: asked for bytes ${wanted.start}-${wanted.end} but ${flavour.service} sent ${served.start}-${served.end}.`, { retryable: true });
        }
        const object: StoredObject = {
          size,
          contentType: output.ContentType ?? 'application/octet-stream',
          body: objectBody(source, size === 0 ? 0 : wanted.start - served.start, size === 0 ? 0 : wanted.end - wanted.start + 1, signal, what),
        };
        if (output.ETag !== undefined) object.etag = output.ETag;
        if (output.LastModified !== undefined) object.lastModified = output.LastModified;
        if (range !== undefined) object.range = wanted;
        return object;
      } catch (error) {
        source.close();
        throw fail(what, error);
      }
    },

    async head(key: string): Promise<ObjectInfo | null> {
      const fullKey = objectKey(key);
      const what = `head ${JSON.stringify(key)}`;
      try {
        const [sdk, client] = await Promise.all([loadClientS3(), getClient()]);
        const output = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: fullKey }));
        const info: ObjectInfo = { size: output.ContentLength ?? 0, contentType: output.ContentType ?? 'application/octet-stream' };
        if (output.ETag !== undefined) info.etag = output.ETag;
        if (output.LastModified !== undefined) info.lastModified = output.LastModified;
        return info;
      } catch (error) {
        if (isMissingObject(error)) return null;
        throw fail(what, error);
      }
    },

    async delete(key: string): Promise<void> {
      const fullKey = objectKey(key);
      try {
        const [sdk, client] = await Promise.all([loadClientS3(), getClient()]);
        await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: fullKey }));
      } catch (error) {
        if (isMissingObject(error)) return;
        throw fail(`delete ${JSON.stringify(key)}`, error);
      }
    },

    async url(key: string, urlOptions: { expiresInSeconds?: number; downloadName?: string } = {}): Promise<string> {
      const fullKey = objectKey(key);
      if (publicBaseUrl !== undefined) return publicBaseUrl + fullKey.split('/').map(encodeURIComponent).join('/');
      const expiresIn = integerOption('expiresInSeconds', urlOptions.expiresInSeconds, defaultExpiry, 1, MAX_SIGNED_URL_SECONDS, 'seconds');
      const disposition = urlOptions.downloadName === undefined ? undefined : attachmentDisposition(urlOptions.downloadName);
      try {
        const [sdk, client, { getSignedUrl }] = await Promise.all([loadClientS3(), getClient(), loadPresigner()]);
        const command = new sdk.GetObjectCommand({ Bucket: bucket, Key: fullKey, ...(disposition === undefined ? {} : { ResponseContentDisposition: disposition }) });
        return await getSignedUrl(client, command, { expiresIn });
      } catch (error) {
        throw fail(`url ${JSON.stringify(key)}`, error);
      }
    },
  };
  return storage;
}
