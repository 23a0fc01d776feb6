import { GalleryError } from '@video-gallery/core';

/** A full KIE rate-limit window: 429s are dropped, not queued, so wait the whole 10 s. */
export const KIE_DEFAULT_RETRY_AFTER_MS = 10_000;

/** Messages that say a task was refused for its content rather than for a malformed request. */
const CONTENT_POLICY = /polic|flagged|unsafe|sensitive|inappropriate|violat|prohibit|nsfw|moderat|rejected by flow|harmful|safety/i;

/** What was being done when the error came back. */
export type KieCallContext = 'start' | 'status' | 'upload';

/** True for Cloudflare's bare "error code: 1010" page, sent when a request has no browser-like User-Agent. */
export function isCloudflare1010(status: number, bodyText: string): boolean {
  return status === 403 && /error code:?\s*1010/i.test(bodyText);
}

/**
 * Maps a KIE error, from the body `code` or else the HTTP status, to a `GalleryError`.
 *
 * 401 → `auth_failed`; 402 → `quota_exceeded`; 404 → `not_found`; 408 → `timeout`; 422 "record is null" →
 * `not_found`, "14 days" → `expired`, "rejected by Flow" → `content_policy`, else `invalid_input`;
 * 429 → `rate_limited` (10 s default); 400 → `content_policy` when the message says so, else `invalid_input`;
 * 451 → `invalid_input` (KIE could not fetch the image); 455 / 500 / 501 → retryable `provider_error`;
 * 505 → `unsupported` (feature disabled); HTTP 403 "error code: 1010" → `auth_failed` explaining the User-Agent.
 */
export function kieError(
  code: number,
  message: string,
  options: { httpStatus: number; context: KieCallContext; retryAfterMs?: number; raw?: string },
): GalleryError {
  const text = message.trim() || `code ${code}`;
  const base = { status: options.httpStatus, providerCode: String(code), ...(options.raw === undefined ? {} : { raw: options.raw }) };
  switch (code) {
    case 401:
      return new GalleryError('auth_failed', `KIE rejected the API key: ${text} Check KIE_API_KEY (or the apiKey setting) at https://kie.ai/api-key.`, { ...base, retryable: false });
    case 402:
      return new GalleryError('quota_exceeded', `KIE account has insufficient credits: ${text} Top up at https://kie.ai/billing.`, { ...base, retryable: false });
    case 403:
      return new GalleryError('auth_failed', `KIE refused access (403): ${text}`, { ...base, retryable: false });
    case 404:
      return new GalleryError('not_found', `KIE could not find it (404): ${text}`, { ...base, retryable: false });
    case 408:
      return new GalleryError('timeout', `KIE's upstream gave no result in time (408): ${text}`, { ...base, retryable: true });
    case 422: {
      if (/record is null|record result data is blank/i.test(text)) {
        return new GalleryError('not_found', `KIE has no record of this task: ${text}`, { ...base, retryable: false });
      }
      if (/14 days/i.test(text)) {
        return new GalleryError('expired', `KIE keeps task records for 14 days only: ${text}`, { ...base, retryable: false });
      }
      if (CONTENT_POLICY.test(text)) {
        return new GalleryError('content_policy', `KIE's upstream refused the content: ${text}`, { ...base, retryable: false });
      }
      return new GalleryError('invalid_input', `KIE rejected the request (422): ${text}`, { ...base, retryable: false });
    }
    case 429:
      return new GalleryError('rate_limited', `KIE rate limit reached (20 new tasks per 10 s per account by default; rejected requests are not queued): ${text}`, {
        ...base,
        retryable: true,
        retryAfterMs: options.retryAfterMs ?? KIE_DEFAULT_RETRY_AFTER_MS,
      });
    case 400:
      if (CONTENT_POLICY.test(text)) return new GalleryError('content_policy', `KIE refused the content: ${text}`, { ...base, retryable: false });
      return new GalleryError('invalid_input', `KIE rejected the request (400): ${text}`, { ...base, retryable: false });
    case 451:
      return new GalleryError('invalid_input', `KIE could not fetch the input image (451): ${text} The image URL must be public and reachable.`, { ...base, field: 'image', retryable: false });
    case 455:
      return new GalleryError('provider_error', `KIE is under maintenance (455): ${text} Try again later.`, { ...base, retryable: true });
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
      return new GalleryError('provider_error', `KIE server error (${code}): ${text}`, { ...base, retryable: true });
    case 505:
      return new GalleryError('unsupported', `KIE has disabled this feature (505): ${text}`, { ...base, retryable: false });
    default:
      return new GalleryError('provider_error', `KIE answered code ${code}: ${text}`, { ...base, retryable: code >= 500 });
  }
}

/** The Cloudflare "error code: 1010" refusal, which looks like a bad key but is about the User-Agent. */
export function kieCloudflareError(bodyText: string): GalleryError {
  return new GalleryError(
    'auth_failed',
    'KIE\'s Cloudflare front refused the request (HTTP 403 "error code: 1010"). This is not a bad key: Cloudflare blocks clients without a browser-like User-Agent. Remove any headers setting that clears User-Agent, or set one explicitly.',
    { status: 403, providerCode: 'cloudflare-1010', retryable: false, raw: bodyText.slice(0, 200) },
  );
}

/**
 * Maps a task that ended in failure (Veo `successFlag` 2 or 3 with `errorCode`, or jobs `state: "fail"` with
 * `failCode`) to a `GalleryError`. `retryable` means "starting again may work".
 */
export function kieTaskFailure(errorCode: unknown, errorMessage: unknown, detail: { successFlag?: number } = {}): GalleryError {
  const code = typeof errorCode === 'number' ? errorCode : typeof errorCode === 'string' && /^\d+$/.test(errorCode.trim()) ? Number(errorCode) : undefined;
  const message = typeof errorMessage === 'string' && errorMessage.trim() !== '' ? errorMessage.trim() : 'no reason given';
  const providerCode = code === undefined ? (typeof errorCode === 'string' && errorCode !== '' ? errorCode : 'task-failed') : String(code);
  const stage = detail.successFlag === 3 ? 'generation failed upstream' : 'task failed';
  if (CONTENT_POLICY.test(message)) {
    return new GalleryError('content_policy', `KIE ${stage}, content refused: ${message} Rephrase the prompt or change the image.`, { providerCode, retryable: false });
  }
  if (code === 400 || code === 422) {
    return new GalleryError('invalid_input', `KIE ${stage}: ${message}`, { providerCode, retryable: false });
  }
  if (code === 451) {
    return new GalleryError('invalid_input', `KIE ${stage}: it could not fetch the input image: ${message}`, { providerCode, field: 'image', retryable: false });
  }
  if (code === 402) {
    return new GalleryError('quota_exceeded', `KIE ${stage}: insufficient credits: ${message}`, { providerCode, retryable: false });
  }
  if (code === 408) {
    return new GalleryError('timeout', `KIE ${stage}: no result from upstream in time: ${message}`, { providerCode, retryable: true });
  }
  return new GalleryError('provider_error', `KIE ${stage}${code === undefined ? '' : ` (${code})`}: ${message}`, { providerCode, retryable: true });
}
