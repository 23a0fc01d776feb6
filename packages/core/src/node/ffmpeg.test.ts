import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import { findFfmpeg, findFfprobe } from './ffmpeg.js';
import { ProcessExitError, runBinary } from './ffmpeg-run.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'no ffmpeg/ffprobe found (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP ffmpeg discovery / runBinary tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];
const dir = mkdtempSync(join(tmpdir(), 'vg-ffmpeg-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let scripts = 0;
/** A shell script named `name` in a fresh directory; it logs each run to `<dir>/runs` and then runs `body`. */
function script(name: string, body: string): { file: string; runs: () => number } {
  const home = mkdtempSync(join(dir, `bin${scripts++}-`));
  const file = join(home, name);
  writeFileSync(file, `#!/bin/sh\necho run >> "${join(home, 'runs')}"\n${body}\n`);
  chmodSync(file, 0o755);
  return {
    file,
    runs: () => {
      try {
        return readFileSync(join(home, 'runs'), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    },
  };
}
const wrapper = (name: string, real: string) => script(name, `exec "${real}" "$@"`);

describe.skipIf(!tools || process.platform === 'win32')('findFfmpeg / findFfprobe discovery order', () => {
  it('FFMPEG_PATH / FFPROBE_PATH win over PATH', async () => {
    const mine = wrapper('my-ffmpeg', ffmpeg);
    const probe = wrapper('my-ffprobe', ffprobe);
    const env = { FFMPEG_PATH: mine.file, FFPROBE_PATH: probe.file, PATH: dirname(ffmpeg) };
    expect(await findFfmpeg(env)).toBe(mine.file);
    expect(await findFfprobe(env)).toBe(probe.file);
  });

  it('a bad FFMPEG_PATH is a clear unsupported error, with no silent fallback to PATH', async () => {
    const missing = join(dir, 'nope', 'ffmpeg');
    const error = await findFfmpeg({ FFMPEG_PATH: missing, PATH: dirname(ffmpeg) }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toContain(`FFMPEG_PATH is set to "${missing}"`);
    expect((error as Error).message).toMatch(/no file is there.*unset it/);

    const impostor = script('ffmpeg', 'echo "hello from a shell script"');
    const wrong = await findFfmpeg({ FFMPEG_PATH: impostor.file, PATH: '' }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(wrong) && wrong.code).toBe('unsupported');
    expect((wrong as Error).message).toMatch(/does not look like ffmpeg/);

    const probeError = await findFfprobe({ FFPROBE_PATH: missing, PATH: '' }).catch((e: unknown) => e);
    expect((probeError as Error).message).toContain('FFPROBE_PATH is set to');
  });

  it('finds ffmpeg on PATH, skipping entries that do not run', async () => {
    const broken = script('ffmpeg', 'exit 3');
    const good = wrapper('ffmpeg', ffmpeg);
    const found = await findFfmpeg({ PATH: [dirname(broken.file), dirname(good.file)].join(':') });
    expect(found).toBe(good.file);
    expect(broken.runs()).toBe(1);
  });

  it('falls back to the @ffmpeg-installer / @ffprobe-installer binaries when PATH has none', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    for (const [find, pkg] of [[findFfmpeg, '@ffmpeg-installer'], [findFfprobe, '@ffprobe-installer']] as const) {
      const found = await find({ PATH: empty }).catch((e: unknown) => e);
      if (GalleryError.isInstance(found)) {
        // The optional package is not installed here: the error says how to get a binary.
        expect(found.code).toBe('unsupported');
        expect(found.message).toMatch(/apt-get install ffmpeg.*_PATH.*-installer/);
      } else {
        expect(found).toContain(pkg);
      }
    }
  });

  it('caches a successful look-up (the binary is checked once)', async () => {
    const counted = wrapper('ffmpeg', ffmpeg);
    const env = { PATH: dirname(counted.file) };
    expect(await findFfmpeg(env)).toBe(counted.file);
    expect(await findFfmpeg(env)).toBe(counted.file);
    expect(counted.runs()).toBe(1);
  });
});

describe.skipIf(!tools)('runBinary', () => {
  it('resolves with stdout and reports stdout lines', async () => {
    const lines: string[] = [];
    const out = await runBinary(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=32x32:d=0.2', '-progress', 'pipe:1', '-f', 'null', '-'], {
      timeoutMs: 20_000,
      onLine: (line) => lines.push(line),
    });
    expect(out.toString('utf8')).toContain('progress=end');
    expect(lines).toContain('progress=end');
  });

  it('rejects a failed run with ProcessExitError carrying the stderr tail', async () => {
    const error = await runBinary(ffmpeg, ['-hide_banner', '-nostdin', '-i', join(dir, 'missing.mp4'), '-f', 'null', '-'], { timeoutMs: 20_000, label: 'ffmpeg' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    expect(GalleryError.isInstance(error) && error.code).toBe('provider_error');
    expect((error as ProcessExitError).exitCode).not.toBe(0);
    expect((error as Error).message).toMatch(/^ffmpeg exited with code \d+: .*No such file or directory/);
  });

  it('kills the child on timeout and on abort', async () => {
    const endless = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'color=s=32x32', '-f', 'null', '-'];
    const timedOut = await runBinary(ffmpeg, endless, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(timedOut) && timedOut.code).toBe('timeout');
    const controller = new AbortController();
    const aborted = runBinary(ffmpeg, endless, { timeoutMs: 30_000, signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    const error = await aborted;
    expect(GalleryError.isInstance(error) && error.code).toBe('cancelled');
  });

  it('pipes a stream to stdin', async () => {
    const input = new TextEncoder().encode('x'.repeat(100_000));
    const out = await runBinary(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'u8', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 'u8', 'pipe:1'], {
      timeoutMs: 20_000,
      stdin: async () => new Blob([input]).stream(),
    });
    expect(out.byteLength).toBe(input.byteLength);
  });

  it('says clearly when the binary cannot be started', async () => {
    const error = await runBinary(join(dir, 'no-such-binary'), [], { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toMatch(/could not be started.*ENOENT/);
  });
});
