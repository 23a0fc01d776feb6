import { GalleryError } from '@video-gallery/core';
import type { GalleryErrorCode } from '@video-gallery/core';

/** `google.rpc.Status` as the Gemini API sends it in an HTTP error body (`status` is a string there). */
export interface GoogleRpcStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: unknown[];
}

/** How long to wait after a 429 that carries no Retry-After and no RetryInfo. */
export const VEO_DEFAULT_RETRY_AFTER_MS = 30_000;

const PAID_TIER_HINT =
  'Veo is only offered on the paid tier of the Gemini API: enable billing on the Google Cloud project of this key (https://ai.google.dev/gemini-api/docs/billing).';

/**
 * Reads `{ error: google.rpc.Status }` from a response body (parsed JSON, or text that is parsed here);
 * `undefined` when the body is not that shape.
 */
export function parseGoogleError(body: unknown): GoogleRpcStatus | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const error = (parsed as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  return error as GoogleRpcStatus;
}

/** `google.rpc.RetryInfo.retryDelay` ("30s", "1.5s") from `details`, in milliseconds. */
export function retryDelayFromDetails(details: unknown[] | undefined): number | undefined {
  for (const detail of details ?? []) {
    if (typeof detail !== 'object' || detail === null) continue;
    const record = detail as Record<string, unknown>;
    if (typeof record['@type'] !== 'string' || !record['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const delay = record.retryDelay;
    if (typeof delay === 'string') {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (match) return Math.round(Number(match[1]) * 1000);
    }
  }
  return undefined;
}

/** `google.rpc.ErrorInfo.reason` from `details`, such as `API_KEY_INVALID`. */
export function errorReason(details: unknown[] | undefined): string | undefined {
  for (const detail of details ?? []) {
    if (typeof detail !== 'object' || detail === null) continue;
    const record = detail as Record<string, unknown>;
    if (typeof record['@type'] === 'string' && record['@type'].endsWith('google.rpc.ErrorInfo') && typeof record.reason === 'string') return record.reason;
  }
  return undefined;
}

/** INVALID_ARGUMENT messages that are about the content (Responsible AI), not about the request's shape. */
const SUBMIT_BLOCKED = /responsible ai|usage guidelines|violat|blocked|sensitive|prohibited|safety/i;

/** The request field named in backticks by an INVALID_ARGUMENT message, such as `durationSeconds`. */
function fieldFromMessage(message: string): string | undefined {
  const match = /`([A-Za-z][A-Za-z0-9_.]*)`/.exec(message);
  return match?.[1];
}

/** What was being done when an HTTP error came back; it changes what a 404 means. */
export type VeoCallContext = 'start' | 'status';

/**
 * Maps an HTTP error of the Gemini API to a `GalleryError`. `body` is the parsed JSON body, or the raw text
 * when it was not JSON.
 *
 * - 400 INVALID_ARGUMENT → `invalid_input` with Google's message (and the field it names); `content_policy`
 *   when the message is a Responsible-AI refusal; `auth_failed` for ErrorInfo reason `API_KEY_INVALID`
 * - 400 FAILED_PRECONDITION → `quota_exceeded` when it is about billing or the free tier, else `auth_failed`
 *   (the key's project cannot use Veo, for example an unsupported location)
 * - 401 / 403 → `auth_failed`; 404 → `unsupported` (unknown model) at start, `expired` (operation gone) later
 * - 408 → `timeout`; 429 → `rate_limited` with `retryAfterMs`; 5xx → retryable `provider_error`
 */
export function veoHttpError(
  status: number,
  body: unknown,
  options: { context: VeoCallContext; model?: string; retryAfterMs?: number },
): GalleryError {
  const rpc = parseGoogleError(body);
  const rpcStatus = rpc?.status;
  const googleMessage = rpc?.message?.trim() || undefined;
  const bodyText = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  const detail = googleMessage ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`);
  const common = { status, providerCode: rpcStatus ?? String(status) };
  const raw = rpc || bodyText === '' ? undefined : bodyText.slice(0, 500);
  const withRaw = <T extends object>(value: T): T & { raw?: string } => (raw === undefined ? value : { ...value, raw });

  if (status === 429 || rpcStatus === 'RESOURCE_EXHAUSTED') {
    const retryAfterMs = options.retryAfterMs ?? retryDelayFromDetails(rpc?.details) ?? VEO_DEFAULT_RETRY_AFTER_MS;
    return new GalleryError(
      'rate_limited',
      `Gemini API rate limit or quota reached (RESOURCE_EXHAUSTED): ${detail} Wait and try again; if it persists, check the project's Veo quota and spend cap.`,
      withRaw({ ...common, retryAfterMs, retryable: true }),
    );
  }
  if (rpcStatus === 'FAILED_PRECONDITION') {
    const aboutBilling = /billing|paid|free tier|tier|credit|plan/i.test(detail);
    const code: GalleryErrorCode = aboutBilling ? 'quota_exceeded' : 'auth_failed';
    const hint = aboutBilling ? PAID_TIER_HINT : `The key's project cannot use this model here (FAILED_PRECONDITION). ${PAID_TIER_HINT} Veo is also unavailable in some locations.`;
    return new GalleryError(code, `Gemini API refused the request: ${detail} ${hint}`, withRaw({ ...common, retryable: false }));
  }
  if (status === 401 || status === 403 || rpcStatus === 'UNAUTHENTICATED' || rpcStatus === 'PERMISSION_DENIED' || errorReason(rpc?.details) === 'API_KEY_INVALID') {
    return new GalleryError(
      'auth_failed',
      `Gemini API rejected the key (${rpcStatus ?? `HTTP ${status}`}): ${detail} Check GEMINI_API_KEY (or the apiKey setting) and that the key's project has the Generative Language API enabled.`,
      withRaw({ ...common, retryable: false }),
    );
  }
  if (status === 404 || rpcStatus === 'NOT_FOUND') {
    if (options.context === 'start') {
      return new GalleryError(
        'unsupported',
        `Veo model ${JSON.stringify(options.model ?? '?')} was not found on this endpoint: ${detail} Use one of the models listed by veo.models(), or check the base URL.`,
        withRaw({ ...common, retryable: false }),
      );
    }
    // The operation name came from this API, so "not found" means Google no longer keeps it.
    return new GalleryError(
      'expired',
      `The Gemini API no longer knows this Veo operation: ${detail} Operations and their videos are kept for 2 days.`,
      withRaw({ ...common, retryable: false }),
    );
  }
  if (status === 400 || rpcStatus === 'INVALID_ARGUMENT' || rpcStatus === 'OUT_OF_RANGE') {
    if (googleMessage !== undefined && SUBMIT_BLOCKED.test(googleMessage)) {
      return new GalleryError('content_policy', `Veo refused the prompt or image: ${detail} Rephrase it and try again.`, withRaw({ ...common, retryable: false }));
    }
    const field = googleMessage ? fieldFromMessage(googleMessage) : undefined;
    const options2 = withRaw({ ...common, retryable: false, ...(field === undefined ? {} : { field }) });
    return new GalleryError('invalid_input', `Gemini API rejected the request: ${detail}`, options2);
  }
  if (status === 408 || status === 504 || rpcStatus === 'DEADLINE_EXCEEDED') {
    return new GalleryError('timeout', `Gemini API timed out: ${detail}`, withRaw({ ...common, retryable: true }));
  }
  if (status >= 500) {
    return new GalleryError('provider_error', `Gemini API server error (HTTP ${status}): ${detail} Trying again later usually works.`, withRaw({ ...common, retryable: true }));
  }
  return new GalleryError('provider_error', `Gemini API answered HTTP ${status}: ${detail}`, withRaw({ ...common, retryable: false }));
}

