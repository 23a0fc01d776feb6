import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GalleryError } from '@video-gallery/core';
import { testBlobStorage } from '@video-gallery/core/testing';
import { createFsStorage, isInside, resolveInside } from './index.js';
import { fileIdentity, metaDirOf, metaFileOf } from './meta.js';

const scratch: string[] = [];
async function tempDir(prefix = 'vg-fs-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (GalleryError.isInstance(error)) return error.code;
    throw error;
  }
  return 'resolved';
}

function codeSync(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (GalleryError.isInstance(error)) return error.code;
    throw error;
  }
  return 'returned';
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

testBlobStorage({
  name: 'fs',
  create: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vg-fs-suite-'));
    return { storage: createFsStorage({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  supportsUrl: false,
});

testBlobStorage({
  name: 'fs with publicBaseUrl',
  create: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'vg-fs-suite-url-'));
    return { storage: createFsStorage({ root, publicBaseUrl: 'https://cdn.example.com/media', fsync: false }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  supportsUrl: 'public',
  largeObjectBytes: 4 * 1024 * 1024,
});

describe('fs storage: layout', () => {
  it('stores each object as a plain file at <root>/<key>, and pathOf names it', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    await storage.put('videos/abc/video.mp4', new TextEncoder().encode('hello'), { contentType: 'video/mp4' });
    const file = storage.pathOf('videos/abc/video.mp4');
    expect(file).toBe(path.join(root, 'videos', 'abc', 'video.mp4'));
    expect(await readFile(file, 'utf8')).toBe('hello');
    expect(storage.root).toBe(root);
  });

  it('resolves a relative root against the working directory and accepts a trailing separator', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root: `${path.relative(process.cwd(), root)}${path.sep}` });
    expect(storage.root).toBe(root);
    await storage.put('a.bin', new Uint8Array([1]), { contentType: 'application/octet-stream' });
    expect((await readFile(path.join(root, 'a.bin')))[0]).toBe(1);
  });

  it('creates the root on the first put; reads before that find nothing', async () => {
    const root = path.join(await tempDir(), 'not', 'yet');
    const storage = createFsStorage({ root });
    expect(await storage.head('a.bin')).toBeNull();
    expect(await storage.get('a.bin')).toBeNull();
    await storage.delete('a.bin');
    await storage.put('a.bin', new Uint8Array([7]), { contentType: 'image/png' });
    expect(await storage.head('a.bin')).toMatchObject({ size: 1, contentType: 'image/png' });
  });

  it('leaves no temporary files after successful, aborted and over-limit puts', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    await storage.put('ok.bin', new Uint8Array(10), { contentType: 'application/octet-stream' });
    const controller = new AbortController();
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++pulls === 2) controller.abort();
        c.enqueue(new Uint8Array(1024));
      },
    }, { highWaterMark: 0 });
    expect(await code(storage.put('aborted.bin', body, { contentType: 'video/mp4', signal: controller.signal }))).toBe('cancelled');
    expect(await code(storage.put('big.bin', new Blob([new Uint8Array(100)]), { contentType: 'video/mp4', maxBytes: 99 }))).toBe('storage_failed');
    expect(await readdir(path.join(root, '.vg-tmp'))).toEqual([]);
    expect((await readdir(root)).sort()).toEqual(['.vg-meta', '.vg-tmp', 'ok.bin']);
  });

  it('the first put sweeps temporary files older than a day, keeping younger ones', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, '.vg-tmp'), { recursive: true });
    const old = path.join(root, '.vg-tmp', 'crashed.part');
    const young = path.join(root, '.vg-tmp', 'in-flight.part');
    await writeFile(old, 'left over');
    await writeFile(young, 'another process is writing this');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await createFsStorage({ root }).put('a.bin', new Uint8Array(1), { contentType: 'video/mp4' });
    expect(await readdir(path.join(root, '.vg-tmp'))).toEqual(['in-flight.part']);
  });

  it('puts remove sidecars of replaced versions once they are a minute old', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root, fsync: false });
    const sidecars = async (): Promise<string[]> => (await readdir(metaDirOf(root, 'k.bin'))).sort();
    const etagA = (await storage.put('k.bin', new Uint8Array([1]), { contentType: 'video/mp4' })).etag;
    const etagB = (await storage.put('k.bin', new Uint8Array([2, 2]), { contentType: 'video/mp4' })).etag;
    const nameOf = (etag: string): string => `${etag.slice(1, -1)}.json`;
    expect(await sidecars()).toEqual([nameOf(etagA), nameOf(etagB)].sort()); // A is young: it might still be committing
    const aMinuteAgo = new Date(Date.now() - 61_000);
    await utimes(path.join(metaDirOf(root, 'k.bin'), nameOf(etagA)), aMinuteAgo, aMinuteAgo);
    const etagC = (await storage.put('k.bin', new Uint8Array([3, 3, 3]), { contentType: 'video/mp4' })).etag;
    expect(await sidecars()).toEqual([nameOf(etagB), nameOf(etagC)].sort());
    expect((await storage.head('k.bin'))?.etag).toBe(etagC);
  });

  it('a timeout signal rejects with timeout', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(10));
        controller.abort(new DOMException('too slow', 'TimeoutError'));
      },
    }, { highWaterMark: 0 });
    expect(await code(storage.put('t.bin', body, { contentType: 'video/mp4', signal: controller.signal }))).toBe('timeout');
    expect(await storage.head('t.bin')).toBeNull();
  });

  it('delete removes the sidecars and the parent directories it left empty, never the root', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    await storage.put('a/b/c/x.bin', new Uint8Array(1), { contentType: 'video/mp4' });
    await storage.put('a/keep.bin', new Uint8Array(1), { contentType: 'video/mp4' });
    await storage.delete('a/b/c/x.bin');
    expect((await readdir(path.join(root, 'a'))).sort()).toEqual(['keep.bin']);
    await storage.delete('a/keep.bin');
    expect((await readdir(root)).sort()).toEqual(['.vg-meta', '.vg-tmp']);
    const metaFiles = await readdir(path.join(root, '.vg-meta'), { recursive: true, withFileTypes: true });
    expect(metaFiles.filter((d) => d.isFile())).toEqual([]);
  });

  it('a file copied into the root by hand is served with a content type guessed from its extension', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'imported'), { recursive: true });
    await writeFile(path.join(root, 'imported', 'clip.mp4'), 'data');
    await writeFile(path.join(root, 'imported', 'blob'), 'data');
    const storage = createFsStorage({ root });
    const head = await storage.head('imported/clip.mp4');
    expect(head).toMatchObject({ size: 4, contentType: 'video/mp4' });
    expect(head?.etag).toMatch(/^"[0-9a-z-]+"$/);
    expect((await storage.head('imported/clip.mp4'))?.etag).toBe(head?.etag);
    expect((await storage.head('imported/blob'))?.contentType).toBe('application/octet-stream');
  });

  it('a reader keeps the version it opened while the key is overwritten and deleted', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    await storage.put('v.txt', new TextEncoder().encode('old version'), { contentType: 'text/plain' });
    const reading = await storage.get('v.txt');
    await storage.put('v.txt', new TextEncoder().encode('new'), { contentType: 'text/html' });
    expect(await text(reading!.body)).toBe('old version');
    expect(reading?.contentType).toBe('text/plain');
    const again = await storage.get('v.txt');
    await storage.delete('v.txt');
    expect(again?.contentType).toBe('text/html');
    expect(await text(again!.body)).toBe('new');
  });

  it('a key that names a directory is not an object; storing under an existing object fails clearly', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root });
    await storage.put('dir/inner.bin', new Uint8Array(1), { contentType: 'video/mp4' });
    expect(await storage.head('dir')).toBeNull();
    expect(await storage.get('dir')).toBeNull();
    await storage.delete('dir');
    expect(await storage.head('dir/inner.bin')).not.toBeNull();
    expect(await code(storage.put('dir', new Uint8Array(1), { contentType: 'video/mp4' }))).toBe('storage_failed');
    expect(await code(storage.put('dir/inner.bin/deeper.bin', new Uint8Array(1), { contentType: 'video/mp4' }))).toBe('storage_failed');
    expect(await readdir(path.join(root, '.vg-tmp'))).toEqual([]);
  });

  it('url() encodes the key under publicBaseUrl, adds a missing slash and accepts a root-relative base', async () => {
    const root = await tempDir();
    expect(await createFsStorage({ root, publicBaseUrl: 'https://cdn.example.com/v' }).url('a/b-c.mp4')).toBe('https://cdn.example.com/v/a/b-c.mp4');
    expect(await createFsStorage({ root, publicBaseUrl: '/media/' }).url('x.mp4')).toBe('/media/x.mp4');
    expect(await createFsStorage({ root }).url('x.mp4')).toBeNull();
    for (const publicBaseUrl of ['ftp://x/', 'not a url', '//evil.example/', 'https://x/?q=1']) {
      expect(codeSync(() => createFsStorage({ root, publicBaseUrl })), publicBaseUrl).toBe('invalid_input');
    }
    expect(codeSync(() => createFsStorage({ root: '' }))).toBe('invalid_input');
  });
});

