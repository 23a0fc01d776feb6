import { afterEach, describe, expect, it } from 'vitest';
import type { GalleryEntry, JobStatus } from './contracts/entry.js';
import type { EntryStore } from './contracts/entry-store.js';
import type { MediaProcessor } from './contracts/media.js';
import { GalleryError } from './errors.js';
import { VideoGallery, type VideoGalleryOptions } from './gallery.js';
import { createMemoryStorage } from './memory-storage.js';
import { createMemoryEntryStore } from './memory-store.js';
import { inProcessRunner } from './runner.js';
import { readAll } from './streams.js';
import { createFakeProvider, fakeVideoBytes, type FakeProvider } from './testing/fake-provider.js';

const quietLogger = { warn: () => {} };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const galleries: VideoGallery[] = [];
afterEach(async () => {
  await Promise.all(galleries.splice(0).map((g) => g.runner.close()));
});

const fakeMedia = (fail = false): MediaProcessor & { probes: number } => ({
  probes: 0,
  async probe(source) {
    this.probes++;
    return { durationSeconds: 4, width: 1280, height: 720, bytes: 'size' in source ? source.size : 0 };
  },
  async thumbnail() {
    if (fail) throw new Error('ffmpeg exploded');
    return { data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), contentType: 'image/jpeg', width: 480, height: 270 };
  },
});

interface Setup {
  provider?: FakeProvider;
  store?: EntryStore;
  storage?: ReturnType<typeof createMemoryStorage>;
  media?: MediaProcessor | null;
  now?: () => number;
  delays?: number[];
  options?: Partial<VideoGalleryOptions>;
}

function setup(s: Setup = {}) {
  const provider = s.provider ?? createFakeProvider();
  const store = s.store ?? createMemoryEntryStore();
  const storage = s.storage ?? createMemoryStorage();
  const delays = s.delays ?? [];
  // Never sleeps, but yields to the event loop (setImmediate) so an endless poll cannot starve timers.
  const runner = inProcessRunner({ delay: (ms) => { delays.push(ms); return tick(); }, errorDelayMs: 0, onError: () => {} });
  const gallery = new VideoGallery({
    providers: [provider], store, storage, runner, media: s.media === undefined ? fakeMedia() : s.media,
    logger: quietLogger, retry: { retries: 0, minTimeout: 0 }, submitGraceMs: 0, ...(s.now ? { now: s.now } : {}), ...s.options,
  });
  galleries.push(gallery);
  return { gallery, provider, store, storage, runner, delays };
}

async function settle(x: { runner: { idle(): Promise<void> } }) {
  await x.runner.idle();
}

function codeOf(error: unknown) {
  return GalleryError.isInstance(error) ? error.code : error;
}

describe('VideoGallery: one job end to end', () => {
  it('returns the queued entry at once and takes it through every state to ready', async () => {
    const t = setup();
    const seen: JobStatus[] = [];
    t.gallery.on('entry-update', (entry) => {
      if (seen.at(-1) !== entry.status) seen.push(entry.status);
    });
    const entry = await t.gallery.generate({ prompt: 'a fox in the snow' }, { owner: 'alice' });
    expect(entry.status).toBe('queued');
    expect(entry.request).toMatchObject({ provider: 'fake', model: 'fake-1', aspectRatio: '16:9', resolution: '720p', durationSeconds: 4 });
    await settle(t);
    expect(seen).toEqual(['submitting', 'generating', 'downloading', 'processing', 'ready']);
    const ready = (await t.gallery.get(entry.id, { owner: 'alice' }))!;
    expect(ready.status).toBe('ready');
    expect(ready.video).toMatchObject({ key: `videos/${entry.id}.mp4`, contentType: 'video/mp4', durationSeconds: 4, width: 1280, height: 720 });
    expect(ready.thumbnail).toMatchObject({ key: `thumbnails/${entry.id}.jpg`, width: 480 });
    const stored = (await t.storage.get(ready.video!.key))!;
    expect(await readAll(stored.body)).toEqual(fakeVideoBytes());
    expect(ready.progress).toBe(1);
    expect(t.provider.calls.start).toHaveLength(1);
  });

  it('passes the resolved request to the provider and keeps a stable per-attempt idempotency key', async () => {
    const t = setup();
    const entry = await t.gallery.generate({ prompt: 'p', aspectRatio: '9:16', resolution: '480p', durationSeconds: 2, seed: 7, negativePrompt: 'blur' });
    await settle(t);
    expect(t.provider.calls.start[0]).toEqual({
      idempotencyKey: `${entry.id}:1`,
      request: { model: 'fake-1', mode: 'text', prompt: 'p', negativePrompt: 'blur', aspectRatio: '9:16', resolution: '480p', durationSeconds: 2, seed: 7 },
    });
  });

  it('stores an input image and hands its bytes to the provider', async () => {
    const t = setup();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const entry = await t.gallery.generate({ prompt: 'animate', image: { data: png, mediaType: 'image/png' } });
    expect(entry.request.image).toEqual({ key: `inputs/${entry.id}/image.png`, mediaType: 'image/png' });
    await settle(t);
    expect(t.provider.calls.start[0]!.request.mode).toBe('image');
    expect(t.provider.calls.start[0]!.request.image).toEqual({ data: png, mediaType: 'image/png' });
  });
});

