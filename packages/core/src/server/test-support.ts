// Shared setup for the server tests (not exported from the package).
import type { BlobStorage } from '../contracts/storage.js';
import type { MediaProcessor } from '../contracts/media.js';
import { VideoGallery } from '../gallery.js';
import { createMemoryStorage } from '../memory-storage.js';
import { createMemoryEntryStore } from '../memory-store.js';
import { inProcessRunner } from '../runner.js';
import { createFakeProvider, type FakeProvider, type FakeProviderOptions } from '../testing/fake-provider.js';
import { createGalleryHandler, type GalleryHandler, type GalleryHandlerOptions } from './handler.js';

export const quietLogger = { warn: () => {}, error: () => {} };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A JPEG-looking thumbnail. */
export const THUMBNAIL = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

export const fakeMedia = (): MediaProcessor => ({
  async probe(source) {
    return { durationSeconds: 4, width: 1280, height: 720, bytes: 'size' in source ? source.size : 0 };
  },
  async thumbnail() {
    return { data: THUMBNAIL, contentType: 'image/jpeg', width: 480, height: 270 };
  },
});

export interface ServerSetup {
  gallery: VideoGallery;
  provider: FakeProvider;
  storage: BlobStorage;
  handler: GalleryHandler;
  runner: ReturnType<typeof inProcessRunner>;
  /** Calls the handler with `user` as the bearer token (`null`: no credentials). */
  call(method: string, path: string, init?: { user?: string | null; headers?: Record<string, string>; body?: BodyInit | null; json?: unknown }): Promise<Response>;
  /** Waits until every job settled. */
  settle(): Promise<void>;
  /** Creates an entry for `user` through the API and waits for the job to finish. */
  ready(user: string, prompt?: string): Promise<{ id: string; attempt: number }>;
  close(): Promise<void>;
}

export const BASE = 'http://test.local/api/gallery';

export function setupServer(options: {
  handler?: Partial<GalleryHandlerOptions>;
  provider?: FakeProviderOptions;
  storage?: BlobStorage;
} = {}): ServerSetup {
  const provider = createFakeProvider(options.provider);
  const storage = options.storage ?? createMemoryStorage();
  const runner = inProcessRunner({ delay: () => tick(), errorDelayMs: 0, onError: () => {} });
  const gallery = new VideoGallery({
    providers: [provider], store: createMemoryEntryStore(), storage, runner, media: fakeMedia(), logger: quietLogger, retry: { retries: 0, minTimeout: 0 },
  });
  const handler = createGalleryHandler(gallery, {
    authenticate: (request) => {
      const header = request.headers.get('authorization');
      return header?.startsWith('Bearer ') ? header.slice(7) : null;
    },
    logger: quietLogger,
    ...options.handler,
  });
  const call: ServerSetup['call'] = (method, path, init = {}) => {
    const headers = new Headers(init.headers);
    const user = init.user === undefined ? 'alice' : init.user;
    if (user !== null) headers.set('authorization', `Bearer ${user}`);
    let body = init.body ?? null;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return handler(new Request(`${BASE}${path}`, { method, headers, body }));
  };
  const settle = () => runner.idle();
  return {
    gallery, provider, storage, handler, runner, call, settle,
    async ready(user, prompt = 'a fox in the snow') {
      const response = await call('POST', '/generations', { user, json: { prompt } });
      if (response.status !== 202) throw new Error(`generate answered ${response.status}: ${await response.text()}`);
      const entry = (await response.json()) as { id: string };
      await settle();
      const done = await gallery.get(entry.id);
      if (done?.status !== 'ready') throw new Error(`the job ended ${done?.status}`);
      return { id: entry.id, attempt: done.attempt };
    },
    async close() {
      handler.close();
      await runner.close();
    },
  };
}

/** Yields to the event loop until `condition` holds (jobs advance between checks); throws after many turns. */
export async function until(condition: () => Promise<boolean> | boolean, what = 'the condition'): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (await condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}