describe('fs storage: path safety', () => {
  const vectors = ['../x', '/abs', 'a\\b', 'a\0b', 'a//b', '', '..', 'a/../../x', '../videos-evil/x', '.vg-tmp/x', '.vg-meta/x.json'];
  let base: string;
  let root: string;
  let evil: string;

  beforeAll(async () => {
    base = await tempDir('vg-fs-x-'); // plays /tmp/x
    root = path.join(base, 'videos');
    evil = path.join(base, 'videos-evil');
    await mkdir(root);
    await mkdir(evil);
    await writeFile(path.join(evil, 'victim.bin'), 'secret');
    await symlink(path.join('..', 'videos-evil'), path.join(root, 'evil')); // videos/evil -> ../videos-evil
    await symlink(path.join(evil, 'victim.bin'), path.join(root, 'victim-link.bin'));
  });

  for (const key of vectors) {
    it(`rejects ${JSON.stringify(key)} in put, get, head, delete, url and pathOf`, async () => {
      const storage = createFsStorage({ root });
      expect(await code(storage.put(key, new Uint8Array(1), { contentType: 'text/plain' }))).toBe('invalid_input');
      expect(await code(storage.get(key))).toBe('invalid_input');
      expect(await code(storage.head(key))).toBe('invalid_input');
      expect(await code(storage.delete(key))).toBe('invalid_input');
      expect(await code(storage.url(key))).toBe('invalid_input');
      expect(codeSync(() => storage.pathOf(key))).toBe('invalid_input');
    });
  }

  it('compares against root + separator, so a sibling directory sharing the prefix is outside', () => {
    expect(isInside(root, path.join(evil, 'x'))).toBe(false);
    expect(evil.startsWith(root)).toBe(true); // the trap a plain startsWith falls into
    expect(isInside(root, path.join(root, 'x'))).toBe(true);
    expect(isInside(root, root)).toBe(false);
    expect(codeSync(() => resolveInside(root, '../videos-evil/x'))).toBe('invalid_input');
    expect(codeSync(() => resolveInside(root, '..'))).toBe('invalid_input');
    expect(resolveInside(root, 'a/b')).toBe(path.join(root, 'a', 'b'));
  });

  it('refuses a symlinked directory leading into the sibling videos-evil (forbidden), touching nothing there', async () => {
    const storage = createFsStorage({ root });
    expect(await code(storage.put('evil/planted.bin', new Uint8Array(1), { contentType: 'text/plain' }))).toBe('forbidden');
    expect(await code(storage.put('evil/deeper/planted.bin', new Uint8Array(1), { contentType: 'text/plain' }))).toBe('forbidden');
    expect(await code(storage.get('evil/victim.bin'))).toBe('forbidden');
    expect(await code(storage.head('evil/victim.bin'))).toBe('forbidden');
    expect(await code(storage.delete('evil/victim.bin'))).toBe('forbidden');
    expect(codeSync(() => storage.pathOf('evil/victim.bin'))).toBe('forbidden');
    expect(codeSync(() => storage.pathOf('evil/not-there/x.bin'))).toBe('forbidden');
    expect((await readdir(evil)).sort()).toEqual(['victim.bin']);
    expect(await readFile(path.join(evil, 'victim.bin'), 'utf8')).toBe('secret');
    expect(await readdir(path.join(root, '.vg-tmp'))).toEqual([]);
  });

  it('refuses to read through a symlinked file that points outside, and replaces (not follows) it on put', async () => {
    const storage = createFsStorage({ root });
    expect(await code(storage.get('victim-link.bin'))).toBe('forbidden');
    expect(await code(storage.head('victim-link.bin'))).toBe('forbidden');
    expect(codeSync(() => storage.pathOf('victim-link.bin'))).toBe('forbidden');
    await storage.put('victim-link.bin', new TextEncoder().encode('mine'), { contentType: 'text/plain' });
    expect(await readFile(path.join(evil, 'victim.bin'), 'utf8')).toBe('secret');
    expect(await text((await storage.get('victim-link.bin'))!.body)).toBe('mine');
  });
});

