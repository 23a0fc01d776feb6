/**
 * A contract-faithful mock of Google Veo on the Gemini API (generativelanguage.googleapis.com/v1beta), for tests,
 * demos and `video-gallery mock-provider veo`. It is strict where the real API is: unknown JSON names, durations
 * out of bound and the 8-second rule get the real 400 INVALID_ARGUMENT shape. Browser-safe: node:http is loaded only
 * by `listen()`, msw only by `msw()`.
 *
 * Routes (relative to the origin the request came to):
 * - `POST /v1beta/models/{model}:predictLongRunning` → `{ name }`
 * - `GET /v1beta/models/{model}/operations/{id}` → running (`done` left out) → done with samples / RAI filter / error
 * - `GET /v1beta/files/{id}:download?alt=media` (key in `x-goog-api-key` or `?key=`) → 302 to `/blob/{id}`
 * - `GET /blob/{id}` → the sample MP4 (Range supported); 404 once the file is older than `fileTtlMs`
 */
import type { HttpHandler } from 'msw';
import type { ProviderMockControl, ProviderMockOutcome } from '@video-gallery/core/testing';
import { FailureSwitches, MockTaskBook, Staller, bytesResponse, jsonResponse, taskBookControl } from './mock-base.js';
import type { MockClock, MockTask } from './mock-base.js';
import { sampleVideoBytes } from './sample-video.js';
import type { ServeOptions, ServedHandler } from './serve.js';

/** Failures `failNext` can inject. */
export type VeoMockFailure =
  /** 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID, as Google answers a wrong key. */
  | 'bad-key'
  /** 429 RESOURCE_EXHAUSTED with a RetryInfo of 7 s. */
  | 'rate-limit'
  /** 400 INVALID_ARGUMENT refusing the prompt under the usage guidelines. */
  | 'moderation-submit'
  /** The polled operation finishes at once, removed by the RAI filter. */
  | 'moderation-poll'
  /** 500 INTERNAL. */
  | 'server-error'
  /** 503 UNAVAILABLE ("The model is overloaded"). */
  | 'unavailable'
  /** No answer until the client gives up (or `stallMaxMs`). */
  | 'timeout'
  /** 404 NOT_FOUND for the operation, as after its 2-day retention. */
  | 'expired'
  /** HTTP 200 with a body cut off mid-JSON. */
  | 'malformed'
  /** 400 FAILED_PRECONDITION: the project is not on the paid tier. */
  | 'paid-tier';

/** Which requests a failure applies to. */
export type VeoMockRoute = 'submit' | 'poll' | 'download';

/** Options of {@link createVeoMock}. */
export interface VeoMockOptions {
  /** The only key the mock accepts. Default `test-gemini-key`. */
  apiKey?: string;
  /** Clock for file expiry. Default the system clock. */
  clock?: MockClock;
  /** Status calls answered "running" before an unscripted task finishes. Default 2. */
  pendingPolls?: number;
  /** How long a generated file stays downloadable, in ms. Default 2 days (the Gemini API's retention). */
  fileTtlMs?: number;
  /** Bytes served as every result. Default the real sample MP4 (`sampleVideoBytes()`). */
  video?: Uint8Array;
  /** Longest time a `timeout` or stalled request is held, in ms. Default 60 000. */
  stallMaxMs?: number;
  /** Delay before every API answer, in ms, for demos. Default 0. */
  latencyMs?: number;
}

/** Markers a prompt can carry to steer the mock (for demos and the CLI). A script set with `control.script` wins. */
export const VEO_MOCK_PROMPT_MARKERS = {
  /** Refused at submit: 400 INVALID_ARGUMENT under the usage guidelines. */
  blocked: '[mock:blocked]',
  /** Finishes removed by the RAI filter. */
  failModeration: '[mock:fail-moderation]',
  /** Finishes with an operation error (gRPC 13). */
  failGeneric: '[mock:fail-generic]',
  /** The operation becomes unknown (404). */
  expire: '[mock:expire]',
} as const;

/** One request the mock received. */
export interface VeoMockCall {
  method: string;
  /** Full URL. */
  url: string;
  route: VeoMockRoute | 'blob' | 'other';
  headers: Record<string, string>;
  /** Parsed JSON body of a submit, else `undefined`. */
  body?: unknown;
}

/** A running loopback server of the mock. */
export interface VeoMockServer extends ServedHandler {
  /** The API root to give `createVeo({ baseURL })`: `{url}/v1beta`. */
  baseURL: string;
}

