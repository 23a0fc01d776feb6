import { EventEmitter } from 'eventemitter3';
import pRetry from 'p-retry';
import { backoffDelay, defaultTimeoutMs, type PollOptions, DEFAULT_POLL } from './backoff.js';
import type { ModelCapabilities } from './contracts/capabilities.js';
import type {
  GalleryEntry, GenerateRequest, ImageInput, JobStatus, ResolvedRequest, StoredImage, StoredThumbnail, StoredVideo,
  Visibility, Warning,
} from './contracts/entry.js';
import { JOB_STATUSES, TERMINAL_STATUSES } from './contracts/entry.js';
import type { EntryStore, ListQuery, ListResult } from './contracts/entry-store.js';
import type { MediaProcessor, MediaSource } from './contracts/media.js';
import type { ProviderImage, ProviderOutput, ProviderRequest, VideoProvider } from './contracts/provider.js';
import type { JobExecutor, JobRunner } from './contracts/runner.js';
import type { BlobStorage } from './contracts/storage.js';
import { GalleryError, isAbortError } from './errors.js';
import { createFetchDownloader, rehost, type Downloader } from './rehost.js';
import { inProcessRunner, sleep } from './runner.js';
import { transition, type JobEvent } from './state-machine.js';
import { readAll } from './streams.js';
import { validateRequest, type ValidatedRequest } from './validate.js';

/** A change to one entry, as `subscribe` listeners and the SSE stream see it. */
export interface GalleryChange {
  type: 'create' | 'update' | 'delete';
  entry: GalleryEntry;
}

/** Typed events of a `VideoGallery`. */
export interface VideoGalleryEvents {
  /** A new entry was accepted (`queued`). */
  'entry-create': [entry: GalleryEntry];
  /** An entry changed: state, progress, favorite, caption, visibility... */
  'entry-update': [entry: GalleryEntry, previous: GalleryEntry];
  'entry-delete': [entry: GalleryEntry];
  /** A job reached `ready`, `failed` or `cancelled`. */
  'job-end': [entry: GalleryEntry];
  /** Something worth knowing that did not stop the job (for example a failed thumbnail). */
  warning: [warning: Warning & { entryId: string }];
}

export interface Logger {
  warn(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

export interface VideoGalleryOptions {
  /** The providers this gallery may use. */
  providers: VideoProvider[];
  /** Provider used when a request names none. Default: the first. */
  defaultProvider?: string;
  /** Where videos, thumbnails and input images are kept. */
  storage: BlobStorage;
  /** Where entries are kept. */
  store: EntryStore;
  /** Where jobs run. Default `inProcessRunner()`. */
  runner?: JobRunner;
  /** Probes videos and cuts thumbnails. Default none (entries get `thumbnail: null`); Node: `createFfmpegMediaProcessor()`. */
  media?: MediaProcessor | null;
  /**
   * Makes the downloader for a provider's results (the provider's `trustedOrigins()` should be trusted).
   * Default: a fetch-based downloader with the URL guard. On Node, `createNodeGallery` from
   * `@video-gallery/core/node` uses one that also checks the addresses names resolve to.
   */
  downloaderFor?: (provider: VideoProvider) => Downloader;
  /** Poll schedule and deadline. */
  poll?: PollOptions;
  /** Largest video accepted from a provider, bytes. Default 2 GiB. */
  maxVideoBytes?: number;
  /** Largest input image, bytes, when the model declares no limit. Default 20 MiB. */
  maxImageBytes?: number;
  /** Thumbnail width in px. Default 480. */
  thumbnailWidth?: number;
  /** Retries of a provider call on transient errors inside one step (p-retry). Default `{ retries: 2, minTimeout: 500 }`. */
  retry?: { retries?: number; minTimeout?: number; maxTimeout?: number };
  /** Current time, ms since the epoch. Injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** Random number in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /** Entry id generator. Default `crypto.randomUUID()`. */
  generateId?: () => string;
  /**
   * How long a job may sit in `submitting` before another step treats the submission as interrupted (and looks
   * the task up). Guards against a second step of the same job running while the first one's `provider.start`
   * is still in flight (a queue lock lost to a stalled worker). Default 15000 ms.
   */
  submitGraceMs?: number;
  /** Where warnings go. Default `console`. */
  logger?: Logger;
}

/** Scope of a call: whose entries it may see. `undefined` means any owner (trusted server-side code only). */
export interface OwnerScope {
  owner?: string | null;
}

export interface GenerateOptions {
  /** Owner of the new entry. Default `null` (single-user). */
  owner?: string | null;
  /** The same key (per owner) returns the same entry instead of starting a second paid job. */
  idempotencyKey?: string;
  /** Aborts the accept phase (validation and image upload). */
  signal?: AbortSignal;
}

export interface UpdatePatch {
  favorite?: boolean;
  caption?: string | null;
  visibility?: Visibility;
}

type StepResult = { next: 'again'; delayMs: number } | { next: 'done' };

const TERMINAL = new Set<JobStatus>(TERMINAL_STATUSES);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const MAX_CAPTION = 2000;
const IMAGE_EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/bmp': 'bmp', 'image/gif': 'gif' };

function checkOwner(owner: unknown, field = 'owner'): string | null | undefined {
  if (owner === undefined || owner === null) return owner;
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 255) {
    throw new GalleryError('invalid_input', `${field}: must be a non-empty string of at most 255 characters, or null.`, { field, retryable: false });
  }
  return owner;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
    throw new GalleryError('invalid_input', 'id: must be a non-empty string of at most 128 characters.', { field: 'id', retryable: false });
  }
  return id;
}

