import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { MediaProcessor, MediaSource } from '../contracts/media.js';
import { GalleryError } from '../errors.js';
import { findFfmpeg, findFfprobe } from './ffmpeg-binaries.js';
import { runBinary } from './ffmpeg-run.js';

export interface FfmpegMediaProcessorOptions {
  /** Default: `findFfmpeg()`. */
  ffmpegPath?: string;
  /** Default: `findFfprobe()`. */
  ffprobePath?: string;
  /** Longest a probe or thumbnail may take, ms. Default 60000. */
  timeoutMs?: number;
}

/** Width and height of a baseline or progressive JPEG, from its SOF marker. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
    }
    i += 2 + length;
  }
  return null;
}

/** Gives a file path for any media source, spooling a stream to a temporary file (removed by `release`). */
async function withPath<T>(source: MediaSource, use: (path: string) => Promise<T>): Promise<T> {
  if ('path' in source) return use(source.path);
  const path = join(tmpdir(), `video-gallery-media-${randomUUID()}`);
  try {
    const stream = await source.open();
    await pipeline(Readable.fromWeb(stream as unknown as NodeWebReadableStream<Uint8Array>), createWriteStream(path));
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * Probes videos with ffprobe (duration, width, height, bytes, codecs) and cuts JPEG thumbnails with ffmpeg.
 * Sources that are streams are spooled to a temporary file first (MP4s without `faststart` cannot be read
 * from a pipe).
 */
export function createFfmpegMediaProcessor(options: FfmpegMediaProcessorOptions = {}): MediaProcessor {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const ffmpeg = () => (options.ffmpegPath ? Promise.resolve(options.ffmpegPath) : findFfmpeg());
  const ffprobe = () => (options.ffprobePath ? Promise.resolve(options.ffprobePath) : findFfprobe());
  return {
    async probe(source) {
      const bin = await ffprobe();
      return withPath(source, async (path) => {
        const out = await runBinary(bin, ['-v', 'error', '-show_entries', 'format=duration,size:stream=codec_type,codec_name,width,height', '-of', 'json', path], { timeoutMs });
        let json: { format?: { duration?: string; size?: string }; streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[] };
        try {
          json = JSON.parse(out.toString('utf8'));
        } catch {
          throw new GalleryError('provider_error', `ffprobe printed something that is not JSON: ${out.toString('utf8').slice(0, 200)}`);
        }
        const video = json.streams?.find((s) => s.codec_type === 'video');
        if (!video) throw new GalleryError('invalid_input', 'The file has no video stream.', { retryable: false });
        const audio = json.streams?.find((s) => s.codec_type === 'audio');
        const duration = Number(json.format?.duration);
        return {
          durationSeconds: Number.isFinite(duration) ? duration : null,
          width: video.width ?? null,
          height: video.height ?? null,
          bytes: Number(json.format?.size ?? ('size' in source ? source.size : 0)),
          videoCodec: video.codec_name ?? null,
          audioCodec: audio?.codec_name ?? null,
        };
      });
    },
    async thumbnail(source, { atSeconds, width }) {
      if (!Number.isFinite(atSeconds) || atSeconds < 0) throw new GalleryError('invalid_input', `atSeconds: ${atSeconds} must be a non-negative number.`, { retryable: false });
      if (!Number.isInteger(width) || width < 16 || width > 4096) throw new GalleryError('invalid_input', `width: ${width} must be a whole number of pixels from 16 to 4096.`, { retryable: false });
      const bin = await ffmpeg();
      return withPath(source, async (path) => {
        const data = await runBinary(bin, [
          '-hide_banner', '-nostdin', '-loglevel', 'error', '-ss', atSeconds.toFixed(3), '-i', path,
          '-frames:v', '1', '-vf', `scale=${width}:-2`, '-q:v', '3', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1',
        ], { timeoutMs });
        const size = jpegSize(data);
        if (!size) throw new GalleryError('provider_error', 'ffmpeg produced no JPEG (is the time past the end of the video?).');
        return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType: 'image/jpeg', ...size };
      });
    },
  };
}
