import type { ModelCapabilities } from '../contracts/capabilities.js';
import type { JSONValue } from '../contracts/json.js';
import type { ProviderRequest, ProviderStatus, VideoProvider } from '../contracts/provider.js';
import { GalleryError } from '../errors.js';

/** What one task of the fake provider does on each status call, in order; the last step repeats. */
export type FakeStep =
  | { state: 'pending'; progress?: number; retryAfterMs?: number }
  | { state: 'succeeded' }
  | { state: 'failed'; error: GalleryError }
  | { state: 'throw'; error: GalleryError };

export interface FakeProviderOptions {
  id?: string;
  models?: ModelCapabilities[];
  /** Status script for every task. Default: one pending poll, then success. */
  script?: FakeStep[];
  /** Bytes served as the result. Default: a tiny ISO-BMFF (`ftyp`) header followed by filler. */
  video?: Uint8Array;
  /** Content type the result is served with. Default `video/mp4`. */
  contentType?: string;
  /** Errors thrown by `start`, one per call, before it succeeds. */
  startErrors?: GalleryError[];
  /** Whether `lookup` exists. Default true. */
  lookup?: boolean;
  /** Whether `cancel` works. Default true. */
  cancellable?: boolean;
}

/** A tiny MP4-looking payload: an `ftyp` box then filler. */
export function fakeVideoBytes(size = 4096): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0, 0x69, 0x73, 0x6f, 0x6d, 0x6d, 0x70, 0x34, 0x31]);
  for (let i = 24; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

export const FAKE_MODEL: ModelCapabilities = {
  id: 'fake-1', label: 'Fake 1', modes: ['text', 'image'], aspectRatios: ['16:9', '9:16', '1:1'], resolutions: ['480p', '720p'],
  durations: [2, 4, 8], defaults: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 4 }, maxPromptLength: 100,
  negativePrompt: { maxLength: 50 }, audio: 'optional', seed: { min: 0, max: 1000 },
  image: { mediaTypes: ['image/png', 'image/jpeg'], maxBytes: 1024 * 1024 },
  rules: [{ when: { resolution: ['720p'], aspectRatio: ['1:1'] }, allow: { durationSeconds: [4] }, message: '720p square clips are 4 s long' }],
  typicalLatencySeconds: [1, 60],
};

/**
 * A scripted, in-memory provider for engine tests. It records every call, so tests can assert that each
 * entry was started exactly once. Its state lives in the returned object, which plays "the provider's
 * servers": share it between `VideoGallery` instances to simulate a restart.
 */
export function createFakeProvider(options: FakeProviderOptions = {}) {
  const script = options.script ?? [{ state: 'pending', progress: 0.5 }, { state: 'succeeded' }];
  const video = options.video ?? fakeVideoBytes();
  const startErrors = [...(options.startErrors ?? [])];
  const tasks = new Map<string, { request: ProviderRequest; idempotencyKey: string; polls: number; cancelled: boolean }>();
  const calls = { start: [] as { request: ProviderRequest; idempotencyKey: string }[], status: 0, cancel: 0, lookup: 0 };
  /** Hooks tests use to stop "the process" at a precise point. */
  const hooks: { beforeStart?: () => Promise<void> | void; afterStart?: () => Promise<void> | void; beforeStatus?: () => Promise<void> | void } = {};
  let counter = 0;

  const provider: VideoProvider & { calls: typeof calls; hooks: typeof hooks; tasks: typeof tasks } = {
    specificationVersion: 'v1',
    id: options.id ?? 'fake',
    calls,
    hooks,
    tasks,
    models: () => options.models ?? [FAKE_MODEL],
    async start(request, { signal, idempotencyKey }) {
      signal?.throwIfAborted();
      await hooks.beforeStart?.();
      const error = startErrors.shift();
      if (error) throw error;
      calls.start.push({ request, idempotencyKey });
      const id = `task-${++counter}`;
      tasks.set(id, { request, idempotencyKey, polls: 0, cancelled: false });
      await hooks.afterStart?.();
      return { task: { id }, warnings: [] };
    },
    async status(task: JSONValue, { signal }) {
      signal?.throwIfAborted();
      await hooks.beforeStatus?.();
      calls.status++;
      const id = (task as { id: string }).id;
      const record = tasks.get(id);
      if (!record) return { state: 'failed', error: new GalleryError('expired', `unknown task ${id}`) } satisfies ProviderStatus;
      if (record.cancelled) return { state: 'failed', error: new GalleryError('cancelled', 'cancelled') } satisfies ProviderStatus;
      const step = script[Math.min(record.polls, script.length - 1)]!;
      record.polls++;
      if (step.state === 'throw') throw step.error;
      if (step.state === 'failed') return { state: 'failed', error: step.error };
      if (step.state === 'pending') {
        const status: ProviderStatus = { state: 'pending' };
        if (step.progress !== undefined) status.progress = step.progress;
        if (step.retryAfterMs !== undefined) status.retryAfterMs = step.retryAfterMs;
        return status;
      }
      return {
        state: 'succeeded',
        outputs: [{
          open: async ({ offset = 0 }) => ({
            contentType: options.contentType ?? 'video/mp4',
            size: video.byteLength,
            body: new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(video.slice(offset));
                controller.close();
              },
            }),
          }),
        }],
        usage: { seconds: record.request.durationSeconds },
      };
    },
  };
  if (options.cancellable !== false) {
    provider.cancel = async (task) => {
      calls.cancel++;
      const record = tasks.get((task as { id: string }).id);
      if (!record) return { cancelled: false };
      record.cancelled = true;
      return { cancelled: true };
    };
  }
  if (options.lookup !== false) {
    provider.lookup = async (idempotencyKey) => {
      calls.lookup++;
      for (const [id, record] of tasks) if (record.idempotencyKey === idempotencyKey) return { task: { id } };
      return null;
    };
  }
  return provider;
}

export type FakeProvider = ReturnType<typeof createFakeProvider>;
