// Worker processes killed with SIGKILL while jobs are in each state; a second worker finishes every job.
// Real Redis (127.0.0.1:6379, a key prefix per test), PostgreSQL (a throw-away database) or, when the Postgres
// store is not available, a SQLite file shared by the processes, and s3rver (or, failing that, the filesystem).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GalleryEntry, JobStatus } from '@video-gallery/core';
import type { BullmqRunner } from '@video-gallery/core/bullmq';
import { createDashScopeMock, createVeoMock } from '@video-gallery/providers/testing';
import { createGalleryFromEnv, type EnvGallery } from '../env.js';
import {
  createTestDatabase, dropQueue, FIXTURES, listKeys, postgresStoreAvailable, reachable, readObject, s3Env, SAMPLE_SHA256, serveSlow, skipUnless,
  spawnTs, startS3, tempDir, uniqueName, until, type Proc, type S3Fixture,
} from './harness.js';

const redisUp = await reachable(6379);
const skip = skipUnless(redisUp, 'Redis is not answering on 127.0.0.1:6379; the worker crash tests need it (tooling.md §12).');

const TERMINAL = new Set<JobStatus>(['ready', 'failed', 'cancelled']);

interface Infra {
  dataDir: ReturnType<typeof tempDir>;
  database: { url: string; drop(): void } | null;
  s3: S3Fixture | null;
  notes: string[];
}

let infra: Infra;

