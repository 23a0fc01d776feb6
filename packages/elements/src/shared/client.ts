import type { GalleryEntry, GenerateRequest, JobStatus, ModelCapabilities, StoredObject, Visibility } from '@video-gallery/core';

/**
 * An entry as the elements read it: a `GalleryEntry` without provider internals. Both a `VideoGallery`'s
 * entries and a `RemoteGallery`'s (`GalleryEntryJson`) fit.
 */
export type GalleryItem = Omit<GalleryEntry, 'task' | 'outputs'>;

/** One change to an entry, as `subscribe` listeners receive it. */
export interface GalleryItemChange {
  type: 'create' | 'update' | 'delete';
  entry: GalleryItem;
}

/** Providers and their models, as `capabilities()` returns them. */
export interface GalleryCapabilities {
  defaultProvider: string;
  providers: { id: string; models: ModelCapabilities[] }[];
}

/** Filters, sort and paging of one `list` call. */
export interface GalleryListQuery {
  status?: JobStatus[];
  q?: string;
  favorite?: boolean;
  sort?: 'newest' | 'oldest';
  limit?: number;
  cursor?: string;
}

/** One page of entries. */
export interface GalleryPage {
  items: GalleryItem[];
  total: number;
  nextCursor: string | null;
}

/**
 * What the elements need from a gallery. A `VideoGallery` from `@video-gallery/core` (a gallery running in
 * the page, for demos and tests) and a `RemoteGallery` from `@video-gallery/core/client` (the HTTP API) both
 * fit, as does any object with these methods (a mock in a story).
 *
 * Media URLs come from, in order: the element's `resolveUrl` property; `videoUrl` / `thumbnailUrl` (a
 * `RemoteGallery`); `storage.url(key)` when the storage has public URLs; object URLs made from
 * `storage.get(key)` (a `VideoGallery` with in-page storage).
 */
export interface GalleryClient {
  capabilities(): GalleryCapabilities | PromiseLike<GalleryCapabilities>;
  generate(request: GenerateRequest, options?: { idempotencyKey?: string; signal?: AbortSignal }): Promise<GalleryItem>;
  list(query?: GalleryListQuery): Promise<GalleryPage>;
  update(id: string, patch: { favorite?: boolean; caption?: string | null; visibility?: Visibility }): Promise<GalleryItem>;
  delete(id: string): Promise<void>;
  retry(id: string): Promise<GalleryItem>;
  cancel?(id: string): Promise<GalleryItem>;
  subscribe(listener: (change: GalleryItemChange) => void): () => void;
  videoUrl?(entry: GalleryItem, options?: { download?: boolean }): string;
  thumbnailUrl?(entry: GalleryItem): string | null;
  storage?: {
    get(key: string): Promise<StoredObject | null>;
    url?(key: string, options?: { downloadName?: string }): Promise<string | null>;
  };
}

/** Which media of an entry a URL is wanted for. */
export type MediaKind = 'video' | 'download' | 'thumbnail';

/**
 * Returns the URL of an entry's video, download or thumbnail, or `null` when there is none. Set it as the
 * `resolveUrl` property when media live somewhere the client does not know (a CDN, signed URLs).
 */
export type ResolveUrl = (entry: GalleryItem, kind: MediaKind) => string | null | Promise<string | null>;

/**
 * Resolves and caches media URLs for one element. Object URLs it creates (from `storage.get`) are revoked
 * when an entry is forgotten or the cache is cleared.
 */
export class MediaUrls {
  readonly #urls = new Map<string, string | null>();
  readonly #pending = new Map<string, Promise<unknown>>();
  readonly #objectUrls = new Map<string, string>();
  readonly #onReady: () => void;

  /** @param onReady called when a URL that was being resolved becomes available. */
  constructor(onReady: () => void) {
    this.#onReady = onReady;
  }

  /**
   * The URL, `null` when there is none, or `undefined` while it is being resolved (`onReady` fires when
   * it is known). Cached per entry id, attempt and kind.
   */
  get(client: GalleryClient | null, resolve: ResolveUrl | undefined, entry: GalleryItem, kind: MediaKind): string | null | undefined {
    const cacheKey = `${entry.id}\n${entry.attempt}\n${kind}\n${kind === 'thumbnail' ? entry.thumbnail?.key ?? '' : entry.video?.key ?? ''}`;
    if (this.#urls.has(cacheKey)) return this.#urls.get(cacheKey);
    if (this.#pending.has(cacheKey)) return undefined;
    let result: string | null | Promise<string | null>;
    try {
      result = resolve ? resolve(entry, kind) : this.#fromClient(client, entry, kind);
    } catch {
      result = null;
    }
    if (typeof result === 'string' || result === null) {
      this.#urls.set(cacheKey, result);
      return result;
    }
    this.#pending.set(cacheKey, result.then(
      (url) => url,
      () => null,
    ).then((url) => {
      // Forgotten meanwhile (the entry was deleted or the cache cleared): object URLs are revoked there.
      if (!this.#pending.delete(cacheKey)) return;
      this.#urls.set(cacheKey, url);
      this.#onReady();
    }));
    return undefined;
  }

  /** Drops what is cached for one entry (after a delete, or a retry that makes new media). */
  forget(id: string): void {
    const prefix = `${id}\n`;
    for (const key of [...this.#urls.keys(), ...this.#pending.keys()]) {
      if (!key.startsWith(prefix)) continue;
      this.#urls.delete(key);
      this.#pending.delete(key);
    }
    for (const [key, url] of this.#objectUrls) {
      if (!key.startsWith(prefix)) continue;
      URL.revokeObjectURL(url);
      this.#objectUrls.delete(key);
    }
  }

  /** Drops everything and revokes every object URL made here. */
  clear(): void {
    this.#urls.clear();
    this.#pending.clear();
    for (const url of this.#objectUrls.values()) URL.revokeObjectURL(url);
    this.#objectUrls.clear();
  }

  #fromClient(client: GalleryClient | null, entry: GalleryItem, kind: MediaKind): string | null | Promise<string | null> {
    if (!client) return null;
    if (kind === 'thumbnail') {
      if (client.thumbnailUrl) return client.thumbnailUrl(entry);
      return entry.thumbnail ? this.#fromStorage(client, entry.id, entry.thumbnail.key, entry.thumbnail.contentType) : null;
    }
    if (client.videoUrl) return entry.video || entry.status === 'ready' ? client.videoUrl(entry, { download: kind === 'download' }) : null;
    // An object URL works for both playing and downloading (the link carries a `download` name).
    return entry.video ? this.#fromStorage(client, entry.id, entry.video.key, entry.video.contentType) : null;
  }

  async #fromStorage(client: GalleryClient, id: string, key: string, contentType: string): Promise<string | null> {
    const storage = client.storage;
    if (!storage) return null;
    const cacheKey = `${id}\n${key}`;
    const known = this.#objectUrls.get(cacheKey);
    if (known) return known;
    if (storage.url) {
      const url = await storage.url(key);
      if (url) return url;
    }
    const object = await storage.get(key);
    if (!object) return null;
    const blob = await new Response(object.body).blob();
    const url = URL.createObjectURL(new Blob([blob], { type: object.contentType || contentType }));
    const again = this.#objectUrls.get(cacheKey);
    if (again) {
      URL.revokeObjectURL(url);
      return again;
    }
    this.#objectUrls.set(cacheKey, url);
    return url;
  }
}
