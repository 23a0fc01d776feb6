import type { GenerateRequest, ImageInput, JobStatus } from '../contracts/entry.js';
import { TERMINAL_STATUSES } from '../contracts/entry.js';
import type { ListQuery } from '../contracts/entry-store.js';
import { GalleryError } from '../errors.js';
import type { UpdatePatch } from '../gallery.js';
import type { CapabilitiesResponse, GalleryEntryJson, ListResponse } from '../server/shapes.js';
import { EventStream, type ConnectionState, type EventSourceConstructor, type ReconnectOptions } from './events.js';
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, Http, type FetchLike, type HeadersOption, type RetryOptions } from './http.js';
import type { SseMessage } from './sse.js';

/** Options of `new RemoteGallery(...)`. Every field is optional. */
export interface RemoteGalleryOptions {
  /** Where the gallery handler is mounted: absolute (`https://example.com/api/gallery`) or relative to the page. Default `'/api/gallery'`. */
  baseUrl?: string;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Extra headers on every request, or a function returning them (called per request), e.g. `() => ({ Authorization: `Bearer ${token()}` })`. */
  headers?: HeadersOption;
  /** Whether cookies go with requests. Default `'same-origin'`; use `'include'` for a gallery on another origin. */
  credentials?: RequestCredentials;
  /**
   * An `EventSource` constructor to read the live stream with. Default: none, the stream is read with `fetch`
   * (which also sends `headers` and `Last-Event-ID`). An EventSource cannot send custom headers, so use it only
   * with cookie authentication.
   */
  EventSource?: EventSourceConstructor;
  /** Retries of idempotent requests on network errors and 408/429/5xx. A number sets `limit`; `false` turns retries off. Default `{ limit: 2, delayMs: 300, maxDelayMs: 10000 }`. */
  retry?: number | RetryOptions | false;
  /** Time limit per attempt until the response headers arrive, ms; `false` for none. Default `30000`. */
  timeoutMs?: number | false;
  /** Reconnection of the live stream. Default `{ initialDelayMs: <server's retry: or 1000>, maxDelayMs: 30000, idleTimeoutMs: 45000 }`. */
  reconnect?: ReconnectOptions;
  /** Random number in [0, 1) for reconnect jitter. Injectable for tests. Default `Math.random`. */
  random?: () => number;
}

/** An image as RemoteGallery accepts it: a `Blob`/`File` or bytes with their type (uploaded as multipart), or a public URL (only when the server sets `allowImageUrls`). */
export type RemoteImageInput = Blob | ImageInput;

/** A generation request as RemoteGallery accepts it; `image` and `lastFrame` may be `File`s from an `<input type="file">`. */
export interface RemoteGenerateRequest extends Omit<GenerateRequest, 'image' | 'lastFrame'> {
  image?: RemoteImageInput;
  lastFrame?: RemoteImageInput;
}

