import type { S3Client } from '@aws-sdk/client-s3';
import { GalleryError } from '@video-gallery/core';
import { buildS3Storage, withChecksumDefaults, type S3CommonOptions, type S3Storage } from '../s3/storage.js';

export type { S3Storage } from '../s3/storage.js';

/**
 * R2 jurisdictions with their own S3 endpoint (`https://<accountId>.<jurisdiction>.r2.cloudflarestorage.com`):
 * `eu` (European Union), `fedramp` (FedRAMP, Enterprise accounts) and `us` (United States). A bucket created in a
 * jurisdiction is reachable only through that jurisdiction's endpoint.
 */
export const R2_JURISDICTIONS = ['eu', 'fedramp', 'us'] as const;
export type R2Jurisdiction = (typeof R2_JURISDICTIONS)[number];

/** Options of `createR2Storage`. */
export interface R2StorageOptions extends S3CommonOptions {
  /** Required (unless `client` or `endpoint` is given). The Cloudflare account ID (32 hex characters, shown on the R2 overview page). */
  accountId?: string;
  /** Required (unless `client` is given). The Access Key ID of an R2 API token. */
  accessKeyId?: string;
  /** Required (unless `client` is given). The Secret Access Key of that R2 API token. */
  secretAccessKey?: string;
  /** The jurisdiction the bucket was created in (`'eu'`, `'fedramp'`, `'us'`), which selects its endpoint. Default: none. */
  jurisdiction?: R2Jurisdiction;
  /**
   * Where the bucket is public: its `https://pub-<hash>.r2.dev` URL (rate-limited, not for production) or a custom
   * domain connected to the bucket. `url()` then returns `publicBaseUrl + prefix + key`. Presigned URLs only work on
   * the S3 API endpoint, never on these domains, so without `publicBaseUrl` `url()` returns a presigned URL on
   * `<accountId>.r2.cloudflarestorage.com`. Default: none.
   */
  publicBaseUrl?: string;
  /**
   * An `S3Client` to use as it is, instead of one built from `accountId` and the keys. Create it with
   * `region: 'auto'`, the R2 endpoint and `requestChecksumCalculation: 'WHEN_REQUIRED'` /
   * `responseChecksumValidation: 'WHEN_REQUIRED'`.
   */
  client?: S3Client;
  /**
   * Overrides the endpoint built from `accountId` and `jurisdiction` (an absolute http(s) URL): a proxy, or an
   * S3-compatible test server. Default: `https://<accountId>[.<jurisdiction>].r2.cloudflarestorage.com`.
   */
  endpoint?: string;
}

function invalid(field: string, message: string): never {
  throw new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}

/**
 * The R2 S3 API endpoint of an account: `https://<accountId>.r2.cloudflarestorage.com`, or
 * `https://<accountId>.<jurisdiction>.r2.cloudflarestorage.com` for a bucket in a jurisdiction.
 * Throws `invalid_input` for an account ID that cannot be a host name label or an unknown jurisdiction.
 *
 * @example
 * r2Endpoint('0123456789abcdef0123456789abcdef', 'eu') // 'https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com'
 */
export function r2Endpoint(accountId: string, jurisdiction?: R2Jurisdiction): string {
  if (typeof accountId !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(accountId)) {
    invalid('accountId', `${JSON.stringify(String(accountId)).slice(0, 80)} is not a Cloudflare account ID; copy the 32-character ID from the R2 overview page of the dashboard.`);
  }
  assertJurisdiction(jurisdiction);
  return `https://${accountId.toLowerCase()}${jurisdiction === undefined ? '' : `.${jurisdiction}`}.r2.cloudflarestorage.com`;
}

function assertJurisdiction(jurisdiction: unknown): asserts jurisdiction is R2Jurisdiction | undefined {
  if (jurisdiction !== undefined && !(R2_JURISDICTIONS as readonly unknown[]).includes(jurisdiction)) {
    invalid('jurisdiction', `${JSON.stringify(String(jurisdiction))} is not an R2 jurisdiction; use one of ${R2_JURISDICTIONS.map((j) => `'${j}'`).join(', ')}, or leave it out.`);
  }
}

function requireString(field: string, value: unknown, hint: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(field, `required (${hint}).`);
  return value;
}

/**
 * Creates a blob storage on Cloudflare R2 through its S3 API: the S3 storage (`createS3Storage`) with R2's endpoint,
 * region `auto`, path-style addressing and checksums only when required. Same behaviour and errors as the S3
 * storage; see docs/storage/r2.md for what differs on R2 (no ACLs or object tagging, public access through `r2.dev`
 * or a custom domain only, presigned URLs on the S3 endpoint only, equal-sized multipart parts).
 *
 * @example
 * const storage = createR2Storage({
 *   accountId: process.env.R2_ACCOUNT_ID!,
 *   accessKeyId: process.env.R2_ACCESS_KEY_ID!,
 *   secretAccessKey: process.env.R2_SECRET_ACCESS_KEY!,
 *   bucket: 'videos',
 *   publicBaseUrl: 'https://media.example.com', // a custom domain connected to the bucket
 * });
 */
export function createR2Storage(options: R2StorageOptions): S3Storage {
  if (typeof options !== 'object' || options === null) {
    throw new GalleryError('invalid_input', 'createR2Storage: pass an options object: { accountId, accessKeyId, secretAccessKey, bucket }.', { retryable: false });
  }
  const { client } = options;
  let endpoint: string | undefined;
  let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  if (client === undefined) {
    if (options.endpoint !== undefined) {
      let parsed: URL | null = null;
      try {
        parsed = new URL(options.endpoint);
      } catch {
        parsed = null;
      }
      if (parsed === null || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
        invalid('endpoint', `${JSON.stringify(String(options.endpoint)).slice(0, 120)} must be an absolute http(s) URL.`);
      }
      endpoint = options.endpoint;
      assertJurisdiction(options.jurisdiction);
    } else {
      endpoint = r2Endpoint(requireString('accountId', options.accountId, 'the Cloudflare account ID from the R2 overview page'), options.jurisdiction);
    }
    credentials = {
      accessKeyId: requireString('accessKeyId', options.accessKeyId, 'the Access Key ID of an R2 API token'),
      secretAccessKey: requireString('secretAccessKey', options.secretAccessKey, 'the Secret Access Key of that R2 API token'),
    };
  } else if (options.endpoint !== undefined || options.accessKeyId !== undefined || options.secretAccessKey !== undefined) {
    invalid('client', 'an injected client brings its own endpoint and credentials; leave out endpoint, accessKeyId and secretAccessKey.');
  }
  const clientConfig = endpoint === undefined || credentials === undefined
    ? null
    : withChecksumDefaults({ region: 'auto', endpoint, forcePathStyle: true, credentials });
  return buildS3Storage(options, {
    name: 'r2',
    service: 'R2',
    createClient: (sdk) => {
      if (clientConfig === null) throw new GalleryError('invalid_input', 'createR2Storage: no client and no credentials.', { retryable: false });
      return new sdk.S3Client(clientConfig);
    },
  });
}