describe('VideoGallery: validation before anything is sent', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing prompt', {}, 'prompt', /required/],
    ['blank prompt', { prompt: '   ' }, 'prompt', /required/],
    ['prompt too long', { prompt: 'x'.repeat(101) }, 'prompt', /at most 100/],
    ['unknown option', { prompt: 'p', fps: 30 }, 'fps', /not a known option/],
    ['aspect ratio', { prompt: 'p', aspectRatio: '4:3' }, 'aspectRatio', /"16:9", "9:16", "1:1"/],
    ['resolution', { prompt: 'p', resolution: '1080p' }, 'resolution', /"480p", "720p"/],
    ['duration', { prompt: 'p', durationSeconds: 5 }, 'durationSeconds', /2, 4, 8/],
    ['fractional duration', { prompt: 'p', durationSeconds: 2.5 }, 'durationSeconds', /whole number/],
    ['rule between options', { prompt: 'p', aspectRatio: '1:1', resolution: '720p', durationSeconds: 8 }, 'durationSeconds', /720p square clips are 4 s long/],
    ['seed range', { prompt: 'p', seed: 5000 }, 'seed', /between 0 and 1000/],
    ['negative prompt length', { prompt: 'p', negativePrompt: 'n'.repeat(51) }, 'negativePrompt', /at most 50/],
    ['image type', { prompt: 'p', image: { data: new Uint8Array([1]), mediaType: 'image/gif' } }, 'image', /image\/png/],
    ['image size', { prompt: 'p', image: { data: new Uint8Array(1024 * 1024 + 1), mediaType: 'image/png' } }, 'image', /at most 1048576/],
    ['last frame without image', { prompt: 'p', lastFrame: { url: 'https://x.test/a.png' } }, 'lastFrame', /needs image/],
    ['first+last frame unsupported', { prompt: 'p', image: { url: 'https://x.test/a.png' }, lastFrame: { url: 'https://x.test/b.png' } }, 'lastFrame', /first \+ last frame/],
    ['unknown provider', { prompt: 'p', provider: 'nope' }, 'provider', /configured providers are "fake"/],
  ];
  for (const [name, request, field, message] of cases) {
    it(`rejects ${name} naming ${field}`, async () => {
      const t = setup();
      const error = await t.gallery.generate(request as never).catch((e: unknown) => e);
      expect(codeOf(error)).toBe('invalid_input');
      expect((error as GalleryError).field).toBe(field);
      expect((error as Error).message).toMatch(message);
      expect((await t.store.list({ limit: 10 })).total).toBe(0);
      expect(t.provider.calls.start).toHaveLength(0);
    });
  }

  it('allows an unknown model with a warning and no option checks', async () => {
    const t = setup();
    const warnings: string[] = [];
    t.gallery.on('warning', (w) => warnings.push(w.type));
    const entry = await t.gallery.generate({ prompt: 'p', model: 'fake-2-preview', aspectRatio: '4:3' });
    expect(entry.warnings[0]?.type).toBe('unknown-model');
    expect(warnings).toEqual(['unknown-model']);
    await settle(t);
    expect((await t.gallery.get(entry.id))!.status).toBe('ready');
  });

  it('rejects bad owners and idempotency keys', async () => {
    const t = setup();
    expect(codeOf(await t.gallery.generate({ prompt: 'p' }, { owner: '' }).catch((e) => e))).toBe('invalid_input');
    expect(codeOf(await t.gallery.generate({ prompt: 'p' }, { idempotencyKey: 'has space' }).catch((e) => e))).toBe('invalid_input');
  });

  it('removes an uploaded image when the entry cannot be stored', async () => {
    const t = setup();
    const store = t.store;
    store.insert = async () => {
      throw new GalleryError('storage_failed', 'disk full');
    };
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await expect(t.gallery.generate({ prompt: 'p', image: { data: png, mediaType: 'image/png' } })).rejects.toThrow('disk full');
    expect(t.storage.keys().length).toBe(0);
  });
});

