// Where entries, media and jobs live, from the environment: the embedded default (SQLite, files, in-process jobs)
// or the distributed topology (PostgreSQL, S3 / R2, BullMQ on Redis with an event bridge).
import { resolve } from 'node:path';
import { GalleryError, type BlobStorage, type EntryStore, type JobRunner } from '@video-gallery/core';
import type { BullmqRunner, RedisEventBridge } from '@video-gallery/core/bullmq';

/** Which part of a distributed deployment a process plays. */
export type ProcessRole = 'web' | 'worker' | 'both';

function invalid(message: string): never {
  throw new GalleryError('invalid_input', message, { retryable: false });
}

function set(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: NodeJS.ProcessEnv, name: string, why: string): string {
  return set(env, name) ?? invalid(`${name} is required ${why}.`);
}

/** A whole number from the environment, or `fallback`. */
export function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const value = set(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) invalid(`${name} must be a whole number of at least ${min} (got ${JSON.stringify(value)}).`);
  return Number(value);
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = set(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  return invalid(`${name} must be true or false (got ${JSON.stringify(value)}).`);
}

/** What a missing optional adapter means, in one line. */
function missingAdapter(choice: string, subpath: string, error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    throw new GalleryError('unsupported', `${choice} needs @video-gallery/storage-adapters/${subpath}, which this installation does not provide (${(error as Error).message.split('\n')[0]}).`, { cause: error, retryable: false });
  }
  throw error;
}