/** What {@link createVeoMock} returns. */
export interface VeoMock {
  /** The mock as a Web-standard handler. */
  handle(request: Request): Promise<Response>;
  /** msw handlers for `origins` (default the real Gemini API origin). Loads msw on first use. */
  msw(origins?: readonly string[]): Promise<HttpHandler[]>;
  /** Serves the mock on loopback (default `127.0.0.1`, a free port). */
  listen(options?: ServeOptions): Promise<VeoMockServer>;
  /** The conformance-suite handle. */
  readonly control: ProviderMockControl;
  /** Arms a failure for the next `times` (default 1) requests on `route` (default: any of submit, poll, download). */
  failNext(kind: VeoMockFailure, options?: { route?: VeoMockRoute; times?: number }): void;
  /** Requests received since the last reset, oldest first. */
  readonly calls: readonly VeoMockCall[];
  /** The key the mock accepts. */
  readonly apiKey: string;
  /** Forgets tasks, files, scripts, failures and calls; releases stalled requests. */
  reset(): void;
}

/** The real Gemini API origin; `msw()` intercepts it by default. */
export const VEO_MOCK_DEFAULT_ORIGIN = 'https://generativelanguage.googleapis.com';

interface ModelRules {
  /** Allowed values, and the inclusive bound the error message names. */
  durations: number[];
  bound: [number, number];
  /** `null` when the model takes no `resolution` parameter. */
  resolutions: string[] | null;
  /** Resolutions that require 8 s. */
  eightSecondsFor: string[];
  /** 1080p only in 16:9. */
  wideOnlyFor1080p: boolean;
  lastFrame: boolean;
  referenceImages: boolean;
  maxSamples: number;
  veo2: boolean;
}

const VEO31: ModelRules = { durations: [4, 6, 8], bound: [4, 8], resolutions: ['720p', '1080p', '4k'], eightSecondsFor: ['1080p', '4k'], wideOnlyFor1080p: false, lastFrame: true, referenceImages: true, maxSamples: 1, veo2: false };
const MODELS: Record<string, ModelRules> = {
  'veo-3.1-generate-preview': VEO31,
  'veo-3.1-fast-generate-preview': VEO31,
  'veo-3.1-lite-generate-preview': { ...VEO31, resolutions: ['720p', '1080p'], eightSecondsFor: ['1080p'], lastFrame: false, referenceImages: false },
  'veo-3.0-generate-001': { ...VEO31, resolutions: ['720p', '1080p'], eightSecondsFor: ['1080p'], wideOnlyFor1080p: true, lastFrame: false, referenceImages: false },
  'veo-3.0-fast-generate-001': { ...VEO31, resolutions: ['720p', '1080p'], eightSecondsFor: ['1080p'], wideOnlyFor1080p: true, lastFrame: false, referenceImages: false },
  'veo-2.0-generate-001': { durations: [5, 6, 7, 8], bound: [5, 8], resolutions: null, eightSecondsFor: [], wideOnlyFor1080p: false, lastFrame: false, referenceImages: false, maxSamples: 2, veo2: true },
};

const TOP_LEVEL = new Set(['instances', 'parameters', 'webhookConfig']);
const INSTANCE = new Set(['prompt', 'image', 'lastFrame', 'referenceImages', 'video']);
const PARAMETERS = new Set(['aspectRatio', 'resolution', 'durationSeconds', 'negativePrompt', 'personGeneration', 'sampleCount', 'numberOfVideos', 'seed', 'enhancePrompt']);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface TaskData {
  model: string;
  operation: string;
  mode: 'text' | 'image';
  fileId?: string;
  forcedModeration?: boolean;
}

