import { GalleryError } from '@video-gallery/core';
import type { JSONValue, ModelCapabilities, ProviderOutput, ProviderRequest, ProviderStatus, StartResult, VideoProvider } from '@video-gallery/core';
import { base64ToBytes } from '../shared/encoding.js';
import { createHttpClient, malformedResponseError, originOf } from '../shared/http.js';
import type { HttpResponse } from '../shared/http.js';
import { VEO_MODELS, VEO_RESULT_TTL_SECONDS } from './veo-capabilities.js';
import { veoContentPolicyError, veoHttpError, veoOperationError } from './veo-error.js';
import { buildRequest } from './veo-request.js';
import type { VeoProviderSettings } from './veo-video-settings.js';

/** The Gemini API root used when neither `baseURL` nor `VEO_BASE_URL` is set. */
export const VEO_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** The public host of Gemini API result files; the key is attached to downloads from here and from the base URL. */
const GOOGLE_ORIGIN = 'https://generativelanguage.googleapis.com';

/** What `start` returns as the task, persisted on the entry. */
export interface VeoTask {
  provider: 'veo';
  /** Operation name, `models/{model}/operations/{id}`. */
  operation: string;
  model: string;
}

/** A Veo provider: the gallery's `VideoProvider` for Google Veo through the Gemini API. */
export interface VeoProvider extends VideoProvider {
  readonly id: 'veo';
  models(): ModelCapabilities[];
  trustedOrigins(): string[];
  cancel(task: JSONValue): Promise<{ cancelled: boolean }>;
}

