/** How a model can be driven. */
export type GenerationMode = 'text' | 'image' | 'first-last-frame';

/** A condition on a request and what it then restricts, for example "1080p needs 8 s". */
export interface CapabilityRule {
  /** The rule applies when every listed field has one of the listed values. */
  when: { mode?: GenerationMode[]; resolution?: string[]; aspectRatio?: string[]; durationSeconds?: number[] };
  /** What is then allowed. */
  allow: { resolution?: string[]; aspectRatio?: string[]; durationSeconds?: number[]; negativePrompt?: boolean };
  /** A sentence shown to the user when the rule is broken. */
  message: string;
}

/** What one model accepts. `VideoGallery` validates every request against it before anything is sent. */
export interface ModelCapabilities {
  /** Model id as the provider spells it, for example `wan2.2-t2v-plus`. */
  id: string;
  /** Human name for pickers. */
  label: string;
  modes: GenerationMode[];
  /** Aspect ratios such as `16:9`; image modes may also follow the input image. */
  aspectRatios: string[];
  /** Resolution tiers such as `720p`. */
  resolutions: string[];
  /** Allowed clip lengths in whole seconds. */
  durations: number[];
  defaults: { aspectRatio: string; resolution: string; durationSeconds: number };
  /** Longest prompt in characters. */
  maxPromptLength: number;
  /** Longest negative prompt, or `false` when the model takes none. */
  negativePrompt: false | { maxLength: number };
  /** True when the model makes sound; `'optional'` when it can be switched on. */
  audio: boolean | 'optional';
  /** Seed range, or `false` when the model takes no seed. */
  seed: false | { min: number; max: number };
  /** Input image limits for image modes. */
  image?: { mediaTypes: string[]; maxBytes: number };
  /** Extra rules between options. */
  rules?: CapabilityRule[];
  /** How long the provider's result URL stays valid, in seconds. */
  resultUrlTtlSeconds?: number;
  /** Typical time to a result, in seconds, as [fastest, slowest]. */
  typicalLatencySeconds?: [number, number];
  /** Price per generated second when known. */
  cost?: { perSecond: number; currency: string; note?: string };
}
