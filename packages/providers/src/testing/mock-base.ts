/**
 * Plumbing shared by the provider mocks: an injectable clock, per-task scripted timelines, failure switches, request
 * stalling and small response helpers. Browser-safe (no Node imports).
 */
import type { ProviderMockControl, ProviderMockOutcome } from '@video-gallery/core/testing';

/** A clock the mocks read; inject one to test URL and task expiry without waiting. */
export interface MockClock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A clock that only moves when told to. */
export interface ManualClock extends MockClock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

/** A {@link ManualClock} starting at `startMs` (default 2026-01-01T00:00:00Z). */
export function manualClock(startMs: number = Date.UTC(2026, 0, 1)): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (epochMs) => {
      current = epochMs;
    },
  };
}

/** Where a scripted task stands. */
export type MockTaskPhase = 'queued' | 'running' | 'succeeded' | 'failed-moderation' | 'failed-generic' | 'expired' | 'cancelled';

/** One task a mock accepted. `data` holds what the provider-specific mock needs (the request body, …). */
export interface MockTask<T> {
  readonly id: string;
  readonly createdAt: number;
  readonly outcome: ProviderMockOutcome;
  /** Status calls answered pending before the outcome. */
  readonly pendingPolls: number;
  /** Of those, how many answer "queued" (the rest answer "running"). */
  readonly queuedPolls: number;
  /** Status calls served so far. */
  polls: number;
  /** When the task reached a terminal phase (ms), once it has. */
  finishedAt?: number;
  cancelledAt?: number;
  readonly data: T;
}

/** Options of {@link MockTaskBook}. */
export interface MockTaskBookOptions {
  clock: MockClock;
  /** Pending status calls of an unscripted task. */
  defaultPendingPolls: number;
  /** Of the pending calls, how many answer "queued" before "running". Default 1. */
  defaultQueuedPolls?: number;
  /** After this long (ms from creation) a task is forgotten and reads as expired. Default: never. */
  taskTtlMs?: number;
  /** Makes task ids. Default `crypto.randomUUID()`. */
  newId?: () => string;
}

/** Scripted task timelines: FIFO scripts, per-poll progression, queued-only cancel, TTL expiry. */
export class MockTaskBook<T> {
  readonly #options: MockTaskBookOptions;
  readonly #tasks = new Map<string, MockTask<T>>();
  #scripts: { outcome: ProviderMockOutcome; pendingPolls?: number; queuedPolls?: number }[] = [];
  #started = 0;

  constructor(options: MockTaskBookOptions) {
    this.#options = options;
  }

  /** Scripts the next created task (FIFO). */
  script(outcome: ProviderMockOutcome, options: { pendingPolls?: number; queuedPolls?: number } = {}): void {
    this.#scripts.push({ outcome, ...options });
  }

