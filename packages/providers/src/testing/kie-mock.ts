/**
 * A contract-faithful mock of KIE.ai: the Veo 3.1 API, the Market "jobs" API, the file upload API and signed
 * callbacks, for tests, demos and `video-gallery mock-provider kie`. Browser-safe: node:http is loaded only by
 * `listen()`, msw only by `msw()`.
 *
 * Routes (relative to the origin the request came to; in msw both KIE hosts are served by the same mock):
 * - `POST /api/v1/veo/generate`, `GET /api/v1/veo/record-info?taskId=` (successFlag 0 → 1 / 2 / 3)
 * - `POST /api/v1/jobs/createTask`, `GET /api/v1/jobs/recordInfo?taskId=` (state waiting → queuing → generating →
 *   success / fail, `resultJson` as a JSON string)
 * - `POST /api/file-base64-upload` → `data.downloadUrl` served at `GET /files/{uploadPath}/{fileName}`
 * - `GET /results/{taskId}.mp4` → the sample MP4 until `resultTtlMs` has passed
 *
 * Envelope `{ code, msg, data }`: 429 always comes as HTTP 429; other errors as a matching HTTP status
 * (`errorStatus: 'mirror'`, the default) or as HTTP 200 with the code in the body (`errorStatus: 200`).
 */
import type { HttpHandler } from 'msw';
import type { ProviderMockControl, ProviderMockOutcome } from '@video-gallery/core/testing';
import { base64ToBytes, bytesToBase64 } from '../shared/encoding.js';
import { FailureSwitches, MockTaskBook, Staller, bytesResponse, jsonResponse, taskBookControl } from './mock-base.js';
import type { MockClock, MockTask } from './mock-base.js';
import { sampleVideoBytes } from './sample-video.js';
import type { ServeOptions, ServedHandler } from './serve.js';

/** Failures `failNext` can inject. */
export type KieMockFailure =
  /** Body code 401 "You do not have access permissions". */
  | 'bad-key'
  /** Body code 402, insufficient credits. */
  | 'no-credits'
  /** HTTP 429 + body code 429. */
  | 'rate-limit'
  /** Body code 422 "Your request was rejected by Flow(...)" on a create. */
  | 'moderation-submit'
  /** The polled task fails at once: content-policy flag. */
  | 'moderation-poll'
  /** Body code 500 "Internal Error, Please try again later." */
  | 'server-error'
  /** Body code 455, maintenance. */
  | 'maintenance'
  /** No answer until the client gives up (or `stallMaxMs`). */
  | 'timeout'
  /** Body code 422 "Temporarily supports records within 14 days" on a poll. */
  | 'expired'
  /** HTTP 200 with an HTML body. */
  | 'malformed'
  /** Cloudflare's bare HTTP 403 "error code: 1010". */
  | 'cloudflare-1010'
  /** Body code 451, the input image could not be fetched (on a create). */
  | 'image-fetch';

/** Which requests a failure applies to. */
export type KieMockRoute = 'create' | 'poll' | 'upload';

/** Options of {@link createKieMock}. */
export interface KieMockOptions {
  /** The only key the mock accepts (`Authorization: Bearer <key>`). Default `test-kie-key`. */
  apiKey?: string;
  /** Clock for rate limits and expiry. Default the system clock. */
  clock?: MockClock;
  /** Status calls answered pending before an unscripted task finishes. Default 2. */
  pendingPolls?: number;
  /** How long result URLs work, in ms. Default 20 minutes (what users observe; the docs say more). */
  resultTtlMs?: number;
  /** How long task records can be queried, in ms. Default 14 days. */
  recordTtlMs?: number;
  /** New-task limit per key. Default 20 per 10 s (KIE's default); `false` turns it off. */
  rateLimit?: { max: number; windowMs: number } | false;
  /** HTTP status of non-429 errors: `'mirror'` (the body code) or `200`. Default `'mirror'`. */
  errorStatus?: 'mirror' | 200;
  /** When true, requests without a browser-like `User-Agent` get Cloudflare's 403 "error code: 1010". Default false. */
  requireUserAgent?: boolean;
  /** Signs callbacks with this key (`X-Webhook-Signature`). Default: callbacks carry only the timestamp. */
  webhookHmacKey?: string;
  /** `fetch` used to POST callbacks. Default `globalThis.fetch` at call time. */
  callbackFetch?: typeof fetch;
  /** Credits; each accepted task costs one, and 0 left gives body code 402. Default unlimited. */
  credits?: number;
  /** Put Veo results at `data.resultUrls` as a JSON string (the quickstart's shape) instead of `data.response.resultUrls`. Default false. */
  legacyResultUrls?: boolean;
  /** Bytes served as every result. Default the real sample MP4. */
  video?: Uint8Array;
  /** Longest time a `timeout` or stalled request is held, in ms. Default 60 000. */
  stallMaxMs?: number;
  /** Delay before every API answer, in ms, for demos. Default 0. */
  latencyMs?: number;
}

