import type { GalleryErrorCode, JobStatus } from '@video-gallery/core';

/** Error codes in plain words, shown instead of technical messages. */
export type ErrorStrings = Record<GalleryErrorCode, string>;

/** Default plain-word explanations of each error code. */
export const defaultErrorStrings: ErrorStrings = {
  invalid_input: 'Some settings are not valid.',
  unsupported: 'This model cannot do that.',
  content_policy: 'The provider refused this prompt under its content policy. Try rewording it.',
  rate_limited: 'Too many requests right now. Wait a moment and try again.',
  auth_failed: 'The video service rejected its credentials.',
  quota_exceeded: 'The video service quota or credit is used up.',
  provider_error: 'The video service had a problem.',
  timeout: 'It took too long and was stopped.',
  expired: 'The result expired before it could be saved.',
  download_failed: 'The finished video could not be downloaded.',
  storage_failed: 'The video could not be saved or read.',
  not_found: 'This video no longer exists.',
  forbidden: 'You are not allowed to do that.',
  conflict: 'It changed meanwhile. Try again.',
  cancelled: 'It was cancelled.',
};

/** Units of `GalleryStrings.ago`. */
export type TimeUnit = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year';

const UNIT_ABBREVIATIONS: Record<TimeUnit, string> = { second: 's', minute: 'min', hour: 'h', day: 'd', month: 'mo', year: 'y' };

/** Every user-facing text of `<video-gallery>`. Set `strings` to a partial object to replace some. */
export interface GalleryStrings {
  status: Record<JobStatus, string>;
  errors: ErrorStrings;
  /** Accessible name of the grid. */
  gallery: string;
  search: string;
  filterStatus: string;
  statusAll: string;
  statusActive: string;
  statusReady: string;
  statusFailed: string;
  favoritesOnly: string;
  sort: string;
  newest: string;
  oldest: string;
  loading: string;
  loadingMore: string;
  empty: string;
  emptyFiltered: string;
  clearFilters: string;
  loadFailed: string;
  tryAgain: string;
  loadMore: string;
  /** "24 of 130 videos". */
  count: (shown: number, total: number) => string;
  favorite: string;
  retry: string;
  cancel: string;
  delete: string;
  confirmDelete: string;
  keep: string;
  download: string;
  close: string;
  caption: string;
  publish: string;
  unpublish: string;
  published: string;
  /** Elapsed time of a running job, e.g. "1:05 elapsed". */
  elapsed: (time: string) => string;
  /** How long ago a job finished, e.g. "5 min ago" (`value` 0 with `second`: just now). Plug in `Intl.RelativeTimeFormat` here if you like. */
  ago: (value: number, unit: TimeUnit) => string;
  /** Progress as text, e.g. "45%". */
  progress: (percent: number) => string;
  /** Cost of a clip, e.g. "≈ $0.40". */
  cost: (amount: string) => string;
  /** Accessible name of the player dialog. */
  player: string;
  /** Shown in place of a missing thumbnail. */
  noPreview: string;
  /** Labels of the details in the player dialog. */
  model: string;
  format: string;
  created: string;
  price: string;
  seed: string;
}

/** Default texts of `<video-gallery>` (English). */
export const defaultGalleryStrings: GalleryStrings = {
  status: {
    queued: 'Queued', submitting: 'Sending', generating: 'Generating', downloading: 'Saving', processing: 'Finishing',
    ready: 'Ready', failed: 'Failed', cancelled: 'Cancelled',
  },
  errors: defaultErrorStrings,
  gallery: 'Videos',
  search: 'Search prompts',
  filterStatus: 'Status',
  statusAll: 'All',
  statusActive: 'In progress',
  statusReady: 'Ready',
  statusFailed: 'Failed',
  favoritesOnly: 'Favorites',
  sort: 'Sort',
  newest: 'Newest first',
  oldest: 'Oldest first',
  loading: 'Loading videos…',
  loadingMore: 'Loading more…',
  empty: 'No videos yet. Describe one to generate it.',
  emptyFiltered: 'No videos match these filters.',
  clearFilters: 'Clear filters',
  loadFailed: 'The videos could not be loaded.',
  tryAgain: 'Try again',
  loadMore: 'Load more',
  count: (shown, total) => `${shown} of ${total} videos`,
  favorite: 'Favorite',
  retry: 'Retry',
  cancel: 'Cancel job',
  delete: 'Delete',
  confirmDelete: 'Delete this video for good?',
  keep: 'Keep',
  download: 'Download',
  close: 'Close',
  caption: 'Caption',
  publish: 'Publish',
  unpublish: 'Unpublish',
  published: 'Published',
  elapsed: (time) => `${time} elapsed`,
  ago: (value, unit) => (value === 0 ? 'just now' : `${value} ${UNIT_ABBREVIATIONS[unit]} ago`),
  progress: (percent) => `${percent}%`,
  cost: (amount) => `≈ ${amount}`,
  player: 'Video player',
  noPreview: 'No preview',
  model: 'Model',
  format: 'Format',
  created: 'Created',
  price: 'Cost',
  seed: 'Seed',
};

