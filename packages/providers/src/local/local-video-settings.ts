import type { ModelCapabilities } from '@video-gallery/core';

/** Options of `createLocal`. Every field is optional. */
export interface LocalProviderSettings {
  /**
   * Least time from `start` to a finished result, in ms, to behave like a remote provider (progress still moves
   * along the way). Default `0`: done as soon as ffmpeg is.
   */
  latencyMs?: number;
  /** Where inputs, renders and the idempotency index live. Default `<os.tmpdir()>/video-gallery-local`. */
  workDir?: string;
  /** ffmpeg binary. Default: `findFfmpeg()` from `@video-gallery/core/node` (`FFMPEG_PATH`, `PATH`, `@ffmpeg-installer/ffmpeg`). */
  ffmpegPath?: string;
  /** Frames per second of the output, 1..60. Default `24`. */
  fps?: number;
  /**
   * A TrueType / OpenType font file for the text. Default: `VIDEO_GALLERY_FONT`, else a common system font
   * (DejaVu, Liberation, Noto, FreeSans, Arial). With none, videos are rendered without text and `start` warns.
   * `false` renders without text on purpose (no warning).
   */
  fontFile?: string | false;
  /** x264 preset: faster presets render quicker and make larger files. Default `'ultrafast'`. */
  x264Preset?: string;
  /** Renders run at once in this process; more wait their turn (reported as pending, progress 0). Default `2`. */
  maxConcurrentRenders?: number;
  /** A render running longer than this is killed and the task fails. Default `300_000` (5 min). */
  renderTimeoutMs?: number;
  /**
   * How long finished renders are kept, in ms. Sets each output's `expiresAt`; task folders older than this are
   * deleted when later tasks start. Default `86_400_000` (24 h).
   */
  retentionMs?: number;
  /** Clock in ms since the epoch, used for `latencyMs` and task start times. Injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Id of the local renderer's one model. */
export const LOCAL_MODEL_ID = 'local-v1';

/** Largest input image, in bytes. */
export const LOCAL_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Input image types and the file extension each is stored with. */
export const LOCAL_IMAGE_TYPES: Readonly<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** What the local renderer accepts. */
export const LOCAL_MODEL: ModelCapabilities = {
  id: LOCAL_MODEL_ID,
  label: 'Local renderer (ffmpeg)',
  modes: ['text', 'image', 'first-last-frame'],
  aspectRatios: ['16:9', '9:16', '1:1'],
  resolutions: ['480p', '720p', '1080p'],
  durations: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 5 },
  maxPromptLength: 2000,
  negativePrompt: { maxLength: 500 },
  audio: true,
  seed: { min: 0, max: 2_147_483_647 },
  image: { mediaTypes: Object.keys(LOCAL_IMAGE_TYPES), maxBytes: LOCAL_MAX_IMAGE_BYTES },
  resultUrlTtlSeconds: 24 * 60 * 60,
  typicalLatencySeconds: [1, 30],
  cost: { perSecond: 0, currency: 'USD', note: 'Rendered on your own machine with ffmpeg.' },
};

const SIZES: Record<string, Record<string, { width: number; height: number }>> = {
  '16:9': { '480p': { width: 854, height: 480 }, '720p': { width: 1280, height: 720 }, '1080p': { width: 1920, height: 1080 } },
  '9:16': { '480p': { width: 480, height: 854 }, '720p': { width: 720, height: 1280 }, '1080p': { width: 1080, height: 1920 } },
  '1:1': { '480p': { width: 480, height: 480 }, '720p': { width: 720, height: 720 }, '1080p': { width: 1080, height: 1080 } },
};

/** Output size in pixels for an aspect ratio and resolution (even numbers, as H.264 with yuv420p needs). Throws `RangeError` for unknown values. */
export function localDimensions(aspectRatio: string, resolution: string): { width: number; height: number } {
  const byResolution = Object.hasOwn(SIZES, aspectRatio) ? SIZES[aspectRatio] : undefined;
  if (!byResolution) throw new RangeError(`unknown aspect ratio ${aspectRatio}`);
  const size = Object.hasOwn(byResolution, resolution) ? byResolution[resolution] : undefined;
  if (!size) throw new RangeError(`unknown resolution ${resolution}`);
  return { ...size };
}
