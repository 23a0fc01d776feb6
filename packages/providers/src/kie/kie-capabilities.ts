import type { ModelCapabilities } from '@video-gallery/core';

/**
 * How long a KIE result URL is assumed to work, in seconds. KIE's sources disagree (14 days on the Getting
 * Started page, "typically 24 hours" on the jobs page, and users report `tempfile.aiquickdraw.com` links
 * vanishing after about 20 minutes), so the adapter reports the shortest observed lifetime and the gallery
 * downloads at once.
 */
export const KIE_RESULT_TTL_SECONDS = 20 * 60;

/** Images are passed to KIE by URL; local bytes go through the upload API first (10 MB per file on the model pages). */
const IMAGE = { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'], maxBytes: 10 * 1024 * 1024 };

/** Which KIE API a model goes through. */
export type KieApi = 'veo' | 'jobs';

const veo = (id: string, label: string, resolutions: string[]): ModelCapabilities => ({
  id,
  label,
  modes: ['text', 'image', 'first-last-frame'],
  aspectRatios: ['16:9', '9:16'],
  resolutions,
  durations: [8],
  defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 8 },
  maxPromptLength: 4000,
  negativePrompt: false,
  audio: true,
  // KIE's `seeds` field takes 10000-99999.
  seed: { min: 10_000, max: 99_999 },
  image: IMAGE,
  resultUrlTtlSeconds: KIE_RESULT_TTL_SECONDS,
  typicalLatencySeconds: [120, 300],
});

/**
 * The KIE models this adapter knows, the first being the default. Limits come from the KIE model pages
 * (see `KieModelId`); Kling, Hailuo and Wan limits are from KIE's pages and the vendors' own docs.
 */
export const KIE_MODELS: readonly ModelCapabilities[] = [
  veo('veo3_fast', 'Veo 3.1 Fast (KIE)', ['720p', '1080p', '4k']),
  veo('veo3', 'Veo 3.1 Quality (KIE)', ['720p', '1080p', '4k']),
  veo('veo3_lite', 'Veo 3.1 Lite (KIE)', ['720p', '1080p']),
  {
    id: 'kling/v2-1-standard',
    label: 'Kling 2.1 Standard (KIE)',
    // Image-to-video only; the output follows the input image's aspect ratio.
    modes: ['image'],
    aspectRatios: ['auto'],
    resolutions: ['720p'],
    durations: [5, 10],
    defaults: { aspectRatio: 'auto', resolution: '720p', durationSeconds: 5 },
    maxPromptLength: 2500,
    negativePrompt: { maxLength: 2500 },
    audio: false,
    seed: false,
    image: IMAGE,
    resultUrlTtlSeconds: KIE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: [60, 600],
  },
  {
    id: 'hailuo/02-text-to-video-standard',
    label: 'Hailuo 02 Standard, text (KIE)',
    modes: ['text'],
    aspectRatios: ['16:9'],
    resolutions: ['768p'],
    durations: [6, 10],
    defaults: { aspectRatio: '16:9', resolution: '768p', durationSeconds: 6 },
    maxPromptLength: 1500,
    negativePrompt: false,
    audio: false,
    seed: false,
    resultUrlTtlSeconds: KIE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: [30, 300],
  },
  {
    id: 'hailuo/02-image-to-video-standard',
    label: 'Hailuo 02 Standard, image (KIE)',
    modes: ['image', 'first-last-frame'],
    aspectRatios: ['auto'],
    resolutions: ['512p', '768p'],
    durations: [6, 10],
    defaults: { aspectRatio: 'auto', resolution: '768p', durationSeconds: 6 },
    maxPromptLength: 1500,
    negativePrompt: false,
    audio: false,
    seed: false,
    image: IMAGE,
    resultUrlTtlSeconds: KIE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: [30, 300],
  },
  {
    id: 'wan/2-6-text-to-video',
    label: 'Wan 2.6, text (KIE)',
    modes: ['text'],
    aspectRatios: ['16:9'],
    resolutions: ['720p', '1080p'],
    durations: [5, 10, 15],
    defaults: { aspectRatio: '16:9', resolution: '1080p', durationSeconds: 5 },
    maxPromptLength: 5000,
    negativePrompt: false,
    audio: true,
    seed: false,
    resultUrlTtlSeconds: KIE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: [60, 600],
  },
];

/** The capabilities of one known model, or `undefined`. */
export function kieModel(modelId: string): ModelCapabilities | undefined {
  return KIE_MODELS.find((model) => model.id === modelId);
}

/** `veo3`, `veo3_fast`, `veo3_lite` (and future `veo3*` ids) use the Veo API; everything else the jobs API. */
export function kieApiOf(modelId: string): KieApi {
  return /^veo3(_|$)/.test(modelId) ? 'veo' : 'jobs';
}
