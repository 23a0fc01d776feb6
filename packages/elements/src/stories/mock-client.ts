// A small in-memory GalleryClient for stories, tests and benchmarks (browser-safe, no vitest). Not published.
import type { GenerateRequest, JobStatus, ModelCapabilities } from '@video-gallery/core';
import { GalleryError } from '@video-gallery/core/client';
import type {
  GalleryCapabilities, GalleryClient, GalleryItem, GalleryItemChange, GalleryListQuery, GalleryPage,
} from '../shared/client.js';

export const MOCK_MODEL: ModelCapabilities = {
  id: 'mock-1', label: 'Mock Video 1', modes: ['text', 'image'], aspectRatios: ['16:9', '9:16', '1:1'], resolutions: ['480p', '720p', '1080p'],
  durations: [4, 6, 8], defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 4 }, maxPromptLength: 200,
  negativePrompt: { maxLength: 100 }, audio: 'optional', seed: { min: 0, max: 9999 },
  image: { mediaTypes: ['image/png', 'image/jpeg'], maxBytes: 1024 * 1024 },
  rules: [{ when: { resolution: ['1080p'] }, allow: { durationSeconds: [8] }, message: '1080p clips are 8 s long' }],
  cost: { perSecond: 0.1, currency: 'USD' },
};

export const MOCK_TEXT_ONLY_MODEL: ModelCapabilities = {
  id: 'mock-lite', label: 'Mock Lite', modes: ['text'], aspectRatios: ['16:9'], resolutions: ['720p'], durations: [5],
  defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 5 }, maxPromptLength: 80, negativePrompt: false,
  audio: false, seed: false,
};

/** Like `MOCK_MODEL`, and also takes a first and a last frame. */
export const MOCK_FIRST_LAST_MODEL: ModelCapabilities = { ...MOCK_MODEL, id: 'mock-frames', label: 'Mock Frames', modes: ['text', 'image', 'first-last-frame'] };

export const MOCK_CAPABILITIES: GalleryCapabilities = {
  defaultProvider: 'mock',
  providers: [{ id: 'mock', models: [MOCK_MODEL, MOCK_TEXT_ONLY_MODEL] }, { id: 'other', models: [{ ...MOCK_TEXT_ONLY_MODEL, id: 'other-1', label: 'Other 1' }] }],
};

const PROMPTS = [
  'A paper boat drifting across a calm lake at sunset',
  'Timelapse of clouds rolling over snowy mountain peaks',
  'A corgi surfing a small wave, slow motion, golden hour',
  'Neon city street in the rain at night, camera dolly forward',
  'Macro shot of a honeybee landing on a lavender flower',
  'An astronaut planting a tree on the moon, cinematic',
  'Steam rising from a cup of coffee on a wooden table',
  'Aerial view of a winding river through an autumn forest',
];

let sequence = 0;

/** A complete entry for stories and tests; `overrides.request` merges over the default request. */
export function mockEntry(overrides: Partial<Omit<GalleryItem, 'request'>> & { request?: Partial<GalleryItem['request']> } = {}): GalleryItem {
  sequence++;
  const created = new Date(Date.UTC(2026, 10, 21, 12, 0, 0) - sequence * 60_000).toISOString();
  const status: JobStatus = overrides.status ?? 'ready';
  const { request, ...rest } = overrides;
  const ready = status === 'ready';
  return {
    id: `mock-${String(sequence).padStart(6, '0')}`, owner: null, status, version: 1,
    request: {
      provider: 'mock', model: 'mock-1', prompt: PROMPTS[sequence % PROMPTS.length]!, aspectRatio: '16:9', resolution: '720p', durationSeconds: 4,
      ...request,
    },
    idempotencyKey: null, progress: status === 'generating' ? 0.4 : null, polls: 0, transientErrors: 0, attempt: 1,
    error: status === 'failed' ? { code: 'content_policy', message: 'The prompt was rejected by the safety system.', retryable: false } : null,
    video: ready ? { key: `videos/${sequence}.mp4`, contentType: 'video/mp4', bytes: 26_793, durationSeconds: 2, width: 320, height: 180 } : null,
    thumbnail: ready ? { key: `thumbnails/${sequence}.svg`, contentType: 'image/svg+xml', width: 320, height: 180 } : null,
    usage: null, warnings: [], favorite: false, caption: null, visibility: 'draft',
    createdAt: created, updatedAt: created, submittedAt: status === 'queued' ? null : created, completedAt: ready ? created : null,
    deadlineAt: null, nextRunAt: null,
    ...rest,
  };
}

/** `count` entries with a mix of states (mostly ready). */
export function mockEntries(count: number, statuses: JobStatus[] = ['ready', 'ready', 'ready', 'generating', 'ready', 'failed', 'ready', 'queued']): GalleryItem[] {
  return Array.from({ length: count }, (_, index) => mockEntry({ status: statuses[index % statuses.length]! }));
}

