import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { GalleryError, type BlobStorage, type EntryStore, type VideoGallery, type VideoProvider } from '@video-gallery/core';
import { createNodeGallery } from '@video-gallery/core/node';
import type { RedisEventBridge } from '@video-gallery/core/bullmq';
import { runnerFromEnv, storageFromEnv, storeFromEnv, type ProcessRole } from './topology.js';

/** Where the embedded default keeps its data: `--data-dir`, `VIDEO_GALLERY_DATA_DIR`, or `./.video-gallery`. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.VIDEO_GALLERY_DATA_DIR ?? '.video-gallery');
}

export interface GalleryFromEnvOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Local provider latency, ms (`VIDEO_GALLERY_LOCAL_LATENCY_MS`). */
  localLatencyMs?: number;
  /**
   * With `REDIS_URL`: `'web'` only enqueues jobs (web servers, CLI commands), `'worker'` runs them
   * (`video-gallery worker`), `'both'` does both. Ignored without `REDIS_URL`. Default `'web'`.
   */
  role?: ProcessRole;
}

export interface EnvGallery {
  gallery: VideoGallery;
  storage: BlobStorage & { pathOf?(key: string): string };
  store: EntryStore;
  providers: VideoProvider[];
  /** Carries gallery events between processes (with `REDIS_URL`), else `null`. Closed by `gallery.close()`. */
  bridge: RedisEventBridge | null;
  /** Human-readable summary of the configuration, one line per part. */
  describe(): string[];
}

/**
 * Builds a gallery from the environment. With nothing set: the `local` provider, filesystem storage under
 * `<dataDir>/media` and a SQLite entry store at `<dataDir>/gallery.db` (the embedded default). Providers with
 * an API key in the environment (`DASHSCOPE_API_KEY`, `GEMINI_API_KEY`, `KIE_API_KEY`) are switched on too.
 * `DATABASE_URL` (PostgreSQL), `VIDEO_GALLERY_STORAGE=s3|r2` and `REDIS_URL` (BullMQ jobs + event bridge) switch
 * on the distributed topology; see docs/deploy.md for every variable.
 */
export async function createGalleryFromEnv(options: GalleryFromEnvOptions): Promise<EnvGallery> {
  const env = options.env ?? process.env;
  const dataDir = options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const providers = await providersFromEnv(env, options);
  const { storage, describe: storageLine } = await storageFromEnv(env, dataDir);
  const { store, describe: storeLine } = await storeFromEnv(env, dataDir);
  const { runner, bridge, describe: runnerLine } = await runnerFromEnv(env, options.role ?? 'web');
  const defaultProvider = env.VIDEO_GALLERY_DEFAULT_PROVIDER;
  const pollMs = env.VIDEO_GALLERY_POLL_MS === undefined ? undefined : Number(env.VIDEO_GALLERY_POLL_MS);
  if (pollMs !== undefined && (!Number.isFinite(pollMs) || pollMs < 10)) {
    throw new GalleryError('invalid_input', 'VIDEO_GALLERY_POLL_MS must be a number of milliseconds, at least 10.', { retryable: false });
  }
  const submitGraceMs = env.VIDEO_GALLERY_SUBMIT_GRACE_MS === undefined ? undefined : Number(env.VIDEO_GALLERY_SUBMIT_GRACE_MS);
  if (submitGraceMs !== undefined && (!Number.isFinite(submitGraceMs) || submitGraceMs < 0)) {
    throw new GalleryError('invalid_input', 'VIDEO_GALLERY_SUBMIT_GRACE_MS must be a non-negative number of milliseconds.', { retryable: false });
  }
  const gallery = createNodeGallery({
    providers, storage, store,
    ...(submitGraceMs !== undefined ? { submitGraceMs } : {}),
    ...(runner ? { runner } : {}),
    ...(defaultProvider ? { defaultProvider } : {}),
    ...(pollMs !== undefined ? { poll: { initialDelayMs: pollMs, maxDelayMs: pollMs * 4 } } : {}),
    logger: { warn: (message) => process.stderr.write(`warning: ${message.replace(/^video-gallery: /, '')}\n`) },
    ...(env.VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK === '1' ? { download: { allowPrivateNetwork: true, allowHttp: true } } : {}),
    ...(mediaFromEnv(env) === 'none' ? { media: null } : {}),
  });
  if (bridge) await bridge.attach(gallery);
  return {
    gallery, storage, store, providers, bridge,
    describe: () => [
      `providers: ${providers.map((p) => p.id).join(', ')}`,
      `storage:   ${storageLine}`,
      `entries:   ${storeLine}`,
      `jobs:      ${runnerLine}`,
    ],
  };
}

/** `VIDEO_GALLERY_MEDIA`: `ffmpeg` (default: probe + thumbnail) or `none` (workers without ffmpeg; no thumbnails). */
function mediaFromEnv(env: NodeJS.ProcessEnv): 'ffmpeg' | 'none' {
  const value = (env.VIDEO_GALLERY_MEDIA ?? 'ffmpeg').trim().toLowerCase() || 'ffmpeg';
  if (value !== 'ffmpeg' && value !== 'none') throw new GalleryError('invalid_input', `VIDEO_GALLERY_MEDIA must be ffmpeg or none (got ${JSON.stringify(value)}).`, { retryable: false });
  return value;
}

async function providersFromEnv(env: NodeJS.ProcessEnv, options: GalleryFromEnvOptions): Promise<VideoProvider[]> {
  const providers: VideoProvider[] = [];
  const { createLocal } = await import('@video-gallery/providers/local');
  const latency = options.localLatencyMs ?? (env.VIDEO_GALLERY_LOCAL_LATENCY_MS ? Number(env.VIDEO_GALLERY_LOCAL_LATENCY_MS) : 0);
  if (!Number.isFinite(latency) || latency < 0) throw new GalleryError('invalid_input', 'VIDEO_GALLERY_LOCAL_LATENCY_MS must be a non-negative number of milliseconds.', { retryable: false });
  providers.push(createLocal({ latencyMs: latency, workDir: resolve(options.dataDir, 'local-renders') }));
  if (env.DASHSCOPE_API_KEY) {
    const { createDashScope } = await import('@video-gallery/providers/dashscope');
    providers.push(createDashScope({ apiKey: env.DASHSCOPE_API_KEY, ...(env.DASHSCOPE_BASE_URL ? { baseURL: env.DASHSCOPE_BASE_URL } : {}) }));
  }
  if (env.GEMINI_API_KEY) {
    const { createVeo } = await import('@video-gallery/providers/veo');
    providers.push(createVeo({ apiKey: env.GEMINI_API_KEY, ...(env.VEO_BASE_URL ? { baseURL: env.VEO_BASE_URL } : {}) }));
  }
  if (env.KIE_API_KEY) {
    const { createKie } = await import('@video-gallery/providers/kie');
    providers.push(createKie({
      apiKey: env.KIE_API_KEY,
      ...(env.KIE_BASE_URL ? { baseURL: env.KIE_BASE_URL } : {}),
      ...(env.KIE_UPLOAD_BASE_URL ? { uploadBaseURL: env.KIE_UPLOAD_BASE_URL } : {}),
    }));
  }
  return providers;
}
