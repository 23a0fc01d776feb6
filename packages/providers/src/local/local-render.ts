import { existsSync } from 'node:fs';
import { rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBinary } from '@video-gallery/core/node';
import { localDimensions } from './local-capabilities.js';

/** Everything a render needs; stored in the task directory so any process can (re)do it. */
export interface LocalRenderSpec {
  prompt: string;
  aspectRatio: string;
  resolution: string;
  durationSeconds: number;
  seed: number;
  fps: number;
  /** File name of the input image inside the task directory, for image-to-video. */
  imageFile?: string;
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arialbd.ttf',
];

/** A TrueType font for the caption: `VIDEO_GALLERY_FONT`, else a common system font, else `null`. */
export function findFont(explicit?: string): string | null {
  for (const candidate of [explicit, process.env.VIDEO_GALLERY_FONT, ...FONT_CANDIDATES]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

/** Wraps text to lines of at most `width` characters (words longer than that are cut). */
export function wrap(text: string, width: number, maxLines: number): string {
  const lines: string[] = [];
  for (const paragraph of text.replace(/\r/g, '').split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      for (let piece = word; piece.length > 0; piece = piece.slice(width)) {
        const part = piece.slice(0, width);
        if (line && line.length + 1 + part.length > width) {
          lines.push(line);
          line = part;
        } else line = line ? `${line} ${part}` : part;
      }
    }
    lines.push(line);
  }
  const kept = lines.filter((l, i) => l !== '' || i < lines.length - 1);
  return kept.length > maxLines ? [...kept.slice(0, maxLines - 1), `${kept[maxLines - 1]!.slice(0, width - 1)}…`].join('\n') : kept.join('\n');
}

/** A colour from the seed, dark enough for white text. */
function palette(seed: number): [string, string] {
  const hue = (seed * 137.508) % 360;
  const hsl = (h: number, s: number, l: number) => {
    const a = s * Math.min(l, 1 - l);
    const f = (n: number) => {
      const k = (n + h / 30) % 12;
      return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))).toString(16).padStart(2, '0');
    };
    return `0x${f(0)}${f(8)}${f(4)}`;
  };
  return [hsl(hue, 0.55, 0.22), hsl((hue + 40) % 360, 0.7, 0.55)];
}

/**
 * Renders the spec to `out.mp4` in `dir` (through `out.partial.mp4`, renamed when complete): H.264 yuv420p with
 * an AAC track and `faststart`, showing the prompt over a seed-coloured animated background, or animating the
 * input image with a slow zoom.
 */
export async function renderLocalVideo(options: {
  ffmpeg: string;
  dir: string;
  spec: LocalRenderSpec;
  font: string | null;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}): Promise<void> {
  const { dir, spec, font } = options;
  const { width, height } = localDimensions(spec.aspectRatio, spec.resolution);
  const d = spec.durationSeconds;
  const fps = spec.fps;
  const [background, accent] = palette(spec.seed);
  const fontSize = Math.max(16, Math.round(Math.min(width, height) / 14));
  const charsPerLine = Math.max(10, Math.floor(width / (fontSize * 0.62)));
  // Text goes through files in the task directory and relative names, so no prompt and no path is ever
  // interpreted by the filter-graph parser.
  await writeFile(join(dir, 'caption.txt'), wrap(spec.prompt, charsPerLine, spec.imageFile ? 2 : 6));
  if (font) {
    await rm(join(dir, 'font.ttf'), { force: true });
    await symlink(font, join(dir, 'font.ttf'));
  }
  const text = (extra: string) => (font ? `,drawtext=fontfile=font.ttf:${extra}` : '');
  const caption = text(`textfile=caption.txt:expansion=none:fontsize=${spec.imageFile ? Math.round(fontSize * 0.7) : fontSize}:fontcolor=white:line_spacing=${Math.round(fontSize / 3)}:box=1:boxcolor=black@0.45:boxborderw=${Math.round(fontSize / 2)}:x=(w-text_w)/2:y=${spec.imageFile ? 'h-text_h-h/12' : '(h-text_h)/2'}`);
  const clock = text(`text='%{pts\\:hms}':fontsize=${Math.round(fontSize * 0.6)}:fontcolor=white@0.8:x=w-text_w-${Math.round(fontSize / 2)}:y=${Math.round(fontSize / 2)}`);
  const bar = `,drawbox=x=0:y=ih-ih/40:w=iw*t/${d}:h=ih/40:color=${accent}@0.9:t=fill`;

  const inputs: string[] = [];
  let video: string;
  if (spec.imageFile) {
    // Fill the frame (cover), then zoom in slowly towards the centre.
    const frames = Math.round(d * fps);
    inputs.push('-loop', '1', '-framerate', String(fps), '-t', String(d), '-i', spec.imageFile);
    video = `[0:v]scale=${width * 2}:${height * 2}:force_original_aspect_ratio=increase,crop=${width * 2}:${height * 2},`
      + `zoompan=z='1+0.25*on/${frames}':d=1:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=${width}x${height}:fps=${fps},format=yuv420p${caption}${clock}${bar}[v]`;
  } else {
    inputs.push('-f', 'lavfi', '-i', `color=c=${background}:s=${width}x${height}:r=${fps}:d=${d}`);
    const band = `drawbox=x='mod(t*iw/${Math.max(2, d)}*1.5,iw+iw/3)-iw/3':y=0:w=iw/3:h=ih:color=${accent}@0.25:t=fill`;
    video = `[0:v]format=yuv420p,${band}${caption}${clock}${bar}[v]`;
  }
  const tone = 220 + (spec.seed % 12) * 27.5;
  inputs.push('-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=48000:duration=${d}`);
  const partial = 'out.partial.mp4';
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs,
    '-filter_complex', video, '-map', '[v]', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-r', String(fps),
    '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-t', String(d), '-movflags', '+faststart',
    '-progress', 'pipe:1', '-nostats', partial,
  ];
  await runBinary(options.ffmpeg, args, {
    cwd: dir,
    timeoutMs: 120_000 + d * 30_000,
    collect: false,
    ...(options.signal ? { signal: options.signal } : {}),
    onLine: (line) => {
      const match = /^out_time_(?:us|ms)=(\d+)/.exec(line);
      if (match) options.onProgress?.(Math.min(1, Number(match[1]) / 1e6 / d));
    },
  });
  await rename(join(dir, partial), join(dir, 'out.mp4'));
  options.onProgress?.(1);
}
