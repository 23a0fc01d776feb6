/**
 * A contract-faithful DashScope video mock: the submit / task / cancel / list routes of the real API, its flat error
 * envelope, its strictness (async header, `W*H` sizes, data-URI images, integer durations) and signed result URLs
 * on the mock's own origin that serve a real MP4 until they expire (then 403, as OSS answers).
 *
 * Use it three ways: `mock.handle(request)` directly, `await mock.msw()` handlers in a msw server, or
 * `await mock.listen({ port })` as a loopback HTTP server.
 */
import type { HttpHandler } from 'msw';
import type { ProviderMockControl, ProviderMockOutcome } from '@video-gallery/core/testing';
import { dashscopeCapabilities, dashscopeModels, DASHSCOPE_T2V_SIZES } from '../dashscope/dashscope-capabilities.js';
import { requestKindOf, type DashScopeRequestKind } from '../dashscope/dashscope-request.js';
import { DASHSCOPE_BASE_URLS, type DashScopeRegion } from '../dashscope/dashscope-video-settings.js';
import { base64ToBytes } from '../shared/encoding.js';
import { bytesResponse, FailureSwitches, jsonResponse, MockTaskBook, mockSignature, Staller, type MockTask, type MockTaskPhase, taskBookControl } from './mock-base.js';
import { sampleVideoBytes } from './sample-video.js';
import { serveHandler, type ServedHandler } from './serve.js';

/** Failures `failNext` can inject. */
export type DashScopeMockFailure =
  /** 429 `Throttling.RateQuota` with `Retry-After`. */
  | 'rate-limit'
  /** 401 `InvalidApiKey`. */
  | 'bad-key'
  /** 401 `InvalidApiKey`, exactly what a key from another region gets. */
  | 'wrong-region'
  /** 400 `DataInspectionFailed` at submit. */
  | 'moderation-submit'
  /** The next accepted task fails moderation when polled (`FAILED` / `DataInspectionFailed`). */
  | 'moderation-poll'
  /** 500 `InternalError`. */
  | 'server-error'
  /** 503 service unavailable. */
  | 'unavailable'
  /** 400 `InvalidParameter`. */
  | 'invalid-parameter'
  /** 400 `Arrearage` (overdue account). */
  | 'arrearage'
  /** The request is held without an answer until the client gives up (or `reset()`). */
  | 'timeout'
  /** The next status call answers `UNKNOWN`, as after the 24 h retention. */
  | 'expired'
  /** HTTP 200 with a cut-off JSON body. */
  | 'malformed';

/** Routes of the mock. `video` is the signed result URL. */
export type DashScopeMockRoute = 'submit' | 'status' | 'cancel' | 'list' | 'video';

/** Options of {@link createDashScopeMock}. All optional. */
export interface DashScopeMockOptions {
  /** The only key accepted. Default `sk-mock-dashscope`. */
  apiKey?: string;
  /** Region whose public base URL `msw()` intercepts by default. Default `intl`. */
  region?: DashScopeRegion;
  /** Status calls that answer pending (PENDING, then RUNNING) before a task settles. Default 2. */
  pendingPolls?: number;
  /** Of the pending calls, how many answer PENDING (cancellable) before RUNNING. Default 1. */
  queuedPolls?: number;
  /** How long a `video_url` works, from the task's end, in ms. Default 24 h. */
  urlTtlMs?: number;
  /** After this long from submission a task answers `UNKNOWN`, in ms. Default 24 h. */
  taskTtlMs?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** `Retry-After` seconds sent with 429 answers. Default 1. */
  retryAfterSeconds?: number;
  /** Longest time a `timeout` / stalled request is held, in ms. Default 120 000. */
  stallMs?: number;
  /** Submissions allowed per second before natural 429s (by the clock). Default: unlimited. */
  maxSubmitsPerSecond?: number;
  /** Delay added to every API answer, in ms (for demos with a real poller). Default 0. */
  latencyMs?: number;
  /** Path of the API root on the mock's origin. Default `/api/v1`. */
  basePath?: string;
  /** Extra model ids to accept (with lenient checks) beside the known Wan models. */
  extraModels?: string[];
}

/** One request the mock received (for assertions). */
export interface DashScopeMockCall {
  route: DashScopeMockRoute | 'unknown';
  method: string;
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The parsed JSON body, when the request had one. */
  body: unknown;
}

