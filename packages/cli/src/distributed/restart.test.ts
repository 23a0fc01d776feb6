// Redis and PostgreSQL restarted in the middle of a run (private instances on free ports, tooling.md §12):
// jobs resume when the service returns, nothing is lost, nothing is submitted twice.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GalleryEntry } from '@video-gallery/core';
import { createDashScopeMock, serveHandler } from '@video-gallery/providers/testing';
import { createGalleryFromEnv, type EnvGallery } from '../env.js';
import {
  CLI_BIN, dropQueue, postgresStoreAvailable, privatePostgres, privateRedis, reachable, skipUnless, spawnTs, tempDir, uniqueName, until, type Proc,
} from './harness.js';

const redis = await privateRedis();
const skipRedis = skipUnless(!('reason' in redis), `a private redis-server cannot run (${'reason' in redis ? redis.reason : ''}); the Redis restart test is skipped.`);
const pgStore = await postgresStoreAvailable();
const pg = pgStore ? await privatePostgres() : { reason: 'the Postgres entry store is not importable' };
const sharedRedisUp = await reachable(6379);
const skipPg = skipUnless(!('reason' in pg) && sharedRedisUp, `PostgreSQL restart test skipped: ${'reason' in pg ? `a private PostgreSQL cluster cannot run (${pg.reason})` : 'Redis is not answering on 127.0.0.1:6379'}.`);

afterAll(async () => {
  if (!('reason' in redis)) await redis.destroy();
  if (!('reason' in pg)) pg.destroy();
});

const ended = (e: GalleryEntry | null) => !!e && (e.status === 'ready' || e.status === 'failed' || e.status === 'cancelled');

async function setup(label: string, extra: NodeJS.ProcessEnv & { REDIS_URL: string }) {
  const dataDir = tempDir(`vg-${label}-`);
  const mock = createDashScopeMock({ pendingPolls: 8, queuedPolls: 1 });
  const server = await serveHandler(mock.handle, { port: 0 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIDEO_GALLERY_DATA_DIR: dataDir.path,
    VIDEO_GALLERY_REDIS_PREFIX: uniqueName(label),
    VIDEO_GALLERY_POLL_MS: '250',
    VIDEO_GALLERY_MEDIA: 'none',
    VIDEO_GALLERY_LOCK_MS: '1000',
    VIDEO_GALLERY_STALLED_INTERVAL_MS: '500',
    VIDEO_GALLERY_SWEEP_MS: '1000',
    VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK: '1',
    DASHSCOPE_API_KEY: mock.apiKey,
    DASHSCOPE_BASE_URL: `${server.url}/api/v1`,
    ...extra,
  };
  const web: EnvGallery = await createGalleryFromEnv({ dataDir: dataDir.path, env, role: 'web' });
  const workers: Proc[] = [1, 2].map((n) => spawnTs(`worker ${n}`, CLI_BIN, ['worker'], env));
  await Promise.all(workers.map((w) => w.waitFor(/worker: ready/)));
  const generate = (i: number) => web.gallery.generate({ provider: 'dashscope', model: 'wan2.2-t2v-plus', resolution: '480p', prompt: `${label} job ${i}` });
  const waitAll = (ids: string[], timeoutMs = 120_000) => until(`${ids.length} jobs to end`, async () => {
    const all = await Promise.all(ids.map((id) => web.store.get(id)));
    return all.every(ended) ? (all as GalleryEntry[]) : null;
  }, timeoutMs, 250);
  const cleanup = async () => {
    for (const w of workers) w.kill('SIGKILL');
    await web.gallery.close();
    await dropQueue(env.REDIS_URL!, env.VIDEO_GALLERY_REDIS_PREFIX!);
    await server.close();
    dataDir.remove();
  };
  return { env, mock, web, workers, generate, waitAll, cleanup };
}

describe.skipIf(skipRedis)('Redis restarted mid-run (no persistence: every key is lost)', () => {
  it('jobs resume when Redis is back: the sweep re-queues them from the entry store; jobs created while it was down run too', async () => {
    if ('reason' in redis) return;
    const run = await setup('redis-restart', { REDIS_URL: redis.url });
    try {
      const first = await Promise.all(Array.from({ length: 12 }, (_, i) => run.generate(i)));
      await until('jobs polling the provider', async () => {
        const all = await Promise.all(first.map((e) => run.web.store.get(e.id)));
        return all.filter((e) => e?.status === 'generating').length >= 6;
      }, 60_000, 50);
      await redis.stop();
      // Accepted while Redis is down: stored, the enqueue gives up after its timeout with a warning.
      const during = await Promise.all([100, 101, 102].map((i) => run.generate(i)));
      expect(during.map((e) => e.status)).toEqual(['queued', 'queued', 'queued']);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await redis.start();
      const done = await run.waitAll([...first, ...during].map((e) => e.id));
      expect(done.map((e) => e.status)).toEqual(done.map(() => 'ready'));
      const submits = run.mock.calls.filter((c) => c.route === 'submit').map((c) => (c.body as { input: { prompt: string } }).input.prompt);
      expect(submits.sort()).toEqual([...first, ...during].map((e) => e.request.prompt).sort());
      expect(run.workers.some((w) => /the job sweep queued \d+ unfinished job/.test(w.stderr)), run.workers.map((w) => w.tail()).join('\n')).toBe(true);
      const codes = await Promise.all(run.workers.map((w) => w.stop()));
      expect(codes).toEqual([0, 0]);
    } finally {
      await run.cleanup();
    }
  }, 240_000);
});

describe.skipIf(skipPg)('PostgreSQL restarted mid-run', () => {
  it('steps fail while it is down and resume when it is back; nothing is lost or submitted twice', async () => {
    if ('reason' in pg) return;
    const run = await setup('pg-restart', { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: pg.url });
    try {
      const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => run.generate(i)));
      // Past the paid submission (see docs/deploy.md for an outage during `submitting`).
      await until('every job polling the provider', async () => {
        const all = await Promise.all(jobs.map((e) => run.web.store.get(e.id)));
        return all.every((e) => e?.status === 'generating');
      }, 60_000, 50);
      pg.stop();
      // The web process cannot accept a job while the store is down: it says so, nothing half-accepted.
      await expect(run.generate(99)).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      pg.start();
      const done = await run.waitAll(jobs.map((e) => e.id));
      expect(done.map((e) => e.status)).toEqual(done.map(() => 'ready'));
      const submits = run.mock.calls.filter((c) => c.route === 'submit');
      expect(submits).toHaveLength(jobs.length);
      expect(run.workers.some((w) => /step failed/.test(w.stderr)), run.workers.map((w) => w.tail()).join('\n')).toBe(true);
      const codes = await Promise.all(run.workers.map((w) => w.stop()));
      expect(codes).toEqual([0, 0]);
    } finally {
      await run.cleanup();
    }
  }, 240_000);
});
