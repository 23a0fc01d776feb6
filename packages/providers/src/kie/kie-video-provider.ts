import { GalleryError } from '@video-gallery/core';
import type { JSONObject, JSONValue, ModelCapabilities, ProviderImage, ProviderRequest, ProviderStatus, StartResult, VideoProvider } from '@video-gallery/core';
import { bytesToBase64 } from '../shared/encoding.js';
import { createHttpClient, malformedResponseError, originOf } from '../shared/http.js';
import type { HttpClient, HttpResponse } from '../shared/http.js';
import { KIE_MODELS, KIE_RESULT_TTL_SECONDS } from './kie-capabilities.js';
import type { KieApi } from './kie-capabilities.js';
import { isCloudflare1010, kieCloudflareError, kieError, kieTaskFailure } from './kie-error.js';
import type { KieCallContext } from './kie-error.js';
import { buildRequest } from './kie-request.js';
import type { KieImageUrls } from './kie-request.js';
import type { KieProviderSettings } from './kie-video-settings.js';
import { DeliveryCache, KIE_SIGNATURE_HEADER, KIE_TIMESTAMP_HEADER, constantTimeEqual, kieWebhookSignature } from './kie-webhook.js';

/** KIE's API root used when neither `baseURL` nor `KIE_BASE_URL` is set. */
export const KIE_DEFAULT_BASE_URL = 'https://api.kie.ai';
/** KIE's file upload root used when neither `uploadBaseURL` nor `KIE_UPLOAD_BASE_URL` is set. */
export const KIE_DEFAULT_UPLOAD_BASE_URL = 'https://kieai.redpandaai.co';

/**
 * A task id KIE returned moments ago may not be queryable yet; "record is null" within this long after the
 * submission is read as "still pending" rather than as a lost task.
 */
const RECORD_GRACE_MS = 60_000;

/** What `start` returns as the task, persisted on the entry. */
export interface KieTask {
  provider: 'kie';
  /** Which KIE API the task went through: `veo` (`/api/v1/veo/*`) or `jobs` (`/api/v1/jobs/*`). */
  api: KieApi;
  taskId: string;
  model: string;
  /** ISO time of the submission. */
  submittedAt: string;
}

/** A KIE.ai provider. */
export interface KieProvider extends VideoProvider {
  readonly id: 'kie';
  models(): ModelCapabilities[];
  trustedOrigins(): string[];
  cancel(task: JSONValue): Promise<{ cancelled: boolean }>;
  verifyWebhook(request: Request): Promise<{ task: JSONValue } | null>;
}

function readEnv(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const TASK_ID = /^[A-Za-z0-9._-]{1,200}$/;

function parseTask(task: JSONValue): KieTask {
  if (isObject(task) && (task.api === 'veo' || task.api === 'jobs') && typeof task.taskId === 'string' && TASK_ID.test(task.taskId)) {
    return {
      provider: 'kie',
      api: task.api,
      taskId: task.taskId,
      model: typeof task.model === 'string' ? task.model : '',
      submittedAt: typeof task.submittedAt === 'string' ? task.submittedAt : '',
    };
  }
  throw new GalleryError('invalid_input', `Not a KIE task: ${JSON.stringify(task)?.slice(0, 200)}. It needs { api: "veo" | "jobs", taskId }.`, { retryable: false });
}

/** `code` of KIE's envelope, as a number when it is one (some responses send it as a string). */
function bodyCode(data: unknown): number | undefined {
  if (!isObject(data)) return undefined;
  const code = data.code;
  if (typeof code === 'number' && Number.isFinite(code)) return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  return undefined;
}

/** `msg`, or `message` in the docs examples that use that name. */
function bodyMessage(data: unknown): string {
  if (!isObject(data)) return '';
  if (typeof data.msg === 'string') return data.msg;
  if (typeof data.message === 'string') return data.message;
  return '';
}

/**
 * Reads KIE's `{ code, msg | message, data }` envelope, checking both the HTTP status and the body `code`
 * (KIE sends most business errors as HTTP 200 with a non-200 code). Returns `data`, or throws the mapped error.
 */
function unwrap(response: HttpResponse, context: KieCallContext): unknown {
  if (isCloudflare1010(response.status, response.snippet)) throw kieCloudflareError(response.snippet);
  const code = bodyCode(response.data);
  const options = {
    httpStatus: response.status,
    context,
    ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
    ...(response.malformed ? { raw: response.snippet } : {}),
  };
  if (!response.ok) {
    // A real HTTP failure: the body code (when there is one) is more precise than the status.
    const message = bodyMessage(response.data) || (response.malformed ? response.snippet.slice(0, 200) : '') || `HTTP ${response.status}`;
    throw kieError(code !== undefined && code !== 200 ? code : response.status, message, options);
  }
  if (response.malformed || !isObject(response.data)) {
    throw malformedResponseError('KIE', response, { retryable: context !== 'start', what: 'response envelope' });
  }
  if (code !== 200 && !(context === 'upload' && code === undefined && response.data.success === true)) {
    throw kieError(code ?? 0, bodyMessage(response.data) || `code ${String(response.data.code)}`, options);
  }
  return response.data.data;
}

/** `resultUrls` may be an array or a JSON-encoded string, depending on the endpoint and the docs' date. */
function urlList(value: unknown): string[] {
  let list = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text) as unknown;
      } catch {
        return [];
      }
    } else {
      list = text === '' ? [] : [text];
    }
  }
  return Array.isArray(list) ? list.filter((url): url is string => typeof url === 'string' && /^https?:\/\//i.test(url)) : [];
}

