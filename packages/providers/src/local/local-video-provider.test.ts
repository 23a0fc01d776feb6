import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryError, readAll, type JSONValue, type ProviderRequest, type ProviderStatus } from '@video-gallery/core';
import { findFfmpeg, findFfprobe } from '@video-gallery/core/node';
import { createLocal, findFont, local, localDimensions, LOCAL_MODEL, type LocalProvider, type LocalTask } from './index.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'no ffmpeg/ffprobe found: the local provider tests render real videos (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP local provider tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];
const hasFont = findFont() !== null;

const root = mkdtempSync(join(tmpdir(), 'vg-local-provider-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const workDir = () => mkdtempSync(join(root, `w${dirs++}-`));

const request = (overrides: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'local-v1', mode: 'text', prompt: 'A paper boat on a calm lake', aspectRatio: '16:9', resolution: '480p', durationSeconds: 1, ...overrides,
});
let keys = 0;
const key = () => `key-${keys++}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the task settles; returns the final status and every pending progress seen. */
async function settle(provider: LocalProvider, task: JSONValue, intervalMs = 40): Promise<{ status: ProviderStatus; progress: number[] }> {
  const progress: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const status = await provider.status(task, {});
    if (status.state !== 'pending') return { status, progress };
    progress.push(status.progress ?? -1);
    await sleep(intervalMs);
  }
  throw new Error('the render did not settle');
}

async function succeeded(provider: LocalProvider, task: JSONValue) {
  const { status, progress } = await settle(provider, task);
  if (status.state === 'failed') throw status.error;
  if (status.state !== 'succeeded') throw new Error(`unexpected state ${status.state}`);
  const output = status.outputs[0]!;
  if (output.url !== undefined) throw new Error('expected an open() output');
  return { status, output, progress };
}

/** Renders, saves the MP4, and returns it with its ffprobe facts. */
async function render(provider: LocalProvider, req: ProviderRequest) {
  const { task, warnings } = await provider.start(req, { idempotencyKey: key() });
  const { status, output, progress } = await succeeded(provider, task);
  const opened = await output.open({});
  const bytes = await readAll(opened.body);
  const file = join(root, `${(task as unknown as LocalTask).id}.mp4`);
  writeFileSync(file, bytes);
  return { task, warnings, status, output, opened, bytes, file, progress, info: probe(file) };
}

interface StreamInfo { codec_type: string; codec_name: string; width?: number; height?: number; pix_fmt?: string }
function probe(file: string) {
  const json = JSON.parse(execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height,pix_fmt', '-of', 'json', file], { encoding: 'utf8' })) as {
    format: { duration: string };
    streams: StreamInfo[];
  };
  return {
    duration: Number(json.format.duration),
    video: json.streams.find((s) => s.codec_type === 'video'),
    audio: json.streams.find((s) => s.codec_type === 'audio'),
  };
}

/** One decoded frame as 8-bit grey pixels, scaled to 64 px wide. */
const frame = (file: string, at: number) =>
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-ss', String(at), '-i', file, '-frames:v', '1', '-vf', 'scale=64:-2', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
const difference = (a: Buffer, b: Buffer) => a.reduce((sum, value, i) => sum + Math.abs(value - (b[i] ?? 0)), 0) / a.length;

/** `moov` before `mdat`: the MP4 plays while it downloads (+faststart). */
function isFaststart(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 1 << 20))).toString('latin1');
  const moov = text.indexOf('moov');
  const mdat = text.indexOf('mdat');
  return moov >= 0 && (mdat < 0 || moov < mdat);
}

describe('local provider: declaration', () => {
  it('declares one free model with the documented options', () => {
    expect(local.id).toBe('local');
    expect(local.workDir).toBe(join(tmpdir(), 'video-gallery-local'));
    expect(local.models()).toEqual([LOCAL_MODEL]);
    expect(LOCAL_MODEL).toMatchObject({
      id: 'local-v1', modes: ['text', 'image', 'first-last-frame'], aspectRatios: ['16:9', '9:16', '1:1'], resolutions: ['480p', '720p', '1080p'],
      durations: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], audio: true, seed: { min: 0, max: 2_147_483_647 },
      image: { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'], maxBytes: 10 * 1024 * 1024 }, cost: { perSecond: 0 },
    });
    expect(localDimensions('16:9', '480p')).toEqual({ width: 854, height: 480 });
    expect(localDimensions('9:16', '1080p')).toEqual({ width: 1080, height: 1920 });
    expect(localDimensions('1:1', '720p')).toEqual({ width: 720, height: 720 });
    expect(() => localDimensions('4:3', '480p')).toThrow(RangeError);
  });

  it('refuses bad settings at creation', () => {
    expect(() => createLocal({ latencyMs: -1 })).toThrow(/latencyMs/);
    expect(() => createLocal({ fps: 0 })).toThrow(/fps/);
    expect(() => createLocal({ maxConcurrentRenders: 0 })).toThrow(/maxConcurrentRenders/);
  });
});

describe.skipIf(!tools)('local provider: renders checked with ffprobe', () => {
  const cases: [string, string, number][] = [
    ['16:9', '480p', 1], ['16:9', '720p', 4], ['9:16', '480p', 4], ['9:16', '1080p', 1], ['1:1', '480p', 1], ['1:1', '720p', 4],
  ];
  for (const [aspectRatio, resolution, durationSeconds] of cases) {
    it(`${aspectRatio} ${resolution} ${durationSeconds} s: H.264 yuv420p + AAC, faststart, exact size and duration`, async () => {
      const provider = createLocal({ workDir: workDir() });
      const { info, bytes, opened, status } = await render(provider, request({ aspectRatio, resolution, durationSeconds, seed: durationSeconds }));
      const { width, height } = localDimensions(aspectRatio, resolution);
      expect(info.video).toMatchObject({ codec_name: 'h264', width, height, pix_fmt: 'yuv420p' });
      expect(info.audio?.codec_name).toBe('aac');
      expect(Math.abs(info.duration - durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(isFaststart(bytes)).toBe(true);
      expect(opened).toMatchObject({ contentType: 'video/mp4', size: bytes.byteLength });
      expect(status.state === 'succeeded' && status.usage).toEqual({ videoSeconds: durationSeconds, width, height });
    }, 120_000);
  }

  it('animates an input image (image-to-video) to the requested size', async () => {
    const dir = workDir();
    const png = join(dir, 'in.png');
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x400', '-frames:v', '1', png]);
    const provider = createLocal({ workDir: dir });
    const image = { data: new Uint8Array(readFileSync(png)), mediaType: 'image/png' };
    const { info, file } = await render(provider, request({ mode: 'image', image, aspectRatio: '9:16', durationSeconds: 2, prompt: 'zoom in' }));
    expect(info.video).toMatchObject({ codec_name: 'h264', width: 480, height: 854 });
    expect(Math.abs(info.duration - 2)).toBeLessThanOrEqual(0.1);
    // The slow zoom changes the picture over time.
    expect(difference(frame(file, 0), frame(file, 1.9))).toBeGreaterThan(2);
  }, 120_000);

  it('cross-fades from the first frame to the last (first + last frame)', async () => {
    const dir = workDir();
    const first = join(dir, 'first.png');
    const last = join(dir, 'last.jpg');
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x1040c0:s=640x360', '-frames:v', '1', first]);
    execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0xe0a020:s=800x800', '-frames:v', '1', last]);
    const provider = createLocal({ workDir: dir, fontFile: false });
    const { info, file } = await render(provider, request({
      mode: 'first-last-frame', aspectRatio: '16:9', durationSeconds: 4, prompt: 'blue to gold',
      image: { data: new Uint8Array(readFileSync(first)), mediaType: 'image/png' },
      lastFrame: { data: new Uint8Array(readFileSync(last)), mediaType: 'image/jpeg' },
    }));
    expect(info.video).toMatchObject({ codec_name: 'h264', width: 854, height: 480 });
    expect(Math.abs(info.duration - 4)).toBeLessThanOrEqual(0.1);
    // The start shows the first image, the end the last one, and the middle is between the two.
    const start = frame(file, 0.2);
    const middle = frame(file, 2);
    const end = frame(file, 3.8);
    expect(difference(start, end)).toBeGreaterThan(40);
    expect(difference(start, middle)).toBeGreaterThan(10);
    expect(difference(middle, end)).toBeGreaterThan(10);
  }, 120_000);

  it('draws any prompt literally (quotes, colons, backslashes, %{...}, newlines, emoji)', async () => {
    const prompt = `It's "quoted": 100% \\ back\\slash; %{pts} %{eif:1:d} %{localtime} [x] 'y' \\n\nsecond line 🎈 👨‍👩‍👧 ÉCOLE\r\nthird`;
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const tricky = await render(provider, request({ prompt, seed: 5 }));
    expect(tricky.info.video?.codec_name).toBe('h264');
    if (hasFont) {
      // The text file ffmpeg read holds the prompt as written (wrapped), not an escaped or expanded form.
      const text = readFileSync(join(dir, 'tasks', (tricky.task as unknown as LocalTask).id, 'prompt.txt'), 'utf8');
      expect(text.replace(/\n/g, ' ')).toContain(`It's "quoted": 100% \\ back\\slash; %{pts} %{eif:1:d} %{localtime}`);
      expect(text).toContain('🎈 👨‍👩‍👧');
      // Same seed, other prompt: the text really is drawn.
      const plain = await render(provider, request({ prompt: 'x', seed: 5 }));
      expect(difference(frame(tricky.file, 0.5), frame(plain.file, 0.5))).toBeGreaterThan(1);
    }
  }, 120_000);

  it('leaves the audio track out when audio is false, and warns about what it ignores', async () => {
    const provider = createLocal({ workDir: workDir() });
    const png = { data: new Uint8Array([0x89, 0x50]), mediaType: 'image/png' };
    const { info, warnings } = await render(provider, request({ audio: false, image: png }));
    expect(info.audio).toBeUndefined();
    expect(info.video?.codec_name).toBe('h264');
    expect(warnings.map((w) => w.feature)).toEqual(hasFont ? ['image'] : ['image', 'text']);
  }, 120_000);

  it('renders without text and no warning when fontFile is false', async () => {
    const provider = createLocal({ workDir: workDir(), fontFile: false });
    const { info, warnings } = await render(provider, request({ aspectRatio: '1:1' }));
    expect(info.video).toMatchObject({ width: 480, height: 480 });
    expect(warnings).toEqual([]);
  }, 120_000);

  it('serves the output from an offset, declaring the total size', async () => {
    const provider = createLocal({ workDir: workDir() });
    const { bytes, output } = await render(provider, request());
    if (output.url !== undefined) throw new Error('expected open()');
    const tail = await output.open({ offset: 100 });
    expect(tail.size).toBe(bytes.byteLength);
    expect(await readAll(tail.body)).toEqual(bytes.slice(100));
    await expect(output.open({ offset: bytes.byteLength + 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(output.open({ signal: AbortSignal.abort() })).rejects.toThrow();
  }, 120_000);
});

describe.skipIf(!tools)('local provider: progress, latency, resume, cancel', () => {
  it('reports progress in 0..0.99 that never goes down while rendering', async () => {
    const provider = createLocal({ workDir: workDir() });
    const { task } = await provider.start(request({ resolution: '720p', durationSeconds: 4 }), { idempotencyKey: key() });
    const { status, progress } = await settle(provider, task, 20);
    expect(status.state).toBe('succeeded');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    for (const p of progress) expect(p >= 0 && p <= 0.99).toBe(true);
  }, 120_000);

  it('is not done before latencyMs has passed on its clock, and progress follows that clock', async () => {
    const dir = workDir();
    let now = 1_000_000;
    const provider = createLocal({ workDir: dir, latencyMs: 10_000, now: () => now });
    const { task } = await provider.start(request(), { idempotencyKey: key() });
    expect((task as unknown as LocalTask).startedAt).toBe(1_000_000);
    // Wait (without moving the clock) until the render itself is finished.
    const out = join(dir, 'tasks', (task as unknown as LocalTask).id, 'out.mp4');
    while (!existsSync(out)) {
      const status = await provider.status(task, {});
      expect(status).toMatchObject({ state: 'pending', progress: 0 });
      await sleep(30);
    }
    const seen: ProviderStatus[] = [];
    for (const t of [0, 2_500, 5_000, 9_999]) {
      now = 1_000_000 + t;
      seen.push(await provider.status(task, {}));
    }
    expect(seen).toEqual([
      { state: 'pending', progress: 0, retryAfterMs: 10_000 },
      { state: 'pending', progress: 0.25, retryAfterMs: 7_500 },
      { state: 'pending', progress: 0.5, retryAfterMs: 5_000 },
      { state: 'pending', progress: 0.99, retryAfterMs: 1 },
    ]);
    now = 1_010_000;
    expect((await provider.status(task, {})).state).toBe('succeeded');
  }, 120_000);

  it('finds a task by idempotency key from a new instance, which follows the first render instead of starting its own', async () => {
    const dir = workDir();
    const first = createLocal({ workDir: dir });
    const { task } = await first.start(request({ durationSeconds: 3 }), { idempotencyKey: 'entry-1:1' });
    // This instance could not render at all: if it tried, the task would fail.
    const second = createLocal({ workDir: dir, ffmpegPath: '/bin/false' });
    expect(await second.lookup('entry-1:1', { request: request(), submittedAt: null })).toEqual({ task });
    expect(await second.lookup('never-started', { request: request(), submittedAt: null })).toBeNull();
    const { status } = await settle(second, JSON.parse(JSON.stringify(task)) as JSONValue);
    expect(status.state).toBe('succeeded');
  }, 120_000);

  it('finishes a task in a new process after the process that started it died mid-render', async () => {
    const dir = workDir();
    // A stand-in ffmpeg that never finishes a render (it lives as long as its parent), so only a re-render can succeed.
    const hang = join(dir, 'hanging-ffmpeg');
    writeFileSync(hang, '#!/bin/sh\ncase "$*" in *-filters*) exit 0;; esac\nwhile kill -0 $PPID 2>/dev/null; do sleep 0.1; done\nexit 1\n');
    chmodSync(hang, 0o755);
    const script = join(dir, 'start.mts');
    const entry = join(dirname(fileURLToPath(import.meta.url)), 'index.ts');
    writeFileSync(script, `import { createLocal } from ${JSON.stringify(entry)};
const provider = createLocal({ workDir: ${JSON.stringify(dir)}, ffmpegPath: ${JSON.stringify(hang)} });
const { task } = await provider.start({ model: 'local-v1', mode: 'text', prompt: 'orphan', aspectRatio: '1:1', resolution: '480p', durationSeconds: 1 }, { idempotencyKey: 'orphan' });
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(JSON.stringify(task), () => process.kill(process.pid, 'SIGKILL'));
`);
    const child = spawnSync(process.execPath, ['--conditions=@video-gallery/source', '--import', 'tsx', script], { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const task = JSON.parse(child.stdout) as JSONValue;
    const folder = join(dir, 'tasks', (task as unknown as LocalTask).id);
    expect(existsSync(join(folder, 'render.lock'))).toBe(true); // left behind by the dead process
    expect(existsSync(join(folder, 'out.mp4'))).toBe(false);

    const fresh = createLocal({ workDir: dir });
    expect(await fresh.lookup('orphan', { request: request(), submittedAt: null })).toEqual({ task });
    const { status } = await settle(fresh, task);
    expect(status.state).toBe('succeeded');
    // The lock goes right after the output is in place (status can see the output a moment before).
    await expect.poll(() => readdirSync(folder), { timeout: 10_000 }).not.toContain('render.lock');
  }, 120_000);

  it('records a failed render (with the stderr tail) so every instance reports it', async () => {
    const dir = workDir();
    const broken = join(dir, 'broken-ffmpeg');
    writeFileSync(broken, '#!/bin/sh\necho "Unknown encoder: libx264 is missing in this build" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    const provider = createLocal({ workDir: dir, ffmpegPath: broken });
    const { task } = await provider.start(request(), { idempotencyKey: key() });
    const { status } = await settle(provider, task);
    expect(status.state).toBe('failed');
    if (status.state !== 'failed') return;
    expect(status.error.code).toBe('provider_error');
    expect(status.error.message).toMatch(/ffmpeg exited with code 1: Unknown encoder: libx264 is missing/);
    const other = await createLocal({ workDir: dir }).status(task, {});
    expect(other).toMatchObject({ state: 'failed', error: { code: 'provider_error' } });
  }, 60_000);

  it('cancels a render in flight, from the same or another instance', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const { task } = await provider.start(request({ resolution: '1080p', durationSeconds: 10 }), { idempotencyKey: key() });
    expect(await provider.cancel(task)).toEqual({ cancelled: true });
    expect(await provider.status(task, {})).toMatchObject({ state: 'failed', error: { code: 'cancelled', retryable: false } });
    const folder = join(dir, 'tasks', (task as unknown as LocalTask).id);
    expect(readdirSync(folder).filter((f) => f.endsWith('.mp4'))).toEqual([]);

    const { task: second } = await provider.start(request({ resolution: '1080p', durationSeconds: 10 }), { idempotencyKey: key() });
    expect(await createLocal({ workDir: dir }).cancel(second)).toEqual({ cancelled: true });
    // The rendering instance notices at its next heartbeat and stops.
    const lock = join(dir, 'tasks', (second as unknown as LocalTask).id, 'render.lock');
    while (existsSync(lock)) await sleep(50);
    expect(await provider.status(second, {})).toMatchObject({ state: 'failed', error: { code: 'cancelled' } });
    expect(existsSync(join(dir, 'tasks', (second as unknown as LocalTask).id, 'out.mp4'))).toBe(false);
  }, 120_000);

  it('does not cancel a finished task', async () => {
    const provider = createLocal({ workDir: workDir() });
    const { task } = await render(provider, request());
    expect(await provider.cancel(task)).toEqual({ cancelled: false });
    expect((await provider.status(task, {})).state).toBe('succeeded');
  }, 120_000);
});

describe('local provider: input checks and signals', () => {
  it('rejects an already-aborted start without writing anything', async () => {
    const dir = workDir();
    const provider = createLocal({ workDir: dir });
    const error = await provider.start(request(), { idempotencyKey: 'x', signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(readdirSync(dir)).toEqual([]);
    expect(await provider.lookup('x', { request: request(), submittedAt: null })).toBeNull();
  });

  it('rejects an aborted status call', async () => {
    const provider = createLocal({ workDir: workDir() });
    const task = { id: '00000000-0000-4000-8000-000000000000', startedAt: 1 };
    const error = await provider.status(task, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });

  const png = { data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), mediaType: 'image/png' };
  const bad: [string, Partial<ProviderRequest>][] = [
    ['model', { model: 'local-v2' }],
    ['mode', { mode: 'video-to-video' as ProviderRequest['mode'] }],
    ['lastFrame', { mode: 'first-last-frame', image: png }],
    ['lastFrame', { mode: 'first-last-frame', image: png, lastFrame: { data: png.data, mediaType: 'image/gif' } }],
    ['lastFrame', { mode: 'image', image: png, lastFrame: png }],
    ['image', { mode: 'first-last-frame', lastFrame: png }],
    ['prompt', { prompt: '   ' }],
    ['prompt', { prompt: 'x'.repeat(2001) }],
    ['negativePrompt', { negativePrompt: 'x'.repeat(501) }],
    ['aspectRatio', { aspectRatio: '4:3' }],
    ['resolution', { resolution: '4k' }],
    ['durationSeconds', { durationSeconds: 11 }],
    ['durationSeconds', { durationSeconds: 2.5 }],
    ['seed', { seed: -1 }],
    ['seed', { seed: 1.5 }],
    ['image', { mode: 'image' }],
    ['image', { mode: 'image', image: { data: png.data, mediaType: 'image/gif' } }],
    ['image', { mode: 'image', image: { data: new Uint8Array(10 * 1024 * 1024 + 1), mediaType: 'image/png' } }],
  ];
  for (const [field, overrides] of bad) {
    it(`refuses a bad ${field} with invalid_input before doing anything`, async () => {
      const dir = workDir();
      const error = await createLocal({ workDir: dir }).start(request(overrides), { idempotencyKey: key() }).catch((e: unknown) => e);
      expect(GalleryError.isInstance(error) && { code: error.code, field: error.field }).toEqual({ code: 'invalid_input', field });
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('rejects task references that are not its own (no path tricks), and reports a vanished task as expired', async () => {
    const provider = createLocal({ workDir: workDir() });
    for (const task of [{ id: '../../etc', startedAt: 1 }, { id: 'x' }, { not: 'a task' }, null, 'task', [1]]) {
      const error = await provider.status(task as JSONValue, {}).catch((e: unknown) => e);
      expect(GalleryError.isInstance(error) && error.code).toBe('invalid_input');
    }
    const gone = await provider.status({ id: '00000000-0000-4000-8000-000000000000', startedAt: 1 }, {});
    expect(gone).toMatchObject({ state: 'failed', error: { code: 'expired', retryable: false } });
    expect(await provider.cancel({ id: '00000000-0000-4000-8000-000000000000', startedAt: 1 })).toEqual({ cancelled: false });
  });

  it('says how to get ffmpeg when it cannot find one', async () => {
    const saved = { FFMPEG_PATH: process.env.FFMPEG_PATH };
    process.env.FFMPEG_PATH = join(root, 'no-ffmpeg-here');
    try {
      const error = await createLocal({ workDir: workDir() }).start(request(), { idempotencyKey: key() }).catch((e: unknown) => e);
      expect(GalleryError.isInstance(error) && error.code).toBe('unsupported');
      expect((error as Error).message).toMatch(/FFMPEG_PATH/);
    } finally {
      if (saved.FFMPEG_PATH === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved.FFMPEG_PATH;
    }
  });
});