/** Options of `RemoteGallery.generate`. */
export interface RemoteGenerateOptions {
  /** Sent as `Idempotency-Key`: the same key returns the same entry instead of a second paid job. Default: a fresh `crypto.randomUUID()` per call (which also makes retries of this call safe). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Options every other request method takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** A list query as the HTTP API takes it (the server decides the owner). */
export type RemoteListQuery = Omit<Partial<ListQuery>, 'owner'>;

/** An entry as the API returns it: a `GalleryEntry` without provider internals (`task`, `outputs`). */
export type RemoteEntry = GalleryEntryJson;

/** A change to one entry, as `subscribe` listeners see it (the shape of `VideoGallery`'s `GalleryChange`). */
export interface RemoteChange {
  type: 'create' | 'update' | 'delete';
  entry: RemoteEntry;
}

/** Typed events of a `RemoteGallery`, fed by the server's event stream (same names as `VideoGallery`'s). */
export interface RemoteGalleryEvents {
  /** A new entry was accepted (`queued`). */
  'entry-create': [entry: RemoteEntry];
  /** An entry changed. `previous` is the last version this client saw on the stream, or `null`. */
  'entry-update': [entry: RemoteEntry, previous: RemoteEntry | null];
  'entry-delete': [entry: RemoteEntry];
  /** A job reached `ready`, `failed` or `cancelled`. */
  'job-end': [entry: RemoteEntry];
  /**
   * Changes may have been missed (the server could not replay them after a reconnect): reload what is shown,
   * for example with `list()`. Listening to it does not open the stream.
   */
  reset: [];
  /** The live stream connected, dropped, is reconnecting, or stopped. Listening to it does not open the stream. */
  connection: [state: ConnectionState];
}

type EventName = keyof RemoteGalleryEvents;
type Listener<K extends EventName> = (...args: RemoteGalleryEvents[K]) => void;
/** Listeners of different events share one map; each is only ever called with its own event's arguments. */
type AnyListener = (...args: unknown[]) => void;

/** Events whose listeners keep the stream open. */
const STREAM_EVENTS = new Set<EventName>(['entry-create', 'entry-update', 'entry-delete', 'job-end']);
/** Event names the server's stream carries. */
const SERVER_EVENTS = ['create', 'update', 'delete', 'reset'] as const;
const TERMINAL = new Set<JobStatus>(TERMINAL_STATUSES);
const MAX_KNOWN = 2000;
const MAX_ETAGS = 500;

function resolveRetry(option: RemoteGalleryOptions['retry']): Required<RetryOptions> {
  return { ...DEFAULT_RETRY, ...(option === false ? { limit: 0 } : typeof option === 'number' ? { limit: option } : option) };
}

function idOf(entry: { id: string } | string): string {
  const id = typeof entry === 'string' ? entry : entry?.id;
  if (typeof id !== 'string' || !id) throw new GalleryError('invalid_input', 'id: pass an entry or a non-empty entry id.', { field: 'id', retryable: false });
  return id;
}

function entryPath(id: string, suffix = ''): string {
  return `/generations/${encodeURIComponent(id)}${suffix}`;
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

function asBlob(image: RemoteImageInput): Blob | null {
  if (isBlob(image)) return image;
  if ('data' in image) return isBlob(image.data) ? image.data : new Blob([new Uint8Array(image.data)], { type: image.mediaType });
  return null;
}

function randomKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function readJson<T>(response: Response, what: string): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new GalleryError('storage_failed', `${what}: the answer was not JSON: check that baseUrl points at the gallery handler.`, { cause: error, status: response.status });
  }
}

/**
 * The browser's typed client of the gallery HTTP API (`createGalleryHandler` from `@video-gallery/core/server`),
 * with the read / write / subscribe surface of `VideoGallery`. Every call is scoped to the signed-in owner by
 * the server. Live changes arrive over Server-Sent Events while anyone listens (`subscribe` or `on`).
 *
 * ```ts
 * const gallery = new RemoteGallery({ baseUrl: '/api/gallery' });
 * const entry = await gallery.generate({ prompt: 'A paper boat at sunset', durationSeconds: 4 });
 * gallery.on('job-end', (e) => { if (e.id === entry.id) video.src = gallery.videoUrl(e); });
 * ```
 */
export class RemoteGallery {
  readonly baseUrl: string;
  readonly #http: Http;
  readonly #stream: EventStream;
  readonly #listeners = new Map<EventName, Set<AnyListener>>();
  readonly #changeListeners = new Set<(change: RemoteChange) => void>();
  /** Last version of each entry seen on the stream: for `previous`, `job-end` and dropping replays. */
  readonly #known = new Map<string, RemoteEntry>();
  readonly #etags = new Map<string, { etag: string; entry: RemoteEntry }>();
  #capabilities: Promise<CapabilitiesResponse> | null = null;
  #connection: ConnectionState = { status: 'closed', attempt: 0 };

