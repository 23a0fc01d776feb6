import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import { findFfmpeg, findFfprobe } from './ffmpeg-binaries.js';
import { createFfmpegMediaProcessor, jpegSize } from './ffmpeg-media.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'ffmpeg/ffprobe not found (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP ffmpeg media tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];
const dir = mkdtempSync(join(tmpdir(), 'vg-media-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeVideo(name: string, seconds: number, size = '640x360') {
  const file = join(dir, name);
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=duration=${seconds}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file]);
  return file;
}

describe.skipIf(!tools)('createFfmpegMediaProcessor', () => {
  const media = createFfmpegMediaProcessor();

  it('probes duration, size, bytes and codecs', async () => {
    const file = makeVideo('a.mp4', 3);
    const info = await media.probe({ path: file });
    expect(info).toMatchObject({ width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac', bytes: readFileSync(file).byteLength });
    expect(Math.abs(info.durationSeconds! - 3)).toBeLessThan(0.1);
  });

  it('cuts a JPEG thumbnail 480 px wide that ffprobe agrees with, from a path or a stream', async () => {
    const file = makeVideo('b.mp4', 3);
    for (const source of [{ path: file }, { size: readFileSync(file).byteLength, open: async () => new Blob([readFileSync(file)]).stream() }]) {
      const thumb = await media.thumbnail(source, { atSeconds: 1, width: 480 });
      expect(thumb).toMatchObject({ contentType: 'image/jpeg', width: 480, height: 270 });
      const jpg = join(dir, 'thumb.jpg');
      writeFileSync(jpg, thumb.data);
      const probed = execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', jpg], { encoding: 'utf8' }).trim();
      expect(probed).toBe('mjpeg,480,270');
    }
  });

  it('takes a thumbnail from the middle of a clip under 2 s', async () => {
    const file = makeVideo('short.mp4', 1, '320x240');
    const thumb = await media.thumbnail({ path: file }, { atSeconds: 0.5, width: 480 });
    expect(thumb).toMatchObject({ width: 480, height: 360 });
  });

  it('fails clearly on a file that is not a video', async () => {
    const file = join(dir, 'not-video.mp4');
    writeFileSync(file, '<html>expired</html>');
    const error = await media.probe({ path: file }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/exited with|no video stream/);
    await expect(media.thumbnail({ path: file }, { atSeconds: 1, width: 480 })).rejects.toThrow();
  });

  it('validates its arguments', async () => {
    await expect(media.thumbnail({ path: 'x' }, { atSeconds: -1, width: 480 })).rejects.toThrow(/atSeconds/);
    await expect(media.thumbnail({ path: 'x' }, { atSeconds: 1, width: 4.5 })).rejects.toThrow(/width/);
  });
});

describe('findFfmpeg / findFfprobe', () => {
  it('prefers FFMPEG_PATH and FFPROBE_PATH', async () => {
    const fake = join(dir, 'my-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(await findFfmpeg({ FFMPEG_PATH: fake, PATH: '' })).toBe(fake);
    expect(await findFfprobe({ FFPROBE_PATH: fake, PATH: '' })).toBe(fake);
  });

  it('refuses an env path that is not an executable file, saying which variable', async () => {
    const error = await findFfmpeg({ FFMPEG_PATH: join(dir, 'missing'), PATH: '' }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toMatch(/FFMPEG_PATH=.*not an executable file/);
  });

  it('finds ffmpeg on PATH before the bundled installer', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'vg-bin-'));
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\n');
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    expect(await findFfmpeg({ PATH: bin })).toBe(join(bin, 'ffmpeg'));
    rmSync(bin, { recursive: true, force: true });
  });

  it('falls back to the @ffmpeg-installer binary when nothing else is there', async () => {
    const found = await findFfmpeg({ PATH: '' }).catch((e: unknown) => e);
    if (GalleryError.isInstance(found)) {
      // Without the optional package the message says how to get ffmpeg.
      expect(found.message).toMatch(/apt-get install ffmpeg.*FFMPEG_PATH.*@ffmpeg-installer\/ffmpeg/);
    } else {
      expect(found).toMatch(/@ffmpeg-installer/);
    }
  });
});

describe('jpegSize', () => {
  it('reads the SOF marker and rejects what is not a JPEG', () => {
    const sof = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 1, 14, 1, 224, 3, 0, 0, 0, 0]);
    expect(jpegSize(sof)).toEqual({ width: 480, height: 270 });
    expect(jpegSize(new Uint8Array([0x89, 0x50]))).toBeNull();
  });
});
