import { createMemoryEntryStore, createMemoryStorage, VideoGallery } from '@video-gallery/core';
import { createFakeProvider, makeEntry } from '@video-gallery/core/testing';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockGalleryClient, mockEntry } from '../stories/mock-client.js';
import type { GalleryClient, GalleryItem, GalleryPage } from './client.js';
import { GalleryController } from './gallery-controller.js';

/** A ReactiveControllerHost without a DOM: counts update requests. */
class TestHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  updates = 0;
  addController(controller: ReactiveController): void {
    this.controllers.push(controller);
  }
  removeController(controller: ReactiveController): void {
    this.controllers.splice(this.controllers.indexOf(controller), 1);
  }
  requestUpdate(): void {
    this.updates++;
  }
  get updateComplete(): Promise<boolean> {
    return Promise.resolve(true);
  }
  connect(): void {
    for (const controller of this.controllers) controller.hostConnected?.();
  }
  disconnect(): void {
    for (const controller of this.controllers) controller.hostDisconnected?.();
  }
}

const galleries: VideoGallery[] = [];

async function galleryWith(entries: GalleryItem[] = []): Promise<VideoGallery> {
  const store = createMemoryEntryStore();
  for (const entry of entries) await store.insert({ ...makeEntry({ request: { provider: 'fake', model: 'fake-1' } }), ...entry, task: null, outputs: null });
  const gallery = new VideoGallery({
    providers: [createFakeProvider()], storage: createMemoryStorage(), store,
    poll: { initialDelayMs: 5, maxDelayMs: 5, jitter: 0 }, logger: { warn: () => undefined },
  });
  galleries.push(gallery);
  return gallery;
}

/** Resolves when `check` holds, polling on macrotasks (no fixed sleeps). */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes)).toISOString();

afterEach(async () => {
  for (const gallery of galleries.splice(0)) await gallery.close();
});

describe('GalleryController with a VideoGallery', () => {
  it('subscribes on connect, loads the first page newest first, and unsubscribes on disconnect', async () => {
    const gallery = await galleryWith([
      mockEntry({ id: 'a', createdAt: at(1) }), mockEntry({ id: 'b', createdAt: at(2) }), mockEntry({ id: 'c', createdAt: at(3) }),
    ]);
    const host = new TestHost();
    const controller = new GalleryController(host, { pageSize: 2 });
    controller.client = gallery;
    expect(gallery.listenerCount('entry-create')).toBe(0);
    host.connect();
    expect(gallery.listenerCount('entry-create')).toBe(1);
    await until(() => controller.state === 'ready', 'the first page');
    expect(controller.items.map((e) => e.id)).toEqual(['c', 'b']);
    expect(controller.total).toBe(3);
    expect(controller.nextCursor).not.toBeNull();
    host.disconnect();
    expect(gallery.listenerCount('entry-create')).toBe(0);
    expect(gallery.listenerCount('entry-update')).toBe(0);
    expect(gallery.listenerCount('entry-delete')).toBe(0);
  });

  it('shows a new job at once and follows it to ready from live updates', async () => {
    const gallery = await galleryWith([mockEntry({ id: 'old', createdAt: at(1) })]);
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = gallery;
    host.connect();
    await until(() => controller.state === 'ready', 'the first page');
    const entry = await gallery.generate({ prompt: 'A lighthouse in a storm', durationSeconds: 4 });
    await until(() => controller.items[0]?.id === entry.id, 'the new entry');
    expect(controller.total).toBe(2);
    await until(() => controller.find(entry.id)?.status === 'ready', 'the job to finish');
    expect(controller.items.map((e) => e.id)).toEqual([entry.id, 'old']);
    host.disconnect();
  });

  it('loads further pages without duplicates and stops at the end', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => mockEntry({ id: `e${i}`, createdAt: at(i) }));
    const gallery = await galleryWith(entries);
    const host = new TestHost();
    const controller = new GalleryController(host, { pageSize: 2 });
    controller.client = gallery;
    host.connect();
    await until(() => controller.state === 'ready', 'the first page');
    await controller.loadMore();
    await controller.loadMore();
    expect(controller.items.map((e) => e.id)).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect(controller.nextCursor).toBeNull();
    const calls = vi.spyOn(gallery, 'list');
    await controller.loadMore();
    expect(calls).not.toHaveBeenCalled();
    host.disconnect();
  });

  it('filters by status, favorite and search, and drops entries that stop matching', async () => {
    const gallery = await galleryWith([
      mockEntry({ id: 'r1', status: 'ready', createdAt: at(1), request: { prompt: 'Crème brûlée on a plate' } }),
      mockEntry({ id: 'f1', status: 'failed', createdAt: at(2), request: { prompt: 'A storm at sea' } }),
      mockEntry({ id: 'r2', status: 'ready', createdAt: at(3), favorite: true, request: { prompt: 'CRÈME fraîche' } }),
    ]);
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = gallery;
    host.connect();
    controller.setQuery({ status: ['ready'] });
    await until(() => controller.state === 'ready' && controller.items.length === 2, 'ready entries');
    expect(controller.items.map((e) => e.id)).toEqual(['r2', 'r1']);
    controller.setQuery({ status: null, q: 'crème' });
    await until(() => controller.state === 'ready' && controller.query.q === 'crème', 'search results');
    expect(controller.items.map((e) => e.id)).toEqual(['r2', 'r1']);
    controller.setQuery({ q: '', favorite: true });
    await until(() => controller.state === 'ready' && controller.items.length === 1, 'favorites');
    expect(controller.items[0]!.id).toBe('r2');
    await gallery.update('r2', { favorite: false });
    await until(() => controller.items.length === 0, 'the unfavorited entry to leave');
    expect(controller.total).toBe(0);
    host.disconnect();
  });
});