describe('VideoGallery: idempotency', () => {
  it('the same key twice gives the same entry and one provider start', async () => {
    const t = setup();
    const a = await t.gallery.generate({ prompt: 'p' }, { owner: 'alice', idempotencyKey: 'k1' });
    const b = await t.gallery.generate({ prompt: 'p' }, { owner: 'alice', idempotencyKey: 'k1' });
    expect(b.id).toBe(a.id);
    await settle(t);
    expect(t.provider.calls.start).toHaveLength(1);
    expect(t.provider.calls.start[0]!.idempotencyKey).toBe('k1');
  });

  it('a different owner with the same key gets its own entry', async () => {
    const t = setup();
    const a = await t.gallery.generate({ prompt: 'p' }, { owner: 'alice', idempotencyKey: 'k1' });
    const b = await t.gallery.generate({ prompt: 'p' }, { owner: 'bob', idempotencyKey: 'k1' });
    expect(b.id).not.toBe(a.id);
    expect(b.owner).toBe('bob');
    await settle(t);
    expect(t.provider.calls.start).toHaveLength(2);
  });

  it('concurrent requests with one key make one entry', async () => {
    const t = setup();
    const results = await Promise.all(Array.from({ length: 5 }, () => t.gallery.generate({ prompt: 'p' }, { owner: 'alice', idempotencyKey: 'race' })));
    expect(new Set(results.map((e) => e.id)).size).toBe(1);
    await settle(t);
    expect(t.provider.calls.start).toHaveLength(1);
  });
});

/** A store that "dies with the process" on the first write that leaves `state`. */
function crashingStore(inner: EntryStore, state: JobStatus) {
  let crashed = false;
  const crash = () => {
    if (!crashed) {
      crashed = true;
      // The process is gone: its runner stops too (asynchronously, as a dying process would).
      setImmediate(() => void store.onCrash?.());
    }
    return new Error('process killed');
  };
  const store = {
    onCrash: undefined as (() => void) | undefined,
    name: inner.name,
    get: (id: string) => inner.get(id),
    list: (query: Parameters<EntryStore['list']>[0]) => inner.list(query),
    findByIdempotencyKey: (owner: string | null, key: string) => inner.findByIdempotencyKey(owner, key),
    listActive: () => inner.listActive(),
    delete: (id: string) => (crashed ? Promise.reject(crash()) : inner.delete(id)),
    get crashed() {
      return crashed;
    },
    kill: () => void crash(),
    insert: (entry: GalleryEntry) => (crashed ? Promise.reject(crash()) : inner.insert(entry)),
    async update(id: string, patch: Partial<GalleryEntry>, options: { expectVersion: number }) {
      if (crashed) throw crash();
      const current = await inner.get(id);
      if (current?.status === state && patch.status !== undefined && patch.status !== state) throw crash();
      return inner.update(id, patch, options);
    },
  } satisfies EntryStore & Record<string, unknown>;
  return store;
}

