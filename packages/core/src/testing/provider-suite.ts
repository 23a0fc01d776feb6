/**
 * One conformance suite for every `VideoProvider`. An adapter's test file calls `testVideoProvider(...)` with a
 * factory that builds the provider against its mock and returns the mock's {@link ProviderMockControl}.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GalleryError, isAbortError } from '../errors.js';
import type { GalleryErrorCode } from '../errors.js';
import type { JSONValue } from '../contracts/json.js';
import type { ProviderOutput, ProviderRequest, ProviderStatus, VideoProvider } from '../contracts/provider.js';
import { readAll } from '../streams.js';

/** What a scripted task does once its pending polls are used up. */
export type ProviderMockOutcome =
  /** Finishes with a downloadable MP4. */
  | 'succeed'
  /** Fails moderation (expected: `content_policy`). */
  | 'fail-moderation'
  /** Fails for another reason (expected: a `GalleryError` other than `content_policy`). */
  | 'fail-generic'
  /** Becomes unknown to the provider, as after its retention period (expected: `expired`). */
  | 'expire';

/**
 * The handle every provider mock (and the local provider's test harness) exposes so the conformance suite can steer
 * it. Scripts apply to tasks in the order they are started.
 */
export interface ProviderMockControl {
  /** The outcomes this mock can script; the suite skips tests for the others and names them. */
  readonly outcomes: readonly ProviderMockOutcome[];
  /** True when the provider reports `progress` while a task is pending. */
  readonly reportsProgress: boolean;
  /**
   * Scripts the next started task: `pendingPolls` status calls answer pending (default: the mock's own default),
   * then the outcome applies.
   */
  script(outcome: ProviderMockOutcome, options?: { pendingPolls?: number }): void;
  /** Tasks the mock accepted so far; each would be a paid submission at the real provider. */
  startCount(): number;
  /**
   * Holds the next request the provider makes without answering it until it is aborted or `reset()` runs. The
   * promise resolves once that request has arrived. Optional: without it the in-flight abort test is skipped.
   */
  stallNext?(): Promise<void>;
  /** Forgets scripts, switches and tasks, and releases stalled requests. */
  reset(): void;
}

/** What `create` returns for one test. */
export interface ProviderUnderTest {
  provider: VideoProvider;
  control: ProviderMockControl;
  /** Runs after the test (close servers, reset interceptors). */
  cleanup?: () => Promise<void> | void;
}

/** Options of {@link testVideoProvider}. */
export interface TestVideoProviderOptions {
  /** Suite name, for example `dashscope (msw)`. **Required.** */
  name: string;
  /** Builds a fresh provider and mock for each test. **Required.** */
  create: () => Promise<ProviderUnderTest>;
  /** Overrides for the request the suite sends. Default: text mode with the first model's defaults. */
  request?: Partial<ProviderRequest>;
  /** Status calls allowed before a task must have settled. Default 50. */
  maxPolls?: number;
  /** Wait between status calls while pending, in ms. Default 0 (mocks advance per poll, not per time). */
  pollIntervalMs?: number;
  /** Guard for steps that must finish promptly (abort, download), in ms. Default 10 000. */
  promptMs?: number;
}

const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

