import type { GenerateRequest, GenerationMode, ModelCapabilities } from '@video-gallery/core';
import type { GalleryCapabilities } from '../shared/client.js';
import { formatBytes } from '../shared/format.js';
import type { FormStrings } from '../shared/strings.js';

/** The fields of `<generate-form>`, named as the request fields they fill (so server errors land on them). */
export type FormField = 'provider' | 'model' | 'prompt' | 'negativePrompt' | 'aspectRatio' | 'resolution' | 'durationSeconds' | 'seed' | 'audio' | 'image' | 'lastFrame';

/** What the form holds. */
export interface FormValues {
  provider: string;
  model: string;
  mode: GenerationMode;
  prompt: string;
  negativePrompt: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  /** As typed; empty for a random seed. */
  seed: string;
  audio: boolean;
  /** The start image (image mode), or the first frame (first-last-frame mode). */
  image: File | Blob | null;
  /** The last frame (first-last-frame mode). */
  lastFrame: File | Blob | null;
}

/** Messages by field; a field without one is valid. */
export type FieldErrors = Partial<Record<FormField, string>>;

/** The models of a provider. */
export function modelsOf(capabilities: GalleryCapabilities | null, provider: string): ModelCapabilities[] {
  return capabilities?.providers.find((p) => p.id === provider)?.models ?? [];
}

/**
 * Values valid for `model`: the previous choices where the model supports them, its defaults otherwise.
 * The prompt, negative prompt, seed and images carry over.
 */
export function fitValues(model: ModelCapabilities, provider: string, previous: Partial<FormValues> = {}): FormValues {
  const modes = model.modes;
  const mode = previous.mode && modes.includes(previous.mode) ? previous.mode : modes.includes('text') ? 'text' : modes.includes('image') ? 'image' : modes[0]!;
  const pick = <T>(value: T | undefined, allowed: readonly T[], fallback: T): T => (value !== undefined && allowed.includes(value) ? value : fallback);
  return {
    provider,
    model: model.id,
    mode,
    prompt: previous.prompt ?? '',
    negativePrompt: model.negativePrompt === false ? '' : previous.negativePrompt ?? '',
    aspectRatio: pick(previous.aspectRatio, model.aspectRatios, model.defaults.aspectRatio),
    resolution: pick(previous.resolution, model.resolutions, model.defaults.resolution),
    durationSeconds: pick(previous.durationSeconds, model.durations, model.defaults.durationSeconds),
    seed: model.seed === false ? '' : previous.seed ?? '',
    audio: model.audio === true ? true : model.audio === 'optional' ? previous.audio ?? false : false,
    image: previous.image ?? null,
    lastFrame: previous.lastFrame ?? null,
  };
}

/** Why an image cannot be used with `model`, or `null` when it can. */
export function imageProblem(image: Blob, model: ModelCapabilities, strings: FormStrings): string | null {
  const types = model.image?.mediaTypes;
  if (types ? !types.includes(image.type) : !image.type.startsWith('image/')) return strings.imageType((types ?? ['image/*']).join(', '));
  if (model.image && image.size > model.image.maxBytes) return strings.imageSize(formatBytes(model.image.maxBytes));
  return null;
}

/** Checks the values against the model's declared limits, like the server will. */
export function validateValues(model: ModelCapabilities, values: FormValues, strings: FormStrings): FieldErrors {
  const errors: FieldErrors = {};
  const prompt = values.prompt.trim();
  if (!prompt) errors.prompt = strings.promptRequired;
  else if (prompt.length > model.maxPromptLength) errors.prompt = strings.tooLong(model.maxPromptLength);
  if (model.negativePrompt && values.negativePrompt.length > model.negativePrompt.maxLength) errors.negativePrompt = strings.tooLong(model.negativePrompt.maxLength);
  if (model.seed && values.seed.trim() !== '') {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < model.seed.min || seed > model.seed.max) errors.seed = strings.seedRange(model.seed.min, model.seed.max);
  }
  if (values.mode !== 'text') {
    for (const field of values.mode === 'image' ? ['image'] as const : ['image', 'lastFrame'] as const) {
      const file = values[field];
      const problem = file ? imageProblem(file, model, strings) : field === 'image' ? strings.imageRequired : strings.lastFrameRequired;
      if (problem) errors[field] = problem;
    }
  }
  for (const rule of model.rules ?? []) {
    const w = rule.when;
    const applies = (!w.mode || w.mode.includes(values.mode)) && (!w.resolution || w.resolution.includes(values.resolution))
      && (!w.aspectRatio || w.aspectRatio.includes(values.aspectRatio)) && (!w.durationSeconds || w.durationSeconds.includes(values.durationSeconds));
    if (!applies) continue;
    const allow = rule.allow;
    if (allow.durationSeconds && !allow.durationSeconds.includes(values.durationSeconds)) errors.durationSeconds ??= rule.message;
    if (allow.resolution && !allow.resolution.includes(values.resolution)) errors.resolution ??= rule.message;
    if (allow.aspectRatio && !allow.aspectRatio.includes(values.aspectRatio)) errors.aspectRatio ??= rule.message;
    if (allow.negativePrompt === false && values.negativePrompt.trim()) errors.negativePrompt ??= rule.message;
  }
  return errors;
}

/** The request the values stand for: only options the model takes, and only those set. */
export function toRequest(model: ModelCapabilities, values: FormValues): GenerateRequest {
  const request: GenerateRequest = {
    provider: values.provider, model: model.id, prompt: values.prompt.trim(),
    aspectRatio: values.aspectRatio, resolution: values.resolution, durationSeconds: values.durationSeconds,
  };
  if (model.negativePrompt && values.negativePrompt.trim()) request.negativePrompt = values.negativePrompt.trim();
  if (model.seed && values.seed.trim() !== '') request.seed = Number(values.seed);
  if (model.audio === 'optional') request.audio = values.audio;
  if (values.mode !== 'text' && values.image) request.image = { data: values.image, mediaType: values.image.type };
  if (values.mode === 'first-last-frame' && values.lastFrame) request.lastFrame = { data: values.lastFrame, mediaType: values.lastFrame.type };
  return request;
}
