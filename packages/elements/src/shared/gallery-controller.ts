import type { JobStatus } from '@video-gallery/core';
import { foldSearchText } from '@video-gallery/core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GalleryCapabilities, GalleryClient, GalleryItem, GalleryItemChange, GalleryPage } from './client.js';

/** The filters and sort of what a gallery shows. */
export interface GalleryQuery {
  /** Only entries in these states; `null` for all. */
  status: JobStatus[] | null;
  /** Only favorites. */
  favorite: boolean;
  sort: 'newest' | 'oldest';
  /** Prompt search text; `''` for none. */
  q: string;
}

/** Where loading the first page stands. */
export type GalleryLoadState = 'idle' | 'loading' | 'ready' | 'error';

/** Options of `new GalleryController(host, options)`. */
export interface GalleryControllerOptions {
  /** Entries per page, 1 to 100. Default `24`. */
  pageSize?: number;
  /** Called with each failed load (the controller also keeps it in `error`). */
  onError?: (error: unknown, action: 'load' | 'load-more' | 'capabilities') => void;
  /** Called with each page that arrived. */
  onLoad?: (page: GalleryPage) => void;
  /** Called with each change applied to the loaded entries, and the entry as it was before (if it was loaded). */
  onChange?: (change: GalleryItemChange, previous: GalleryItem | undefined) => void;
}

interface ResettableClient {
  on(event: 'reset', listener: () => void): unknown;
  off(event: 'reset', listener: () => void): unknown;
}

const DEFAULT_QUERY: GalleryQuery = { status: null, favorite: false, sort: 'newest', q: '' };

