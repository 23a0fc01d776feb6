// openInside: the Linux way (where the open descriptor leads, /proc/self/fd) and the portable way (realpath next
// to the open) must agree: plain files open, missing ones are null, a link that leads out is refused and leaves
// no descriptor behind.
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GalleryError } from '@video-gallery/core';
import { closeFd, openInside, procFd, readFd } from './fd.js';

let base: string;
let root: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'vg-fd-')));
  root = path.join(base, 'videos');
  await mkdir(path.join(root, 'inner'), { recursive: true });
  await mkdir(path.join(base, 'videos-evil'));
  await writeFile(path.join(root, 'inner', 'a.bin'), 'inside');
  await writeFile(path.join(base, 'videos-evil', 'secret.bin'), 'outside');
  await symlink(path.join(root, 'inner', 'a.bin'), path.join(root, 'link-in.bin')); // stays inside
  await symlink(path.join(base, 'videos-evil', 'secret.bin'), path.join(root, 'link-out.bin'));
  await symlink(path.join('..', 'videos-evil'), path.join(root, 'dir-out')); // videos/dir-out -> ../videos-evil
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function text(fd: number): Promise<string> {
  const buffer = new Uint8Array(64);
  const bytes = await readFd(fd, buffer, 64, 0);
  closeFd(fd);
  return new TextDecoder().decode(buffer.subarray(0, bytes));
}

const openFds = async (): Promise<number> => (await readdir('/proc/self/fd').catch(() => [])).length;

const ways = [
  ['the open descriptor (/proc/self/fd)', procFd],
  ['realpath beside the open', null],
] as const;

describe.each(ways)('openInside by %s', (_name, linkOf) => {
  if (_name.startsWith('the open') && !procFd) {
    it.skip('needs Linux procfs (/proc/self/fd): not here', () => {});
    return;
  }

  it('opens a file inside the root, also through a link that stays inside', async () => {
    expect(await text((await openInside(root, path.join(root, 'inner', 'a.bin'), 'inner/a.bin', linkOf))!)).toBe('inside');
    expect(await text((await openInside(root, path.join(root, 'link-in.bin'), 'link-in.bin', linkOf))!)).toBe('inside');
  });

  it('says nothing is there (null or ENOENT) for a missing file', async () => {
    const result = await openInside(root, path.join(root, 'missing.bin'), 'missing.bin', linkOf).then(
      (fd) => fd,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect([null, 'ENOENT']).toContain(result);
  });

  it('refuses a file link and a directory link that lead out (forbidden), closing what it opened', async () => {
    const before = await openFds();
    for (const [key, target] of [['link-out.bin', path.join(root, 'link-out.bin')], ['dir-out/secret.bin', path.join(root, 'dir-out', 'secret.bin')]] as const) {
      const error = await openInside(root, target, key, linkOf).then(() => null, (e: unknown) => e);
      expect(GalleryError.isInstance(error), String(error)).toBe(true);
      expect((error as GalleryError).code).toBe('forbidden');
      expect((error as GalleryError).message).toContain('videos-evil');
    }
    // Closing is asynchronous (callback API): give it a moment, then no descriptor is left over.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (procFd) expect(await openFds()).toBe(before);
  });
});
