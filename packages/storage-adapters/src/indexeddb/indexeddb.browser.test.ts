// The IndexedDB adapters in real Chromium (vitest browser mode, the `browser` project of the root config): the
// conformance suites on a real, disk-backed IndexedDB, and a recorded video put, read by range and played from
// its object URL.
import { afterEach, describe, expect, it } from 'vitest';
import { makeEntry } from '@video-gallery/core/testing';
import { GalleryError } from '@video-gallery/core';
import { createIndexedDbEntryStore, createIndexedDbStorage } from './index.js';
import type { IndexedDbEntryStore, IndexedDbStorage } from './index.js';
import { dbName, deleteDatabase, indexedDbConformance } from './conformance.test-support.js';

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Records `frames` frames of a 320x240 canvas with MediaRecorder: a real WebM video made in the browser. */
async function recordWebm(frames: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const context = canvas.getContext('2d')!;
  const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm;codecs=vp8' });
  const parts: Blob[] = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  const stopped = new Promise<void>((resolve) => {
    recorder.onstop = () => resolve();
  });
  recorder.start(100);
  for (let frame = 0; frame < frames; frame++) {
    context.fillStyle = `hsl(${(frame * 23) % 360} 80% 50%)`;
    context.fillRect(0, 0, 320, 240);
    context.fillStyle = 'white';
    context.fillText(`frame ${frame}`, 20, 40);
    await new Promise((resolve) => setTimeout(resolve, 33)); // let the capture take the frame
  }
  recorder.stop();
  await stopped;
  return new Blob(parts, { type: 'video/webm' });
}

// The 64 MiB object of the blob suite streams through real IndexedDB here.
indexedDbConformance({ name: 'indexeddb (Chromium)' });

describe('indexeddb in Chromium', () => {
  let storage: IndexedDbStorage | undefined;
  let store: IndexedDbEntryStore | undefined;
  const names: string[] = [];
  afterEach(async () => {
    await storage?.close();
    await store?.close();
    storage = undefined;
    store = undefined;
    for (const name of names.splice(0)) await deleteDatabase(name);
  });

  it('stores a recorded video, reads a range of it, and plays it from its object URL at its size', async () => {
    const video = await recordWebm(30);
    expect(video.size).toBeGreaterThan(1000);
    const name = dbName('video');
    names.push(name);
    // Small records so that the video spans many of them and the range crosses record boundaries.
    storage = createIndexedDbStorage({ dbName: name, chunkBytes: 4096 });
    const put = await storage.put('videos/clip.webm', video.stream() as ReadableStream<Uint8Array>, { contentType: 'video/webm' });
    expect(put.bytes).toBe(video.size);
    expect(await storage.head('videos/clip.webm')).toMatchObject({ size: video.size, contentType: 'video/webm', etag: put.etag });

    const end = Math.min(video.size - 1, 4096 * 2 + 500);
    const ranged = await storage.get('videos/clip.webm', { range: { start: 100, end } });
    expect(ranged?.range).toEqual({ start: 100, end });
    expect(await bytesOf(ranged!.body)).toEqual(new Uint8Array(await video.slice(100, end + 1).arrayBuffer()));

    const url = await storage.url('videos/clip.webm');
    expect(url).toMatch(/^blob:/);
    try {
      const fetched = await (await fetch(url!)).blob();
      expect(fetched.size).toBe(video.size);
      expect(fetched.type).toBe('video/webm');
      const element = document.createElement('video');
      element.muted = true;
      element.src = url!;
      document.body.append(element);
      await new Promise<void>((resolve, reject) => {
        element.onloadedmetadata = () => resolve();
        element.onerror = () => reject(new Error(`the video did not load: ${element.error?.message ?? 'unknown error'}`));
      });
      expect([element.videoWidth, element.videoHeight]).toEqual([320, 240]);
      await element.play();
      await new Promise<void>((resolve) => {
        element.ontimeupdate = () => resolve();
      });
      expect(element.currentTime).toBeGreaterThan(0);
      element.pause();
      element.remove();
    } finally {
      URL.revokeObjectURL(url!);
    }
  });

  it('entry store basics: insert, get, list with search and cursors, optimistic update, persistence', async () => {
    const name = dbName('entries');
    names.push(name);
    store = createIndexedDbEntryStore({ dbName: name });
    const base = Date.UTC(2025, 0, 1);
    const entries = Array.from({ length: 7 }, (_, i) =>
      makeEntry({ owner: 'me', createdAt: new Date(base + i * 1000).toISOString(), request: { prompt: i % 2 ? `Sunset over Kyoto ${i}` : `Forest ${i}` } }),
    );
    for (const entry of entries) await store.insert(entry);
    await store.insert(makeEntry({ owner: 'other', request: { prompt: 'SUNSET elsewhere' } }));

    const first = await store.list({ owner: 'me', limit: 3 });
    expect(first.total).toBe(7);
    expect(first.items.map((e) => e.id)).toEqual(entries.slice(4).reverse().map((e) => e.id));
    const rest = await store.list({ owner: 'me', limit: 10, cursor: first.nextCursor! });
    expect(rest.items.map((e) => e.id)).toEqual(entries.slice(0, 4).reverse().map((e) => e.id));
    expect(rest.nextCursor).toBeNull();
    const found = await store.list({ owner: 'me', q: 'SUNSET', limit: 10 });
    expect(found.items.map((e) => e.request.prompt).sort()).toEqual(['Sunset over Kyoto 1', 'Sunset over Kyoto 3', 'Sunset over Kyoto 5']);

    const updated = await store.update(entries[0]!.id, { favorite: true }, { expectVersion: 1 });
    expect(updated.version).toBe(2);
    const stale = await store.update(entries[0]!.id, { favorite: false }, { expectVersion: 1 }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(stale) && stale.code).toBe('conflict');
    await store.close();

    store = createIndexedDbEntryStore({ dbName: name });
    expect(await store.get(entries[0]!.id)).toEqual(updated);
    expect((await store.list({ owner: 'me', favorite: true, limit: 10 })).items.map((e) => e.id)).toEqual([entries[0]!.id]);
  });
});
