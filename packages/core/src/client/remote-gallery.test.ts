// RemoteGallery against the real handler: createGalleryHandler mounted with toNodeListener on a loopback
// node:http server, over a VideoGallery on memory storage with scripted fake providers.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GalleryError } from '../errors.js';
import { VideoGallery } from '../gallery.js';
import { createMemoryStorage } from '../memory-storage.js';
import { createMemoryEntryStore } from '../memory-store.js';
import { toNodeListener } from '../node/listener.js';
import { createGalleryHandler, type GalleryHandler } from '../server/index.js';
import { createFakeProvider } from '../testing/fake-provider.js';
import { RemoteGallery, type ConnectionState, type RemoteChange, type RemoteEntry } from './index.js';

const quiet = { warn: () => {}, error: () => {} };
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  status?: number;
}

interface App {
  origin: string;
  baseUrl: string;
  gallery: VideoGallery;
  handler: GalleryHandler;
  seen: Seen[];
  /** Serve with a fresh handler from now on (a server restart as far as event ids go). */
  replaceHandler(): void;
  /** Drop every open connection (the SSE stream included). */
  dropConnections(): void;
  client(owner: string | null, options?: ConstructorParameters<typeof RemoteGallery>[0]): RemoteGallery;
  close(): Promise<void>;
}