/**
 * The gallery: accepts generation requests, runs each job from submission to a playable, re-hosted video
 * with a thumbnail, and lists, updates and deletes entries. Every state change is persisted before its side
 * effects continue, so `resume()` (or another worker) picks up any job after a crash.
 */
export class VideoGallery extends EventEmitter<VideoGalleryEvents> implements JobExecutor {
  readonly storage: BlobStorage;
  readonly store: EntryStore;
  readonly runner: JobRunner;
  readonly #providers: Map<string, VideoProvider>;
  readonly #defaultProvider: string;
  readonly #media: MediaProcessor | null;
  readonly #downloader: (provider: VideoProvider) => Downloader;
  readonly #poll: PollOptions;
  readonly #maxVideoBytes: number;
  readonly #maxImageBytes: number;
  readonly #thumbnailWidth: number;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number };
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #generateId: () => string;
  readonly #submitGraceMs: number;
  readonly #logger: Logger;
  /** Outputs (with headers and openers, which are never persisted) of tasks that just succeeded here. */
  readonly #outputs = new Map<string, ProviderOutput[]>();

  constructor(options: VideoGalleryOptions) {
    super();
    if (!options || typeof options !== 'object') throw new GalleryError('invalid_input', 'VideoGallery: options are required ({ providers, storage, store }).', { retryable: false });
    if (!Array.isArray(options.providers) || options.providers.length === 0) {
      throw new GalleryError('invalid_input', 'providers: give at least one provider, for example `local` from @video-gallery/providers/local.', { field: 'providers', retryable: false });
    }
    if (!options.storage) throw new GalleryError('invalid_input', 'storage: a BlobStorage is required, for example createFsStorage({ root }).', { field: 'storage', retryable: false });
    if (!options.store) throw new GalleryError('invalid_input', 'store: an EntryStore is required, for example createMemoryEntryStore().', { field: 'store', retryable: false });
    this.#providers = new Map();
    for (const provider of options.providers) {
      if (provider?.specificationVersion !== 'v1') throw new GalleryError('invalid_input', `providers: ${String(provider?.id)} does not implement specification v1.`, { field: 'providers', retryable: false });
      if (this.#providers.has(provider.id)) throw new GalleryError('invalid_input', `providers: ${provider.id} is listed twice.`, { field: 'providers', retryable: false });
      this.#providers.set(provider.id, provider);
    }
    this.#defaultProvider = options.defaultProvider ?? options.providers[0]!.id;
    if (!this.#providers.has(this.#defaultProvider)) {
      throw new GalleryError('invalid_input', `defaultProvider: ${this.#defaultProvider} is not among the providers (${[...this.#providers.keys()].join(', ')}).`, { field: 'defaultProvider', retryable: false });
    }
    this.storage = options.storage;
    this.store = options.store;
    this.#media = options.media ?? null;
    const make = options.downloaderFor ?? ((provider: VideoProvider) => createFetchDownloader({ trustedOrigins: provider.trustedOrigins?.() ?? [] }));
    const downloaders = new Map<string, Downloader>();
    this.#downloader = (provider) => {
      let downloader = downloaders.get(provider.id);
      if (!downloader) downloaders.set(provider.id, (downloader = make(provider)));
      return downloader;
    };
    this.#poll = { ...options.poll };
    this.#maxVideoBytes = options.maxVideoBytes ?? 2 * 1024 ** 3;
    this.#maxImageBytes = options.maxImageBytes ?? 20 * 1024 ** 2;
    this.#thumbnailWidth = options.thumbnailWidth ?? 480;
    this.#retry = { retries: 2, minTimeout: 500, maxTimeout: 5000, ...options.retry };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#generateId = options.generateId ?? (() => crypto.randomUUID());
    this.#submitGraceMs = options.submitGraceMs ?? 15_000;
    this.#logger = options.logger ?? console;
    this.runner = options.runner ?? inProcessRunner();
    this.runner.attach(this);
  }