describe('VideoGallery: resume after the process stops in each state', () => {
  const states: { state: JobStatus; how: string; arm?: (p: FakeProvider, store: ReturnType<typeof crashingStore>) => void }[] = [
    { state: 'submitting', how: 'before provider.start', arm: (p, s) => (p.hooks.beforeStart = () => { s.kill(); throw new Error('process killed'); }) },
    { state: 'submitting', how: 'after provider.start, before the task was saved' },
    { state: 'generating', how: 'while polling' },
    { state: 'downloading', how: 'after the download, before processing was saved' },
    { state: 'processing', how: 'before ready was saved' },
  ];
  for (const { state, how, arm } of states) {
    it(`${state} (${how}): a new VideoGallery on the same store finishes every job with one start each`, async () => {
      const provider = createFakeProvider({ script: [{ state: 'pending', progress: 0.3 }, { state: 'pending', progress: 0.6 }, { state: 'succeeded' }] });
      const inner = createMemoryEntryStore();
      const storage = createMemoryStorage();
      const store = crashingStore(inner, state);
      arm?.(provider, store);
      const first = setup({ provider, store, storage });
      store.onCrash = () => void first.gallery.runner.close();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await first.gallery.generate({ prompt: `job ${i}` }, { owner: 'alice' })).id);
      await settle(first);
      await first.gallery.runner.close();
      expect(store.crashed).toBe(true);
      const stuck = await inner.listActive();
      expect(stuck.length).toBeGreaterThan(0);
      // The jobs froze wherever each was when the process died; at least one is in the state under test.
      expect(stuck.map((e) => e.status)).toContain(state);

      provider.hooks.beforeStart = undefined;
      const second = setup({ provider, store: inner, storage });
      expect(await second.gallery.resume()).toBe(stuck.length);
      await settle(second);
      for (const id of ids) {
        const entry = (await inner.get(id))!;
        expect(entry.status).toBe('ready');
        expect(await readAll((await storage.get(entry.video!.key))!.body)).toEqual(fakeVideoBytes());
      }
      const startsPerEntry = new Map<string, number>();
      for (const call of provider.calls.start) startsPerEntry.set(call.idempotencyKey, (startsPerEntry.get(call.idempotencyKey) ?? 0) + 1);
      expect([...startsPerEntry.values()]).toEqual([1, 1, 1]);
    });
  }

  it('a job found in submitting fails clearly when the provider cannot look tasks up, and retry() starts afresh', async () => {
    const provider = createFakeProvider({ lookup: false });
    const inner = createMemoryEntryStore();
    const store = crashingStore(inner, 'submitting');
    const first = setup({ provider, store });
    store.onCrash = () => void first.gallery.runner.close();
    const { id } = await first.gallery.generate({ prompt: 'p' });
    await settle(first);
    await first.gallery.runner.close();
    const second = setup({ provider, store: inner });
    await second.gallery.resume();
    await settle(second);
    const failed = (await inner.get(id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'provider_error', retryable: true });
    expect(failed.error!.message).toMatch(/unknown whether a task was started/);
    await second.gallery.retry(id);
    await settle(second);
    expect((await inner.get(id))!.status).toBe('ready');
    expect(provider.calls.start.map((c) => c.idempotencyKey)).toEqual([`${id}:1`, `${id}:2`]);
  });
});

describe('VideoGallery: a submission that may still be in flight', () => {
  it('waits out the grace period before treating a fresh `submitting` job as interrupted', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const provider = createFakeProvider();
    const inner = createMemoryEntryStore({ now: () => new Date(now) });
    const store = crashingStore(inner, 'submitting');
    const first = setup({ provider, store, now: () => now });
    store.onCrash = () => void first.gallery.runner.close();
    const { id } = await first.gallery.generate({ prompt: 'p' });
    await settle(first);
    const second = setup({ provider, store: inner, now: () => now, options: { submitGraceMs: 10_000 } });
    const early = await second.gallery.step(id);
    expect(early).toEqual({ next: 'again', delayMs: 10_000 });
    expect(provider.calls.lookup).toBe(0);
    now += 10_000;
    await second.gallery.step(id);
    expect(provider.calls.lookup).toBe(1);
    expect((await inner.get(id))!.status).toBe('generating');
    expect(provider.calls.start).toHaveLength(1);
  });
});