function readEnv(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Operation names are `models/{model}/operations/{id}`; anything else (or a path escape) is refused. */
const OPERATION_NAME = /^models\/[A-Za-z0-9._-]+\/operations\/[A-Za-z0-9._-]+$/;

function parseTask(task: JSONValue): VeoTask {
  if (typeof task === 'object' && task !== null && !Array.isArray(task)) {
    const record = task as Record<string, JSONValue>;
    if (typeof record.operation === 'string' && OPERATION_NAME.test(record.operation) && typeof record.model === 'string') {
      return { provider: 'veo', operation: record.operation, model: record.model };
    }
  }
  throw new GalleryError('invalid_input', `Not a Veo task: ${JSON.stringify(task)?.slice(0, 200)}. It needs { operation: "models/…/operations/…", model }.`, { retryable: false });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Creates a Veo provider for the Gemini API.
 *
 * ```ts
 * import { createVeo } from '@video-gallery/providers/veo';
 * const veo = createVeo({ apiKey: process.env.GEMINI_API_KEY });
 * ```
 */
export function createVeo(settings: VeoProviderSettings = {}): VeoProvider {
  const baseURL = (): string => (settings.baseURL ?? readEnv('VEO_BASE_URL') ?? VEO_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const apiKey = (): string => {
    const key = settings.apiKey ?? readEnv('GEMINI_API_KEY');
    if (key === undefined || key === '') {
      throw new GalleryError('auth_failed', 'No Gemini API key: set the GEMINI_API_KEY environment variable or pass apiKey to createVeo().', {
        retryable: false,
        providerCode: 'missing_api_key',
      });
    }
    return key;
  };
  const http = createHttpClient({
    provider: 'Gemini API (Veo)',
    baseURL,
    headers: () => ({ 'x-goog-api-key': apiKey(), ...settings.headers }),
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    userAgent: false,
  });
  const buildOptions = {
    ...(settings.personGeneration === undefined ? {} : { personGeneration: settings.personGeneration }),
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
  };

  const errorBody = (response: HttpResponse): unknown => (response.malformed ? response.snippet : response.data);

  /** The key goes only to Google's own host and the configured base URL, never to a foreign result host. */
  const downloadHeaders = (url: string): Record<string, string> | undefined => {
    const origin = originOf(url);
    if (origin !== null && (origin === GOOGLE_ORIGIN || origin === originOf(baseURL()))) return { 'x-goog-api-key': apiKey() };
    return undefined;
  };

  function outputsOf(samples: unknown[]): ProviderOutput[] {
    const expiresAt = new Date(Date.now() + VEO_RESULT_TTL_SECONDS * 1000).toISOString();
    const outputs: ProviderOutput[] = [];
    for (const sample of samples) {
      const video = isObject(sample) && isObject(sample.video) ? sample.video : undefined;
      if (!video) continue;
      if (typeof video.uri === 'string' && video.uri !== '') {
        const headers = downloadHeaders(video.uri);
        outputs.push(headers ? { url: video.uri, expiresAt, headers } : { url: video.uri, expiresAt });
      } else if (typeof video.encodedVideo === 'string' && video.encodedVideo !== '') {
        // Inline bytes (not seen on the Gemini API today, but part of the wire type): serve them as a stream.
        const bytes = base64ToBytes(video.encodedVideo);
        const contentType = typeof video.encoding === 'string' ? video.encoding : 'video/mp4';
        outputs.push({
          open: async ({ offset = 0 }) => ({
            contentType,
            size: bytes.byteLength,
            body: new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(bytes.subarray(offset));
                controller.close();
              },
            }),
          }),
        });
      }
    }
    return outputs;
  }

  /** Maps a parsed operation to a status; exported behaviour is documented on `status`. */
  function operationStatus(operation: Json): ProviderStatus {
    if (operation.done !== true) return { state: 'pending' };
    if (isObject(operation.error)) return { state: 'failed', error: veoOperationError(operation.error) };
    const response = isObject(operation.response) ? operation.response : {};
    const payload = isObject(response.generateVideoResponse) ? response.generateVideoResponse : response;
    const samples = Array.isArray(payload.generatedSamples) ? payload.generatedSamples : Array.isArray(payload.generatedVideos) ? payload.generatedVideos : [];
    const outputs = outputsOf(samples);
    if (outputs.length > 0) return { state: 'succeeded', outputs, usage: { videos: outputs.length } };
    const filtered = typeof payload.raiMediaFilteredCount === 'number' ? payload.raiMediaFilteredCount : 0;
    const reasons = Array.isArray(payload.raiMediaFilteredReasons) ? payload.raiMediaFilteredReasons.filter((r): r is string => typeof r === 'string') : [];
    if (filtered > 0 || reasons.length > 0) return { state: 'failed', error: veoContentPolicyError(Math.max(filtered, 1), reasons) };
    return {
      state: 'failed',
      error: new GalleryError('provider_error', 'The Veo operation finished without a video and without a reason (no samples, no safety filter count). Trying again usually works.', {
        providerCode: 'EMPTY_RESPONSE',
        retryable: true,
      }),
    };
  }

  const provider: VeoProvider = {
    specificationVersion: 'v1',
    id: 'veo',
    models: () => VEO_MODELS.map((model) => structuredClone(model)),
    trustedOrigins: () => {
      const origin = originOf(baseURL());
      return origin === null ? [] : [origin];
    },

    /**
     * `POST {base}/models/{model}:predictLongRunning`. Never retried here: a repeated submission is a second
     * paid generation.
     */
    async start(request: ProviderRequest, options: { signal?: AbortSignal; idempotencyKey: string }): Promise<StartResult> {
      const built = buildRequest(request, buildOptions);
      const response = await http.request({
        method: 'POST',
        path: built.path,
        json: built.body,
        idempotent: false,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      if (!response.ok) {
        throw veoHttpError(response.status, errorBody(response), {
          context: 'start',
          model: request.model,
          ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
        });
      }
      const name = isObject(response.data) ? response.data.name : undefined;
      if (response.malformed || typeof name !== 'string' || !OPERATION_NAME.test(name)) {
        // The operation may exist; do not invite an automatic retry that could pay twice.
        throw malformedResponseError(http.provider, response, { retryable: false, what: 'operation (expected { name: "models/…/operations/…" })' });
      }
      const task: VeoTask = { provider: 'veo', operation: name, model: request.model };
      return { task: { ...task }, warnings: built.warnings };
    },

    /**
     * `GET {base}/{operation}`. `done` absent or false → pending; samples → succeeded (the download needs the
     * `x-goog-api-key` header and follows a 302); safety-filtered → failed `content_policy` with Google's
     * reasons; operation `error` → failed by gRPC code. A 404 means the operation is gone (failed
     * `expired`); other HTTP failures throw so the poller can retry the poll (never the generation).
     */
    async status(task: JSONValue, options: { signal?: AbortSignal }): Promise<ProviderStatus> {
      const { operation } = parseTask(task);
      const response = await http.request({ method: 'GET', path: operation, ...(options.signal === undefined ? {} : { signal: options.signal }) });
      if (!response.ok) {
        const error = veoHttpError(response.status, errorBody(response), {
          context: 'status',
          ...(response.retryAfterMs === undefined ? {} : { retryAfterMs: response.retryAfterMs }),
        });
        if (error.code === 'expired') return { state: 'failed', error };
        throw error;
      }
      if (response.malformed || !isObject(response.data)) {
        throw malformedResponseError(http.provider, response, { retryable: true, what: 'operation status' });
      }
      return operationStatus(response.data);
    },

    /**
     * The Gemini API documents no way to cancel a Veo operation (only get), so this always answers
     * `{ cancelled: false }`; the operation runs on and is billed. The gallery stops tracking it.
     */
    async cancel(task: JSONValue): Promise<{ cancelled: boolean }> {
      parseTask(task);
      return { cancelled: false };
    },
  };
  return provider;
}

/**
 * The default Veo provider: `GEMINI_API_KEY` and `VEO_BASE_URL` are read at each request, so it can be
 * imported before the environment is set.
 */
export const veo: VeoProvider = createVeo();