async function startApp(): Promise<App> {
  const providers = [
    createFakeProvider({ script: [{ state: 'pending', progress: 0.5 }, { state: 'succeeded' }] }),
    createFakeProvider({ id: 'failing', script: [{ state: 'failed', error: new GalleryError('content_policy', 'The prompt was refused.', { retryable: false }) }] }),
    createFakeProvider({ id: 'stuck', script: [{ state: 'pending', progress: 0.1 }] }),
  ];
  const gallery = new VideoGallery({
    providers, storage: createMemoryStorage(), store: createMemoryEntryStore(), logger: quiet, media: null,
    poll: { initialDelayMs: 20, maxDelayMs: 50, factor: 1, jitter: 0 }, retry: { retries: 0, minTimeout: 0 },
  });
  const makeHandler = () => createGalleryHandler(gallery, {
    logger: quiet,
    authenticate: (request) => /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1] ?? null,
  });
  const handlers: GalleryHandler[] = [makeHandler()];
  let listener = toNodeListener(handlers[0]!, { logger: quiet });
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const record: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    // An SSE response never finishes: record its status as soon as the head is written.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      record.status = args[0] as number;
      return writeHead(...args);
    }) as typeof res.writeHead;
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: RemoteGallery[] = [];
  return {
    origin,
    baseUrl: `${origin}/api/gallery`,
    gallery,
    get handler() {
      return handlers.at(-1)!;
    },
    seen,
    replaceHandler() {
      handlers.push(makeHandler());
      listener = toNodeListener(handlers.at(-1)!, { logger: quiet });
    },
    dropConnections: () => server.closeAllConnections(),
    client(owner, options = {}) {
      const client = new RemoteGallery({
        baseUrl: `${origin}/api/gallery`, retry: false, reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
        ...(owner ? { headers: () => ({ Authorization: `Bearer ${owner}` }) } : {}),
        ...options,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      for (const handler of handlers) handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gallery.close();
    },
  };
}

/** Collects stream changes and resolves waiters when a matching one arrives. */
function collect(client: RemoteGallery) {
  const changes: RemoteChange[] = [];
  const unsubscribe = client.subscribe((change) => changes.push(change));
  return {
    changes,
    unsubscribe,
    until: (predicate: (change: RemoteChange) => boolean) => vi.waitFor(() => {
      const found = changes.find(predicate);
      if (!found) throw new Error(`no matching change yet (have ${changes.map((c) => `${c.type}:${c.entry.status}`).join(', ')})`);
      return found;
    }, { timeout: 10_000, interval: 10 }),
  };
}

function opened(client: RemoteGallery): Promise<void> {
  return vi.waitFor(() => {
    if (client.connection.status !== 'open') throw new Error(`stream is ${client.connection.status}`);
  }, { timeout: 10_000, interval: 10 });
}

async function untilStatus(client: RemoteGallery, id: string, status: RemoteEntry['status']): Promise<RemoteEntry> {
  return vi.waitFor(async () => {
    const entry = await client.get(id);
    if (entry?.status !== status) throw new Error(`entry is ${entry?.status}`);
    return entry;
  }, { timeout: 10_000, interval: 20 });
}

describe('RemoteGallery against the real handler (loopback)', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it('reads capabilities once and caches them', async () => {
    const alice = app.client('alice');
    const caps = await alice.capabilities();
    expect(caps.defaultProvider).toBe('fake');
    expect(caps.providers.map((p) => p.id)).toEqual(['fake', 'failing', 'stuck']);
    expect(caps.providers[0]!.models[0]!.id).toBe('fake-1');
    await alice.capabilities();
    expect(app.seen.filter((s) => s.url.endsWith('/capabilities'))).toHaveLength(1);
  });

  it('generates with JSON and a fresh Idempotency-Key per call; the same key returns the same entry', async () => {
    const alice = app.client('alice');
    const entry = await alice.generate({ prompt: 'A paper boat', durationSeconds: 2, resolution: '480p' });
    expect(entry).toMatchObject({ status: 'queued', owner: 'alice', request: { prompt: 'A paper boat', durationSeconds: 2, resolution: '480p' } });
    expect(entry).not.toHaveProperty('task');
    const other = await alice.generate({ prompt: 'A paper boat', durationSeconds: 2 });
    expect(other.id).not.toBe(entry.id);
    const posts = app.seen.filter((s) => s.method === 'POST' && s.url.endsWith('/generations'));
    expect(posts.map((p) => p.status)).toEqual([202, 202]);
    expect(posts[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[0]!.headers['idempotency-key']).not.toBe(posts[1]!.headers['idempotency-key']);
    const first = await alice.generate({ prompt: 'keyed' }, { idempotencyKey: 'order-17' });
    const again = await alice.generate({ prompt: 'keyed' }, { idempotencyKey: 'order-17' });
    expect(again.id).toBe(first.id);
  });

  it('uploads a Blob image as multipart with the CSRF header', async () => {
    const alice = app.client('alice');
    const entry = await alice.generate({ prompt: 'Animate this', durationSeconds: 2, image: new Blob([PNG], { type: 'image/png' }) });
    expect(entry.request.image).toMatchObject({ mediaType: 'image/png' });
    const post = app.seen.find((s) => s.method === 'POST' && s.url.endsWith('/generations'))!;
    expect(post.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(post.headers['video-gallery-request']).toBe('1');
    expect(post.status).toBe(202);
    await expect(alice.generate({ prompt: 'x', image: new Blob([new Uint8Array([1, 2, 3, 4])]) }))
      .rejects.toMatchObject({ code: 'unsupported', status: 415, field: 'image' });
  });

  it('gets an entry, revalidates it with If-None-Match (304), and answers null for unknown ids and other owners', async () => {
    const alice = app.client('alice');
    const bob = app.client('bob');
    const { id } = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    const ready = await untilStatus(alice, id, 'ready');
    expect(ready.video).toMatchObject({ contentType: 'video/mp4' });
    const again = await alice.get(id);
    expect(again).toEqual(ready);
    const gets = app.seen.filter((s) => s.method === 'GET' && s.url.endsWith(`/generations/${id}`));
    expect(gets.at(-1)).toMatchObject({ status: 304 });
    expect(gets.at(-1)!.headers['if-none-match']).toBe(`"${id}.${ready.version}"`);
    expect(await alice.get('no-such-entry')).toBeNull();
    expect(await bob.get(id)).toBeNull();
  });

  it('lists with filters and pagination, scoped to the owner', async () => {
    const alice = app.client('alice');
    const bob = app.client('bob');
    const a = await alice.generate({ prompt: 'red fox', durationSeconds: 2 });
    await alice.generate({ prompt: 'blue whale', durationSeconds: 2 });
    await alice.generate({ prompt: 'failing fox', provider: 'failing', durationSeconds: 2 });
    await bob.generate({ prompt: 'bob fox', durationSeconds: 2 });
    await untilStatus(alice, a.id, 'ready');
    const page1 = await alice.list({ limit: 2 });
    expect(page1.total).toBe(3);
    expect(page1.items).toHaveLength(2);
    const page2 = await alice.list({ limit: 2, cursor: page1.nextCursor! });
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expect(new Set([...page1.items, ...page2.items].map((e) => e.owner))).toEqual(new Set(['alice']));
    const foxes = await alice.list({ q: 'fox', sort: 'oldest' });
    expect(foxes.items.map((e) => e.request.prompt)).toEqual(['red fox', 'failing fox']);
    const ready = await alice.list({ status: ['ready'], q: 'red' });
    expect(ready.items.map((e) => e.id)).toEqual([a.id]);
    expect(app.seen.some((s) => s.url.includes('status=ready'))).toBe(true);
    await expect(alice.list({ limit: 500 })).rejects.toMatchObject({ code: 'invalid_input', status: 400, field: 'limit' });
  });

  it('updates favorite, caption and visibility, and maps a bad patch to invalid_input with its field', async () => {
    const alice = app.client('alice');
    const { id } = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    const updated = await alice.update(id, { favorite: true, caption: 'Nice', visibility: 'published' });
    expect(updated).toMatchObject({ id, favorite: true, caption: 'Nice', visibility: 'published' });
    const error = await alice.update(id, { visibility: 'public' as never }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_input', status: 400, field: 'visibility', retryable: false });
    await expect(app.client('bob').update(id, { favorite: false })).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('deletes an entry (204), after which it is gone and a second delete is not_found', async () => {
    const alice = app.client('alice');
    const { id } = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    await untilStatus(alice, id, 'ready');
    await alice.delete(id);
    expect(app.seen.find((s) => s.method === 'DELETE')).toMatchObject({ status: 204 });
    expect(await alice.get(id)).toBeNull();
    expect(await app.gallery.get(id)).toBeNull();
    await expect(alice.delete(id)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('retries a failed job and refuses to retry a ready one (409 conflict)', async () => {
    const alice = app.client('alice');
    const failed = await alice.generate({ prompt: 'p', provider: 'failing', durationSeconds: 2 });
    const entry = await untilStatus(alice, failed.id, 'failed');
    expect(entry.error).toMatchObject({ code: 'content_policy' });
    const retried = await alice.retry(failed.id);
    expect(retried).toMatchObject({ id: failed.id, status: 'queued', attempt: 2 });
    const ok = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    await untilStatus(alice, ok.id, 'ready');
    await expect(alice.retry(ok.id)).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('cancels a running job', async () => {
    const alice = app.client('alice');
    const { id } = await alice.generate({ prompt: 'p', provider: 'stuck', durationSeconds: 2 });
    await untilStatus(alice, id, 'generating');
    const cancelled = await alice.cancel(id);
    expect(cancelled).toMatchObject({ id, status: 'cancelled', providerCancelled: true });
    await expect(alice.cancel(id)).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('maps auth failures, wrong base URLs, validation errors, unreachable servers and timeouts to GalleryErrors', async () => {
    await expect(app.client(null).list()).rejects.toMatchObject({ code: 'auth_failed', status: 401 });
    await expect(app.client('alice', { baseUrl: `${app.origin}/api/nothing-here` }).list()).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(app.client('alice').generate({ prompt: 'x'.repeat(101) })).rejects.toMatchObject({ code: 'invalid_input', status: 400, field: 'prompt' });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await new RemoteGallery({ baseUrl: `http://127.0.0.1:${port}/api/gallery`, retry: false }).list().catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: 'storage_failed', retryable: true });
    expect((unreachable as GalleryError).status).toBeUndefined();

    const silent = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = new RemoteGallery({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/gallery`, retry: false, timeoutMs: 100 });
      await expect(slow.list()).rejects.toMatchObject({ code: 'timeout', retryable: true });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('builds media URLs with ?v=<attempt>; the video answers a Range request with 206', async () => {
    const alice = app.client('alice');
    const { id } = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    const ready = await untilStatus(alice, id, 'ready');
    const url = alice.videoUrl(ready);
    expect(url).toBe(`${app.baseUrl}/generations/${id}/video?v=1`);
    expect(alice.videoUrl(id, { download: true })).toBe(`${app.baseUrl}/generations/${id}/video?download=1`);
    expect(alice.thumbnailUrl(ready)).toBeNull(); // this gallery has no media processor
    expect(alice.thumbnailUrl({ ...ready, thumbnail: { key: 'k', contentType: 'image/jpeg', width: 1, height: 1 } })).toBe(`${app.baseUrl}/generations/${id}/thumbnail?v=1`);
    const response = await fetch(url, { headers: { Authorization: 'Bearer alice', Range: 'bytes=4-7' } });
    expect(response.status).toBe(206);
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe('ftyp');
  });
});

describe('RemoteGallery live changes (SSE, loopback)', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it('delivers the job from create through its updates to ready, with typed events and one job-end', async () => {
    const alice = app.client('alice');
    const stream = collect(alice);
    const updates: [RemoteEntry, RemoteEntry | null][] = [];
    const ends: RemoteEntry[] = [];
    alice.on('entry-update', (entry, previous) => updates.push([entry, previous]));
    alice.on('job-end', (entry) => ends.push(entry));
    await opened(alice);
    const { id } = await alice.generate({ prompt: 'p', durationSeconds: 2 });
    const ready = await stream.until((c) => c.entry.id === id && c.entry.status === 'ready');
    expect(stream.changes[0]).toMatchObject({ type: 'create', entry: { id, status: 'queued' } });
    const statuses = stream.changes.filter((c) => c.entry.id === id).map((c) => c.entry.status);
    expect(statuses).toEqual(expect.arrayContaining(['queued', 'submitting', 'generating', 'downloading', 'processing', 'ready']));
    expect(ready.entry).not.toHaveProperty('task');
    expect(updates.at(-1)![0].status).toBe('ready');
    expect(updates.at(-1)![1]?.status).toBe('processing');
    expect(ends.map((e) => [e.id, e.status])).toEqual([[id, 'ready']]);
    await alice.delete(id);
    await stream.until((c) => c.type === 'delete' && c.entry.id === id);
  });

  it('only sees its own owner\'s changes', async () => {
    const alice = app.client('alice');
    const bob = app.client('bob');
    const bobs = collect(bob);
    await opened(bob);
    const a = await alice.generate({ prompt: 'alice', durationSeconds: 2 });
    const b = await bob.generate({ prompt: 'bob', durationSeconds: 2 });
    await bobs.until((c) => c.entry.id === b.id && c.entry.status === 'ready');
    expect(bobs.changes.some((c) => c.entry.id === a.id)).toBe(false);
  });

  it('reconnects after the server drops the stream, sends Last-Event-ID, and receives the changes it missed', async () => {
    const alice = app.client('alice', { reconnect: { initialDelayMs: 300, maxDelayMs: 300 } });
    const stream = collect(alice);
    const resets: number[] = [];
    const states: ConnectionState[] = [];
    alice.on('reset', () => resets.push(1));
    alice.on('connection', (state) => states.push(state));
    await opened(alice);
    app.dropConnections();
    await vi.waitFor(() => expect(alice.connection.status).toBe('connecting'), { timeout: 5000, interval: 5 });
    // Made while the client is disconnected: it can only arrive through the resume.
    const missed = await app.gallery.generate({ prompt: 'while away', durationSeconds: 2 }, { owner: 'alice' });
    await stream.until((c) => c.entry.id === missed.id && c.entry.status === 'ready');
    expect(stream.changes.find((c) => c.entry.id === missed.id)).toMatchObject({ type: 'create' });
    const streams = app.seen.filter((s) => s.url.endsWith('/events'));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]!.headers['last-event-id']).toBeUndefined();
    expect(streams[1]!.headers['last-event-id']).toMatch(/^\w+\.\d+$/);
    expect(streams[1]!.headers.authorization).toBe('Bearer alice');
    expect(resets).toEqual([]);
    expect(states.some((s) => s.status === 'connecting' && s.retryInMs !== undefined && s.retryInMs >= 150)).toBe(true);
  });

  it('emits reset when the server cannot resume (a restarted handler)', async () => {
    const alice = app.client('alice');
    collect(alice);
    let resets = 0;
    alice.on('reset', () => resets++);
    await opened(alice);
    app.replaceHandler();
    app.dropConnections();
    await vi.waitFor(() => expect(resets).toBe(1), { timeout: 5000, interval: 10 });
    const streams = app.seen.filter((s) => s.url.endsWith('/events'));
    expect(streams.at(-1)!.headers['last-event-id']).toBeTruthy();
  });

  it('opens the stream with the first listener and closes it when the last one leaves', async () => {
    const alice = app.client('alice');
    const listener = () => {};
    alice.on('connection', listener); // does not open the stream
    expect(alice.connection.status).toBe('closed');
    const unsubscribe = alice.subscribe(() => {});
    alice.on('job-end', listener);
    await opened(alice);
    await vi.waitFor(() => expect(app.handler.eventClients).toBe(1), { timeout: 5000, interval: 10 });
    unsubscribe();
    expect(alice.connection.status).toBe('open');
    alice.off('job-end', listener);
    expect(alice.connection.status).toBe('closed');
    await vi.waitFor(() => expect(app.handler.eventClients).toBe(0), { timeout: 5000, interval: 10 });
    expect(app.seen.filter((s) => s.url.endsWith('/events'))).toHaveLength(1);
  });

  it('stops for good when the stream is refused (401), without a reconnect loop', async () => {
    const anonymous = app.client(null);
    const states: ConnectionState[] = [];
    anonymous.on('connection', (state) => states.push(state));
    anonymous.subscribe(() => {});
    await vi.waitFor(() => expect(states.at(-1)?.status).toBe('closed'), { timeout: 5000, interval: 10 });
    expect(states.at(-1)!.error).toMatchObject({ code: 'auth_failed', status: 401 });
    expect(app.seen.filter((s) => s.url.endsWith('/events'))).toHaveLength(1);
  });
});
