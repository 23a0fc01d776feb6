import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBinary } from '@video-gallery/core/node';
import { localDimensions } from './local-video-settings.js';

/** Everything a render needs. Stored in the task folder (`spec.json`) so any process can (re)do it. */
export interface LocalRenderSpec {
  prompt: string;
  /** Drawn faintly at the bottom ("not: …"); the renderer has nothing else to steer. */
  negativePrompt?: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  /** Picks the background colours, their motion and the tone. */
  seed: number;
  fps: number;
  /** `false` leaves the audio track out. Default true. */
  audio?: boolean;
  /** File name of the input image inside the task folder, for image-to-video (the first frame with `lastFrameFile`). */
  imageFile?: string;
  /** File name of the last frame inside the task folder, for first + last frame: the video cross-fades to it. */
  lastFrameFile?: string;
}

/** Options of {@link renderLocalVideo}. */
export interface LocalRenderOptions {
  /** ffmpeg binary. **Required.** */
  ffmpeg: string;
  /** The task folder: inputs are read from it, text files and `out.mp4` are written to it. **Required.** */
  dir: string;
  spec: LocalRenderSpec;
  /** Font file for the text, or `null` to render without text. */
  font: string | null;
  /** x264 preset. Default `'ultrafast'`. */
  preset?: string;
  /** Kill ffmpeg after this long. Default 300 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with the share of the video written so far, 0..1, non-decreasing. */
  onProgress?: (fraction: number) => void;
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf',
  '/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf',
  '/usr/share/fonts/noto/NotoSans-Bold.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSansBold.ttf',
  '/usr/local/share/fonts/DejaVuSans-Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arialbd.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];

/**
 * A font file for the text: `explicit` when that file exists, else the `VIDEO_GALLERY_FONT` environment variable,
 * else the first of `candidates` that exists (default: common DejaVu, Liberation, Noto, FreeSans and Arial locations),
 * else `null` (render without text).
 */
export function findFont(explicit?: string, candidates: readonly string[] = FONT_CANDIDATES): string | null {
  for (const candidate of [explicit, process.env.VIDEO_GALLERY_FONT, ...candidates]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Escapes a value for a filter option inside an ffmpeg filter graph: once for the option list (`\ ' :`) and once
 * for the graph (`\ ' [ ] , ;`), as the ffmpeg-filters manual's "Notes on filtergraph escaping" describe.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\':]/g, '\\$&').replace(/[\\'[\],;]/g, '\\$&');
}

/** A filter with escaped option values: `name=key=value:key=value`. */
function filter(name: string, options: Record<string, string | number>): string {
  const list = Object.entries(options).map(([key, value]) => `${key}=${escapeFilterValue(String(value))}`);
  return list.length > 0 ? `${name}=${list.join(':')}` : name;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Removes control characters (keeping line breaks) and turns tabs into spaces. */
function normalize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b\u2028\u2029\ufeff]/g, (c) => (c === '\u2028' || c === '\u2029' ? '\n' : ''));
}

/** Columns a grapheme takes: 2 for wide scripts and emoji, else 1. */
function columns(grapheme: string): number {
  const code = grapheme.codePointAt(0) ?? 0;
  return code >= 0x1100 && (code <= 0x115f || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) || code >= 0x1f000)
    ? 2
    : 1;
}

/**
 * Wraps text to lines of at most `width` columns (wide characters count 2; words longer than a line are cut
 * between characters, never inside one) and keeps at most `maxLines` lines, ending the last kept one with `…`
 * when text was dropped. Control characters are removed; line breaks are kept.
 */
export function wrap(text: string, width: number, maxLines: number): string {
  const lines: string[] = [];
  for (const paragraph of normalize(text).split('\n')) {
    let line: string[] = [];
    let used = 0;
    const flush = () => {
      lines.push(line.join(''));
      line = [];
      used = 0;
    };
    for (const word of paragraph.split(' ').filter(Boolean)) {
      const chars = Array.from(segmenter.segment(word), (s) => s.segment);
      const wordColumns = chars.reduce((n, c) => n + columns(c), 0);
      if (used > 0 && used + 1 + wordColumns <= width) {
        line.push(' ', ...chars);
        used += 1 + wordColumns;
        continue;
      }
      if (used > 0) flush();
      for (const char of chars) {
        const w = columns(char);
        if (used > 0 && used + w > width) flush();
        line.push(char);
        used += w;
      }
    }
    flush();
  }
  // Drop blank lines at either end and runs of blank lines.
  const kept = lines.filter((l, i) => l !== '' || (i > 0 && lines[i - 1] !== ''));
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  while (kept.length > 0 && kept[0] === '') kept.shift();
  if (kept.length <= maxLines) return kept.join('\n');
  const last = Array.from(segmenter.segment(kept[maxLines - 1]!), (s) => s.segment);
  let cut = '';
  let used = 0;
  for (const char of last) {
    if (used + columns(char) > width - 1) break;
    cut += char;
    used += columns(char);
  }
  return [...kept.slice(0, maxLines - 1), `${cut.trimEnd()}…`].join('\n');
}

