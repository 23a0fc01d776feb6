import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GalleryError, type JSONValue, type ProviderStatus, type VideoProvider, type Warning } from '@video-gallery/core';
import { findFfmpeg } from '@video-gallery/core/node';
import { LOCAL_MODEL, LOCAL_MODEL_ID } from './local-capabilities.js';
import { findFont, renderLocalVideo, type LocalRenderSpec } from './local-render.js';

export interface LocalProviderSettings {
  /**
   * Minimum time from `start` to a finished result, ms, to mimic a remote provider (progress is reported
   * along the way). Default 0: done as soon as ffmpeg is.
   */
  latencyMs?: number;
  /** Where renders and their inputs are kept. Default `<os tmpdir>/video-gallery-local`. */
  workDir?: string;
  /** ffmpeg binary. Default: `findFfmpeg()` (FFMPEG_PATH, PATH, or @ffmpeg-installer/ffmpeg). */
  ffmpegPath?: string;
  /** A TrueType font for the caption. Default: `VIDEO_GALLERY_FONT`, else a common system font. */
  fontFile?: string;
  /** Frames per second. Default 24. */
  fps?: number;
  /** Current time, ms. Injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** The task reference the local provider returns (self-contained: any process with the same workDir can finish it). */
export interface LocalTask {
  id: string;
  startedAt: number;
}

export type LocalProvider = VideoProvider & { readonly workDir: string };

const TASK_ID = /^[a-f0-9-]{36}$/;
const IMAGE_EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

interface Render {
  progress: number;
  done: Promise<void>;
  error: GalleryError | null;
  controller: AbortController;
}

function taskOf(task: JSONValue): LocalTask {
  const t = task as Partial<LocalTask> | null;
  if (!t || typeof t !== 'object' || typeof t.id !== 'string' || !TASK_ID.test(t.id) || typeof t.startedAt !== 'number') {
    throw new GalleryError('invalid_input', 'Not a task of the local provider.', { retryable: false });
  }
  return { id: t.id, startedAt: t.startedAt };
}

/**
 * The built-in renderer: makes a real H.264 + AAC MP4 of the prompt with ffmpeg (or animates the given image),
 * honouring aspect ratio, resolution and duration. Free, offline, and shaped like a remote provider (tasks,
 * polling, progress, cancel, lookup), so the whole flow can run with nothing configured.
 */
export function createLocal(settings: LocalProviderSettings = {}): LocalProvider {
  const workDir = settings.workDir ?? join(tmpdir(), 'video-gallery-local');
  const latencyMs = settings.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new GalleryError('invalid_input', 'latencyMs: must be a non-negative number of milliseconds.', { field: 'latencyMs', retryable: false });
  const fps = settings.fps ?? 24;
  const now = settings.now ?? Date.now;
  const renders = new Map<string, Render>();
  const ffmpeg = () => (settings.ffmpegPath ? Promise.resolve(settings.ffmpegPath) : findFfmpeg());
  const dirOf = (id: string) => join(workDir, 'tasks', id);
  const keyFile = (key: string) => join(workDir, 'keys', `${createHash('sha256').update(key).digest('hex')}.json`);

  const begin = (id: string, spec: LocalRenderSpec): Render => {
    const controller = new AbortController();
    const render: Render = { progress: 0, error: null, controller, done: Promise.resolve() };
    render.done = (async () => {
      try {
        await renderLocalVideo({
          ffmpeg: await ffmpeg(), dir: dirOf(id), spec, font: findFont(settings.fontFile), signal: controller.signal,
          onProgress: (fraction) => {
            render.progress = Math.max(render.progress, fraction);
          },
        });
      } catch (error) {
        render.error = controller.signal.aborted
          ? new GalleryError('cancelled', 'The render was cancelled.', { retryable: false })
          : GalleryError.from(error);
      }
    })();
    renders.set(id, render);
    return render;
  };

  const readSpec = async (id: string): Promise<LocalRenderSpec> => {
    try {
      return JSON.parse(await readFile(join(dirOf(id), 'task.json'), 'utf8')) as LocalRenderSpec;
    } catch {
      throw new GalleryError('expired', `The local task ${id} is gone from ${workDir}.`, { retryable: false });
    }
  };

  return {
    specificationVersion: 'v1',
    id: 'local',
    workDir,
    models: () => [LOCAL_MODEL],

    async start(request, { signal, idempotencyKey }) {
      signal?.throwIfAborted();
      const warnings: Warning[] = [];
      if (request.model !== LOCAL_MODEL_ID) warnings.push({ type: 'unsupported', feature: 'model', message: `The local renderer has one model (${LOCAL_MODEL_ID}); ${request.model} renders the same way.` });
      if (request.negativePrompt) warnings.push({ type: 'unsupported', feature: 'negativePrompt', message: 'The local renderer ignores the negative prompt.' });
      if (request.audio === false) warnings.push({ type: 'unsupported', feature: 'audio', message: 'The local renderer always adds a sound track.' });
      if (request.mode === 'first-last-frame') throw new GalleryError('invalid_input', 'The local renderer does not support a last frame.', { field: 'lastFrame', retryable: false });
      const id = randomUUID();
      const dir = dirOf(id);
      await mkdir(dir, { recursive: true });
      const spec: LocalRenderSpec = {
        prompt: request.prompt, aspectRatio: request.aspectRatio, resolution: request.resolution,
        durationSeconds: request.durationSeconds, seed: request.seed ?? Number.parseInt(id.slice(0, 8), 16) % 100_000, fps,
      };
      if (request.image) {
        const ext = IMAGE_EXTENSIONS[request.image.mediaType];
        if (!ext) throw new GalleryError('invalid_input', `image: ${request.image.mediaType} is not supported; use PNG, JPEG or WebP.`, { field: 'image', retryable: false });
        spec.imageFile = `input.${ext}`;
        await writeFile(join(dir, spec.imageFile), request.image.data);
      }
      await writeFile(join(dir, 'task.json'), JSON.stringify(spec));
      const task: LocalTask = { id, startedAt: now() };
      // The key index is written last and atomically: lookup() finds only tasks whose inputs are complete.
      await mkdir(join(workDir, 'keys'), { recursive: true });
      const index = keyFile(idempotencyKey);
      await writeFile(`${index}.${id}.tmp`, JSON.stringify(task));
      await rename(`${index}.${id}.tmp`, index);
      begin(id, spec);
      return { task: task as unknown as JSONValue, warnings };
    },

    async status(taskRef, { signal }) {
      signal?.throwIfAborted();
      const task = taskOf(taskRef);
      const dir = dirOf(task.id);
      if (existsSync(join(dir, 'cancelled'))) return { state: 'failed', error: new GalleryError('cancelled', 'The render was cancelled.', { retryable: false }) };
      const out = join(dir, 'out.mp4');
      let render = renders.get(task.id);
      if (!render && !existsSync(out)) render = begin(task.id, await readSpec(task.id)); // another process started it
      if (render?.error) {
        renders.delete(task.id);
        return { state: 'failed', error: render.error };
      }
      const elapsed = now() - task.startedAt;
      const timeShare = latencyMs > 0 ? Math.min(1, elapsed / latencyMs) : 1;
      const finished = existsSync(out);
      if (!finished || timeShare < 1) {
        const progress = Math.min(finished ? 1 : (render?.progress ?? 0), timeShare) * 0.99;
        const status: ProviderStatus = { state: 'pending', progress };
        if (latencyMs > 0 && finished) status.retryAfterMs = Math.max(0, latencyMs - elapsed);
        return status;
      }
      renders.delete(task.id);
      const size = (await stat(out)).size;
      return {
        state: 'succeeded',
        outputs: [{
          expiresAt: new Date(now() + (LOCAL_MODEL.resultUrlTtlSeconds ?? 86_400) * 1000).toISOString(),
          open: async ({ offset = 0 }) => ({
            contentType: 'video/mp4',
            size: size - offset,
            body: Readable.toWeb(createReadStream(out, { start: offset })) as unknown as ReadableStream<Uint8Array>,
          }),
        }],
        usage: { seconds: (await readSpec(task.id)).durationSeconds },
      };
    },

    async cancel(taskRef) {
      const task = taskOf(taskRef);
      const dir = dirOf(task.id);
      if (!existsSync(dir) || existsSync(join(dir, 'out.mp4'))) return { cancelled: false };
      await writeFile(join(dir, 'cancelled'), '');
      renders.get(task.id)?.controller.abort();
      return { cancelled: true };
    },

    async lookup(idempotencyKey) {
      try {
        const task = JSON.parse(await readFile(keyFile(idempotencyKey), 'utf8')) as LocalTask;
        return { task: task as unknown as JSONValue };
      } catch {
        return null; // no index file: start() never got as far as recording the task
      }
    },
  };
}
