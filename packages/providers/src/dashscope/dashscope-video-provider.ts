/**
 * The DashScope (Alibaba Cloud Model Studio) Wan video provider.
 *
 * Submissions are asynchronous tasks: `start` submits and returns the task id, `status` polls `GET /tasks/{id}`,
 * `cancel` works only while the task is still queued (`PENDING`), and `lookup` finds a task after a crash by listing
 * recent tasks (DashScope has no idempotency key; see `lookup`).
 */
import { GalleryError } from '@video-gallery/core';
import type { JSONValue, ModelCapabilities, ProviderRequest, ProviderStatus, StartResult, VideoProvider } from '@video-gallery/core';
import { createHttpClient, malformedResponseError, originOf, type HttpClient, type HttpResponse } from '../shared/http.js';
import { isTransientReadError, withRetry } from '../shared/retry.js';
import { dashscopeCapabilities, dashscopeModels, DASHSCOPE_RESULT_TTL_SECONDS } from './dashscope-capabilities.js';
import { DASHSCOPE, mapDashScopeHttpError, mapDashScopeTaskFailure, readErrorEnvelope } from './dashscope-error.js';
import { buildRequest } from './dashscope-request.js';
import {
  DASHSCOPE_API_KEY_ENV,
  DASHSCOPE_BASE_URL_ENV,
  DASHSCOPE_BASE_URLS,
  DEFAULT_DASHSCOPE_REGION,
  type DashScopeProviderSettings,
} from './dashscope-video-settings.js';

/** The task reference `start` returns and `status` / `cancel` take. Plain JSON, safe to persist. */
export interface DashScopeTaskReference {
  [key: string]: JSONValue;
  provider: 'dashscope';
  taskId: string;
  model: string;
  /** ISO time the submission was accepted. */
  submittedAt: string;
}

/** The DashScope provider: a `VideoProvider` with DashScope's `lookup` and `cancel`. */
export interface DashScopeProvider extends VideoProvider {
  readonly id: 'dashscope';
  /** The API root in effect now (settings, then environment, then the default region). */
  baseURL(): string;
  cancel(task: JSONValue, options?: { signal?: AbortSignal }): Promise<{ cancelled: boolean }>;
  lookup(idempotencyKey: string, options: { signal?: AbortSignal; request: ProviderRequest; submittedAt: string | null }): Promise<{ task: JSONValue } | null>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** DashScope's servers (Beijing and Singapore) write timestamps in UTC+8 with no zone. */
const SERVER_UTC_OFFSET_MS = 8 * 60 * 60 * 1000;
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 20;
const LOOKUP_MAX_VERIFY = 10;
/** How far around `submittedAt` a task's creation time may be and still count as this job's. */
const LOOKUP_BEFORE_MS = 2 * 60 * 1000;
/** The list filter is widened this much both ways so a different server time zone cannot hide a task. */
const LIST_ZONE_MARGIN_MS = 14 * 60 * 60 * 1000;

function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTask(task: JSONValue): DashScopeTaskReference {
  if (isRecord(task) && task.provider === 'dashscope' && typeof task.taskId === 'string' && task.taskId !== '') {
    return {
      provider: 'dashscope',
      taskId: task.taskId,
      model: typeof task.model === 'string' ? task.model : '',
      submittedAt: typeof task.submittedAt === 'string' ? task.submittedAt : '',
    };
  }
  throw new GalleryError('invalid_input', 'task: not a DashScope task reference (expected { provider: "dashscope", taskId, ... } as returned by start()).', {
    field: 'task',
    retryable: false,
  });
}

/** Parses DashScope's `YYYY-MM-DD HH:mm:ss.SSS` (server time, UTC+8) into epoch ms. */
export function parseDashScopeTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value.trim());
  if (match === null) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  const [, year, month, day, hour, minute, second, fraction] = match;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number((fraction ?? '0').padEnd(3, '0')));
  return utc - SERVER_UTC_OFFSET_MS;
}

