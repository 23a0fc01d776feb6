// Two web processes (HTTP handler + SSE + event bridge, role web) and three `video-gallery worker` processes on
// loopback, sharing Redis, the entry store and the blob storage, run 200 jobs against a DashScope mock.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryStore, GalleryEntry } from '@video-gallery/core';
import type { GalleryEventJson } from '@video-gallery/core/server';
import { createDashScopeMock, serveHandler } from '@video-gallery/providers/testing';
import { storeFromEnv } from '../topology.js';
import {
  CLI_BIN, createTestDatabase, dropQueue, FIXTURES, openEventStream, postgresStoreAvailable, reachable, s3Env, skipUnless, spawnTs, startS3, tempDir,
  uniqueName, until, type Proc, type S3Fixture,
} from './harness.js';

const JOBS = 200;
const redisUp = await reachable(6379);
const skip = skipUnless(redisUp, 'Redis is not answering on 127.0.0.1:6379; the scale test needs it (tooling.md §12).');

let dataDir: ReturnType<typeof tempDir>;
let database: { url: string; drop(): void } | null = null;
let s3: S3Fixture | null = null;
const notes: string[] = [];

beforeAll(async () => {
  if (skip) return;
  dataDir = tempDir('vg-scale-');
  if (await postgresStoreAvailable()) {
    const created = await createTestDatabase();
    if ('url' in created) database = created;
    else notes.push(`PostgreSQL: ${created.reason}; using a SQLite file shared by the processes`);
  } else notes.push('the Postgres entry store is not importable; using a SQLite file shared by the processes');
  const started = await startS3();
  if ('reason' in started) notes.push(`S3: ${started.reason}; using the filesystem storage`);
  else s3 = started;
  if (notes.length > 0 && process.env.VG_REQUIRE_ALL === '1') throw new Error(`${notes.join('; ')} (VG_REQUIRE_ALL=1)`);
  for (const note of notes) console.warn(`scale test: ${note}`);
}, 60_000);

afterAll(async () => {
  if (skip) return;
  await s3?.close();
  database?.drop();
  dataDir?.remove();
});

