import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { assertValidKey, GalleryError } from '@video-gallery/core';

/** First key segments the filesystem adapter keeps for itself (temporary files and metadata). */
export const RESERVED_PREFIX = '.vg-';
export const TMP_DIR = '.vg-tmp';
export const META_DIR = '.vg-meta';

/**
 * True when `candidate` is strictly inside `parent` (both absolute and normalised). Compares against
 * `parent + path.sep`, so `/data/videos-evil/x` is not inside `/data/videos`.
 */
export function isInside(parent: string, candidate: string): boolean {
  const prefix = parent.endsWith(path.sep) ? parent : parent + path.sep;
  return candidate.length > prefix.length && candidate.startsWith(prefix);
}

/** `isInside`, or the same directory. */
export function isInsideOrSame(parent: string, candidate: string): boolean {
  return candidate === parent || isInside(parent, candidate);
}

/**
 * Joins a relative path onto `root` and checks, lexically, that the result stays strictly inside it.
 * Throws `invalid_input` otherwise. `assertValidKey` already rules out every escaping key; this is the second fence.
 */
export function resolveInside(root: string, relative: string): string {
  const resolved = path.resolve(root, ...relative.split('/'));
  if (!isInside(root, resolved)) {
    throw new GalleryError('invalid_input', `Invalid storage key ${JSON.stringify(relative).slice(0, 120)}: it resolves to ${JSON.stringify(resolved)}, which is outside the storage root ${JSON.stringify(root)}.`, { field: 'key', retryable: false });
  }
  return resolved;
}

/**
 * Validates a key for the filesystem adapter (`assertValidKey`, no reserved `.vg-*` first segment) and returns the
 * absolute path it names under `root`.
 */
export function keyPath(root: string, key: unknown): string {
  assertValidKey(key);
  const first = key.split('/', 1)[0] ?? '';
  if (first.startsWith(RESERVED_PREFIX)) {
    throw new GalleryError('invalid_input', `Invalid storage key ${JSON.stringify(key).slice(0, 120)}: first segments starting with '${RESERVED_PREFIX}' are reserved by the filesystem storage for its temporary files and metadata. Use another name.`, { field: 'key', retryable: false });
  }
  return resolveInside(root, key);
}

export function escapeError(key: string, real: string, realRoot: string): GalleryError {
  return new GalleryError('forbidden', `Refused to use storage key ${JSON.stringify(key)}: a symbolic link makes it resolve to ${JSON.stringify(real)}, which is outside the storage root ${JSON.stringify(realRoot)}. Remove the link or store the files inside the root.`, { retryable: false });
}

/** The `code` of a Node system error (`'ENOENT'`, ...), if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as { code?: unknown }).code as string | undefined) : undefined;
}

/** True for the errors that mean "there is nothing at this path". */
export function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}


/**
 * Resolves the real (symlink-free) path of `target` when it exists and checks it is inside the real root.
 * Returns `null` when `target` (or the root) does not exist; throws `forbidden` when a link leads out.
 */
export async function realInside(realRoot: string, target: string, key: string): Promise<string | null> {
  let real: string;
  try {
    real = await realpath(target);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  if (!isInside(realRoot, real)) throw escapeError(key, real, realRoot);
  return real;
}

/**
 * Finds the deepest existing directory on the way from `root` to `dir` and checks its real path is inside (or is)
 * the real root, so creating the missing rest cannot follow a link out. Returns the real path of `dir` when it
 * already exists, else `null`.
 */
export async function checkAncestors(realRoot: string, root: string, dir: string, key: string): Promise<string | null> {
  let current = dir;
  for (;;) {
    try {
      const real = await realpath(current);
      if (!isInsideOrSame(realRoot, real)) throw escapeError(key, real, realRoot);
      return current === dir ? real : null;
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (current === root || !isInside(root, current)) return null;
      current = path.dirname(current);
    }
  }
}

/** Synchronous check used by `pathOf`: the existing part of `target`'s path must really be inside the root. */
export function checkRealSync(root: string, target: string, key: string): void {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch (error) {
    if (isMissing(error)) return; // no root yet, so nothing below it either
    throw error;
  }
  let current = target;
  while (isInsideOrSame(root, current)) {
    try {
      const real = realpathSync(current);
      const ok = current === target ? isInside(realRoot, real) : isInsideOrSame(realRoot, real);
      if (!ok) throw escapeError(key, real, realRoot);
      return;
    } catch (error) {
      if (!isMissing(error)) throw error;
      current = path.dirname(current);
    }
  }
}