/** Formats epoch ms as the list filter's `YYYYMMDDhhmmss` in server time (UTC+8). */
export function formatListTime(epochMs: number): string {
  const date = new Date(epochMs + SERVER_UTC_OFFSET_MS);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/**
 * When a `video_url` stops working: the OSS `Expires=` query parameter (epoch seconds) when present, else 24 h after
 * `end_time`, else 24 h from now. Never later than 24 h from now.
 */
export function resultExpiry(videoUrl: string, endTime: unknown, now: number): string {
  const latest = now + DASHSCOPE_RESULT_TTL_SECONDS * 1000;
  try {
    const expires = new URL(videoUrl).searchParams.get('Expires');
    if (expires !== null && /^\d+$/.test(expires)) return new Date(Number(expires) * 1000).toISOString();
  } catch {
    // not a URL: fall through
  }
  const ended = parseDashScopeTime(endTime);
  const expiry = ended === undefined ? latest : Math.min(latest, ended + DASHSCOPE_RESULT_TTL_SECONDS * 1000);
  return new Date(expiry).toISOString();
}

/** Creates a DashScope provider. Every setting is optional; see {@link DashScopeProviderSettings}. */
export function createDashScope(settings: DashScopeProviderSettings = {}): DashScopeProvider {
  const now = settings.now ?? Date.now;
  const retry = settings.retry ?? {};

  const baseURL = (): string => {
    if (settings.baseURL !== undefined && settings.baseURL !== '') return settings.baseURL.replace(/\/+$/, '');
    if (settings.region !== undefined) return DASHSCOPE_BASE_URLS[settings.region];
    return (readEnv(DASHSCOPE_BASE_URL_ENV) ?? DASHSCOPE_BASE_URLS[DEFAULT_DASHSCOPE_REGION]).replace(/\/+$/, '');
  };

  const headers = (): Record<string, string> => {
    const apiKey = settings.apiKey ?? readEnv(DASHSCOPE_API_KEY_ENV);
    if (apiKey === undefined || apiKey === '') {
      throw new GalleryError(
        'auth_failed',
        `No DashScope API key: set the ${DASHSCOPE_API_KEY_ENV} environment variable or pass apiKey to createDashScope(). ` +
          'Create a key in the Model Studio console of the region you call (this SDK defaults to the international region).',
        { retryable: false },
      );
    }
    const extra = typeof settings.headers === 'function' ? settings.headers() : (settings.headers ?? {});
    const result: Record<string, string> = { ...extra, Authorization: `Bearer ${apiKey}` };
    if (settings.workspaceId !== undefined && settings.workspaceId !== '') result['X-DashScope-WorkSpace'] = settings.workspaceId;
    return result;
  };

  const client: HttpClient = createHttpClient({
    provider: DASHSCOPE,
    baseURL,
    headers,
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
  });

  /** GET with retries on 503/504/network errors only, mapping any other non-200 answer. */
  async function getJson(path: string, operation: 'status' | 'list', signal: AbortSignal | undefined, model: string | undefined, searchParams?: Record<string, string | number>): Promise<HttpResponse> {
    return withRetry(
      async () => {
        const response = await client.request({ method: 'GET', path, ...(searchParams === undefined ? {} : { searchParams }), ...(signal === undefined ? {} : { signal }) });
        if (response.status !== 200) throw mapDashScopeHttpError(response, { baseURL: baseURL(), operation, ...(model ? { model } : {}) });
        if (response.malformed || !isRecord(response.data)) throw malformedResponseError(DASHSCOPE, response, { retryable: true, what: `${operation} answer` });
        return response;
      },
      {
        retries: retry.statusRetries ?? 2,
        minTimeoutMs: retry.statusMinTimeoutMs ?? 500,
        ...(signal === undefined ? {} : { signal }),
        shouldRetry: (error) => isTransientReadError(error),
      },
    );
  }

  async function start(request: ProviderRequest, options: { signal?: AbortSignal; idempotencyKey: string }): Promise<StartResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const capabilities = dashscopeCapabilities(request.model);
    const built = buildRequest(request, {
      ...(capabilities === undefined ? {} : { capabilities }),
      ...(settings.workspaceId === undefined ? {} : { workspaceId: settings.workspaceId }),
    });
    const maxWait = retry.maxSubmitRetryWaitMs ?? 10_000;
    const response = await withRetry(
      async () => {
        const answer = await client.request({ method: 'POST', path: built.path, json: built.body, headers: built.headers, idempotent: false, ...(signal === undefined ? {} : { signal }) });
        if (answer.status !== 200) throw mapDashScopeHttpError(answer, { baseURL: baseURL(), operation: 'submit', model: request.model });
        return answer;
      },
      {
        retries: retry.submitRateLimitRetries ?? 2,
        ...(signal === undefined ? {} : { signal }),
        // Only a throttled submission is repeated: DashScope rejects it before creating a task. A 5xx, a timeout
        // or a dropped connection may have created a paid task, so those are never repeated here.
        shouldRetry: (error) => GalleryError.isInstance(error) && error.code === 'rate_limited' && error.status === 429 && (error.retryAfterMs ?? 0) <= maxWait,
        delayFor: (error) => (GalleryError.isInstance(error) ? error.retryAfterMs : undefined),
      },
    );
    const output = isRecord(response.data) ? response.data.output : undefined;
    const taskId = isRecord(output) ? output.task_id : undefined;
    if (response.malformed || typeof taskId !== 'string' || taskId === '') {
      // The submission may have created a task we cannot name: not retryable, lookup() can find it.
      throw malformedResponseError(DASHSCOPE, response, { retryable: false, what: 'submission answer (no output.task_id)' });
    }
    const task: DashScopeTaskReference = { provider: 'dashscope', taskId, model: request.model, submittedAt: new Date(now()).toISOString() };
    return { task, warnings: built.warnings };
  }

  async function status(taskValue: JSONValue, options: { signal?: AbortSignal }): Promise<ProviderStatus> {
    const task = parseTask(taskValue);
    const response = await getJson(`/tasks/${encodeURIComponent(task.taskId)}`, 'status', options.signal, task.model);
    const data = response.data as Record<string, unknown>;
    const output = data.output;
    if (!isRecord(output) || typeof output.task_status !== 'string') {
      throw malformedResponseError(DASHSCOPE, response, { retryable: true, what: 'status answer (no output.task_status)' });
    }
    switch (output.task_status) {
      case 'PENDING':
      case 'RUNNING':
      case 'SUSPENDED':
        return { state: 'pending' };
      case 'SUCCEEDED': {
        const videoUrl = output.video_url;
        if (typeof videoUrl !== 'string' || videoUrl === '') {
          return {
            state: 'failed',
            error: new GalleryError('provider_error', `DashScope reported task ${task.taskId} as SUCCEEDED without a video_url.`, { retryable: false, raw: response.snippet }),
          };
        }
        const usage = data.usage;
        return {
          state: 'succeeded',
          outputs: [{ url: videoUrl, expiresAt: resultExpiry(videoUrl, output.end_time, now()) }],
          ...(isRecord(usage) ? { usage: usage as JSONValue } : {}),
        };
      }
      case 'FAILED':
        return {
          state: 'failed',
          error: mapDashScopeTaskFailure(
            typeof output.code === 'string' ? output.code : undefined,
            typeof output.message === 'string' ? output.message : undefined,
            task.taskId,
          ),
        };
      case 'CANCELED':
        return { state: 'failed', error: new GalleryError('cancelled', `DashScope task ${task.taskId} was cancelled.`, { retryable: false }) };
      case 'UNKNOWN':
        return {
          state: 'failed',
          error: new GalleryError(
            'expired',
            `DashScope no longer knows task ${task.taskId}: task ids (and their result URLs) expire 24 h after submission. ` +
              `A task from another region or account also reads as unknown; this provider calls ${baseURL()}.`,
            { retryable: false, providerCode: 'UNKNOWN' },
          ),
        };
      default:
        throw new GalleryError('provider_error', `DashScope answered an unexpected task_status '${output.task_status}' for task ${task.taskId}.`, {
          retryable: true,
          raw: response.snippet,
        });
    }
  }

  async function cancel(taskValue: JSONValue, options: { signal?: AbortSignal } = {}): Promise<{ cancelled: boolean }> {
    const task = parseTask(taskValue);
    const response = await client.request({
      method: 'POST',
      path: `/tasks/${encodeURIComponent(task.taskId)}/cancel`,
      idempotent: true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (response.status === 200) {
      // A 200 whose body carries an error code did not cancel anything.
      return { cancelled: readErrorEnvelope(response.data).code === undefined };
    }
    if (response.status === 401 || response.status === 429 || response.status >= 500) {
      throw mapDashScopeHttpError(response, { baseURL: baseURL(), operation: 'cancel', model: task.model });
    }
    // 400 (not PENDING any more, or unknown task) and the like: DashScope did not cancel it.
    return { cancelled: false };
  }

  async function lookup(
    _idempotencyKey: string,
    options: { signal?: AbortSignal; request: ProviderRequest; submittedAt: string | null },
  ): Promise<{ task: JSONValue } | null> {
    const { signal, request } = options;
    const nowMs = now();
    const submitted = options.submittedAt === null ? Number.NaN : Date.parse(options.submittedAt);
    const from = Number.isNaN(submitted) ? nowMs - DAY_MS : submitted - LOOKUP_BEFORE_MS;
    const to = nowMs + LOOKUP_BEFORE_MS;

    interface Candidate {
      taskId: string;
      createdAt: number | undefined;
    }
    const candidates: Candidate[] = [];
    let complete = false;
    for (let page = 1; page <= LIST_MAX_PAGES; page += 1) {
      const response = await getJson('/tasks', 'list', signal, request.model, {
        start_time: formatListTime(from - LIST_ZONE_MARGIN_MS),
        end_time: formatListTime(to + LIST_ZONE_MARGIN_MS),
        model_name: request.model,
        page_no: page,
        page_size: LIST_PAGE_SIZE,
      });
      const data = response.data as Record<string, unknown>;
      const entries = Array.isArray(data.data) ? data.data : [];
      for (const entry of entries) {
        if (!isRecord(entry) || typeof entry.task_id !== 'string') continue;
        if (typeof entry.model_name === 'string' && entry.model_name !== request.model) continue;
        const createdAt = parseDashScopeTime(entry.gmt_create ?? entry.submit_time);
        // A task whose creation time we cannot read stays a candidate: dropping it could make us pay twice.
        if (createdAt !== undefined && (createdAt < from || createdAt > to)) continue;
        candidates.push({ taskId: entry.task_id, createdAt });
      }
      const totalPages = typeof data.total_page === 'number' ? data.total_page : undefined;
      if (entries.length === 0 || (totalPages !== undefined ? page >= totalPages : entries.length < LIST_PAGE_SIZE)) {
        complete = true;
        break;
      }
    }
    if (!complete) {
      throw new GalleryError(
        'conflict',
        `DashScope lists more than ${LIST_MAX_PAGES * LIST_PAGE_SIZE} recent '${request.model}' tasks, too many to tell whether this job's submission went through. ` +
          'It is not resubmitted, to avoid paying twice; check the Model Studio console.',
        { retryable: false },
      );
    }
    if (candidates.length === 0) return null;
    if (candidates.length > LOOKUP_MAX_VERIFY) {
      throw ambiguous(request.model, candidates.map((candidate) => candidate.taskId));
    }

    // DashScope keeps no idempotency key, so compare prompts where the task shows one (orig_prompt on finished tasks).
    const matched: Candidate[] = [];
    const unverified: Candidate[] = [];
    for (const candidate of candidates) {
      const response = await getJson(`/tasks/${encodeURIComponent(candidate.taskId)}`, 'status', signal, request.model);
      const output = (response.data as Record<string, unknown>).output;
      if (!isRecord(output) || output.task_status === 'UNKNOWN') continue;
      const prompt = output.orig_prompt;
      if (typeof prompt !== 'string') unverified.push(candidate);
      else if (prompt.trim() === request.prompt.trim()) matched.push(candidate);
    }
    let chosen: Candidate | undefined;
    if (matched.length === 1) chosen = matched[0];
    else if (matched.length === 0 && unverified.length === 1) chosen = unverified[0];
    else if (matched.length === 0 && unverified.length === 0) return null;
    if (chosen === undefined) {
      throw ambiguous(request.model, [...matched, ...unverified].map((candidate) => candidate.taskId));
    }
    const task: DashScopeTaskReference = {
      provider: 'dashscope',
      taskId: chosen.taskId,
      model: request.model,
      submittedAt: new Date(chosen.createdAt ?? (Number.isNaN(submitted) ? nowMs : submitted)).toISOString(),
    };
    return { task };
  }

  return {
    specificationVersion: 'v1',
    id: 'dashscope',
    models: (): ModelCapabilities[] => dashscopeModels(),
    trustedOrigins: (): string[] => {
      const origin = originOf(baseURL());
      return origin === null ? [] : [origin];
    },
    baseURL,
    start,
    status,
    cancel,
    lookup,
  };
}

function ambiguous(model: string, taskIds: string[]): GalleryError {
  return new GalleryError(
    'conflict',
    `DashScope has ${taskIds.length} '${model}' tasks that could be this job's submission (${taskIds.join(', ')}); ` +
      'it cannot tell which, because DashScope keeps no idempotency key. The job is not resubmitted, to avoid paying twice.',
    { retryable: false },
  );
}
