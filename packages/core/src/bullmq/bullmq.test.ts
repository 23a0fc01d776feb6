// Real Redis on 127.0.0.1:6379 (every test uses its own key prefix and channel, removed afterwards).
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GalleryEntry } from '../contracts/entry.js';
import type { JobExecutor } from '../contracts/runner.js';
import { GalleryError } from '../errors.js';
import { VideoGallery, type GalleryChange } from '../gallery.js';
import { createMemoryStorage } from '../memory-storage.js';
import { createMemoryEntryStore } from '../memory-store.js';
import { createFakeProvider, type FakeStep } from '../testing/fake-provider.js';
import { bullmqRunner, createRedisEventBridge, type BullmqRunner } from './index.js';
import { connectRedis, closeRedis } from './redis.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const redisUp = await reachable(REDIS.port);
if (!redisUp) {
  const reason = `Redis is not answering on 127.0.0.1:${REDIS.port}; the BullMQ runner tests are skipped (see tooling.md §12 to start it).`;
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason} VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(reason);
}

const quiet = { warn: () => {}, error: () => {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function uniquePrefix(): string {
  return `vg-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Deletes every key under `prefix` (the queue, its jobs and deduplication keys). */
async function dropPrefix(prefix: string): Promise<number> {
  const { client } = await connectRedis(REDIS, {}, true);
  try {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    return keys.length;
  } finally {
    await closeRedis(client);
  }
}

async function countKeys(prefix: string, pattern = '*'): Promise<number> {
  const { client } = await connectRedis(REDIS, {}, true);
  try {
    return (await client.keys(`${prefix}:${pattern}`)).length;
  } finally {
    await closeRedis(client);
  }
}

async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Setup {
  prefix: string;
  store: ReturnType<typeof createMemoryEntryStore>;
  storage: ReturnType<typeof createMemoryStorage>;
  provider: ReturnType<typeof createFakeProvider>;
}

function shared(options: { script?: FakeStep[]; lookup?: boolean } = {}): Setup {
  const prefix = uniquePrefix();
  cleanups.push(async () => {
    await dropPrefix(prefix);
  });
  return {
    prefix,
    store: createMemoryEntryStore(),
    storage: createMemoryStorage(),
    provider: createFakeProvider({ script: options.script ?? [{ state: 'pending', progress: 0.5 }, { state: 'succeeded' }], ...(options.lookup === false ? { lookup: false } : {}) }),
  };
}

function galleryOn(setup: Setup, runnerOptions: Partial<Parameters<typeof bullmqRunner>[0]> = {}): { gallery: VideoGallery; runner: BullmqRunner } {
  const runner = bullmqRunner({ connection: REDIS, prefix: setup.prefix, logger: quiet, sweepIntervalMs: 0, ...runnerOptions });
  const gallery = new VideoGallery({
    providers: [setup.provider], storage: setup.storage, store: setup.store, runner, logger: quiet,
    poll: { initialDelayMs: 20, maxDelayMs: 40, jitter: 0 }, retry: { retries: 0 },
  });
  cleanups.push(() => runner.close());
  return { gallery, runner };
}

const ready = (store: Setup['store'], ids: string[]) => until(`${ids.length} entries to end`, async () => {
  const entries = await Promise.all(ids.map((id) => store.get(id)));
  return entries.every((e) => e && (e.status === 'ready' || e.status === 'failed' || e.status === 'cancelled')) ? (entries as GalleryEntry[]) : null;
});

describe.skipIf(!redisUp)('bullmqRunner (real Redis)', () => {
  it('runs every job to ready on a worker, one provider start each, and leaves no job or key behind', async () => {
    const setup = shared();
    const { gallery, runner } = galleryOn(setup, { role: 'both', concurrency: 3 });
    const entries = await Promise.all(Array.from({ length: 8 }, (_, i) => gallery.generate({ prompt: `clip ${i}` })));
    const done = await ready(setup.store, entries.map((e) => e.id));
    expect(done.map((e) => e.status)).toEqual(entries.map(() => 'ready'));
    expect(setup.provider.calls.start).toHaveLength(8);
    expect(new Set(setup.provider.calls.start.map((c) => c.idempotencyKey)).size).toBe(8);
    for (const entry of done) expect(await setup.storage.head(entry.video!.key)).not.toBeNull();
    const queue = await runner.queue();
    await until('the queue to empty', async () => {
      const counts = await queue.getJobCounts();
      return Object.values(counts).every((n) => n === 0);
    });
    expect(await countKeys(setup.prefix, '*:de:*')).toBe(0);
  });

  it("role 'web' only enqueues: nothing runs until a worker process takes the jobs", async () => {
    const setup = shared();
    const web = galleryOn(setup, { role: 'web' });
    const entries = await Promise.all([1, 2, 3].map((i) => web.gallery.generate({ prompt: `web ${i}` })));
    const queue = await web.runner.queue();
    const counts = await queue.getJobCounts();
    expect((counts.waiting ?? 0) + (counts.prioritized ?? 0)).toBe(3);
    expect(await queue.getWorkers()).toHaveLength(0);
    expect(setup.provider.calls.start).toHaveLength(0);
    for (const e of entries) expect((await setup.store.get(e.id))!.status).toBe('queued');

    const worker = galleryOn(setup, { role: 'worker' });
    await worker.runner.ready();
    const done = await ready(setup.store, entries.map((e) => e.id));
    expect(done.map((e) => e.status)).toEqual(['ready', 'ready', 'ready']);
    expect(setup.provider.calls.start).toHaveLength(3);
  });

  it('enqueuing a job that is already queued is harmless (one job per entry)', async () => {
    const setup = shared();
    const { gallery, runner } = galleryOn(setup, { role: 'web' });
    const entry = await gallery.generate({ prompt: 'once' });
    await Promise.all([runner.enqueue(entry.id), runner.enqueue(entry.id), gallery.poke(entry.id), gallery.resume()]);
    const queue = await runner.queue();
    const counts = await queue.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('each poll is a short job: between polls the step waits as a delayed BullMQ job and holds no lock', async () => {
    const pending: FakeStep[] = Array.from({ length: 6 }, () => ({ state: 'pending' }) as FakeStep);
    const setup = shared({ script: [...pending, { state: 'succeeded' }] });
    const runner = bullmqRunner({ connection: REDIS, prefix: setup.prefix, logger: quiet, sweepIntervalMs: 0 });
    cleanups.push(() => runner.close());
    const gallery = new VideoGallery({
      providers: [setup.provider], storage: setup.storage, store: setup.store, runner, logger: quiet,
      poll: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 }, retry: { retries: 0 },
    });
    const entry = await gallery.generate({ prompt: 'slow' });
    const queue = await runner.queue();
    // Seen while the provider works: one delayed step, nothing active.
    await until('a delayed poll with no active job', async () => {
      const e = await setup.store.get(entry.id);
      const counts = await queue.getJobCounts();
      return e?.status === 'generating' && e.polls >= 1 && counts.delayed === 1 && counts.active === 0 && counts.waiting === 0;
    });
    const [done] = await ready(setup.store, [entry.id]);
    expect(done!.status).toBe('ready');
    // One status call per poll of the script (6 pending + 1 success), none doubled by the queue.
    expect(setup.provider.calls.status).toBe(7);
  });

  it('steps of a started job go before new submissions waiting in the queue', async () => {
    const setup = shared({ script: [{ state: 'pending' }, { state: 'pending' }, { state: 'pending' }, { state: 'succeeded' }] });
    const log: string[] = [];
    const slowStart: typeof setup.provider = {
      ...setup.provider,
      async start(request, options) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        log.push(`start ${request.prompt}`);
        return setup.provider.start(request, options);
      },
    };
    const runner = bullmqRunner({ connection: REDIS, prefix: setup.prefix, logger: quiet, sweepIntervalMs: 0, concurrency: 1 });
    cleanups.push(() => runner.close());
    const gallery = new VideoGallery({
      providers: [slowStart], storage: setup.storage, store: setup.store, runner, logger: quiet,
      poll: { initialDelayMs: 20, factor: 1, maxDelayMs: 20, jitter: 0 }, retry: { retries: 0 },
    });
    gallery.on('job-end', (entry) => log.push(`${entry.status} ${entry.request.prompt}`));
    const first = await gallery.generate({ prompt: 'first' });
    await until('the first job polling', async () => (await setup.store.get(first.id))?.status === 'generating');
    const later = await Promise.all(['b', 'c', 'd', 'e', 'f', 'g'].map((p) => gallery.generate({ prompt: p })));
    await ready(setup.store, [first.id, ...later.map((e) => e.id)]);
    // Without priorities the first job's next poll would queue behind all six submissions.
    const readyAt = log.indexOf('ready first');
    expect(log.slice(0, readyAt).filter((l) => l.startsWith('start ') && l !== 'start first').length).toBeLessThanOrEqual(4);
    expect(log.filter((l) => l.startsWith('start '))).toHaveLength(7);
  });

  it('poke() pulls a delayed poll forward', async () => {
    const setup = shared({ script: [{ state: 'pending' }, { state: 'succeeded' }] });
    const runner = bullmqRunner({ connection: REDIS, prefix: setup.prefix, logger: quiet, sweepIntervalMs: 0 });
    cleanups.push(() => runner.close());
    // The first poll comes after 10 ms, the second an hour later (as for a slow provider job)...
    const gallery = new VideoGallery({
      providers: [setup.provider], storage: setup.storage, store: setup.store, runner, logger: quiet,
      poll: { initialDelayMs: 10, factor: 360_000, maxDelayMs: 3_600_000, jitter: 0 }, retry: { retries: 0 },
    });
    const entry = await gallery.generate({ prompt: 'webhook' });
    const queue = await runner.queue();
    await until('the first poll and an hour-long wait', async () => {
      const e = await setup.store.get(entry.id);
      const jobId = await queue.getDeduplicationJobId(entry.id);
      const job = jobId ? await queue.getJob(jobId) : undefined;
      return e?.polls === 1 && job && (await job.getState()) === 'delayed' && job.opts.delay === 3_600_000;
    });
    // ...unless a verified webhook pokes it.
    await gallery.poke(entry.id);
    const [done] = await ready(setup.store, [entry.id]);
    expect(done!.status).toBe('ready');
    expect(setup.provider.calls.status).toBe(2);
  });

  it('the sweep re-queues unfinished jobs after Redis lost the queue (young queued entries one sweep later)', async () => {
    const setup = shared();
    const web = galleryOn(setup, { role: 'web' });
    const entries = await Promise.all([1, 2, 3, 4].map((i) => web.gallery.generate({ prompt: `lost ${i}` })));
    expect(await dropPrefix(setup.prefix)).toBeGreaterThan(0); // Redis restarted without persistence
    const worker = galleryOn(setup, { role: 'worker', lockDurationMs: 400, sweepIntervalMs: 250 });
    await worker.runner.ready();
    // Just queued: a step could still be in flight somewhere, so the sweep leaves them for now (2 × lock = 800 ms).
    expect(await worker.runner.sweep()).toBe(0);
    expect(setup.provider.calls.start).toHaveLength(0);
    const done = await ready(setup.store, entries.map((e) => e.id));
    expect(done.map((e) => e.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
    expect(setup.provider.calls.start).toHaveLength(4);
    // Nothing is missing now, so another sweep adds nothing.
    expect(await worker.runner.sweep()).toBe(0);
  });

  it('a step that throws (store briefly down) is retried after the error delay', async () => {
    const setup = shared();
    let failures = 2;
    const flaky = new Proxy(setup.store, {
      get(target, property) {
        if (property === 'get') {
          return async (id: string) => {
            if (failures > 0) {
              failures--;
              throw new Error('connection refused');
            }
            return target.get(id);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const errors: string[] = [];
    const { gallery } = galleryOn({ ...setup, store: flaky }, { errorDelayMs: 20, onError: (error, id) => errors.push(`${id}: ${(error as Error).message}`) });
    const entry = await gallery.generate({ prompt: 'flaky store' });
    const [done] = await ready(setup.store, [entry.id]);
    expect(done!.status).toBe('ready');
    expect(errors).toEqual([`${entry.id}: connection refused`, `${entry.id}: connection refused`]);
  });

  it('close() lets a step in flight finish within the grace period', async () => {
    const setup = shared({ script: [{ state: 'succeeded' }] });
    let arrived!: () => void;
    const atStatus = new Promise<void>((resolve) => (arrived = resolve));
    // The first status call takes 300 ms and ignores aborts.
    setup.provider.hooks.beforeStatus = async () => {
      setup.provider.hooks.beforeStatus = undefined;
      arrived();
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    const a = galleryOn(setup, { role: 'both', shutdownGraceMs: 10_000 });
    const entry = await a.gallery.generate({ prompt: 'finished on close' });
    await atStatus;
    await a.runner.close();
    // No other worker exists: the step finished (succeeded → downloaded → processed) before close() returned.
    expect((await setup.store.get(entry.id))!.status).toBe('ready');
  });

  it('close() aborts a step still running after the grace period and releases it to another worker', async () => {
    const setup = shared({ script: [{ state: 'succeeded' }] });
    let arrived!: () => void;
    const atStatus = new Promise<void>((resolve) => (arrived = resolve));
    let first = true;
    let aborted = 0;
    // A provider whose first status call hangs until its signal aborts (a stuck request).
    const slow: typeof setup.provider = {
      ...setup.provider,
      async status(task, options) {
        if (first) {
          first = false;
          arrived();
          await new Promise((_, reject) => options.signal?.addEventListener('abort', () => {
            aborted++;
            reject(options.signal?.reason);
          }));
        }
        return setup.provider.status(task, options);
      },
    };
    const a = galleryOn({ ...setup, provider: slow }, { role: 'both', shutdownGraceMs: 100 });
    const entry = await a.gallery.generate({ prompt: 'released' });
    await atStatus;
    await a.runner.close();
    expect(aborted).toBe(1);
    expect((await setup.store.get(entry.id))!.status).toBe('generating');
    const b = galleryOn({ ...setup, provider: slow }, { role: 'worker' });
    await b.runner.ready();
    const [done] = await ready(setup.store, [entry.id]);
    expect(done!.status).toBe('ready');
    expect(setup.provider.calls.start).toHaveLength(1);
  });

  it('enqueue does not hang when Redis is unreachable: it warns and leaves the job to the sweep', async () => {
    const warnings: string[] = [];
    const runner = bullmqRunner({ connection: { host: '127.0.0.1', port: 1, retryStrategy: () => 200 }, role: 'web', enqueueTimeoutMs: 200, logger: { warn: (m) => warnings.push(m) } });
    cleanups.push(() => runner.close());
    runner.attach({ step: async () => ({ next: 'done' }) } satisfies JobExecutor);
    const started = Date.now();
    await runner.enqueue('entry-1');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(warnings.some((w) => w.includes('could not queue entry-1') && w.includes('sweep'))).toBe(true);
  });

  it('rejects bad options with a message that says what to pass', () => {
    expect(() => bullmqRunner({} as never)).toThrow(/connection is required/);
    expect(() => bullmqRunner({ connection: 'http://x' })).toThrow(/redis:\/\//);
    expect(() => bullmqRunner({ connection: REDIS, role: 'api' as never })).toThrow(/role must be/);
    expect(() => bullmqRunner({ connection: REDIS, queueName: 'a:b' })).toThrow(/queueName/);
    expect(() => bullmqRunner({ connection: REDIS, concurrency: 0 })).toThrow(GalleryError);
  });

  describe('a job found in `submitting` (its worker died during provider.start)', () => {
    async function crashedInSubmitting(setup: Setup): Promise<string> {
      // What a dead worker leaves: the entry persisted in `submitting`, and (maybe) a task at the provider.
      const seed = galleryOn(setup, { role: 'web' });
      const entry = await seed.gallery.generate({ prompt: 'crash during submit' });
      const fresh = (await setup.store.get(entry.id))!;
      const submitting = await setup.store.update(fresh.id, { status: 'submitting', deadlineAt: new Date(Date.now() + 600_000).toISOString() }, { expectVersion: fresh.version });
      await setup.provider.start({ model: 'fake-1', mode: 'text', prompt: submitting.request.prompt, aspectRatio: '16:9', resolution: '720p', durationSeconds: 4 }, { idempotencyKey: `${entry.id}:1` });
      return entry.id;
    }

    it('is adopted through provider.lookup: no second paid start', async () => {
      const setup = shared();
      const id = await crashedInSubmitting(setup);
      const worker = galleryOn(setup, { role: 'worker' });
      await worker.runner.ready();
      const [done] = await ready(setup.store, [id]);
      expect(done!.status).toBe('ready');
      expect(setup.provider.calls.start).toHaveLength(1);
      expect(setup.provider.calls.lookup).toBe(1);
    });

    it('without provider.lookup, fails with the documented provider_error instead of starting again', async () => {
      const setup = shared({ lookup: false });
      const id = await crashedInSubmitting(setup);
      const worker = galleryOn(setup, { role: 'worker' });
      await worker.runner.ready();
      const [done] = await ready(setup.store, [id]);
      expect(done!.status).toBe('failed');
      expect(done!.error).toMatchObject({ code: 'provider_error', retryable: true });
      expect(done!.error!.message).toMatch(/unknown whether a task was started/);
      expect(setup.provider.calls.start).toHaveLength(1);
    });
  });
});

describe.skipIf(!redisUp)('createRedisEventBridge (real Redis)', () => {
  function twoProcesses() {
    const channel = `${uniquePrefix()}:events`;
    const setup = shared();
    const make = () => {
      const gallery = new VideoGallery({ providers: [setup.provider], storage: setup.storage, store: setup.store, runner: { name: 'none', attach() {}, async enqueue() {}, async close() {} }, logger: quiet });
      const bridge = createRedisEventBridge({ connection: REDIS, channel, logger: quiet });
      cleanups.push(() => bridge.close());
      const seen: GalleryChange[] = [];
      gallery.subscribe((change) => seen.push(change));
      return { gallery, bridge, seen };
    };
    return { channel, a: make(), b: make() };
  }

  it('re-emits changes made in another process, never echoes them back, and publishes each change once', async () => {
    const { channel, a, b } = twoProcesses();
    await a.bridge.attach(a.gallery);
    await b.bridge.attach(b.gallery);
    const { client: spy } = await connectRedis(REDIS, {}, true);
    cleanups.push(() => closeRedis(spy));
    const wire: string[] = [];
    spy.on('message', (_channel: string, text: string) => wire.push(text));
    await spy.subscribe(channel);

    const remoteFlags: boolean[] = [];
    b.gallery.on('entry-update', () => remoteFlags.push(b.bridge.replaying));
    const entry = await a.gallery.generate({ prompt: 'bridged' });
    const updated = await a.gallery.update(entry.id, { favorite: true });
    await until('the first 2 changes on b', () => b.seen.length === 2);
    await b.gallery.update(entry.id, { caption: 'from b' });
    await until('the caption change on a', () => a.seen.length === 3);
    await a.gallery.delete(entry.id);

    await until('4 changes on b', () => b.seen.length >= 4);
    await until('4 changes on a', () => a.seen.length >= 4);
    await until('4 messages on the wire', () => wire.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for an echo to show up, if there were one
    expect(b.seen.map((c) => `${c.type}:${c.entry.version}`)).toEqual(['create:1', 'update:2', 'update:3', 'delete:3']);
    expect(a.seen.map((c) => `${c.type}:${c.entry.version}`)).toEqual(['create:1', 'update:2', 'update:3', 'delete:3']);
    expect(b.seen[1]!.entry).toEqual(updated);
    expect(wire).toHaveLength(4);
    expect(new Set(wire.map((m) => (JSON.parse(m) as { origin: string }).origin))).toEqual(new Set([a.bridge.processId, b.bridge.processId]));
    // On b, the update from a was remote, its own caption change was local.
    expect(remoteFlags).toEqual([true, false]);
  });

  it("direction 'publish' sends but does not listen (workers)", async () => {
    const { a, b } = twoProcesses();
    const publisher = createRedisEventBridge({ connection: REDIS, channel: a.bridge.channel, direction: 'publish', logger: quiet });
    cleanups.push(() => publisher.close());
    const worker = new VideoGallery({ providers: [createFakeProvider()], storage: createMemoryStorage(), store: createMemoryEntryStore(), runner: { name: 'none', attach() {}, async enqueue() {}, async close() {} }, logger: quiet });
    const workerSeen: GalleryChange[] = [];
    worker.subscribe((c) => workerSeen.push(c));
    await publisher.attach(worker);
    await b.bridge.attach(b.gallery);
    await b.gallery.generate({ prompt: 'from the web' });
    await worker.generate({ prompt: 'from the worker' });
    await until('the worker change on b', () => b.seen.some((c) => c.entry.request.prompt === 'from the worker'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(workerSeen.map((c) => c.entry.request.prompt)).toEqual(['from the worker']);
  });

  it('carries job-end so waiting code in a web process learns that a worker finished', async () => {
    const { a, b } = twoProcesses();
    await a.bridge.attach(a.gallery);
    await b.bridge.attach(b.gallery);
    const ended: string[] = [];
    b.gallery.on('job-end', (e) => ended.push(`${e.id}:${e.status}`));
    const entry = await a.gallery.generate({ prompt: 'to cancel' });
    await a.gallery.cancel(entry.id);
    await until('job-end on b', () => ended.length === 1);
    expect(ended).toEqual([`${entry.id}:cancelled`]);
  });

  it('rejects a second gallery and bad options', async () => {
    const { a, b } = twoProcesses();
    await a.bridge.attach(a.gallery);
    await expect(a.bridge.attach(b.gallery)).rejects.toThrow(/one gallery/);
    expect(() => createRedisEventBridge({ connection: REDIS, direction: 'sideways' as never })).toThrow(/direction/);
    expect(() => createRedisEventBridge({ connection: REDIS, events: ['warning' as never] })).toThrow(/unknown event/);
  });
});
