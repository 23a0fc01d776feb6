// The JSON shapes of the HTTP API. A browser client may `import type` these.
import type { ModelCapabilities } from '../contracts/capabilities.js';
import type { GalleryEntry, JobStatus } from '../contracts/entry.js';

/**
 * An entry as the API returns it to its owner: the `GalleryEntry` without provider internals (`task`, the
 * provider's opaque task reference, and `outputs`, the provider's own result URLs).
 */
export type GalleryEntryJson = Omit<GalleryEntry, 'task' | 'outputs'>;

/** An entry of the public feed: only what a stranger may see (no owner, keys, task, errors or storage keys). */
export interface FeedEntryJson {
  id: string;
  status: JobStatus;
  version: number;
  /** Bumped by every retry; media URLs carry it as `?v=` for long-lived caching. */
  attempt: number;
  request: {
    provider: string;
    model: string;
    prompt: string;
    negativePrompt?: string;
    aspectRatio: string;
    resolution: string;
    durationSeconds: number;
    seed?: number;
    audio?: boolean;
  };
  video: { contentType: string; bytes: number; durationSeconds: number | null; width: number | null; height: number | null } | null;
  thumbnail: { contentType: string; width: number | null; height: number | null } | null;
  caption: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** A page of a list. */
export interface ListResponse<T> {
  items: T[];
  /** How many match across all pages. */
  total: number;
  nextCursor: string | null;
}

/** `GET /capabilities`. */
export interface CapabilitiesResponse {
  defaultProvider: string;
  providers: { id: string; models: ModelCapabilities[] }[];
}

/** The `data` of an SSE `create` / `update` / `delete` event. */
export interface GalleryEventJson {
  type: 'create' | 'update' | 'delete';
  entry: GalleryEntryJson;
}

/** The entry without provider internals. */
export function toEntryJson<T extends GalleryEntry>(entry: T): Omit<T, 'task' | 'outputs'> {
  const { task: _task, outputs: _outputs, ...rest } = entry;
  return rest;
}

/** Only the fields a stranger may see, built field by field (a new field on entries is never leaked by accident). */
export function toFeedEntryJson(entry: GalleryEntry): FeedEntryJson {
  const r = entry.request;
  const request: FeedEntryJson['request'] = {
    provider: r.provider, model: r.model, prompt: r.prompt, aspectRatio: r.aspectRatio, resolution: r.resolution, durationSeconds: r.durationSeconds,
  };
  if (r.negativePrompt !== undefined) request.negativePrompt = r.negativePrompt;
  if (r.seed !== undefined) request.seed = r.seed;
  if (r.audio !== undefined) request.audio = r.audio;
  const v = entry.video;
  const t = entry.thumbnail;
  return {
    id: entry.id,
    status: entry.status,
    version: entry.version,
    attempt: entry.attempt,
    request,
    video: v ? { contentType: v.contentType, bytes: v.bytes, durationSeconds: v.durationSeconds, width: v.width, height: v.height } : null,
    thumbnail: t ? { contentType: t.contentType, width: t.width, height: t.height } : null,
    caption: entry.caption,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    completedAt: entry.completedAt,
  };
}
