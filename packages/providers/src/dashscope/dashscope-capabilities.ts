/**
 * What each known Wan model accepts, from the DashScope API references (see `dashscope-video-settings.ts` for links)
 * and docs/providers/dashscope.md. Resolutions are tiers (`480p`, `720p`, `1080p`); text-to-video turns a tier plus
 * an aspect ratio into the `W*H` size the API wants.
 */
import type { CapabilityRule, GenerationMode, ModelCapabilities } from '@video-gallery/core';

/** `W*H` sizes of text-to-video per tier and aspect ratio. */
export const DASHSCOPE_T2V_SIZES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '480p': { '16:9': '832*480', '9:16': '480*832', '1:1': '624*624' },
  '720p': { '16:9': '1280*720', '9:16': '720*1280', '1:1': '960*960', '4:3': '1088*832', '3:4': '832*1088' },
  '1080p': { '16:9': '1920*1080', '9:16': '1080*1920', '1:1': '1440*1440', '4:3': '1632*1248', '3:4': '1248*1632' },
};

/** Result URLs (`video_url`) are signed OSS links valid for 24 h; task ids also answer for 24 h. */
export const DASHSCOPE_RESULT_TTL_SECONDS = 24 * 60 * 60;

const SEED = { min: 0, max: 2_147_483_647 } as const;
const NEGATIVE = { maxLength: 500 } as const;
const IMAGE = { mediaTypes: ['image/jpeg', 'image/png', 'image/bmp', 'image/webp'], maxBytes: 10 * 1024 * 1024 } as const;
const IMAGE_WAN27 = { mediaTypes: ['image/jpeg', 'image/png', 'image/bmp', 'image/webp'], maxBytes: 20 * 1024 * 1024 } as const;
/** Image modes keep the input image's aspect ratio; these are offered so a request can name one. */
const IMAGE_RATIOS = ['16:9', '9:16', '1:1', '4:3', '3:4'];

function ratiosOf(tiers: string[]): string[] {
  const seen = new Set<string>();
  for (const tier of tiers) for (const ratio of Object.keys(DASHSCOPE_T2V_SIZES[tier] ?? {})) seen.add(ratio);
  return ['16:9', '9:16', '1:1', '4:3', '3:4'].filter((ratio) => seen.has(ratio));
}

/** Rules for tiers whose size list lacks some ratios (480p has no 4:3 / 3:4). */
function sizeRules(tiers: string[]): CapabilityRule[] {
  const all = ratiosOf(tiers);
  const rules: CapabilityRule[] = [];
  for (const tier of tiers) {
    const ratios = Object.keys(DASHSCOPE_T2V_SIZES[tier] ?? {});
    if (ratios.length < all.length) {
      rules.push({
        when: { resolution: [tier] },
        allow: { aspectRatio: all.filter((ratio) => ratios.includes(ratio)) },
        message: `At ${tier} this model offers only ${ratios.join(', ')}.`,
      });
    }
  }
  return rules;
}

interface Family {
  id: string;
  label: string;
  modes: GenerationMode[];
  tiers: string[];
  defaultTier: string;
  durations: number[];
  maxPromptLength: number;
  audio: boolean | 'optional';
  latency: [number, number];
  image?: { mediaTypes: readonly string[]; maxBytes: number };
}

function t2v(family: Omit<Family, 'modes' | 'image'>): ModelCapabilities {
  const rules = sizeRules(family.tiers);
  return {
    id: family.id,
    label: family.label,
    modes: ['text'],
    aspectRatios: ratiosOf(family.tiers),
    resolutions: family.tiers,
    durations: family.durations,
    defaults: { aspectRatio: '16:9', resolution: family.defaultTier, durationSeconds: family.durations[0] ?? 5 },
    maxPromptLength: family.maxPromptLength,
    negativePrompt: { ...NEGATIVE },
    audio: family.audio,
    seed: { ...SEED },
    ...(rules.length > 0 ? { rules } : {}),
    resultUrlTtlSeconds: DASHSCOPE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: family.latency,
  };
}

function i2v(family: Omit<Family, 'image'> & { image?: Family['image'] }): ModelCapabilities {
  const image = family.image ?? IMAGE;
  return {
    id: family.id,
    label: family.label,
    modes: family.modes,
    aspectRatios: [...IMAGE_RATIOS],
    resolutions: family.tiers,
    durations: family.durations,
    defaults: { aspectRatio: '16:9', resolution: family.defaultTier, durationSeconds: family.durations.includes(5) ? 5 : (family.durations[0] ?? 5) },
    maxPromptLength: family.maxPromptLength,
    negativePrompt: { ...NEGATIVE },
    audio: family.audio,
    seed: { ...SEED },
    image: { mediaTypes: [...image.mediaTypes], maxBytes: image.maxBytes },
    resultUrlTtlSeconds: DASHSCOPE_RESULT_TTL_SECONDS,
    typicalLatencySeconds: family.latency,
  };
}

