import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { GalleryError, type JSONValue, type ProviderRequest, type ProviderStatus, type VideoProvider, type Warning } from '@video-gallery/core';
import { findFfmpeg, runBinary } from '@video-gallery/core/node';
import { findFont, renderLocalVideo, type LocalRenderSpec } from './local-render.js';
import { LOCAL_IMAGE_TYPES, LOCAL_MAX_IMAGE_BYTES, LOCAL_MODEL, LOCAL_MODEL_ID, localDimensions, type LocalProviderSettings } from './local-video-settings.js';

/** The task reference the local provider returns. Any process with the same `workDir` can finish it. */
export interface LocalTask {
  /** Names the task folder `<workDir>/tasks/<id>`. */
  id: string;
  /** When `start` ran, in ms since the epoch (by the provider's clock); `latencyMs` counts from here. */
  startedAt: number;
}

/** The local provider: a `VideoProvider` that always has `cancel` and `lookup`, and says where it works. */
export type LocalProvider = VideoProvider & Required<Pick<VideoProvider, 'cancel' | 'lookup'>> & { readonly workDir: string };

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A render lock whose heartbeat is older than this belongs to a process that is gone. */
const LOCK_STALE_MS = 15_000;
const HEARTBEAT_MS = 1_000;
const SWEEP_EVERY_MS = 10 * 60_000;

interface Job {
  progress: number;
  controller: AbortController;
  done: Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  progress: number;
}

/** What `spec.json` in a task folder holds. */
type StoredSpec = LocalRenderSpec;

function invalid(field: string, message: string): GalleryError {
  return new GalleryError('invalid_input', `${field}: ${message}`, { field, retryable: false });
}

function parseTask(task: JSONValue): LocalTask {
  const t = task as Partial<Record<keyof LocalTask, unknown>> | null;
  if (!t || typeof t !== 'object' || Array.isArray(t) || typeof t.id !== 'string' || !TASK_ID.test(t.id) || typeof t.startedAt !== 'number' || !Number.isFinite(t.startedAt)) {
    throw new GalleryError('invalid_input', 'This is not a task of the local provider (expected { id, startedAt } as returned by start()).', { retryable: false });
  }
  return { id: t.id, startedAt: t.startedAt };
}

/** A stable seed from the prompt (FNV-1a), so the same prompt looks the same when no seed is given. */
function seedOf(prompt: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(prompt)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % (LOCAL_MODEL.seed === false ? 1 : LOCAL_MODEL.seed.max + 1);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs at most `limit` tasks at once. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(signal: AbortSignal): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', stop);
        this.active += 1;
        resolve();
      };
      const stop = () => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new GalleryError('cancelled', 'The render was cancelled.', { retryable: false }));
      };
      this.waiting.push(go);
      signal.addEventListener('abort', stop, { once: true });
    });
  }
  release(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }
}

/**
 * The built-in renderer: a real H.264 + AAC MP4 of the prompt made with ffmpeg on this machine (or the given
 * image, slowly zooming), honouring aspect ratio, resolution, duration and seed. It is free and offline, and
 * behaves like a remote provider (tasks, polling, progress, latency, cancel, idempotency lookup), so the whole
 * flow runs with nothing configured.
 *
 * Everything lives under `workDir`: `tasks/<id>/` holds a task's inputs, its render and its state, and
 * `keys/` maps idempotency keys to tasks. A `status()` call in another process with the same `workDir` finishes a
 * task: it waits for the process that is rendering it (a lock file with a heartbeat), or renders it again when
 * that process is gone. Creating a provider touches no files; `start` does.
 */