describe('VideoGallery: a lookup that cannot decide', () => {
  it('fails the job clearly instead of guessing or looping', async () => {
    const provider = createFakeProvider();
    provider.lookup = async () => {
      throw new GalleryError('conflict', 'two tasks match', { retryable: false });
    };
    const inner = createMemoryEntryStore();
    const store = crashingStore(inner, 'submitting');
    const first = setup({ provider, store });
    store.onCrash = () => void first.gallery.runner.close();
    const { id } = await first.gallery.generate({ prompt: 'p' });
    await settle(first);
    const second = setup({ provider, store: inner });
    await second.gallery.resume();
    await settle(second);
    const entry = (await inner.get(id))!;
    expect(entry.status).toBe('failed');
    expect(entry.error).toMatchObject({ code: 'provider_error', retryable: true });
    expect(entry.error!.message).toMatch(/two tasks match/);
    expect(provider.calls.start).toHaveLength(1);
  });
});

describe('VideoGallery: polling', () => {
  it('backs off between polls and honours retryAfterMs', async () => {
    const provider = createFakeProvider({ script: [{ state: 'pending' }, { state: 'pending', retryAfterMs: 45_000 }, { state: 'pending' }, { state: 'succeeded' }] });
    const t = setup({ provider, options: { poll: { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, jitter: 0 } } });
    await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    // After accept: 1000; after pending #1: 2000; after pending #2 with Retry-After: 45000; after pending #3: 8000.
    expect(t.delays).toEqual([1000, 2000, 45_000, 8000]);
  });

  it('times out at the hard deadline, cancels the provider task and fails with timeout', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const provider = createFakeProvider({ script: [{ state: 'pending' }] });
    const delays: number[] = [];
    const t = setup({ provider, now: () => now, delays, options: { poll: { timeoutMs: 60_000, initialDelayMs: 10_000, jitter: 0, factor: 1 } } });
    // Every wait advances the fake clock instead of sleeping.
    const runner = inProcessRunner({ delay: (ms) => { delays.push(ms); now += ms; return tick(); }, errorDelayMs: 0 });
    const gallery = new VideoGallery({ providers: [provider], store: t.store, storage: t.storage, runner, logger: quietLogger, now: () => now, poll: { timeoutMs: 60_000, initialDelayMs: 10_000, jitter: 0, factor: 1 } });
    galleries.push(gallery);
    const { id } = await gallery.generate({ prompt: 'p' });
    await runner.idle();
    const entry = (await gallery.get(id))!;
    expect(entry.status).toBe('failed');
    expect(entry.error).toMatchObject({ code: 'timeout', retryable: true });
    expect(provider.calls.status).toBe(5);
    expect(provider.calls.cancel).toBe(1);
  });

  it('retries transient status errors and then succeeds', async () => {
    const transient = new GalleryError('provider_error', 'HTTP 503', { retryable: true });
    const provider = createFakeProvider({ script: [{ state: 'throw', error: transient }, { state: 'throw', error: transient }, { state: 'succeeded' }] });
    const t = setup({ provider });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.status).toBe('ready');
  });

  it('waits out a rate limit on status for at least its Retry-After', async () => {
    const limited = new GalleryError('rate_limited', 'slow down', { retryAfterMs: 30_000 });
    const provider = createFakeProvider({ script: [{ state: 'throw', error: limited }, { state: 'succeeded' }] });
    const t = setup({ provider, options: { poll: { initialDelayMs: 100, jitter: 0 } } });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.status).toBe('ready');
    expect(t.delays).toContain(30_000);
  });

  it('fails at once on a permanent error with its code', async () => {
    const provider = createFakeProvider({ script: [{ state: 'throw', error: new GalleryError('auth_failed', 'bad key') }] });
    const t = setup({ provider });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.error).toMatchObject({ code: 'auth_failed', retryable: false });
    expect(provider.calls.status).toBe(1);
  });

  it('gives up after too many transient errors in a row', async () => {
    const provider = createFakeProvider({ script: [{ state: 'throw', error: new GalleryError('provider_error', 'HTTP 500') }] });
    const t = setup({ provider, options: { poll: { maxTransientErrors: 3 } } });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.error).toMatchObject({ code: 'provider_error' });
    expect(provider.calls.status).toBe(3);
  });

  it('records a provider failure (content policy) with its code', async () => {
    const provider = createFakeProvider({ script: [{ state: 'failed', error: new GalleryError('content_policy', 'filtered') }] });
    const t = setup({ provider });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.error).toMatchObject({ code: 'content_policy', message: 'filtered' });
  });

  it('retries a rate-limited start but never a failed one', async () => {
    const provider = createFakeProvider({ startErrors: [new GalleryError('rate_limited', '429', { retryAfterMs: 0 })] });
    const t = setup({ provider, options: { retry: { retries: 2, minTimeout: 0 } } });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect((await t.gallery.get(id))!.status).toBe('ready');

    const p2 = createFakeProvider({ startErrors: [new GalleryError('provider_error', '500')] });
    const t2 = setup({ provider: p2, options: { retry: { retries: 2, minTimeout: 0 } } });
    const e2 = await t2.gallery.generate({ prompt: 'p' });
    await settle(t2);
    expect((await t2.gallery.get(e2.id))!.status).toBe('failed');
    expect(p2.calls.start).toHaveLength(0);
  });
});