describe('GalleryController edge cases (mock client)', () => {
  it('batches a burst of changes into one update', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'x', status: 'generating', createdAt: at(1) })] });
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = client;
    host.connect();
    await until(() => controller.state === 'ready', 'the first page');
    await Promise.resolve();
    const before = host.updates;
    for (let version = 2; version <= 50; version++) client.set({ ...client.entries[0]!, version, progress: version / 50 });
    expect(host.updates).toBe(before);
    await Promise.resolve();
    expect(host.updates).toBe(before + 1);
    expect(controller.items[0]!.progress).toBe(1);
    host.disconnect();
  });

  it('ignores an older version of an entry', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'x', version: 5, createdAt: at(1), caption: 'new' })] });
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = client;
    host.connect();
    await until(() => controller.state === 'ready', 'the first page');
    client.emit({ type: 'update', entry: { ...client.entries[0]!, version: 4, caption: 'old' } });
    await Promise.resolve();
    expect(controller.items[0]!.caption).toBe('new');
    host.disconnect();
  });

  it('applies changes that arrive while the first page loads', async () => {
    let answer!: (page: GalleryPage) => void;
    const client = new MockGalleryClient();
    const base = mockEntry({ id: 'x', status: 'generating', createdAt: at(1) });
    client.list = () => new Promise((resolve) => (answer = resolve));
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = client;
    host.connect();
    client.emit({ type: 'update', entry: { ...base, version: 2, status: 'ready' } });
    client.emit({ type: 'create', entry: mockEntry({ id: 'y', createdAt: at(2) }) });
    await Promise.resolve();
    answer({ items: [base], total: 1, nextCursor: null });
    await until(() => controller.state === 'ready', 'the first page');
    expect(controller.items.map((e) => [e.id, e.status])).toEqual([['y', 'ready'], ['x', 'ready']]);
    expect(controller.total).toBe(2);
    host.disconnect();
  });

  it('drops the answer of a query that was replaced meanwhile', async () => {
    const answers: ((page: GalleryPage) => void)[] = [];
    const client = new MockGalleryClient();
    client.list = () => new Promise((resolve) => answers.push(resolve));
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = client;
    host.connect();
    controller.setQuery({ q: 'boat' });
    expect(answers).toHaveLength(2);
    answers[1]!({ items: [mockEntry({ id: 'boat' })], total: 1, nextCursor: null });
    await until(() => controller.state === 'ready', 'the newer page');
    answers[0]!({ items: [mockEntry({ id: 'stale' })], total: 1, nextCursor: null });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(controller.items.map((e) => e.id)).toEqual(['boat']);
    host.disconnect();
  });

  it('reports a failed load, and a reload recovers', async () => {
    const client = new MockGalleryClient({ listError: new Error('offline'), entries: [mockEntry({ id: 'a' })] });
    const host = new TestHost();
    const onError = vi.fn();
    const controller = new GalleryController(host, { onError });
    controller.client = client;
    host.connect();
    await until(() => controller.state === 'error', 'the error');
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'offline' }), 'load');
    client.options.listError = undefined;
    await controller.reload();
    expect(controller.state).toBe('ready');
    expect(controller.items).toHaveLength(1);
    host.disconnect();
  });

  it('reloads when a RemoteGallery-like client reports missed changes (reset)', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a' })] });
    const resetListeners = new Set<() => void>();
    const resettable = Object.assign(client, {
      on: (_event: 'reset', listener: () => void) => resetListeners.add(listener),
      off: (_event: 'reset', listener: () => void) => resetListeners.delete(listener),
    }) as GalleryClient;
    const host = new TestHost();
    const controller = new GalleryController(host);
    controller.client = resettable;
    host.connect();
    await until(() => controller.state === 'ready', 'the first page');
    client.entries.push(mockEntry({ id: 'b' }));
    for (const listener of resetListeners) listener();
    await until(() => controller.items.length === 2, 'the reload');
    host.disconnect();
    expect(resetListeners.size).toBe(0);
  });
});