export function createLocal(settings: LocalProviderSettings = {}): LocalProvider {
  const workDir = settings.workDir ?? join(tmpdir(), 'video-gallery-local');
  const latencyMs = settings.latencyMs ?? 0;
  const fps = settings.fps ?? 24;
  const retentionMs = settings.retentionMs ?? 24 * 60 * 60 * 1000;
  const renderTimeoutMs = settings.renderTimeoutMs ?? 300_000;
  const maxConcurrent = settings.maxConcurrentRenders ?? 2;
  const now = settings.now ?? Date.now;
  const setting = (field: string, message: string) => new GalleryError('invalid_input', `createLocal({ ${field} }): ${message}`, { field, retryable: false });
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw setting('latencyMs', `must be a number of milliseconds ≥ 0, got ${String(latencyMs)}.`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 60) throw setting('fps', `must be a whole number from 1 to 60, got ${String(fps)}.`);
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) throw setting('retentionMs', `must be a positive number of milliseconds, got ${String(retentionMs)}.`);
  if (!Number.isFinite(renderTimeoutMs) || renderTimeoutMs <= 0) throw setting('renderTimeoutMs', `must be a positive number of milliseconds, got ${String(renderTimeoutMs)}.`);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw setting('maxConcurrentRenders', `must be a whole number ≥ 1, got ${String(maxConcurrent)}.`);

  const jobs = new Map<string, Job>();
  const lastProgress = new Map<string, number>();
  const slots = new Slots(maxConcurrent);
  const textSupport = new Map<string, Promise<boolean>>();
  let lastSweep = 0;

  const ffmpeg = (): Promise<string> => (settings.ffmpegPath ? Promise.resolve(settings.ffmpegPath) : findFfmpeg());
  const taskDir = (id: string) => join(workDir, 'tasks', id);
  const keyFile = (key: string) => join(workDir, 'keys', `${createHash('sha256').update(key).digest('hex')}.json`);

  /** Whether this ffmpeg has the drawtext filter; assumed when it cannot be asked (the render then reports the real error). */
  const hasDrawtext = (bin: string): Promise<boolean> => {
    let known = textSupport.get(bin);
    if (!known) {
      known = runBinary(bin, ['-hide_banner', '-filters'], { timeoutMs: 15_000, label: 'ffmpeg' })
        .then((out) => /\sdrawtext\s/.test(out.toString('utf8')))
        .catch(() => true);
      textSupport.set(bin, known);
    }
    return known;
  };

  const fontFor = async (bin: string): Promise<string | null> => (settings.fontFile !== false && (await hasDrawtext(bin)) ? findFont(settings.fontFile) : null);

  async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, data);
    await rename(temp, file);
  }

  async function readSpec(id: string): Promise<StoredSpec | null> {
    try {
      return JSON.parse(await readFile(join(taskDir(id), 'spec.json'), 'utf8')) as StoredSpec;
    } catch {
      return null;
    }
  }

  async function readLock(dir: string): Promise<{ info: LockInfo | null; fresh: boolean } | null> {
    const file = join(dir, 'render.lock');
    let modified: number;
    try {
      modified = (await stat(file)).mtimeMs;
    } catch {
      return null;
    }
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(await readFile(file, 'utf8')) as LockInfo;
    } catch {
      // Being rewritten by its heartbeat right now: held, progress unknown.
    }
    const beating = Date.now() - modified < LOCK_STALE_MS;
    const ownerGone = info !== null && info.host === hostname() && !pidAlive(info.pid);
    return { info, fresh: beating && !ownerGone };
  }

  /** Takes the task's render lock; false when a live process holds it. Clears a stale lock first. */
  async function takeLock(dir: string): Promise<boolean> {
    const file = join(dir, 'render.lock');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), progress: 0 } satisfies LockInfo));
        await handle.close();
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const lock = await readLock(dir);
        if (lock?.fresh) return false;
        await unlink(file).catch(() => undefined);
      }
    }
    return false;
  }

  /**
   * Takes the task's render lock and renders it in the background in this process. Does nothing when this
   * instance already renders it or another live process holds the lock. Resolves once the lock question is settled,
   * so a task returned by `start` is visibly owned before anyone else can poll it.
   */
  async function begin(id: string, spec: StoredSpec): Promise<void> {
    if (jobs.has(id)) return;
    const dir = taskDir(id);
    const controller = new AbortController();
    const job: Job = { progress: 0, controller, done: Promise.resolve() };
    jobs.set(id, job);
    let locked = false;
    try {
      locked = await takeLock(dir);
    } finally {
      if (!locked) jobs.delete(id);
    }
    if (!locked) return;
    // The last heartbeat write, awaited before the lock is removed: one still in flight would write it back.
    let beat: Promise<void> = Promise.resolve();
    const heartbeat = setInterval(() => {
      if (existsSync(join(dir, 'cancelled'))) controller.abort();
      beat = writeFile(join(dir, 'render.lock'), JSON.stringify({ pid: process.pid, host: hostname(), progress: job.progress } satisfies LockInfo)).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref?.();
    job.done = (async () => {
      let slot = false;
      try {
        // Finished, failed or cancelled before the lock was taken: nothing to do.
        if (['out.mp4', 'error.json', 'cancelled'].some((name) => existsSync(join(dir, name)))) return;
        await slots.acquire(controller.signal);
        slot = true;
        const bin = await ffmpeg();
        await renderLocalVideo({
          ffmpeg: bin,
          dir,
          spec,
          font: await fontFor(bin),
          ...(settings.x264Preset ? { preset: settings.x264Preset } : {}),
          timeoutMs: renderTimeoutMs,
          signal: controller.signal,
          onProgress: (fraction) => {
            job.progress = Math.max(job.progress, fraction);
          },
        });
      } catch (error) {
        if (!controller.signal.aborted && !existsSync(join(dir, 'cancelled'))) {
          const failure = GalleryError.from(error);
          const message = `The local render failed: ${failure.message}`;
          await writeAtomic(join(dir, 'error.json'), JSON.stringify({ code: failure.code, message })).catch(() => undefined);
        }
      } finally {
        if (slot) slots.release();
        clearInterval(heartbeat);
        await beat;
        await unlink(join(dir, 'render.lock')).catch(() => undefined);
        jobs.delete(id);
      }
    })();
  }

  /** Deletes task folders and key records older than `retentionMs` (at most every 10 minutes, in the background). */
  async function sweep(): Promise<void> {
    const cutoff = Date.now() - retentionMs;
    const tasks = join(workDir, 'tasks');
    for (const id of await readdir(tasks).catch(() => [] as string[])) {
      if (!TASK_ID.test(id) || jobs.has(id)) continue;
      const dir = join(tasks, id);
      const info = await stat(join(dir, 'spec.json')).catch(() => null);
      if (!info || info.mtimeMs >= cutoff || (await readLock(dir))?.fresh) continue;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    const keys = join(workDir, 'keys');
    for (const name of await readdir(keys).catch(() => [] as string[])) {
      const info = await stat(join(keys, name)).catch(() => null);
      if (info && info.mtimeMs < cutoff) await rm(join(keys, name), { force: true }).catch(() => undefined);
    }
  }

  function validate(request: ProviderRequest): { warnings: Warning[] } {
    const warnings: Warning[] = [];
    const caps = LOCAL_MODEL;
    if (request.model !== LOCAL_MODEL_ID) throw invalid('model', `the local provider has one model, ${LOCAL_MODEL_ID}; got "${request.model}".`);
    if (request.mode !== 'text' && request.mode !== 'image' && request.mode !== 'first-last-frame') {
      throw invalid('mode', `the local provider renders text, image or first-last-frame mode, not "${String(request.mode)}".`);
    }
    if (typeof request.prompt !== 'string' || request.prompt.trim() === '') throw invalid('prompt', 'must not be empty.');
    if (request.prompt.length > caps.maxPromptLength) throw invalid('prompt', `is ${request.prompt.length} characters; at most ${caps.maxPromptLength} are allowed.`);
    const negativeMax = caps.negativePrompt === false ? 0 : caps.negativePrompt.maxLength;
    if (request.negativePrompt !== undefined && request.negativePrompt.length > negativeMax) throw invalid('negativePrompt', `is ${request.negativePrompt.length} characters; at most ${negativeMax} are allowed.`);
    if (!caps.aspectRatios.includes(request.aspectRatio)) throw invalid('aspectRatio', `"${request.aspectRatio}" is not supported; use one of ${caps.aspectRatios.join(', ')}.`);
    if (!caps.resolutions.includes(request.resolution)) throw invalid('resolution', `"${request.resolution}" is not supported; use one of ${caps.resolutions.join(', ')}.`);
    if (!caps.durations.includes(request.durationSeconds)) throw invalid('durationSeconds', `${String(request.durationSeconds)} is not supported; use a whole number from 1 to 10.`);
    if (request.seed !== undefined && caps.seed !== false && (!Number.isInteger(request.seed) || request.seed < caps.seed.min || request.seed > caps.seed.max)) {
      throw invalid('seed', `must be a whole number from ${caps.seed.min} to ${caps.seed.max}, got ${String(request.seed)}.`);
    }
    const checkImage = (field: 'image' | 'lastFrame', image: ProviderRequest['image']): void => {
      if (!image) throw invalid(field, request.mode === 'image' ? 'image mode needs an image.' : 'first-last-frame mode needs both images (image and lastFrame).');
      if (!Object.hasOwn(LOCAL_IMAGE_TYPES, image.mediaType)) throw invalid(field, `${image.mediaType} is not supported; use ${Object.keys(LOCAL_IMAGE_TYPES).join(', ')}.`);
      if (image.data.byteLength === 0) throw invalid(field, 'the image is empty.');
      if (image.data.byteLength > LOCAL_MAX_IMAGE_BYTES) throw invalid(field, `is ${image.data.byteLength} bytes; at most ${LOCAL_MAX_IMAGE_BYTES} are allowed.`);
    };
    if (request.lastFrame && request.mode !== 'first-last-frame') throw invalid('lastFrame', 'a last frame needs first-last-frame mode.');
    if (request.mode === 'image' || request.mode === 'first-last-frame') {
      checkImage('image', request.image);
      if (request.mode === 'first-last-frame') checkImage('lastFrame', request.lastFrame);
    } else if (request.image) {
      warnings.push({ type: 'unsupported', feature: 'image', message: 'The request is in text mode, so the local provider ignores its image.' });
    }
    return { warnings };
  }

  const pendingStatus = (id: string, progress: number, retryAfterMs: number): ProviderStatus => {
    const shown = Math.min(0.99, Math.max(lastProgress.get(id) ?? 0, progress));
    lastProgress.set(id, shown);
    return { state: 'pending', progress: shown, retryAfterMs: Math.max(0, Math.round(retryAfterMs)) };
  };

  const provider: LocalProvider = {
    specificationVersion: 'v1',
    id: 'local',
    workDir,
    models: () => [LOCAL_MODEL],

    async start(request, { signal, idempotencyKey }) {
      signal?.throwIfAborted();
      const { warnings } = validate(request);
      // Find ffmpeg now, so a missing one is a clear error from start rather than a failed task.
      const bin = await ffmpeg();
      if (settings.fontFile && !existsSync(settings.fontFile)) {
        warnings.push({ type: 'other', feature: 'font', message: `The font file ${settings.fontFile} does not exist; another font is used if one is found.` });
      }
      if (settings.fontFile === false) {
        // Text switched off on purpose: nothing to warn about.
      } else if (!(await hasDrawtext(bin))) {
        warnings.push({ type: 'unsupported', feature: 'text', message: `${bin} has no drawtext filter (ffmpeg built without libfreetype), so the video shows no text.` });
      } else if (!findFont(settings.fontFile)) {
        warnings.push({
          type: 'unsupported',
          feature: 'text',
          message: 'No font file was found, so the video shows no text. Install one (Debian/Ubuntu: apt-get install fonts-dejavu-core), or pass createLocal({ fontFile }) or set VIDEO_GALLERY_FONT.',
        });
      }
      signal?.throwIfAborted();

      const id = randomUUID();
      const dir = taskDir(id);
      await mkdir(dir, { recursive: true });
      const spec: StoredSpec = {
        prompt: request.prompt,
        aspectRatio: request.aspectRatio,
        resolution: request.resolution,
        durationSeconds: request.durationSeconds,
        seed: request.seed ?? seedOf(request.prompt),
        fps,
        audio: request.audio !== false,
      };
      if (request.negativePrompt?.trim()) spec.negativePrompt = request.negativePrompt;
      if (request.mode !== 'text' && request.image) {
        spec.imageFile = `input.${LOCAL_IMAGE_TYPES[request.image.mediaType]!}`;
        await writeFile(join(dir, spec.imageFile), request.image.data);
      }
      if (request.mode === 'first-last-frame' && request.lastFrame) {
        spec.lastFrameFile = `last.${LOCAL_IMAGE_TYPES[request.lastFrame.mediaType]!}`;
        await writeFile(join(dir, spec.lastFrameFile), request.lastFrame.data);
      }
      // spec.json last and atomically: a task folder with a spec has all its inputs.
      await writeAtomic(join(dir, 'spec.json'), JSON.stringify(spec));
      const task: LocalTask = { id, startedAt: now() };
      await mkdir(join(workDir, 'keys'), { recursive: true });
      await writeAtomic(keyFile(idempotencyKey), JSON.stringify(task));
      await begin(id, spec);
      if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = Date.now();
        void sweep().catch(() => undefined);
      }
      return { task: { ...task }, warnings };
    },

    async status(taskRef, { signal }) {
      signal?.throwIfAborted();
      const task = parseTask(taskRef);
      const dir = taskDir(task.id);
      const spec = await readSpec(task.id);
      if (!spec) {
        return { state: 'failed', error: new GalleryError('expired', `The local task ${task.id} is no longer in ${workDir} (deleted after retentionMs, or started with another workDir).`, { retryable: false }) };
      }
      if (existsSync(join(dir, 'cancelled'))) return { state: 'failed', error: new GalleryError('cancelled', 'The render was cancelled.', { retryable: false }) };
      const elapsed = now() - task.startedAt;
      const timeShare = latencyMs > 0 ? Math.min(1, Math.max(0, elapsed / latencyMs)) : 1;

      // out.mp4 appears by an atomic rename, so once it exists it is complete.
      const out = join(dir, 'out.mp4');
      const done = await stat(out).catch(() => null);
      if (done) {
        if (timeShare < 1) return pendingStatus(task.id, timeShare, latencyMs - elapsed);
        lastProgress.delete(task.id);
        const size = done.size;
        return {
          state: 'succeeded',
          outputs: [{
            expiresAt: new Date(done.mtimeMs + retentionMs).toISOString(),
            open: async ({ signal: openSignal, offset = 0 }) => {
              openSignal?.throwIfAborted();
              if (!Number.isInteger(offset) || offset < 0 || offset > size) throw invalid('offset', `must be a whole number from 0 to ${size}, got ${String(offset)}.`);
              if (!existsSync(out)) throw new GalleryError('expired', `The local render ${task.id} was deleted from ${workDir}.`, { retryable: false });
              const file = createReadStream(out, { start: offset });
              if (openSignal) addAbortSignal(openSignal, file);
              return { body: Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>, contentType: 'video/mp4', size };
            },
          }],
          usage: { videoSeconds: spec.durationSeconds, ...localDimensions(spec.aspectRatio, spec.resolution) },
        };
      }

      const failure = await readFile(join(dir, 'error.json'), 'utf8').catch(() => null);
      if (failure !== null) {
        let message = 'The local render failed.';
        try {
          message = (JSON.parse(failure) as { message?: string }).message ?? message;
        } catch {
          // keep the generic message
        }
        return { state: 'failed', error: new GalleryError('provider_error', message) };
      }

      // Rendering in this instance, or in another live process (its lock has a heartbeat).
      const job = jobs.get(task.id);
      if (job) return pendingStatus(task.id, Math.min(job.progress, timeShare), 500);
      const lock = await readLock(dir);
      if (lock?.fresh) return pendingStatus(task.id, Math.min(lock.info?.progress ?? 0, timeShare), 1000);

      // Nobody is rendering it (the process that started it is gone): render it here. If it finished just now,
      // begin() sees the result and does nothing, and the next poll reports it.
      signal?.throwIfAborted();
      await begin(task.id, spec);
      return pendingStatus(task.id, 0, 500);
    },

    async cancel(taskRef) {
      const task = parseTask(taskRef);
      const dir = taskDir(task.id);
      if (!(await readSpec(task.id))) return { cancelled: false };
      if (existsSync(join(dir, 'out.mp4')) || existsSync(join(dir, 'error.json'))) return { cancelled: false };
      await writeFile(join(dir, 'cancelled'), '');
      const job = jobs.get(task.id);
      if (job) {
        job.controller.abort();
        await job.done;
      }
      // A render that finished in the meantime wins: report honestly.
      if (existsSync(join(dir, 'out.mp4'))) {
        await rm(join(dir, 'cancelled'), { force: true });
        return { cancelled: false };
      }
      return { cancelled: true };
    },

    async lookup(idempotencyKey) {
      let task: LocalTask;
      try {
        task = parseTask(JSON.parse(await readFile(keyFile(idempotencyKey), 'utf8')) as JSONValue);
      } catch {
        return null; // start() never got as far as recording the task
      }
      return (await readSpec(task.id)) ? { task: { ...task } } : null;
    },
  };
  return provider;
}