/** Markers a prompt can carry to steer the mock (for demos and the CLI). A script set with `script` wins. */
export const KIE_MOCK_PROMPT_MARKERS = {
  /** Refused at submit: body code 422 "rejected by Flow". */
  blocked: '[mock:blocked]',
  /** Fails as flagged content (successFlag 2 / state fail with failCode 400). */
  failModeration: '[mock:fail-moderation]',
  /** Fails upstream (successFlag 3 / failCode 500). */
  failGeneric: '[mock:fail-generic]',
  /** The record reads as older than 14 days. */
  expire: '[mock:expire]',
} as const;

/** One request the mock received. */
export interface KieMockCall {
  method: string;
  url: string;
  route: KieMockRoute | 'file' | 'result' | 'other';
  headers: Record<string, string>;
  /** Parsed JSON body of a POST, else `undefined`. */
  body?: unknown;
}

/** A callback the mock sent (or tried to). */
export interface KieMockCallback {
  url: string;
  taskId: string;
  headers: Record<string, string>;
  body: unknown;
  /** HTTP status of the receiver's answer, or the error message when it could not be reached. */
  result: number | string;
}

/** A running loopback server of the mock. */
export interface KieMockServer extends ServedHandler {
  /** Give this as both `baseURL` and `uploadBaseURL` of `createKie`. */
  baseURL: string;
}

/** What {@link createKieMock} returns. */
export interface KieMock {
  handle(request: Request): Promise<Response>;
  /** msw handlers for `origins` (default the real API and upload origins). Loads msw on first use. */
  msw(origins?: readonly string[]): Promise<HttpHandler[]>;
  listen(options?: ServeOptions): Promise<KieMockServer>;
  readonly control: ProviderMockControl;
  /** Arms a failure for the next `times` (default 1) requests on `route` (default any of create, poll, upload). */
  failNext(kind: KieMockFailure, options?: { route?: KieMockRoute; times?: number }): void;
  /** Scripts the next task's outcome, as `control.script` does. */
  script(outcome: ProviderMockOutcome, options?: { pendingPolls?: number }): void;
  /** Sends (again) the callback of a finished task, if it had a `callBackUrl`. */
  deliverCallback(taskId: string): Promise<KieMockCallback | null>;
  /** Waits until every callback sent so far has been answered. */
  flushCallbacks(): Promise<void>;
  readonly calls: readonly KieMockCall[];
  readonly callbacks: readonly KieMockCallback[];
  /** Uploaded files by `uploadPath/fileName`. */
  readonly files: ReadonlyMap<string, { bytes: Uint8Array; mimeType: string }>;
  readonly apiKey: string;
  reset(): void;
}

export const KIE_MOCK_DEFAULT_ORIGINS = ['https://api.kie.ai', 'https://kieai.redpandaai.co'] as const;