describe('VideoGallery: processing', () => {
  it('a thumbnail failure leaves the entry ready with thumbnail null and a warning', async () => {
    const t = setup({ media: fakeMedia(true) });
    const warnings: string[] = [];
    t.gallery.on('warning', (w) => warnings.push(w.type));
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    const entry = (await t.gallery.get(id))!;
    expect(entry.status).toBe('ready');
    expect(entry.thumbnail).toBeNull();
    expect(entry.warnings.map((w) => w.type)).toContain('thumbnail-failed');
    expect(warnings).toContain('thumbnail-failed');
  });

  it('a result that is not a video fails with download_failed and stores nothing', async () => {
    const html = new TextEncoder().encode('<html>expired</html>');
    const provider = createFakeProvider({ video: html, contentType: 'text/html' });
    const t = setup({ provider });
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    const entry = (await t.gallery.get(id))!;
    expect(entry.status).toBe('failed');
    expect(entry.error?.code).toBe('download_failed');
    expect(await t.storage.head(`videos/${id}.mp4`)).toBeNull();
  });
});

describe('VideoGallery: cancel, retry, update, delete, owners', () => {
  it('cancels a generating job at the provider and can retry it', async () => {
    const provider = createFakeProvider({ script: [{ state: 'pending' }] });
    const t = setup({ provider });
    const { id } = await t.gallery.generate({ prompt: 'p' }, { owner: 'alice' });
    while ((await t.gallery.get(id))!.status !== 'generating') await tick();
    const cancelled = await t.gallery.cancel(id, { owner: 'alice' });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.providerCancelled).toBe(true);
    expect(provider.calls.cancel).toBe(1);
    await settle(t);
    expect((await t.gallery.get(id))!.status).toBe('cancelled');
    expect(codeOf(await t.gallery.cancel(id, { owner: 'alice' }).catch((e) => e))).toBe('conflict');
  });

  it('refuses to cancel a ready job and to retry one that did not fail', async () => {
    const t = setup();
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    expect(codeOf(await t.gallery.cancel(id).catch((e) => e))).toBe('conflict');
    expect(codeOf(await t.gallery.retry(id).catch((e) => e))).toBe('conflict');
  });

  it('updates favorite, caption and visibility, and refuses anything else', async () => {
    const t = setup();
    const { id } = await t.gallery.generate({ prompt: 'p' }, { owner: 'alice' });
    await settle(t);
    const updated = await t.gallery.update(id, { favorite: true, caption: 'Sunset', visibility: 'published' }, { owner: 'alice' });
    expect(updated).toMatchObject({ favorite: true, caption: 'Sunset', visibility: 'published', status: 'ready' });
    expect(codeOf(await t.gallery.update(id, { status: 'ready' } as never, { owner: 'alice' }).catch((e) => e))).toBe('invalid_input');
    expect(codeOf(await t.gallery.update(id, { caption: 'x'.repeat(2001) }, { owner: 'alice' }).catch((e) => e))).toBe('invalid_input');
  });

  it('another owner can neither read, list, change, cancel, retry nor delete an entry', async () => {
    const t = setup();
    const { id } = await t.gallery.generate({ prompt: 'secret' }, { owner: 'alice' });
    await settle(t);
    expect(await t.gallery.get(id, { owner: 'bob' })).toBeNull();
    expect((await t.gallery.list({ owner: 'bob' })).total).toBe(0);
    expect(codeOf(await t.gallery.update(id, { favorite: true }, { owner: 'bob' }).catch((e) => e))).toBe('not_found');
    expect(codeOf(await t.gallery.cancel(id, { owner: 'bob' }).catch((e) => e))).toBe('not_found');
    expect(codeOf(await t.gallery.retry(id, { owner: 'bob' }).catch((e) => e))).toBe('not_found');
    expect(codeOf(await t.gallery.delete(id, { owner: 'bob' }).catch((e) => e))).toBe('not_found');
    expect((await t.gallery.get(id, { owner: 'alice' }))!.favorite).toBe(false);
  });

  it('delete removes the entry, its video, thumbnail and input image', async () => {
    const t = setup();
    const deleted: string[] = [];
    t.gallery.on('entry-delete', (e) => deleted.push(e.id));
    const { id } = await t.gallery.generate({ prompt: 'p', image: { data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' } }, { owner: 'alice' });
    await settle(t);
    expect(t.storage.keys().length).toBe(3);
    await t.gallery.delete(id, { owner: 'alice' });
    expect(await t.gallery.get(id)).toBeNull();
    expect(t.storage.keys().length).toBe(0);
    expect(deleted).toEqual([id]);
  });

  it('lists with validation of the query', async () => {
    const t = setup();
    await t.gallery.generate({ prompt: 'red fox' }, { owner: 'alice' });
    await t.gallery.generate({ prompt: 'blue whale' }, { owner: 'alice' });
    await settle(t);
    const page = await t.gallery.list({ owner: 'alice', q: 'FOX' });
    expect(page.items.map((e) => e.request.prompt)).toEqual(['red fox']);
    expect(codeOf(await t.gallery.list({ limit: 0 }).catch((e) => e))).toBe('invalid_input');
    expect(codeOf(await t.gallery.list({ status: ['done' as JobStatus] }).catch((e) => e))).toBe('invalid_input');
  });

  it('subscribe() sees create, updates and delete, and unsubscribes', async () => {
    const t = setup();
    const changes: string[] = [];
    const stop = t.gallery.subscribe((c) => changes.push(`${c.type}:${c.entry.status}`));
    const { id } = await t.gallery.generate({ prompt: 'p' });
    await settle(t);
    await t.gallery.delete(id);
    stop();
    await t.gallery.generate({ prompt: 'q' });
    expect(changes[0]).toBe('create:queued');
    expect(changes).toContain('update:ready');
    expect(changes.at(-1)).toBe('delete:ready');
  });
});

describe('VideoGallery: construction', () => {
  it('explains missing options', () => {
    expect(() => new VideoGallery({} as never)).toThrow(/providers/);
    expect(() => new VideoGallery({ providers: [createFakeProvider()] } as never)).toThrow(/storage/);
    expect(() => new VideoGallery({ providers: [createFakeProvider(), createFakeProvider()], storage: createMemoryStorage(), store: createMemoryEntryStore() })).toThrow(/twice/);
  });
});
