import type { GalleryError } from '../errors.js';
import type { ModelCapabilities, GenerationMode } from './capabilities.js';
import type { Warning } from './entry.js';
import type { JSONValue } from './json.js';

/** An image handed to a provider: the bytes (for inline or upload) and, when it has one, a public URL. */
export interface ProviderImage {
  data: Uint8Array;
  mediaType: string;
  /** A public URL the provider may fetch instead of receiving the bytes. */
  url?: string;
}

/** A validated request with every default filled in. */
export interface ProviderRequest {
  model: string;
  mode: GenerationMode;
  prompt: string;
  negativePrompt?: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  seed?: number;
  audio?: boolean;
  image?: ProviderImage;
  lastFrame?: ProviderImage;
}

/** Opens the bytes of a result: for outputs that are not a plain URL (local renders, SDK streams). */
export type OutputOpener = (options: { signal?: AbortSignal; offset?: number }) => Promise<{
  body: ReadableStream<Uint8Array>;
  contentType?: string;
  /** Total size in bytes when known. */
  size?: number;
}>;

/** One result of a finished task. */
export type ProviderOutput =
  | {
      url: string;
      /** ISO time after which the URL stops working; re-hosting starts at once either way. */
      expiresAt?: string;
      /** Headers the download needs (for example an API key). Never persisted. */
      headers?: Record<string, string>;
    }
  | { open: OutputOpener; expiresAt?: string; url?: undefined };

export type ProviderStatus =
  | { state: 'pending'; progress?: number; retryAfterMs?: number }
  | { state: 'succeeded'; outputs: ProviderOutput[]; usage?: JSONValue }
  | { state: 'failed'; error: GalleryError };

export interface StartResult {
  /** Opaque reference that `status` and `cancel` take; persisted on the entry so any process can resume. */
  task: JSONValue;
  warnings: Warning[];
}

/**
 * A video generation provider, specification v1.
 *
 * Implementations must be stateless between calls apart from `task`: a different process may call
 * `status(task)` for a task another process started.
 */
export interface VideoProvider {
  readonly specificationVersion: 'v1';
  /** Stable id such as `dashscope`, `veo`, `kie`, `local`. */
  readonly id: string;
  /** Models and what each accepts. The first is the default. */
  models(): ModelCapabilities[];
  /**
   * Origins (scheme://host:port) that this provider was configured with, such as its base URL. The download
   * guard trusts results served from these (a regional endpoint, a proxy, a mock server on loopback).
   */
  trustedOrigins?(): string[];
  start(request: ProviderRequest, options: { signal?: AbortSignal; idempotencyKey: string }): Promise<StartResult>;
  status(task: JSONValue, options: { signal?: AbortSignal }): Promise<ProviderStatus>;
  /** Cancels a task; `cancelled: false` when the provider cannot (the task is then still tracked). */
  cancel?(task: JSONValue, options?: { signal?: AbortSignal }): Promise<{ cancelled: boolean }>;
  /**
   * Finds a task started with this idempotency key, for resolving a job found in `submitting` after a crash
   * without paying twice. Return `null` when the provider is sure no such task exists.
   */
  lookup?(idempotencyKey: string, options: { signal?: AbortSignal; request: ProviderRequest; submittedAt: string | null }): Promise<{ task: JSONValue } | null>;
  /** Verifies a webhook delivery; the result is only a hint to poll that task now. */
  verifyWebhook?(request: Request): Promise<{ task: JSONValue } | null>;
}
