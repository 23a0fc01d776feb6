/**
 * Explicit, narrow retries on top of p-retry. Adapters decide per call what is safe to repeat: a status poll is, a paid
 * submission usually is not.
 */
import pRetry from 'p-retry';
import { GalleryError } from '@video-gallery/core';
import { isTransportError } from './http.js';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Extra attempts after the first. Default 2. `0` disables retrying. */
  retries?: number;
  /** First wait between attempts in ms; doubles each time. Default 500. */
  minTimeoutMs?: number;
  /** Longest wait between attempts in ms. Default 5 000. */
  maxTimeoutMs?: number;
  /** Aborts the waits and the attempts. */
  signal?: AbortSignal;
  /** Which errors to try again. Errors it rejects are thrown at once. */
  shouldRetry: (error: unknown) => boolean;
  /**
   * A wait the error itself asks for (for example `Retry-After`), used instead of the backoff. Return `undefined` to
   * use the backoff.
   */
  delayFor?: (error: unknown) => number | undefined;
}

/** Sleeps `ms`, rejecting with the signal's reason when it aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `operation`, trying again on the errors `shouldRetry` accepts. Never retries after an abort. */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const retries = options.retries ?? 2;
  const minTimeout = options.minTimeoutMs ?? 500;
  return pRetry(operation, {
    retries,
    factor: 2,
    minTimeout: options.delayFor === undefined ? minTimeout : 0,
    maxTimeout: options.maxTimeoutMs ?? 5_000,
    randomize: false,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    shouldRetry: async ({ error, retriesConsumed }) => {
      if (options.signal?.aborted) return false;
      if (!options.shouldRetry(error)) return false;
      if (options.delayFor !== undefined) {
        const asked = options.delayFor(error);
        const backoff = Math.min(minTimeout * 2 ** retriesConsumed, options.maxTimeoutMs ?? 5_000);
        await delay(asked ?? backoff, options.signal);
      }
      return true;
    },
  });
}

/**
 * True for failures worth repeating on a read-only call: transport failures that are themselves retryable (network
 * error, timeout) and the given HTTP statuses (default 503 and 504, as the official DashScope SDKs do).
 */
export function isTransientReadError(error: unknown, statuses: readonly number[] = [503, 504]): boolean {
  if (isTransportError(error)) return error.retryable;
  return GalleryError.isInstance(error) && error.status !== undefined && statuses.includes(error.status);
}