/** What a mock task remembers. */
export interface DashScopeMockTaskData {
  model: string;
  kind: DashScopeRequestKind;
  body: Record<string, unknown>;
  duration: number;
  resolutionTier: number;
}

/** The mock. */
export interface DashScopeMock {
  readonly apiKey: string;
  readonly region: DashScopeRegion;
  /** The public base URL of `region` (what `msw()` intercepts by default). */
  readonly baseURL: string;
  /** Answers one request as DashScope would. */
  handle(request: Request): Promise<Response>;
  /** msw handlers for the origin of `baseURL` (default: the region's public base URL). Loads msw lazily. */
  msw(baseURL?: string): Promise<HttpHandler[]>;
  /** Serves the mock on loopback. `baseURL` is the API root to give the provider. */
  listen(options?: { port?: number; host?: string }): Promise<ServedHandler & { baseURL: string }>;
  /** The conformance-suite handle. */
  readonly control: ProviderMockControl;
  /** Injects `kind` into the next matching request(s). Default route: submit for moderation kinds, status for `expired`, else any API route. */
  failNext(kind: DashScopeMockFailure, options?: { route?: DashScopeMockRoute | 'any'; times?: number }): void;
  /** Scripts the next accepted task. */
  script(outcome: ProviderMockOutcome, options?: { pendingPolls?: number; queuedPolls?: number }): void;
  /** Requests received since the last reset. */
  readonly calls: readonly DashScopeMockCall[];
  /** Tasks accepted since the last reset, with their current phase. */
  tasks(): { id: string; model: string; body: Record<string, unknown>; phase: MockTaskPhase; createdAt: number }[];
  /** Forgets tasks, scripts, failures and calls; releases held requests. */
  reset(): void;
}

const MAX_SEED = 2_147_483_647;
const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER_UTC_OFFSET_MS = 8 * 60 * 60 * 1000;
const RESULT_PATH = '/mock-oss/dashscope-result';
const ACCESS_KEY_ID = 'LTAI5tMockDashScopeKey';

/** Markers a prompt can carry to steer the mock from a UI or the CLI. */
export const DASHSCOPE_MOCK_PROMPT_MARKERS = {
  /** Refused at submit with 400 `DataInspectionFailed`. */
  blocked: '[mock:blocked]',
  /** Fails moderation when polled. */
  failModeration: '[mock:fail-moderation]',
  /** Fails with a generic error when polled. */
  failGeneric: '[mock:fail-generic]',
  /** Reads as `UNKNOWN` when polled. */
  expire: '[mock:expire]',
} as const;

