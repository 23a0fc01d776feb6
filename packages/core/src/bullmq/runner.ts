import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EntryStore } from '../contracts/entry-store.js';
import type { JobExecutor, JobRunner } from '../contracts/runner.js';
import { GalleryError, isAbortError } from '../errors.js';
import type { Logger } from '../gallery.js';
import { assertConnection, closeRedis, connectRedis, isRedisInstance, loadBullMQ, throttled, type RedisConnectionInput } from './redis.js';

/** Which half of the work a process does. */
export type BullmqRole = 'web' | 'worker' | 'both';

/** Options of {@link bullmqRunner}. Only `connection` is required. */
export interface BullmqRunnerOptions {
  /** Required. Redis: a `redis://` URL, ioredis options, or an ioredis instance (shared, not closed by the runner). */
  connection: RedisConnectionInput;
  /** BullMQ queue name. Every process of one gallery must use the same. Default `'video-gallery'`. */
  queueName?: string;
  /** Steps run at the same time by this process's worker. Default 4. */
  concurrency?: number;
  /** BullMQ key prefix (namespaces every key). Default BullMQ's `'bull'`. */
  prefix?: string;
  /**
   * `'web'` only enqueues (no Worker: web servers), `'worker'` runs jobs (`video-gallery worker`), `'both'` does
   * both in one process. Default `'both'`.
   */
  role?: BullmqRole;
  /**
   * BullMQ job lock, ms. A worker that dies holding a step loses its lock after this long; the step then runs on
   * another worker. The lock is renewed every half of it while the step runs. Default 30 000.
   */
  lockDurationMs?: number;
  /** How often workers look for steps whose worker died (BullMQ stalled check), ms. Default 30 000. */
  stalledIntervalMs?: number;
  /** Times a step may be found stalled before BullMQ gives up on it (the sweep re-adds it later). Default 5. */
  maxStalledCount?: number;
  /**
   * How often a worker compares the entry store with the queue and re-adds any unfinished job that has no queued
   * step (for example after Redis lost its data), ms. Also runs once when the worker starts. `0` turns it off.
   * Entries in `queued` or `submitting` are re-added only once they are `2 × lockDurationMs` old (a step may still
   * be in flight on a live worker). Default 60 000.
   */
  sweepIntervalMs?: number;
  /**
   * On `close()`, how long steps in flight may run to completion before they are aborted and released to another
   * worker, ms. Default 15 000.
   */
  shutdownGraceMs?: number;
  /** First wait after a step throws unexpectedly (store or network down); doubles per failure up to 60 s. Default 2000. */
  errorDelayMs?: number;
  /**
   * Longest wait for Redis in `enqueue`, ms. When Redis does not answer in time, `enqueue` logs a warning and returns:
   * the job is already in the entry store, and a worker's sweep queues it once Redis is back. Default 5000.
   */
  enqueueTimeoutMs?: number;
  /** Entries to sweep. Default: the store of the `VideoGallery` the runner is attached to. */
  store?: Pick<EntryStore, 'listActive'>;
  /** Where warnings go. Default `console`. */
  logger?: Logger;
  /** Called when a step throws unexpectedly (the job is retried after `errorDelayMs`). */
  onError?: (error: unknown, entryId: string) => void;
}

/** The data of one BullMQ job: one step of one entry. */
export interface StepJobData {
  entryId: string;
  /** Unexpected step failures in a row (drives the error backoff). */
  errors: number;
}

/** A `JobRunner` backed by BullMQ, with a few extras for operations. */
export interface BullmqRunner extends JobRunner {
  readonly name: 'bullmq';
  readonly role: BullmqRole;
  /** The BullMQ queue (for metrics such as `getJobCounts()`, or admin). Resolves once connected. */
  queue(): Promise<Queue<StepJobData>>;
  /** Compares the store with the queue and re-adds unfinished jobs that have no step queued. Returns how many it added. */
  sweep(): Promise<number>;
  /** Resolves when the worker (roles `worker` and `both`) is connected and taking jobs. */
  ready(): Promise<void>;
}

const JOB_NAME = 'step';
/**
 * BullMQ priority of a job's first step (a new submission). Continuation steps (polls, downloads, retries after an
 * error) carry no priority, which BullMQ runs first: started jobs are followed on schedule before new ones start.
 */
const NEW_JOB_PRIORITY = 10;
const MAX_ERROR_DELAY_MS = 60_000;

function positive(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new GalleryError('invalid_input', `bullmqRunner: ${name} must be a number of at least ${min} (got ${String(value)}).`, { field: name, retryable: false });
  }
  return value;
}

/**
 * Runs gallery jobs through a BullMQ queue on Redis, so any number of worker processes on any machines share them.
 *
 * One BullMQ job is one short step of one entry (`gallery.step(id)`): submit, one status poll, the download or the
 * thumbnail. When a step asks to run again after a delay (the poll backoff), the worker adds the next step as a
 * delayed job and finishes, so no lock is held while a provider works. Every job of an entry carries the entry id
 * as its BullMQ deduplication id with `keepLastIfActive`, so at most one step of an entry runs at a time and
 * enqueuing a job already queued is harmless (a `delayMs: 0` enqueue, such as `poke()`, pulls a delayed step forward).
 *
 * Steps of started jobs run before new submissions (BullMQ priority), so a backlog of new jobs never delays the
 * polls and downloads of jobs already paid for.
 *
 * The entry store is the source of truth: a worker's periodic sweep re-adds any unfinished entry with no queued
 * step, so a job survives Redis losing its data, a failed enqueue or a worker killed at any point.
 *
 * `bullmq` and `ioredis` are optional peer dependencies, loaded on first use.
 */
