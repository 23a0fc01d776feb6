import { randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, unlink, access, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  abortErrorFor, assertContentType, assertMaxBytes, bodyChunks, GalleryError, READ_CHUNK_BYTES, resolveRange, throwIfAborted,
  type BlobBody, type BlobStorage, type GetOptions, type ObjectInfo, type PutOptions, type StoredObject,
} from '@video-gallery/core';
import { normalisePublicBaseUrl } from '../shared/public-base-url.js';
import { etagOf, fileIdentity, guessContentType, metaDirOf, metaFileOf, readSidecarType, writeFileAtomic, type Sidecar } from './meta.js';
import type { BigIntStats } from 'node:fs';
import { closeFd, fstatFd, openInside, readFd } from './fd.js';
import { checkAncestors, checkRealSync, errnoCode, escapeError, isInside, isInsideOrSame, isMissing, keyPath, realInside, TMP_DIR } from './paths.js';

export { isInside, resolveInside } from './paths.js';

/** Options of `createFsStorage`. */
export interface FsStorageOptions {
  /** Required. The directory objects live in (created on the first put). Relative paths resolve against `process.cwd()`. */
  root: string;
  /**
   * Where `root` is served over HTTP, for `url()`: an absolute `http(s)` URL or a path starting with `/`
   * (a trailing `/` is added when missing). Default: none, so `url()` returns `null` and the HTTP handler streams
   * objects itself.
   */
  publicBaseUrl?: string;
  /** Flush each object (and its sidecar) to disk before it becomes visible, so a power cut cannot leave a torn file. Default `true`. */
  fsync?: boolean;
}

/** A filesystem `BlobStorage`, plus `pathOf` for tools that want a local file (ffmpeg). */
export interface FsStorage extends BlobStorage {
  readonly name: 'fs';
  /** The absolute root directory. */
  readonly root: string;
  /** Always returns the new object's etag. */
  put(key: string, body: BlobBody, options: PutOptions): Promise<{ bytes: number; etag: string }>;
  /** `publicBaseUrl` + the URL-encoded key, or `null` when no `publicBaseUrl` was given. Does not check that the object exists. */
  url(key: string, options?: { expiresInSeconds?: number; downloadName?: string }): Promise<string | null>;
  /**
   * The absolute path of the file holding `key` (whether or not it exists yet). Validates the key like every other
   * method and refuses (`forbidden`) a path that a symbolic link would lead out of the root. Read it, never write it:
   * writes must go through `put` to stay atomic.
   */
  pathOf(key: string): string;
}

