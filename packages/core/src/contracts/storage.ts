/** Object metadata. */
export interface ObjectInfo {
  /** Total size in bytes. */
  size: number;
  contentType: string;
  etag?: string;
  lastModified?: Date;
}

/** A stored object being read. `body` streams; it covers `range` when one was asked for. */
export interface StoredObject extends ObjectInfo {
  body: ReadableStream<Uint8Array>;
  /** The inclusive byte range `body` holds, when a range was asked for. */
  range?: { start: number; end: number };
}

export type BlobBody = ReadableStream<Uint8Array> | Uint8Array | Blob;

export interface PutOptions {
  contentType: string;
  signal?: AbortSignal;
  /** Refuse to store more than this many bytes (`storage_failed` / the caller's own code). */
  maxBytes?: number;
}

export interface GetOptions {
  /** Inclusive byte range; `end` left out reads to the end. */
  range?: { start: number; end?: number };
  signal?: AbortSignal;
}

/**
 * Where videos and thumbnails live. Keys are relative paths of `[A-Za-z0-9._-]` segments joined by `/`.
 * A `put` is atomic: readers see the old object or the whole new one, never a part.
 */
export interface BlobStorage {
  readonly name: string;
  put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag?: string }>;
  get(key: string, options?: GetOptions): Promise<StoredObject | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** A public or signed URL for the object, or `null` when this storage has none. */
  url?(key: string, options?: { expiresInSeconds?: number; downloadName?: string }): Promise<string | null>;
}