/** Seconds of output written, from one line of `ffmpeg -progress` output, or null when the line says nothing about it. */
export function parseProgressLine(line: string): number | null {
  const micro = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
  if (micro) return Number(micro[1]) / 1e6;
  const clock = /^out_time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(line);
  if (clock) return Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  return null;
}

/** A small deterministic generator (mulberry32) for seed-dependent looks. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const n = (value: number) => value.toFixed(3);

/** Font sizes and line lengths for a frame. Glyphs of the bold sans fonts average about 0.62 em. */
function layout(width: number, height: number, image: boolean) {
  const short = Math.min(width, height);
  const size = image ? Math.round(short / 22) : Math.round(short / 14);
  const small = Math.max(12, Math.round(short / 30));
  return {
    size,
    small,
    perLine: Math.max(8, Math.floor((width * 0.84) / (size * 0.62))),
    maxLines: image ? 3 : Math.max(2, Math.floor((height * 0.6) / (size * 1.3))),
    smallPerLine: Math.max(8, Math.floor((width * 0.9) / (small * 0.62))),
  };
}

/**
 * Animated background: three drifting colour waves computed at a small size and scaled up (cheap at any
 * resolution, and works with ffmpeg builds from 2018 on, which have no `gradients` source).
 */
function backgroundExpressions(seed: number): Record<'r' | 'g' | 'b', string> {
  const next = random(seed);
  const channel = (): string => {
    const base = 70 + next() * 60;
    const amplitude = 40 + next() * 45;
    const fx = 0.4 + next() * 0.9;
    const fy = 0.3 + next() * 0.9;
    const speed = (next() < 0.5 ? -1 : 1) * (0.12 + next() * 0.25);
    const phase = next() * 2 * Math.PI;
    return `${n(base)}+${n(amplitude)}*sin(2*PI*(X/W*${n(fx)}+Y/H*${n(fy)}+T*${n(speed)})+${n(phase)})`;
  };
  return { r: channel(), g: channel(), b: channel() };
}

/** A tone from the seed, on a pentatonic scale from 220 Hz. */
function tone(seed: number): number {
  const steps = [0, 2, 4, 7, 9, 12, 14, 16];
  return Math.round(220 * 2 ** (steps[seed % steps.length]! / 12));
}

/** The ffmpeg arguments of a render; ffmpeg runs in the task folder, so every file name is relative. */
export function renderArguments(spec: LocalRenderSpec, options: { font: string | null; preset?: string; output: string; hasPrompt: boolean; hasNegative: boolean }): string[] {
  const { width, height } = localDimensions(spec.aspectRatio, spec.resolution);
  const d = spec.durationSeconds;
  const fps = spec.fps;
  const frames = Math.round(d * fps);
  const short = Math.min(width, height);
  const bar = Math.max(4, Math.round(height / 120));
  const { size, small } = layout(width, height, spec.imageFile !== undefined);
  const margin = Math.round(short / 30);
  const audio = spec.audio !== false;

  const inputs: string[] = [];
  const graph: string[] = [];
  /** Adds an ffmpeg input and returns its index. */
  const input = (...args: string[]): number => {
    inputs.push(...args);
    return inputs.filter((a) => a === '-i').length - 1;
  };
  const still = (file: string): string => {
    const index = input('-loop', '1', '-framerate', String(fps), '-t', String(d), '-i', `file:${file}`);
    // Cover the frame with the image.
    return `[${index}:v]${filter('scale', { w: width, h: height, force_original_aspect_ratio: 'increase', flags: 'bicubic' })},` +
      `${filter('crop', { w: width, h: height })},setsar=1`;
  };
  if (spec.imageFile && spec.lastFrameFile) {
    // First + last frame: hold the first image, cross-fade to the last through the middle half, hold it.
    graph.push(`${still(spec.imageFile)},settb=AVTB,${filter('fps', { fps })}[first]`);
    graph.push(`${still(spec.lastFrameFile)},settb=AVTB,${filter('fps', { fps })}[last]`);
    graph.push(`[first][last]${filter('xfade', { transition: 'fade', duration: d / 2, offset: d / 4 })},format=yuv420p[bg]`);
  } else if (spec.imageFile) {
    // Then zoom in slowly towards the centre.
    graph.push(
      `${still(spec.imageFile)},` +
        `${filter('zoompan', { z: `1+0.12*on/${frames}`, x: 'iw/2-(iw/zoom/2)', y: 'ih/2-(ih/zoom/2)', d: 1, s: `${width}x${height}`, fps })},format=yuv420p[bg]`,
    );
  } else {
    const longSide = Math.max(width, height);
    const sw = Math.max(2, Math.round((width * 64) / longSide));
    const sh = Math.max(2, Math.round((height * 64) / longSide));
    const index = input('-f', 'lavfi', '-i', filter('color', { c: 'black', s: `${sw}x${sh}`, r: fps, d }));
    graph.push(`[${index}:v]format=gbrp,${filter('geq', backgroundExpressions(spec.seed))},${filter('scale', { w: width, h: height, flags: 'bicubic' })},format=yuv420p[bg]`);
  }
  // A bar along the bottom that fills up with time.
  const barInput = input('-f', 'lavfi', '-i', filter('color', { c: 'white@0.85', s: `${width}x${bar}`, r: fps, d }));
  let chain = `[bg][${barInput}:v]${filter('overlay', { x: `-w+W*t/${d}`, y: 'H-h', eval: 'frame' })}`;

  const { font } = options;
  if (font) {
    const text = (values: Record<string, string | number>) => {
      chain += `,${filter('drawtext', { fontfile: font, ...values })}`;
    };
    if (options.hasPrompt) {
      text({
        textfile: 'prompt.txt', expansion: 'none', fontsize: size, fontcolor: 'white', line_spacing: Math.round(size * 0.3),
        box: 1, boxcolor: 'black@0.4', boxborderw: Math.round(size * 0.5),
        x: '(w-text_w)/2', y: spec.imageFile ? `h-text_h-${bar + margin * 2}` : '(h-text_h)/2',
      });
    }
    if (options.hasNegative) {
      text({ textfile: 'negative.txt', expansion: 'none', fontsize: small, fontcolor: 'white@0.4', x: margin, y: `h-text_h-${bar + margin}` });
    }
    text({ text: `seed ${spec.seed}`, fontsize: small, fontcolor: 'white@0.75', x: margin, y: margin });
    text({ text: '%{pts:hms}', fontsize: small, fontcolor: 'white@0.85', x: `w-text_w-${margin}`, y: margin });
  }
  graph.push(`${chain}[v]`);
  if (audio) {
    const toneInput = input('-f', 'lavfi', '-i', filter('sine', { frequency: tone(spec.seed), beep_factor: 2, sample_rate: 48000, duration: d }));
    graph.push(`[${toneInput}:a]volume=0.2[a]`);
  }
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs,
    '-filter_complex', graph.join(';'),
    '-map', '[v]', ...(audio ? ['-map', '[a]'] : ['-an']),
    '-t', String(d), '-r', String(fps),
    '-c:v', 'libx264', '-preset', options.preset ?? 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'] : []),
    '-movflags', '+faststart', '-progress', 'pipe:1', '-nostats', '-f', 'mp4', `file:${options.output}`,
  ];
}