  /** Accepts a task: takes the next script, or `fallback` (default `succeed`) when none is queued. */
  create(data: T, fallback: ProviderMockOutcome = 'succeed'): MockTask<T> {
    const script = this.#scripts.shift();
    const pendingPolls = Math.max(0, script?.pendingPolls ?? this.#options.defaultPendingPolls);
    const queuedPolls = Math.min(pendingPolls, Math.max(0, script?.queuedPolls ?? this.#options.defaultQueuedPolls ?? 1));
    const task: MockTask<T> = {
      id: this.#options.newId?.() ?? crypto.randomUUID(),
      createdAt: this.#options.clock.now(),
      outcome: script?.outcome ?? fallback,
      pendingPolls,
      queuedPolls,
      polls: 0,
      data,
    };
    this.#tasks.set(task.id, task);
    this.#started += 1;
    return task;
  }

  get(id: string): MockTask<T> | undefined {
    return this.#tasks.get(id);
  }

  all(): MockTask<T>[] {
    return [...this.#tasks.values()];
  }

  /** Tasks accepted since the last reset. */
  startCount(): number {
    return this.#started;
  }

  /** The phase now, without serving a poll. */
  phase(task: MockTask<T>): MockTaskPhase {
    if (this.#expiredByAge(task)) return 'expired';
    if (task.cancelledAt !== undefined) return 'cancelled';
    if (task.polls < task.queuedPolls) return 'queued';
    if (task.polls < task.pendingPolls) return 'running';
    switch (task.outcome) {
      case 'succeed':
        return 'succeeded';
      case 'fail-moderation':
        return 'failed-moderation';
      case 'fail-generic':
        return 'failed-generic';
      case 'expire':
        return 'expired';
    }
  }

  /** Serves one status call: returns the phase the caller sees, then moves the timeline on. */
  poll(task: MockTask<T>): MockTaskPhase {
    const phase = this.phase(task);
    if (phase === 'queued' || phase === 'running') {
      task.polls += 1;
    } else if (task.finishedAt === undefined) {
      task.finishedAt = this.#options.clock.now();
    }
    return phase;
  }

  /** Cancels a task that is still queued. Returns false in any other phase. */
  cancel(task: MockTask<T>): boolean {
    if (this.phase(task) !== 'queued') return false;
    task.cancelledAt = this.#options.clock.now();
    task.finishedAt = task.cancelledAt;
    return true;
  }

  /** Forgets everything. */
  reset(): void {
    this.#tasks.clear();
    this.#scripts = [];
    this.#started = 0;
  }

  #expiredByAge(task: MockTask<T>): boolean {
    const ttl = this.#options.taskTtlMs;
    return ttl !== undefined && this.#options.clock.now() - task.createdAt >= ttl;
  }
}

/** One armed failure: what to do and on which route. */
export interface ArmedFailure<K extends string, R extends string> {
  kind: K;
  route: R | 'any';
}

/** Failure switches armed with `failNext`, consumed by the first matching request. */
export class FailureSwitches<K extends string, R extends string> {
  #armed: ArmedFailure<K, R>[] = [];

  /** Arms `kind` for the next `times` requests on `route`. */
  arm(kind: K, route: R | 'any', times = 1): void {
    for (let index = 0; index < times; index += 1) this.#armed.push({ kind, route });
  }

  /**
   * Takes the first armed failure that applies to `route` and that `accept` agrees to. Failures armed for `any`
   * apply unless `includeAny` is false (for routes outside the API, such as result downloads).
   */
  take(route: R, accept: (kind: K) => boolean = () => true, includeAny = true): K | undefined {
    const index = this.#armed.findIndex((armed) => ((includeAny && armed.route === 'any') || armed.route === route) && accept(armed.kind));
    if (index < 0) return undefined;
    const [armed] = this.#armed.splice(index, 1);
    return armed?.kind;
  }

  /** Armed failures not yet used. */
  pending(): readonly ArmedFailure<K, R>[] {
    return this.#armed;
  }

  clear(): void {
    this.#armed = [];
  }
}

/** Holds requests open to simulate a provider that does not answer. */
export class Staller {
  #armed: (() => void)[] = [];
  #release = new AbortController();

  /** Holds the next request; resolves when it arrives. */
  stallNext(): Promise<void> {
    return new Promise((resolve) => {
      this.#armed.push(resolve);
    });
  }

  /** True when a stall is armed; consumes it. */
  takeArmed(): boolean {
    const arrived = this.#armed.shift();
    if (arrived === undefined) return false;
    arrived();
    return true;
  }

  /**
   * Waits until the request is aborted, the staller is released, or `maxMs` passes (a timer that does not keep the
   * process alive).
   */
  hold(signal: AbortSignal | undefined, maxMs: number): Promise<void> {
    const release = this.#release.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        release.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      (timer as { unref?: () => void }).unref?.();
      if (signal?.aborted || release.aborted) {
        done();
        return;
      }
      signal?.addEventListener('abort', done, { once: true });
      release.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases every held request and disarms pending stalls. */
  releaseAll(): void {
    this.#release.abort();
    this.#release = new AbortController();
    this.#armed = [];
  }
}

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * Serves `bytes` honouring a single `Range: bytes=a-b` header (206 / 416), as object stores do. HEAD gets headers only.
 */
export function bytesResponse(request: Request, bytes: Uint8Array, contentType: string, headers: Record<string, string> = {}): Response {
  const common = { 'content-type': contentType, 'accept-ranges': 'bytes', ...headers };
  const range = request.headers.get('range');
  const head = request.method === 'HEAD';
  const body = (part: Uint8Array): BodyInit | null => (head ? null : (part as Uint8Array<ArrayBuffer>));
  if (range === null) {
    return new Response(body(bytes), { status: 200, headers: { ...common, 'content-length': String(bytes.byteLength) } });
  }
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const size = bytes.byteLength;
  let start: number;
  let end: number;
  if (match === null || (match[1] === '' && match[2] === '')) {
    return new Response(null, { status: 416, headers: { ...common, 'content-range': `bytes */${size}` } });
  }
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return new Response(null, { status: 416, headers: { ...common, 'content-range': `bytes */${size}` } });
  }
  const part = bytes.subarray(start, end + 1);
  return new Response(body(part), {
    status: 206,
    headers: { ...common, 'content-length': String(part.byteLength), 'content-range': `bytes ${start}-${end}/${size}` },
  });
}

/** A short, stable, non-cryptographic hash (FNV-1a, hex) for signed-looking mock URLs. */
export function mockSignature(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let second = hash ^ 0x5bd1e995;
  for (let index = text.length - 1; index >= 0; index -= 1) {
    second ^= text.charCodeAt(index);
    second = Math.imul(second, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0') + second.toString(16).padStart(8, '0');
}

/**
 * The conformance-suite control of a mock built on a {@link MockTaskBook} and a {@link Staller}: every outcome can be
 * scripted, requests can be stalled, and `reset` is the mock's own.
 */
export function taskBookControl(book: MockTaskBook<unknown>, staller: Staller, reset: () => void): ProviderMockControl {
  return {
    outcomes: ['succeed', 'fail-moderation', 'fail-generic', 'expire'] satisfies ProviderMockOutcome[],
    reportsProgress: false,
    script: (outcome, scriptOptions) => book.script(outcome, scriptOptions?.pendingPolls === undefined ? {} : { pendingPolls: scriptOptions.pendingPolls }),
    startCount: () => book.startCount(),
    stallNext: () => staller.stallNext(),
    reset,
  };
}