export function bullmqRunner(options: BullmqRunnerOptions): BullmqRunner {
  if (!options || typeof options !== 'object') throw new GalleryError('invalid_input', 'bullmqRunner: options are required ({ connection }).', { retryable: false });
  assertConnection(options.connection, 'bullmqRunner');
  const role = options.role ?? 'both';
  if (role !== 'web' && role !== 'worker' && role !== 'both') {
    throw new GalleryError('invalid_input', `bullmqRunner: role must be 'web', 'worker' or 'both' (got ${JSON.stringify(role)}).`, { field: 'role', retryable: false });
  }
  const queueName = options.queueName ?? 'video-gallery';
  if (typeof queueName !== 'string' || queueName.length === 0 || queueName.includes(':')) {
    throw new GalleryError('invalid_input', 'bullmqRunner: queueName must be a non-empty string without ":".', { field: 'queueName', retryable: false });
  }
  const concurrency = Math.floor(positive('concurrency', options.concurrency, 4, 1));
  const lockDuration = positive('lockDurationMs', options.lockDurationMs, 30_000, 100);
  const stalledInterval = positive('stalledIntervalMs', options.stalledIntervalMs, 30_000, 100);
  const maxStalledCount = Math.floor(positive('maxStalledCount', options.maxStalledCount, 5, 0));
  const sweepIntervalMs = positive('sweepIntervalMs', options.sweepIntervalMs, 60_000);
  const shutdownGraceMs = positive('shutdownGraceMs', options.shutdownGraceMs, 15_000);
  const errorDelayMs = positive('errorDelayMs', options.errorDelayMs, 2000);
  const enqueueTimeoutMs = positive('enqueueTimeoutMs', options.enqueueTimeoutMs, 5000, 1);
  const logger = options.logger ?? console;
  const warnOnce = throttled((message) => logger.warn(message));
  if (role !== 'web' && isRedisInstance(options.connection) && options.connection.options.maxRetriesPerRequest !== null) {
    throw new GalleryError(
      'invalid_input',
      'bullmqRunner: a worker needs an ioredis instance created with { maxRetriesPerRequest: null } (BullMQ requirement). Create it so, or pass a redis:// URL or options instead.',
      { field: 'connection', retryable: false },
    );
  }

  const closing = new AbortController();
  let executor: JobExecutor | undefined;
  let closed = false;
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let sweeping: Promise<number> | undefined;
  let init: Promise<{ queue: Queue<StepJobData>; worker: Worker<StepJobData> | null; client: Redis; owned: boolean }> | undefined;

  const jobOptions = (entryId: string, delay: number, reschedule: boolean, fresh: boolean): JobsOptions => ({
    delay: Math.max(0, Math.round(delay)),
    ...(fresh ? { priority: NEW_JOB_PRIORITY } : {}),
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
    deduplication: { id: entryId, keepLastIfActive: true, ...(reschedule ? { reschedule: true } : {}) },
  });

  /** Adds a step; `fresh` marks a job's first step (from `enqueue`, or a `queued` entry found by the sweep). */
  const add = async (queue: Queue<StepJobData>, entryId: string, delay: number, errors = 0, reschedule = false, fresh = false): Promise<void> => {
    await queue.add(JOB_NAME, { entryId, errors }, jobOptions(entryId, delay, reschedule, fresh));
  };

  const storeOf = (): Pick<EntryStore, 'listActive'> | undefined => {
    if (options.store) return options.store;
    const store = (executor as { store?: Partial<EntryStore> } | undefined)?.store;
    return store && typeof store.listActive === 'function' ? (store as Pick<EntryStore, 'listActive'>) : undefined;
  };

  const processStep = async (job: Job<StepJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const { queue } = await start();
    const { entryId } = job.data;
    const errors = Number.isInteger(job.data.errors) ? job.data.errors : 0;
    const stepSignal = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    let result: Awaited<ReturnType<JobExecutor['step']>>;
    try {
      result = await executor!.step(entryId, { signal: stepSignal });
    } catch (error) {
      if (stepSignal.aborted && isAbortError(error)) {
        // Shutting down: hand the job to another worker at once. The entry is in a state any step continues from.
        await add(queue, entryId, 0, errors);
        return 'released';
      }
      options.onError?.(error, entryId);
      const delay = Math.min(MAX_ERROR_DELAY_MS, errorDelayMs * 2 ** Math.min(errors, 10));
      warnOnce(`step:${entryId}`, `video-gallery: ${entryId}: step failed (${GalleryError.from(error).message}); trying again in ${delay} ms.`);
      await add(queue, entryId, delay, errors + 1);
      return 'error';
    }
    if (result.next === 'again') await add(queue, entryId, result.delayMs);
    return result.next;
  };

  const scheduleSweep = () => {
    if (closed || sweepIntervalMs === 0) return;
    // ±10 % jitter, so workers started together do not sweep together.
    const wait = sweepIntervalMs * (0.9 + Math.random() * 0.2);
    sweepTimer = setTimeout(() => {
      runner.sweep().catch((error: unknown) => warnOnce('sweep', `video-gallery: the job sweep failed: ${GalleryError.from(error).message}`)).finally(scheduleSweep);
    }, wait);
    sweepTimer.unref?.();
  };

  const start = () => {
    init ??= (async () => {
      const { Queue, Worker } = await loadBullMQ();
      const { client, owned } = await connectRedis(options.connection, { maxRetriesPerRequest: null });
      client.on('error', (error: Error) => warnOnce('redis', `video-gallery: Redis: ${error.message}`));
      const base = { connection: client, ...(options.prefix ? { prefix: options.prefix } : {}) };
      const queue = new Queue<StepJobData>(queueName, base);
      queue.on('error', (error: Error) => warnOnce('queue', `video-gallery: BullMQ queue: ${error.message}`));
      let worker: Worker<StepJobData> | null = null;
      if (role !== 'web') {
        worker = new Worker<StepJobData>(queueName, processStep, {
          ...base, concurrency, lockDuration, stalledInterval, maxStalledCount, autorun: true,
        });
        worker.on('error', (error: Error) => warnOnce('worker', `video-gallery: BullMQ worker: ${error.message}`));
        worker.on('failed', (job, error) => {
          if (job) warnOnce(`failed:${job.data.entryId}`, `video-gallery: ${job.data.entryId}: BullMQ job failed (${error.message}); the sweep re-adds it.`);
        });
      }
      return { queue, worker, client, owned };
    })();
    return init;
  };

  const runner: BullmqRunner = {
    name: 'bullmq',
    role,
    attach(value) {
      executor = value;
      if (role === 'web') return;
      void start().then(
        async ({ worker }) => {
          await worker!.waitUntilReady();
          if (!closed) await runner.sweep().catch((error: unknown) => warnOnce('sweep', `video-gallery: the job sweep failed: ${GalleryError.from(error).message}`));
          scheduleSweep();
        },
        (error: unknown) => logger.warn(`video-gallery: the BullMQ runner could not start: ${GalleryError.from(error).message}`),
      );
    },
    async enqueue(entryId, enqueueOptions = {}) {
      if (closed) return;
      const delay = enqueueOptions.delayMs ?? 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          (async () => add((await start()).queue, entryId, delay, 0, delay === 0, true))(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Redis did not answer within ${enqueueTimeoutMs} ms`)), enqueueTimeoutMs);
          }),
        ]);
      } catch (error) {
        if (GalleryError.isInstance(error) && error.code === 'unsupported') throw error;
        warnOnce('enqueue', `video-gallery: could not queue ${entryId} (${error instanceof Error ? error.message : String(error)}); it stays in the entry store and a worker's sweep queues it when Redis answers.`);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(sweepTimer);
      if (!init) return;
      let parts;
      try {
        parts = await init;
      } catch {
        return;
      }
      await sweeping?.catch(() => undefined);
      if (parts.worker) {
        const grace = setTimeout(() => closing.abort(Object.assign(new Error('The runner was closed.'), { name: 'AbortError' })), shutdownGraceMs);
        try {
          await parts.worker.close();
        } finally {
          clearTimeout(grace);
        }
      }
      closing.abort(Object.assign(new Error('The runner was closed.'), { name: 'AbortError' }));
      await parts.queue.close().catch(() => undefined);
      if (parts.owned) await closeRedis(parts.client);
    },
    async queue() {
      return (await start()).queue;
    },
    async ready() {
      const { worker, queue } = await start();
      await (worker ?? queue).waitUntilReady();
    },
    sweep() {
      const store = storeOf();
      if (!store) return Promise.resolve(0);
      sweeping = (async () => {
        const { queue } = await start();
        const active = await store.listActive();
        let added = 0;
        for (const entry of active) {
          if (closed) break;
          // A young entry in `queued` / `submitting` may have a step in flight on a live worker whose job Redis lost:
          // leave it one more sweep, so two steps never race on a paid submission.
          const age = Date.now() - Date.parse(entry.updatedAt);
          if ((entry.status === 'queued' || entry.status === 'submitting') && age < 2 * lockDuration) continue;
          const jobId = await queue.getDeduplicationJobId(entry.id);
          if (jobId && (await queue.getJob(jobId))) continue;
          const due = entry.nextRunAt ? Date.parse(entry.nextRunAt) - Date.now() : 0;
          await add(queue, entry.id, Number.isFinite(due) ? Math.max(0, due) : 0, 0, false, entry.status === 'queued');
          added++;
        }
        if (added > 0) logger.warn(`video-gallery: the job sweep queued ${added} unfinished job(s) that had no step in the queue.`);
        return added;
      })();
      return sweeping;
    },
  };
  return runner;
}