  /** The configured providers. */
  providers(): VideoProvider[] {
    return [...this.#providers.values()];
  }

  /** Providers and their models' capabilities, for pickers such as `<generate-form>`. */
  capabilities(): { defaultProvider: string; providers: { id: string; models: ModelCapabilities[] }[] } {
    return { defaultProvider: this.#defaultProvider, providers: this.providers().map((p) => ({ id: p.id, models: p.models() })) };
  }

  /**
   * Validates the request against the model's capabilities, stores a `queued` entry, hands the job to the
   * runner and returns the entry at once. With an `idempotencyKey` already used by this owner, returns that
   * entry instead of starting another job.
   */
  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GalleryEntry> {
    const owner = checkOwner(options.owner) ?? null;
    const key = options.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      throw new GalleryError('invalid_input', 'idempotencyKey: must be 1 to 255 printable ASCII characters without spaces.', { field: 'idempotencyKey', retryable: false });
    }
    options.signal?.throwIfAborted();
    if (key !== undefined) {
      const existing = await this.store.findByIdempotencyKey(owner, key);
      if (existing) return existing;
    }
    const valid = validateRequest(request, this.#providers, this.#defaultProvider);
    const id = this.#generateId();
    const stored: string[] = [];
    try {
      const image = valid.image ? await this.#storeImage(id, 'image', valid.image, options.signal, stored) : undefined;
      const lastFrame = valid.lastFrame ? await this.#storeImage(id, 'last-frame', valid.lastFrame, options.signal, stored) : undefined;
      const now = new Date(this.#now()).toISOString();
      const resolved: ResolvedRequest = {
        provider: valid.provider.id, model: valid.model, prompt: valid.prompt, aspectRatio: valid.aspectRatio,
        resolution: valid.resolution, durationSeconds: valid.durationSeconds,
      };
      if (valid.negativePrompt !== undefined) resolved.negativePrompt = valid.negativePrompt;
      if (valid.seed !== undefined) resolved.seed = valid.seed;
      if (valid.audio !== undefined) resolved.audio = valid.audio;
      if (image) resolved.image = image;
      if (lastFrame) resolved.lastFrame = lastFrame;
      const entry: GalleryEntry = {
        id, owner, status: 'queued', version: 1, request: resolved, idempotencyKey: key ?? null, task: null,
        progress: null, polls: 0, transientErrors: 0, attempt: 1, error: null, outputs: null, video: null,
        thumbnail: null, usage: null, warnings: valid.warnings, favorite: false, caption: null, visibility: 'draft',
        createdAt: now, updatedAt: now, submittedAt: null, completedAt: null, deadlineAt: null, nextRunAt: null,
      };
      options.signal?.throwIfAborted();
      try {
        await this.store.insert(entry);
      } catch (error) {
        // Lost a race with the same idempotency key: the other request's entry is the answer.
        if (key !== undefined && GalleryError.isInstance(error) && error.code === 'conflict') {
          const existing = await this.store.findByIdempotencyKey(owner, key);
          if (existing) {
            await this.#deleteKeys(stored);
            return existing;
          }
        }
        throw error;
      }
      for (const warning of valid.warnings) this.#warn(entry.id, warning);
      this.emit('entry-create', entry);
      await this.runner.enqueue(entry.id);
      return entry;
    } catch (error) {
      await this.#deleteKeys(stored);
      throw error;
    }
  }

  /** One entry, or `null` when it does not exist or belongs to another owner. */
  async get(id: string, scope: OwnerScope = {}): Promise<GalleryEntry | null> {
    checkId(id);
    const owner = checkOwner(scope.owner);
    const entry = await this.store.get(id);
    if (!entry || (owner !== undefined && entry.owner !== owner)) return null;
    return entry;
  }

  /** Entries, newest first by default, with filters, prompt search and cursor pagination. */
  async list(query: Partial<ListQuery> = {}): Promise<ListResult> {
    if (typeof query !== 'object' || query === null) throw new GalleryError('invalid_input', 'list: query must be an object.', { retryable: false });
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new GalleryError('invalid_input', `limit: must be a whole number from 1 to 100 (got ${JSON.stringify(limit)}).`, { field: 'limit', retryable: false });
    if (query.status !== undefined) {
      if (!Array.isArray(query.status) || query.status.some((s) => !JOB_STATUSES.includes(s))) {
        throw new GalleryError('invalid_input', `status: must be a list of ${JOB_STATUSES.join(', ')}.`, { field: 'status', retryable: false });
      }
    }
    if (query.sort !== undefined && query.sort !== 'newest' && query.sort !== 'oldest') throw new GalleryError('invalid_input', 'sort: must be "newest" or "oldest".', { field: 'sort', retryable: false });
    if (query.visibility !== undefined && query.visibility !== 'draft' && query.visibility !== 'published') throw new GalleryError('invalid_input', 'visibility: must be "draft" or "published".', { field: 'visibility', retryable: false });
    if (query.favorite !== undefined && typeof query.favorite !== 'boolean') throw new GalleryError('invalid_input', 'favorite: must be true or false.', { field: 'favorite', retryable: false });
    if (query.q !== undefined && (typeof query.q !== 'string' || query.q.length > 500)) throw new GalleryError('invalid_input', 'q: must be a string of at most 500 characters.', { field: 'q', retryable: false });
    if (query.cursor !== undefined && typeof query.cursor !== 'string') throw new GalleryError('invalid_input', 'cursor: must be the nextCursor of a previous page.', { field: 'cursor', retryable: false });
    const q: ListQuery = { ...query, limit, sort: query.sort ?? 'newest' };
    const owner = checkOwner(query.owner);
    if (owner === undefined) delete q.owner;
    else q.owner = owner;
    if (q.q === '') delete q.q;
    return this.store.list(q);
  }

  /** Changes `favorite`, `caption` or `visibility`; job state is untouched. */
  async update(id: string, patch: UpdatePatch, scope: OwnerScope = {}): Promise<GalleryEntry> {
    if (typeof patch !== 'object' || patch === null) throw new GalleryError('invalid_input', 'update: patch must be an object.', { retryable: false });
    const allowed = new Set(['favorite', 'caption', 'visibility']);
    for (const key of Object.keys(patch)) {
      if (!allowed.has(key)) throw new GalleryError('invalid_input', `${key}: cannot be changed; only favorite, caption and visibility can.`, { field: key, retryable: false });
    }
    const clean: Partial<GalleryEntry> = {};
    if (patch.favorite !== undefined) {
      if (typeof patch.favorite !== 'boolean') throw new GalleryError('invalid_input', 'favorite: must be true or false.', { field: 'favorite', retryable: false });
      clean.favorite = patch.favorite;
    }
    if (patch.caption !== undefined) {
      if (patch.caption !== null && (typeof patch.caption !== 'string' || patch.caption.length > MAX_CAPTION)) {
        throw new GalleryError('invalid_input', `caption: must be a string of at most ${MAX_CAPTION} characters, or null.`, { field: 'caption', retryable: false });
      }
      clean.caption = patch.caption;
    }
    if (patch.visibility !== undefined) {
      if (patch.visibility !== 'draft' && patch.visibility !== 'published') throw new GalleryError('invalid_input', 'visibility: must be "draft" or "published".', { field: 'visibility', retryable: false });
      clean.visibility = patch.visibility;
    }
    return this.#mutate(id, scope, () => clean);
  }

  /** Deletes the entry with its video, thumbnail and input images. Cancels the job first if it is running. */
  async delete(id: string, scope: OwnerScope = {}): Promise<void> {
    const entry = await this.get(id, scope);
    if (!entry) throw new GalleryError('not_found', `No entry ${id}.`, { retryable: false });
    if (!TERMINAL.has(entry.status) && entry.task !== null) await this.#cancelAtProvider(entry);
    const keys = [entry.video?.key, entry.thumbnail?.key, ...[entry.request.image, entry.request.lastFrame].map((i) => (i && 'key' in i ? i.key : undefined))];
    await this.#deleteKeys(keys.filter((k): k is string => typeof k === 'string'), true);
    await this.store.delete(id);
    this.#outputs.delete(id);
    this.emit('entry-delete', entry);
  }

  /** Re-queues a `failed` or `cancelled` job (a new paid submission). */
  async retry(id: string, scope: OwnerScope = {}): Promise<GalleryEntry> {
    const entry = await this.#apply(id, scope, () => ({ type: 'retry', at: this.#iso() }));
    await this.runner.enqueue(id);
    return entry;
  }

  /**
   * Cancels a job that has not reached the download. The provider is asked to cancel too where it can;
   * `providerCancelled` says whether it did (when it cannot, the task is still recorded on the entry).
   */
  async cancel(id: string, scope: OwnerScope = {}): Promise<GalleryEntry & { providerCancelled: boolean }> {
    const before = await this.get(id, scope);
    if (!before) throw new GalleryError('not_found', `No entry ${id}.`, { retryable: false });
    const entry = await this.#apply(id, scope, () => ({ type: 'cancel', at: this.#iso() }));
    const providerCancelled = entry.task !== null ? await this.#cancelAtProvider(entry) : true;
    this.#outputs.delete(id);
    return { ...entry, providerCancelled };
  }

  /** Hands every unfinished job in the store to the runner (after a restart). Returns how many. */
  async resume(): Promise<number> {
    const active = await this.store.listActive();
    for (const entry of active) await this.runner.enqueue(entry.id);
    return active.length;
  }

  /** Asks the runner to look at a job now (for example after a verified webhook). */
  async poke(id: string): Promise<void> {
    await this.runner.enqueue(checkId(id));
  }

  /** Listens to every entry change. Returns the function that stops listening. */
  subscribe(listener: (change: GalleryChange) => void): () => void {
    const onCreate = (entry: GalleryEntry) => listener({ type: 'create', entry });
    const onUpdate = (entry: GalleryEntry) => listener({ type: 'update', entry });
    const onDelete = (entry: GalleryEntry) => listener({ type: 'delete', entry });
    this.on('entry-create', onCreate).on('entry-update', onUpdate).on('entry-delete', onDelete);
    return () => {
      this.off('entry-create', onCreate).off('entry-update', onUpdate).off('entry-delete', onDelete);
    };
  }

  /** Stops the runner (jobs stay in the store to resume) and closes the store. */
  async close(): Promise<void> {
    await this.runner.close();
    await this.store.close?.();
  }

  // ---------------------------------------------------------------- the job engine

  /** Advances one job by one step. Called by the runner; safe to call from any process. */
  async step(id: string, options: { signal?: AbortSignal } = {}): Promise<StepResult> {
    let entry = await this.store.get(id);
    if (!entry || TERMINAL.has(entry.status)) return { next: 'done' };
    const provider = this.#providers.get(entry.request.provider);
    if (!provider) {
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: { code: 'unsupported', message: `Provider ${entry.request.provider} is not configured in this process.`, retryable: true } }, true);
      return { next: 'done' };
    }
    try {
      switch (entry.status) {
        case 'queued': {
          const timeoutMs = this.#poll.timeoutMs ?? defaultTimeoutMs(this.#capabilities(entry)?.typicalLatencySeconds);
          entry = await this.#persist(entry, { type: 'submit', at: this.#iso(), deadlineAt: new Date(this.#now() + timeoutMs).toISOString() });
          return await this.#submit(entry, provider, true, options.signal);
        }
        case 'submitting':
          return await this.#submit(entry, provider, false, options.signal);
        case 'generating':
          return await this.#poll_(entry, provider, options.signal);
        case 'downloading':
          return await this.#download(entry, provider, options.signal);
        case 'processing':
          await this.#process(entry);
          return { next: 'done' };
        default:
          return { next: 'done' };
      }
    } catch (error) {
      if (GalleryError.isInstance(error) && error.code === 'conflict') {
        // Someone else changed the entry (a cancel, another worker): look again with fresh state.
        const fresh = await this.store.get(id);
        return !fresh || TERMINAL.has(fresh.status) ? { next: 'done' } : { next: 'again', delayMs: 0 };
      }
      throw error;
    }
  }

  async #submit(entry: GalleryEntry, provider: VideoProvider, fresh: boolean, signal?: AbortSignal): Promise<StepResult> {
    const request = await this.#providerRequest(entry, signal);
    const submitKey = entry.idempotencyKey ?? `${entry.id}:${entry.attempt}`;
    if (!fresh) {
      // Found in `submitting`: an earlier process may or may not have reached the provider. Give a start that may
      // still be in flight elsewhere time to record its task before deciding it was interrupted.
      const waitMs = Date.parse(entry.updatedAt) + this.#submitGraceMs - this.#now();
      if (waitMs > 0) return { next: 'again', delayMs: waitMs };
      if (!provider.lookup) {
        await this.#persist(entry, {
          type: 'fail', at: this.#iso(),
          error: {
            code: 'provider_error', retryable: true,
            message: `The submission to ${provider.id} was interrupted and ${provider.id} cannot look tasks up, so it is unknown whether a task was started (and billed). Check the provider's console; retry() starts a new task.`,
          },
        });
        return { next: 'done' };
      }
      let found;
      try {
        found = await provider.lookup(submitKey, { signal, request, submittedAt: entry.updatedAt });
      } catch (error) {
        if (signal?.aborted && isAbortError(error)) throw error;
        const e = GalleryError.from(error);
        if (e.retryable && e.code !== 'conflict') return this.#transient(entry, e);
        await this.#persist(entry, {
          type: 'fail', at: this.#iso(),
          error: { code: 'provider_error', retryable: true, message: `The submission to ${provider.id} was interrupted and looking the task up failed (${e.message}); it is unknown whether a task was started (and billed). Check the provider's console; retry() starts a new task.` },
        });
        return { next: 'done' };
      }
      if (found) {
        await this.#persist(entry, { type: 'accept', at: this.#iso(), task: found.task });
        return { next: 'again', delayMs: backoffDelay(0, this.#pollFor(entry), this.#random) };
      }
    }
    let started;
    try {
      started = await pRetry(() => provider.start(request, { signal, idempotencyKey: submitKey }), {
        ...this.#retry,
        signal,
        // Only retry what cannot have created a task: the provider refused it (rate limit).
        shouldRetry: ({ error }) => GalleryError.isInstance(error) && error.code === 'rate_limited',
      });
    } catch (error) {
      if (signal?.aborted && isAbortError(error)) throw error;
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: GalleryError.from(error).toJSON() });
      return { next: 'done' };
    }
    try {
      await this.#persist(entry, { type: 'accept', at: this.#iso(), task: started.task, warnings: started.warnings });
    } catch (error) {
      // Cancelled while start was in flight: keep the task on the entry so it is not lost, and cancel it.
      const fresh = await this.store.get(entry.id);
      if (fresh && fresh.status === 'cancelled') {
        const updated = await this.store.update(fresh.id, { task: started.task }, { expectVersion: fresh.version });
        this.emit('entry-update', updated, fresh);
        await this.#cancelAtProvider(updated);
        return { next: 'done' };
      }
      throw error;
    }
    for (const warning of started.warnings) this.#warn(entry.id, warning);
    return { next: 'again', delayMs: backoffDelay(0, this.#pollFor(entry), this.#random) };
  }

  async #poll_(entry: GalleryEntry, provider: VideoProvider, signal?: AbortSignal): Promise<StepResult> {
    if (entry.deadlineAt && this.#now() >= Date.parse(entry.deadlineAt)) {
      await this.#cancelAtProvider(entry);
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: { code: 'timeout', message: `${provider.id} did not finish before the deadline (${entry.deadlineAt}).`, retryable: true } });
      return { next: 'done' };
    }
    let status;
    try {
      status = await pRetry(() => provider.status(entry.task, { signal }), {
        ...this.#retry,
        signal,
        shouldRetry: ({ error }) => GalleryError.isInstance(error) && error.retryable && error.code !== 'rate_limited',
      });
    } catch (error) {
      if (signal?.aborted && isAbortError(error)) throw error;
      return this.#transient(entry, GalleryError.from(error));
    }
    if (status.state === 'pending') {
      const patch: Partial<GalleryEntry> = { polls: entry.polls + 1, transientErrors: 0 };
      if (typeof status.progress === 'number' && Number.isFinite(status.progress)) patch.progress = Math.min(1, Math.max(0, status.progress));
      const delayMs = backoffDelay(entry.polls + 1, this.#pollFor(entry), this.#random, status.retryAfterMs);
      patch.nextRunAt = new Date(this.#now() + delayMs).toISOString();
      await this.#write(entry, patch);
      return { next: 'again', delayMs };
    }
    if (status.state === 'failed') {
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: status.error.toJSON() });
      return { next: 'done' };
    }
    if (status.outputs.length === 0) {
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: { code: 'provider_error', message: `${provider.id} reported success without a video.`, retryable: true } });
      return { next: 'done' };
    }
    this.#outputs.set(entry.id, status.outputs);
    const persisted = status.outputs.map((o) => (o.expiresAt === undefined ? { url: o.url ?? null } : { url: o.url ?? null, expiresAt: o.expiresAt }));
    const next = await this.#persist(entry, { type: 'succeed', at: this.#iso(), outputs: persisted, ...(status.usage === undefined ? {} : { usage: status.usage }) });
    // Download at once: provider URLs expire.
    return this.#download(next, provider, signal);
  }

  async #transient(entry: GalleryEntry, error: GalleryError): Promise<StepResult> {
    const limit = this.#poll.maxTransientErrors ?? DEFAULT_POLL.maxTransientErrors;
    if (!error.retryable || entry.transientErrors + 1 >= limit) {
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: error.toJSON() });
      return { next: 'done' };
    }
    const delayMs = backoffDelay(entry.transientErrors + 1, this.#pollFor(entry), this.#random, error.retryAfterMs);
    await this.#write(entry, { transientErrors: entry.transientErrors + 1, nextRunAt: new Date(this.#now() + delayMs).toISOString() });
    this.#logger.warn(`video-gallery: ${entry.id}: ${error.code}: ${error.message} (will try again in ${delayMs} ms)`);
    return { next: 'again', delayMs };
  }

  async #download(entry: GalleryEntry, provider: VideoProvider, signal?: AbortSignal): Promise<StepResult> {
    let outputs = this.#outputs.get(entry.id);
    if (!outputs) {
      // Resumed in another process: headers and openers are never persisted, so ask the provider again.
      let status;
      try {
        status = await provider.status(entry.task, { signal });
      } catch (error) {
        if (signal?.aborted && isAbortError(error)) throw error;
        return this.#transient(entry, GalleryError.from(error));
      }
      if (status.state !== 'succeeded' || status.outputs.length === 0) {
        const error = status.state === 'failed' ? status.error.toJSON() : { code: 'expired' as const, message: `${provider.id} no longer has the result of this task.`, retryable: true };
        await this.#persist(entry, { type: 'fail', at: this.#iso(), error });
        return { next: 'done' };
      }
      outputs = status.outputs;
    }
    const output = outputs[0]!;
    // The extension is nominal (most providers deliver MP4); `contentType` on the entry is authoritative.
    const key = `videos/${entry.id}.mp4`;
    let result;
    try {
      result = await rehost({
        output, storage: this.storage, key, downloader: this.#downloader(provider),
        maxBytes: this.#maxVideoBytes, ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted && isAbortError(error)) throw error;
      const e = GalleryError.from(error, 'download_failed');
      this.#outputs.delete(entry.id);
      await this.#persist(entry, { type: 'fail', at: this.#iso(), error: e.toJSON() });
      return { next: 'done' };
    }
    const video: StoredVideo = { key, contentType: result.contentType, bytes: result.bytes, durationSeconds: null, width: null, height: null };
    this.#outputs.delete(entry.id);
    const next = await this.#persist(entry, { type: 'store', at: this.#iso(), video });
    await this.#process(next);
    return { next: 'done' };
  }

  async #process(entry: GalleryEntry): Promise<void> {
    const video = { ...entry.video! };
    let thumbnail: StoredThumbnail | null = null;
    const warnings: Warning[] = [];
    if (this.#media) {
      const source = await this.#mediaSource(video.key, video.bytes);
      try {
        const probe = await this.#media.probe(source);
        video.durationSeconds = probe.durationSeconds;
        video.width = probe.width;
        video.height = probe.height;
      } catch (error) {
        warnings.push({ type: 'other', message: `Could not probe the video: ${GalleryError.from(error).message}` });
      }
      try {
        const d = video.durationSeconds ?? entry.request.durationSeconds;
        const atSeconds = d >= 2 ? 1 : d / 2;
        const thumb = await this.#media.thumbnail(source, { atSeconds, width: this.#thumbnailWidth });
        const key = `thumbnails/${entry.id}.jpg`;
        await this.storage.put(key, thumb.data, { contentType: thumb.contentType });
        thumbnail = { key, contentType: thumb.contentType, width: thumb.width, height: thumb.height };
      } catch (error) {
        warnings.push({ type: 'thumbnail-failed', message: `Could not make a thumbnail: ${GalleryError.from(error).message}` });
      }
    }
    for (const warning of warnings) this.#warn(entry.id, warning);
    await this.#persist(entry, { type: 'finish', at: this.#iso(), video, thumbnail, warnings });
  }

  async #mediaSource(key: string, size: number): Promise<MediaSource> {
    const withPath = this.storage as { pathOf?: (key: string) => string };
    if (typeof withPath.pathOf === 'function') return { path: withPath.pathOf(key) };
    return {
      size,
      open: async () => {
        const object = await this.storage.get(key);
        if (!object) throw new GalleryError('storage_failed', `The stored video ${key} is missing.`);
        return object.body;
      },
    };
  }

  async #providerRequest(entry: GalleryEntry, signal?: AbortSignal): Promise<ProviderRequest> {
    const r = entry.request;
    const request: ProviderRequest = {
      model: r.model, mode: r.lastFrame ? 'first-last-frame' : r.image ? 'image' : 'text', prompt: r.prompt,
      aspectRatio: r.aspectRatio, resolution: r.resolution, durationSeconds: r.durationSeconds,
    };
    if (r.negativePrompt !== undefined) request.negativePrompt = r.negativePrompt;
    if (r.seed !== undefined) request.seed = r.seed;
    if (r.audio !== undefined) request.audio = r.audio;
    if (r.image) request.image = await this.#loadImage(r.image, signal);
    if (r.lastFrame) request.lastFrame = await this.#loadImage(r.lastFrame, signal);
    return request;
  }

  async #loadImage(image: StoredImage, signal?: AbortSignal): Promise<ProviderImage> {
    if ('url' in image) {
      // The provider may fetch it itself; bytes are loaded for providers that need them inline.
      const response = await fetch(image.url, signal ? { signal } : {});
      if (!response.ok || !response.body) throw new GalleryError('invalid_input', `image: could not read ${image.url} (HTTP ${response.status}).`, { field: 'image', retryable: false });
      const data = await readAll(response.body, this.#maxImageBytes);
      return { data, mediaType: response.headers.get('content-type')?.split(';')[0] ?? 'image/png', url: image.url };
    }
    const object = await this.storage.get(image.key, signal ? { signal } : {});
    if (!object) throw new GalleryError('storage_failed', `The input image ${image.key} is missing from storage.`);
    return { data: await readAll(object.body, this.#maxImageBytes), mediaType: image.mediaType };
  }

  async #storeImage(id: string, name: string, image: ImageInput, signal: AbortSignal | undefined, stored: string[]): Promise<StoredImage> {
    if ('url' in image) return { url: image.url };
    const ext = IMAGE_EXTENSIONS[image.mediaType] ?? 'bin';
    const key = `inputs/${id}/${name}.${ext}`;
    const size = image.data instanceof Uint8Array ? image.data.byteLength : image.data.size;
    if (size > this.#maxImageBytes) throw new GalleryError('invalid_input', `${name}: the image is ${size} bytes; at most ${this.#maxImageBytes} are accepted.`, { field: name === 'image' ? 'image' : 'lastFrame', retryable: false });
    stored.push(key);
    await this.storage.put(key, image.data, { contentType: image.mediaType, maxBytes: this.#maxImageBytes, ...(signal ? { signal } : {}) });
    return { key, mediaType: image.mediaType };
  }

  async #cancelAtProvider(entry: GalleryEntry): Promise<boolean> {
    const provider = this.#providers.get(entry.request.provider);
    if (!provider?.cancel || entry.task === null) return false;
    try {
      return (await provider.cancel(entry.task)).cancelled;
    } catch (error) {
      this.#logger.warn(`video-gallery: ${entry.id}: could not cancel the task at ${provider.id}: ${GalleryError.from(error).message}`);
      return false;
    }
  }

  async #deleteKeys(keys: string[], strict = false): Promise<void> {
    const results = await Promise.allSettled(keys.map((key) => this.storage.delete(key)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed && strict) throw new GalleryError('storage_failed', `Could not delete stored files: ${GalleryError.from(failed.reason).message}`, { cause: failed.reason });
  }

  // ---------------------------------------------------------------- persistence

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /** The poll schedule for an entry: the first wait scales with the model's fastest typical latency unless set. */
  #pollFor(entry: GalleryEntry): PollOptions {
    if (this.#poll.initialDelayMs !== undefined) return this.#poll;
    const fastest = this.#capabilities(entry)?.typicalLatencySeconds?.[0];
    if (fastest === undefined) return this.#poll;
    return { ...this.#poll, initialDelayMs: Math.min(DEFAULT_POLL.initialDelayMs, Math.max(250, (fastest * 1000) / 4)) };
  }

  #capabilities(entry: GalleryEntry): ModelCapabilities | undefined {
    return this.#providers.get(entry.request.provider)?.models().find((m) => m.id === entry.request.model);
  }

  /** Applies an event through the state machine and persists it before anything else happens. */
  async #persist(entry: GalleryEntry, event: JobEvent, quiet = false): Promise<GalleryEntry> {
    const patch = transition(entry, event);
    const updated = await this.#write(entry, patch);
    if (TERMINAL.has(updated.status)) {
      this.emit('job-end', updated);
      if (updated.status === 'failed' && !quiet) this.#logger.warn(`video-gallery: ${updated.id} failed: ${updated.error?.code}: ${updated.error?.message}`);
    }
    return updated;
  }

  async #write(entry: GalleryEntry, patch: Partial<GalleryEntry>): Promise<GalleryEntry> {
    const updated = await this.store.update(entry.id, patch, { expectVersion: entry.version });
    this.emit('entry-update', updated, entry);
    return updated;
  }

  /** Reads, checks the owner, applies a state machine event, writes; retries on a concurrent change. */
  async #apply(id: string, scope: OwnerScope, event: (entry: GalleryEntry) => JobEvent): Promise<GalleryEntry> {
    for (let attempt = 0; ; attempt++) {
      const entry = await this.get(id, scope);
      if (!entry) throw new GalleryError('not_found', `No entry ${id}.`, { retryable: false });
      try {
        return await this.#persist(entry, event(entry), true);
      } catch (error) {
        if (attempt < 5 && GalleryError.isInstance(error) && error.code === 'conflict' && error.name !== 'InvalidTransitionError') continue;
        throw error;
      }
    }
  }

  async #mutate(id: string, scope: OwnerScope, patch: (entry: GalleryEntry) => Partial<GalleryEntry>): Promise<GalleryEntry> {
    for (let attempt = 0; ; attempt++) {
      const entry = await this.get(id, scope);
      if (!entry) throw new GalleryError('not_found', `No entry ${id}.`, { retryable: false });
      try {
        return await this.#write(entry, patch(entry));
      } catch (error) {
        if (attempt < 5 && GalleryError.isInstance(error) && error.code === 'conflict') continue;
        throw error;
      }
    }
  }

  #warn(entryId: string, warning: Warning): void {
    this.#logger.warn(`video-gallery: ${entryId}: ${warning.message}`);
    this.emit('warning', { ...warning, entryId });
  }
}


