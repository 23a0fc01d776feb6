import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { MediaProcessor, MediaSource } from '../contracts/media.js';
import { GalleryError } from '../errors.js';
import { findFfmpeg, findFfprobe } from './ffmpeg.js';
import { ProcessExitError, runBinary } from './ffmpeg-run.js';

/** Options of {@link createFfmpegMediaProcessor}. */
export interface FfmpegMediaProcessorOptions {
  /** ffmpeg binary. Default: {@link findFfmpeg} (`FFMPEG_PATH`, `PATH`, then `@ffmpeg-installer/ffmpeg`). */
  ffmpegPath?: string;
  /** ffprobe binary. Default: {@link findFfprobe} (`FFPROBE_PATH`, `PATH`, then `@ffprobe-installer/ffprobe`). */
  ffprobePath?: string;
  /** Longest one ffmpeg / ffprobe run may take before it is killed (`timeout` error). Default 60 000 ms. */
  timeoutMs?: number;
}

/** What `probe` reports. */
export type ProbeResult = Awaited<ReturnType<MediaProcessor['probe']>>;

/** Largest thumbnail accepted from ffmpeg. */
const MAX_THUMBNAIL_BYTES = 20 * 1024 * 1024;

/**
 * A {@link MediaProcessor} backed by ffmpeg / ffprobe child processes (Node only).
 *
 * - `probe` reads duration, dimensions, codecs with `ffprobe -show_entries … -of json`; `bytes` is the file's size
 *   (or the `size` the stream source declares).
 * - `thumbnail` returns a JPEG `width` px wide (aspect kept, height rounded to an even number). When the clip is
 *   shorter than `2 × atSeconds` the frame is taken from the middle of the clip instead.
 *
 * A `{ path }` source is read directly. An `{ open, size }` source is piped to stdin; if ffmpeg cannot read it that
 * way (for example an MP4 whose index sits at the end), it is copied to a temporary file and read again.
 * Binaries are located lazily on first use. Errors: `unsupported` (no binary), `timeout`, `not_found` (missing
 * file), `invalid_input` (ffmpeg could not read the video; the message carries the tail of its stderr).
 */
export function createFfmpegMediaProcessor(options: FfmpegMediaProcessorOptions = {}): MediaProcessor {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new GalleryError('invalid_input', `createFfmpegMediaProcessor: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`, { retryable: false, field: 'timeoutMs' });
  }
  const ffmpeg = (): Promise<string> => (options.ffmpegPath ? Promise.resolve(options.ffmpegPath) : findFfmpeg());
  const ffprobe = (): Promise<string> => (options.ffprobePath ? Promise.resolve(options.ffprobePath) : findFfprobe());

  async function probeInput(input: Input): Promise<Omit<ProbeResult, 'bytes'>> {
    const bin = await ffprobe();
    const stdout = await runBinary(
      bin,
      ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height,duration', '-of', 'json', input.arg],
      { label: 'ffprobe', timeoutMs, ...(input.stdin ? { stdin: input.stdin } : {}), maxStdoutBytes: 1024 * 1024 },
    );
    return parseProbe(stdout.toString('utf8'));
  }

  async function thumbnailInput(input: Input, atSeconds: number, width: number): Promise<Uint8Array> {
    const bin = await ffmpeg();
    const grab = async (at: number): Promise<Uint8Array> => {
      const args = ['-hide_banner', '-loglevel', 'error'];
      if (!input.stdin) args.push('-nostdin');
      args.push('-ss', at.toFixed(3), '-i', input.arg, '-frames:v', '1', '-an', '-sn', '-dn', '-vf', `scale=${width}:-2`);
      args.push('-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p', '-f', 'image2pipe', 'pipe:1');
      const stdout = await runBinary(bin, args, { label: 'ffmpeg', timeoutMs, ...(input.stdin ? { stdin: input.stdin } : {}), maxStdoutBytes: MAX_THUMBNAIL_BYTES });
      return new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength);
    };
    let data = await grab(atSeconds);
    // Seeking past the last frame yields nothing: fall back to the first frame.
    if (data.byteLength === 0 && atSeconds > 0) data = await grab(0);
    if (data.byteLength === 0) throw new ProcessExitError('ffmpeg', 0, null, 'no video frame could be decoded');
    return data;
  }

  return {
    async probe(source) {
      const bytes = await sourceSize(source);
      const result = await withInput(source, probeInput, 'ffprobe');
      return { ...result, bytes };
    },

    async thumbnail(source, { atSeconds, width }) {
      if (!Number.isInteger(width) || width < 16 || width > 8192) {
        throw new GalleryError('invalid_input', `thumbnail width must be a whole number of pixels from 16 to 8192, got ${String(width)}.`, { retryable: false, field: 'width' });
      }
      if (!Number.isFinite(atSeconds) || atSeconds < 0) {
        throw new GalleryError('invalid_input', `thumbnail atSeconds must be a number ≥ 0, got ${String(atSeconds)}.`, { retryable: false, field: 'atSeconds' });
      }
      await sourceSize(source);
      return withInput(
        source,
        async (input) => {
          const { durationSeconds } = await probeInput(input);
          const at = durationSeconds !== null && durationSeconds < 2 * atSeconds ? durationSeconds / 2 : atSeconds;
          const data = await thumbnailInput(input, at, width);
          const size = jpegSize(data);
          if (!size) throw new ProcessExitError('ffmpeg', 0, null, 'the thumbnail it wrote is not a JPEG');
          return { data, contentType: 'image/jpeg', width: size.width, height: size.height };
        },
        'ffmpeg',
      );
    },
  };
}