/**
 * Renders `spec` to `out.mp4` in the task folder: H.264 (yuv420p, `+faststart`) with an AAC track, showing the
 * wrapped prompt over an animated seed-coloured background (or the input image, slowly zooming), the seed, the
 * running time and a time bar. The prompt reaches ffmpeg through `prompt.txt` with `expansion=none`, so any text is
 * drawn literally. ffmpeg writes to a uniquely named partial file that is renamed when complete, so `out.mp4` is
 * never half-written. Rejects with `@video-gallery/core/node`'s `ProcessExitError` (stderr tail in the message),
 * or `GalleryError` `timeout` / `cancelled`.
 */
export async function renderLocalVideo(options: LocalRenderOptions): Promise<void> {
  const { dir, spec, font } = options;
  const { width, height } = localDimensions(spec.aspectRatio, spec.resolution);
  let hasPrompt = false;
  let hasNegative = false;
  if (font) {
    const { perLine, maxLines, smallPerLine } = layout(width, height, spec.imageFile !== undefined);
    const caption = wrap(spec.prompt, perLine, maxLines);
    hasPrompt = caption !== '';
    if (hasPrompt) await writeFile(join(dir, 'prompt.txt'), caption, 'utf8');
    if (spec.negativePrompt) {
      const negative = wrap(`not: ${spec.negativePrompt.replace(/\s+/g, ' ')}`, smallPerLine, 1);
      hasNegative = negative !== '';
      if (hasNegative) await writeFile(join(dir, 'negative.txt'), negative, 'utf8');
    }
  }
  const partial = `out.${randomUUID()}.partial.mp4`;
  const args = renderArguments(spec, { font, output: partial, hasPrompt, hasNegative, ...(options.preset ? { preset: options.preset } : {}) });
  let reported = 0;
  const report = (fraction: number) => {
    const clamped = Math.min(1, Math.max(0, fraction));
    if (clamped > reported) {
      reported = clamped;
      options.onProgress?.(clamped);
    }
  };
  try {
    await runBinary(options.ffmpeg, args, {
      label: 'ffmpeg',
      cwd: dir,
      timeoutMs: options.timeoutMs ?? 300_000,
      collect: false,
      ...(options.signal ? { signal: options.signal } : {}),
      onLine: (line) => {
        const seconds = parseProgressLine(line);
        if (seconds !== null) report(seconds / spec.durationSeconds);
      },
    });
    await rename(join(dir, partial), join(dir, 'out.mp4'));
    report(1);
  } finally {
    await rm(join(dir, partial), { force: true });
  }
}