  constructor(options: RemoteGalleryOptions = {}) {
    this.baseUrl = options.baseUrl ?? '/api/gallery';
    if (typeof this.baseUrl !== 'string' || this.baseUrl.length === 0) {
      throw new GalleryError('invalid_input', 'baseUrl: set it to where the gallery handler is mounted, e.g. "/api/gallery".', { field: 'baseUrl', retryable: false });
    }
    const fetchImpl = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
    this.#http = new Http({
      baseUrl: this.baseUrl,
      fetch: fetchImpl,
      headers: options.headers,
      credentials: options.credentials ?? 'same-origin',
      retry: resolveRetry(options.retry),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    this.#stream = new EventStream({
      http: this.#http,
      path: '/events',
      eventNames: SERVER_EVENTS,
      EventSource: options.EventSource,
      reconnect: {
        initialDelayMs: options.reconnect?.initialDelayMs,
        maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
        idleTimeoutMs: options.reconnect?.idleTimeoutMs ?? 45_000,
      },
      random: options.random ?? Math.random,
      onMessage: (message) => this.#onMessage(message),
      onState: (state) => {
        this.#connection = state;
        this.#emit('connection', state);
      },
    });
  }

  /** State of the live stream. */
  get connection(): ConnectionState {
    return this.#connection;
  }

  // ---------------------------------------------------------------- requests

  /** Providers and their models' capabilities (fetched once, then cached; `refresh: true` fetches again). */
  capabilities(options: RequestOptions & { refresh?: boolean } = {}): Promise<CapabilitiesResponse> {
    if (!this.#capabilities || options.refresh) {
      const pending = this.#json<CapabilitiesResponse>({ method: 'GET', path: '/capabilities', idempotent: true, signal: options.signal });
      this.#capabilities = pending;
      pending.catch(() => {
        if (this.#capabilities === pending) this.#capabilities = null;
      });
    }
    return this.#capabilities;
  }

  /**
   * Starts a generation and returns the `queued` entry. With a `Blob`/`File` (or bytes) image the request is
   * uploaded as `multipart/form-data`; otherwise it goes as JSON. Always sends an `Idempotency-Key`, so
   * retrying is safe.
   */
  async generate(request: RemoteGenerateRequest, options: RemoteGenerateOptions = {}): Promise<RemoteEntry> {
    if (typeof request !== 'object' || request === null) throw new GalleryError('invalid_input', 'generate: pass a request object with at least a prompt.', { retryable: false });
    const idempotencyKey = options.idempotencyKey ?? randomKey();
    const { image, lastFrame, ...fields } = request;
    const imageBlob = image === undefined ? null : asBlob(image);
    const lastFrameBlob = lastFrame === undefined ? null : asBlob(lastFrame);
    const headers = { 'Idempotency-Key': idempotencyKey };
    const signal = options.signal;
    if (imageBlob || lastFrameBlob) {
      if ((image !== undefined && !imageBlob) || (lastFrame !== undefined && !lastFrameBlob)) {
        throw new GalleryError('invalid_input', 'image: upload both images or pass both as URLs, not one of each.', { field: image !== undefined && !imageBlob ? 'image' : 'lastFrame', retryable: false });
      }
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) {
        if (value !== undefined && value !== null) form.set(name, String(value));
      }
      if (imageBlob) form.set('image', imageBlob, fileName(imageBlob, 'image'));
      if (lastFrameBlob) form.set('lastFrame', lastFrameBlob, fileName(lastFrameBlob, 'last-frame'));
      return this.#json({ method: 'POST', path: '/generations', form, headers, idempotent: true, signal });
    }
    return this.#json({ method: 'POST', path: '/generations', json: request, headers, idempotent: true, signal });
  }

  /** One entry, or `null` when it does not exist or belongs to someone else. Revalidates with `If-None-Match`. */
  async get(id: string, options: RequestOptions = {}): Promise<RemoteEntry | null> {
    const key = idOf(id);
    const cached = this.#etags.get(key);
    const response = await this.#http.send({
      method: 'GET', path: entryPath(key), idempotent: true, passStatuses: [304, 404], signal: options.signal,
      ...(cached ? { headers: { 'If-None-Match': cached.etag } } : {}),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      this.#etags.delete(key);
      return null;
    }
    if (response.status === 304 && cached) return cached.entry;
    const entry = await readJson<RemoteEntry>(response, `GET ${entryPath(key)}`);
    const etag = response.headers.get('etag');
    this.#etags.delete(key);
    if (etag) {
      this.#etags.set(key, { etag, entry });
      if (this.#etags.size > MAX_ETAGS) this.#etags.delete(this.#etags.keys().next().value!);
    }
    return entry;
  }

  /** A page of entries, newest first by default: `{ items, total, nextCursor }`. */
  async list(query: RemoteListQuery = {}, options: RequestOptions = {}): Promise<ListResponse<RemoteEntry>> {
    const params = new URLSearchParams();
    for (const key of ['limit', 'cursor', 'status', 'q', 'favorite', 'visibility', 'sort'] as const) {
      // An array (status) as a comma-separated list; an empty value (no status, no search) is no filter.
      const value = `${query[key] ?? ''}`;
      if (value) params.set(key, value);
    }
    return this.#json({ method: 'GET', path: '/generations', query: params, idempotent: true, signal: options.signal });
  }

  /** Changes `favorite`, `caption` or `visibility`. */
  update(id: string, patch: UpdatePatch, options: RequestOptions = {}): Promise<RemoteEntry> {
    return this.#json({ method: 'PATCH', path: entryPath(idOf(id)), json: patch, idempotent: true, signal: options.signal });
  }

  /** Deletes the entry with its video and thumbnail. */
  async delete(id: string, options: RequestOptions = {}): Promise<void> {
    const key = idOf(id);
    const response = await this.#http.send({ method: 'DELETE', path: entryPath(key), idempotent: true, passStatusesOnRetry: [404], signal: options.signal });
    await response.body?.cancel();
    this.#etags.delete(key);
  }

  /** Re-queues a `failed` or `cancelled` job (a new paid submission). */
  retry(id: string, options: RequestOptions = {}): Promise<RemoteEntry> {
    return this.#json({ method: 'POST', path: entryPath(idOf(id), '/retry'), idempotent: false, signal: options.signal });
  }

  /** Cancels a job that has not reached the download; `providerCancelled` says whether the provider stopped too. */
  cancel(id: string, options: RequestOptions = {}): Promise<RemoteEntry & { providerCancelled: boolean }> {
    return this.#json({ method: 'POST', path: entryPath(idOf(id), '/cancel'), idempotent: false, signal: options.signal });
  }

  /**
   * URL of the entry's video, for `<video src>` or a link (the browser sends cookies, not `headers`, with those).
   * Given an entry, the URL carries `?v=<attempt>`, which the server caches for a year; `download: true` asks
   * for an attachment named after the prompt.
   */
  videoUrl(entry: Pick<RemoteEntry, 'id' | 'attempt'> | string, options: { download?: boolean } = {}): string {
    return this.#http.url(entryPath(idOf(entry), '/video'), mediaQuery(entry, options.download === true));
  }

  /** URL of the entry's thumbnail (with `?v=<attempt>`), or `null` when it has none (not ready yet, or the thumbnail failed). */
  thumbnailUrl(entry: Pick<RemoteEntry, 'id' | 'attempt' | 'thumbnail'>): string | null {
    if (!entry.thumbnail) return null;
    return this.#http.url(entryPath(idOf(entry), '/thumbnail'), mediaQuery(entry, false));
  }

  // ---------------------------------------------------------------- live changes

  /** Listens to every change of the owner's entries. The stream opens with the first listener and closes after the last. */
  subscribe(listener: (change: RemoteChange) => void): () => void {
    const wrapped = (change: RemoteChange) => listener(change);
    this.#changeListeners.add(wrapped);
    this.#updateStream();
    return () => {
      if (this.#changeListeners.delete(wrapped)) this.#updateStream();
    };
  }

  /** Adds a listener. Entry events open the live stream while they have listeners. */
  on<K extends EventName>(event: K, listener: Listener<K>): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    if (STREAM_EVENTS.has(event)) this.#updateStream();
    return this;
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends EventName>(event: K, listener: Listener<K>): this {
    const wrapper = ((...args: RemoteGalleryEvents[K]) => {
      this.off(event, wrapper);
      listener(...args);
    }) as Listener<K>;
    return this.on(event, wrapper);
  }

  /** Removes a listener (`listener` omitted: all of that event's). */
  off<K extends EventName>(event: K, listener?: Listener<K>): this {
    const set = this.#listeners.get(event);
    if (!set) return this;
    if (listener) set.delete(listener as unknown as AnyListener);
    else set.clear();
    if (set.size === 0) this.#listeners.delete(event);
    if (STREAM_EVENTS.has(event)) this.#updateStream();
    return this;
  }

  /** Number of listeners of an event. */
  listenerCount(event: EventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener and closes the live stream. */
  close(): void {
    this.#listeners.clear();
    this.#changeListeners.clear();
    this.#updateStream();
  }

  #updateStream(): void {
    let wanted = this.#changeListeners.size > 0;
    for (const event of STREAM_EVENTS) if ((this.#listeners.get(event)?.size ?? 0) > 0) wanted = true;
    if (wanted && !this.#stream.running) this.#stream.start();
    if (!wanted && this.#stream.running) {
      this.#stream.stop();
      this.#known.clear();
    }
  }

  #emit<K extends EventName>(event: K, ...args: RemoteGalleryEvents[K]): void {
    callAll(this.#listeners.get(event), args);
  }

  #change(change: RemoteChange): void {
    callAll(this.#changeListeners, [change]);
  }

  #onMessage(message: SseMessage): void {
    if (message.event === 'reset') {
      this.#known.clear();
      this.#emit('reset');
      return;
    }
    const change = parseChange(message);
    if (!change) return;
    const { type, entry } = change;
    const previous = this.#known.get(entry.id) ?? null;
    if (type === 'delete') {
      this.#known.delete(entry.id);
      this.#etags.delete(entry.id);
      this.#change(change);
      this.#emit('entry-delete', entry);
      return;
    }
    // A replay after a reconnect, or an event older than one already seen: nothing new.
    if (previous && previous.version >= entry.version) return;
    this.#known.delete(entry.id);
    this.#known.set(entry.id, entry);
    if (this.#known.size > MAX_KNOWN) this.#known.delete(this.#known.keys().next().value!);
    this.#change({ type, entry });
    if (type === 'create') this.#emit('entry-create', entry);
    else this.#emit('entry-update', entry, previous);
    if (TERMINAL.has(entry.status) && (!previous || !TERMINAL.has(previous.status))) this.#emit('job-end', entry);
  }

  async #json<T>(request: Parameters<Http['send']>[0]): Promise<T> {
    return readJson<T>(await this.#http.send(request), `${request.method} ${request.path}`);
  }
}

function fileName(blob: Blob, fallback: string): string {
  const name = (blob as Blob & { name?: unknown }).name;
  return typeof name === 'string' && name ? name : fallback;
}

function mediaQuery(entry: { attempt?: unknown } | string, download: boolean): URLSearchParams {
  const query = new URLSearchParams();
  if (typeof entry === 'object' && typeof entry.attempt === 'number') query.set('v', String(entry.attempt));
  if (download) query.set('download', '1');
  return query;
}

/** Calls each listener (a copy of the set: listeners may remove themselves); one that throws does not stop the others. */
function callAll(listeners: Set<AnyListener> | Set<(change: RemoteChange) => void> | undefined, args: unknown[]): void {
  for (const listener of [...(listeners ?? [])]) {
    try {
      (listener as AnyListener)(...args);
    } catch (error) {
      // Reported as uncaught, after the others ran.
      setTimeout(() => {
        throw error;
      });
    }
  }
}

/** Reads one stream message as a change: `event: create|update|delete`, data `{ type, entry }` (or the bare entry). */
function parseChange(message: SseMessage): RemoteChange | null {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const record = data as { type?: unknown; entry?: unknown };
  const entry = (typeof record.entry === 'object' && record.entry !== null ? record.entry : data) as RemoteEntry;
  const type = typeof record.type === 'string' ? record.type : message.event;
  const normalized = type.replace(/^entry-/, '');
  if (normalized !== 'create' && normalized !== 'update' && normalized !== 'delete') return null;
  if (typeof entry.id !== 'string' || typeof entry.status !== 'string') return null;
  return { type: normalized, entry };
}