/** Sidecars of replaced versions younger than this are left alone: they may belong to a put that is about to commit. */
const STALE_SIDECAR_MS = 60_000;
/** Temporary files older than this are left-overs of a crashed process and are swept on the first put. */
const STALE_TMP_MS = 24 * 60 * 60 * 1000;
/** Error codes that will not go away by trying again. */
const PERMANENT = new Set(['EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'EEXIST', 'ENOTEMPTY', 'ELOOP']);

function storageError(what: string, error: unknown): GalleryError {
  if (GalleryError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GalleryError('storage_failed', `${what} failed: ${message}`, { cause: error, retryable: !PERMANENT.has(errnoCode(error) ?? '') });
}

function normaliseBaseUrl(value: unknown): string | undefined {
  return normalisePublicBaseUrl(value, "'https://cdn.example.com/videos/' or '/media/'");
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * Creates a blob storage on the local filesystem. Each object is a plain file at `<root>/<key>`; its content type is
 * kept in a sidecar under `<root>/.vg-meta/`, and puts stream through `<root>/.vg-tmp/` (keys whose first segment
 * starts with `.vg-` are reserved).
 *
 * - `put` streams the body to a temporary file (never holding it in memory), flushes it (`fsync`), writes the
 *   sidecar, then renames it into place: readers see the old object or the whole new one. An aborted put rejects
 *   with `GalleryError('cancelled')` (`'timeout'` for a timeout signal) and a body over `maxBytes` with
 *   `GalleryError('storage_failed')` (not retryable); either way the temporary file is removed and the old object
 *   stays. Concurrent puts to one key end with one whole object and its own content type.
 * - `get` streams the whole object or an inclusive byte range; a range starting past the end throws `invalid_input`.
 *   A body that is being read keeps the version it opened, even when the key is overwritten or deleted meanwhile.
 * - `etag` is strong: `"<inode>-<mtime ns>-<size>"` (base 36); it is stable while the file is untouched and changes
 *   on every put.
 * - Keys are checked with `assertValidKey`, must resolve strictly inside the root, and a symbolic link leading out of
 *   the root is refused with `forbidden`.
 *
 * @example
 * const storage = createFsStorage({ root: './.video-gallery/blobs' });
 * await storage.put('videos/a.mp4', fileStream, { contentType: 'video/mp4', maxBytes: 500 * 1024 * 1024 });
 * const head = await storage.head('videos/a.mp4'); // { size, contentType: 'video/mp4', etag, lastModified }
 */
export function createFsStorage(options: FsStorageOptions): FsStorage {
  if (typeof options?.root !== 'string' || options.root.length === 0 || options.root.includes('\0')) {
    throw new GalleryError('invalid_input', 'root: pass the directory to store objects in, for example createFsStorage({ root: "./.video-gallery/blobs" }).', { field: 'root', retryable: false });
  }
  const root = path.resolve(options.root);
  const publicBaseUrl = normaliseBaseUrl(options.publicBaseUrl);
  const fsync = options.fsync ?? true;
  const tmpDir = path.join(root, TMP_DIR);
  let realRootCache: string | null = null;
  let swept = false;

  /** The real path of the root, or `null` when it does not exist yet. */
  async function realRoot(): Promise<string | null> {
    if (realRootCache !== null) return realRootCache;
    try {
      realRootCache = await realpath(root);
      return realRootCache;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Removes temporary files a crashed process left behind; once per storage instance, best effort. */
  async function sweepTmpOnce(): Promise<void> {
    if (swept) return;
    swept = true;
    const cutoff = Date.now() - STALE_TMP_MS;
    for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
      const file = path.join(tmpDir, name);
      const info = await stat(file).catch(() => null);
      if (info && info.mtimeMs < cutoff) await rm(file, { force: true }).catch(() => {});
    }
  }

  /** Renames the finished temporary file to `target`, creating (checked) parent directories. */
  async function commitData(tmp: string, target: string, key: string, real: string): Promise<void> {
    const parent = path.dirname(target);
    for (let attempt = 0; ; attempt++) {
      let realParent = await checkAncestors(real, root, parent, key);
      if (realParent === null) {
        try {
          await mkdir(parent, { recursive: true });
        } catch (error) {
          const code = errnoCode(error);
          if (code === 'ENOTDIR' || code === 'EEXIST') {
            throw new GalleryError('storage_failed', `Cannot store ${JSON.stringify(key)}: one of its parent segments is already an object (a file), so it cannot be a directory on the filesystem. Use a key that does not nest under an existing object.`, { cause: error, retryable: false });
          }
          throw error;
        }
        realParent = await checkAncestors(real, root, parent, key);
        if (realParent === null) continue; // removed again by a concurrent delete
      }
      try {
        await rename(tmp, path.join(realParent, path.basename(target)));
        return;
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
          throw new GalleryError('storage_failed', `Cannot store ${JSON.stringify(key)}: a directory exists at that path because other objects are stored under "${key}/". Use another key.`, { cause: error, retryable: false });
        }
        if (!isMissing(error) || attempt >= 4) throw error;
      }
    }
  }

  /** Removes sidecars of replaced versions (older than STALE_SIDECAR_MS), keeping `keep`. Best effort. */
  async function pruneSidecars(key: string, keep: Set<string>): Promise<void> {
    const dir = metaDirOf(root, key);
    const cutoff = Date.now() - STALE_SIDECAR_MS;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (keep.has(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => null);
      if (info && info.mtimeMs < cutoff) await unlink(file).catch(() => {});
    }
  }

  /**
   * Content types by key + file identity. An identity names one immutable version of the data (inode, mtime ns,
   * size), so a cached type can never be paired with other bytes; it saves reading the sidecar on every get/head.
   */
  const typeCache = new Map<string, string>();
  const TYPE_CACHE_SIZE = 1000;

  async function describe(key: string, stats: BigIntStats): Promise<ObjectInfo> {
    const identity = fileIdentity(stats);
    const cacheKey = `${key}\n${identity}`;
    let contentType = typeCache.get(cacheKey);
    if (contentType === undefined) {
      const sidecarType = await readSidecarType(root, key, identity);
      if (sidecarType !== null) {
        if (typeCache.size >= TYPE_CACHE_SIZE) typeCache.delete(typeCache.keys().next().value as string);
        typeCache.set(cacheKey, sidecarType);
      }
      contentType = sidecarType ?? guessContentType(key);
    }
    return { size: Number(stats.size), contentType, etag: etagOf(identity), lastModified: new Date(Number(stats.mtimeMs)) };
  }

  function fileBody(fd: number, start: number, stop: number, signal: AbortSignal | undefined, what: string): ReadableStream<Uint8Array> {
    let position = start;
    let closed = false;
    let reading = false;
    let fdOpen = true;
    const releaseFd = (): void => {
      if (!fdOpen) return;
      fdOpen = false;
      closeFd(fd);
    };
    const close = (): void => {
      if (closed) return;
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      // Never close a descriptor a read is still using: its number could be reused by another open meanwhile.
      if (!reading) releaseFd();
    };
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
    function onAbort(): void {
      if (signal) controllerRef?.error(abortErrorFor(signal, what));
      close();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controllerRef = controller;
      },
      async pull(controller) {
        if (closed) return;
        const length = Math.min(READ_CHUNK_BYTES, stop - position);
        if (length <= 0) {
          close();
          controller.close();
          return;
        }
        const buffer = new Uint8Array(length);
        let bytesRead: number;
        reading = true;
        try {
          bytesRead = await readFd(fd, buffer, length, position);
        } catch (error) {
          reading = false;
          if (closed) {
            releaseFd(); // aborted meanwhile; the stream is already errored
            return;
          }
          close();
          controller.error(storageError(what, error));
          return;
        }
        reading = false;
        if (closed) {
          releaseFd();
          return;
        }
        if (bytesRead === 0) {
          close();
          controller.error(new GalleryError('storage_failed', `${what} failed: the file ended at byte ${position}, before the ${stop} bytes it had when opened. Something outside this storage truncated it.`));
          return;
        }
        position += bytesRead;
        controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      },
      cancel() {
        close();
      },
    }, { highWaterMark: 0 });
  }

  const storage: FsStorage = {
    name: 'fs',
    root,

    async put(key: string, body: BlobBody, putOptions: PutOptions): Promise<{ bytes: number; etag: string }> {
      const target = keyPath(root, key);
      assertContentType(putOptions?.contentType);
      assertMaxBytes(putOptions.maxBytes);
      const { signal, contentType } = putOptions;
      const what = `put ${JSON.stringify(key)}`;
      throwIfAborted(signal, what);

      let tmp: string | null = null;
      let sidecarFile: string | null = null;
      let committed = false;
      try {
        await mkdir(tmpDir, { recursive: true });
        const real = await realRoot();
        if (real === null) throw new GalleryError('storage_failed', `${what} failed: the root ${JSON.stringify(root)} disappeared.`);
        await sweepTmpOnce();
        tmp = path.join(tmpDir, `${randomUUID()}.part`);
        const handle = await open(tmp, 'wx');
        let bytes = 0;
        let stats: BigIntStats;
        try {
          for await (const chunk of bodyChunks(body, { key, signal, maxBytes: putOptions.maxBytes, what })) {
            await writeAll(handle, chunk);
            bytes += chunk.byteLength;
          }
          if (fsync) await handle.datasync();
          stats = await handle.stat({ bigint: true });
        } finally {
          await handle.close();
        }
        throwIfAborted(signal, what);

        const identity = fileIdentity(stats);
        const sidecar: Sidecar = { v: 1, key, contentType, size: bytes };
        const sidecarJson = JSON.stringify(sidecar);
        sidecarFile = metaFileOf(root, key, identity);
        await writeFileAtomic(path.join(tmpDir, `${randomUUID()}.json`), sidecarFile, sidecarJson, fsync);
        throwIfAborted(signal, what);

        await commitData(tmp, target, key, real);
        committed = true;

        // A concurrent delete may have removed our sidecar between its write and our rename: put it back.
        const ownName = path.basename(sidecarFile);
        try {
          await access(sidecarFile);
        } catch {
          await writeFileAtomic(path.join(tmpDir, `${randomUUID()}.json`), sidecarFile, sidecarJson, fsync).catch(() => {});
        }
        const current = await stat(target, { bigint: true }).catch(() => null);
        const keep = new Set([ownName]);
        if (current) keep.add(`${fileIdentity(current)}.json`);
        await pruneSidecars(key, keep);
        return { bytes, etag: etagOf(identity) };
      } catch (error) {
        if (!committed) {
          if (tmp !== null) await rm(tmp, { force: true }).catch(() => {});
          if (sidecarFile !== null) await rm(sidecarFile, { force: true }).catch(() => {});
        }
        throw storageError(what, error);
      }
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<StoredObject | null> {
      const target = keyPath(root, key);
      const { signal } = getOptions;
      const what = `get ${JSON.stringify(key)}`;
      throwIfAborted(signal, what);
      let fd: number;
      try {
        const real = await realRoot();
        if (real === null) return null;
        const opened = await openInside(real, target, key);
        if (opened === null) return null;
        fd = opened;
      } catch (error) {
        if (isMissing(error) || errnoCode(error) === 'EISDIR') return null;
        throw storageError(what, error);
      }
      try {
        const stats = await fstatFd(fd);
        if (!stats.isFile()) {
          closeFd(fd);
          return null;
        }
        const info = await describe(key, stats);
        const range = getOptions.range ? resolveRange(getOptions.range, info.size, key) : undefined;
        throwIfAborted(signal, what);
        const object: StoredObject = {
          ...info,
          body: fileBody(fd, range ? range.start : 0, range ? range.end + 1 : info.size, signal, what),
        };
        if (range) object.range = range;
        return object;
      } catch (error) {
        closeFd(fd);
        throw storageError(what, error);
      }
    },

    async head(key: string): Promise<ObjectInfo | null> {
      const target = keyPath(root, key);
      try {
        const real = await realRoot();
        if (real === null) return null;
        const file = await realInside(real, target, key);
        if (file === null) return null;
        const stats = await stat(file, { bigint: true });
        return stats.isFile() ? await describe(key, stats) : null;
      } catch (error) {
        if (isMissing(error)) return null;
        throw storageError(`head ${JSON.stringify(key)}`, error);
      }
    },

    async delete(key: string): Promise<void> {
      const target = keyPath(root, key);
      const what = `delete ${JSON.stringify(key)}`;
      try {
        const real = await realRoot();
        if (real === null) return;
        const parent = path.dirname(target);
        let realParent: string | null = null;
        try {
          realParent = await realpath(parent);
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
        if (realParent !== null) {
          if (!isInsideOrSame(real, realParent)) throw escapeError(key, realParent, real);
          try {
            await unlink(path.join(realParent, path.basename(target)));
          } catch (error) {
            const code = errnoCode(error);
            // Missing, or a directory (other objects live under this key): there is no object to delete.
            const isDirectory = (code === 'EISDIR' || code === 'EPERM') && (await lstat(path.join(realParent, path.basename(target))).catch(() => null))?.isDirectory() === true;
            if (!isMissing(error) && !isDirectory) throw error;
          }
        }
        // Data first, then its sidecars: a reader never sees the data without its content type.
        await rm(metaDirOf(root, key), { recursive: true, force: true });
        // Remove parent directories left empty (a concurrent put into one of them retries its mkdir).
        for (let dir = parent; isInside(root, dir); dir = path.dirname(dir)) {
          try {
            await rmdir(dir);
          } catch {
            break;
          }
        }
      } catch (error) {
        throw storageError(what, error);
      }
    },

    async url(key: string): Promise<string | null> {
      keyPath(root, key);
      if (publicBaseUrl === undefined) return null;
      return publicBaseUrl + key.split('/').map(encodeURIComponent).join('/');
    },

    pathOf(key: string): string {
      const target = keyPath(root, key);
      checkRealSync(root, target, key);
      return target;
    },
  };
  return storage;
}