beforeAll(async () => {
  if (skip) return;
  const notes: string[] = [];
  let database: Infra['database'] = null;
  if (await postgresStoreAvailable()) {
    const created = await createTestDatabase();
    if ('url' in created) database = created;
    else notes.push(`PostgreSQL: ${created.reason}; using a SQLite file shared by the processes`);
  } else {
    notes.push('the Postgres entry store is not importable yet; using a SQLite file shared by the processes');
  }
  if (!database && process.env.VG_REQUIRE_ALL === '1') throw new Error(`${notes.join('; ')} (VG_REQUIRE_ALL=1)`);
  const s3 = await startS3();
  if ('reason' in s3) {
    notes.push(`S3: ${s3.reason}; using the filesystem storage`);
    if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${s3.reason} (VG_REQUIRE_ALL=1)`);
  }
  infra = { dataDir: tempDir('vg-crash-'), database, s3: 'reason' in s3 ? null : s3, notes };
  for (const note of notes) console.warn(`crash tests: ${note}`);
}, 60_000);

afterAll(async () => {
  if (skip || !infra) return;
  await infra.s3?.close();
  infra.database?.drop();
  infra.dataDir.remove();
});

interface Scenario {
  state: 'submitting' | 'generating' | 'downloading' | 'processing';
  submitDelayMs?: number;
  downloadMs?: number;
  processingDelayMs?: number;
  pendingPolls?: number;
}

async function runScenario(scenario: Scenario) {
  const prefix = uniqueName(scenario.state);
  const dashscope = createDashScopeMock({ pendingPolls: scenario.pendingPolls ?? 1, queuedPolls: 0 });
  const veo = createVeoMock({ pendingPolls: scenario.pendingPolls ?? 1 });
  let submitsArrived = 0;
  const slow = { submitDelayMs: scenario.submitDelayMs ?? 0, downloadMs: scenario.downloadMs ?? 0, onSubmit: () => void submitsArrived++ };
  const dashscopeServer = await serveSlow(dashscope.handle, (r) => r.method === 'POST' && r.url.includes('/video-synthesis'), (u) => u.pathname.startsWith('/mock-oss/'), slow);
  const veoServer = await serveSlow(veo.handle, (r) => r.method === 'POST' && r.url.includes(':predictLongRunning'), (u) => u.pathname.startsWith('/blob/'), slow);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIDEO_GALLERY_DATA_DIR: infra.dataDir.path,
    REDIS_URL: 'redis://127.0.0.1:6379',
    VIDEO_GALLERY_REDIS_PREFIX: prefix,
    VIDEO_GALLERY_LOCK_MS: '3000',
    VIDEO_GALLERY_STALLED_INTERVAL_MS: '1000',
    VIDEO_GALLERY_SWEEP_MS: '5000',
    VIDEO_GALLERY_SHUTDOWN_GRACE_MS: '5000',
    VIDEO_GALLERY_POLL_MS: '250',
    VIDEO_GALLERY_SUBMIT_GRACE_MS: '1000',
    VIDEO_GALLERY_ALLOW_PRIVATE_NETWORK: '1',
    VG_TEST_PROCESSING_DELAY_MS: String(scenario.processingDelayMs ?? 0),
    DASHSCOPE_API_KEY: dashscope.apiKey,
    DASHSCOPE_BASE_URL: `${dashscopeServer.url}/api/v1`,
    GEMINI_API_KEY: veo.apiKey,
    VEO_BASE_URL: `${veoServer.url}/v1beta`,
    ...(infra.database ? { DATABASE_URL: infra.database.url } : {}),
    ...(infra.s3 ? s3Env(infra.s3, prefix) : {}),
  };
  let web: EnvGallery | undefined;
  const workers: Proc[] = [];
  try {
    web = await createGalleryFromEnv({ dataDir: infra.dataDir.path, env, role: 'web' });
    const first = spawnTs('worker A', join(FIXTURES, 'crash-worker.ts'), [], env);
    workers.push(first);
    await first.waitFor(/^ready \d+$/m);
    // The worker runs the topology under test.
    expect(first.stderr).toMatch(infra.database ? /entries: postgres / : /entries: sqlite /);
    expect(first.stderr).toMatch(infra.s3 ? /storage: s3 vg-dist/ : /storage: fs /);
    expect(first.stderr).toMatch(/jobs: bullmq .* as worker/);

    const tag = `${scenario.state} ${prefix}`;
    const entries = [
      await web.gallery.generate({ provider: 'dashscope', model: 'wan2.2-t2v-plus', resolution: '480p', prompt: `a fox, ${tag}` }),
      await web.gallery.generate({ provider: 'dashscope', model: 'wanx2.1-t2v-turbo', resolution: '480p', prompt: `a boat, ${tag}` }),
      await web.gallery.generate({ provider: 'veo', prompt: `a kite, ${tag}` }),
    ];
    const ids = entries.map((e) => e.id);
    const store = web.store;
    // Every job in the state under test on worker A, then SIGKILL.
    // In `submitting`, also wait until every submission reached its provider (the scenario under test), not only
    // until the entries say `submitting` (the worker may not have sent the request yet).
    await until(`all jobs in ${scenario.state}`, async () => {
      const now = await Promise.all(ids.map((id) => store.get(id)));
      return now.every((e) => e?.status === scenario.state) && (scenario.state !== 'submitting' || submitsArrived >= ids.length);
    }, 60_000, 20);
    first.kill('SIGKILL');
    await first.exited;
    const atKill = await Promise.all(ids.map(async (id) => (await store.get(id))!.status));

    const second = spawnTs('worker B', join(FIXTURES, 'crash-worker.ts'), [], env);
    workers.push(second);
    await second.waitFor(/^ready \d+$/m);
    const done = await until('every job to end', async () => {
      const now = await Promise.all(ids.map((id) => store.get(id)));
      return now.every((e) => e && TERMINAL.has(e.status)) ? (now as GalleryEntry[]) : null;
    }, 90_000, 100);

    // Nothing left in the queue (no job lost, none duplicated).
    const queue = await (web.gallery.runner as BullmqRunner).queue();
    await until('an empty queue', async () => Object.values(await queue.getJobCounts()).every((n) => n === 0), 20_000);

    // Storage: exactly the objects of ready entries, each complete.
    const keys = await listKeys(infra.s3 ? { s3: infra.s3, prefix } : { root: join(infra.dataDir.path, 'media') });
    const ready = done.filter((e) => e.status === 'ready');
    const expectedKeys = ready.flatMap((e) => [e.video!.key, e.thumbnail!.key]);
    const mine = keys.filter((k) => ids.some((id) => k.includes(id)));
    const objects = await Promise.all(expectedKeys.map((key) => readObject(web!.storage, key)));
    const stopped = await second.stop();
    return {
      done, atKill, mine, expectedKeys, objects, stopped,
      dashscopeTasks: dashscope.tasks().map((t) => String((t.body.input as { prompt?: string }).prompt)),
      dashscopeCalls: dashscope.calls.map((c) => c.route),
      veoStarts: veo.control.startCount(),
      logs: workers.map((w) => w.tail(30)).join('\n'),
    };
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await web?.gallery.close();
    await dropQueue('redis://127.0.0.1:6379', prefix);
    await dashscopeServer.close();
    await veoServer.close();
  }
}

function expectCompleteObjects(result: Awaited<ReturnType<typeof runScenario>>) {
  expect(result.mine.sort()).toEqual([...result.expectedKeys].sort());
  for (const object of result.objects) {
    expect(object).not.toBeNull();
    if (object!.key.startsWith('videos/')) expect(object!.sha256).toBe(SAMPLE_SHA256);
    else expect([object!.head, object!.tail]).toEqual([[0xff, 0xd8], [0xff, 0xd9]]);
  }
}

describe.skipIf(skip)('a worker killed with SIGKILL; another worker finishes every job', () => {
  it('in `submitting` (the submission reached the provider): DashScope jobs are adopted through lookup, the Veo job fails as documented, nothing is submitted twice', async () => {
    const result = await runScenario({ state: 'submitting', submitDelayMs: 2500 });
    expect(result.atKill).toEqual(['submitting', 'submitting', 'submitting']);
    const [fox, boat, kite] = result.done;
    expect([fox!.status, boat!.status]).toEqual(['ready', 'ready']);
    expect(kite!.status).toBe('failed');
    expect(kite!.error).toMatchObject({ code: 'provider_error', retryable: true });
    expect(kite!.error!.message).toMatch(/interrupted .* unknown whether a task was started/);
    // One task per DashScope job (the one the killed worker paid for), found with the task list.
    expect(result.dashscopeTasks.filter((p) => p.startsWith('a fox'))).toHaveLength(1);
    expect(result.dashscopeTasks.filter((p) => p.startsWith('a boat'))).toHaveLength(1);
    expect(result.dashscopeCalls.filter((r) => r === 'submit')).toHaveLength(2);
    expect(result.dashscopeCalls).toContain('list');
    expect(result.veoStarts).toBe(1);
    expectCompleteObjects(result);
    expect(result.stopped).toBe(0);
  }, 180_000);

  it.each([
    { state: 'generating', pendingPolls: 12 },
    { state: 'downloading', downloadMs: 4000 },
    { state: 'processing', processingDelayMs: 4000 },
  ] satisfies Scenario[])('in $state: every job ends ready with exactly one provider start and only complete objects', async (scenario) => {
    const result = await runScenario(scenario);
    expect(result.atKill).toEqual([scenario.state, scenario.state, scenario.state]);
    expect(result.done.map((e) => e.status), result.logs).toEqual(['ready', 'ready', 'ready']);
    expect(result.dashscopeTasks).toHaveLength(2);
    expect(result.dashscopeCalls.filter((r) => r === 'submit')).toHaveLength(2);
    expect(result.veoStarts).toBe(1);
    expectCompleteObjects(result);
    expect(result.stopped).toBe(0);
  }, 180_000);
});
