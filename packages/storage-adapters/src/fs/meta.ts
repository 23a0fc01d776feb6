// Content-type sidecars for the filesystem adapter.
//
// The object itself is a plain file at `<root>/<key>` (so ffmpeg, a static file server or a backup tool can use it
// as it is). Its content type lives in a small JSON sidecar whose NAME is the identity of the data file it
// describes: `<root>/.vg-meta/<hh>/<sha256(key)>/<identity>.json`, where identity = inode, mtime (ns) and size.
// A put writes the sidecar for its temporary data file first (a rename keeps the inode and mtime) and only then
// renames the data into place. A reader stats the data file it opened and looks up the sidecar for exactly that
// identity, so it can never pair new data with old metadata or old data with new metadata; concurrent puts each
// bring their own sidecar, and whichever data file wins the last rename finds its own.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isMissing, META_DIR } from './paths.js';

/** Identity of one data file version: inode, modification time in ns and size (base 36). Rename keeps all three. */
export function fileIdentity(stats: BigIntStats): string {
  return `${stats.ino.toString(36)}-${stats.mtimeNs.toString(36)}-${stats.size.toString(36)}`;
}

export function etagOf(identity: string): string {
  return `"${identity}"`;
}

/** The directory holding the sidecars of `key`. */
export function metaDirOf(root: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex');
  return path.join(root, META_DIR, hash.slice(0, 2), hash);
}

export function metaFileOf(root: string, key: string, identity: string): string {
  return path.join(metaDirOf(root, key), `${identity}.json`);
}

export interface Sidecar {
  v: 1;
  key: string;
  contentType: string;
  size: number;
}

/** Writes `contents` to `tmp` (optionally fsynced) and renames it to `file`, creating its directory; retries when a concurrent delete removed the directory in between. */
export async function writeFileAtomic(tmp: string, file: string, contents: string, fsync: boolean): Promise<void> {
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(contents, 'utf8');
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
  for (let attempt = 0; ; attempt++) {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await rename(tmp, file);
      return;
    } catch (error) {
      if (!isMissing(error) || attempt >= 4) throw error;
    }
  }
}

/** Reads the content type recorded for exactly this data file version, or `null` when there is no sidecar for it. */
export async function readSidecarType(root: string, key: string, identity: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(metaFileOf(root, key, identity), 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Sidecar>;
    return typeof parsed.contentType === 'string' && parsed.contentType.length > 0 ? parsed.contentType : null;
  } catch {
    return null; // a damaged sidecar counts as none
  }
}

const BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', mkv: 'video/x-matroska',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif',
  json: 'application/json', txt: 'text/plain; charset=utf-8', mp3: 'audio/mpeg', m4a: 'audio/mp4', wav: 'audio/wav',
};

/** The content type used for a file that has no sidecar (for example one copied into the root by hand). */
export function guessContentType(key: string): string {
  const dot = key.lastIndexOf('.');
  const slash = key.lastIndexOf('/');
  if (dot <= slash + 1) return 'application/octet-stream';
  return BY_EXTENSION[key.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}
