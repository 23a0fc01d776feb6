// `video-gallery worker` and the distributed environment variables (createGalleryFromEnv).
// The end-to-end part needs Redis on 127.0.0.1:6379 (its own key prefix).
import { describe, expect, it } from 'vitest';
import { createDashScopeMock, serveHandler } from '@video-gallery/providers/testing';
import { dropQueue, reachable, skipUnless, uniqueName, until } from './distributed/harness.js';
import { createGalleryFromEnv } from './env.js';
import { main } from './main.js';
import { captureIo, tempDirs } from './test-support.js';

const tempDir = tempDirs('vg-worker-test-');

function start(args: string[], env: NodeJS.ProcessEnv) {
  const { io, stdout, stderr, interrupt } = captureIo(env);
  return { code: main(args, io), stdout, stderr, interrupt };
}

describe('video-gallery worker: arguments and environment', () => {
  it('needs REDIS_URL, and says why', async () => {
    const run = start(['worker'], { VIDEO_GALLERY_DATA_DIR: tempDir() });
    expect(await run.code).toBe(2);
    expect(run.stderr.text).toMatch(/worker needs REDIS_URL .*BullMQ queue on Redis/);
  });

  it('prints its usage and rejects a bad --concurrency', async () => {
    const help = start(['worker', '--help'], {});
    expect(await help.code).toBe(0);
    expect(help.stdout.text).toMatch(/video-gallery worker \[--concurrency n\]/);
    const bad = start(['worker', '--concurrency', 'many'], { REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(await bad.code).toBe(2);
    expect(bad.stderr.text).toMatch(/--concurrency must be a whole number/);
  });

  it.each([
    [{ VIDEO_GALLERY_STORAGE: 'ftp' }, /VIDEO_GALLERY_STORAGE must be fs, s3 or r2/],
    [{ VIDEO_GALLERY_STORAGE: 's3' }, /S3_BUCKET is required with VIDEO_GALLERY_STORAGE=s3/],
    [{ VIDEO_GALLERY_STORAGE: 's3', S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'only-one' }, /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/],
    [{ VIDEO_GALLERY_STORAGE: 's3', S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE must be true or false/],
    [{ VIDEO_GALLERY_STORAGE: 'r2', R2_BUCKET: 'b' }, /R2_ACCOUNT_ID is required/],
    [{ VIDEO_GALLERY_STORAGE: 'r2', R2_BUCKET: 'b', R2_ACCOUNT_ID: '0123456789abcdef0123456789abcdef' }, /R2_ACCESS_KEY_ID is required/],
    [{ DATABASE_URL: 'mysql://db/x' }, /DATABASE_URL must be a postgres:\/\//],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\//],
    [{ REDIS_URL: 'redis://127.0.0.1:6379', VIDEO_GALLERY_WORKER_CONCURRENCY: '0' }, /VIDEO_GALLERY_WORKER_CONCURRENCY must be a whole number of at least 1/],
    [{ VIDEO_GALLERY_MEDIA: 'gpu' }, /VIDEO_GALLERY_MEDIA must be ffmpeg or none/],
  ] as [NodeJS.ProcessEnv, RegExp][])('rejects %o', async (env, message) => {
    await expect(createGalleryFromEnv({ dataDir: tempDir(), env })).rejects.toThrow(message);
  });

  it('builds the S3 and R2 storages and the Postgres store from their variables (no connection is made)', async () => {
    const s3 = await createGalleryFromEnv({
      dataDir: tempDir(),
      env: {
        VIDEO_GALLERY_STORAGE: 's3', S3_BUCKET: 'videos', S3_REGION: 'eu-west-1', S3_ENDPOINT: 'http://127.0.0.1:9', S3_FORCE_PATH_STYLE: '1',
        AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', S3_PREFIX: 'gallery', S3_PUBLIC_BASE_URL: 'https://cdn.example.com/media',
        DATABASE_URL: 'postgres://app:secret@127.0.0.1:9/gallery',
      },
    });
    expect(s3.storage.name).toBe('s3');
    expect(await s3.storage.url!('videos/a.mp4')).toBe('https://cdn.example.com/media/gallery/videos/a.mp4');
    expect(s3.store.name).toBe('postgres');
    expect(s3.describe().join('\n')).toMatch(/storage: +s3 videos\/gallery at http:\/\/127\.0\.0\.1:9 \(eu-west-1\)\nentries: +postgres postgres:\/\/…@127\.0\.0\.1:9\/gallery \(pool 10\)\njobs: +in-process/);
    await s3.gallery.close();

    const r2 = await createGalleryFromEnv({
      dataDir: tempDir(),
      env: { VIDEO_GALLERY_STORAGE: 'r2', R2_BUCKET: 'clips', R2_ACCOUNT_ID: '0123456789abcdef0123456789abcdef', R2_ACCESS_KEY_ID: 'a', R2_SECRET_ACCESS_KEY: 'b', R2_PUBLIC_BASE_URL: 'https://pub-1.r2.dev' },
    });
    expect(r2.storage.name).toBe('r2');
    expect(await r2.storage.url!('videos/a.mp4')).toBe('https://pub-1.r2.dev/videos/a.mp4');
    await r2.gallery.close();
  });
});

const redisUp = await reachable(6379);
const skip = skipUnless(redisUp, 'Redis is not answering on 127.0.0.1:6379; the worker command end-to-end test is skipped.');

describe.skipIf(skip)('video-gallery worker + generate through Redis (one process each, same machine)', () => {
  it('the worker runs the job that `generate` queued, `generate` sees it finish through the event bridge, and the worker stops on SIGTERM', async () => {
    const mock = createDashScopeMock({ pendingPolls: 2 });
    const server = await serveHandler(mock.handle, { port: 0 });
    const env: NodeJS.ProcessEnv = {
      VIDEO_GALLERY_DATA_DIR: tempDir(),
      REDIS_URL: 'redis://127.0.0.1:6379',
      VIDEO_GALLERY_REDIS_PREFIX: uniqueName('cli'),
      VIDEO_GALLERY_POLL_MS: '50',
      VIDEO_GALLERY_MEDIA: 'none',
      VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK: '1',
      DASHSCOPE_API_KEY: mock.apiKey,
      DASHSCOPE_BASE_URL: `${server.url}/api/v1`,
    };
    const worker = start(['worker', '--concurrency', '2'], env);
    try {
      await until('the worker to be ready', () => /worker: ready/.test(worker.stderr.text), 30_000);
      expect(worker.stderr.text).toMatch(/jobs: +bullmq redis:\/\/127\.0\.0\.1:6379 queue vg_cli_\S+:video-gallery as worker/);
      const generate = start(['generate', 'a lighthouse in fog', '--provider', 'dashscope', '--model', 'wan2.2-t2v-plus', '--resolution', '480p', '--json'], env);
      expect(await generate.code, generate.stderr.text).toBe(0);
      const entry = JSON.parse(generate.stdout.text) as { id: string; status: string };
      expect(entry.status).toBe('ready');
      await until('the worker to report the job', () => worker.stdout.text.includes(`ready ${entry.id}`), 10_000);
      expect(mock.calls.filter((c) => c.route === 'submit')).toHaveLength(1);
      worker.interrupt();
      expect(await worker.code).toBe(0);
      expect(worker.stderr.text).toMatch(/worker: stopping.*\n(.|\n)*worker: stopped/);
    } finally {
      worker.interrupt();
      await worker.code;
      expect(await dropQueue(env.REDIS_URL!, env.VIDEO_GALLERY_REDIS_PREFIX!)).toBe(0);
      await server.close();
    }
  }, 60_000);
});