function googleError(httpStatus: number, status: string, message: string, details?: unknown[], headers: Record<string, string> = {}): Response {
  return jsonResponse(httpStatus, { error: { code: httpStatus, message, status, ...(details === undefined ? {} : { details }) } }, headers);
}
const invalid = (message: string): Response => googleError(400, 'INVALID_ARGUMENT', message);
const unknownName = (name: string, where: string): Response =>
  invalid(`Invalid JSON payload received. Unknown name "${name}"${where === '' ? '' : ` at '${where}'`}: Cannot find field.`);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function randomId(length = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** Checks one image in either wire shape: `{ bytesBase64Encoded, mimeType }` (SDK) or `{ inlineData: { mimeType, data } }` (REST docs). */
function checkImage(image: unknown, where: string): Response | null {
  if (!isObject(image)) return invalid(`Invalid value at '${where}': expected an image object.`);
  if ('gcsUri' in image) return invalid(`\`${where}.gcsUri\` is not supported in the Gemini API; send the bytes inline.`);
  let data: unknown;
  let mimeType: unknown;
  if (isObject(image.inlineData)) {
    for (const key of Object.keys(image)) if (key !== 'inlineData') return unknownName(key, where);
    for (const key of Object.keys(image.inlineData)) if (key !== 'mimeType' && key !== 'data') return unknownName(key, `${where}.inlineData`);
    data = image.inlineData.data;
    mimeType = image.inlineData.mimeType;
  } else {
    for (const key of Object.keys(image)) if (key !== 'bytesBase64Encoded' && key !== 'mimeType') return unknownName(key, where);
    data = image.bytesBase64Encoded;
    mimeType = image.mimeType;
  }
  if (typeof data !== 'string' || data === '' || !BASE64.test(data)) return invalid(`Invalid value at '${where}': the image bytes must be non-empty base64.`);
  if (typeof mimeType !== 'string' || !/^image\/(png|jpeg|webp)$/.test(mimeType)) return invalid(`Invalid value at '${where}.mimeType': use image/png, image/jpeg or image/webp.`);
  return null;
}

/** Validates a submit body against the model's rules; `null` when it is acceptable. */
function validateSubmit(model: string, rules: ModelRules, body: unknown): Response | { mode: 'text' | 'image' } {
  if (!isObject(body)) return invalid('Invalid JSON payload received. Expected an object.');
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) return unknownName(key, '');
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length !== 1 || !isObject(instances[0])) return invalid('`instances` must hold exactly one instance.');
  const instance = instances[0];
  for (const key of Object.keys(instance)) if (!INSTANCE.has(key)) return unknownName(key, 'instances[0]');
  if (typeof instance.prompt !== 'string' || instance.prompt.trim() === '') return invalid('`prompt` is required.');
  const sources = ['image', 'video', 'referenceImages'].filter((key) => instance[key] !== undefined);
  if (sources.length > 1) return invalid(`Only one of \`image\`, \`video\` and \`referenceImages\` can be set; got ${sources.join(', ')}.`);
  if (instance.video !== undefined) return invalid('Video extension is not supported by this mock.');
  if (instance.image !== undefined) {
    const bad = checkImage(instance.image, 'instances[0].image');
    if (bad) return bad;
  }
  if (instance.lastFrame !== undefined) {
    if (!rules.lastFrame) return invalid(`\`lastFrame\` isn't supported by ${model}.`);
    if (instance.image === undefined) return invalid('`lastFrame` requires `image`.');
    const bad = checkImage(instance.lastFrame, 'instances[0].lastFrame');
    if (bad) return bad;
  }
  const references = instance.referenceImages;
  if (references !== undefined) {
    if (!rules.referenceImages) return invalid(`\`referenceImages\` isn't supported by ${model}.`);
    if (!Array.isArray(references) || references.length === 0 || references.length > 3) return invalid('`referenceImages` takes 1 to 3 images.');
    for (const [index, reference] of references.entries()) {
      if (!isObject(reference)) return invalid(`Invalid value at 'instances[0].referenceImages[${index}]'.`);
      for (const key of Object.keys(reference)) if (key !== 'image' && key !== 'referenceType') return unknownName(key, `instances[0].referenceImages[${index}]`);
      const bad = checkImage(reference.image, `instances[0].referenceImages[${index}].image`);
      if (bad) return bad;
      if (typeof reference.referenceType !== 'string' || !/^(asset|style)$/i.test(reference.referenceType)) return invalid('`referenceType` must be asset or style.');
    }
  }

  const parameters = body.parameters ?? {};
  if (!isObject(parameters)) return invalid("Invalid value at 'parameters': expected an object.");
  for (const key of Object.keys(parameters)) if (!PARAMETERS.has(key)) return unknownName(key, 'parameters');
  const aspectRatio = parameters.aspectRatio ?? '16:9';
  if (aspectRatio !== '16:9' && aspectRatio !== '9:16') return invalid(`\`aspectRatio\` ${JSON.stringify(aspectRatio)} is not supported. Use 16:9 or 9:16.`);
  const resolution = parameters.resolution;
  if (resolution !== undefined) {
    if (rules.resolutions === null) return invalid(`\`resolution\` isn't supported by ${model}.`);
    if (typeof resolution !== 'string' || !rules.resolutions.includes(resolution)) return invalid(`\`resolution\` ${JSON.stringify(resolution)} is not supported by ${model}. Supported values: ${rules.resolutions.join(', ')}.`);
  }
  const effectiveResolution = typeof resolution === 'string' ? resolution : '720p';
  const duration = parameters.durationSeconds ?? 8;
  if (typeof duration !== 'number' || !Number.isInteger(duration)) return invalid('Invalid value at \'parameters.durationSeconds\' (TYPE_INT32), expected a number.');
  if (duration < rules.bound[0] || duration > rules.bound[1]) {
    return invalid(`The number value for \`durationSeconds\` is out of bound. Please provide a value between ${rules.bound[0]} and ${rules.bound[1]}, inclusive.`);
  }
  if (!rules.durations.includes(duration)) return invalid(`\`durationSeconds\` ${duration} is not supported by ${model}. Supported values: ${rules.durations.join(', ')}.`);
  if (rules.eightSecondsFor.includes(effectiveResolution) && duration !== 8) {
    return invalid(`\`durationSeconds\` must be 8 when \`resolution\` is ${effectiveResolution}.`);
  }
  if (references !== undefined && duration !== 8) return invalid('`durationSeconds` must be 8 when `referenceImages` are used.');
  if (rules.wideOnlyFor1080p && effectiveResolution === '1080p' && aspectRatio !== '16:9') return invalid(`1080p is only supported with aspectRatio 16:9 on ${model}.`);
  if (parameters.sampleCount !== undefined && parameters.numberOfVideos !== undefined) return invalid('Set only one of `sampleCount` and `numberOfVideos`.');
  const count = parameters.sampleCount ?? parameters.numberOfVideos ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > rules.maxSamples) {
    return invalid(`The number value for \`sampleCount\` is out of bound. Please provide a value between 1 and ${rules.maxSamples}, inclusive.`);
  }
  if (parameters.negativePrompt !== undefined && typeof parameters.negativePrompt !== 'string') return invalid("Invalid value at 'parameters.negativePrompt' (TYPE_STRING).");
  if (parameters.seed !== undefined && (typeof parameters.seed !== 'number' || !Number.isInteger(parameters.seed) || parameters.seed < 0 || parameters.seed > 4_294_967_295)) {
    return invalid("Invalid value at 'parameters.seed' (TYPE_UINT32).");
  }
  const imageMode = instance.image !== undefined || references !== undefined;
  const person = parameters.personGeneration;
  if (person !== undefined) {
    const allowed = rules.veo2 ? (imageMode ? ['allow_adult', 'dont_allow'] : ['allow_all', 'allow_adult', 'dont_allow']) : imageMode ? ['allow_adult'] : ['allow_all'];
    if (typeof person !== 'string' || !allowed.includes(person)) {
      return invalid(`\`personGeneration\` ${JSON.stringify(person)} isn't supported for ${imageMode ? 'image' : 'text'}-to-video on ${model}. Supported values: ${allowed.join(', ')}.`);
    }
  }
  return { mode: imageMode ? 'image' : 'text' };
}

