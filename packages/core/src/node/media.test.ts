import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import { findFfmpeg, findFfprobe } from './ffmpeg.js';
import { createFfmpegMediaProcessor, jpegSize, parseProbe } from './media.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'no ffmpeg/ffprobe found (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP ffmpeg media processor tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];
const dir = mkdtempSync(join(tmpdir(), 'vg-media-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => execFileSync(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);

/** A test-pattern clip with a sine track; `faststart: false` leaves the MP4 index at the end (unreadable from a pipe). */
function makeVideo(name: string, seconds: number, size = '640x360', faststart = true): string {
  const file = join(dir, name);
  run(['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...(faststart ? ['-movflags', '+faststart'] : []), '-shortest', file]);
  return file;
}

/** 1.2 s: red, then green, then blue, 0.4 s each. */
function makeTricolour(name: string): string {
  const file = join(dir, name);
  const parts = ['red', 'green', 'blue'].flatMap((c) => ['-f', 'lavfi', '-i', `color=c=${c}:s=320x240:r=25:d=0.4`]);
  run([...parts, '-filter_complex', '[0:v][1:v][2:v]concat=n=3:v=1:a=0', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
  return file;
}

const streamOf = (file: string) => {
  const bytes = readFileSync(file);
  return { size: bytes.byteLength, open: async () => new Blob([bytes]).stream() };
};

/** Width and height of an image as ffprobe sees it. */
function probeImage(data: Uint8Array): string {
  const file = join(dir, `thumb-${Math.random().toString(36).slice(2)}.jpg`);
  writeFileSync(file, data);
  return execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim();
}

/** The average colour of a JPEG as [r, g, b]. */
function averageColour(data: Uint8Array): number[] {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.jpg`);
  writeFileSync(file, data);
  return [...execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', file, '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])];
}

describe.skipIf(!tools)('createFfmpegMediaProcessor', () => {
  const media = createFfmpegMediaProcessor();

  it('probes duration, dimensions, bytes and codecs from a path', async () => {
    const file = makeVideo('a.mp4', 3);
    const info = await media.probe({ path: file });
    expect(info).toMatchObject({ width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac', bytes: statSync(file).size });
    expect(info.durationSeconds).not.toBeNull();
    expect(Math.abs(info.durationSeconds! - 3)).toBeLessThan(0.1);
  });

  it('probes a stream piped to stdin, also when the MP4 index is at the end', async () => {
    for (const faststart of [true, false]) {
      const file = makeVideo(`s-${faststart}.mp4`, 2, '320x240', faststart);
      const info = await media.probe(streamOf(file));
      expect(info).toMatchObject({ width: 320, height: 240, videoCodec: 'h264', audioCodec: 'aac', bytes: statSync(file).size });
      expect(Math.abs(info.durationSeconds! - 2)).toBeLessThan(0.1);
    }
  });

  it('cuts a 480 px wide JPEG at 1 s from a path and from streams (faststart or not)', async () => {
    const fast = makeVideo('b.mp4', 3);
    const slow = makeVideo('b-slow.mp4', 3, '640x360', false);
    for (const source of [{ path: fast }, streamOf(fast), streamOf(slow)]) {
      const thumb = await media.thumbnail(source, { atSeconds: 1, width: 480 });
      expect(thumb).toMatchObject({ contentType: 'image/jpeg', width: 480, height: 270 });
      expect(probeImage(thumb.data)).toBe('mjpeg,480,270');
    }
  });

  it('keeps the aspect ratio with an even height', async () => {
    const file = makeVideo('odd.mp4', 1, '500x302');
    const thumb = await media.thumbnail({ path: file }, { atSeconds: 0, width: 480 });
    expect(thumb.width).toBe(480);
    expect(thumb.height % 2).toBe(0);
    expect(Math.abs(thumb.height - (480 * 302) / 500)).toBeLessThanOrEqual(2);
    expect(probeImage(thumb.data)).toBe(`mjpeg,480,${thumb.height}`);
  });

  it('takes the frame from the middle of a clip shorter than 2 × atSeconds, else at atSeconds', async () => {
    const file = makeTricolour('rgb.mp4');
    const [r, g, b] = averageColour((await media.thumbnail({ path: file }, { atSeconds: 1, width: 480 })).data);
    expect(g).toBeGreaterThan(r! + 60); // middle (0.6 s): green
    expect(g).toBeGreaterThan(b! + 60);
    const early = averageColour((await media.thumbnail(streamOf(file), { atSeconds: 0.2, width: 480 })).data);
    expect(early[0]).toBeGreaterThan(early[1]! + 60); // 0.2 s: red
  });

  it('fails clearly on a file that is not a video, and on a missing file', async () => {
    const file = join(dir, 'not-video.mp4');
    writeFileSync(file, '<html>expired</html>');
    const error = await media.probe({ path: file }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toMatch(/^ffprobe could not read the video: .*Invalid data/);
    const thumbError = await media.thumbnail(streamOf(file), { atSeconds: 1, width: 480 }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(thumbError) && thumbError.code).toBe('invalid_input');
    const missing = await media.probe({ path: join(dir, 'gone.mp4') }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(missing) && missing.code).toBe('not_found');
  });

  it('validates its arguments', async () => {
    await expect(media.thumbnail({ path: 'x' }, { atSeconds: -1, width: 480 })).rejects.toThrow(/atSeconds/);
    await expect(media.thumbnail({ path: 'x' }, { atSeconds: 1, width: 4.5 })).rejects.toThrow(/width/);
    expect(() => createFfmpegMediaProcessor({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('honours an explicit ffprobe path and reports a broken one', async () => {
    const broken = createFfmpegMediaProcessor({ ffprobePath: join(dir, 'no-ffprobe') });
    const error = await broken.probe({ path: makeVideo('c.mp4', 1) }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('unsupported');
  });
});

describe('jpegSize / parseProbe', () => {
  it('reads the SOF marker and rejects what is not a JPEG', () => {
    const sof = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 1, 14, 1, 224, 3, 0, 0, 0, 0]);
    expect(jpegSize(sof)).toEqual({ width: 480, height: 270 });
    expect(jpegSize(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
  });

  it('reads ffprobe JSON, with nulls for what is missing', () => {
    expect(parseProbe('{"streams":[{"codec_type":"audio","codec_name":"aac","duration":"2.5"}],"format":{}}')).toEqual({
      durationSeconds: 2.5, width: null, height: null, videoCodec: null, audioCodec: 'aac',
    });
    expect(parseProbe('{"streams":[{"codec_type":"video","codec_name":"vp9","width":640,"height":360}],"format":{"duration":"N/A"}}')).toMatchObject({
      durationSeconds: null, width: 640, height: 360, videoCodec: 'vp9',
    });
    expect(() => parseProbe('not json')).toThrow(/unreadable/);
  });
});
