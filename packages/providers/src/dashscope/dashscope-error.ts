/**
 * DashScope error envelopes and their mapping to `GalleryError`.
 *
 * HTTP failures use a flat envelope `{ code, message, request_id }` (no `output`). A task that fails later still
 * answers HTTP 200 with `output.task_status: "FAILED"` and `output.code` / `output.message`.
 */
import { GalleryError } from '@video-gallery/core';
import { httpStatusError, type HttpResponse } from '../shared/http.js';

/** Provider name used in messages. */
export const DASHSCOPE = 'DashScope';

/** The flat error envelope of a non-200 answer. */
export interface DashScopeErrorEnvelope {
  code?: string;
  message?: string;
  request_id?: string;
}

/** Reads `{ code, message, request_id }` from any value, keeping only string fields. */
export function readErrorEnvelope(data: unknown): DashScopeErrorEnvelope {
  if (typeof data !== 'object' || data === null) return {};
  const record = data as Record<string, unknown>;
  const envelope: DashScopeErrorEnvelope = {};
  if (typeof record.code === 'string') envelope.code = record.code;
  if (typeof record.message === 'string') envelope.message = record.message;
  if (typeof record.request_id === 'string') envelope.request_id = record.request_id;
  return envelope;
}

/** Codes that mean the content was refused by moderation or as likely IP infringement. */
export function isContentPolicyCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return code === 'DataInspectionFailed' || code.endsWith('.DataInspectionFailed') || code === 'IPInfringementSuspect' || code.endsWith('.IPInfringementSuspect');
}

/** Default wait after a 429 that carries no `Retry-After`. */
export const DASHSCOPE_DEFAULT_RETRY_AFTER_MS = 5_000;

/** What the mapping needs to know about the call. */
export interface DashScopeErrorContext {
  /** The base URL the request went to (named in region / key messages). */
  baseURL: string;
  /** The model of the request, when there is one (named in ModelNotFound messages). */
  model?: string;
  /** The operation, for messages: `submit`, `status`, `cancel`, `list`. */
  operation: 'submit' | 'status' | 'cancel' | 'list';
}

function detail(envelope: DashScopeErrorEnvelope): string {
  const parts = [envelope.code, envelope.message].filter((part): part is string => part !== undefined && part !== '');
  const requestId = envelope.request_id === undefined ? '' : ` [request_id ${envelope.request_id}]`;
  return parts.length === 0 ? requestId.trim() : `${parts.join(': ')}${requestId}`;
}

/** Maps a non-200 DashScope answer to a `GalleryError`. */
export function mapDashScopeHttpError(response: HttpResponse, context: DashScopeErrorContext): GalleryError {
  const envelope = readErrorEnvelope(response.data);
  const code = envelope.code;
  const status = response.status;
  const info = detail(envelope);
  const about = info === '' ? '' : ` (${info})`;
  const common = {
    status,
    ...(code === undefined ? {} : { providerCode: code }),
    ...(response.malformed ? { raw: response.snippet } : {}),
  };

  if (status === 401 || code === 'InvalidApiKey') {
    return new GalleryError(
      'auth_failed',
      `DashScope rejected the API key${about}. DashScope keys belong to one region, and a key from another region ` +
        `fails exactly like a wrong key: this request went to ${context.baseURL}. Check DASHSCOPE_API_KEY, or point ` +
        'baseURL / DASHSCOPE_BASE_URL at the region the key was created in ' +
        '(international: https://dashscope-intl.aliyuncs.com/api/v1, Beijing: https://dashscope.aliyuncs.com/api/v1).',
      { ...common, retryable: false },
    );
  }
  if (code === 'Arrearage') {
    return new GalleryError('quota_exceeded', `DashScope refused the request because the Alibaba Cloud account has an overdue balance${about}. Top up the account and try again.`, {
      ...common,
      retryable: false,
    });
  }
  if (isContentPolicyCode(code)) {
    return new GalleryError('content_policy', `DashScope's content check refused the request${about}. Change the prompt or image; the check sometimes flags harmless input.`, {
      ...common,
      retryable: false,
    });
  }
  if (status === 429 || (code !== undefined && code.startsWith('Throttling'))) {
    const retryAfterMs = response.retryAfterMs ?? DASHSCOPE_DEFAULT_RETRY_AFTER_MS;
    return new GalleryError(
      'rate_limited',
      `DashScope is throttling requests${about}. New accounts may submit about 2 video tasks per second and run 2 at once. Try again in ${Math.ceil(retryAfterMs / 1000)} s.`,
      { ...common, retryable: true, retryAfterMs },
    );
  }
  if (code === 'ModelNotFound' || (status === 404 && context.operation === 'submit')) {
    const model = context.model === undefined ? 'the model' : `model '${context.model}'`;
    return new GalleryError(
      'unsupported',
      `DashScope does not offer ${model} at ${context.baseURL}${about}. Check the model id, and whether the model is ` +
        'offered in this region (models differ between the international, Beijing and US endpoints).',
      { ...common, retryable: false, field: 'model' },
    );
  }
  if (code === 'AccessDenied' || code?.startsWith('AccessDenied') === true || status === 403) {
    const hint =
      context.operation === 'submit'
        ? ' Video submissions need the header X-DashScope-Async: enable (this SDK sends it); a proxy that strips it causes' +
          ' "does not support synchronous calls". The model may also not be activated for this account or workspace.'
        : ' The key may lack access to this workspace or task.';
    return new GalleryError('provider_error', `DashScope denied access${about}.${hint}`, { ...common, retryable: false });
  }
  if (code === 'InternalError.Algo.InvalidParameter' || (code !== undefined && /download|multimodal/i.test(envelope.message ?? '') && status === 400)) {
    return new GalleryError(
      'invalid_input',
      `DashScope could not use an input${about}. Image URLs must be publicly reachable from Alibaba Cloud; without a public URL the SDK sends the image inline as a data URI.`,
      { ...common, retryable: false, field: 'image' },
    );
  }
  if (code === 'InvalidParameter' || code?.startsWith('BadRequest') === true || code?.startsWith('InvalidParameter') === true) {
    return new GalleryError('invalid_input', `DashScope rejected the request parameters${about}.`, { ...common, retryable: false });
  }
  return httpStatusError(DASHSCOPE, response, {
    ...(code === undefined ? {} : { providerCode: code }),
    ...(envelope.message === undefined ? {} : { message: envelope.message }),
    defaultRetryAfterMs: DASHSCOPE_DEFAULT_RETRY_AFTER_MS,
  });
}

/** Maps the `code` / `message` of a FAILED task. */
export function mapDashScopeTaskFailure(code: string | undefined, message: string | undefined, taskId: string): GalleryError {
  const info = [code, message].filter((part): part is string => part !== undefined && part !== '').join(': ');
  const about = info === '' ? '' : ` (${info})`;
  const providerCode = code === undefined ? {} : { providerCode: code };
  if (isContentPolicyCode(code)) {
    return new GalleryError('content_policy', `DashScope's content check stopped task ${taskId}${about}. Change the prompt or image; the check sometimes flags harmless input.`, {
      ...providerCode,
      retryable: false,
    });
  }
  if (code === 'InternalError.Algo.InvalidParameter' || code === 'InvalidParameter') {
    return new GalleryError('invalid_input', `DashScope task ${taskId} failed on its input${about}. Image URLs must be publicly reachable from Alibaba Cloud.`, {
      ...providerCode,
      retryable: false,
    });
  }
  return new GalleryError('provider_error', `DashScope task ${taskId} failed${about}.`, { ...providerCode, retryable: false });
}