function createdMs(entry: GalleryItem): number {
  const ms = Date.parse(entry.createdAt);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * Connects a host element to a gallery client: loads pages of entries for a query, keeps them current from
 * `subscribe` (subscribed in `hostConnected`, unsubscribed in `hostDisconnected`), and asks the host to
 * render once per burst of changes (batched with `queueMicrotask`). Stale answers (an older query's page,
 * an older version of an entry) are dropped.
 */
export class GalleryController implements ReactiveController {
  /** Loaded entries, in the query's sort order. Replaced (never mutated) on every change. */
  declare items: readonly GalleryItem[];
  /** How many entries match the query on the server, loaded or not. */
  declare total: number;
  /** Cursor of the next page, or `null` when everything is loaded. */
  declare nextCursor: string | null;
  declare state: GalleryLoadState;
  /** True while a further page loads. */
  declare loadingMore: boolean;
  /** The last load error, or `null`. */
  declare error: unknown;
  /** True after loading a further page failed, until a load succeeds (infinite scroll stops meanwhile). */
  declare moreError: boolean;
  /** Providers and models, once known (for costs). */
  declare capabilities: GalleryCapabilities | null;
  /** Increases with every change of the data above. */
  declare revision: number;
  /** Entries per page (1 to 100); used from the next load on. */
  declare pageSize: number;

  readonly #host: ReactiveControllerHost;
  readonly #options: GalleryControllerOptions;
  #client: GalleryClient | null = null;
  #query: GalleryQuery = DEFAULT_QUERY;
  #connected = false;
  #unsubscribe: (() => void) | null = null;
  /** Identifies the current query's loads; an answer for an older token is stale. */
  #token = 0;
  /** Changes received while the first page loads, applied on top of it. */
  #buffer: GalleryItemChange[] | null = null;
  #queue: GalleryItemChange[] = [];
  #flushScheduled = false;
  readonly #onReset = () => void this.reload();

  constructor(host: ReactiveControllerHost, options: GalleryControllerOptions = {}) {
    // Assigned here rather than as initialised fields, which the compiler would move here anyway, with copies of
    // the private ones.
    this.items = [];
    this.total = this.revision = 0;
    this.nextCursor = this.error = this.capabilities = null;
    this.state = 'idle';
    this.loadingMore = this.moreError = false;
    this.#host = host;
    this.#options = options;
    this.pageSize = Math.min(100, Math.max(1, Math.floor(options.pageSize ?? 24)));
    host.addController(this);
  }

  /** The client entries come from. Setting another one resubscribes and reloads. */
  get client(): GalleryClient | null {
    return this.#client;
  }

  set client(client: GalleryClient | null) {
    if (client === this.#client) return;
    this.#detach();
    this.#client = client;
    this.capabilities = null;
    if (this.#connected) this.#attach();
  }

  /** The current filters and sort. */
  get query(): GalleryQuery {
    return this.#query;
  }

  /** Changes filters or sort; reloads from the first page when anything changed. */
  setQuery(patch: Partial<GalleryQuery>): void {
    const next = { ...this.#query, ...patch };
    const same = next.favorite === this.#query.favorite && next.sort === this.#query.sort && next.q === this.#query.q
      && (next.status ?? []).join() === (this.#query.status ?? []).join() && (next.status === null) === (this.#query.status === null);
    this.#query = next;
    if (!same && this.#connected && this.#client) void this.reload();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#attach();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#detach();
  }

  /** Loads the first page again (keeps what is shown until it arrives). */
  async reload(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const token = ++this.#token;
    this.state = 'loading';
    this.loadingMore = false;
    this.error = null;
    this.moreError = false;
    this.#buffer = [];
    this.#changed();
    try {
      const page = await client.list(this.#listQuery());
      if (token !== this.#token) return;
      const buffered = this.#buffer ?? [];
      this.#buffer = null;
      this.items = page.items;
      this.total = page.total;
      this.nextCursor = page.nextCursor;
      this.state = 'ready';
      for (const change of buffered) this.#apply(change);
      this.#changed();
      this.#options.onLoad?.(page);
    } catch (error) {
      if (token !== this.#token) return;
      this.#buffer = null;
      this.state = 'error';
      this.error = error;
      this.#changed();
      this.#options.onError?.(error, 'load');
    }
  }

  /** Loads the next page and appends it. Does nothing while loading or when everything is loaded. */
  async loadMore(): Promise<void> {
    const client = this.#client;
    const cursor = this.nextCursor;
    if (!client || !cursor || this.loadingMore || this.state !== 'ready') return;
    const token = this.#token;
    this.loadingMore = true;
    this.#changed();
    try {
      const page = await client.list({ ...this.#listQuery(), cursor });
      if (token !== this.#token) return;
      const known = new Set(this.items.map((item) => item.id));
      this.items = [...this.items, ...page.items.filter((item) => !known.has(item.id))];
      this.total = page.total;
      this.nextCursor = page.nextCursor;
      this.error = null;
      this.moreError = false;
      this.#options.onLoad?.(page);
    } catch (error) {
      if (token !== this.#token) return;
      this.error = error;
      this.moreError = true;
      this.#options.onError?.(error, 'load-more');
    } finally {
      if (token === this.#token) {
        this.loadingMore = false;
        this.#changed();
      }
    }
  }

  /** Takes an entry the app just got (for example from `generate`) as if it arrived as a change. */
  upsert(entry: GalleryItem): void {
    this.#enqueue({ type: this.items.some((item) => item.id === entry.id) ? 'update' : 'create', entry });
  }

  /** Removes an entry at once (after a delete this client made). */
  remove(entry: GalleryItem): void {
    this.#enqueue({ type: 'delete', entry });
  }

  /** The loaded entry with this id. */
  find(id: string): GalleryItem | undefined {
    return this.items.find((item) => item.id === id);
  }

  /** Whether an entry belongs in the current query. */
  matches(entry: GalleryItem): boolean {
    const query = this.#query;
    if (query.status && !query.status.includes(entry.status)) return false;
    if (query.favorite && !entry.favorite) return false;
    if (query.q && !foldSearchText(entry.request.prompt).includes(foldSearchText(query.q))) return false;
    return true;
  }

  /** Fetches capabilities once per client (for costs); failures leave them unknown. */
  async loadCapabilities(): Promise<GalleryCapabilities | null> {
    const client = this.#client;
    if (!client || this.capabilities) return this.capabilities;
    try {
      const capabilities = await client.capabilities();
      if (client === this.#client) {
        this.capabilities = capabilities;
        this.#changed();
      }
      return capabilities;
    } catch (error) {
      this.#options.onError?.(error, 'capabilities');
      return null;
    }
  }

  #listQuery() {
    const query = this.#query;
    return {
      limit: this.pageSize, sort: query.sort,
      ...(query.status ? { status: query.status } : {}),
      ...(query.favorite ? { favorite: true } : {}),
      ...(query.q ? { q: query.q } : {}),
    };
  }

  #attach(): void {
    const client = this.#client;
    if (!client) return;
    this.#unsubscribe = client.subscribe((change) => this.#enqueue(change));
    const resettable = client as unknown as Partial<ResettableClient>;
    if (typeof resettable.on === 'function') resettable.on('reset', this.#onReset);
    void this.reload();
    void this.loadCapabilities();
  }

  #detach(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    const resettable = this.#client as unknown as Partial<ResettableClient> | null;
    if (typeof resettable?.off === 'function') resettable.off('reset', this.#onReset);
    this.#token++;
    this.#buffer = null;
    this.#queue = [];
    if (this.state === 'loading') this.state = 'idle';
    this.loadingMore = false;
  }

  #enqueue(change: GalleryItemChange): void {
    if (this.#buffer) this.#buffer.push(change);
    else this.#queue.push(change);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      const queue = this.#queue;
      this.#queue = [];
      if (queue.length === 0) return;
      for (const change of queue) {
        const previous = this.find(change.entry.id);
        this.#apply(change);
        this.#options.onChange?.(change, previous);
      }
      this.#changed();
    });
  }

  #apply({ type, entry }: GalleryItemChange): void {
    const items = this.items.slice();
    const index = items.findIndex((item) => item.id === entry.id);
    const existing = index >= 0 ? items[index]! : undefined;
    if (type === 'delete') {
      if (existing) items.splice(index, 1);
      // An entry of a page not loaded yet was counted in `total` when it matched.
      if (existing || (this.nextCursor !== null && this.matches(entry))) this.total = Math.max(0, this.total - 1);
      this.items = items;
      return;
    }
    if (existing && entry.version < existing.version) return;
    const belongs = this.matches(entry);
    if (existing) {
      if (belongs) items[index] = entry;
      else {
        items.splice(index, 1);
        this.total = Math.max(0, this.total - 1);
      }
      this.items = items;
      return;
    }
    if (!belongs) return;
    // Insert in sort order, unless it sorts after what is loaded (a later page brings it).
    const newest = this.#query.sort === 'newest';
    const key = createdMs(entry);
    let at = items.findIndex((item) => {
      const ms = createdMs(item);
      const before = ms !== key ? ms < key : item.id < entry.id;
      return newest ? before : !before;
    });
    if (at < 0) {
      if (this.nextCursor !== null) {
        if (type === 'create') this.total++;
        return;
      }
      at = items.length;
    }
    items.splice(at, 0, entry);
    this.items = items;
    this.total++;
  }

  #changed(): void {
    this.revision++;
    this.#host.requestUpdate();
  }
}