describe.skipIf(skip)(`${JOBS} jobs, 2 web processes, 3 workers`, () => {
  it('every job reaches ready with one provider start, and each web server streams every change of its owner\'s entries', async () => {
    const prefix = uniqueName('scale');
    const mock = createDashScopeMock({ pendingPolls: 2, queuedPolls: 1 });
    const server = await serveHandler(mock.handle, { port: 0 });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VIDEO_GALLERY_DATA_DIR: dataDir.path,
      REDIS_URL: 'redis://127.0.0.1:6379',
      VIDEO_GALLERY_REDIS_PREFIX: prefix,
      VIDEO_GALLERY_POLL_MS: '100',
      VIDEO_GALLERY_MEDIA: 'none',
      VIDEO_GALLERY_WORKER_CONCURRENCY: '8',
      VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK: '1',
      DASHSCOPE_API_KEY: mock.apiKey,
      DASHSCOPE_BASE_URL: `${server.url}/api/v1`,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...(s3 ? s3Env(s3, prefix) : {}),
    };
    const procs: Proc[] = [];
    let store: EntryStore | undefined;
    const streams: { close(): void }[] = [];
    try {
      const webs = [1, 2].map((n) => spawnTs(`web ${n}`, join(FIXTURES, 'web-server.ts'), [], env));
      const workers = [1, 2, 3].map((n) => spawnTs(`worker ${n}`, CLI_BIN, ['worker'], env));
      procs.push(...webs, ...workers);
      const ports = await Promise.all(webs.map(async (w) => Number((await w.waitFor(/^listening (\d+)$/m))[1])));
      await Promise.all(workers.map((w) => w.waitFor(/worker: ready/)));
      expect(workers[0]!.stderr).toMatch(database ? /entries:\s+postgres / : /entries:\s+sqlite /);
      expect(workers[0]!.stderr).toMatch(/jobs:\s+bullmq .* as worker/);
      expect(webs[0]!.stderr).toMatch(/jobs:\s+bullmq .* as web/);
      const base = ports.map((port) => `http://127.0.0.1:${port}/api/gallery`);

      // alice watches web 1, bob watches web 2; each submits half of their jobs through the other server.
      const owners = ['alice', 'bob'] as const;
      const sse = await Promise.all(owners.map((owner, i) => openEventStream(`${base[i]}/events`, { 'x-test-owner': owner })));
      streams.push(...sse);
      expect(sse.map((s) => s.status)).toEqual([200, 200]);

      const created: { id: string; owner: string }[] = [];
      for (let start = 0; start < JOBS; start += 20) {
        const batch = await Promise.all(Array.from({ length: Math.min(20, JOBS - start) }, async (_, k) => {
          const i = start + k;
          const owner = owners[i % 2]!;
          const target = base[Math.floor(i / 2) % 2]!;
          const response = await fetch(`${target}/generations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-test-owner': owner },
            body: JSON.stringify({ provider: 'dashscope', model: 'wan2.2-t2v-plus', resolution: '480p', prompt: `job ${i} of ${prefix}` }),
          });
          expect(response.status).toBe(202);
          return { id: ((await response.json()) as { id: string }).id, owner };
        }));
        created.push(...batch);
      }

      store = (await storeFromEnv(env, dataDir.path)).store;
      const entries = await until(`${JOBS} jobs to end`, async () => {
        const all = await Promise.all(created.map((c) => store!.get(c.id)));
        return all.every((e) => e && (e.status === 'ready' || e.status === 'failed')) ? (all as GalleryEntry[]) : null;
      }, 240_000, 500);
      expect(entries.filter((e) => e.status !== 'ready').map((e) => `${e.id}: ${e.error?.code} ${e.error?.message}`)).toEqual([]);

      // One task per job at the provider, no duplicate submission.
      const submits = mock.calls.filter((c) => c.route === 'submit').map((c) => (c.body as { input: { prompt: string } }).input.prompt);
      expect(submits).toHaveLength(JOBS);
      expect(new Set(submits).size).toBe(JOBS);
      expect(mock.tasks()).toHaveLength(JOBS);

      // Each SSE client saw every version of each of its owner's entries (create = version 1 … ready), nothing else.
      for (const [i, owner] of owners.entries()) {
        const mine = entries.filter((e) => e.owner === owner);
        await until(`${owner}'s stream to show ${mine.length} ready entries`, () => {
          const readyIds = new Set(sse[i]!.events.map((e) => JSON.parse(e.data) as GalleryEventJson).filter((e) => e.entry.status === 'ready').map((e) => e.entry.id));
          return mine.every((e) => readyIds.has(e.id));
        }, 30_000, 200);
        const seen = new Map<string, Set<number>>();
        for (const event of sse[i]!.events) {
          const data = JSON.parse(event.data) as GalleryEventJson;
          expect(data.entry.owner).toBe(owner);
          if (!seen.has(data.entry.id)) seen.set(data.entry.id, new Set());
          seen.get(data.entry.id)!.add(data.entry.version);
        }
        expect(seen.size).toBe(mine.length);
        for (const entry of mine) {
          const versions = [...seen.get(entry.id)!].sort((a, b) => a - b);
          expect(versions, `${owner} ${entry.id}`).toEqual(Array.from({ length: entry.version }, (_, v) => v + 1));
        }
      }
      // Work was shared: every worker finished some jobs.
      const finishedBy = workers.map((w) => (w.stdout.match(/^ready /gm) ?? []).length);
      expect(finishedBy.reduce((a, b) => a + b, 0)).toBe(JOBS);
      for (const count of finishedBy) expect(count).toBeGreaterThan(0);
      console.log(`scale: jobs finished per worker ${finishedBy.join(' / ')}; SSE events alice ${sse[0]!.events.length}, bob ${sse[1]!.events.length}`);

      for (const stream of streams) stream.close();
      const codes = await Promise.all(procs.map((p) => p.stop()));
      expect(codes).toEqual([0, 0, 0, 0, 0]);
    } finally {
      for (const stream of streams) stream.close();
      for (const p of procs) p.kill('SIGKILL');
      await store?.close?.();
      await dropQueue('redis://127.0.0.1:6379', prefix);
      await server.close();
    }
  }, 300_000);
});
