import type { GenerationMode, ModelCapabilities } from './contracts/capabilities.js';
import type { GenerateRequest, ImageInput, Warning } from './contracts/entry.js';
import type { VideoProvider } from './contracts/provider.js';
import { GalleryError } from './errors.js';

const KNOWN_FIELDS = new Set(['provider', 'model', 'prompt', 'negativePrompt', 'aspectRatio', 'resolution', 'durationSeconds', 'seed', 'audio', 'image', 'lastFrame']);

function bad(field: string, message: string): never {
  throw new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}

const list = (values: readonly (string | number)[]) => values.map((v) => JSON.stringify(v)).join(', ');

/** The request with provider, model and every default resolved; images still as given. */
export interface ValidatedRequest {
  provider: VideoProvider;
  capabilities: ModelCapabilities | undefined;
  model: string;
  mode: GenerationMode;
  prompt: string;
  negativePrompt?: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  seed?: number;
  audio?: boolean;
  image?: ImageInput;
  lastFrame?: ImageInput;
  warnings: Warning[];
}

function imageSize(image: ImageInput): number | undefined {
  if ('url' in image) return undefined;
  return image.data instanceof Uint8Array ? image.data.byteLength : image.data.size;
}

function checkImage(field: string, image: unknown, caps: ModelCapabilities | undefined): ImageInput {
  if (typeof image !== 'object' || image === null) bad(field, 'must be { data, mediaType } or { url }.');
  const value = image as Record<string, unknown>;
  if ('url' in value) {
    if (typeof value.url !== 'string') bad(field, 'url must be a string.');
    let url: URL;
    try {
      url = new URL(value.url);
    } catch {
      return bad(field, `url ${JSON.stringify(value.url)} is not an absolute URL.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') bad(field, 'url must be http(s); pass the bytes as { data, mediaType } instead.');
    return { url: value.url };
  }
  const data = value.data;
  const isBlob = typeof Blob !== 'undefined' && data instanceof Blob;
  if (!(data instanceof Uint8Array) && !isBlob) bad(field, 'data must be a Uint8Array or a Blob.');
  if (typeof value.mediaType !== 'string' || !/^image\/[a-z0-9.+-]+$/i.test(value.mediaType)) {
    bad(field, `mediaType must be an image type such as "image/png" (got ${JSON.stringify(value.mediaType)}).`);
  }
  const input = { data: data as Uint8Array | Blob, mediaType: (value.mediaType as string).toLowerCase() };
  const size = imageSize(input) ?? 0;
  if (size === 0) bad(field, 'the image is empty.');
  if (caps?.image) {
    if (!caps.image.mediaTypes.includes(input.mediaType)) bad(field, `type ${input.mediaType} is not accepted by ${caps.id}; use one of ${list(caps.image.mediaTypes)}.`);
    if (size > caps.image.maxBytes) bad(field, `the image is ${size} bytes; ${caps.id} takes at most ${caps.image.maxBytes}.`);
  }
  return input;
}

/**
 * Checks a request against the chosen model's declared capabilities and fills in defaults.
 * Throws `GalleryError('invalid_input')` naming the field and the allowed values. Unknown models pass
 * with a warning and no checks beyond the basic shapes.
 */
export function validateRequest(request: unknown, providers: ReadonlyMap<string, VideoProvider>, defaultProvider: string): ValidatedRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) bad('request', 'must be an object with at least a prompt.');
  const r = request as Record<string, unknown> & GenerateRequest;
  for (const key of Object.keys(r)) if (!KNOWN_FIELDS.has(key)) bad(key, `is not a known option; known options are ${[...KNOWN_FIELDS].join(', ')}.`);

  const providerId = r.provider ?? defaultProvider;
  if (typeof providerId !== 'string') bad('provider', 'must be a string.');
  const provider = providers.get(providerId);
  if (!provider) bad('provider', `unknown provider ${JSON.stringify(providerId)}; configured providers are ${list([...providers.keys()])}.`);

  const models = provider.models();
  const modelId = r.model ?? models[0]?.id;
  if (typeof modelId !== 'string' || modelId.trim() === '') bad('model', `is required for provider ${providerId}, which declares no default model.`);
  const caps = models.find((m) => m.id === modelId);
  const warnings: Warning[] = [];
  if (!caps) {
    warnings.push({ type: 'unknown-model', message: `Model ${JSON.stringify(modelId)} is not among ${providerId}'s known models (${list(models.map((m) => m.id))}); its options are not checked before sending.` });
  }

  if (typeof r.prompt !== 'string' || r.prompt.trim() === '') bad('prompt', 'is required and must be a non-empty string.');
  const prompt = r.prompt.trim();
  if (caps && prompt.length > caps.maxPromptLength) bad('prompt', `is ${prompt.length} characters; ${caps.id} takes at most ${caps.maxPromptLength}.`);

  let negativePrompt: string | undefined;
  if (r.negativePrompt !== undefined && r.negativePrompt !== '') {
    if (typeof r.negativePrompt !== 'string') bad('negativePrompt', 'must be a string.');
    if (caps) {
      if (caps.negativePrompt === false) bad('negativePrompt', `${caps.id} does not take a negative prompt.`);
      if (r.negativePrompt.length > caps.negativePrompt.maxLength) bad('negativePrompt', `is ${r.negativePrompt.length} characters; ${caps.id} takes at most ${caps.negativePrompt.maxLength}.`);
    }
    negativePrompt = r.negativePrompt;
  }

  const image = r.image === undefined ? undefined : checkImage('image', r.image, caps);
  const lastFrame = r.lastFrame === undefined ? undefined : checkImage('lastFrame', r.lastFrame, caps);
  if (lastFrame && !image) bad('lastFrame', 'needs image (the first frame) as well.');
  const mode: GenerationMode = lastFrame ? 'first-last-frame' : image ? 'image' : 'text';
  if (caps && !caps.modes.includes(mode)) {
    const field = mode === 'text' ? 'image' : mode === 'image' ? 'image' : 'lastFrame';
    bad(field, `${caps.id} does not support ${mode === 'text' ? 'text-to-video (it needs an image)' : mode === 'image' ? 'image-to-video' : 'first + last frame'}; it supports ${list(caps.modes)}.`);
  }

  const aspectRatio = r.aspectRatio ?? caps?.defaults.aspectRatio ?? '16:9';
  if (typeof aspectRatio !== 'string') bad('aspectRatio', 'must be a string such as "16:9".');
  if (caps && !caps.aspectRatios.includes(aspectRatio)) bad('aspectRatio', `${JSON.stringify(aspectRatio)} is not supported by ${caps.id}; use one of ${list(caps.aspectRatios)}.`);

  const resolution = r.resolution ?? caps?.defaults.resolution ?? '720p';
  if (typeof resolution !== 'string') bad('resolution', 'must be a string such as "720p".');
  if (caps && !caps.resolutions.includes(resolution)) bad('resolution', `${JSON.stringify(resolution)} is not supported by ${caps.id}; use one of ${list(caps.resolutions)}.`);

  const durationSeconds = r.durationSeconds ?? caps?.defaults.durationSeconds ?? 5;
  if (typeof durationSeconds !== 'number' || !Number.isInteger(durationSeconds) || durationSeconds <= 0) bad('durationSeconds', `must be a positive whole number of seconds (got ${JSON.stringify(durationSeconds)}).`);
  if (caps && !caps.durations.includes(durationSeconds)) bad('durationSeconds', `${durationSeconds} is not supported by ${caps.id}; use one of ${list(caps.durations)}.`);

  let seed: number | undefined;
  if (r.seed !== undefined) {
    if (typeof r.seed !== 'number' || !Number.isInteger(r.seed)) bad('seed', 'must be a whole number.');
    if (caps) {
      if (caps.seed === false) bad('seed', `${caps.id} does not take a seed.`);
      if (r.seed < caps.seed.min || r.seed > caps.seed.max) bad('seed', `must be between ${caps.seed.min} and ${caps.seed.max} for ${caps.id}.`);
    }
    seed = r.seed;
  }

  let audio: boolean | undefined;
  if (r.audio !== undefined) {
    if (typeof r.audio !== 'boolean') bad('audio', 'must be true or false.');
    if (caps && r.audio && caps.audio === false) bad('audio', `${caps.id} makes silent video; leave audio out or pick a model with sound.`);
    if (caps && !r.audio && caps.audio === true) bad('audio', `${caps.id} always makes sound; it cannot be switched off.`);
    audio = r.audio;
  }

  for (const rule of caps?.rules ?? []) {
    const w = rule.when;
    const applies = (!w.mode || w.mode.includes(mode)) && (!w.resolution || w.resolution.includes(resolution))
      && (!w.aspectRatio || w.aspectRatio.includes(aspectRatio)) && (!w.durationSeconds || w.durationSeconds.includes(durationSeconds));
    if (!applies) continue;
    const a = rule.allow;
    if (a.durationSeconds && !a.durationSeconds.includes(durationSeconds)) bad('durationSeconds', `${rule.message} (allowed here: ${list(a.durationSeconds)}).`);
    if (a.resolution && !a.resolution.includes(resolution)) bad('resolution', `${rule.message} (allowed here: ${list(a.resolution)}).`);
    if (a.aspectRatio && !a.aspectRatio.includes(aspectRatio)) bad('aspectRatio', `${rule.message} (allowed here: ${list(a.aspectRatio)}).`);
    if (a.negativePrompt === false && negativePrompt !== undefined) bad('negativePrompt', rule.message);
  }

  const out: ValidatedRequest = { provider, capabilities: caps, model: modelId, mode, prompt, aspectRatio, resolution, durationSeconds, warnings };
  if (negativePrompt !== undefined) out.negativePrompt = negativePrompt;
  if (seed !== undefined) out.seed = seed;
  if (audio !== undefined) out.audio = audio;
  if (image) out.image = image;
  if (lastFrame) out.lastFrame = lastFrame;
  return out;
}