/** How a source is handed to ffmpeg: a file argument, or `pipe:0` plus the bytes for stdin. */
interface Input {
  arg: string;
  stdin?: () => Promise<ReadableStream<Uint8Array>>;
}

async function sourceSize(source: MediaSource): Promise<number> {
  if ('path' in source) {
    try {
      const info = await stat(source.path);
      if (!info.isFile()) throw new GalleryError('invalid_input', `"${source.path}" is not a file.`, { retryable: false });
      return info.size;
    } catch (error) {
      if (GalleryError.isInstance(error)) throw error;
      throw new GalleryError('not_found', `Video file "${source.path}" cannot be read: ${(error as Error).message}`, { retryable: false, cause: error });
    }
  }
  return source.size;
}

/**
 * Runs `work` on the source. A stream is piped first; when ffmpeg fails on the pipe, the stream is copied to a
 * temporary file and `work` runs once more on that file. Process failures become `invalid_input` errors.
 */
async function withInput<T>(source: MediaSource, work: (input: Input) => Promise<T>, label: string): Promise<T> {
  try {
    if ('path' in source) return await work({ arg: fileArgument(source.path) });
    try {
      return await work({ arg: 'pipe:0', stdin: source.open });
    } catch (error) {
      if (!(error instanceof ProcessExitError)) throw error;
      const dir = await mkdtemp(join(tmpdir(), 'video-gallery-media-'));
      try {
        const file = join(dir, 'input');
        const stream = await source.open();
        await pipeline(Readable.fromWeb(stream as NodeWebReadableStream<Uint8Array>), createWriteStream(file));
        return await work({ arg: fileArgument(file) });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } catch (error) {
    if (error instanceof ProcessExitError) {
      throw new GalleryError('invalid_input', `${label} could not read the video: ${error.stderrTail || `exit code ${String(error.exitCode)}`}`, { retryable: false, cause: error });
    }
    throw error;
  }
}

/** `file:` keeps a path that starts with `-` or looks like a protocol (`http:`, `concat:`) a plain file. */
function fileArgument(path: string): string {
  return `file:${path}`;
}

interface ProbeJson {
  format?: { duration?: string };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; duration?: string }[];
}

/** Parses `ffprobe -of json` output. */
export function parseProbe(text: string): Omit<ProbeResult, 'bytes'> {
  let json: ProbeJson;
  try {
    json = JSON.parse(text) as ProbeJson;
  } catch {
    throw new ProcessExitError('ffprobe', 0, null, `unreadable output: ${text.slice(0, 200)}`);
  }
  const streams = Array.isArray(json.streams) ? json.streams : [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  let durationSeconds = toNumber(json.format?.duration);
  if (durationSeconds === null) {
    const durations = streams.map((s) => toNumber(s.duration)).filter((d): d is number => d !== null);
    durationSeconds = durations.length > 0 ? Math.max(...durations) : null;
  }
  return {
    durationSeconds,
    width: typeof video?.width === 'number' && video.width > 0 ? video.width : null,
    height: typeof video?.height === 'number' && video.height > 0 ? video.height : null,
    videoCodec: video?.codec_name ?? null,
    audioCodec: audio?.codec_name ?? null,
  };
}

function toNumber(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Reads the frame size from a JPEG's SOF header, or null when the bytes are not a JPEG. */
export function jpegSize(data: Uint8Array): { width: number; height: number } | null {
  if (data.byteLength < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < data.byteLength) {
    if (data[i] !== 0xff) return null;
    const marker = data[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const height = (data[i + 5]! << 8) | data[i + 6]!;
      const width = (data[i + 7]! << 8) | data[i + 8]!;
      return { width, height };
    }
    const length = (data[i + 2]! << 8) | data[i + 3]!;
    i += 2 + length;
  }
  return null;
}
