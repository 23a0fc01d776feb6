import type { CapabilityRule, GenerationMode, ModelCapabilities } from '@video-gallery/core';
import type { VeoPersonGeneration } from './veo-video-settings.js';

/** Generated videos stay on Google's servers for 2 days (Gemini API docs, "Limitations"). */
export const VEO_RESULT_TTL_SECONDS = 2 * 24 * 60 * 60;

/** "11 seconds minimum, up to 6 minutes at peak hours" (Gemini API docs). */
const LATENCY: [number, number] = [11, 360];

/**
 * The Gemini API counts the prompt in tokens (1,024 for Veo). Characters are what the gallery can check
 * before sending, so this is a generous character bound; the API has the last word.
 */
const MAX_PROMPT_CHARS = 4000;

/**
 * Inline images travel base64-encoded in a JSON body that must stay under the API's 20 MB request limit,
 * so raw bytes are capped at 14 MB (x 4/3 for base64 leaves room for the rest of the body).
 */
const IMAGE = { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'], maxBytes: 14 * 1024 * 1024 };

/**
 * Seed range. The Vertex AI reference documents an unsigned 32-bit seed; on the Gemini API the docs list it
 * for Veo 3 while the official JS SDK refuses it (see `VeoProviderSettings.seed`).
 */
const SEED = { min: 0, max: 4_294_967_295 };

const EIGHT_SECONDS_FOR_HIGH_RES = (resolutions: string[], model: string): CapabilityRule => ({
  when: { resolution: resolutions },
  allow: { durationSeconds: [8] },
  message: `${model} makes ${resolutions.join(' and ')} clips of 8 seconds only`,
});

const PRICE_NOTE = 'Per generated second at 720p/1080p as reported by third-party price lists in March 2026 (not from a Google page we could check); 4k costs more. Confirm at ai.google.dev/gemini-api/docs/pricing.';
const price = (perSecond: number) => ({ perSecond, currency: 'USD', note: PRICE_NOTE });

/** What every Veo model on the Gemini API shares; each model below states only how it differs. */
const COMMON = {
  aspectRatios: ['16:9', '9:16'],
  durations: [4, 6, 8],
  defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 8 },
  maxPromptLength: MAX_PROMPT_CHARS,
  negativePrompt: { maxLength: MAX_PROMPT_CHARS },
  audio: true,
  seed: SEED,
  image: IMAGE,
  resultUrlTtlSeconds: VEO_RESULT_TTL_SECONDS,
  typicalLatencySeconds: LATENCY,
} satisfies Partial<ModelCapabilities>;

const VEO_31_MODES: GenerationMode[] = ['text', 'image', 'first-last-frame'];
const VEO_3_1080P_16_9 = (model: string): CapabilityRule => ({ when: { resolution: ['1080p'] }, allow: { aspectRatio: ['16:9'] }, message: `${model} makes 1080p in 16:9 only` });

/**
 * Capabilities of the Veo models on the Gemini API, from the per-model table of
 * https://ai.google.dev/gemini-api/docs/video. The first entry is the default model.
 */
export const VEO_MODELS: readonly ModelCapabilities[] = [
  { ...COMMON, id: 'veo-3.1-fast-generate-preview', label: 'Veo 3.1 Fast', modes: VEO_31_MODES, resolutions: ['720p', '1080p', '4k'], rules: [EIGHT_SECONDS_FOR_HIGH_RES(['1080p', '4k'], 'Veo 3.1 Fast')], cost: price(0.15) },
  { ...COMMON, id: 'veo-3.1-generate-preview', label: 'Veo 3.1', modes: VEO_31_MODES, resolutions: ['720p', '1080p', '4k'], rules: [EIGHT_SECONDS_FOR_HIGH_RES(['1080p', '4k'], 'Veo 3.1')], cost: price(0.4) },
  // First + last frame is documented for Veo 3.1 and 3.1 Fast only; Lite's price is not known here.
  { ...COMMON, id: 'veo-3.1-lite-generate-preview', label: 'Veo 3.1 Lite', modes: ['text', 'image'], resolutions: ['720p', '1080p'], rules: [EIGHT_SECONDS_FOR_HIGH_RES(['1080p'], 'Veo 3.1 Lite')] },
  { ...COMMON, id: 'veo-3.0-generate-001', label: 'Veo 3', modes: ['text', 'image'], resolutions: ['720p', '1080p'], rules: [VEO_3_1080P_16_9('Veo 3'), EIGHT_SECONDS_FOR_HIGH_RES(['1080p'], 'Veo 3')], cost: price(0.4) },
  { ...COMMON, id: 'veo-3.0-fast-generate-001', label: 'Veo 3 Fast', modes: ['text', 'image'], resolutions: ['720p', '1080p'], rules: [VEO_3_1080P_16_9('Veo 3 Fast'), EIGHT_SECONDS_FOR_HIGH_RES(['1080p'], 'Veo 3 Fast')], cost: price(0.15) },
  // Veo 2 takes no `resolution` parameter (it renders 720p), runs 5 to 8 seconds and is silent.
  { ...COMMON, id: 'veo-2.0-generate-001', label: 'Veo 2', modes: ['text', 'image'], resolutions: ['720p'], durations: [5, 6, 7, 8], audio: false },
];

/** The capabilities of one known model, or `undefined` for an id this adapter does not know. */
export function veoModel(modelId: string): ModelCapabilities | undefined {
  return VEO_MODELS.find((model) => model.id === modelId);
}

/** True for models that take no `resolution` parameter (Veo 2). */
export function veoTakesResolution(modelId: string): boolean {
  return !modelId.startsWith('veo-2.');
}

/**
 * The `personGeneration` values a model accepts in a mode (Gemini API docs). Veo 3.x: text-to-video
 * `allow_all` only, image modes `allow_adult` only. Veo 2: text all three, image modes no `allow_all`.
 */
export function veoPersonGenerationValues(modelId: string, mode: GenerationMode): VeoPersonGeneration[] {
  if (modelId.startsWith('veo-2.')) return mode === 'text' ? ['allow_all', 'allow_adult', 'dont_allow'] : ['allow_adult', 'dont_allow'];
  return mode === 'text' ? ['allow_all'] : ['allow_adult'];
}
