import type { JobExecutor, JobRunner } from './contracts/runner.js';
import { isAbortError } from './errors.js';

export interface InProcessRunnerOptions {
  /** Jobs stepped at the same time. Default 4. */
  concurrency?: number;
  /** Waits `ms`; injectable so tests never sleep. Default: setTimeout. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called when a step throws unexpectedly (the job is retried after `errorDelayMs`). */
  onError?: (error: unknown, entryId: string) => void;
  /** Wait after an unexpected step error, ms. Default 5000. */
  errorDelayMs?: number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs jobs in this process: each job is stepped, waits the delay the step asks for, and is stepped again
 * until it ends. At most one step of a job runs at a time; enqueuing a scheduled job is harmless.
 */
export function inProcessRunner(options: InProcessRunnerOptions = {}): JobRunner & { idle(): Promise<void> } {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const delay = options.delay ?? sleep;
  const errorDelayMs = options.errorDelayMs ?? 5000;
  const controller = new AbortController();
  let executor: JobExecutor | undefined;
  /** Jobs known to the runner: waiting, ready or stepping. */
  const jobs = new Map<string, { rerun: boolean; running: boolean; token: number }>();
  const ready = new Set<string>();
  let active = 0;
  const idleWaiters: (() => void)[] = [];
  const inFlight = new Set<Promise<void>>();

  const checkIdle = () => {
    if (jobs.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const pump = () => {
    while (active < concurrency && ready.size > 0 && !controller.signal.aborted) {
      const id = ready.values().next().value as string;
      ready.delete(id);
      const job = jobs.get(id);
      if (!job || job.running) continue;
      job.running = true;
      active++;
      const run = runStep(id).finally(() => {
        active--;
        inFlight.delete(run);
        pump();
        checkIdle();
      });
      inFlight.add(run);
    }
  };

  const schedule = (id: string, delayMs: number) => {
    const job = jobs.get(id);
    if (!job) return;
    const token = ++job.token;
    const makeReady = () => {
      // A later schedule() supersedes this one.
      if (jobs.get(id) !== job || job.token !== token) return;
      ready.add(id);
      pump();
    };
    if (delayMs <= 0) {
      // Yield to the event loop even for "now", so a job that keeps asking to run again cannot starve timers and I/O.
      setTimeout(makeReady, 0);
      return;
    }
    delay(delayMs, controller.signal).then(
      makeReady,
      () => {
        /* closed */
      },
    );
  };

  const runStep = async (id: string) => {
    const job = jobs.get(id)!;
    job.rerun = false;
    let next: { next: 'again'; delayMs: number } | { next: 'done' };
    try {
      next = await executor!.step(id, { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted && isAbortError(error)) return;
      options.onError?.(error, id);
      next = { next: 'again', delayMs: errorDelayMs };
    }
    job.running = false;
    if (controller.signal.aborted) return;
    if (next.next === 'again' || job.rerun) {
      schedule(id, next.next === 'again' && !job.rerun ? next.delayMs : 0);
    } else {
      jobs.delete(id);
    }
  };

  return {
    name: 'in-process',
    attach(value) {
      executor = value;
    },
    async enqueue(entryId, enqueueOptions = {}) {
      if (!executor) throw new Error('inProcessRunner: not attached to a VideoGallery yet.');
      if (controller.signal.aborted) return;
      const existing = jobs.get(entryId);
      if (existing) {
        // Already known: make sure it is looked at again soon (e.g. after a cancel or a webhook hint).
        if (existing.running) existing.rerun = true;
        else if ((enqueueOptions.delayMs ?? 0) === 0) schedule(entryId, 0);
        return;
      }
      jobs.set(entryId, { rerun: false, running: false, token: 0 });
      schedule(entryId, enqueueOptions.delayMs ?? 0);
    },
    async close() {
      controller.abort(Object.assign(new Error('The runner was closed.'), { name: 'AbortError' }));
      await Promise.allSettled([...inFlight]);
      jobs.clear();
      checkIdle();
    },
    idle() {
      if (jobs.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