/** The entry store: PostgreSQL when `DATABASE_URL` is set, else SQLite at `<dataDir>/gallery.db`. */
export async function storeFromEnv(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ store: EntryStore; describe: string }> {
  const url = set(env, 'DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//i.test(url)) invalid(`DATABASE_URL must be a postgres:// or postgresql:// URL (got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@').slice(0, 60))}).`);
    const poolSize = envInteger(env, 'DATABASE_POOL_SIZE', 10, 1);
    let mod: typeof import('@video-gallery/storage-adapters/postgres');
    try {
      mod = await import('@video-gallery/storage-adapters/postgres');
    } catch (error) {
      missingAdapter('DATABASE_URL', 'postgres', error);
    }
    const store = mod.createPostgresEntryStore({ connectionString: url, poolSize });
    return { store, describe: `postgres ${url.replace(/\/\/[^@/]*@/, '//…@')} (pool ${poolSize})` };
  }
  const { createSqliteEntryStore } = await import('@video-gallery/storage-adapters/sqlite');
  const filename = resolve(dataDir, 'gallery.db');
  return { store: await createSqliteEntryStore({ filename }), describe: `sqlite ${filename}` };
}

/** Blob storage: `VIDEO_GALLERY_STORAGE=fs` (default, `<dataDir>/media`), `s3` or `r2`. */
export async function storageFromEnv(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ storage: BlobStorage & { pathOf?(key: string): string }; describe: string }> {
  const kind = (set(env, 'VIDEO_GALLERY_STORAGE') ?? 'fs').toLowerCase();
  if (kind === 'fs') {
    const { createFsStorage } = await import('@video-gallery/storage-adapters/fs');
    const root = resolve(dataDir, 'media');
    return { storage: createFsStorage({ root }), describe: `fs ${root}` };
  }
  if (kind === 's3') {
    const bucket = required(env, 'S3_BUCKET', 'with VIDEO_GALLERY_STORAGE=s3 (the bucket must exist)');
    const accessKeyId = set(env, 'AWS_ACCESS_KEY_ID');
    const secretAccessKey = set(env, 'AWS_SECRET_ACCESS_KEY');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) invalid('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither to use the SDK default chain (profiles, instance roles).');
    const region = set(env, 'S3_REGION') ?? set(env, 'AWS_REGION');
    const endpoint = set(env, 'S3_ENDPOINT');
    const forcePathStyle = flag(env, 'S3_FORCE_PATH_STYLE');
    let mod: typeof import('@video-gallery/storage-adapters/s3');
    try {
      mod = await import('@video-gallery/storage-adapters/s3');
    } catch (error) {
      missingAdapter('VIDEO_GALLERY_STORAGE=s3', 's3', error);
    }
    const prefix = set(env, 'S3_PREFIX');
    const publicBaseUrl = set(env, 'S3_PUBLIC_BASE_URL');
    const storage = mod.createS3Storage({
      bucket,
      ...(prefix ? { prefix } : {}),
      ...(publicBaseUrl ? { publicBaseUrl } : {}),
      clientConfig: {
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint } : {}),
        ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
        ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      },
    });
    return { storage, describe: `s3 ${bucket}${prefix ? `/${prefix}` : ''}${endpoint ? ` at ${endpoint}` : ''}${region ? ` (${region})` : ''}` };
  }
  if (kind === 'r2') {
    const bucket = required(env, 'R2_BUCKET', 'with VIDEO_GALLERY_STORAGE=r2 (the bucket must exist)');
    const endpoint = set(env, 'R2_ENDPOINT');
    const accountId = endpoint ? set(env, 'R2_ACCOUNT_ID') : required(env, 'R2_ACCOUNT_ID', 'with VIDEO_GALLERY_STORAGE=r2 (the 32-character ID on the R2 overview page)');
    const accessKeyId = required(env, 'R2_ACCESS_KEY_ID', 'with VIDEO_GALLERY_STORAGE=r2 (an R2 API token)');
    const secretAccessKey = required(env, 'R2_SECRET_ACCESS_KEY', 'with VIDEO_GALLERY_STORAGE=r2 (an R2 API token)');
    const jurisdiction = set(env, 'R2_JURISDICTION');
    let mod: typeof import('@video-gallery/storage-adapters/r2');
    try {
      mod = await import('@video-gallery/storage-adapters/r2');
    } catch (error) {
      missingAdapter('VIDEO_GALLERY_STORAGE=r2', 'r2', error);
    }
    const prefix = set(env, 'S3_PREFIX');
    const publicBaseUrl = set(env, 'R2_PUBLIC_BASE_URL');
    const storage = mod.createR2Storage({
      bucket, accessKeyId, secretAccessKey,
      ...(accountId ? { accountId } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(jurisdiction ? { jurisdiction: jurisdiction as NonNullable<Parameters<typeof mod.createR2Storage>[0]['jurisdiction']> } : {}),
      ...(prefix ? { prefix } : {}),
      ...(publicBaseUrl ? { publicBaseUrl } : {}),
    });
    return { storage, describe: `r2 ${bucket}${prefix ? `/${prefix}` : ''}${endpoint ? ` at ${endpoint}` : accountId ? ` (account ${accountId})` : ''}` };
  }
  return invalid(`VIDEO_GALLERY_STORAGE must be fs, s3 or r2 (got ${JSON.stringify(kind)}).`);
}

/** The job runner and event bridge in effect: BullMQ + Redis pub/sub when `REDIS_URL` is set. */
export interface RunnerFromEnv {
  /** `undefined`: the gallery's default in-process runner. */
  runner: (JobRunner & Partial<Pick<BullmqRunner, 'queue' | 'sweep' | 'ready'>>) | undefined;
  bridge: RedisEventBridge | null;
  describe: string;
}

/**
 * With `REDIS_URL`: a BullMQ runner in `role` (web servers `'web'`, `video-gallery worker` `'worker'`) and a Redis
 * event bridge (web: publish and listen; worker: publish only). The bridge is closed with the runner, so
 * `gallery.close()` closes both. Without `REDIS_URL`: the in-process runner.
 */
export async function runnerFromEnv(env: NodeJS.ProcessEnv, role: ProcessRole): Promise<RunnerFromEnv> {
  const url = set(env, 'REDIS_URL');
  if (!url) return { runner: undefined, bridge: null, describe: 'in-process' };
  if (!/^rediss?:\/\//i.test(url)) invalid(`REDIS_URL must be a redis:// or rediss:// URL (got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@').slice(0, 60))}).`);
  const { bullmqRunner, createRedisEventBridge } = await import('@video-gallery/core/bullmq');
  const queueName = set(env, 'VIDEO_GALLERY_QUEUE') ?? 'video-gallery';
  const prefix = set(env, 'VIDEO_GALLERY_REDIS_PREFIX');
  // Not `<prefix>:<queue>:events`: that is the name of BullMQ's own events stream key.
  const channel = set(env, 'VIDEO_GALLERY_EVENTS_CHANNEL') ?? `${prefix ?? 'bull'}:${queueName}:gallery-events`;
  const logger = { warn: (message: string) => process.stderr.write(`warning: ${message.replace(/^video-gallery: /, '')}\n`) };
  const runner = bullmqRunner({
    connection: url, queueName, role, logger,
    ...(prefix ? { prefix } : {}),
    concurrency: envInteger(env, 'VIDEO_GALLERY_WORKER_CONCURRENCY', 4, 1),
    lockDurationMs: envInteger(env, 'VIDEO_GALLERY_LOCK_MS', 30_000, 100),
    stalledIntervalMs: envInteger(env, 'VIDEO_GALLERY_STALLED_INTERVAL_MS', 30_000, 100),
    sweepIntervalMs: envInteger(env, 'VIDEO_GALLERY_SWEEP_MS', 60_000),
    shutdownGraceMs: envInteger(env, 'VIDEO_GALLERY_SHUTDOWN_GRACE_MS', 15_000),
  });
  const bridge = createRedisEventBridge({ connection: url, channel, direction: role === 'worker' ? 'publish' : 'both', logger });
  const closeRunner = runner.close;
  const composite = {
    ...runner,
    async close() {
      await closeRunner();
      await bridge.close();
    },
  };
  return { runner: composite, bridge, describe: `bullmq ${url.replace(/\/\/[^@/]*@/, '//…@')} queue ${prefix ?? 'bull'}:${queueName} as ${role}, events on ${channel}` };
}