function serverTime(epochMs: number): string {
  const date = new Date(epochMs + SERVER_UTC_OFFSET_MS);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/** Parses the list filter's `YYYYMMDDhhmmss` (server time, UTC+8). */
function parseListTime(value: string | null): number | undefined {
  if (value === null) return undefined;
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (match === null) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match;
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) - SERVER_UTC_OFFSET_MS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for what DashScope accepts as an image reference: http(s), oss:// or a base64 data URI. */
function isValidImageReference(value: unknown): boolean {
  if (typeof value !== 'string' || value === '') return false;
  if (/^https?:\/\/[^\s/]+/i.test(value) || /^oss:\/\/\S+/i.test(value)) return true;
  const match = /^data:(image\/[a-z0-9.+-]+);base64,(.+)$/is.exec(value);
  if (match === null) return false;
  try {
    return base64ToBytes(match[2] ?? '').byteLength > 0;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates a DashScope mock. See {@link DashScopeMockOptions}. */
export function createDashScopeMock(options: DashScopeMockOptions = {}): DashScopeMock {
  const apiKey = options.apiKey ?? 'sk-mock-dashscope';
  const region = options.region ?? 'intl';
  const publicBase = DASHSCOPE_BASE_URLS[region];
  const basePath = (options.basePath ?? '/api/v1').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const urlTtlMs = options.urlTtlMs ?? DAY_MS;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const stallMs = options.stallMs ?? 120_000;
  const latencyMs = options.latencyMs ?? 0;
  const extraModels = new Set(options.extraModels ?? []);
  const knownModels = new Set(dashscopeModels().map((model) => model.id));

  const book = new MockTaskBook<DashScopeMockTaskData>({
    clock: { now },
    defaultPendingPolls: options.pendingPolls ?? 2,
    defaultQueuedPolls: options.queuedPolls ?? 1,
    taskTtlMs: options.taskTtlMs ?? DAY_MS,
  });
  const failures = new FailureSwitches<DashScopeMockFailure, DashScopeMockRoute>();
  const staller = new Staller();
  let calls: DashScopeMockCall[] = [];
  let submitTimes: number[] = [];
  let requestCounter = 0;

  const requestId = (): string => {
    requestCounter += 1;
    return `mock-${requestCounter.toString(16).padStart(8, '0')}-${crypto.randomUUID().slice(9)}`;
  };

  const error = (status: number, code: string, message: string, headers: Record<string, string> = {}): Response =>
    jsonResponse(status, { code, message, request_id: requestId() }, headers);

  const injected = (kind: DashScopeMockFailure): Response | null => {
    switch (kind) {
      case 'rate-limit':
        return error(429, 'Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.', { 'retry-after': String(retryAfterSeconds) });
      case 'bad-key':
      case 'wrong-region':
        return error(401, 'InvalidApiKey', 'Invalid API-key provided.');
      case 'moderation-submit':
        return error(400, 'DataInspectionFailed', 'Input data may contain inappropriate content.');
      case 'server-error':
        return error(500, 'InternalError', 'An internal error has occured, please try again later or contact service support.');
      case 'unavailable':
        return error(503, 'ServiceUnavailable', 'Service temporarily unavailable, please try again later.');
      case 'invalid-parameter':
        return error(400, 'InvalidParameter', 'Required parameter(s) missing or invalid, please check the request parameters.');
      case 'arrearage':
        return error(400, 'Arrearage', 'Access denied, please make sure your account is in good standing.');
      case 'malformed':
        return new Response('{"request_id":"mock-malformed","output":{"task_id":"', { status: 200, headers: { 'content-type': 'application/json' } });
      case 'expired':
      case 'moderation-poll':
      case 'timeout':
        return null;
    }
  };

  function allowedSizes(model: string): Set<string> | undefined {
    const capabilities = dashscopeCapabilities(model);
    if (capabilities === undefined) return undefined;
    const sizes = new Set<string>();
    for (const tier of capabilities.resolutions) for (const size of Object.values(DASHSCOPE_T2V_SIZES[tier] ?? {})) sizes.add(size);
    return sizes;
  }

  function defaultSize(model: string): string {
    const capabilities = dashscopeCapabilities(model);
    const tier = capabilities?.defaults.resolution ?? '1080p';
    return DASHSCOPE_T2V_SIZES[tier]?.['16:9'] ?? '1920*1080';
  }

  /** Validates a submit body like the real service; returns an error answer or the task data. */
  function validateSubmit(body: unknown, group: 'video-generation' | 'image2video'): Response | DashScopeMockTaskData {
    const invalid = (message: string): Response => error(400, 'InvalidParameter', message);
    if (!isRecord(body)) return invalid('The request body is not valid JSON.');
    const model = body.model;
    if (typeof model !== 'string' || model === '') return error(400, 'BadRequest.EmptyModel', 'Required parameter "model" missing from request.');
    if (!knownModels.has(model) && !extraModels.has(model)) return error(404, 'ModelNotFound', `Model not exist: ${model}.`);
    const kind: DashScopeRequestKind = requestKindOf(model) ?? 't2v';
    const wantGroup = model.toLowerCase().includes('kf2v') ? 'image2video' : 'video-generation';
    if (group !== wantGroup) return invalid('url error, please check url!');
    const input = body.input;
    if (!isRecord(input)) return error(400, 'BadRequest.EmptyInput', 'Required parameter "input" missing from request.');
    const parameters = body.parameters === undefined ? {} : body.parameters;
    if (!isRecord(parameters)) return invalid('The parameters field must be an object.');
    const capabilities = dashscopeCapabilities(model);
    const lenient = capabilities === undefined;

    if (input.prompt !== undefined && typeof input.prompt !== 'string') return invalid('The prompt must be a string.');
    if (kind === 't2v' && (typeof input.prompt !== 'string' || input.prompt.trim() === '')) return invalid('Required parameter(s) missing or invalid: input.prompt.');
    if (input.negative_prompt !== undefined && typeof input.negative_prompt !== 'string') return invalid('The negative_prompt must be a string.');

    let resolutionTier = 720;
    if (kind === 't2v') {
      const size = parameters.size ?? defaultSize(model);
      if (typeof size !== 'string' || !/^\d+\*\d+$/.test(size)) return invalid(`The size is not valid: ${JSON.stringify(size)}. Use "width*height", for example "1280*720".`);
      const sizes = allowedSizes(model);
      if (sizes !== undefined && !sizes.has(size)) return invalid(`The size is not match the model's supported sizes: ${size}.`);
      const [width, height] = size.split('*').map(Number);
      resolutionTier = Math.min(width ?? 720, height ?? 720);
      resolutionTier = resolutionTier >= 1080 ? 1080 : resolutionTier >= 720 ? 720 : 480;
    } else {
      const resolution = parameters.resolution ?? (capabilities?.defaults.resolution.toUpperCase() ?? '720P');
      if (typeof resolution !== 'string' || !/^\d{3,4}P$/.test(resolution)) return invalid(`The resolution is not valid: ${JSON.stringify(resolution)}. Use "480P", "720P" or "1080P".`);
      if (!lenient && !capabilities.resolutions.includes(resolution.toLowerCase())) return invalid(`The resolution ${resolution} is not supported by ${model}.`);
      resolutionTier = Number(resolution.slice(0, -1));
      if (kind === 'i2v') {
        if (!isValidImageReference(input.img_url)) return invalid('The provided URL does not appear to be valid. Ensure it is correctly formatted. (input.img_url)');
      } else if (kind === 'kf2v') {
        if (!isValidImageReference(input.first_frame_url)) return invalid('The provided URL does not appear to be valid. Ensure it is correctly formatted. (input.first_frame_url)');
        if (input.template === undefined && !isValidImageReference(input.last_frame_url)) {
          return invalid('The provided URL does not appear to be valid. Ensure it is correctly formatted. (input.last_frame_url)');
        }
      } else {
        const media = input.media;
        if (!Array.isArray(media) || media.length === 0) return invalid('Required parameter(s) missing or invalid: input.media.');
        for (const item of media) {
          if (!isRecord(item) || !['first_frame', 'last_frame', 'driving_audio', 'first_clip'].includes(String(item.type))) return invalid('input.media[].type is not valid.');
          if (!isValidImageReference(item.url)) return invalid('The provided URL does not appear to be valid. Ensure it is correctly formatted. (input.media[].url)');
        }
      }
    }

    let duration = capabilities?.defaults.durationSeconds ?? 5;
    if (parameters.duration !== undefined) {
      if (typeof parameters.duration !== 'number' || !Number.isInteger(parameters.duration)) return invalid(`The duration must be an integer: ${JSON.stringify(parameters.duration)}.`);
      if (!lenient && !capabilities.durations.includes(parameters.duration)) return invalid(`The duration ${parameters.duration} is not supported by ${model}.`);
      duration = parameters.duration;
    }
    if (parameters.seed !== undefined) {
      if (typeof parameters.seed !== 'number' || !Number.isInteger(parameters.seed) || parameters.seed < 0 || parameters.seed > MAX_SEED) {
        return invalid(`The seed must be an integer from 0 to ${MAX_SEED}.`);
      }
    }
    return { model, kind, body, duration, resolutionTier };
  }

  function videoUrl(origin: string, task: MockTask<DashScopeMockTaskData>): string {
    const expires = Math.floor(((task.finishedAt ?? now()) + urlTtlMs) / 1000);
    const signature = mockSignature(`${task.id}:${expires}`);
    return `${origin}${RESULT_PATH}/${task.id}.mp4?Expires=${expires}&OSSAccessKeyId=${ACCESS_KEY_ID}&Signature=${signature}`;
  }

  function usageOf(task: MockTask<DashScopeMockTaskData>): Record<string, unknown> {
    if (task.data.model.startsWith('wanx2.1') || task.data.kind === 'kf2v') {
      return { video_duration: task.data.duration, video_count: 1, video_ratio: 'standard' };
    }
    return { duration: task.data.duration, video_count: 1, SR: task.data.resolutionTier };
  }

  function taskStatusBody(origin: string, task: MockTask<DashScopeMockTaskData> | undefined, id: string, forceUnknown: boolean): Record<string, unknown> {
    if (task === undefined || forceUnknown) return { request_id: requestId(), output: { task_id: id, task_status: 'UNKNOWN' } };
    const phase = book.poll(task);
    const times = { submit_time: serverTime(task.createdAt) };
    const scheduled = { scheduled_time: serverTime(task.createdAt + 1_000) };
    const ended = { end_time: serverTime(task.finishedAt ?? now()) };
    const prompt = typeof (task.data.body.input as Record<string, unknown>).prompt === 'string' ? String((task.data.body.input as Record<string, unknown>).prompt) : '';
    switch (phase) {
      case 'queued':
        return { request_id: requestId(), output: { task_id: id, task_status: 'PENDING', ...times } };
      case 'running':
        return { request_id: requestId(), output: { task_id: id, task_status: 'RUNNING', ...times, ...scheduled } };
      case 'succeeded':
        return {
          request_id: requestId(),
          output: { task_id: id, task_status: 'SUCCEEDED', ...times, ...scheduled, ...ended, video_url: videoUrl(origin, task), orig_prompt: prompt, actual_prompt: `${prompt} (extended by the mock)` },
          usage: usageOf(task),
        };
      case 'failed-moderation':
        return {
          request_id: requestId(),
          output: { task_id: id, task_status: 'FAILED', ...times, ...scheduled, ...ended, code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' },
        };
      case 'failed-generic':
        return {
          request_id: requestId(),
          output: { task_id: id, task_status: 'FAILED', ...times, ...scheduled, ...ended, code: 'InternalError.Algo', message: 'Video generation failed, please try again later.' },
        };
      case 'cancelled':
        return { request_id: requestId(), output: { task_id: id, task_status: 'CANCELED', ...times, ...ended } };
      case 'expired':
        return { request_id: requestId(), output: { task_id: id, task_status: 'UNKNOWN' } };
    }
  }

  function listBody(url: URL): Response {
    const start = parseListTime(url.searchParams.get('start_time'));
    const end = parseListTime(url.searchParams.get('end_time'));
    if (Number.isNaN(start) || Number.isNaN(end)) return error(400, 'InvalidParameter', 'start_time and end_time must be formatted as YYYYMMDDhhmmss.');
    const model = url.searchParams.get('model_name');
    const status = url.searchParams.get('status');
    const pageNo = Math.max(1, Number(url.searchParams.get('page_no') ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? 10) || 10));
    const statusName: Record<MockTaskPhase, string> = {
      queued: 'PENDING',
      running: 'RUNNING',
      succeeded: 'SUCCEEDED',
      'failed-moderation': 'FAILED',
      'failed-generic': 'FAILED',
      cancelled: 'CANCELED',
      expired: 'UNKNOWN',
    };
    const matching = book
      .all()
      .map((task) => ({ task, phase: book.phase(task) }))
      .filter(({ task, phase }) => phase !== 'expired' || now() - task.createdAt < DAY_MS)
      .filter(({ task }) => (start === undefined || task.createdAt >= start) && (end === undefined || task.createdAt <= end))
      .filter(({ task }) => model === null || task.data.model === model)
      .filter(({ phase }) => status === null || statusName[phase] === status)
      .sort((left, right) => right.task.createdAt - left.task.createdAt);
    const page = matching.slice((pageNo - 1) * pageSize, pageNo * pageSize);
    return jsonResponse(200, {
      request_id: requestId(),
      data: page.map(({ task, phase }) => ({
        task_id: task.id,
        status: statusName[phase],
        model_name: task.data.model,
        gmt_create: task.createdAt,
        start_time: task.createdAt + 1_000,
        ...(task.finishedAt === undefined ? {} : { end_time: task.finishedAt }),
        region: region === 'cn' ? 'cn-beijing' : region === 'us' ? 'us-east-1' : 'ap-southeast-1',
        api_key_id: 'mock-key-id',
        caller_uid: 'mock-caller',
        caller_parent_id: 'mock-parent',
        request_id: requestId(),
        user_api_unique_key: `${task.data.model}-mock`,
      })),
      total: matching.length,
      total_page: Math.max(1, Math.ceil(matching.length / pageSize)),
      page_no: pageNo,
      page_size: pageSize,
    });
  }

  function ossError(status: number, code: string, message: string): Response {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>${requestId()}</RequestId>\n  <HostId>dashscope-result-mock.oss-accelerate.aliyuncs.com</HostId>\n</Error>\n`;
    return new Response(xml, { status, headers: { 'content-type': 'application/xml' } });
  }

  function serveVideo(request: Request, url: URL): Response {
    const match = new RegExp(`^${RESULT_PATH}/([^/]+)\\.mp4$`).exec(url.pathname);
    const task = match === null ? undefined : book.get(decodeURIComponent(match[1] ?? ''));
    const expires = url.searchParams.get('Expires');
    if (task === undefined || expires === null) return ossError(404, 'NoSuchKey', 'The specified key does not exist.');
    if (url.searchParams.get('Signature') !== mockSignature(`${task.id}:${expires}`) || url.searchParams.get('OSSAccessKeyId') !== ACCESS_KEY_ID) {
      return ossError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    if (now() > Number(expires) * 1000) return ossError(403, 'AccessDenied', 'Request has expired.');
    return bytesResponse(request, sampleVideoBytes(), 'video/mp4', { etag: `"${mockSignature(task.id)}"` });
  }

  function routeOf(method: string, path: string): { route: DashScopeMockRoute | 'unknown'; taskId?: string; group?: 'video-generation' | 'image2video' } {
    if (method === 'POST' && path === '/services/aigc/video-generation/video-synthesis') return { route: 'submit', group: 'video-generation' };
    if (method === 'POST' && path === '/services/aigc/image2video/video-synthesis') return { route: 'submit', group: 'image2video' };
    const cancel = /^\/tasks\/([^/]+)\/cancel$/.exec(path);
    if (method === 'POST' && cancel !== null) return { route: 'cancel', taskId: decodeURIComponent(cancel[1] ?? '') };
    const status = /^\/tasks\/([^/]+)$/.exec(path);
    if (method === 'GET' && status !== null) return { route: 'status', taskId: decodeURIComponent(status[1] ?? '') };
    if (method === 'GET' && path === '/tasks') return { route: 'list' };
    return { route: 'unknown' };
  }

  async function readBody(request: Request): Promise<unknown> {
    if (request.method === 'GET' || request.method === 'HEAD') return undefined;
    const text = await request.text();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return Symbol.for('invalid-json');
    }
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });

    if (url.pathname.startsWith(`${RESULT_PATH}/`)) {
      calls.push({ route: 'video', method, url: url.toString(), headers, body: undefined });
      if (staller.takeArmed()) {
        await staller.hold(request.signal, stallMs);
        return ossError(503, 'ServiceUnavailable', 'The request was held by the mock and released.');
      }
      const failure = failures.take('video', () => true, false);
      if (failure === 'timeout') {
        await staller.hold(request.signal, stallMs);
        return ossError(503, 'ServiceUnavailable', 'The request was held by the mock and released.');
      }
      if (failure === 'server-error' || failure === 'unavailable') return ossError(failure === 'server-error' ? 500 : 503, 'InternalError', 'The mock injected a storage failure.');
      if (failure !== undefined) return ossError(403, 'AccessDenied', `The mock injected '${failure}' on the result URL.`);
      return serveVideo(request, url);
    }

    const baseIndex = url.pathname.indexOf(`${basePath}/`);
    const path = baseIndex < 0 ? url.pathname : url.pathname.slice(baseIndex + basePath.length);
    const { route, taskId, group } = baseIndex < 0 ? { route: 'unknown' as const } : routeOf(method, path);
    const body = await readBody(request);
    calls.push({ route, method, url: url.toString(), headers, body: typeof body === 'symbol' ? '<invalid json>' : body });
    if (latencyMs > 0) await delay(latencyMs);

    if (staller.takeArmed()) {
      await staller.hold(request.signal, stallMs);
      return error(504, 'RequestTimeOut', 'The request was held by the mock and released.');
    }
    if (route === 'unknown') return error(404, 'NotFound', `No such API: ${method} ${url.pathname}.`);

    const failure = failures.take(route, (kind) => {
      if (kind === 'moderation-poll') return route === 'submit';
      if (kind === 'expired') return route === 'status';
      if (kind === 'moderation-submit') return route === 'submit';
      return true;
    });
    if (failure === 'timeout') {
      await staller.hold(request.signal, stallMs);
      return error(504, 'RequestTimeOut', 'The request was held by the mock and released.');
    }
    if (failure !== undefined) {
      const answer = injected(failure);
      if (answer !== null) return answer;
    }

    const authorization = request.headers.get('authorization');
    if (authorization === null || authorization.trim() === '') return error(401, 'InvalidApiKey', 'No API-key provided.');
    if (authorization !== `Bearer ${apiKey}`) return error(401, 'InvalidApiKey', 'Invalid API-key provided.');

    const origin = url.origin;
    switch (route) {
      case 'submit': {
        if (request.headers.get('x-dashscope-async')?.toLowerCase() !== 'enable') {
          return error(403, 'AccessDenied', 'current user api does not support synchronous calls');
        }
        if (typeof body === 'symbol') return error(400, 'InvalidParameter', 'The request body is not valid JSON.');
        const validated = validateSubmit(body, group ?? 'video-generation');
        if (validated instanceof Response) return validated;
        const prompt = typeof validated.body.input === 'object' && validated.body.input !== null ? String((validated.body.input as Record<string, unknown>).prompt ?? '') : '';
        if (prompt.includes(DASHSCOPE_MOCK_PROMPT_MARKERS.blocked)) return error(400, 'DataInspectionFailed', 'Input data may contain inappropriate content.');
        if (options.maxSubmitsPerSecond !== undefined) {
          const current = now();
          submitTimes = submitTimes.filter((time) => current - time < 1_000);
          if (submitTimes.length >= options.maxSubmitsPerSecond) {
            return error(429, 'Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.', { 'retry-after': String(retryAfterSeconds) });
          }
          submitTimes.push(current);
        }
        let fallback: ProviderMockOutcome = 'succeed';
        if (prompt.includes(DASHSCOPE_MOCK_PROMPT_MARKERS.failModeration)) fallback = 'fail-moderation';
        else if (prompt.includes(DASHSCOPE_MOCK_PROMPT_MARKERS.failGeneric)) fallback = 'fail-generic';
        else if (prompt.includes(DASHSCOPE_MOCK_PROMPT_MARKERS.expire)) fallback = 'expire';
        if (failure === 'moderation-poll') book.script('fail-moderation');
        const task = book.create(validated, fallback);
        return jsonResponse(200, { request_id: requestId(), output: { task_id: task.id, task_status: 'PENDING' } });
      }
      case 'status': {
        const id = taskId ?? '';
        return jsonResponse(200, taskStatusBody(origin, book.get(id), id, failure === 'expired'));
      }
      case 'cancel': {
        const task = book.get(taskId ?? '');
        if (task === undefined || !book.cancel(task)) {
          return error(400, 'UnsupportedOperation', 'Failed to cancel the task, please confirm if the task is in PENDING status.');
        }
        return jsonResponse(200, { request_id: requestId() });
      }
      case 'list':
        return listBody(url);
      default:
        return error(404, 'NotFound', `No such API: ${method} ${url.pathname}.`);
    }
  }

  const control: ProviderMockControl = taskBookControl(book, staller, () => mock.reset());

  const mock: DashScopeMock = {
    apiKey,
    region,
    baseURL: publicBase,
    handle,
    async msw(baseURL = publicBase) {
      const { mswHandlersFor } = await import('./msw-bridge.js');
      return mswHandlersFor([new URL(baseURL).origin], handle);
    },
    async listen(listenOptions = {}) {
      const served = await serveHandler(handle, listenOptions);
      return { ...served, baseURL: `${served.url}${basePath}` };
    },
    control,
    failNext(kind, failOptions = {}) {
      const defaultRoute: DashScopeMockRoute | 'any' =
        kind === 'moderation-submit' || kind === 'moderation-poll' ? 'submit' : kind === 'expired' ? 'status' : 'any';
      failures.arm(kind, failOptions.route ?? defaultRoute, failOptions.times ?? 1);
    },
    script(outcome, scriptOptions = {}) {
      book.script(outcome, scriptOptions);
    },
    get calls() {
      return calls;
    },
    tasks() {
      return book.all().map((task) => ({ id: task.id, model: task.data.model, body: task.data.body, phase: book.phase(task), createdAt: task.createdAt }));
    },
    reset() {
      book.reset();
      failures.clear();
      staller.releaseAll();
      calls = [];
      submitTimes = [];
    },
  };
  return mock;
}