function buildRequest(provider: VideoProvider, overrides: Partial<ProviderRequest> | undefined): ProviderRequest {
  const model = provider.models()[0];
  if (model === undefined) throw new Error(`provider ${provider.id} lists no models`);
  return {
    model: model.id,
    mode: 'text',
    prompt: 'A paper boat drifting across a calm lake at sunset',
    aspectRatio: model.defaults.aspectRatio,
    resolution: model.defaults.resolution,
    durationSeconds: model.defaults.durationSeconds,
    ...overrides,
  };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function settle(provider: VideoProvider, task: JSONValue, maxPolls: number, intervalMs: number): Promise<{ status: ProviderStatus; pendingSeen: number }> {
  let pendingSeen = 0;
  for (let poll = 0; poll < maxPolls; poll += 1) {
    const status = await provider.status(task, {});
    if (status.state !== 'pending') return { status, pendingSeen };
    pendingSeen += 1;
    if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`task still pending after ${maxPolls} status calls`);
}

/** Reads the bytes of one output: fetches a URL output with its headers, or drains an `open` output's stream. */
export async function downloadOutput(output: ProviderOutput, signal?: AbortSignal): Promise<Uint8Array> {
  if (output.url === undefined) {
    const opened = await output.open(signal === undefined ? {} : { signal });
    return readAll(opened.body, MAX_DOWNLOAD_BYTES);
  }
  const response = await fetch(output.url, { ...(output.headers === undefined ? {} : { headers: output.headers }), ...(signal === undefined ? {} : { signal }) });
  if (!response.ok) throw new Error(`download of ${output.url} failed with HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** True when `bytes` start like an ISO-BMFF file (an `ftyp` box at offset 4), as every MP4 does. */
export function looksLikeMp4(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && String.fromCharCode(...bytes.subarray(4, 8)) === 'ftyp';
}

function expectFailure(status: ProviderStatus, check: (error: GalleryError) => void): void {
  expect(status.state).toBe('failed');
  if (status.state !== 'failed') return;
  expect(GalleryError.isInstance(status.error)).toBe(true);
  check(status.error);
}

function isAbortRejection(error: unknown): boolean {
  return isAbortError(error) || (GalleryError.isInstance(error) && error.code === 'cancelled');
}

/**
 * Registers the provider conformance suite: start, pending, success with a downloadable MP4, failures with the right
 * codes, abort, cancel and resuming from a persisted task. Call it at the top level of a vitest test file.
 */
export function testVideoProvider(options: TestVideoProviderOptions): void {
  const maxPolls = options.maxPolls ?? 50;
  const intervalMs = options.pollIntervalMs ?? 0;
  const promptMs = options.promptMs ?? 10_000;

  describe(`VideoProvider conformance: ${options.name}`, () => {
    let current: ProviderUnderTest | undefined;

    function ctx(): ProviderUnderTest {
      if (current === undefined) throw new Error('provider was not created');
      return current;
    }

    async function startOne(outcome: ProviderMockOutcome, pendingPolls: number): Promise<JSONValue> {
      const { provider, control } = ctx();
      control.script(outcome, { pendingPolls });
      const started = await provider.start(buildRequest(provider, options.request), { idempotencyKey: `conformance-${outcome}-${Date.now()}` });
      return started.task;
    }

    beforeEach(async () => {
      current = await options.create();
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      if (done === undefined) return;
      done.control.reset();
      await done.cleanup?.();
    });

    it('declares a specification version, an id and consistent model defaults', () => {
      const { provider } = ctx();
      expect(provider.specificationVersion).toBe('v1');
      expect(provider.id).toMatch(/\S/);
      const models = provider.models();
      expect(models.length).toBeGreaterThan(0);
      for (const model of models) {
        expect(model.aspectRatios).toContain(model.defaults.aspectRatio);
        expect(model.resolutions).toContain(model.defaults.resolution);
        expect(model.durations).toContain(model.defaults.durationSeconds);
        expect(model.modes.length).toBeGreaterThan(0);
      }
    });

    it('start returns a JSON-serialisable task and counts exactly one submission', async () => {
      const { provider, control } = ctx();
      const before = control.startCount();
      control.script('succeed', { pendingPolls: 1 });
      const started = await provider.start(buildRequest(provider, options.request), { idempotencyKey: 'conformance-start' });
      expect(control.startCount()).toBe(before + 1);
      expect(JSON.parse(JSON.stringify(started.task))).toEqual(started.task);
      expect(Array.isArray(started.warnings)).toBe(true);
    });

    it('status reports pending while the task runs', async () => {
      const { provider, control } = ctx();
      const task = await startOne('succeed', 2);
      const status = await provider.status(task, {});
      expect(status.state).toBe('pending');
      if (status.state !== 'pending') return;
      if (control.reportsProgress) {
        expect(typeof status.progress).toBe('number');
      }
      if (status.progress !== undefined) {
        expect(status.progress).toBeGreaterThanOrEqual(0);
        expect(status.progress).toBeLessThanOrEqual(1);
      }
      if (status.retryAfterMs !== undefined) expect(status.retryAfterMs).toBeGreaterThanOrEqual(0);
    });

    it('a succeeded task yields an output whose bytes are an MP4', async () => {
      const { provider } = ctx();
      const task = await startOne('succeed', 1);
      const { status, pendingSeen } = await settle(provider, task, maxPolls, intervalMs);
      expect(pendingSeen).toBeGreaterThanOrEqual(1);
      expect(status.state).toBe('succeeded');
      if (status.state !== 'succeeded') return;
      expect(status.outputs.length).toBeGreaterThan(0);
      const output = status.outputs[0] as ProviderOutput;
      if (output.expiresAt !== undefined) {
        expect(Number.isNaN(Date.parse(output.expiresAt))).toBe(false);
      }
      const bytes = await within(downloadOutput(output), promptMs, 'output download');
      expect(looksLikeMp4(bytes)).toBe(true);
      if (status.usage !== undefined) expect(JSON.parse(JSON.stringify(status.usage))).toEqual(status.usage);
    });

    it('status works from a task that went through JSON.stringify / JSON.parse', async () => {
      const { provider } = ctx();
      const task = await startOne('succeed', 1);
      const persisted = JSON.parse(JSON.stringify(task)) as JSONValue;
      const { status } = await settle(provider, persisted, maxPolls, intervalMs);
      expect(status.state).toBe('succeeded');
    });

    it('status rejects a task reference that is not its own with a GalleryError', async () => {
      const { provider } = ctx();
      const error = await provider.status({ not: 'a task of this provider' }, {}).then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(GalleryError.isInstance(error)).toBe(true);
    });

    const failureCases: { outcome: ProviderMockOutcome; title: string; check: (error: GalleryError) => void }[] = [
      {
        outcome: 'fail-moderation',
        title: 'a moderation failure becomes content_policy and is not retryable',
        check: (error) => {
          expect(error.code).toBe<GalleryErrorCode>('content_policy');
          expect(error.retryable).toBe(false);
        },
      },
      {
        outcome: 'fail-generic',
        title: 'a generic failure becomes a GalleryError that is not content_policy',
        check: (error) => {
          expect(error.code).not.toBe('content_policy');
          expect(error.message).toMatch(/\S/);
        },
      },
      {
        outcome: 'expire',
        title: 'a task the provider no longer knows becomes expired',
        check: (error) => {
          expect(error.code).toBe<GalleryErrorCode>('expired');
          expect(error.retryable).toBe(false);
        },
      },
    ];

    for (const failure of failureCases) {
      it(failure.title, async (context) => {
        const { provider, control } = ctx();
        if (!control.outcomes.includes(failure.outcome)) {
          console.warn(`[${options.name}] skipped: the mock cannot script '${failure.outcome}'`);
          context.skip();
        }
        const task = await startOne(failure.outcome, 1);
        const { status } = await settle(provider, task, maxPolls, intervalMs);
        expectFailure(status, failure.check);
      });
    }

    it('an already-aborted signal rejects start without submitting anything', async () => {
      const { provider, control } = ctx();
      const before = control.startCount();
      const error = await provider
        .start(buildRequest(provider, options.request), { idempotencyKey: 'conformance-abort', signal: AbortSignal.abort() })
        .then(
          () => null,
          (reason: unknown) => reason,
        );
      expect(isAbortRejection(error)).toBe(true);
      expect(control.startCount()).toBe(before);
    });

    it('aborting an in-flight status call rejects promptly', async (context) => {
      const { provider, control } = ctx();
      if (control.stallNext === undefined) {
        console.warn(`[${options.name}] skipped: the mock cannot stall a request`);
        context.skip();
        return;
      }
      const task = await startOne('succeed', 3);
      const arrived = control.stallNext();
      const controller = new AbortController();
      const pending = provider.status(task, { signal: controller.signal }).then(
        () => null,
        (reason: unknown) => reason,
      );
      await within(arrived, promptMs, 'the stalled request');
      controller.abort();
      const error = await within(pending, promptMs, 'the aborted status call');
      expect(isAbortRejection(error)).toBe(true);
    });

    it('cancel answers honestly: true only when the task really is cancelled', async (context) => {
      const { provider } = ctx();
      if (provider.cancel === undefined) {
        console.warn(`[${options.name}] skipped: the provider has no cancel()`);
        context.skip();
        return;
      }
      const task = await startOne('succeed', 3);
      const result = await provider.cancel(task);
      expect(typeof result.cancelled).toBe('boolean');
      const { status } = await settle(provider, task, maxPolls, intervalMs);
      if (result.cancelled) {
        expectFailure(status, (error) => expect(error.code).toBe<GalleryErrorCode>('cancelled'));
      } else {
        expect(status.state === 'failed' && status.error.code === 'cancelled').toBe(false);
      }
    });

    it('cancel of a finished task returns cancelled: false', async (context) => {
      const { provider } = ctx();
      if (provider.cancel === undefined) {
        console.warn(`[${options.name}] skipped: the provider has no cancel()`);
        context.skip();
        return;
      }
      const task = await startOne('succeed', 0);
      const { status } = await settle(provider, task, maxPolls, intervalMs);
      expect(status.state).toBe('succeeded');
      expect(await provider.cancel(task)).toEqual({ cancelled: false });
    });
  });
}