/** Every user-facing text of `<generate-form>`. Set `strings` to a partial object to replace some. */
export interface FormStrings {
  errors: ErrorStrings;
  /** Accessible name of the form. */
  form: string;
  mode: string;
  modeText: string;
  modeImage: string;
  modeFirstLast: string;
  provider: string;
  model: string;
  prompt: string;
  promptPlaceholder: string;
  /** Characters used, e.g. "12 / 800". */
  promptCount: (used: number, max: number) => string;
  promptRequired: string;
  tooLong: (max: number) => string;
  negativePrompt: string;
  aspectRatio: string;
  resolution: string;
  duration: string;
  /** A duration option, e.g. "5 s". */
  seconds: (value: number) => string;
  moreOptions: string;
  seed: string;
  seedPlaceholder: string;
  seedRange: (min: number, max: number) => string;
  audio: string;
  image: string;
  /** The start image's label in first + last frame mode. */
  firstFrame: string;
  lastFrame: string;
  dropImage: string;
  chooseImage: string;
  removeImage: string;
  imageRequired: string;
  lastFrameRequired: string;
  imageType: (types: string) => string;
  imageSize: (max: string) => string;
  /** Estimated cost, e.g. "Estimated cost: $0.40". */
  cost: (amount: string) => string;
  submit: string;
  submitting: string;
  started: string;
  loading: string;
  capabilitiesFailed: string;
  tryAgain: string;
  noClient: string;
}

/** Default texts of `<generate-form>` (English). */
export const defaultFormStrings: FormStrings = {
  errors: defaultErrorStrings,
  form: 'Generate a video',
  mode: 'Start from',
  modeText: 'Text',
  modeImage: 'Image',
  modeFirstLast: 'First + last frame',
  provider: 'Provider',
  model: 'Model',
  prompt: 'Prompt',
  promptPlaceholder: 'Describe the video: subject, action, setting, camera, light…',
  promptCount: (used, max) => `${used} / ${max}`,
  promptRequired: 'Describe the video you want.',
  tooLong: (max) => `Use at most ${max} characters.`,
  negativePrompt: 'Avoid (negative prompt)',
  aspectRatio: 'Aspect ratio',
  resolution: 'Resolution',
  duration: 'Duration',
  seconds: (value) => `${value} s`,
  moreOptions: 'More options',
  seed: 'Seed',
  seedPlaceholder: 'Random',
  seedRange: (min, max) => `Use a whole number from ${min} to ${max}.`,
  audio: 'With sound',
  image: 'Start image',
  firstFrame: 'First frame',
  lastFrame: 'Last frame',
  dropImage: 'Drop an image here, or',
  chooseImage: 'choose a file',
  removeImage: 'Remove image',
  imageRequired: 'Add an image to animate.',
  lastFrameRequired: 'Add the last frame.',
  imageType: (types) => `Use one of these image types: ${types}.`,
  imageSize: (max) => `The image is too large; the limit is ${max}.`,
  cost: (amount) => `Estimated cost: ${amount}`,
  submit: 'Generate',
  submitting: 'Sending…',
  started: 'Generation started.',
  loading: 'Loading models…',
  capabilitiesFailed: 'The available models could not be loaded.',
  tryAgain: 'Try again',
  noClient: 'Set src or client to connect this form to a gallery.',
};

/** A partial replacement of a strings object: any key, and any part of the nested `status` / `errors` maps. */
export type StringsOverride<T> = { [K in keyof T]?: T[K] extends (...args: never[]) => unknown ? T[K] : T[K] extends object ? Partial<T[K]> : T[K] };

/** Merges a partial override over the defaults (one level deep, so `status` and `errors` merge too). */
export function mergeStrings<T extends object>(defaults: T, override: StringsOverride<T> | undefined): T {
  if (!override) return defaults;
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] = base && typeof base === 'object' && value && typeof value === 'object' ? { ...base, ...value } : value;
  }
  return merged as T;
}