const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

/**
 * Maps the `error` of a finished operation (numeric gRPC code, no `status` string) to a `GalleryError`.
 * `retryable` there means "starting the generation again may work", never "poll again".
 */
export function veoOperationError(error: { code?: unknown; message?: unknown }): GalleryError {
  const code = typeof error.code === 'number' ? error.code : 2;
  const name = GRPC_NAMES[code] ?? `code ${code}`;
  const message = typeof error.message === 'string' && error.message.trim() !== '' ? error.message.trim() : 'no message';
  const options = { providerCode: name };
  switch (code) {
    case 1:
      return new GalleryError('cancelled', `The Veo operation was cancelled: ${message}`, { ...options, retryable: false });
    case 3:
    case 9:
    case 11:
      return new GalleryError('invalid_input', `Veo rejected the request (${name}): ${message}`, { ...options, retryable: false });
    case 4:
      return new GalleryError('timeout', `Veo did not finish in time (${name}): ${message}`, { ...options, retryable: true });
    case 5:
      return new GalleryError('not_found', `Veo could not find something the request needs (${name}): ${message}`, { ...options, retryable: false });
    case 7:
    case 16:
      return new GalleryError('auth_failed', `Veo refused the key (${name}): ${message}`, { ...options, retryable: false });
    case 8:
      return new GalleryError('rate_limited', `Veo capacity or quota was exhausted (${name}): ${message} Try again later.`, { ...options, retryable: true, retryAfterMs: VEO_DEFAULT_RETRY_AFTER_MS });
    case 12:
      return new GalleryError('unsupported', `Veo does not support this request (${name}): ${message}`, { ...options, retryable: false });
    default:
      // 2 UNKNOWN, 10 ABORTED, 13 INTERNAL, 14 UNAVAILABLE, 15 DATA_LOSS and anything new.
      return new GalleryError('provider_error', `Veo failed (${name}): ${message}`, { ...options, retryable: code !== 15 });
  }
}

/**
 * A finished operation whose videos were all removed by Google's responsible-AI filters. It is a failure
 * with the reasons Google gave (the attempt is not billed), never a success with no video.
 */
export function veoContentPolicyError(filteredCount: number, reasons: string[]): GalleryError {
  const why = reasons.length > 0 ? reasons.join(' | ') : 'no reason was given';
  return new GalleryError(
    'content_policy',
    `Veo's safety filters removed ${filteredCount} video${filteredCount === 1 ? '' : 's'}: ${why}. Rephrase the prompt (or change the image) and try again; filtered attempts are not billed.`,
    { providerCode: 'RAI_MEDIA_FILTERED', retryable: false },
  );
}
