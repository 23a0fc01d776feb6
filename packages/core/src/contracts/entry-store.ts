import type { GalleryEntry, JobStatus, Visibility } from './entry.js';

export interface ListQuery {
  /** Only this owner's entries. `undefined` lists every owner's (server-side use only). */
  owner?: string | null;
  status?: JobStatus[];
  /** Case-insensitive substring of the prompt, matched literally (no wildcards). */
  q?: string;
  favorite?: boolean;
  visibility?: Visibility;
  sort?: 'newest' | 'oldest';
  /** 1..100. */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface ListResult {
  items: GalleryEntry[];
  /** How many entries match the filters, across all pages. */
  total: number;
  nextCursor: string | null;
}

/** Where entries live. Every write checks the version it was given (optimistic concurrency). */
export interface EntryStore {
  readonly name: string;
  /** Throws `conflict` when the id, or the owner + idempotency key, exists already. */
  insert(entry: GalleryEntry): Promise<void>;
  get(id: string): Promise<GalleryEntry | null>;
  /**
   * Applies `patch`, sets `version` to `expectVersion + 1` and `updatedAt`, and returns the new entry.
   * Throws `conflict` when the stored version differs, `not_found` when the entry is gone.
   */
  update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }): Promise<GalleryEntry>;
  /** Idempotent. */
  delete(id: string): Promise<void>;
  list(query: ListQuery): Promise<ListResult>;
  findByIdempotencyKey(owner: string | null, key: string): Promise<GalleryEntry | null>;
  /** Every entry in a non-terminal state, for resume. */
  listActive(): Promise<GalleryEntry[]>;
  close?(): Promise<void>;
}