function extensionOf(mediaType: string): string {
  const subtype = mediaType.split('/')[1]?.split(/[;+]/)[0] ?? 'bin';
  return subtype === 'jpeg' ? 'jpg' : subtype.replace(/[^a-z0-9]/gi, '') || 'bin';
}

/**
 * Creates a KIE.ai provider.
 *
 * ```ts
 * import { createKie } from '@video-gallery/providers/kie';
 * const kie = createKie({ apiKey: process.env.KIE_API_KEY, callbackUrl: 'https://example.com/api/gallery/webhooks/kie' });
 * ```
 */
export function createKie(settings: KieProviderSettings = {}): KieProvider {
  const baseURL = (): string => (settings.baseURL ?? readEnv('KIE_BASE_URL') ?? KIE_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const uploadBaseURL = (): string => (settings.uploadBaseURL ?? readEnv('KIE_UPLOAD_BASE_URL') ?? KIE_DEFAULT_UPLOAD_BASE_URL).replace(/\/+$/, '');
  const apiKey = (): string => {
    const key = settings.apiKey ?? readEnv('KIE_API_KEY');
    if (key === undefined || key === '') {
      throw new GalleryError('auth_failed', 'No KIE API key: set the KIE_API_KEY environment variable or pass apiKey to createKie().', {
        retryable: false,
        providerCode: 'missing_api_key',
      });
    }
    return key;
  };
  const now = settings.now ?? Date.now;
  const headers = (): Record<string, string> => ({ Authorization: `Bearer ${apiKey()}`, ...settings.headers });
  const common = {
    headers,
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
  };
  const api: HttpClient = createHttpClient({ provider: 'KIE', baseURL, ...common });
  const uploads: HttpClient = createHttpClient({ provider: 'KIE file upload', baseURL: uploadBaseURL, ...common });
  const deliveries = new DeliveryCache();
  const toleranceMs = settings.webhookToleranceMs ?? 5 * 60_000;

  /** Uploads a local image (`file-base64-upload`) and returns the URL KIE can fetch it from. */
  async function upload(image: ProviderImage, name: string, signal: AbortSignal | undefined): Promise<string> {
    const response = await uploads.request({
      method: 'POST',
      path: '/api/file-base64-upload',
      json: {
        base64Data: `data:${image.mediaType};base64,${bytesToBase64(image.data)}`,
        uploadPath: settings.uploadPath ?? 'video-gallery',
        fileName: `${name}.${extensionOf(image.mediaType)}`,
      },
      // The same file name overwrites the same file, so repeating an upload is harmless.
      idempotent: true,
      ...(signal === undefined ? {} : { signal }),
    });
    const data = unwrap(response, 'upload');
    const url = isObject(data) ? (typeof data.downloadUrl === 'string' ? data.downloadUrl : typeof data.fileUrl === 'string' ? data.fileUrl : undefined) : undefined;
    if (url === undefined) throw malformedResponseError('KIE file upload', response, { retryable: true, what: 'upload result (no downloadUrl or fileUrl)' });
    return url;
  }

  async function imageUrls(request: ProviderRequest, idempotencyKey: string, signal: AbortSignal | undefined): Promise<KieImageUrls> {
    const safe = idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) || 'image';
    const urls: KieImageUrls = {};
    if (request.mode !== 'text' && request.image) urls.image = request.image.url ?? (await upload(request.image, `${safe}-first`, signal));
    if (request.mode === 'first-last-frame' && request.lastFrame) urls.lastFrame = request.lastFrame.url ?? (await upload(request.lastFrame, `${safe}-last`, signal));
    return urls;
  }

  const expiresAt = (): string => new Date(now() + KIE_RESULT_TTL_SECONDS * 1000).toISOString();

  function veoStatus(data: Json): ProviderStatus {
    const flag = typeof data.successFlag === 'number' ? data.successFlag : Number(data.successFlag);
    if (flag === 1) {
      const response = isObject(data.response) ? data.response : {};
      let urls = urlList(response.resultUrls);
      if (urls.length === 0) urls = urlList(data.resultUrls);
      if (urls.length === 0) {
        return { state: 'failed', error: new GalleryError('provider_error', 'KIE reported success without any result URL (record result data is blank).', { providerCode: 'no-result-urls', retryable: true }) };
      }
      const at = expiresAt();
      return { state: 'succeeded', outputs: urls.map((url) => ({ url, expiresAt: at })), ...(typeof response.resolution === 'string' ? { usage: { resolution: response.resolution } } : {}) };
    }
    if (flag === 2 || flag === 3) return { state: 'failed', error: kieTaskFailure(data.errorCode, data.errorMessage, { successFlag: flag }) };
    return { state: 'pending' };
  }

  function jobsStatus(data: Json): ProviderStatus {
    const state = typeof data.state === 'string' ? data.state.toLowerCase() : '';
    if (state === 'success') {
      let result: unknown = data.resultJson;
      if (typeof data.resultJson === 'string') {
        const text = data.resultJson;
        try {
          result = JSON.parse(text) as unknown;
        } catch {
          return { state: 'failed', error: new GalleryError('provider_error', 'KIE sent a resultJson that is not JSON.', { providerCode: 'malformed-result', retryable: true, raw: text.slice(0, 500) }) };
        }
      }
      const urls = isObject(result) ? urlList(result.resultUrls) : [];
      if (urls.length === 0) {
        return { state: 'failed', error: new GalleryError('provider_error', 'KIE reported success without any result URL in resultJson.', { providerCode: 'no-result-urls', retryable: true }) };
      }
      const at = expiresAt();
      const usage: JSONObject = {};
      if (typeof data.creditsConsumed === 'number') usage.credits = data.creditsConsumed;
      if (typeof data.costTime === 'number') usage.costTimeMs = data.costTime;
      return { state: 'succeeded', outputs: urls.map((url) => ({ url, expiresAt: at })), ...(Object.keys(usage).length > 0 ? { usage } : {}) };
    }
    if (state === 'fail') return { state: 'failed', error: kieTaskFailure(data.failCode, data.failMsg) };
    // waiting / queuing / generating (and anything new): still running.
    const status: ProviderStatus = { state: 'pending' };
    const progress = typeof data.progress === 'number' ? data.progress : typeof data.progress === 'string' ? Number(data.progress) : Number.NaN;
    if (Number.isFinite(progress)) status.progress = Math.min(1, Math.max(0, progress > 1 ? progress / 100 : progress));
    return status;
  }

  const provider: KieProvider = {
    specificationVersion: 'v1',
    id: 'kie',
    models: () => KIE_MODELS.map((model) => structuredClone(model)),
    trustedOrigins: () => {
      const origins = new Set<string>();
      for (const url of [baseURL(), uploadBaseURL()]) {
        const origin = originOf(url);
        if (origin !== null) origins.add(origin);
      }
      return [...origins];
    },

    /**
     * Uploads local images (file upload API), then `POST /api/v1/veo/generate` (veo3*) or
     * `POST /api/v1/jobs/createTask` (everything else). The submission is never retried here.
     */
    async start(request: ProviderRequest, options: { signal?: AbortSignal; idempotencyKey: string }): Promise<StartResult> {
      const signal = options.signal;
      const urls = await imageUrls(request, options.idempotencyKey, signal);
      const callbackUrl = settings.callbackUrl;
      const built = buildRequest(request, { imageUrls: urls, ...(callbackUrl === undefined ? {} : { callbackUrl }) });
      const response = await api.request({ method: 'POST', path: built.path, json: built.body, idempotent: false, ...(signal === undefined ? {} : { signal }) });
      const data = unwrap(response, 'start');
      const taskId = isObject(data) ? data.taskId : undefined;
      if (typeof taskId !== 'string' || !TASK_ID.test(taskId)) {
        throw malformedResponseError('KIE', response, { retryable: false, what: 'create response (no data.taskId)' });
      }
      const task: KieTask = { provider: 'kie', api: built.api, taskId, model: request.model, submittedAt: new Date(now()).toISOString() };
      return { task: { ...task }, warnings: built.warnings };
    },

    /**
     * `GET /api/v1/veo/record-info` or `/api/v1/jobs/recordInfo`. Pending while `successFlag` is 0 or the
     * jobs `state` is waiting / queuing / generating; succeeded with the result URLs (which expire fast);
     * failed for `successFlag` 2 / 3, `state: "fail"`, or a record KIE no longer has. Transport errors and
     * 429 / 5xx throw so the poller retries the poll, never the generation.
     */
    async status(task: JSONValue, options: { signal?: AbortSignal }): Promise<ProviderStatus> {
      const parsed = parseTask(task);
      const path = parsed.api === 'veo' ? '/api/v1/veo/record-info' : '/api/v1/jobs/recordInfo';
      const response = await api.request({ method: 'GET', path, searchParams: { taskId: parsed.taskId }, ...(options.signal === undefined ? {} : { signal: options.signal }) });
      let data: unknown;
      try {
        data = unwrap(response, 'status');
      } catch (error) {
        if (GalleryError.isInstance(error) && (error.code === 'not_found' || error.code === 'expired')) {
          const submitted = Date.parse(parsed.submittedAt);
          if (error.code === 'not_found' && Number.isFinite(submitted) && now() - submitted < RECORD_GRACE_MS) return { state: 'pending', retryAfterMs: 5_000 };
          return { state: 'failed', error };
        }
        throw error;
      }
      if (!isObject(data)) throw malformedResponseError('KIE', response, { retryable: true, what: 'task record (no data)' });
      return parsed.api === 'veo' ? veoStatus(data) : jobsStatus(data);
    },

    /** KIE has no cancel API: always `{ cancelled: false }` (the task runs on and is billed). */
    async cancel(task: JSONValue): Promise<{ cancelled: boolean }> {
      parseTask(task);
      return { cancelled: false };
    },

    /**
     * Verifies a KIE callback: `X-Webhook-Timestamp` (seconds) within the tolerance window and
     * `X-Webhook-Signature` = base64(HMAC-SHA256(`${taskId}.${timestamp}`, webhookHmacKey)), compared in
     * constant time. A repeated delivery within the window returns `null`, as does any delivery that fails
     * a check or arrives with no key configured. The result only tells the gallery to poll that task now.
     */
    async verifyWebhook(request: Request): Promise<{ task: JSONValue } | null> {
      const key = settings.webhookHmacKey ?? readEnv('KIE_WEBHOOK_HMAC_KEY');
      if (key === undefined || key === '') return null;
      const timestamp = request.headers.get(KIE_TIMESTAMP_HEADER)?.trim() ?? '';
      const signature = request.headers.get(KIE_SIGNATURE_HEADER)?.trim() ?? '';
      if (!/^\d{1,13}$/.test(timestamp) || signature === '') return null;
      const at = now();
      const sentAt = Number(timestamp) * 1000;
      if (Math.abs(at - sentAt) > toleranceMs) return null;

      let body: unknown;
      try {
        body = JSON.parse(await request.text()) as unknown;
      } catch {
        return null;
      }
      const data = isObject(body) && isObject(body.data) ? body.data : undefined;
      const taskId = data ? (typeof data.taskId === 'string' ? data.taskId : typeof data.task_id === 'string' ? data.task_id : undefined) : undefined;
      if (data === undefined || taskId === undefined || !TASK_ID.test(taskId)) return null;

      const expected = await kieWebhookSignature(taskId, timestamp, key);
      if (!constantTimeEqual(expected, signature)) return null;
      if (!deliveries.remember(`${taskId}.${timestamp}.${signature}`, at, at + toleranceMs)) return null;

      // Jobs callbacks carry the task record (state, model "vendor/…"); Veo callbacks carry `info`.
      const model = typeof data.model === 'string' ? data.model : undefined;
      const viaJobs = typeof data.state === 'string' || 'resultJson' in data || (model !== undefined && model.includes('/'));
      const task: JSONObject = { provider: 'kie', api: viaJobs ? 'jobs' : 'veo', taskId };
      if (model !== undefined) task.model = model;
      return { task };
    },
  };
  return provider;
}

/**
 * The default KIE provider: `KIE_API_KEY`, `KIE_BASE_URL`, `KIE_UPLOAD_BASE_URL` and `KIE_WEBHOOK_HMAC_KEY`
 * are read at each request, so it can be imported before the environment is set.
 */
export const kie: KieProvider = createKie();