describe('fs storage: data and content type stay paired', () => {
  it('a sidecar written for a version not yet renamed into place changes nothing readers see', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root, fsync: false });
    await storage.put('p/key.bin', new TextEncoder().encode('old'), { contentType: 'video/mp4' });
    const before = await storage.head('p/key.bin');
    // Recreate the instant between a put's sidecar write and its data rename.
    const pending = path.join(root, '.vg-tmp', 'pending.part');
    await writeFile(pending, 'newer data');
    const identity = fileIdentity(await stat(pending, { bigint: true }));
    await mkdir(path.dirname(metaFileOf(root, 'p/key.bin', identity)), { recursive: true });
    await writeFile(metaFileOf(root, 'p/key.bin', identity), JSON.stringify({ v: 1, key: 'p/key.bin', contentType: 'image/png', size: 10 }));
    expect(await storage.head('p/key.bin')).toEqual(before);
    const got = await storage.get('p/key.bin');
    expect(got?.contentType).toBe('video/mp4');
    expect(await text(got!.body)).toBe('old');
    // The rename (the commit) brings the new type along with the new bytes, in one step.
    await rename(pending, storage.pathOf('p/key.bin'));
    const after = await storage.get('p/key.bin');
    expect(after).toMatchObject({ size: 10, contentType: 'image/png' });
    expect(after?.etag).not.toBe(before?.etag);
    expect(await text(after!.body)).toBe('newer data');
  });

  it('racing puts of equal-sized bodies always leave the stored bytes with their own content type', async () => {
    const root = await tempDir();
    const storage = createFsStorage({ root, fsync: false });
    for (let round = 0; round < 20; round++) {
      const bodies = Array.from({ length: 5 }, (_, i) => new Uint8Array(4096).fill(i + 1));
      await Promise.all(bodies.map((body, i) => storage.put('race.bin', body, { contentType: `application/x-body-${i + 1}` })));
      const got = await storage.get('race.bin');
      const data = new Uint8Array(await new Response(got!.body).arrayBuffer());
      expect(data.every((b) => b === data[0]), `round ${round}: one whole body`).toBe(true);
      expect(got?.contentType, `round ${round}`).toBe(`application/x-body-${data[0]}`);
    }
    expect(await readdir(path.join(root, '.vg-tmp'))).toEqual([]);
  });
});
