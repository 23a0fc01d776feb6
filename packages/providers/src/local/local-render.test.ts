import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFfmpeg, findFfprobe } from '@video-gallery/core/node';
import { escapeFilterValue, findFont, parseProgressLine, renderArguments, renderLocalVideo, wrap, type LocalRenderSpec } from './local-render.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'no ffmpeg/ffprobe found: the local render tests need them (apt-get install ffmpeg, or the optional @ffmpeg-installer packages)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP local render tests: ${reason}`);
}
const [ffmpeg, ffprobe] = tools ?? ['', ''];
const font = findFont();
if (tools && !font) {
  const reason = 'no font file found (apt-get install fonts-dejavu-core)';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP local render text tests: ${reason}`);
}

const root = mkdtempSync(join(tmpdir(), 'vg-local-render-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const taskDir = () => {
  const dir = join(root, `task-${dirs++}`);
  mkdirSync(dir);
  return dir;
};

const spec = (overrides: Partial<LocalRenderSpec> = {}): LocalRenderSpec => ({
  prompt: 'A paper boat on a calm lake', aspectRatio: '16:9', resolution: '480p', durationSeconds: 1, seed: 1, fps: 24, ...overrides,
});

function probe(file: string): string {
  return execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim();
}

describe('wrap()', () => {
  it('wraps words, cuts long words and ends a cut text with an ellipsis', () => {
    expect(wrap('aaa bbb ccc', 7, 5)).toBe('aaa bbb\nccc');
    expect(wrap('abcdefghij', 4, 5)).toBe('abcd\nefgh\nij');
    expect(wrap('a b c d e f', 1, 3)).toBe('a\nb\n…');
    expect(wrap('one two three four', 9, 1)).toBe('one two…');
  });

  it('keeps line breaks, drops control characters and collapses blank lines', () => {
    expect(wrap('line one\r\nline two', 20, 5)).toBe('line one\nline two');
    expect(wrap('\n\na\n\n\n\nb\n\n', 20, 5)).toBe('a\n\nb');
    expect(wrap('tab\there\u0000\u0007 bell', 20, 5)).toBe('tab here bell');
  });

  it('never splits an emoji or a combined character, and counts wide characters as two columns', () => {
    const family = '👨‍👩‍👧';
    expect(wrap(`${family}${family}${family}`, 4, 5)).toBe(`${family}${family}\n${family}`);
    expect(wrap('日本語のテキスト', 6, 5)).toBe('日本語\nのテキ\nスト');
    expect(wrap('e\u0301e\u0301e\u0301', 2, 5)).toBe('e\u0301e\u0301\ne\u0301');
  });
});

describe('escapeFilterValue() / parseProgressLine() / findFont()', () => {
  it('escapes for the option list and then for the filter graph', () => {
    expect(escapeFilterValue('%{pts:hms}')).toBe('%{pts\\\\:hms}');
    expect(escapeFilterValue("it's")).toBe("it\\\\\\'s");
    expect(escapeFilterValue('a,b;c[d]')).toBe('a\\,b\\;c\\[d\\]');
    expect(escapeFilterValue('C:\\Fonts\\arial.ttf')).toBe('C\\\\:\\\\\\\\Fonts\\\\\\\\arial.ttf');
  });

  it('reads seconds from -progress lines of old and new ffmpeg builds', () => {
    expect(parseProgressLine('out_time_us=1500000')).toBe(1.5);
    expect(parseProgressLine('out_time_ms=2500000')).toBe(2.5);
    expect(parseProgressLine('out_time=00:01:02.500000')).toBeCloseTo(62.5, 6);
    expect(parseProgressLine('out_time=N/A')).toBeNull();
    expect(parseProgressLine('frame=12')).toBeNull();
  });

  it('prefers an explicit font, and finds none when there is none', () => {
    const saved = process.env.VIDEO_GALLERY_FONT;
    delete process.env.VIDEO_GALLERY_FONT;
    try {
      expect(findFont(undefined, [])).toBeNull();
      expect(findFont(join(root, 'missing.ttf'), [])).toBeNull();
      if (font) expect(findFont(font, [])).toBe(font);
    } finally {
      if (saved !== undefined) process.env.VIDEO_GALLERY_FONT = saved;
    }
  });

  it('builds an argument list that keeps the prompt out of the command line', () => {
    const args = renderArguments(spec({ prompt: 'SECRET "prompt"; rm -rf /' }), { font: '/fonts/a.ttf', output: 'out.partial.mp4', hasPrompt: true, hasNegative: false });
    expect(args.join(' ')).not.toContain('SECRET');
    expect(args.join(' ')).toContain('textfile=prompt.txt:expansion=none');
    expect(args.at(-1)).toBe('file:out.partial.mp4');
    expect(args).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart']));
    const silent = renderArguments(spec({ audio: false }), { font: null, output: 'o.mp4', hasPrompt: false, hasNegative: false });
    expect(silent).toContain('-an');
    expect(silent.join(' ')).not.toContain('drawtext');
  });
});

describe.skipIf(!tools)('renderLocalVideo()', () => {
  it('renders shapes only when there is no font, reporting progress up to 1', async () => {
    const dir = taskDir();
    const seen: number[] = [];
    await renderLocalVideo({ ffmpeg, dir, spec: spec({ durationSeconds: 2 }), font: null, onProgress: (f) => seen.push(f) });
    expect(probe(join(dir, 'out.mp4'))).toBe('h264,854,480\naac');
    expect(seen.at(-1)).toBe(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it.skipIf(!font)('reads a font from a path full of filter-graph syntax', async () => {
    const fontDir = join(root, "we'ird: [fonts], x;y\\z");
    mkdirSync(fontDir);
    const odd = join(fontDir, 'font%{pts}.ttf');
    copyFileSync(font!, odd);
    const dir = taskDir();
    await renderLocalVideo({ ffmpeg, dir, spec: spec({ negativePrompt: 'blur' }), font: odd });
    expect(probe(join(dir, 'out.mp4'))).toBe('h264,854,480\naac');
  });

  it('fails with the stderr tail and leaves no partial file behind', async () => {
    const dir = taskDir();
    const error = await renderLocalVideo({ ffmpeg, dir, spec: spec({ imageFile: 'missing.png' }), font: null }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/ffmpeg exited with code \d+: .*missing\.png/);
    expect(existsSync(join(dir, 'out.mp4'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
