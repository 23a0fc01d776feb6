/** The poller's schedule. */
export interface PollOptions {
  /** Wait before the first status call, ms. Default 2000. */
  initialDelayMs?: number;
  /** Longest wait between status calls, ms. Default 30000. */
  maxDelayMs?: number;
  /** Growth per poll. Default 1.5. */
  factor?: number;
  /** ± fraction of random jitter. Default 0.2. */
  jitter?: number;
  /** Hard deadline from submission, ms. Default: 3× the model's slowest typical latency, at least 10 minutes, at most 2 hours. */
  timeoutMs?: number;
  /** Consecutive transient failures (network, 5xx, 429) tolerated in one state before the job fails. Default 8. */
  maxTransientErrors?: number;
}

export const DEFAULT_POLL: Required<Omit<PollOptions, 'timeoutMs'>> = {
  initialDelayMs: 2000, maxDelayMs: 30_000, factor: 1.5, jitter: 0.2, maxTransientErrors: 8,
};

/** Delay before poll number `polls` (0-based), with jitter from `random` (0..1), at least `retryAfterMs`. */
export function backoffDelay(polls: number, options: PollOptions = {}, random: () => number = Math.random, retryAfterMs?: number): number {
  const o = { ...DEFAULT_POLL, ...options };
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, polls));
  const jittered = base * (1 + o.jitter * (2 * random() - 1));
  return Math.round(Math.max(0, jittered, retryAfterMs ?? 0));
}

/** The deadline for a model whose typical latency is `typicalLatencySeconds`. */
export function defaultTimeoutMs(typicalLatencySeconds?: [number, number]): number {
  const slowest = typicalLatencySeconds?.[1] ?? 300;
  return Math.min(2 * 60 * 60_000, Math.max(10 * 60_000, slowest * 3 * 1000));
}