interface TaskData {
  api: 'veo' | 'jobs';
  model: string;
  body: Record<string, unknown>;
  callBackUrl?: string;
  forcedModeration?: boolean;
  callbackSent?: boolean;
  origin: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isUrl = (value: unknown): value is string => typeof value === 'string' && /^https?:\/\/\S+$/i.test(value);

const VEO_MODELS = new Set(['veo3', 'veo3_fast', 'veo3_lite']);
const GENERATION_TYPES = new Set(['TEXT_2_VIDEO', 'FIRST_AND_LAST_FRAMES_2_VIDEO', 'REFERENCE_2_VIDEO']);

/** Input checks of the jobs models the mock knows; `null` when valid, else the 422 message. */
const JOB_MODELS: Record<string, (input: Record<string, unknown>) => string | null> = {
  'kling/v2-1-standard': (input) =>
    checkPrompt(input, 2500) ??
    (!isUrl(input.image_url) ? 'input.image_url is required' : null) ??
    checkEnum(input, 'duration', ['5', '10']) ??
    (input.negative_prompt !== undefined && (typeof input.negative_prompt !== 'string' || input.negative_prompt.length > 2500) ? 'input.negative_prompt must be a string of at most 2500 characters' : null) ??
    (input.cfg_scale !== undefined && (typeof input.cfg_scale !== 'number' || input.cfg_scale < 0 || input.cfg_scale > 1) ? 'input.cfg_scale must be between 0 and 1' : null),
  'hailuo/02-text-to-video-standard': (input) => checkPrompt(input, 1500) ?? checkEnum(input, 'duration', ['6', '10']),
  'hailuo/02-image-to-video-standard': (input) =>
    checkPrompt(input, 1500) ??
    (!isUrl(input.image_url) ? 'input.image_url is required' : null) ??
    (input.end_image_url !== undefined && !isUrl(input.end_image_url) ? 'input.end_image_url must be a URL' : null) ??
    checkEnum(input, 'duration', ['6', '10']) ??
    checkEnum(input, 'resolution', ['512P', '768P']),
  'wan/2-6-text-to-video': (input) => checkPrompt(input, 5000) ?? checkEnum(input, 'duration', ['5', '10', '15']) ?? checkEnum(input, 'resolution', ['720p', '1080p']),
};

function checkPrompt(input: Record<string, unknown>, max: number): string | null {
  if (typeof input.prompt !== 'string' || input.prompt.trim() === '') return 'input.prompt is required';
  if (input.prompt.length > max) return `input.prompt must be at most ${max} characters`;
  return null;
}

function checkEnum(input: Record<string, unknown>, key: string, allowed: string[]): string | null {
  const value = input[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !allowed.includes(value)) return `input.${key} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  return null;
}

/** Base64 HMAC-SHA256 with Web Crypto, as KIE signs callbacks. */
async function sign(taskId: string, timestamp: string, key: string): Promise<string> {
  const encoder = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(`${taskId}.${timestamp}`))));
}

/**
 * Creates a KIE mock.
 *
 * ```ts
 * const mock = createKieMock();
 * const server = await mock.listen({ port: 8789 });
 * const kie = createKie({ apiKey: mock.apiKey, baseURL: server.baseURL, uploadBaseURL: server.baseURL });
 * ```
 */
export function createKieMock(options: KieMockOptions = {}): KieMock {
  const apiKey = options.apiKey ?? 'test-kie-key';
  const clock = options.clock ?? { now: () => Date.now() };
  const resultTtlMs = options.resultTtlMs ?? 20 * 60_000;
  const recordTtlMs = options.recordTtlMs ?? 14 * 24 * 60 * 60_000;
  const rateLimit = options.rateLimit === undefined ? { max: 20, windowMs: 10_000 } : options.rateLimit;
  const stallMaxMs = options.stallMaxMs ?? 60_000;
  const latencyMs = options.latencyMs ?? 0;
  const video = options.video ?? sampleVideoBytes();
  let counter = 0;
  const book = new MockTaskBook<TaskData>({ clock, defaultPendingPolls: options.pendingPolls ?? 2, taskTtlMs: recordTtlMs, newId: () => `task_${(++counter).toString().padStart(6, '0')}_${Math.random().toString(36).slice(2, 8)}` });
  const failures = new FailureSwitches<KieMockFailure, KieMockRoute>();
  const staller = new Staller();
  const files = new Map<string, { bytes: Uint8Array; mimeType: string }>();
  const calls: KieMockCall[] = [];
  const callbacks: KieMockCallback[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let creates: number[] = [];
  let credits = options.credits ?? Number.POSITIVE_INFINITY;

  const envelope = (code: number, msg: string, data: unknown = null): Response => {
    const httpStatus = code === 429 ? 429 : code === 200 || options.errorStatus === 200 ? 200 : code;
    return jsonResponse(httpStatus, { code, msg, data });
  };
  const cloudflare = (): Response => new Response('error code: 1010', { status: 403, headers: { 'content-type': 'text/plain; charset=UTF-8' } });

  function headersOf(request: Request): Record<string, string> {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return headers;
  }

  function gate(request: Request): Response | null {
    if (options.requireUserAgent && !/Mozilla\//.test(request.headers.get('user-agent') ?? '')) return cloudflare();
    const auth = request.headers.get('authorization');
    if (auth !== `Bearer ${apiKey}`) return envelope(401, 'You do not have access permissions');
    return null;
  }

  async function injected(route: KieMockRoute, request: Request): Promise<Response | null> {
    const kind = failures.take(route, (candidate) => {
      if (candidate === 'moderation-poll' || candidate === 'expired') return route === 'poll';
      if (candidate === 'moderation-submit' || candidate === 'image-fetch' || candidate === 'no-credits') return route === 'create';
      return true;
    });
    switch (kind) {
      case undefined:
      case 'moderation-poll':
        return null;
      case 'bad-key':
        return envelope(401, 'You do not have access permissions');
      case 'no-credits':
        return envelope(402, 'Credits insufficient. Please top up your account.');
      case 'rate-limit':
        return envelope(429, 'Too many requests: the limit is 20 new generation requests per 10 seconds.');
      case 'moderation-submit':
        return envelope(422, 'Your request was rejected by Flow(prompt contains content that violates the usage policy).');
      case 'server-error':
        return envelope(500, 'Internal Error, Please try again later.');
      case 'maintenance':
        return envelope(455, 'Service unavailable: the system is under maintenance.');
      case 'timeout':
        await staller.hold(request.signal, stallMaxMs);
        return envelope(500, 'The request was held and released.');
      case 'expired':
        return envelope(422, 'Temporarily supports records within 14 days');
      case 'malformed':
        return new Response('<html><body>502 Bad Gateway</body></html>', { status: 200, headers: { 'content-type': 'text/html' } });
      case 'cloudflare-1010':
        return cloudflare();
      case 'image-fetch':
        return envelope(451, 'Failed to fetch the image. Please check that the image URL is publicly accessible.');
    }
  }

  function overLimit(): boolean {
    if (rateLimit === false) return false;
    const now = clock.now();
    creates = creates.filter((at) => now - at < rateLimit.windowMs);
    return creates.length >= rateLimit.max;
  }

  /** Whether an image URL that points at this mock's upload store names a file that exists. */
  function imageReachable(url: string, origin: string): boolean {
    try {
      const parsed = new URL(url);
      if (parsed.origin !== origin || !parsed.pathname.startsWith('/files/')) return true;
      return files.has(decodeURIComponent(parsed.pathname.slice('/files/'.length)));
    } catch {
      return false;
    }
  }

  function validateVeo(body: Record<string, unknown>): string | null {
    if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return 'prompt is required';
    const model = body.model ?? 'veo3_fast';
    if (typeof model !== 'string' || !VEO_MODELS.has(model)) return `model must be one of veo3, veo3_fast, veo3_lite`;
    const images = body.imageUrls ?? [];
    if (!Array.isArray(images) || !images.every(isUrl)) return 'imageUrls must be an array of URLs';
    const type = body.generationType ?? (images.length === 0 ? 'TEXT_2_VIDEO' : 'FIRST_AND_LAST_FRAMES_2_VIDEO');
    if (typeof type !== 'string' || !GENERATION_TYPES.has(type)) return 'generationType must be TEXT_2_VIDEO, FIRST_AND_LAST_FRAMES_2_VIDEO or REFERENCE_2_VIDEO';
    if (type === 'TEXT_2_VIDEO' && images.length > 0) return 'TEXT_2_VIDEO takes no imageUrls';
    if (type === 'FIRST_AND_LAST_FRAMES_2_VIDEO' && (images.length < 1 || images.length > 2)) return 'FIRST_AND_LAST_FRAMES_2_VIDEO takes 1 or 2 imageUrls';
    if (type === 'REFERENCE_2_VIDEO' && (model === 'veo3' || images.length < 1 || images.length > 3)) return 'REFERENCE_2_VIDEO takes 1 to 3 imageUrls and the veo3_fast or veo3_lite model';
    // The key was renamed between doc versions; both spellings are accepted.
    const aspect = body.aspect_ratio ?? body.aspectRatio ?? '16:9';
    if (aspect !== '16:9' && aspect !== '9:16' && aspect !== 'Auto') return 'aspect_ratio must be 16:9, 9:16 or Auto';
    const resolution = body.resolution ?? '720p';
    const resolutions = model === 'veo3_lite' ? ['720p', '1080p'] : ['720p', '1080p', '4k'];
    if (typeof resolution !== 'string' || !resolutions.includes(resolution)) return `resolution must be one of ${resolutions.join(', ')}`;
    if (body.seeds !== undefined && (typeof body.seeds !== 'number' || !Number.isInteger(body.seeds) || body.seeds < 10_000 || body.seeds > 99_999)) return 'seeds must be an integer from 10000 to 99999';
    if (body.callBackUrl !== undefined && !isUrl(body.callBackUrl)) return 'callBackUrl must be a URL';
    return null;
  }

  /**
   * The start every POST handler shares: read and record the JSON body (even when refused, so tests see what was
   * sent), then the key / User-Agent gate, then an injected failure for `kind`.
   */
  async function openCall(request: Request, call: KieMockCall, kind: 'create' | 'upload'): Promise<{ body: unknown; response?: Response }> {
    const gateResponse = gate(request);
    let body: unknown;
    try {
      body = JSON.parse(await request.text()) as unknown;
    } catch {
      body = undefined;
    }
    call.body = body;
    if (gateResponse) return { body, response: gateResponse };
    const failure = await injected(kind, request);
    return failure ? { body, response: failure } : { body };
  }

  async function create(request: Request, url: URL, api: 'veo' | 'jobs', call: KieMockCall): Promise<Response> {
    const opened = await openCall(request, call, 'create');
    if (opened.response) return opened.response;
    const body = opened.body;
    if (overLimit()) return envelope(429, 'Too many requests: the limit is 20 new generation requests per 10 seconds.');
    if (!isObject(body)) return envelope(422, 'The request body must be a JSON object');
    let model: string;
    if (api === 'veo') {
      const problem = validateVeo(body);
      if (problem) return envelope(422, problem);
      model = typeof body.model === 'string' ? body.model : 'veo3_fast';
      const images = (body.imageUrls ?? []) as string[];
      if (!images.every((image) => imageReachable(image, url.origin))) return envelope(451, 'Failed to fetch the image. Please check that the image URL is publicly accessible.');
    } else {
      if (typeof body.model !== 'string' || body.model === '') return envelope(422, 'model is required');
      if (!isObject(body.input)) return envelope(422, 'input is required');
      if (body.callBackUrl !== undefined && !isUrl(body.callBackUrl)) return envelope(422, 'callBackUrl must be a URL');
      model = body.model;
      const check = JOB_MODELS[model];
      const problem = check ? check(body.input) : checkPrompt(body.input, 10_000);
      if (problem) return envelope(422, problem);
      for (const key of ['image_url', 'end_image_url']) {
        const image = body.input[key];
        if (typeof image === 'string' && !imageReachable(image, url.origin)) return envelope(451, 'Failed to fetch the image. Please check that the image URL is publicly accessible.');
      }
    }
    const prompt = String(api === 'veo' ? body.prompt : (body.input as Record<string, unknown>).prompt);
    if (prompt.includes(KIE_MOCK_PROMPT_MARKERS.blocked)) return envelope(422, 'Your request was rejected by Flow(prompt contains content that violates the usage policy).');
    let fallback: ProviderMockOutcome = 'succeed';
    if (prompt.includes(KIE_MOCK_PROMPT_MARKERS.failModeration)) fallback = 'fail-moderation';
    else if (prompt.includes(KIE_MOCK_PROMPT_MARKERS.failGeneric)) fallback = 'fail-generic';
    else if (prompt.includes(KIE_MOCK_PROMPT_MARKERS.expire)) fallback = 'expire';
    if (credits <= 0) return envelope(402, 'Credits insufficient. Please top up your account.');
    credits -= 1;
    creates.push(clock.now());
    const data: TaskData = { api, model, body, origin: url.origin };
    if (isUrl(body.callBackUrl)) data.callBackUrl = body.callBackUrl;
    const task = book.create(data, fallback);
    return envelope(200, 'success', { taskId: task.id });
  }

  const resultUrl = (task: MockTask<TaskData>): string => `${task.data.origin}/results/${task.id}.mp4`;

  function veoRecord(task: MockTask<TaskData>, phase: ReturnType<MockTaskBook<TaskData>['phase']>): Record<string, unknown> {
    const body = task.data.body;
    const record: Record<string, unknown> = {
      taskId: task.id,
      paramJson: JSON.stringify({ prompt: body.prompt, model: task.data.model }),
      createTime: new Date(task.createdAt).toISOString().slice(0, 19).replace('T', ' '),
      completeTime: null,
      response: null,
      successFlag: 0,
      errorCode: null,
      errorMessage: '',
      fallbackFlag: false,
    };
    if (phase === 'queued' || phase === 'running') return record;
    record.completeTime = new Date(task.finishedAt ?? clock.now()).toISOString().slice(0, 19).replace('T', ' ');
    if (phase === 'succeeded') {
      record.successFlag = 1;
      const aspect = body.aspect_ratio ?? body.aspectRatio ?? '16:9';
      if (options.legacyResultUrls) {
        record.resultUrls = JSON.stringify([resultUrl(task)]);
      } else {
        record.response = {
          taskId: task.id,
          resultUrls: [resultUrl(task)],
          ...(aspect === '16:9' ? {} : { originUrls: [`${task.data.origin}/results/${task.id}.mp4?origin=1`] }),
          resolution: typeof body.resolution === 'string' ? body.resolution : '720p',
        };
      }
    } else if (phase === 'failed-moderation') {
      record.successFlag = 2;
      record.errorCode = 400;
      record.errorMessage = 'Your prompt was flagged by Website as violating content policies.';
    } else {
      record.successFlag = 3;
      record.errorCode = 501;
      record.errorMessage = 'Video generation failed upstream. Please try again.';
    }
    return record;
  }

  function jobsRecord(task: MockTask<TaskData>, phase: ReturnType<MockTaskBook<TaskData>['phase']>): Record<string, unknown> {
    const record: Record<string, unknown> = {
      taskId: task.id,
      model: task.data.model,
      state: 'waiting',
      param: JSON.stringify({ model: task.data.model, input: task.data.body.input }),
      resultJson: '',
      failCode: '',
      failMsg: '',
      costTime: null,
      completeTime: null,
      createTime: task.createdAt,
      updateTime: clock.now(),
    };
    // `book.poll` has already counted this call, so the call being answered is number `task.polls`.
    if (phase === 'queued') {
      record.state = task.polls <= 1 ? 'waiting' : 'queuing';
    } else if (phase === 'running') {
      record.state = 'generating';
      record.progress = Math.round((100 * (task.polls - task.queuedPolls)) / (task.pendingPolls - task.queuedPolls + 1));
    } else {
      record.completeTime = task.finishedAt ?? clock.now();
      record.costTime = (task.finishedAt ?? clock.now()) - task.createdAt;
      if (phase === 'succeeded') {
        record.state = 'success';
        record.resultJson = JSON.stringify({ resultUrls: [resultUrl(task)] });
        record.creditsConsumed = 1;
      } else if (phase === 'failed-moderation') {
        record.state = 'fail';
        record.failCode = '400';
        record.failMsg = 'The content was flagged as sensitive and violates the content policy.';
      } else {
        record.state = 'fail';
        record.failCode = '500';
        record.failMsg = 'Internal Error, Please try again later.';
      }
    }
    return record;
  }

  function terminal(phase: string): boolean {
    return phase === 'succeeded' || phase === 'failed-moderation' || phase === 'failed-generic';
  }

  async function poll(request: Request, url: URL, api: 'veo' | 'jobs'): Promise<Response> {
    const gateResponse = gate(request);
    if (gateResponse) return gateResponse;
    const id = url.searchParams.get('taskId') ?? '';
    const task = book.get(id);
    if (task?.data.api === api && failures.take('poll', (kind) => kind === 'moderation-poll') !== undefined) task.data.forcedModeration = true;
    const failure = await injected('poll', request);
    if (failure) return failure;
    if (task === undefined || task.data.api !== api) return envelope(422, 'record is null');
    let phase = book.poll(task);
    if (phase === 'expired') return envelope(422, 'Temporarily supports records within 14 days');
    if (task.data.forcedModeration && !terminal(phase)) {
      phase = 'failed-moderation';
      task.finishedAt ??= clock.now();
    } else if (task.data.forcedModeration) {
      phase = 'failed-moderation';
    }
    if (terminal(phase) && task.data.callBackUrl !== undefined && !task.data.callbackSent) {
      task.data.callbackSent = true;
      track(sendCallback(task, phase));
    }
    const record = api === 'veo' ? veoRecord(task, phase) : jobsRecord(task, phase);
    return envelope(200, 'success', record);
  }

  function track(promise: Promise<unknown>): void {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  }

  function callbackBody(task: MockTask<TaskData>, phase: string): { code: number; msg: string; data: Record<string, unknown> } {
    if (task.data.api === 'jobs') {
      const record = jobsRecord(task, phase as ReturnType<MockTaskBook<TaskData>['phase']>);
      return { code: phase === 'succeeded' ? 200 : Number(record.failCode) || 500, msg: phase === 'succeeded' ? 'success' : String(record.failMsg), data: record };
    }
    if (phase === 'succeeded') {
      return { code: 200, msg: 'Veo3.1 video generated successfully.', data: { taskId: task.id, info: { resultUrls: [resultUrl(task)], resolution: task.data.body.resolution ?? '720p' }, fallbackFlag: false } };
    }
    const record = veoRecord(task, phase as ReturnType<MockTaskBook<TaskData>['phase']>);
    return { code: Number(record.errorCode) || 500, msg: String(record.errorMessage), data: { taskId: task.id, info: null, fallbackFlag: false } };
  }

  async function sendCallback(task: MockTask<TaskData>, phase: string): Promise<KieMockCallback | null> {
    const target = task.data.callBackUrl;
    if (target === undefined) return null;
    const body = callbackBody(task, phase);
    const timestamp = String(Math.floor(clock.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-webhook-timestamp': timestamp };
    if (options.webhookHmacKey !== undefined) headers['x-webhook-signature'] = await sign(task.id, timestamp, options.webhookHmacKey);
    const record: KieMockCallback = { url: target, taskId: task.id, headers, body, result: 'pending' };
    callbacks.push(record);
    try {
      const fetcher = options.callbackFetch ?? globalThis.fetch;
      const response = await fetcher(target, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
      await response.body?.cancel();
      record.result = response.status;
    } catch (error) {
      record.result = error instanceof Error ? error.message : String(error);
    }
    return record;
  }

  async function upload(request: Request, url: URL, call: KieMockCall): Promise<Response> {
    const opened = await openCall(request, call, 'upload');
    if (opened.response) return opened.response;
    const body = opened.body;
    if (!isObject(body) || typeof body.base64Data !== 'string' || body.base64Data === '') return envelope(400, 'base64Data is required');
    if (typeof body.uploadPath !== 'string' || body.uploadPath === '' || /(^|\/)\.\.(\/|$)/.test(body.uploadPath)) return envelope(400, 'uploadPath is required');
    const match = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s.exec(body.base64Data);
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(match ? (match[2] ?? '') : body.base64Data);
    } catch {
      return envelope(400, 'base64Data is not valid base64');
    }
    const mimeType = match?.[1] ?? 'application/octet-stream';
    const fileName = typeof body.fileName === 'string' && body.fileName !== '' ? body.fileName.replace(/[^\w.-]/g, '_') : `${crypto.randomUUID()}.bin`;
    const key = `${body.uploadPath.replace(/^\/+|\/+$/g, '')}/${fileName}`;
    files.set(key, { bytes, mimeType });
    const fileUrl = `${url.origin}/files/${key.split('/').map(encodeURIComponent).join('/')}`;
    return jsonResponse(200, {
      success: true,
      code: 200,
      msg: 'File uploaded successfully',
      data: { fileId: `file_${key}`, fileName, originalName: fileName, fileSize: bytes.byteLength, mimeType, uploadPath: body.uploadPath, fileUrl, downloadUrl: fileUrl, uploadTime: new Date(clock.now()).toISOString() },
    });
  }

  function serveResult(request: Request, taskId: string): Response {
    const task = book.get(taskId);
    if (task === undefined || task.finishedAt === undefined || clock.now() - task.finishedAt >= resultTtlMs) {
      return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } });
    }
    return bytesResponse(request, video, 'video/mp4');
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method;
    let route: KieMockCall['route'] = 'other';
    if ((path === '/api/v1/veo/generate' || path === '/api/v1/jobs/createTask') && method === 'POST') route = 'create';
    else if ((path === '/api/v1/veo/record-info' || path === '/api/v1/jobs/recordInfo') && method === 'GET') route = 'poll';
    else if (path === '/api/file-base64-upload' && method === 'POST') route = 'upload';
    else if (path.startsWith('/files/')) route = 'file';
    else if (/^\/results\/[^/]+\.mp4$/.test(path)) route = 'result';
    const call: KieMockCall = { method, url: request.url, route, headers: headersOf(request) };
    calls.push(call);
    if (latencyMs > 0 && route !== 'file' && route !== 'result') await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (staller.takeArmed()) {
      await staller.hold(request.signal, stallMaxMs);
      return envelope(500, 'The request was held and released.');
    }
    const api = path.includes('/veo/') ? 'veo' : 'jobs';
    switch (route) {
      case 'create':
        return create(request, url, api, call);
      case 'poll':
        return poll(request, url, api);
      case 'upload':
        return upload(request, url, call);
      case 'file': {
        const file = files.get(decodeURIComponent(path.slice('/files/'.length)));
        return file ? bytesResponse(request, file.bytes, file.mimeType) : new Response('Not Found', { status: 404 });
      }
      case 'result':
        return serveResult(request, decodeURIComponent(path.slice('/results/'.length, -'.mp4'.length)));
      default:
        return envelope(404, `Not found: ${method} ${path}`);
    }
  }

  const control: ProviderMockControl = taskBookControl(book, staller, () => reset());

  function reset(): void {
    book.reset();
    failures.clear();
    staller.releaseAll();
    files.clear();
    calls.length = 0;
    callbacks.length = 0;
    creates = [];
    credits = options.credits ?? Number.POSITIVE_INFINITY;
  }

  return {
    handle,
    async msw(origins = KIE_MOCK_DEFAULT_ORIGINS) {
      const { mswHandlersFor } = await import('./msw-bridge.js');
      return mswHandlersFor(origins, handle);
    },
    async listen(serveOptions = {}) {
      const { serveHandler } = await import('./serve.js');
      const server = await serveHandler(handle, serveOptions);
      return { ...server, baseURL: server.url };
    },
    control,
    failNext(kind, failOptions = {}) {
      failures.arm(kind, failOptions.route ?? 'any', failOptions.times ?? 1);
    },
    script: control.script,
    async deliverCallback(taskId) {
      const task = book.get(taskId);
      if (task === undefined) return null;
      const phase = task.data.forcedModeration ? 'failed-moderation' : book.phase(task);
      if (!terminal(phase)) return null;
      const promise = sendCallback(task, phase);
      track(promise);
      return promise;
    },
    async flushCallbacks() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    calls,
    callbacks,
    files,
    apiKey,
    reset,
  };
}
