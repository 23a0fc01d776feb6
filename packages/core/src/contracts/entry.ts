import type { EntryError } from '../errors.js';
import type { JSONValue } from './json.js';

export type JobStatus = 'queued' | 'submitting' | 'generating' | 'downloading' | 'processing' | 'ready' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'submitting', 'generating', 'downloading', 'processing', 'ready', 'failed', 'cancelled'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['ready', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'submitting', 'generating', 'downloading', 'processing'];

export type Visibility = 'draft' | 'published';

/** An image given to image-to-video, as the caller passes it. */
export type ImageInput = { data: Uint8Array | Blob; mediaType: string } | { url: string };

/** An image as it is stored on an entry: re-hosted in blob storage, or a public URL. */
export type StoredImage = { key: string; mediaType: string } | { url: string };

/** What the caller asks for. Fields left out take the model's defaults. */
export interface GenerateRequest {
  /** Provider id, for example `local` or `dashscope`. Defaults to the gallery's default provider. */
  provider?: string;
  /** Model id. Defaults to the provider's first model. */
  model?: string;
  prompt: string;
  negativePrompt?: string;
  aspectRatio?: string;
  resolution?: string;
  durationSeconds?: number;
  seed?: number;
  audio?: boolean;
  /** First frame for image-to-video. */
  image?: ImageInput;
  /** Last frame, for models with the `first-last-frame` mode. */
  lastFrame?: ImageInput;
}

/** The request after validation and defaulting, as stored on the entry. */
export interface ResolvedRequest {
  provider: string;
  model: string;
  prompt: string;
  negativePrompt?: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  seed?: number;
  audio?: boolean;
  image?: StoredImage;
  lastFrame?: StoredImage;
}

export interface StoredVideo {
  key: string;
  contentType: string;
  bytes: number;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
}

export interface StoredThumbnail {
  key: string;
  contentType: string;
  width: number | null;
  height: number | null;
}

/** A result the provider reported, as persisted (never with its auth headers). */
export interface PersistedOutput {
  url: string | null;
  expiresAt?: string;
}

export interface Warning {
  type: 'unsupported' | 'unknown-model' | 'thumbnail-failed' | 'other';
  message: string;
  feature?: string;
}

/** One generation: the job and, once ready, the gallery item. */
export interface GalleryEntry {
  id: string;
  /** Who owns it; `null` in anonymous single-user setups. */
  owner: string | null;
  status: JobStatus;
  /** Incremented on every write; updates carry the version they read (optimistic concurrency). */
  version: number;
  request: ResolvedRequest;
  idempotencyKey: string | null;
  /** The provider's opaque task reference, set once `provider.start` returned. */
  task: JSONValue | null;
  /** 0..1 while generating, when the provider reports it. */
  progress: number | null;
  /** Number of status polls made for the current attempt (drives the backoff schedule). */
  polls: number;
  /** Consecutive transient failures in the current state. */
  transientErrors: number;
  /** Number of times the job was (re)queued by `retry()`. */
  attempt: number;
  error: EntryError | null;
  outputs: PersistedOutput[] | null;
  video: StoredVideo | null;
  thumbnail: StoredThumbnail | null;
  usage: JSONValue | null;
  warnings: Warning[];
  favorite: boolean;
  caption: string | null;
  visibility: Visibility;
  /** ISO timestamps. */
  createdAt: string;
  updatedAt: string;
  submittedAt: string | null;
  completedAt: string | null;
  /** When the current attempt gives up with `timeout`. */
  deadlineAt: string | null;
  /** When the engine should look at this job again (a hint for runners that resume). */
  nextRunAt: string | null;
}
