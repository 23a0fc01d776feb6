import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { GalleryError } from '@video-gallery/core';
import { buildS3Storage, withChecksumDefaults, type S3CommonOptions, type S3Storage } from './storage.js';

export { attachmentDisposition } from './content-disposition.js';
export { S3_PEER_PACKAGES } from './sdk.js';
export {
  DEFAULT_PART_SIZE_BYTES, DEFAULT_QUEUE_SIZE, DEFAULT_SIGNED_URL_SECONDS, MAX_PART_SIZE_BYTES, MAX_SIGNED_URL_SECONDS, MIN_PART_SIZE_BYTES,
} from './storage.js';
export type { S3CommonOptions, S3Storage } from './storage.js';

/** Options of `createS3Storage`. */
export interface S3StorageOptions extends S3CommonOptions {
  /**
   * An `S3Client` to use as it is (its region, endpoint, credentials, retries, checksum settings). Give either this
   * or `clientConfig`, not both.
   *
   * Against S3-compatible servers that do not understand `aws-chunked` uploads with trailing checksums (s3rver, some
   * MinIO / Ceph versions) or the SDK's default CRC32 checksums, create it with
   * `requestChecksumCalculation: 'WHEN_REQUIRED'` and `responseChecksumValidation: 'WHEN_REQUIRED'`, as the client this
   * storage creates from `clientConfig` has. (This storage's own puts send every part as a buffer of known length, so
   * they are stored intact either way; other code sharing the client and streaming a `PutObject` is not.)
   */
  client?: S3Client;
  /**
   * Settings for the `S3Client` this storage creates on first use: `region`, `endpoint`, `credentials`,
   * `forcePathStyle` and anything else `S3ClientConfig` takes. `requestChecksumCalculation` and
   * `responseChecksumValidation` default to `'WHEN_REQUIRED'` (the SDK's own default, `'WHEN_SUPPORTED'`, adds CRC32
   * checksums that S3-compatible servers may reject or store wrongly). Default `{}`: region and credentials from the
   * environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, profiles, instance roles).
   */
  clientConfig?: S3ClientConfig;
}

/**
 * Creates a blob storage on Amazon S3 or an S3-compatible service (MinIO, Ceph, Backblaze B2, ...; for Cloudflare R2
 * use `createR2Storage`). Needs the optional peer dependencies `@aws-sdk/client-s3`, `@aws-sdk/lib-storage` and
 * `@aws-sdk/s3-request-presigner`, imported on first use.
 *
 * - `put` streams the body through a multipart upload (`@aws-sdk/lib-storage`), holding about
 *   `(queueSize + 3) × partSizeBytes` in memory; a body up to `partSizeBytes` goes as one `PutObject`. The object appears
 *   only when the upload completes, so readers see the old object or the whole new one. An aborted put (`signal`)
 *   rejects with `GalleryError('cancelled')` (`'timeout'` for a timeout signal) and a body over `maxBytes` with
 *   `GalleryError('storage_failed')`; either way the multipart upload is aborted, so no parts are left behind.
 * - `get` streams the whole object or an inclusive byte range (an HTTP `Range` request); a range starting past the
 *   end throws `invalid_input`. `etag` is S3's ETag (quoted), `lastModified` its Last-Modified.
 * - `url(key, { expiresInSeconds, downloadName })` returns `publicBaseUrl + prefix + key` when `publicBaseUrl` is set,
 *   else a presigned GET URL (with an RFC 6266 `Content-Disposition: attachment` when `downloadName` is given).
 * - Errors are `GalleryError`s: `not_found` for a missing bucket, `auth_failed` for rejected credentials,
 *   `forbidden` for other 403s (with the permissions the storage needs), `storage_failed` (retryable) for 5xx and
 *   network failures.
 *
 * @example
 * const storage = createS3Storage({
 *   bucket: 'my-videos',
 *   prefix: 'gallery',
 *   clientConfig: { region: 'eu-west-1' }, // credentials from the environment
 * });
 * await storage.put('videos/a.mp4', response.body!, { contentType: 'video/mp4', maxBytes: 512 * 1024 * 1024 });
 * const link = await storage.url('videos/a.mp4', { expiresInSeconds: 600, downloadName: 'paper boat.mp4' });
 */
export function createS3Storage(options: S3StorageOptions): S3Storage {
  if (typeof options !== 'object' || options === null) {
    throw new GalleryError('invalid_input', 'createS3Storage: pass an options object, for example createS3Storage({ bucket: "my-videos", clientConfig: { region: "us-east-1" } }).', { retryable: false });
  }
  if (options.client !== undefined && options.clientConfig !== undefined) {
    throw new GalleryError('invalid_input', 'client / clientConfig: give one of them, not both. clientConfig is only used to create a client when none is passed.', { field: 'clientConfig', retryable: false });
  }
  if (options.clientConfig !== undefined && (typeof options.clientConfig !== 'object' || options.clientConfig === null)) {
    throw new GalleryError('invalid_input', 'clientConfig: must be an S3ClientConfig object, for example { region: "us-east-1" }.', { field: 'clientConfig', retryable: false });
  }
  const clientConfig = withChecksumDefaults(options.clientConfig ?? {});
  return buildS3Storage(options, {
    name: 's3',
    service: 'S3',
    createClient: (sdk) => new sdk.S3Client(clientConfig),
  });
}
