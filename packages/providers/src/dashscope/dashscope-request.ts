/**
 * Pure request building for DashScope video submissions: no I/O, no configuration reads. `buildRequest` turns a
 * validated `ProviderRequest` into the path, JSON body and headers of the submit call, plus warnings for anything
 * the model ignores.
 */
import { GalleryError, invalidInput } from '@video-gallery/core';
import type { ModelCapabilities, ProviderImage, ProviderRequest, Warning } from '@video-gallery/core';
import { toDataURI } from '../shared/encoding.js';
import { DASHSCOPE_T2V_SIZES } from './dashscope-capabilities.js';

/** Submit path of text-to-video and image-to-video (relative to the API root). */
export const VIDEO_GENERATION_PATH = '/services/aigc/video-generation/video-synthesis';
/** Submit path of keyframe-to-video models (their id contains `kf2v`). */
export const IMAGE_TO_VIDEO_PATH = '/services/aigc/image2video/video-synthesis';

/** The wire protocol a model speaks. */
export type DashScopeRequestKind = 't2v' | 'i2v' | 'kf2v' | 'media';

/** JSON of a submit body. */
export interface DashScopeSubmitBody {
  model: string;
  input: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

/** What `buildRequest` returns. */
export interface DashScopeBuiltRequest {
  /** Path relative to the API root. */
  path: string;
  body: DashScopeSubmitBody;
  /** Headers of the submit call (without `Authorization`, which the client adds). */
  headers: Record<string, string>;
  warnings: Warning[];
}

/** Options of {@link buildRequest}. */
export interface BuildRequestOptions {
  /** Capabilities of the model when known; unknown models are built from their name and the request mode. */
  capabilities?: ModelCapabilities;
  /** Sent as `X-DashScope-WorkSpace` when set. */
  workspaceId?: string;
}

const MAX_SEED = 2_147_483_647;

/** Which protocol a model id speaks; `undefined` when the name does not say (unknown models). */
export function requestKindOf(model: string): DashScopeRequestKind | undefined {
  const id = model.toLowerCase();
  if (/^wan2\.7-/.test(id) && id.includes('i2v')) return 'media';
  if (id.includes('kf2v')) return 'kf2v';
  if (id.includes('i2v')) return 'i2v';
  if (id.includes('t2v')) return 't2v';
  return undefined;
}

/** The submit path the official SDKs use: `image2video` when the model name contains `kf2v`. */
export function submitPathOf(model: string): string {
  return model.toLowerCase().includes('kf2v') ? IMAGE_TO_VIDEO_PATH : VIDEO_GENERATION_PATH;
}

/** `720p` → `720P`; a tier already in upper case is kept. */
export function wireResolution(resolution: string): string {
  const match = /^(\d{3,4})p$/i.exec(resolution.trim());
  if (match === null) invalidInput('resolution', `'${resolution}' is not a resolution tier DashScope knows (use 480p, 720p or 1080p).`);
  return `${match[1]}P`;
}

/** The `W*H` size of text-to-video for a tier and aspect ratio; an explicit `W*H` (or `WxH`) resolution passes through. */
export function t2vSize(resolution: string, aspectRatio: string): string {
  const explicit = /^(\d+)\s*[*x]\s*(\d+)$/i.exec(resolution.trim());
  if (explicit !== null) return `${explicit[1]}*${explicit[2]}`;
  const tier = resolution.trim().toLowerCase();
  const sizes = DASHSCOPE_T2V_SIZES[tier];
  if (sizes === undefined) invalidInput('resolution', `'${resolution}' is not a DashScope text-to-video tier (use 480p, 720p or 1080p).`);
  const size = sizes[aspectRatio];
  if (size === undefined) {
    invalidInput('aspectRatio', `DashScope has no ${tier} size for ${aspectRatio}; at ${tier} it offers ${Object.keys(sizes).join(', ')}.`);
  }
  return size;
}

/** The URL DashScope should fetch an image from: its public URL, else a `data:` URI (never bare base64). */
export function imageReference(image: ProviderImage): string {
  if (image.url !== undefined && /^(https?|oss):\/\//i.test(image.url)) return image.url;
  if (image.data.byteLength === 0) invalidInput('image', 'the image has no bytes and no public URL.');
  return toDataURI(image.data, image.mediaType);
}

function kindFor(request: ProviderRequest): DashScopeRequestKind {
  const named = requestKindOf(request.model);
  if (named !== undefined) return named;
  if (request.mode === 'first-last-frame') return 'kf2v';
  if (request.mode === 'image') return 'i2v';
  return 't2v';
}

function requireMode(request: ProviderRequest, kind: DashScopeRequestKind): void {
  const allowed: Record<DashScopeRequestKind, ProviderRequest['mode'][]> = {
    t2v: ['text'],
    i2v: ['image'],
    kf2v: ['first-last-frame'],
    media: ['image', 'first-last-frame'],
  };
  if (!allowed[kind].includes(request.mode)) {
    throw new GalleryError('invalid_input', `mode: model '${request.model}' does not take mode '${request.mode}' (it takes ${allowed[kind].join(' or ')}).`, {
      field: 'mode',
      retryable: false,
    });
  }
}

function audioSupported(request: ProviderRequest, capabilities: ModelCapabilities | undefined): boolean {
  if (capabilities !== undefined) return capabilities.audio !== false;
  return /^wan2\.(5|6)-/i.test(request.model);
}

/**
 * Builds the submit call for a validated request. Throws `invalid_input` for values DashScope cannot express
 * (a tier/ratio with no size, a fractional duration, a seed out of range, an image missing for an image mode).
 */
export function buildRequest(request: ProviderRequest, options: BuildRequestOptions = {}): DashScopeBuiltRequest {
  const kind = kindFor(request);
  requireMode(request, kind);
  const warnings: Warning[] = [];
  const input: Record<string, unknown> = { prompt: request.prompt };
  const parameters: Record<string, unknown> = {};

  if (request.negativePrompt !== undefined && request.negativePrompt !== '') input.negative_prompt = request.negativePrompt;

  switch (kind) {
    case 't2v': {
      parameters.size = t2vSize(request.resolution, request.aspectRatio);
      if (request.image !== undefined) {
        warnings.push({ type: 'unsupported', feature: 'image', message: `Model '${request.model}' is text-to-video; the image was not sent.` });
      }
      break;
    }
    case 'i2v': {
      if (request.image === undefined) invalidInput('image', `model '${request.model}' needs an input image.`);
      input.img_url = imageReference(request.image);
      parameters.resolution = wireResolution(request.resolution);
      warnings.push(aspectWarning(request));
      break;
    }
    case 'kf2v': {
      if (request.image === undefined) invalidInput('image', `model '${request.model}' needs a first frame.`);
      if (request.lastFrame === undefined) invalidInput('lastFrame', `model '${request.model}' needs a last frame.`);
      input.first_frame_url = imageReference(request.image);
      input.last_frame_url = imageReference(request.lastFrame);
      parameters.resolution = wireResolution(request.resolution);
      warnings.push(aspectWarning(request));
      break;
    }
    case 'media': {
      if (request.image === undefined) invalidInput('image', `model '${request.model}' needs a first frame.`);
      const media: { type: string; url: string }[] = [{ type: 'first_frame', url: imageReference(request.image) }];
      if (request.mode === 'first-last-frame') {
        if (request.lastFrame === undefined) invalidInput('lastFrame', `model '${request.model}' needs a last frame in first-last-frame mode.`);
        media.push({ type: 'last_frame', url: imageReference(request.lastFrame) });
      }
      input.media = media;
      parameters.resolution = wireResolution(request.resolution);
      warnings.push(aspectWarning(request));
      break;
    }
  }
  if (kind !== 'kf2v' && kind !== 'media' && request.lastFrame !== undefined) {
    warnings.push({ type: 'unsupported', feature: 'lastFrame', message: `Model '${request.model}' takes no last frame; it was not sent.` });
  }

  // kf2v models have a fixed length and take no duration parameter.
  if (kind === 'kf2v') {
    if (request.durationSeconds !== 5) {
      warnings.push({ type: 'unsupported', feature: 'durationSeconds', message: `Model '${request.model}' always makes 5 s clips; ${request.durationSeconds} s was not sent.` });
    }
  } else {
    if (!Number.isInteger(request.durationSeconds) || request.durationSeconds <= 0) {
      invalidInput('durationSeconds', `DashScope takes whole seconds; got ${request.durationSeconds}.`);
    }
    parameters.duration = request.durationSeconds;
  }

  if (request.seed !== undefined) {
    if (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > MAX_SEED) {
      invalidInput('seed', `DashScope seeds are whole numbers from 0 to ${MAX_SEED}; got ${request.seed}.`);
    }
    parameters.seed = request.seed;
  }

  if (request.audio !== undefined) {
    if (audioSupported(request, options.capabilities)) {
      parameters.audio = request.audio;
    } else if (request.audio) {
      warnings.push({ type: 'unsupported', feature: 'audio', message: `Model '${request.model}' makes silent video; sound was not requested.` });
    }
  }

  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-DashScope-Async': 'enable' };
  if (options.workspaceId !== undefined && options.workspaceId !== '') headers['X-DashScope-WorkSpace'] = options.workspaceId;

  return { path: submitPathOf(request.model), body: { model: request.model, input, parameters }, headers, warnings };
}

function aspectWarning(request: ProviderRequest): Warning {
  return {
    type: 'other',
    feature: 'aspectRatio',
    message: `DashScope image-to-video keeps the input image's aspect ratio; ${request.aspectRatio} applies only if the image has it.`,
  };
}
