import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryError, readAll, type JSONValue, type ProviderRequest, type ProviderStatus } from '@video-gallery/core';
import { findFfmpeg, findFfprobe } from '@video-gallery/core/node';
import { createLocal, localDimensions, wrap } from './index.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'ffmpeg/ffprobe not found: the local provider tests need them (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP local provider tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];

const dirs: string[] = [];
const workDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-local-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function probe(file: string) {
  const json = JSON.parse(execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height,pix_fmt', '-of', 'json', file], { encoding: 'utf8' }));
  const video = json.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
  const audio = json.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
  return { duration: Number(json.format.duration), video, audio };
}

const request = (overrides: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'local-v1', mode: 'text', prompt: 'A paper boat on a calm lake', aspectRatio: '16:9', resolution: '480p', durationSeconds: 2, ...overrides,
});

async function finish(provider: ReturnType<typeof createLocal>, task: JSONValue) {
  const seen: ProviderStatus[] = [];
  for (let i = 0; i < 2000; i++) {
    const status = await provider.status(task, {});
    seen.push(status);
    if (status.state !== 'pending') return { status, seen };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('render did not finish');
}

async function renderToFile(provider: ReturnType<typeof createLocal>, req: ProviderRequest, dir: string) {
  const { task } = await provider.start(req, { idempotencyKey: `k-${Math.random()}` });
  const { status } = await finish(provider, task);
  if (status.state !== 'succeeded') throw status.state === 'failed' ? status.error : new Error('not done');
  const output = status.outputs[0]!;
  if (!('open' in output) || !output.open) throw new Error('expected an open() output');
  const opened = await output.open({});
  const bytes = await readAll(opened.body);
  const file = join(dir, `${Math.random().toString(36).slice(2)}.mp4`);
  writeFileSync(file, bytes);
  return { file, bytes, opened, output, task };
}

describe.skipIf(!tools)('local provider: real renders checked with ffprobe', () => {
  const cases: [string, string, number][] = [
    ['16:9', '480p', 1], ['9:16', '480p', 4], ['1:1', '480p', 1], ['16:9', '720p', 4], ['1:1', '720p', 1], ['9:16', '1080p', 1],
  ];
  for (const [aspectRatio, resolution, durationSeconds] of cases) {
    it(`${aspectRatio} ${resolution} ${durationSeconds}s: h264 + aac, exact size and duration`, async () => {
      const dir = workDir();
      const provider = createLocal({ workDir: dir });
      const { file } = await renderToFile(provider, request({ aspectRatio, resolution, durationSeconds }), dir);
      const p = probe(file);
      const expected = localDimensions(aspectRatio, resolution);
      expect(p.video).toMatchObject({ codec_name: 'h264', width: expected.width, height: expected.height, pix_fmt: 'yuv420p' });
      expect(p.audio?.codec_name).toBe('aac');
      expect(Math.abs(p.duration - durationSeconds)).toBeLessThanOrEqual(0.1);
    }, 60_000);
  }

  it('maps aspect ratio and resolution to even pixel sizes', () => {
    expect(localDimensions('16:9', '480p')).toEqual({ width: 854, height: 480 });
    expect(localDimensions('9:16', '1080p')).toEqual({ width: 1080, height: 1920 });
    expect(localDimensions('1:1', '720p')).toEqual({ width: 720, height: 720 });
  });

  it('animates an input image (image-to-video) to the requested size', async () => {
    const dir = workDir();
    const png = join(dir, 'in.png');
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x400', '-frames:v', '1', png]);
    const provider = createLocal({ workDir: dir });
    const data = new Uint8Array(execFileSync('cat', [png]));
    const { file } = await renderToFile(provider, request({ mode: 'image', image: { data, mediaType: 'image/png' }, aspectRatio: '1:1', durationSeconds: 2 }), dir);
    const p = probe(file);
    expect(p.video).toMatchObject({ codec_name: 'h264', width: 480, height: 480 });
    expect(Math.abs(p.duration - 2)).toBeLessThanOrEqual(0.1);
    // The zoom changes the picture over time: first and last frames differ.
    const frame = (t: string) => execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-ss', t, '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
    expect(frame('0').equals(frame('1.9'))).toBe(false);
  }, 60_000);

  it('renders any prompt text safely (quotes, colons, backslashes, %{...}, newlines, emoji)', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const prompt = `It's "quoted": 100% \\ back\\slash; %{pts} %{eif:1:d} [mock] 'x'\nsecond line 🎈 ÉCOLE`;
    const { file } = await renderToFile(provider, request({ prompt, durationSeconds: 1 }), dir);
    expect(probe(file).video.codec_name).toBe('h264');
  }, 60_000);

  it('reports monotonic progress and honours the configured latency (with an injected clock)', async () => {
    const dir = workDir();
    let now = 1_000_000;
    const provider = createLocal({ workDir: dir, latencyMs: 10_000, now: () => now });
    const { task } = await provider.start(request({ durationSeconds: 1 }), { idempotencyKey: 'latency' });
    // Let the render itself finish while the fake clock stands still.
    for (;;) {
      const s = await provider.status(task, {});
      if (s.state === 'pending' && s.retryAfterMs !== undefined) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const progress: number[] = [];
    for (const step of [0, 2500, 2500, 2500]) {
      now += step;
      const s = await provider.status(task, {});
      expect(s.state).toBe('pending');
      if (s.state === 'pending') progress.push(s.progress ?? -1);
    }
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[0]).toBeCloseTo(0, 5);
    expect(progress[3]).toBeCloseTo(0.99 * 0.75, 5);
    now += 2500;
    expect((await provider.status(task, {})).state).toBe('succeeded');
  }, 60_000);

  it('serves the output from an offset (for resumed downloads)', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const { bytes, output } = await renderToFile(provider, request({ durationSeconds: 1 }), dir);
    if (!('open' in output) || !output.open) throw new Error('expected open()');
    const tail = await readAll((await output.open({ offset: 100 })).body);
    expect(tail).toEqual(bytes.slice(100));
  }, 60_000);

  it('finds a task by idempotency key from a new provider instance, which can also finish it', async () => {
    const dir = workDir();
    const first = createLocal({ workDir: dir });
    const { task } = await first.start(request({ durationSeconds: 1 }), { idempotencyKey: 'entry-1:1' });
    const second = createLocal({ workDir: dir });
    expect(await second.lookup!('entry-1:1', { request: request(), submittedAt: null })).toEqual({ task });
    expect(await second.lookup!('never-started', { request: request(), submittedAt: null })).toBeNull();
    const { status } = await finish(second, JSON.parse(JSON.stringify(task)));
    expect(status.state).toBe('succeeded');
  }, 60_000);

  it('cancels a render in flight and reports it as cancelled', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir, latencyMs: 60_000 });
    const { task } = await provider.start(request({ resolution: '1080p', durationSeconds: 10 }), { idempotencyKey: 'cancel-me' });
    expect(await provider.cancel!(task)).toEqual({ cancelled: true });
    const status = await provider.status(task, {});
    expect(status.state).toBe('failed');
    if (status.state === 'failed') expect(status.error.code).toBe('cancelled');
  }, 60_000);

  it('warns about what it ignores and refuses a last frame', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const { warnings, task } = await provider.start(request({ negativePrompt: 'blur', durationSeconds: 1 }), { idempotencyKey: 'w' });
    expect(warnings.map((w) => w.feature)).toEqual(['negativePrompt']);
    await finish(provider, task);
    const png = { data: new Uint8Array([1]), mediaType: 'image/png' };
    const error = await provider.start(request({ mode: 'first-last-frame', image: png, lastFrame: png }), { idempotencyKey: 'x' }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('invalid_input');
  }, 60_000);

  it('rejects a task reference that is not its own (no path tricks)', async () => {
    const provider = createLocal({ workDir: workDir() });
    for (const task of [{ id: '../../etc', startedAt: 1 }, { id: 'x' }, null, 'task']) {
      const error = await provider.status(task as JSONValue, {}).catch((e: unknown) => e);
      expect(GalleryError.isInstance(error) && error.code).toBe('invalid_input');
    }
  });
});

describe('wrap()', () => {
  it('wraps words, cuts long words and limits lines with an ellipsis', () => {
    expect(wrap('aaa bbb ccc', 7, 5)).toBe('aaa bbb\nccc');
    expect(wrap('abcdefghij', 4, 5)).toBe('abcd\nefgh\nij');
    expect(wrap('a b c d e f', 1, 3)).toBe('a\nb\n…');
    expect(wrap('line one\nline two', 20, 5)).toBe('line one\nline two');
  });
});
