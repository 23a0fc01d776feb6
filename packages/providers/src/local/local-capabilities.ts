import type { ModelCapabilities } from '@video-gallery/core';

export const LOCAL_MODEL_ID = 'local-v1';

/** The local renderer's one model. */
export const LOCAL_MODEL: ModelCapabilities = {
  id: LOCAL_MODEL_ID,
  label: 'Local renderer (ffmpeg)',
  modes: ['text', 'image'],
  aspectRatios: ['16:9', '9:16', '1:1'],
  resolutions: ['480p', '720p', '1080p'],
  durations: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 5 },
  maxPromptLength: 2000,
  negativePrompt: { maxLength: 500 },
  audio: true,
  seed: { min: 0, max: 2_147_483_647 },
  image: { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'], maxBytes: 10 * 1024 * 1024 },
  resultUrlTtlSeconds: 24 * 60 * 60,
  typicalLatencySeconds: [1, 30],
  cost: { perSecond: 0, currency: 'USD', note: 'Runs on your machine with ffmpeg.' },
};

const SHORT_SIDE: Record<string, number> = { '480p': 480, '720p': 720, '1080p': 1080 };

/** Output size in pixels (even numbers, as H.264 with yuv420p needs). */
export function localDimensions(aspectRatio: string, resolution: string): { width: number; height: number } {
  const short = SHORT_SIDE[resolution];
  if (!short) throw new RangeError(`unknown resolution ${resolution}`);
  const long = Math.round((short * 16) / 9 / 2) * 2;
  if (aspectRatio === '16:9') return { width: long, height: short };
  if (aspectRatio === '9:16') return { width: short, height: long };
  if (aspectRatio === '1:1') return { width: short, height: short };
  throw new RangeError(`unknown aspect ratio ${aspectRatio}`);
}