/**
 * Creates a Veo mock. Use `.handle` directly, `.msw()` with an msw server, or `.listen()` for a loopback server.
 *
 * ```ts
 * const mock = createVeoMock();
 * const server = await mock.listen({ port: 8788 });
 * const veo = createVeo({ apiKey: mock.apiKey, baseURL: server.baseURL });
 * ```
 */
export function createVeoMock(options: VeoMockOptions = {}): VeoMock {
  const apiKey = options.apiKey ?? 'test-gemini-key';
  const clock = options.clock ?? { now: () => Date.now() };
  const fileTtlMs = options.fileTtlMs ?? 2 * 24 * 60 * 60 * 1000;
  const stallMaxMs = options.stallMaxMs ?? 60_000;
  const latencyMs = options.latencyMs ?? 0;
  const video = options.video ?? sampleVideoBytes();
  const book = new MockTaskBook<TaskData>({ clock, defaultPendingPolls: options.pendingPolls ?? 2, newId: () => randomId() });
  const failures = new FailureSwitches<VeoMockFailure, VeoMockRoute>();
  const staller = new Staller();
  const files = new Map<string, { createdAt: number }>();
  const calls: VeoMockCall[] = [];

  function headersOf(request: Request): Record<string, string> {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return headers;
  }

  function authError(request: Request, url: URL): Response | null {
    const key = request.headers.get('x-goog-api-key') || url.searchParams.get('key');
    if (key === null || key === '') {
      return googleError(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    }
    if (key !== apiKey) return badKey();
    return null;
  }

  const badKey = (): Response =>
    googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
    ]);

  /** The injected failure's response, or `null` to go on normally (or after a stall). */
  async function injected(route: VeoMockRoute, request: Request): Promise<Response | null> {
    const kind = failures.take(route, (candidate) => (candidate === 'moderation-poll' || candidate === 'expired' ? route === 'poll' : candidate === 'moderation-submit' || candidate === 'paid-tier' ? route === 'submit' : true));
    switch (kind) {
      case undefined:
      case 'moderation-poll':
        return null;
      case 'bad-key':
        return badKey();
      case 'rate-limit':
        return googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
        ]);
      case 'moderation-submit':
        return refusedPrompt();
      case 'server-error':
        return googleError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
      case 'unavailable':
        return googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      case 'timeout':
        await staller.hold(request.signal, stallMaxMs);
        return googleError(504, 'DEADLINE_EXCEEDED', 'The request timed out.');
      case 'expired':
        return googleError(404, 'NOT_FOUND', 'Operation not found.');
      case 'malformed':
        return new Response('{"name": "models/veo', { status: 200, headers: { 'content-type': 'application/json' } });
      case 'paid-tier':
        return googleError(400, 'FAILED_PRECONDITION', 'Veo is only available to paid tier users. Please enable billing for this project.');
    }
  }

  const refusedPrompt = (): Response =>
    invalid("The prompt could not be submitted. This prompt contains words that violate Google's Responsible AI practices. Try rephrasing the prompt.");

  async function submit(request: Request, url: URL, model: string, call: VeoMockCall): Promise<Response> {
    let body: unknown;
    try {
      body = JSON.parse(await request.text()) as unknown;
    } catch {
      return invalid('Invalid JSON payload received. Unexpected end of string.');
    }
    call.body = body;
    const auth = authError(request, url);
    if (auth) return auth;
    const failure = await injected('submit', request);
    if (failure) return failure;
    const rules = MODELS[model];
    if (rules === undefined) return googleError(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for predictLongRunning. Call ListModels to see the list of available models and their supported methods.`);
    const checked = validateSubmit(model, rules, body);
    if (checked instanceof Response) return checked;
    const prompt = String((body as { instances: { prompt: string }[] }).instances[0]?.prompt ?? '');
    if (prompt.includes(VEO_MOCK_PROMPT_MARKERS.blocked)) return refusedPrompt();
    let fallback: ProviderMockOutcome = 'succeed';
    if (prompt.includes(VEO_MOCK_PROMPT_MARKERS.failModeration)) fallback = 'fail-moderation';
    else if (prompt.includes(VEO_MOCK_PROMPT_MARKERS.failGeneric)) fallback = 'fail-generic';
    else if (prompt.includes(VEO_MOCK_PROMPT_MARKERS.expire)) fallback = 'expire';
    const task = book.create({ model, operation: '', mode: checked.mode }, fallback);
    task.data.operation = `models/${model}/operations/${task.id}`;
    return jsonResponse(200, { name: task.data.operation });
  }

  function operationBody(task: MockTask<TaskData>, origin: string): Response {
    const name = task.data.operation;
    if (task.data.forcedModeration) return jsonResponse(200, raiFiltered(name));
    const phase = book.poll(task);
    switch (phase) {
      case 'queued':
      case 'running':
        // proto3 leaves `done: false` out.
        return jsonResponse(200, { name });
      case 'succeeded': {
        if (task.data.fileId === undefined) {
          task.data.fileId = randomId();
          files.set(task.data.fileId, { createdAt: clock.now() });
        }
        return jsonResponse(200, {
          name,
          done: true,
          response: {
            '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
            generateVideoResponse: { generatedSamples: [{ video: { uri: `${origin}/v1beta/files/${task.data.fileId}:download?alt=media` } }] },
          },
        });
      }
      case 'failed-moderation':
        return jsonResponse(200, raiFiltered(name));
      case 'failed-generic':
        return jsonResponse(200, { name, done: true, error: { code: 13, message: 'Video generation failed due to an internal error. Please try again.' } });
      case 'expired':
      case 'cancelled':
        return googleError(404, 'NOT_FOUND', `Operation ${name} not found.`);
    }
  }

  function raiFiltered(name: string): unknown {
    return {
      name,
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: {
          raiMediaFilteredCount: 1,
          raiMediaFilteredReasons: ["We encountered an issue with the audio for your prompt. Please try rephrasing your prompt. If the issue persists, try a different prompt. You have not been charged for this attempt."],
        },
      },
    };
  }

  async function poll(request: Request, url: URL, model: string, id: string): Promise<Response> {
    const auth = authError(request, url);
    if (auth) return auth;
    const task = book.get(id);
    if (task?.data.model === model) {
      if (failures.take('poll', (kind) => kind === 'moderation-poll') !== undefined) task.data.forcedModeration = true;
    }
    const failure = await injected('poll', request);
    if (failure) return failure;
    if (task === undefined || task.data.model !== model) return googleError(404, 'NOT_FOUND', `Operation models/${model}/operations/${id} not found.`);
    return operationBody(task, url.origin);
  }

  async function download(request: Request, url: URL, fileId: string): Promise<Response> {
    const auth = authError(request, url);
    if (auth) return auth;
    const failure = await injected('download', request);
    if (failure) return failure;
    if (url.searchParams.get('alt') !== 'media') return invalid('Use alt=media to download the file content.');
    const file = files.get(fileId);
    if (file === undefined || clock.now() - file.createdAt >= fileTtlMs) return googleError(404, 'NOT_FOUND', `File files/${fileId} not found.`);
    return new Response(null, { status: 302, headers: { location: `${url.origin}/blob/${fileId}` } });
  }

  function blob(request: Request, fileId: string): Response {
    const file = files.get(fileId);
    if (file === undefined || clock.now() - file.createdAt >= fileTtlMs) return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain' } });
    return bytesResponse(request, video, 'video/mp4');
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const submitMatch = /^\/v1beta\/models\/([^/:]+):predictLongRunning$/.exec(path);
    const pollMatch = /^\/v1beta\/models\/([^/:]+)\/operations\/([^/:]+)$/.exec(path);
    const downloadMatch = /^\/v1beta\/files\/([^/:]+):download$/.exec(path);
    const blobMatch = /^\/blob\/([^/]+)$/.exec(path);
    const route: VeoMockCall['route'] = submitMatch ? 'submit' : pollMatch ? 'poll' : downloadMatch ? 'download' : blobMatch ? 'blob' : 'other';
    const call: VeoMockCall = { method: request.method, url: request.url, route, headers: headersOf(request) };
    calls.push(call);
    if (latencyMs > 0 && route !== 'blob') await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (staller.takeArmed()) {
      await staller.hold(request.signal, stallMaxMs);
      return googleError(503, 'UNAVAILABLE', 'The request was held and released.');
    }
    if (submitMatch && request.method === 'POST') return submit(request, url, decodeURIComponent(submitMatch[1] ?? ''), call);
    if (pollMatch && request.method === 'GET') return poll(request, url, decodeURIComponent(pollMatch[1] ?? ''), pollMatch[2] ?? '');
    if (downloadMatch && request.method === 'GET') return download(request, url, downloadMatch[1] ?? '');
    if (blobMatch && (request.method === 'GET' || request.method === 'HEAD')) return blob(request, blobMatch[1] ?? '');
    return googleError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`);
  }

  const control: ProviderMockControl = taskBookControl(book, staller, () => reset());

  function reset(): void {
    book.reset();
    failures.clear();
    staller.releaseAll();
    files.clear();
    calls.length = 0;
  }

  return {
    handle,
    async msw(origins = [VEO_MOCK_DEFAULT_ORIGIN]) {
      const { mswHandlersFor } = await import('./msw-bridge.js');
      return mswHandlersFor(origins, handle);
    },
    async listen(serveOptions = {}) {
      const { serveHandler } = await import('./serve.js');
      const server = await serveHandler(handle, serveOptions);
      return { ...server, baseURL: `${server.url}/v1beta` };
    },
    control,
    failNext(kind, failOptions = {}) {
      failures.arm(kind, failOptions.route ?? 'any', failOptions.times ?? 1);
    },
    calls,
    apiKey,
    reset,
  };
}