/** A poster for an entry: an SVG with a gradient, as a data URL (no network). */
export function mockPoster(entry: GalleryItem): string {
  const hue = [...entry.id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><defs><linearGradient id="g" x2="1" y2="1">`
    + `<stop offset="0" stop-color="hsl(${hue} 70% 55%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360} 70% 25%)"/></linearGradient></defs>`
    + `<rect width="320" height="180" fill="url(#g)"/><circle cx="160" cy="90" r="28" fill="#fff8"/><path d="M152 76v28l24-14z" fill="#000a"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export interface MockClientOptions {
  entries?: GalleryItem[];
  capabilities?: GalleryCapabilities;
  /** Delay of every call, ms. Default 0 (answers in a microtask). */
  latencyMs?: number;
  /** `list` never answers (a loading state that stays). */
  hangList?: boolean;
  /** `list` rejects with this. */
  listError?: unknown;
  /** `capabilities` rejects with this. */
  capabilitiesError?: unknown;
  /** `generate` rejects with these, one per call, before it succeeds. */
  generateErrors?: unknown[];
  /** URL of every ready entry's video (e.g. an object URL of a real MP4). Default none. */
  videoUrl?: string | null;
  /** Poster of each ready entry. Default `mockPoster`. */
  thumbnailUrl?: ((entry: GalleryItem) => string | null) | null;
}

/**
 * An in-memory gallery client with the `GalleryClient` surface. It records calls (`calls`) and lets a
 * story or test push changes (`emit`, `set`) as a server would.
 */
export class MockGalleryClient implements GalleryClient {
  entries: GalleryItem[];
  readonly calls = {
    list: [] as GalleryListQuery[], generate: [] as { request: GenerateRequest; idempotencyKey: string | undefined }[],
    update: [] as { id: string; patch: object }[], delete: [] as string[], retry: [] as string[], cancel: [] as string[],
  };
  readonly options: MockClientOptions;
  readonly #listeners = new Set<(change: GalleryItemChange) => void>();

  constructor(options: MockClientOptions = {}) {
    this.options = options;
    this.entries = [...(options.entries ?? [])];
  }

  /** Number of `subscribe` listeners now. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  async capabilities(): Promise<GalleryCapabilities> {
    await this.#wait();
    if (this.options.capabilitiesError) throw this.options.capabilitiesError;
    return this.options.capabilities ?? MOCK_CAPABILITIES;
  }

  async list(query: GalleryListQuery = {}): Promise<GalleryPage> {
    this.calls.list.push(query);
    if (this.options.hangList) await new Promise(() => undefined);
    await this.#wait();
    if (this.options.listError) throw this.options.listError;
    const q = query.q?.toLowerCase();
    let items = this.entries.filter((e) => (!query.status || query.status.includes(e.status)) && (!query.favorite || e.favorite)
      && (!q || e.request.prompt.toLowerCase().includes(q)));
    items = items.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
    if (query.sort === 'oldest') items.reverse();
    const start = query.cursor ? Number(query.cursor) : 0;
    const limit = query.limit ?? 20;
    const page = items.slice(start, start + limit);
    return { items: page, total: items.length, nextCursor: start + limit < items.length ? String(start + limit) : null };
  }

  async generate(request: GenerateRequest, options: { idempotencyKey?: string } = {}): Promise<GalleryItem> {
    this.calls.generate.push({ request, idempotencyKey: options.idempotencyKey });
    await this.#wait();
    const error = this.options.generateErrors?.shift();
    if (error) throw error;
    const existing = options.idempotencyKey ? this.entries.find((e) => e.idempotencyKey === options.idempotencyKey) : undefined;
    if (existing) return existing;
    const now = new Date().toISOString();
    const entry = mockEntry({
      status: 'queued', createdAt: now, updatedAt: now, idempotencyKey: options.idempotencyKey ?? null,
      request: {
        provider: request.provider ?? 'mock', model: request.model ?? 'mock-1', prompt: request.prompt, aspectRatio: request.aspectRatio ?? '16:9',
        resolution: request.resolution ?? '720p', durationSeconds: request.durationSeconds ?? 4,
      },
    });
    this.set(entry, 'create');
    return entry;
  }

  async update(id: string, patch: { favorite?: boolean; caption?: string | null; visibility?: 'draft' | 'published' }): Promise<GalleryItem> {
    this.calls.update.push({ id, patch });
    await this.#wait();
    const entry = this.#get(id);
    return this.set({ ...entry, ...patch, version: entry.version + 1 });
  }

  async delete(id: string): Promise<void> {
    this.calls.delete.push(id);
    await this.#wait();
    const entry = this.#get(id);
    this.entries = this.entries.filter((e) => e.id !== id);
    this.emit({ type: 'delete', entry });
  }

  async retry(id: string): Promise<GalleryItem> {
    this.calls.retry.push(id);
    await this.#wait();
    const entry = this.#get(id);
    return this.set({ ...entry, status: 'queued', error: null, attempt: entry.attempt + 1, version: entry.version + 1 });
  }

  async cancel(id: string): Promise<GalleryItem> {
    this.calls.cancel.push(id);
    await this.#wait();
    const entry = this.#get(id);
    return this.set({ ...entry, status: 'cancelled', version: entry.version + 1 });
  }

  subscribe(listener: (change: GalleryItemChange) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  videoUrl(entry: GalleryItem): string {
    return this.options.videoUrl ?? `data:video/mp4;base64,${entry.id}`;
  }

  thumbnailUrl(entry: GalleryItem): string | null {
    if (!entry.thumbnail) return null;
    const make = this.options.thumbnailUrl === undefined ? mockPoster : this.options.thumbnailUrl;
    return make ? make(entry) : null;
  }

  /** Stores an entry (replacing one with its id) and tells subscribers, as the server's event stream would. */
  set(entry: GalleryItem, type: 'create' | 'update' = 'update'): GalleryItem {
    const index = this.entries.findIndex((e) => e.id === entry.id);
    if (index >= 0) this.entries[index] = entry;
    else this.entries.push(entry);
    this.emit({ type: index >= 0 ? type : 'create', entry });
    return entry;
  }

  /** Tells every subscriber about a change. */
  emit(change: GalleryItemChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }

  #get(id: string): GalleryItem {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) throw new GalleryError('not_found', `No entry ${id}.`, { retryable: false });
    return entry;
  }

  async #wait(): Promise<void> {
    const ms = this.options.latencyMs ?? 0;
    await (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
  }
}
