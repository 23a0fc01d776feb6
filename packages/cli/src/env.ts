import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { GalleryError, type BlobStorage, type EntryStore, type VideoGallery, type VideoProvider } from '@video-gallery/core';
import { createNodeGallery } from '@video-gallery/core/node';

/** Where the embedded default keeps its data: `--data-dir`, `VIDEO_GALLERY_DATA_DIR`, or `./.video-gallery`. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.VIDEO_GALLERY_DATA_DIR ?? '.video-gallery');
}

export interface GalleryFromEnvOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Local provider latency, ms (`VIDEO_GALLERY_LOCAL_LATENCY_MS`). */
  localLatencyMs?: number;
}

export interface EnvGallery {
  gallery: VideoGallery;
  storage: BlobStorage & { pathOf?(key: string): string };
  store: EntryStore;
  providers: VideoProvider[];
  /** Human-readable summary of the configuration, one line per part. */
  describe(): string[];
}

/**
 * Builds a gallery from the environment. With nothing set: the `local` provider, filesystem storage under
 * `<dataDir>/media` and a SQLite entry store at `<dataDir>/gallery.db` (the embedded default). Providers with
 * an API key in the environment (`DASHSCOPE_API_KEY`, `GEMINI_API_KEY`, `KIE_API_KEY`) are switched on too.
 */
export async function createGalleryFromEnv(options: GalleryFromEnvOptions): Promise<EnvGallery> {
  const env = options.env ?? process.env;
  const dataDir = options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const providers = await providersFromEnv(env, options);
  const { createFsStorage } = await import('@video-gallery/storage-adapters/fs');
  const storage = createFsStorage({ root: resolve(dataDir, 'media') });
  const { createSqliteEntryStore } = await import('@video-gallery/storage-adapters/sqlite');
  const store = await createSqliteEntryStore({ filename: resolve(dataDir, 'gallery.db') });
  const defaultProvider = env.VIDEO_GALLERY_DEFAULT_PROVIDER;
  const pollMs = env.VIDEO_GALLERY_POLL_MS === undefined ? undefined : Number(env.VIDEO_GALLERY_POLL_MS);
  if (pollMs !== undefined && (!Number.isFinite(pollMs) || pollMs < 10)) {
    throw new GalleryError('invalid_input', 'VIDEO_GALLERY_POLL_MS must be a number of milliseconds, at least 10.', { retryable: false });
  }
  const gallery = createNodeGallery({
    providers, storage, store,
    ...(defaultProvider ? { defaultProvider } : {}),
    ...(pollMs !== undefined ? { poll: { initialDelayMs: pollMs, maxDelayMs: pollMs * 4 } } : {}),
    logger: { warn: (message) => process.stderr.write(`warning: ${message.replace(/^video-gallery: /, '')}\n`) },
    ...(env.VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK === '1' ? { download: { allowPrivateNetwork: true, allowHttp: true } } : {}),
  });
  return {
    gallery, storage, store, providers,
    describe: () => [
      `providers: ${providers.map((p) => p.id).join(', ')}`,
      `storage:   fs ${resolve(dataDir, 'media')}`,
      `entries:   sqlite ${resolve(dataDir, 'gallery.db')}`,
    ],
  };
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
