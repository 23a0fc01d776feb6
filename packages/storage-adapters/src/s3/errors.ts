// Maps errors of the AWS SDK (S3 and S3-compatible services) to GalleryError.
import { GalleryError, isAbortError } from '@video-gallery/core';

/** What an error message needs to know about the storage. */
export interface S3ErrorContext {
  /** The bucket, named in `not_found` and permission errors. */
  bucket: string;
  /** 'S3' or 'R2', for messages. */
  service: string;
  /** The key prefix, for the resource named in permission hints. */
  prefix: string;
}

/** The fields of an AWS SDK service exception (or network error) this mapping reads. */
interface SdkErrorLike {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

const AUTH_CODES = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'AuthorizationHeaderMalformed',
  'RequestTimeTooSkewed', 'InvalidSecurity', 'CredentialsProviderError', 'Unauthorized',
]);
/** S3 error codes worth trying again whatever their status (S3 answers RequestTimeout with a 400). */
const RETRYABLE_CODES = new Set(['RequestTimeout', 'SlowDown', 'InternalError', 'ServiceUnavailable', 'OperationAborted']);
/** Node / undici error codes of a connection that failed: worth trying again. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** The S3 error code (`NoSuchKey`, `AccessDenied`, ...) of an SDK error, if any. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorLike;
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'S3ServiceException') return e.name;
  return undefined;
}

/** The HTTP status of the response an SDK error came from, if any. */
export function s3ErrorStatus(error: unknown): number | undefined {
  const status = (error as SdkErrorLike | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True for "the object is not there" (not for a missing bucket). */
export function isMissingObject(error: unknown): boolean {
  const code = s3ErrorCode(error);
  if (code === 'NoSuchBucket') return false;
  return code === 'NoSuchKey' || code === 'NotFound' || (code === undefined && s3ErrorStatus(error) === 404);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.message;
  return String(error);
}

/**
 * Turns anything the AWS SDK threw into a `GalleryError`:
 * - `NoSuchBucket` → `not_found` naming the bucket;
 * - rejected credentials (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, expired tokens, no credentials) → `auth_failed`;
 * - any other 403 (`AccessDenied`) → `forbidden`, with a hint about the IAM / bucket policy;
 * - 5xx, 408, 429, `RequestTimeout` and network failures → `storage_failed`, retryable;
 * - other 4xx → `storage_failed`, not retryable.
 */
export function s3Error(what: string, error: unknown, context: S3ErrorContext): GalleryError {
  if (GalleryError.isInstance(error)) return error;
  if (isAbortError(error)) return new GalleryError('cancelled', `${what} was aborted.`, { cause: error, retryable: false });
  const code = s3ErrorCode(error);
  const status = s3ErrorStatus(error);
  const detail = `${code ?? 'error'}${status === undefined ? '' : ` ${status}`}: ${messageOf(error)}`;
  const base = { cause: error, ...(code === undefined ? {} : { providerCode: code }), ...(status === undefined ? {} : { status }) };
  const resource = `${context.bucket}/${context.prefix}*`;

  if (code === 'NoSuchBucket') {
    return new GalleryError('not_found', `${what} failed: the ${context.service} bucket ${JSON.stringify(context.bucket)} does not exist (${detail}). Create it, or fix the bucket option and the region / endpoint it lives in.`, { ...base, retryable: false });
  }
  if (code !== undefined && AUTH_CODES.has(code)) {
    const hint = code === 'CredentialsProviderError'
      ? 'No credentials were found: pass them in the options (clientConfig.credentials for S3) or through the usual AWS environment variables / profile.'
      : code === 'RequestTimeTooSkewed'
        ? 'The clock of this machine is too far off; synchronise it (NTP).'
        : 'Check the access key id and the secret access key (and the session token, if any).';
    return new GalleryError('auth_failed', `${what} failed: ${context.service} rejected the credentials (${detail}). ${hint}`, { ...base, retryable: false });
  }
  if (status === 401) {
    return new GalleryError('auth_failed', `${what} failed: ${context.service} rejected the credentials (${detail}). Check the access key id and the secret access key.`, { ...base, retryable: false });
  }
  if (status === 403) {
    return new GalleryError('forbidden', `${what} failed: access denied by ${context.service} (${detail}). The credentials are valid but not allowed to do this: the IAM policy, bucket policy or API token must allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on ${resource}, and s3:ListBucket on ${context.bucket} (without it a missing key answers 403 instead of 404).`, { ...base, retryable: false });
  }
  if (/region is missing/i.test(messageOf(error))) {
    return new GalleryError('invalid_input', `${what} failed: no region is configured. Pass clientConfig.region (for example 'us-east-1'), or set AWS_REGION.`, { ...base, field: 'clientConfig.region', retryable: false });
  }
  if (status === undefined) {
    const errno = (error as SdkErrorLike | null)?.code;
    const reason = typeof errno === 'string' && NETWORK_CODES.has(errno) ? `${errno}: ${messageOf(error)}` : messageOf(error);
    return new GalleryError('storage_failed', `${what} failed: could not reach ${context.service} (${reason}). This is usually temporary; try again.`, { ...base, retryable: true });
  }
  if (status >= 500 || status === 408 || status === 429 || (code !== undefined && RETRYABLE_CODES.has(code))) {
    return new GalleryError('storage_failed', `${what} failed: ${context.service} answered ${detail}. This is usually temporary; try again.`, { ...base, retryable: true });
  }
  return new GalleryError('storage_failed', `${what} failed: ${context.service} answered ${detail}.`, { ...base, retryable: false });
}
