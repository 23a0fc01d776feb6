// File descriptors for reads: the callback API, and opening a key's file only once no link leads it out of the root.
import { close as closeFdCallback, existsSync, fstat as fstatCallback, open as openCallback, read as readCallback, readlinkSync, type BigIntStats } from 'node:fs';
import { escapeError, isInside, realInside } from './paths.js';

// Reads use plain file descriptors with the callback API: on Node 20 a FileHandle (a transferable object) and the
// promise wrappers cost about as much CPU as the I/O itself for a small range read.
export function openFd(file: string): Promise<number> {
  return new Promise((resolve, reject) => openCallback(file, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));
}

export function fstatFd(fd: number): Promise<BigIntStats> {
  return new Promise((resolve, reject) => fstatCallback(fd, { bigint: true }, (error, stats) => (error ? reject(error) : resolve(stats))));
}

export function readFd(fd: number, buffer: Uint8Array, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => readCallback(fd, buffer, 0, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
}

export function closeFd(fd: number): void {
  closeFdCallback(fd, () => {});
}

/**
 * Where Linux says an open descriptor leads (`/proc/self/fd/<fd>`): the real path of the very file that was opened,
 * with every link resolved, in one cheap syscall and with no window between the check and the open. `null` where
 * procfs is not there (other systems, some sandboxes): callers then resolve the path with `realpath` instead.
 */
export const procFd = process.platform === 'linux' && existsSync('/proc/self/fd') ? (fd: number): string | null => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
} : null;

/**
 * Opens `target` for reading once it is known to really be inside `realRoot` (no link leads out): on Linux by
 * asking where the open descriptor leads, elsewhere by resolving the path next to the open. `null` when there is
 * nothing there; `forbidden` when a link leads out; the descriptor is never returned unchecked. (`linkOf` is
 * `procFd` unless a test passes `null` to take the other way.)
 */
export async function openInside(realRoot: string, target: string, key: string, linkOf: ((fd: number) => string | null) | null = procFd): Promise<number | null> {
  if (linkOf) {
    const fd = await openFd(target);
    const link = linkOf(fd);
    if (link !== null) {
      if (isInside(realRoot, link)) return fd;
      closeFd(fd);
      throw escapeError(key, link, realRoot);
    }
    closeFd(fd); // procfs did not answer: check the path as elsewhere
  }
  // The symlink check and the open run side by side (one round trip to the thread pool instead of two); the
  // descriptor is only read once the check passed, and closed unread otherwise.
  const [checked, opened] = await Promise.allSettled([realInside(realRoot, target, key), openFd(target)]);
  if (checked.status === 'rejected' || checked.value === null) {
    if (opened.status === 'fulfilled') closeFd(opened.value);
    if (checked.status === 'rejected') throw checked.reason;
    return null;
  }
  if (opened.status === 'rejected') throw opened.reason;
  return opened.value;
}
