/** What a runner drives: one short step of one job at a time. */
export interface JobExecutor {
  /**
   * Advances the job by one step. `again` asks to be called again after `delayMs`; `done` means the job
   * reached a terminal state (or is gone).
   */
  step(entryId: string, options?: { signal?: AbortSignal }): Promise<{ next: 'again'; delayMs: number } | { next: 'done' }>;
}

/** Decides where and when jobs run: in this process (default), or on workers through a queue. */
export interface JobRunner {
  readonly name: string;
  /** Called once by `VideoGallery` with the executor to drive. */
  attach(executor: JobExecutor): void;
  /** Schedules a job; enqueuing a job already scheduled is harmless. */
  enqueue(entryId: string, options?: { delayMs?: number }): Promise<void>;
  /** Stops work in flight at the next safe point; jobs stay in the store to resume. */
  close(): Promise<void>;
}