const MODELS: readonly ModelCapabilities[] = [
  t2v({ id: 'wan2.2-t2v-plus', label: 'Wan 2.2 Plus (text to video)', tiers: ['480p', '1080p'], defaultTier: '1080p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 180] }),
  t2v({ id: 'wan2.5-t2v-preview', label: 'Wan 2.5 Preview (text to video, sound)', tiers: ['480p', '720p', '1080p'], defaultTier: '1080p', durations: [5, 10], maxPromptLength: 1500, audio: 'optional', latency: [60, 300] }),
  t2v({ id: 'wan2.6-t2v', label: 'Wan 2.6 (text to video, sound)', tiers: ['720p', '1080p'], defaultTier: '1080p', durations: [5, 10, 15], maxPromptLength: 1500, audio: 'optional', latency: [60, 300] }),
  t2v({ id: 'wanx2.1-t2v-turbo', label: 'Wan 2.1 Turbo (text to video)', tiers: ['480p', '720p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  t2v({ id: 'wanx2.1-t2v-plus', label: 'Wan 2.1 Plus (text to video)', tiers: ['720p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  i2v({ id: 'wan2.2-i2v-flash', label: 'Wan 2.2 Flash (image to video)', modes: ['image'], tiers: ['480p', '720p', '1080p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [30, 180] }),
  i2v({ id: 'wan2.2-i2v-plus', label: 'Wan 2.2 Plus (image to video)', modes: ['image'], tiers: ['480p', '1080p'], defaultTier: '1080p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  i2v({ id: 'wan2.5-i2v-preview', label: 'Wan 2.5 Preview (image to video, sound)', modes: ['image'], tiers: ['480p', '720p', '1080p'], defaultTier: '1080p', durations: [5, 10], maxPromptLength: 1500, audio: 'optional', latency: [60, 300] }),
  i2v({ id: 'wan2.6-i2v', label: 'Wan 2.6 (image to video, sound)', modes: ['image'], tiers: ['720p', '1080p'], defaultTier: '1080p', durations: [5, 10, 15], maxPromptLength: 1500, audio: 'optional', latency: [60, 300] }),
  i2v({ id: 'wan2.6-i2v-flash', label: 'Wan 2.6 Flash (image to video, sound)', modes: ['image'], tiers: ['720p', '1080p'], defaultTier: '720p', durations: [5, 10, 15], maxPromptLength: 1500, audio: 'optional', latency: [30, 180] }),
  i2v({ id: 'wanx2.1-i2v-turbo', label: 'Wan 2.1 Turbo (image to video)', modes: ['image'], tiers: ['480p', '720p'], defaultTier: '720p', durations: [3, 4, 5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  i2v({ id: 'wanx2.1-i2v-plus', label: 'Wan 2.1 Plus (image to video)', modes: ['image'], tiers: ['720p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  i2v({ id: 'wanx2.1-kf2v-plus', label: 'Wan 2.1 Plus (first and last frame)', modes: ['first-last-frame'], tiers: ['720p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [420, 600] }),
  i2v({ id: 'wan2.2-kf2v-flash', label: 'Wan 2.2 Flash (first and last frame)', modes: ['first-last-frame'], tiers: ['480p', '720p', '1080p'], defaultTier: '720p', durations: [5], maxPromptLength: 800, audio: false, latency: [60, 300] }),
  i2v({
    id: 'wan2.7-i2v-2026-04-25',
    label: 'Wan 2.7 (image or first/last frame to video)',
    modes: ['image', 'first-last-frame'],
    tiers: ['720p', '1080p'],
    defaultTier: '1080p',
    durations: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    maxPromptLength: 5000,
    audio: false,
    latency: [60, 300],
    image: IMAGE_WAN27,
  }),
];

function copy(model: ModelCapabilities): ModelCapabilities {
  return structuredClone(model);
}

/** Every known model, the default (`wan2.2-t2v-plus`) first. Fresh copies: callers may modify them. */
export function dashscopeModels(): ModelCapabilities[] {
  return MODELS.map(copy);
}

/** Capabilities of one model id, or `undefined` for an id this SDK does not know (it may still work). */
export function dashscopeCapabilities(modelId: string): ModelCapabilities | undefined {
  const model = MODELS.find((candidate) => candidate.id === modelId);
  return model === undefined ? undefined : copy(model);
}
